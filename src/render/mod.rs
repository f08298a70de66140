//! The render stage: the package configuration in, WiX v4 source text out.
//!
//! It reads templates and writes ejected ones; it does not compile, build or sign anything.
//! One concern per file:
//!
//! - [`templates`]: the built-in handlebars templates (`templates/*.hbs`, embedded in the
//!   binary), the choice between a user's template (`wix/` after `cargo svcpack init`, see
//!   [`eject`]) and the built-in one, and rendering in strict mode;
//! - [`input`]: what rendering is given ([`RenderInput`]);
//! - [`data`]: the data templates are filled with ([`template_data`]) and the identities
//!   derived for it ([`product_code`]); [`values`] its small conversions;
//! - [`files`], [`host_install`], [`service`]: the extra files and folders, the service
//!   host's files and folders, and the service settings in that data;
//! - [`escape`]: the escaping that makes every value arrive in the MSI literally, and
//!   Windows command-line quoting of service arguments ([`quote_windows_args`]);
//! - [`codepage`]: the database codepage ([`database_codepage`]) and summary information;
//! - [`cargo_wix`]: the preprocessor variables cargo-wix passes to a project's own
//!   `wix/main.wxs` ([`cargo_wix_defines`]);
//! - [`error`]: the one error type, [`RenderError`].
//!
//! # Escaping
//!
//! A value crosses three interpreters on its way into the MSI, and each gets its escape:
//!
//! 1. XML: `& < > " '` become entities; tab, newline and carriage return become character
//!    references, because an XML parser turns literal ones in attribute values into spaces.
//!    Characters XML 1.0 cannot carry at all are an error ([`RenderError::InvalidText`]).
//! 2. The WiX preprocessor expands `$(var.X)` in attribute values; `$$` is its escape for a
//!    literal `$`, so every `$` is doubled. (1 and 2 are the registered escape function, so
//!    they apply to every `{{value}}` of every template.)
//! 3. Windows Installer formats columns of type Formatted (`[Property]`, `[#file]`,
//!    `{...}` groups) when it installs. The `fmt` helper turns `[ ] { }` into `[\[] [\]]
//!    [\{] [\}]`; templates use it for exactly the attributes that land in Formatted
//!    columns (ServiceInstall Name, DisplayName, Description, StartName, Arguments and
//!    Dependencies, ServiceControl Name, the failure-action Command, registry keys).
//!
//! Templates run in strict mode: a name missing from the data is an error naming the
//! template and line, never an empty string.
//!
//! # Upgrades and `preserve-on-upgrade`
//!
//! The built-in template schedules RemoveExistingProducts after InstallExecute: a new
//! version is installed over the old one, then the old product is removed. Component GUIDs
//! stay the same across versions (WiX derives them from the key path; the component of the
//! folders enclosing the install folder gets a UUIDv5 of the upgrade code and install
//! path), so removing the old product only drops its
//! reference to components the new one also has. A preserved file's component is
//! NeverOverwrite: its existing file is left as the administrator edited it, and the old
//! product's removal does not delete it. (With WiX's default early scheduling the old
//! product is removed first, edited file included, and NeverOverwrite never gets a say.)
//! `REINSTALLMODE=emus` makes the installed-over exe be replaced even when its file
//! version is equal, as for `2.0.0-beta.1` followed by `2.0.0`.
//!
//! # Summary information
//!
//! Only ANSI codepages are allowed there (Windows Installer reads the codepage as an
//! unsigned short; WiX refuses anything above 32767), so it gets its own codepage and, for
//! a name no ANSI codepage holds, a stand-in ([`summary_info`]).

/// The file name of the main template, built-in and in a user's template directory.
pub const MAIN_TEMPLATE: &str = "main.wxs.hbs";

/// The id of the folder everything is installed into (public, so an administrator can set
/// it on the msiexec command line).
pub const INSTALL_FOLDER_ID: &str = "INSTALLFOLDER";

/// Windows-1252, the database codepage whenever every string fits.
pub const CODEPAGE_WINDOWS_1252: u16 = 1252;

/// UTF-8, for packages with text Windows-1252 cannot hold.
pub const CODEPAGE_UTF8: u16 = 65001;

/// The architectures a package can target, as WiX spells them.
pub const ARCHES: &[&str] = &["x86", "x64", "arm64"];

mod cargo_wix;
mod codepage;
mod data;
mod error;
mod escape;
mod files;
mod host_install;
mod input;
mod service;
mod templates;
mod values;

pub use cargo_wix::{cargo_target_bin_dir, cargo_wix_defines, CargoWixInput};
pub use codepage::{ansi_codepage_for, codepage_for, database_codepage, summary_info, SummaryInfo};
pub use data::{product_code, template_data};
pub use error::RenderError;
pub use escape::{escape_formatted, escape_xml, quote_windows_args};
pub use input::{HostFiles, RenderInput};
pub use templates::{builtin_templates, eject, find_user_template, render, render_template};

#[cfg(test)]
mod tests;
