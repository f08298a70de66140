//! The Linux stage: the program as cargo built it (or `--binary`), checked to be an ELF
//! executable for the target, packaged as a .deb and a tarball.

use crate::plan::ExeSource;

use super::state::{Context, TargetBuild};

/// Builds one Linux target's .deb and tarball into its build state.
pub(super) fn packages(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let (Some(linux), Some(names)) = (&plan.linux, &b.target.linux) else {
        return Ok(None);
    };
    let triple = b.target.triple.as_str();
    let source = match &plan.exe {
        ExeSource::Prebuilt(p) => p.clone(),
        ExeSource::Cargo { .. } => b
            .exe_path
            .clone()
            .ok_or_else(|| "no executable was built".to_string())?,
    };
    let built =
        std::fs::read(&source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
    crate::linux::check_elf(&built, triple).map_err(|e| format!("{}: {e}", source.display()))?;
    let program = match crate::linux::strip::strip(&built, triple, &b.dir) {
        Ok(stripped) => stripped,
        Err(why) => {
            cx.rep.warning(&format!(
                "the program is packaged with its symbols (lintian: unstripped-binary-or-object): {why}"
            ));
            built
        }
    };
    let input = crate::linux::Input {
        config: &plan.config,
        pkg: &plan.package,
        linux,
        program: &program,
        triple,
        unix_time: cx.opts.timestamp,
    };
    b.deb = crate::linux::deb::build(&input)?;
    b.tarball = crate::linux::tarball::build(&input)?;
    Ok(Some(format!(
        "{} ({}), {} ({})",
        names.deb,
        crate::progress::human_size(b.deb.len() as u64),
        names.tarball,
        crate::progress::human_size(b.tarball.len() as u64)
    )))
}
