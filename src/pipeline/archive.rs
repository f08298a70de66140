//! The portable zip: the same (signed) program, service host and files the MSI installs,
//! for running without an installer.

use crate::portable::{self, Contents, PortableFile, PortableInput};

use super::state::{Context, TargetBuild};

/// Builds the portable zip, written to the staging directory with the package's files
/// read in pieces (a gigabyte payload never sits in memory).
pub(super) fn zip(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let mut files: Vec<PortableFile> = b
        .signed_config
        .as_ref()
        .unwrap_or(&plan.config)
        .files
        .iter()
        .map(|f| PortableFile {
            path: f.dest.segments().join("/"),
            contents: Contents::File(&f.source),
        })
        .collect();
    let license = plan.config.license.as_ref().map(|l| PortableFile {
        path: l
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "LICENSE".into()),
        contents: Contents::File(l),
    });
    if let Some((host_exe, conf)) = &b.host {
        files.push(PortableFile {
            path: crate::host::HOST_EXE_NAME.to_string(),
            contents: Contents::Bytes(host_exe),
        });
        files.push(PortableFile {
            path: crate::host::CONF_NAME.to_string(),
            contents: Contents::Bytes(conf.as_bytes()),
        });
    }
    let input = PortableInput {
        config: &plan.config,
        version: &plan.package.version.to_string(),
        exe_name: &cx.exe_name,
        exe: &b.exe,
        files: &files,
        license,
        service_program: b.host.as_ref().map(|_| portable::ServiceProgram {
            exe_name: crate::host::HOST_EXE_NAME,
            arguments: &[],
        }),
        timestamp: cx.opts.timestamp,
    };
    let path = b.dir.join(".portable.zip");
    let out = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let out = portable::write_zip(&input, out).map_err(|e| e.to_string())?;
    let size = out
        .metadata()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?
        .len();
    b.zip = path;
    Ok(Some(crate::progress::human_size(size)))
}
