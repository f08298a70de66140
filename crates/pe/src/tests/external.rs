//! Tests against real toolchain output and independent readers: MinGW-built programs,
//! osslsigncode-signed copies, pefile and Wine. Each skips with a notice when its tool
//! is missing.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::support::*;
use crate::*;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn strings_of(j: &serde_json::Value) -> Vec<(String, String)> {
    j["strings"][0][1]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|kv| {
                    (
                        kv[0].as_str().unwrap().into(),
                        kv[1].as_str().unwrap().into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Regenerates the committed fixtures (run by hand: `cargo test --lib
/// pe::tests::external::regenerate_fixtures -- --ignored`).
#[test]
#[ignore]
fn regenerate_fixtures() {
    let dir = tmp();
    let out = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures/pe");
    std::fs::create_dir_all(&out).unwrap();
    let Some(a) = build_c(
        dir.path(),
        "svc-res-x64",
        Arch::X64,
        SERVICE_C,
        Some(RESOURCES_RC),
        &["-s"],
    ) else {
        return;
    };
    std::fs::copy(a, out.join("svc-res-x64.exe")).unwrap();
    let Some(b) = build_c(dir.path(), "hello-x86", Arch::X86, HELLO_C, None, &["-s"]) else {
        return;
    };
    std::fs::copy(b, out.join("hello-x86.exe")).unwrap();
}

#[test]
fn pefile_reads_back_a_stamped_mingw_exe() {
    let dir = tmp();
    let Some(exe) = build_c(dir.path(), "hello", Arch::X64, HELLO_C, None, &[]) else {
        return;
    };
    let input = std::fs::read(&exe).unwrap();
    let st = sample_stamp();
    let icon = ico(&[(16, false), (32, false), (256, true)], 11);
    let out = stamp(&input, &st, Some(&icon)).unwrap();
    let path = dir.path().join("stamped.exe");
    std::fs::write(&path, &out).unwrap();
    let Some(j) = pefile(&path) else { return };
    assert_eq!(j["checksum"], j["generated"]);
    assert_eq!(j["strings"][0][0], "040904B0");
    assert_eq!(strings_of(&j), st.strings);
    assert_eq!(j["translations"][0], "0x0409 0x04b0");
    let fixed = &j["fixed"];
    assert_eq!(fixed[0], 2u64 << 16);
    assert_eq!(fixed[2], 2u64 << 16);
    assert_eq!(fixed[4], 2, "VS_FF_PRERELEASE for 2.0.0-beta.1");
    assert_eq!(fixed[5], 1, "VFT_APP");
    // Icon group 1 lists the three images with the right sizes and ids that exist.
    let parsed = parse_ico(&icon).unwrap();
    let group = j["groups"]["1"].as_array().unwrap();
    assert_eq!(group.len(), 3);
    let res = j["resources"].as_array().unwrap();
    for (entry, img) in group.iter().zip(&parsed.images) {
        assert_eq!(entry[0], u64::from(img.width));
        assert_eq!(entry[5], 32, "bit count");
        assert_eq!(entry[6], img.data.len() as u64);
        let id = entry[7].as_u64().unwrap();
        assert!(res
            .iter()
            .any(|r| r[0] == 3 && r[1] == id && r[3] == img.data.len() as u64));
    }
    // Unstripped MinGW output keeps its COFF symbol table where it was.
    let before = inspect(&input).unwrap();
    assert_eq!(inspect(&out).unwrap().imports, before.imports);
    assert_eq!(
        j["imports"]["kernel32.dll"].as_array().unwrap().len(),
        before.imports["kernel32.dll"].len()
    );
    assert_eq!(
        j["warnings"].as_array().unwrap().len(),
        0,
        "{}",
        j["warnings"]
    );
}

#[test]
fn pefile_sees_the_message_table_and_an_own_one_is_kept() {
    let dir = tmp();
    let Some(exe) = build_c(dir.path(), "hello", Arch::X64, HELLO_C, None, &[]) else {
        return;
    };
    let table = pass_through_messages(4).unwrap();
    let once = stamp_with_messages(
        &std::fs::read(&exe).unwrap(),
        &sample_stamp(),
        None,
        Some(&table),
    )
    .unwrap();
    // Stamping again with another table keeps the one already there.
    let other = message_table(&["other"]).unwrap();
    let twice = stamp_with_messages(&once, &sample_stamp(), None, Some(&other)).unwrap();
    let (a, b) = (dir.path().join("once.exe"), dir.path().join("twice.exe"));
    std::fs::write(&a, &once).unwrap();
    std::fs::write(&b, &twice).unwrap();
    let Some(views) = pefile_many(&[&a, &b]) else {
        return;
    };
    for j in &views {
        let tables: Vec<&serde_json::Value> = j["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r[0] == 11)
            .collect();
        assert_eq!(tables.len(), 1, "{}", j["resources"]);
        assert_eq!(tables[0][1], 1, "message table 1");
        assert_eq!(tables[0][2], 0x0409);
        assert_eq!(tables[0][3], table.len() as u64);
        assert_eq!(j["checksum"], j["generated"]);
    }
}

#[test]
fn existing_resources_survive_in_pefile_view() {
    let dir = tmp();
    let Some(exe) = build_c(
        dir.path(),
        "res",
        Arch::X64,
        SERVICE_C,
        Some(RESOURCES_RC),
        &[],
    ) else {
        return;
    };
    let out = stamp(
        &std::fs::read(&exe).unwrap(),
        &sample_stamp(),
        Some(&ico(&[(32, true)], 3)),
    )
    .unwrap();
    let path = dir.path().join("stamped.exe");
    std::fs::write(&path, &out).unwrap();
    let (Some(a), Some(b)) = (pefile(&exe), pefile(&path)) else {
        return;
    };
    let res = |j: &serde_json::Value, ty: u64| -> Vec<serde_json::Value> {
        j["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r[0] == ty)
            .cloned()
            .collect()
    };
    assert_eq!(res(&a, 24), res(&b, 24), "manifest");
    assert_eq!(res(&a, 6), res(&b, 6), "string table");
    assert_eq!(res(&a, 16).len(), 2, "input has two version languages");
    let v = res(&b, 16);
    assert_eq!(v.len(), 1);
    assert_eq!((v[0][1].clone(), v[0][2].clone()), (1.into(), 1033.into()));
    assert_eq!(b["groups"]["MAINICON"].as_array().unwrap().len(), 1);
    assert_eq!(a["groups"]["7"], b["groups"]["7"]);
    assert_eq!(b["checksum"], b["generated"]);
    assert_eq!(strings_of(&b), sample_stamp().strings);
}

#[test]
fn signature_is_stripped_and_the_result_can_be_signed_again() {
    let dir = tmp();
    let Some(exe) = build_c(dir.path(), "hello", Arch::X64, HELLO_C, None, &["-s"]) else {
        return;
    };
    let Some(signed) = sign(dir.path(), &exe) else {
        return;
    };
    let signed_bytes = std::fs::read(&signed).unwrap();
    assert!(inspect(&signed_bytes).unwrap().has_signature);
    let out = stamp(&signed_bytes, &sample_stamp(), None).unwrap();
    assert!(!inspect(&out).unwrap().has_signature);
    let unsigned_stamp = stamp(&std::fs::read(&exe).unwrap(), &sample_stamp(), None).unwrap();
    assert!(
        out.len() <= unsigned_stamp.len() + 8,
        "certificate data removed"
    );
    let path = dir.path().join("stamped.exe");
    std::fs::write(&path, &out).unwrap();
    if let Some(j) = pefile(&path) {
        assert_eq!(j["security"], serde_json::json!([0, 0]));
        assert_eq!(j["checksum"], j["generated"]);
    }
    // The stamped copy signs and verifies (the signing stage comes next).
    let Some(resigned) = sign(dir.path(), &path) else {
        return;
    };
    let v = Command::new("osslsigncode")
        .args(["verify", "-in"])
        .arg(&resigned)
        .arg("-CAfile")
        .arg(dir.path().join("cert.pem"))
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "osslsigncode verify: {}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let stripped = strip_signature(&std::fs::read(&resigned).unwrap()).unwrap();
    assert!(!inspect(&stripped).unwrap().has_signature);
    assert_eq!(
        compute_checksum(&stripped).unwrap(),
        stored_checksum(&stripped).unwrap()
    );
}

#[test]
fn inspect_matches_pefile_on_x86_and_x64() {
    let dir = tmp();
    for (arch, machine) in [(Arch::X64, Machine::X64), (Arch::X86, Machine::X86)] {
        let name = format!("svc-{arch:?}");
        let Some(exe) = build_c(dir.path(), &name, arch, SERVICE_C, None, &[]) else {
            continue;
        };
        let bytes = std::fs::read(&exe).unwrap();
        let info = inspect(&bytes).unwrap();
        assert_eq!(info.machine, machine);
        assert!(mentions_service_dispatcher(&bytes, &info));
        let Some(j) = pefile(&exe) else { continue };
        let theirs: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_value(j["imports"].clone()).unwrap();
        assert_eq!(info.imports, theirs, "{arch:?}");
        assert_eq!(
            compute_checksum(&bytes).unwrap(),
            j["generated"].as_u64().unwrap() as u32
        );
    }
}

#[test]
fn service_dispatcher_detection() {
    let dir = tmp();
    let d = dir.path();
    let Some(plain) = build_c(d, "plain", Arch::X64, HELLO_C, None, &[]) else {
        return;
    };
    let Some(svc) = build_c(d, "svc", Arch::X64, SERVICE_C, None, &["-s"]) else {
        return;
    };
    let Some(dynamic) = build_c(d, "dyn", Arch::X64, DYNAMIC_SERVICE_C, None, &["-s"]) else {
        return;
    };
    let check = |p: &Path| {
        let b = std::fs::read(p).unwrap();
        let info = inspect(&b).unwrap();
        (mentions_service_dispatcher(&b, &info), info)
    };
    assert!(!check(&plain).0, "a console program is not a service");
    let (yes, info) = check(&svc);
    assert!(yes);
    assert!(info.imports["advapi32.dll"]
        .iter()
        .any(|n| n == "StartServiceCtrlDispatcherW"));
    let (yes, info) = check(&dynamic);
    assert!(yes, "found by name for GetProcAddress");
    assert!(!info.imports.contains_key("advapi32.dll"));

    // Delay-loaded advapi32 (dlltool --output-delaylib) counts as an import.
    if have("x86_64-w64-mingw32-dlltool") {
        std::fs::write(
            d.join("adv.def"),
            "LIBRARY advapi32.dll\nEXPORTS\nStartServiceCtrlDispatcherW\n",
        )
        .unwrap();
        let st = Command::new("x86_64-w64-mingw32-dlltool")
            .current_dir(d)
            .args([
                "--input-def",
                "adv.def",
                "--output-delaylib",
                "libadvdelay.a",
            ])
            .status()
            .unwrap();
        assert!(st.success());
        let lib = d.join("libadvdelay.a");
        let lib = lib.to_str().unwrap();
        let Some(delayed) = build_c(d, "delayed", Arch::X64, SERVICE_C, None, &[lib, "-s"]) else {
            return;
        };
        let b = std::fs::read(&delayed).unwrap();
        let info = inspect(&b).unwrap();
        // GNU ld (binutils 2.40) leaves the delay-import data directory empty, so the
        // import is invisible to table readers (pefile too) and only the name scan sees
        // it; the table path is covered by a synthetic image in the unit tests.
        if let Some(names) = info.imports.get("advapi32.dll") {
            assert!(names.iter().any(|n| n == "StartServiceCtrlDispatcherW"));
        }
        assert!(mentions_service_dispatcher(&b, &info));
    } else {
        skip("delay-load import test: x86_64-w64-mingw32-dlltool is not installed");
    }
}

/// The stamped programs run under Wine, and Windows' own APIs (version.dll,
/// MsiGetFileVersionW as WiX uses it, ExtractIconEx) read what we wrote.
#[test]
fn stamped_programs_run_under_wine_and_windows_apis_read_them() {
    let dir = tmp();
    let d = dir.path();
    let Some(hello) = build_c(d, "hello", Arch::X64, HELLO_C, None, &[]) else {
        return;
    };
    let Some(probe) = build_c(
        d,
        "probe",
        Arch::X64,
        PROBE_C,
        Some(RESOURCES_RC),
        &["-municode", "-lmsi", "-lversion"],
    ) else {
        return;
    };
    let st = sample_stamp();
    let hello_out = d.join("hello-stamped.exe");
    std::fs::write(
        &hello_out,
        stamp(
            &std::fs::read(&hello).unwrap(),
            &st,
            Some(&ico(&[(16, false)], 1)),
        )
        .unwrap(),
    )
    .unwrap();
    let Some(text) = wine_run(&hello_out, &[]) else {
        return;
    };
    assert_eq!(text, "hello from svcpack test\n");

    // Stamp the probe with a bigger, then a smaller icon: appended section, then a
    // grown and an in-place rewrite of it; each must still run.
    let probe_bytes = std::fs::read(&probe).unwrap();
    let first = stamp(&probe_bytes, &st, Some(&ico(&[(16, false)], 1))).unwrap();
    let grown = stamp(
        &first,
        &st,
        Some(&ico(&[(16, false), (64, false), (128, true)], 2)),
    )
    .unwrap();
    let shrunk = stamp(&grown, &st, Some(&ico(&[(32, true)], 3))).unwrap();
    for (name, bytes, icons) in [("p1", &first, 2u32), ("p2", &grown, 2), ("p3", &shrunk, 2)] {
        let p = d.join(format!("{name}.exe"));
        std::fs::write(&p, bytes).unwrap();
        let out = wine_run(&p, &[]).unwrap();
        let get = |k: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .unwrap_or_else(|| panic!("{k} missing in probe output:\n{out}"))
                .to_string()
        };
        for (k, v) in &st.strings {
            assert_eq!(&get(k), v, "{name}: {k}");
        }
        assert_eq!(get("fixed"), "2.0.0.0 flags=2");
        assert_eq!(get("translation"), "040904b0");
        assert_eq!(get("msi_version"), "2.0.0.0");
        assert_eq!(get("msi_language"), "1033");
        assert_eq!(
            get("icon_groups"),
            icons.to_string(),
            "MAINICON replaced, group 7 kept"
        );
        assert_eq!(get("own_manifest"), "1");
        // What inspect() reports is what WiX would put in the File table.
        let info = inspect(bytes).unwrap();
        let v = info.file_version.unwrap();
        assert_eq!(
            format!("{}.{}.{}.{}", v[0], v[1], v[2], v[3]),
            get("msi_version")
        );
        assert_eq!(info.language.unwrap().to_string(), get("msi_language"));
    }

    // An event source's message table, read the way Event Viewer reads it.
    let Some(formatter) = build_c(
        d,
        "fmtmsg",
        Arch::X64,
        FORMAT_MESSAGE_C,
        None,
        &["-municode"],
    ) else {
        return;
    };
    let with_messages = d.join("hello-messages.exe");
    let table = pass_through_messages(1024).unwrap();
    std::fs::write(
        &with_messages,
        stamp_with_messages(&std::fs::read(&hello).unwrap(), &st, None, Some(&table)).unwrap(),
    )
    .unwrap();
    let out = wine_run(&formatter, &[with_messages.to_str().unwrap()]).unwrap();
    assert_eq!(
        out, "0=disk full\n5=disk full\n1023=disk full\n1024=error 317\n",
        "ids 0..1024 show their string; others are not found (ERROR_MR_MID_NOT_FOUND)"
    );
    assert_eq!(
        wine_run(&with_messages, &[]).unwrap(),
        "hello from svcpack test\n"
    );
    wine_stop();
}

/// The event-source formatter: FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE) on the file
/// named by argv[1], loaded as a data file, for a few ids with one insertion string.
const FORMAT_MESSAGE_C: &str = r#"
#include <windows.h>
#include <stdio.h>
int wmain(int argc, wchar_t **argv) {
    HMODULE m;
    static const DWORD ids[] = {0, 5, 1023, 1024};
    int i;
    if (argc < 2) return 2;
    m = LoadLibraryExW(argv[1], NULL, LOAD_LIBRARY_AS_DATAFILE);
    if (!m) { printf("load error %lu\n", GetLastError()); return 1; }
    for (i = 0; i < 4; i++) {
        wchar_t buf[256];
        char text[512];
        DWORD_PTR args[1];
        DWORD n;
        args[0] = (DWORD_PTR)L"disk full";
        n = FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY, m,
                           ids[i], 0, buf, 256, (va_list *)args);
        if (n == 0) { printf("%lu=error %lu\n", ids[i], GetLastError()); continue; }
        WideCharToMultiByte(CP_UTF8, 0, buf, -1, text, sizeof text, NULL, NULL);
        printf("%lu=%s\n", ids[i], text);
    }
    return 0;
}
"#;

/// Benchmark: stamping a ~14 MB Rust (x86_64-pc-windows-gnu) executable. Run with
/// `cargo test --release --lib pe::tests::external::bench -- --ignored --nocapture`.
/// Set SVCPACK_BENCH_EXE to use another large PE file.
#[test]
#[ignore]
fn bench_stamp_large_rust_exe() {
    let dir = tmp();
    let exe = match std::env::var_os("SVCPACK_BENCH_EXE") {
        Some(p) => p.into(),
        None => {
            if !Path::new("/usr/bin/cargo").exists() || !have("x86_64-w64-mingw32-gcc") {
                skip("benchmark: Debian cargo with the windows-gnu std is not installed");
                return;
            }
            let src = dir.path().join("bench");
            std::fs::create_dir_all(src.join("src")).unwrap();
            std::fs::write(
                src.join("Cargo.toml"),
                "[package]\nname = \"bench\"\nversion = \"0.1.0\"\nedition = \"2021\"\n[dependencies]\n",
            )
            .unwrap();
            std::fs::write(
                src.join("src/main.rs"),
                "fn main() { println!(\"hello from a big rust exe {}\", std::env::args().count()); }\n",
            )
            .unwrap();
            let st = Command::new("/usr/bin/cargo")
                .current_dir(&src)
                .args(["build", "--release", "--target", "x86_64-pc-windows-gnu"])
                .env("RUSTC", "/usr/bin/rustc")
                .env(
                    "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER",
                    "x86_64-w64-mingw32-gcc",
                )
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("RUSTFLAGS")
                .status()
                .unwrap();
            assert!(st.success());
            src.join("target/x86_64-pc-windows-gnu/release/bench.exe")
        }
    };
    let input = std::fs::read(&exe).unwrap();
    let st = sample_stamp();
    let icon = ico(&[(16, false), (32, false), (256, true)], 1);
    let mut times = Vec::new();
    let mut out = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        out = stamp(&input, &st, Some(&icon)).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let t = Instant::now();
    let ck = compute_checksum(&out).unwrap();
    let ck_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let info = inspect(&out).unwrap();
    let found = mentions_service_dispatcher(&out, &info);
    let scan_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "BENCH stamp {:.1} MB: min {:.2} ms, median {:.2} ms, max {:.2} ms; checksum alone {:.2} ms; inspect+dispatcher scan {:.2} ms (found={found})",
        input.len() as f64 / 1e6,
        times[0],
        times[times.len() / 2],
        times[times.len() - 1],
        ck_ms,
        scan_ms
    );
    assert_eq!(ck, stored_checksum(&out).unwrap());
    let path = dir.path().join("stamped.exe");
    std::fs::write(&path, &out).unwrap();
    if let Some(j) = pefile(&path) {
        assert_eq!(j["checksum"], j["generated"]);
        assert_eq!(strings_of(&j), st.strings);
    }
    if let Some(text) = wine_run(&path, &[]) {
        assert!(text.starts_with("hello from a big rust exe"), "{text}");
        wine_stop();
    }
    assert!(
        times[times.len() / 2] < 50.0,
        "stamping must take well under 50 ms"
    );
}

/// Every PE file in a corpus (default: Wine's own Windows DLLs and EXEs, and the MSVC
/// launcher stubs pip ships, when present; or SVCPACK_PE_CORPUS=dir:dir:file) is read by
/// inspect() exactly as pefile reads it, and stamps into a file pefile agrees with.
/// Run with `cargo test --release --lib pe::tests::external::corpus -- --ignored --nocapture`.
#[test]
#[ignore]
fn corpus_agrees_with_pefile() {
    let roots: Vec<std::path::PathBuf> = match std::env::var_os("SVCPACK_PE_CORPUS") {
        Some(v) => std::env::split_paths(&v).collect(),
        None => vec![
            "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows".into(),
            "/usr/lib/x86_64-linux-gnu/wine/i386-windows".into(),
            "/usr/lib/python3/dist-packages/pip/_vendor/distlib".into(),
        ],
    };
    let mut files = Vec::new();
    for r in &roots {
        if r.is_file() {
            files.push(r.clone());
        } else if let Ok(rd) = std::fs::read_dir(r) {
            let mut v: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
            v.sort();
            files.extend(v.into_iter().filter(|p| {
                let ext = p
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                matches!(ext.as_str(), "exe" | "dll" | "sys" | "drv" | "ocx" | "cpl")
            }));
        }
    }
    if files.is_empty() {
        skip("corpus test: no PE files found");
        return;
    }
    let dir = tmp();
    let st = sample_stamp();
    let icon = ico(&[(16, false), (32, true)], 1);
    let mut failures = Vec::new();
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    let mut stamped = 0;
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).unwrap();
        if !is_pe(&bytes) {
            continue;
        }
        let info = match inspect(&bytes) {
            Ok(i) => i,
            Err(e) => {
                failures.push(format!("{}: inspect: {e}", f.display()));
                continue;
            }
        };
        match stamp(&bytes, &st, Some(&icon)) {
            Ok(out) => {
                let p = dir.path().join(format!("{i}.out"));
                std::fs::write(&p, out).unwrap();
                inputs.push((f.clone(), info));
                outputs.push(p);
                stamped += 1;
            }
            Err(e) => failures.push(format!("{}: stamp: {e}", f.display())),
        }
    }
    let in_paths: Vec<&Path> = inputs.iter().map(|(p, _)| p.as_path()).collect();
    let out_paths: Vec<&Path> = outputs.iter().map(|p| p.as_path()).collect();
    let (Some(before), Some(after)) = (pefile_many(&in_paths), pefile_many(&out_paths)) else {
        return;
    };
    let map = |v: &[(String, String)]| {
        v.iter()
            .cloned()
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    for (((path, info), b), a) in inputs.iter().zip(&before).zip(&after) {
        let name = path.display();
        let theirs: std::collections::BTreeMap<String, Vec<String>> =
            serde_json::from_value(b["imports"].clone()).unwrap();
        if info.imports != theirs {
            failures.push(format!("{name}: imports differ from pefile"));
        }
        // pefile reads any RT_VERSION; Windows (GetFileVersionInfo, MsiGetFileVersion)
        // only id 1, preferring US English among several languages.
        let resources = b["resources"].as_array().unwrap();
        let has_id1 = resources.iter().any(|r| r[0] == 16 && r[1] == 1);
        if !has_id1 {
            if info.file_version.is_some() {
                failures.push(format!("{name}: version read without an RT_VERSION id 1"));
            }
        } else if resources.iter().filter(|r| r[0] == 16).count() == 1 {
            let their_fixed = b["fixed"].as_array().map(|f| {
                let (ms, ls) = (f[0].as_u64().unwrap() as u32, f[1].as_u64().unwrap() as u32);
                [(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16]
            });
            if info.file_version != their_fixed {
                failures.push(format!(
                    "{name}: file version {:?} vs pefile {their_fixed:?}",
                    info.file_version
                ));
            }
            if map(&info.version_strings) != map(&strings_of(b)) {
                failures.push(format!("{name}: version strings differ from pefile"));
            }
        } else {
            // Several languages: ours must be one of the tables pefile found.
            let tables = b["strings"].as_array().unwrap();
            let ours = map(&info.version_strings);
            let found = tables.iter().any(|t| {
                let wrapped = serde_json::json!({ "strings": [t] });
                map(&strings_of(&wrapped)) == ours
            });
            if !found && !ours.is_empty() {
                failures.push(format!("{name}: version strings match no pefile table"));
            }
        }
        if a["checksum"] != a["generated"] {
            failures.push(format!("{name}: stamped checksum wrong"));
        }
        if strings_of(a) != st.strings {
            failures.push(format!("{name}: stamped strings not read back"));
        }
        // Resources other than versions and icons are byte-identical.
        let keep = |j: &serde_json::Value| -> Vec<serde_json::Value> {
            j["resources"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| !matches!(r[0].as_u64(), Some(3 | 14 | 16)))
                .cloned()
                .collect()
        };
        if keep(b) != keep(a) {
            failures.push(format!("{name}: other resources changed"));
        }
    }
    eprintln!(
        "CORPUS {} files, {stamped} stamped and checked, {} failures",
        files.len(),
        failures.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty());
}
