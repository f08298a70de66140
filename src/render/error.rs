//! Why rendering or ejecting templates fails: one error type, each variant naming the
//! setting, template or file at fault.

use std::path::PathBuf;

/// Why the WiX source could not be rendered or the templates not ejected.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template does not parse.
    #[error("template {template}: {source}")]
    Template {
        /// The user template's path, or `built-in main.wxs.hbs`.
        template: String,
        /// The handlebars parser's explanation, with line and column.
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    /// Rendering failed, e.g. a variable the data does not have (strict mode).
    #[error("rendering {template}: {source}")]
    Render {
        /// The user template's path, or `built-in main.wxs.hbs`.
        template: String,
        /// Handlebars' explanation, with line and column.
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// `eject` without `force` found a template already there.
    #[error(
        "{} already exists; edit it, or run `cargo svcpack init --force` to overwrite it with the built-in template",
        path.display()
    )]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A path that goes into the WiX source is not valid Unicode.
    #[error("{what}: the path {} is not valid Unicode, which WiX sources cannot hold; rename it", path.display())]
    NonUnicodePath {
        /// What the path is (e.g. `license`).
        what: String,
        /// The path.
        path: PathBuf,
    },
    /// A string holds a character an XML document cannot carry.
    #[error("{what}: contains the character U+{code:04X}, which a WiX (XML) source cannot hold; remove it")]
    InvalidText {
        /// Where the string is in the template data, e.g. `service.description`.
        what: String,
        /// The offending code point.
        code: u32,
    },
    /// A value is valid configuration but beyond what the WiX authoring can express.
    #[error("{what}: {message}")]
    Unsupported {
        /// The setting, e.g. `service.recovery.delays-secs`.
        what: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The architecture is not one WiX knows.
    #[error("unknown architecture `{0}`; allowed: x86, x64, arm64")]
    Arch(String),
}
