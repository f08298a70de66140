//! Publishing: the artifacts move into the out-dir only when every stage succeeded, each
//! written as a temporary file there first and then renamed, so the out-dir never holds a
//! partial artifact.

use std::io::Write;
use std::path::Path;

/// Moves the artifacts (file name in the out-dir, bytes) into the out-dir.
pub(super) fn publish(out_dir: &Path, outputs: &[(String, Vec<u8>)]) -> Result<(), String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut staged = Vec::new();
    for (name, bytes) in outputs {
        let mut tmp = crate::output::artifact_tempfile(out_dir)
            .map_err(|e| format!("cannot write in {}: {e}", out_dir.display()))?;
        tmp.write_all(bytes)
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| format!("cannot write {name}: {e}"))?;
        staged.push((tmp, out_dir.join(name)));
    }
    // Sub-directories (winget/) are made only once every file is written.
    for (_, dest) in &staged {
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    for (tmp, dest) in staged {
        tmp.persist(&dest)
            .map_err(|e| format!("cannot move {} into place: {}", dest.display(), e.error))?;
    }
    Ok(())
}
