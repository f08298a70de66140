//! Publishing: the artifacts move into the out-dir only when every stage succeeded, each
//! written as a temporary file there first and then renamed, so the out-dir never holds a
//! partial artifact.

use std::io::Write;
use std::path::Path;

use super::state::Content;

/// Moves the artifacts (file name in the out-dir, content) into the out-dir; returns each
/// one's name and size.
pub(super) fn publish(
    out_dir: &Path,
    outputs: &[(String, Content)],
) -> Result<Vec<(String, u64)>, String> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;
    let mut staged = Vec::new();
    let mut sizes = Vec::new();
    for (name, content) in outputs {
        let mut tmp = crate::output::artifact_tempfile(out_dir)
            .map_err(|e| format!("cannot write in {}: {e}", out_dir.display()))?;
        let size = match content {
            Content::Bytes(bytes) => tmp.write_all(bytes).map(|_| bytes.len() as u64),
            // Copied, not renamed: the staging directory may be on another file system,
            // and the temporary file carries the permissions the umask asks for.
            Content::File(path) => {
                std::fs::File::open(path).and_then(|mut f| std::io::copy(&mut f, tmp.as_file_mut()))
            }
        }
        .map_err(|e| format!("cannot write {name}: {e}"))?;
        sizes.push((name.clone(), size));
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
    Ok(sizes)
}
