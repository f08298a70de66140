//! The portable zip: the same (signed) program, service host and files the MSI installs,
//! for running without an installer.

use crate::portable::{self, PortableFile, PortableInput};

use super::state::{Build, Context};

/// Builds the portable zip.
pub(super) fn zip(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let mut files: Vec<(String, Vec<u8>)> = b
        .signed_config
        .as_ref()
        .unwrap_or(&plan.config)
        .files
        .iter()
        .map(|f| {
            std::fs::read(&f.source)
                .map(|bytes| (f.dest.segments().join("/"), bytes))
                .map_err(|e| format!("cannot read {}: {e}", f.source.display()))
        })
        .collect::<Result<_, _>>()?;
    let license = match &plan.config.license {
        Some(l) => Some((
            l.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "LICENSE".into()),
            std::fs::read(l).map_err(|e| format!("cannot read {}: {e}", l.display()))?,
        )),
        None => None,
    };
    if let Some((host_exe, conf)) = &b.host {
        files.push((crate::host::HOST_EXE_NAME.to_string(), host_exe.clone()));
        files.push((
            crate::host::CONF_NAME.to_string(),
            conf.clone().into_bytes(),
        ));
    }
    let input = PortableInput {
        config: &plan.config,
        version: &plan.package.version.to_string(),
        exe_name: &cx.exe_name,
        exe: &b.exe,
        files: &files
            .iter()
            .map(|(p, bytes)| PortableFile {
                path: p.clone(),
                bytes,
            })
            .collect::<Vec<_>>(),
        license: license.as_ref().map(|(p, bytes)| PortableFile {
            path: p.clone(),
            bytes,
        }),
        service_program: b.host.as_ref().map(|_| portable::ServiceProgram {
            exe_name: crate::host::HOST_EXE_NAME,
            arguments: &[],
        }),
        timestamp: cx.opts.timestamp,
    };
    b.zip = portable::build_zip(&input).map_err(|e| e.to_string())?;
    Ok(Some(crate::progress::human_size(b.zip.len() as u64)))
}
