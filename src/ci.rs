//! `cargo svcpack init --ci github|gitlab`: writes a release pipeline for Linux runners
//! (`.github/workflows/release.yml` or `.gitlab-ci.yml` in the workspace root) from the
//! templates in `templates/ci/`.
//!
//! This module owns the generated files' content: the pinned svcpack version, the targets
//! (the configured `targets`, else x86_64-pc-windows-gnu; all built in one job so one
//! SHA256SUMS and one manifest cover them) and their linkers (MinGW, aarch64 Linux's cross
//! gcc), the build command line, the signing decision (sign when the repository holds the secrets the
//! `[sign]` table names, otherwise build with `--no-sign` and say so; always unsigned for
//! pull/merge requests) and the list of published files. It writes only the one file, and
//! never over an existing one without `force`.

use std::path::{Path, PathBuf};

use crate::config::{Certificate, Config, Release, Sign, SignTool};

/// Which CI service the pipeline is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Provider {
    /// GitHub Actions: `.github/workflows/release.yml`.
    Github,
    /// GitLab CI/CD: `.gitlab-ci.yml`.
    Gitlab,
}

impl Provider {
    /// The file written, relative to the workspace root.
    pub fn path(self) -> &'static str {
        match self {
            Provider::Github => ".github/workflows/release.yml",
            Provider::Gitlab => ".gitlab-ci.yml",
        }
    }
}

const GITHUB: &str = include_str!("../templates/ci/github.yml");
const GITLAB: &str = include_str!("../templates/ci/gitlab.yml");

/// What the pipeline builds.
pub struct CiInput<'a> {
    pub package: &'a str,
    /// The package's Cargo.toml relative to the workspace root (`/`-separated).
    pub manifest_path: &'a str,
    pub config: &'a Config,
    pub release: &'a Release,
    /// The configured `targets`; empty: [`DEFAULT_TARGET`].
    pub targets: &'a [String],
}

/// What a pipeline builds when no `targets` are configured: Linux runners link with MinGW.
pub const DEFAULT_TARGET: &str = "x86_64-pc-windows-gnu";

/// The targets the pipeline builds.
fn targets<'a>(input: &'a CiInput) -> Vec<&'a str> {
    if input.targets.is_empty() {
        vec![DEFAULT_TARGET]
    } else {
        input.targets.iter().map(String::as_str).collect()
    }
}

/// Debian's linker packages for the targets: MinGW for windows-gnu ones, the aarch64 cross
/// gcc (with its strip) for aarch64 Linux; others bring their own linker setup, and
/// x86_64 Linux links with the runner's own gcc.
fn linker_packages(targets: &[&str]) -> Vec<&'static str> {
    let mut packages = Vec::new();
    for t in targets {
        let package = match t.split('-').next() {
            Some("aarch64") if crate::linux::is_linux_target(t) => Some("gcc-aarch64-linux-gnu"),
            _ if !t.ends_with("-windows-gnu") => None,
            Some("x86_64") => Some("gcc-mingw-w64-x86-64"),
            Some("i686" | "i586") => Some("gcc-mingw-w64-i686"),
            _ => None,
        };
        if let Some(p) = package.filter(|p| !packages.contains(p)) {
            packages.push(p);
        }
    }
    packages
}

/// The environment variables signing reads secrets from: `certificate-env`, `password-env`,
/// a PKCS#11 `pin-env`, and for a `command` signer the `env:NAME` references in its
/// arguments (jsign's `--storepass env:NAME`) plus the credentials jsign's `AWS` store type
/// reads from the environment.
pub fn signing_secrets(config: &Config) -> Vec<String> {
    let Some(sign) = &config.sign else {
        return Vec::new();
    };
    let mut names = Vec::new();
    if let Some(Certificate::Env(name)) = &sign.certificate {
        names.push(name.clone());
    }
    names.extend(sign.password_env.clone());
    if let Some(p) = &sign.pkcs11 {
        names.extend(p.pin_env.clone());
    }
    if let SignTool::Command(args) = &sign.tool {
        for a in args {
            if let Some(name) = a.strip_prefix("env:") {
                if is_env_name(name) {
                    names.push(name.to_string());
                }
            }
        }
        let aws = args
            .windows(2)
            .any(|w| w[0] == "--storetype" && w[1].eq_ignore_ascii_case("aws"));
        if aws {
            names.push("AWS_ACCESS_KEY_ID".into());
            names.push("AWS_SECRET_ACCESS_KEY".into());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Debian packages the runner installs for signing: osslsigncode and OpenSSL's PKCS#11
/// engine for a key behind a PKCS#11 library.
fn signing_packages(config: &Config) -> &'static [&'static str] {
    match &config.sign {
        Some(s) if s.pkcs11.is_some() => &["osslsigncode", "libengine-pkcs11-openssl"],
        _ => &[],
    }
}

/// The program a `command` signer runs (its first word), which the runner must provide.
fn signing_program(config: &Config) -> Option<&str> {
    match &config.sign {
        Some(Sign {
            tool: SignTool::Command(args),
            ..
        }) => args.first().map(String::as_str),
        _ => None,
    }
}

/// The shell script of the build step, indented by `indent` spaces. `warning` and `error`
/// are the CI's prefixes for annotations; `sudo` prefixes package installation.
fn build_script(input: &CiInput, warning: &str, error: &str, sudo: &str, indent: usize) -> String {
    let mut cmd = format!(
        "cargo svcpack build --manifest-path {} -p {} \"$@\" --out-dir \"$OUT_DIR\"",
        shell_word(input.manifest_path),
        shell_word(input.package)
    );
    // Every target of $TARGETS as its own --target, in the positional parameters.
    let mut lines = vec![
        "set --".to_string(),
        "for target in $TARGETS; do set -- \"$@\" --target \"$target\"; done".to_string(),
    ];
    // Cargo links aarch64 Linux programs with the host's `cc` unless told otherwise.
    if targets(input)
        .iter()
        .any(|t| t.starts_with("aarch64-") && crate::linux::is_linux_target(t))
    {
        lines.push(
            "export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc".into(),
        );
    }
    if input.config.sign.is_some() {
        let secrets = signing_secrets(input.config);
        lines.push("sign=\"\"".to_string());
        lines.push("if [ \"$EVENT\" != push ]; then".into());
        lines.push("  sign=\"--no-sign\"".into());
        lines.push("  echo \"Dry run: building unsigned\"".into());
        if !secrets.is_empty() {
            let test = secrets
                .iter()
                .map(|s| format!("[ -z \"${{{s}:-}}\" ]"))
                .collect::<Vec<_>>()
                .join(" || ");
            lines.push(format!("elif {test}; then"));
            lines.push("  sign=\"--no-sign\"".into());
            lines.push(format!(
                "  echo \"{warning}signing secrets {} are not set: building UNSIGNED artifacts\"",
                secrets.join(", ")
            ));
        }
        lines.push("fi".into());
        let packages = signing_packages(input.config);
        if !packages.is_empty() {
            lines.push("if [ -z \"$sign\" ]; then".into());
            lines.push(format!(
                "  {sudo}apt-get install -y -qq --no-install-recommends {}",
                packages.join(" ")
            ));
            lines.push("fi".into());
        }
        if let Some(program) = signing_program(input.config) {
            let word = shell_word(program);
            lines.push(format!(
                "if [ -z \"$sign\" ] && ! command -v {word} >/dev/null 2>&1; then"
            ));
            lines.push(format!(
                "  echo \"{error}the signing command {} is not installed on this runner: \
                 install it in an earlier step or use a runner image that has it\"",
                program.replace(['"', '$', '`', '\\'], "")
            ));
            lines.push("  exit 1".into());
            lines.push("fi".into());
        }
        cmd.push_str(" ${sign:+\"$sign\"}");
    }
    lines.push(cmd);
    let pad = " ".repeat(indent);
    lines
        .iter()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A word for a POSIX shell: bare when safe, else single-quoted.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The pipeline file's content.
pub fn render(provider: Provider, input: &CiInput) -> String {
    let winget = input.release.winget_id.is_some();
    let winget_note = if winget { " and winget manifests" } else { "" };
    let targets = targets(input);
    let linkers = linker_packages(&targets);
    let install = |prefix: &str, sudo: &str| {
        if linkers.is_empty() {
            String::new()
        } else {
            format!(
                "{prefix}{sudo}apt-get install -y -qq --no-install-recommends {}\n",
                linkers.join(" ")
            )
        }
    };
    let text = match provider {
        Provider::Github => {
            let secrets = signing_secrets(input.config);
            let mut env = String::new();
            if input.config.sign.is_some() {
                env.push_str("          EVENT: ${{ github.event_name }}\n");
                for s in &secrets {
                    // Secrets reach only tag builds, never pull requests.
                    env.push_str(&format!(
                        "          {s}: ${{{{ github.event_name == 'push' && secrets.{s} || '' }}}}\n"
                    ));
                }
            }
            // Only the kinds the targets make: an upload pattern that matches nothing fails.
            let windows = targets.iter().any(|t| !crate::linux::is_linux_target(t));
            let linux = targets.iter().any(|t| crate::linux::is_linux_target(t));
            let mut files = Vec::new();
            if windows {
                files.extend(["dist/*.msi", "dist/*.zip"]);
            }
            if linux {
                files.extend(["dist/*.deb", "dist/*.tar.gz"]);
            }
            files.extend(["dist/SHA256SUMS", "dist/*.manifest.json"]);
            if windows {
                files.push("dist/*.cdx.json");
            }
            if winget && windows {
                files.push("dist/winget/*.yaml");
            }
            let subjects = files
                .iter()
                .map(|f| format!("            {f}"))
                .collect::<Vec<_>>()
                .join("\n");
            GITHUB
                .replace("@SIGN_ENV@", &env)
                .replace(
                    "@BUILD_SCRIPT@",
                    &build_script(input, "::warning::", "::error::", "sudo ", 10),
                )
                .replace("@LINKERS_GITHUB@", &install("          ", "sudo "))
                .replace("@SUBJECTS@", &subjects)
                .replace("@UPLOADS@", &files.join(" "))
        }
        Provider::Gitlab => GITLAB
            .replace("@LINKERS_GITLAB@", &install("    - ", ""))
            .replace(
                "@BUILD_SCRIPT_GITLAB@",
                &build_script(input, "WARNING: ", "ERROR: ", "", 6),
            ),
    };
    text.replace("@SVCPACK_VERSION@", crate::manifest::SVCPACK_VERSION)
        .replace("@PACKAGE@", input.package)
        .replace("@WINGET_NOTE@", winget_note)
        .replace("@TARGETS@", &targets.join(" "))
}

/// Writes the pipeline under `root`; refuses to replace an existing file without `force`.
pub fn write(
    root: &Path,
    provider: Provider,
    input: &CiInput,
    force: bool,
) -> Result<PathBuf, String> {
    let path = root.join(provider.path());
    if path.exists() && !force {
        return Err(format!(
            "{} already exists; pass --force to overwrite it",
            path.display()
        ));
    }
    let text = render(provider, input);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let dir = path.parent().unwrap_or(root);
    let mut tmp = crate::output::artifact_tempfile(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tmp.persist(&path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(path)
}

/// `init --ci`: reads the package and its configuration (an invalid one is refused before
/// anything is written) and writes the pipeline into the workspace root.
pub fn init(
    manifest_path: Option<&Path>,
    provider: Provider,
    force: bool,
) -> Result<PathBuf, String> {
    let pkg = crate::cargo::package(manifest_path, None).map_err(|e| e.to_string())?;
    let loaded =
        crate::config::load_cargo(&pkg.manifest_path, &pkg.info).map_err(|e| e.to_string())?;
    let mut cmd = cargo_metadata::MetadataCommand::new();
    cmd.cargo_path(crate::cargo::cargo_program())
        .no_deps()
        .manifest_path(&pkg.manifest_path);
    let root = cmd
        .exec()
        .map(|m| m.workspace_root.into_std_path_buf())
        .unwrap_or_else(|_| pkg.info.manifest_dir.clone());
    let relative = pkg
        .manifest_path
        .strip_prefix(&root)
        .unwrap_or(Path::new("Cargo.toml"))
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    let input = CiInput {
        package: &pkg.info.name,
        manifest_path: &relative,
        config: &loaded.config,
        release: &loaded.release,
        targets: &loaded.targets,
    };
    write(&root, provider, &input, force)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(sign: &str) -> (Config, Release) {
        let dir = std::env::temp_dir();
        let pkg = crate::config::PackageInfo {
            name: "ledger-agent".into(),
            version: semver::Version::parse("1.0.0").unwrap(),
            authors: vec!["Acme".into()],
            description: None,
            homepage: None,
            repository: None,
            license: None,
            bins: vec!["ledger-agent".into()],
            manifest_dir: dir.join("svcpack-ci-test"),
        };
        let toml = format!("[package]\nname = \"ledger-agent\"\nversion = \"1.0.0\"\n[package.metadata.svcpack]\nupgrade-code = \"8E0B5A7C-1D2E-4F60-8A9B-0C1D2E3F4A5B\"\n{sign}");
        let l = crate::config::load_cargo_str(&pkg.manifest_dir.join("Cargo.toml"), &toml, &pkg)
            .unwrap();
        (l.config, l.release)
    }

    #[test]
    fn signing_secrets_decide_the_build_flags() {
        let (c, r) = config("[package.metadata.svcpack.sign]\ncertificate-env = \"SIGN_CERT\"\npassword-env = \"SIGN_PASSWORD\"\n");
        let input = CiInput {
            package: "ledger-agent",
            manifest_path: "Cargo.toml",
            config: &c,
            release: &r,
            targets: &[],
        };
        let gh = render(Provider::Github, &input);
        assert!(
            gh.contains("SIGN_CERT: ${{ github.event_name == 'push' && secrets.SIGN_CERT || '' }}"),
            "{gh}"
        );
        assert!(
            gh.contains("elif [ -z \"${SIGN_CERT:-}\" ] || [ -z \"${SIGN_PASSWORD:-}\" ]; then")
        );
        assert!(gh.contains("::warning::signing secrets SIGN_CERT, SIGN_PASSWORD are not set"));
        assert!(gh.contains("--version \"$SVCPACK_VERSION\" --locked"));
        assert!(gh.contains(&format!(
            "SVCPACK_VERSION: \"{}\"",
            crate::manifest::SVCPACK_VERSION
        )));
        assert!(
            !gh.contains('@'.to_string().as_str()) || !gh.contains("@SIGN"),
            "placeholder left"
        );
        let (c, r) = config("");
        let input = CiInput {
            config: &c,
            release: &r,
            ..input
        };
        let gh = render(Provider::Github, &input);
        assert!(
            !gh.contains("--no-sign") && !gh.contains("secrets."),
            "{gh}"
        );
        assert!(!gh.contains("winget"), "{gh}");
    }

    #[test]
    fn hardware_key_signers_name_their_secrets_and_tools() {
        let (c, _) = config("[package.metadata.svcpack.sign]\npkcs11-module = \"libkms.so\"\nkey = \"pkcs11:token=T;object=K\"\ncertificate = \"pkcs11:token=T;object=K;type=cert\"\npin-env = \"HSM_PIN\"\n");
        assert_eq!(signing_secrets(&c), ["HSM_PIN"]);
        assert_eq!(
            signing_packages(&c),
            ["osslsigncode", "libengine-pkcs11-openssl"]
        );
        assert_eq!(signing_program(&c), None);
        let (c, _) = config("[package.metadata.svcpack.sign]\ntool = \"command\"\ncommand = [\"jsign\", \"--storetype\", \"AWS\", \"--storepass\", \"env:KMS_TOKEN\", \"--keypass\", \"env:KMS_TOKEN\", \"{file}\"]\n");
        assert_eq!(
            signing_secrets(&c),
            ["KMS_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        );
        assert!(signing_packages(&c).is_empty());
        assert_eq!(signing_program(&c), Some("jsign"));
    }

    #[test]
    fn configured_targets_are_built_in_one_job_with_their_linkers() {
        let (c, r) = config("");
        let targets = vec![
            "x86_64-pc-windows-gnu".to_string(),
            "i686-pc-windows-gnu".to_string(),
        ];
        let input = CiInput {
            package: "ledger-agent",
            manifest_path: "Cargo.toml",
            config: &c,
            release: &r,
            targets: &targets,
        };
        let gh = render(Provider::Github, &input);
        assert!(
            gh.contains("TARGETS: \"x86_64-pc-windows-gnu i686-pc-windows-gnu\""),
            "{gh}"
        );
        assert!(gh.contains(
            "apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 gcc-mingw-w64-i686"
        ));
        assert!(!gh.contains("matrix"), "{gh}");
        let gl = render(Provider::Gitlab, &input);
        assert!(gl.contains("for target in $TARGETS; do set -- \"$@\" --target \"$target\"; done"));
        assert!(!gl.contains("parallel:"), "{gl}");
        assert!(
            !gh.contains('@') || !gh.contains("@TARGETS@"),
            "placeholder left"
        );
        // Nothing configured: the default target alone.
        let input = CiInput {
            targets: &[],
            ..input
        };
        let gl = render(Provider::Gitlab, &input);
        assert!(gl.contains("TARGETS: \"x86_64-pc-windows-gnu\""), "{gl}");
        assert!(
            gl.contains("--no-install-recommends gcc-mingw-w64-x86-64\n"),
            "{gl}"
        );
    }

    #[test]
    fn linux_targets_publish_their_packages_and_link_aarch64_with_the_cross_gcc() {
        let (c, r) = config("");
        let targets = vec![
            "x86_64-pc-windows-gnu".to_string(),
            "x86_64-unknown-linux-gnu".to_string(),
            "aarch64-unknown-linux-gnu".to_string(),
        ];
        let input = CiInput {
            package: "ledger-agent",
            manifest_path: "Cargo.toml",
            config: &c,
            release: &r,
            targets: &targets,
        };
        let gh = render(Provider::Github, &input);
        assert!(
            gh.contains("--no-install-recommends gcc-mingw-w64-x86-64 gcc-aarch64-linux-gnu\n"),
            "{gh}"
        );
        assert!(
            gh.contains(
                "export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc"
            ),
            "{gh}"
        );
        assert!(
            gh.contains("--clobber dist/*.msi dist/*.zip dist/*.deb dist/*.tar.gz dist/SHA256SUMS dist/*.manifest.json dist/*.cdx.json\n"),
            "{gh}"
        );
        // Linux only: no Windows patterns, which would match nothing and fail the upload.
        let linux_only = vec!["x86_64-unknown-linux-gnu".to_string()];
        let input = CiInput {
            targets: &linux_only,
            ..input
        };
        let gh = render(Provider::Github, &input);
        assert!(
            gh.contains(
                "--clobber dist/*.deb dist/*.tar.gz dist/SHA256SUMS dist/*.manifest.json\n"
            ),
            "{gh}"
        );
        assert!(!gh.contains("dist/*.msi"), "{gh}");
        assert!(!gh.contains("AARCH64"), "{gh}");
    }
}
