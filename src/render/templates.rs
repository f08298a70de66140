//! The template registry: the built-in templates embedded in the binary, the choice between a
//! user's template and the built-in one, rendering in strict mode with the escaping helpers,
//! and ejecting the built-in templates for editing (`cargo svcpack init`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::data::template_data;
use super::escape::{escape_formatted, escape_xml};
use super::{RenderError, RenderInput, MAIN_TEMPLATE};

pub(super) const BUILTIN: &[(&str, &str)] =
    &[(MAIN_TEMPLATE, include_str!("../../templates/main.wxs.hbs"))];

/// The built-in templates as `(file name, content)`, in the order `init` writes them.
pub fn builtin_templates() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

/// The user's copy of the main template in `templates_dir`, if there is one.
pub fn find_user_template(templates_dir: &Path) -> Option<PathBuf> {
    let path = templates_dir.join(MAIN_TEMPLATE);
    path.is_file().then_some(path)
}

/// Renders the WiX source: the user's `<templates_dir>/main.wxs.hbs` when it exists (a user
/// template wins over the built-in one), else the built-in template.
///
/// For a hosted service the output must install svcpack's service host: a user template
/// written before the host existed would register the program itself as the service,
/// which then never starts, so that is an error.
pub fn render(input: &RenderInput, templates_dir: Option<&Path>) -> Result<String, RenderError> {
    let user = templates_dir.and_then(find_user_template);
    let (name, text) = match user {
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|source| RenderError::Io {
                path: path.clone(),
                source,
            })?;
            let name = path.display().to_string();
            let out = render_template(input, &name, &text)?;
            (name, out)
        }
        None => {
            let name = format!("built-in {MAIN_TEMPLATE}");
            let out = render_template(input, &name, BUILTIN[0].1)?;
            (name, out)
        }
    };
    let hosted = input
        .config
        .service
        .as_ref()
        .is_some_and(|s| s.host.is_some());
    if hosted && !text.contains(crate::host::HOST_EXE_NAME) {
        return Err(RenderError::Unsupported {
            what: "service.host".into(),
            message: format!(
                "the template {name} does not install svcpack's service host ({}), which a hosted \
                 service runs; add the `host` parts of the built-in template to it (`cargo svcpack init \
                 --force` overwrites it with the built-in one)",
                crate::host::HOST_EXE_NAME
            ),
        });
    }
    Ok(text)
}

/// Renders `template` (named `name` in errors) with the data of `input`.
pub fn render_template(
    input: &RenderInput,
    name: &str,
    template: &str,
) -> Result<String, RenderError> {
    let data = template_data(input)?;
    let mut registry = handlebars::Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(escape_xml);
    registry.register_helper("fmt", Box::new(fmt_helper));
    registry
        .register_template_string(name, template)
        .map_err(|source| RenderError::Template {
            template: name.to_string(),
            source: Box::new(source),
        })?;
    registry
        .render(name, &data)
        .map_err(|source| RenderError::Render {
            template: name.to_string(),
            source: Box::new(source),
        })
}

handlebars::handlebars_helper!(fmt_helper: |text: str| escape_formatted(text));

/// Writes the built-in templates into `dir` (created if missing) for editing and returns
/// their paths. Without `force` nothing is written when any of them already exists. Each
/// file is written to a temporary file beside it and renamed into place, so a reader never
/// sees half a template.
pub fn eject(dir: &Path, force: bool) -> Result<Vec<PathBuf>, RenderError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| RenderError::Io { path, source }
    };
    let targets: Vec<(PathBuf, &str)> = BUILTIN
        .iter()
        .map(|(name, text)| (dir.join(name), *text))
        .collect();
    if !force {
        // Checked for every file before writing any, so a refusal changes nothing.
        if let Some((path, _)) = targets.iter().find(|(p, _)| p.exists()) {
            return Err(RenderError::Exists { path: path.clone() });
        }
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for (path, text) in targets {
        let mut tmp = crate::output::artifact_tempfile(dir).map_err(io(dir))?;
        tmp.write_all(text.as_bytes()).map_err(io(tmp.path()))?;
        tmp.as_file().sync_all().map_err(io(tmp.path()))?;
        tmp.persist(&path).map_err(|e| RenderError::Io {
            path: path.clone(),
            source: e.error,
        })?;
        written.push(path);
    }
    Ok(written)
}
