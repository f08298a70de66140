//! Event Viewer can show a service's messages: the packaged program of a service with an
//! event source carries a message table (read back with pefile, an independent PE reader:
//! RT_MESSAGETABLE, ids 0 to 1023, each the Unicode pass-through text `%1`), and under
//! Wine the MSI registers the Application event source with EventMessageFile naming the
//! installed exe, and removes it on uninstall.
//!
//! Skips with a loud notice without the Windows toolchain and Wine; fails instead with
//! `SVCPACK_REQUIRE_WINE=1` (CI). The pefile check needs python3 with pefile
//! (`scripts/setup --test`); without it, it skips with a notice, and fails where
//! `SVCPACK_REQUIRE_TOOLS=1`.

mod support;

use std::process::Command;

use support::*;

/// Prints `LOW-HIGH` per block, then each distinct (flags, text) of the message table.
const READ_TABLE: &str = r#"
import struct, sys, pefile
pe = pefile.PE(sys.argv[1])
tables = [e for e in pe.DIRECTORY_ENTRY_RESOURCE.entries
          if e.id == pefile.RESOURCE_TYPE["RT_MESSAGETABLE"]]
assert len(tables) == 1, "no RT_MESSAGETABLE"
leaf = tables[0].directory.entries[0].directory.entries[0].data.struct
data = pe.get_data(leaf.OffsetToData, leaf.Size)
(blocks,) = struct.unpack_from("<I", data, 0)
seen = set()
for b in range(blocks):
    low, high, at = struct.unpack_from("<III", data, 4 + 12 * b)
    print("%d-%d" % (low, high))
    for _ in range(low, high + 1):
        length, flags = struct.unpack_from("<HH", data, at)
        raw = data[at + 4:at + length]
        text = raw.decode("utf-16-le" if flags == 1 else "latin-1").rstrip("\0")
        seen.add((flags, text))
        at += length
for flags, text in sorted(seen):
    print("%d %s" % (flags, text))
"#;

#[test]
fn the_program_carries_messages_and_the_event_source_names_it() {
    let Some(tc) = windows_toolchain() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let crate_dir = copy_fixture("example-service", &work.path().join("svc"));
    let port = next_port();
    set_service_port(&crate_dir, port);
    let out = work.path().join("out");
    let msi = svcpack_build_msi(tc, &crate_dir, &out);

    let pefile = Command::new("python3")
        .args(["-c", "import pefile"])
        .output()
        .is_ok_and(|o| o.status.success());
    if pefile {
        // The zip carries the same exe bytes as the MSI (the SBOM test checks both digests).
        let zip = out.join("example-service-0.1.0-x64-portable.zip");
        let exe = unzip(&zip)
            .into_iter()
            .find(|(n, _)| n == "example-service.exe")
            .map(|(_, b)| b)
            .expect("the exe in the zip");
        let path = work.path().join("example-service.exe");
        std::fs::write(&path, exe).unwrap();
        let o = Command::new("python3")
            .args(["-c", READ_TABLE])
            .arg(&path)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(printed, "0-1023\n1 %1\n");
    } else {
        assert!(
            !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
            "SVCPACK_REQUIRE_TOOLS=1 but python3's pefile is missing (scripts/setup --test)"
        );
        eprintln!("notice: skipping the message table check: pefile is missing");
    }

    let wine = WinePrefix::new();
    wine.msiexec_install(&msi).assert_success();
    let key = r"HKLM\System\CurrentControlSet\Services\EventLog\Application\SvcpackExample";
    let file = wine
        .reg_value(key, "EventMessageFile")
        .map(|v| v.to_string())
        .unwrap_or_default();
    assert_eq!(
        file.to_ascii_lowercase(),
        r"c:\program files\svcpack example service\example-service.exe",
        "EventMessageFile"
    );
    wine.net_stop("SvcpackExample").assert_success();
    assert!(wine.wait_process_gone("example-service.exe", secs(15)));
    wine.msiexec_uninstall(&msi).assert_success();
    assert!(
        wine.reg_key_absent(key),
        "the event source outlives the product"
    );
}
