//! Packages whose files span several cabinets: a MediaTemplate that fills cabinets up to
//! MaximumUncompressedMediaSize, explicit Media elements chosen by File/@DiskId, cabinets
//! beside the MSI (EmbedCab="no"), and the limits of Windows Installer and the cabinet
//! format (a file over 2 GiB, more than 32,767 files in one Media row, a cabinet past the
//! cabinet API's 2 GiB) as one located error or an automatic split.
//!
//! The Media table and streams are read back with msitools (`msiinfo`, `msiextract`;
//! SVCPACK_REQUIRE_MSITOOLS=1 makes their absence a failure) and the multi-cabinet package
//! installs under Wine (SVCPACK_REQUIRE_WINE=1 makes a missing Wine a failure). Large
//! payloads are sparse files: gigabytes on the compiler's side, little on disk.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

const UPGRADE: &str = "5D3E4F50-6071-4829-AB0C-D1E2F3A4B5C6";

/// A WiX v3 package, one component per file in INSTALLDIR (`Multi`), with `media`
/// (MediaTemplate or Media elements) and each file's extra attributes (e.g. `DiskId`).
fn package(dir: &Path, media: &str, files: &[(&str, &str)]) -> PathBuf {
    let (comps, refs) = component_per_file(files);
    write_product(
        &dir.join("multi.wxs"),
        "Multi",
        UPGRADE,
        media,
        &comps,
        &refs,
    )
}

/// Line of `multi.wxs` holding `needle` (1-based), for located errors.
fn line_of(src: &Path, needle: &str) -> usize {
    std::fs::read_to_string(src)
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .expect("needle in source")
        + 1
}

/// Ten files of 512 KiB each (5 MiB), named `f0.bin`…`f9.bin`.
fn five_megabytes(dir: &Path) -> Vec<String> {
    (0..10)
        .map(|i| {
            let name = format!("f{i}.bin");
            std::fs::write(dir.join(&name), noise(512 << 10, i as u64 + 1)).unwrap();
            name
        })
        .collect()
}

/// The Media rows of a compiled (not written) package: (DiskId, LastSequence, Cabinet).
fn media_rows(src: &Path) -> Vec<(i64, i64, String)> {
    let compiled = svcpack::wix::compile(
        &[src.to_path_buf()],
        &compile_options(src.parent().unwrap()),
    )
    .expect("compiles");
    compiled.database.tables["Media"]
        .iter()
        .map(|(values, _)| {
            let text = |v: &svcpack::wix::model::Val| match v {
                svcpack::wix::model::Val::Str(s) => s.clone(),
                _ => String::new(),
            };
            let int = |v: &svcpack::wix::model::Val| match v {
                svcpack::wix::model::Val::Int(n) => i64::from(*n),
                other => panic!("not an integer: {other:?}"),
            };
            (int(&values[0]), int(&values[1]), text(&values[3]))
        })
        .collect()
}

fn compile_error(src: &Path) -> String {
    match svcpack::wix::compile(
        &[src.to_path_buf()],
        &compile_options(src.parent().unwrap()),
    ) {
        Ok(_) => panic!("{} compiled, but it should not", src.display()),
        Err(e) => e.to_string(),
    }
}

fn msitools(what: &str) -> bool {
    if on_path("msiinfo") && on_path("msiextract") {
        return true;
    }
    if std::env::var_os("SVCPACK_REQUIRE_MSITOOLS").is_some() {
        panic!("msitools (msiinfo, msiextract) are required for {what}");
    }
    eprintln!("NOTICE: msitools not found; skipped {what}");
    false
}

fn msiinfo_streams(msi: &Path) -> Vec<String> {
    let out = Command::new("msiinfo")
        .arg("streams")
        .arg(msi)
        .output()
        .expect("run msiinfo streams");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Extracts `msi` with msiextract into `into` and checks every file against `dir`.
fn assert_extracts_identical(msi: &Path, into: &Path, dir: &Path, names: &[String]) {
    let out = Command::new("msiextract")
        .arg("-C")
        .arg(into)
        .arg(msi)
        .output()
        .expect("run msiextract");
    assert!(out.status.success(), "{out:?}");
    for name in names {
        let got = std::fs::read(into.join("Multi").join(name))
            .unwrap_or_else(|e| panic!("{name} extracted: {e}"));
        assert!(
            got == std::fs::read(dir.join(name)).unwrap(),
            "{name} differs"
        );
    }
}

const TEMPLATE_1MB: &str = r#"<MediaTemplate EmbedCab="yes" MaximumUncompressedMediaSize="1"/>"#;

#[test]
fn a_media_template_fills_several_embedded_cabinets_that_extract_identical() {
    let dir = tempfile::tempdir().unwrap();
    let names = five_megabytes(dir.path());
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let src = package(dir.path(), TEMPLATE_1MB, &files);

    // Two 512 KiB files reach 1 MiB; a third would pass it: two files a cabinet.
    let rows = media_rows(&src);
    let expected: Vec<(i64, i64, String)> = (1..=5)
        .map(|d| (d, 2 * d, format!("#cab{d}.cab")))
        .collect();
    assert_eq!(rows, expected);

    let (one, two) = (dir.path().join("one.msi"), dir.path().join("two.msi"));
    compile_to(&src, &one);
    compile_to(&src, &two);
    assert!(
        std::fs::read(&one).unwrap() == std::fs::read(&two).unwrap(),
        "two compiles are byte-identical"
    );
    if !msitools("reading back a multi-cabinet package") {
        return;
    }
    let media = msiinfo_export(&one, "Media").unwrap();
    let exported: Vec<&str> = media.lines().skip(3).collect();
    assert_eq!(exported.len(), 5, "{media}");
    assert!(exported[0].starts_with("1\t2\t\t#cab1.cab"), "{media}");
    assert!(exported[4].starts_with("5\t10\t\t#cab5.cab"), "{media}");
    let streams = msiinfo_streams(&one);
    for d in 1..=5 {
        assert!(
            streams.contains(&format!("cab{d}.cab")),
            "cab{d}.cab in {streams:?}"
        );
    }
    assert_extracts_identical(&one, &dir.path().join("x"), dir.path(), &names);
}

#[test]
fn a_multi_cabinet_package_installs_files_identical_under_wine() {
    if windows_toolchain().is_none() {
        return;
    }
    let wine = WinePrefix::new();
    let dir = wine.scratch_dir().join("multi");
    std::fs::create_dir_all(&dir).unwrap();
    let names = five_megabytes(&dir);
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let src = package(&dir, TEMPLATE_1MB, &files);
    let msi = dir.join("multi.msi");
    compile_to(&src, &msi);
    wine.msiexec_install(&msi).assert_success();
    let installed = wine.program_files().join("Multi");
    for name in &names {
        assert!(
            std::fs::read(installed.join(name)).unwrap() == std::fs::read(dir.join(name)).unwrap(),
            "{name} installed identical"
        );
    }
}

#[test]
fn explicit_media_take_the_files_their_disk_id_names() {
    let dir = tempfile::tempdir().unwrap();
    let names = five_megabytes(dir.path());
    // Odd files on disk 2, even ones on disk 1: sequences follow disks, then authoring.
    let files: Vec<(&str, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), if i % 2 == 1 { "DiskId=\"2\"" } else { "" }))
        .collect();
    let media = r#"<Media Id="1" Cabinet="first.cab" EmbedCab="yes"/>
    <Media Id="2" Cabinet="second.cab" EmbedCab="yes"/>"#;
    let src = package(dir.path(), media, &files);
    assert_eq!(
        media_rows(&src),
        vec![
            (1, 5, "#first.cab".to_string()),
            (2, 10, "#second.cab".to_string())
        ]
    );
    let msi = dir.path().join("multi.msi");
    compile_to(&src, &msi);
    if !msitools("reading back explicit Media") {
        return;
    }
    let file_table = msiinfo_export(&msi, "File").unwrap();
    for (i, name) in names.iter().enumerate() {
        let row = file_table
            .lines()
            .find(|l| l.starts_with(&format!("F{i}\t")))
            .unwrap_or_else(|| panic!("F{i} in {file_table}"));
        let sequence: usize = row.split('\t').nth(7).unwrap().parse().unwrap();
        let expected = if i % 2 == 0 { i / 2 + 1 } else { 5 + i / 2 + 1 };
        assert_eq!(sequence, expected, "{name}: {row}");
    }
    let streams = msiinfo_streams(&msi);
    assert!(streams.contains(&"first.cab".to_string()), "{streams:?}");
    assert!(streams.contains(&"second.cab".to_string()), "{streams:?}");
    assert_extracts_identical(&msi, &dir.path().join("x"), dir.path(), &names);
}

#[test]
fn cabinets_not_embedded_are_written_beside_the_msi() {
    let dir = tempfile::tempdir().unwrap();
    let names = five_megabytes(dir.path());
    let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let src = package(
        dir.path(),
        r#"<MediaTemplate EmbedCab="no" CabinetTemplate="disk{0}.cab" MaximumUncompressedMediaSize="1"/>"#,
        &files,
    );
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let msi = out.join("multi.msi");
    compile_to(&src, &msi);
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "disk1.cab",
            "disk2.cab",
            "disk3.cab",
            "disk4.cab",
            "disk5.cab",
            "multi.msi"
        ]
    );
    // Each cabinet holds its two files, by File key, byte-identical.
    if !on_path("cabextract") {
        if std::env::var_os("SVCPACK_REQUIRE_MSITOOLS").is_some() {
            panic!("cabextract is required to read external cabinets");
        }
        eprintln!("NOTICE: cabextract not found; skipped reading external cabinets");
        return;
    }
    for d in 1..=5usize {
        let into = dir.path().join(format!("x{d}"));
        let status = Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(&into)
            .arg(out.join(format!("disk{d}.cab")))
            .status()
            .unwrap();
        assert!(status.success());
        for i in [2 * d - 2, 2 * d - 1] {
            assert!(
                std::fs::read(into.join(format!("F{i}"))).unwrap()
                    == std::fs::read(dir.path().join(&names[i])).unwrap(),
                "F{i} in disk{d}.cab"
            );
        }
    }
    if !msitools("reading back external cabinets") {
        return;
    }
    let media = msiinfo_export(&msi, "Media").unwrap();
    assert!(media.contains("1\t2\t\tdisk1.cab"), "{media}");
    assert!(
        !msiinfo_streams(&msi).iter().any(|s| s.ends_with(".cab")),
        "no cabinet embedded"
    );
}

#[test]
fn a_file_of_four_gigabytes_is_one_located_error() {
    let dir = tempfile::tempdir().unwrap();
    sparse_file(&dir.path().join("huge.bin"), 4 << 30);
    std::fs::write(dir.path().join("small.txt"), "small\n").unwrap();
    let src = package(
        dir.path(),
        r#"<MediaTemplate EmbedCab="yes"/>"#,
        &[("small.txt", ""), ("huge.bin", "")],
    );
    let msg = compile_error(&src);
    let at = format!("multi.wxs:{}", line_of(&src, "Name=\"huge.bin\""));
    assert!(msg.contains(&at), "located at the File ({at}): {msg}");
    assert!(
        msg.contains("huge.bin") && msg.contains("4294967296"),
        "{msg}"
    );
    assert!(msg.contains("2147483647"), "names the limit: {msg}");
    assert_eq!(msg.lines().count(), 1, "one error: {msg}");
}

/// A package with `n` files in one component, all from the same one-line source.
fn many_files_one_component(dir: &Path, n: usize, media: &str) -> PathBuf {
    std::fs::write(dir.join("one.txt"), "one\n").unwrap();
    let mut files = String::new();
    for i in 0..n {
        let key = if i == 0 { " KeyPath=\"yes\"" } else { "" };
        files.push_str(&format!(
            "<File Id=\"F{i}\" Name=\"f{i:05}.txt\" Source=\"one.txt\"{key}/>\n"
        ));
    }
    let comps = format!(
        "<Component Id=\"All\" Guid=\"6E4F5061-7182-493A-BC1D-E2F3A4B5C6D7\" \
         Win64=\"yes\">\n{files}</Component>\n"
    );
    let refs = "<ComponentRef Id=\"All\"/>";
    write_product(
        &dir.join("multi.wxs"),
        "Multi",
        UPGRADE,
        media,
        &comps,
        refs,
    )
}

#[test]
fn more_than_32767_files_on_one_media_is_one_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let src = many_files_one_component(
        dir.path(),
        32_768,
        r#"<Media Id="1" Cabinet="all.cab" EmbedCab="yes"/>"#,
    );
    let msg = compile_error(&src);
    let at = format!("multi.wxs:{}", line_of(&src, "<Media Id=\"1\""));
    assert!(msg.contains(&at), "located at the Media ({at}): {msg}");
    assert!(msg.contains("32768") && msg.contains("32767"), "{msg}");
    assert_eq!(msg.lines().count(), 1, "one error: {msg}");
}

#[test]
fn a_media_template_opens_a_new_cabinet_after_32767_files() {
    let dir = tempfile::tempdir().unwrap();
    let src = many_files_one_component(dir.path(), 32_768, r#"<MediaTemplate EmbedCab="yes"/>"#);
    assert_eq!(
        media_rows(&src),
        vec![
            (1, 32_767, "#cab1.cab".to_string()),
            (2, 32_768, "#cab2.cab".to_string())
        ]
    );
}

#[test]
fn a_media_template_splits_before_a_cabinet_would_pass_two_gigabytes() {
    let dir = tempfile::tempdir().unwrap();
    // 2,000,000,002 bytes together: under MaximumUncompressedMediaSize (4000 MB) but past
    // what a cabinet can hold after MSZIP's worst case, so each file gets its own cabinet.
    for name in ["a.bin", "b.bin"] {
        sparse_file(&dir.path().join(name), 1_000_000_001);
    }
    let src = package(
        dir.path(),
        r#"<MediaTemplate EmbedCab="yes" MaximumUncompressedMediaSize="4000"/>"#,
        &[("a.bin", ""), ("b.bin", "")],
    );
    assert_eq!(
        media_rows(&src),
        vec![
            (1, 1, "#cab1.cab".to_string()),
            (2, 2, "#cab2.cab".to_string())
        ]
    );
}

/// `cargo svcpack build` of a package whose extra files (two sparse 150 MB files) pass the
/// template's MediaTemplate default of 200 MB a cabinet: the MSI carries two cabinets.
#[test]
fn a_build_with_large_files_splits_its_payload_over_cabinets() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from(
        "name = \"bigfiles\"\nversion = \"1.0.0\"\nauthors = [\"svcpack\"]\n\
         binary = \"bigfiles\"\nupgrade-code = \"7F5A6B7C-8D9E-4FA0-B1C2-D3E4F5A6B7C8\"\n",
    );
    for name in ["a.dat", "b.dat"] {
        let path = dir.path().join(name);
        sparse_file(&path, 150 << 20);
        config.push_str(&format!(
            "[[files]]\nsource = {:?}\n",
            path.to_str().unwrap()
        ));
    }
    std::fs::write(dir.path().join("svcpack.toml"), config).unwrap();
    let out = dir.path().join("out");
    let exe = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pe/svc-res-x64.exe");
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-svcpack"))
        .arg("svcpack")
        .arg("build")
        .arg("--config")
        .arg(dir.path().join("svcpack.toml"))
        .args(["--no-build", "--target", "x86_64-pc-windows-gnu", "-q"])
        .arg("--binary")
        .arg(&exe)
        .arg("--out-dir")
        .arg(&out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let msi = out.join("bigfiles-1.0.0-x64.msi");
    let mut pkg = msi::Package::open(std::fs::File::open(&msi).unwrap()).unwrap();
    let media: Vec<(i32, String)> = pkg
        .select_rows(msi::Select::table("Media"))
        .unwrap()
        .map(|r| (r[1].as_int().unwrap(), r[3].as_str().unwrap().to_string()))
        .collect();
    // The exe and a.dat fill the first cabinet; b.dat would pass 200 MB.
    assert_eq!(
        media,
        [(2, "#cab1.cab".to_string()), (3, "#cab2.cab".to_string())]
    );
    let streams: Vec<String> = pkg.streams().collect();
    assert!(
        streams.contains(&"cab1.cab".to_string()) && streams.contains(&"cab2.cab".to_string()),
        "{streams:?}"
    );
}
