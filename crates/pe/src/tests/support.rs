//! Test inputs made at test time: icons, C programs built with MinGW, signed copies,
//! and the independent readers (pefile, Wine). Anything that needs a missing tool
//! returns `None` after printing a notice, so the test skips instead of failing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::VersionStamp;

pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool} >/dev/null 2>&1"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Reports a check that cannot run for want of a tool: a notice on a developer's machine, a
/// failure where `SVCPACK_REQUIRE_TOOLS=1` (CI installs every tool these tests use).
pub fn skip(what: &str) {
    assert!(
        !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
        "SVCPACK_REQUIRE_TOOLS=1 but {what}"
    );
    eprintln!("NOTICE: skipping {what}");
}

pub fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join("tests/fixtures/pe")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

pub fn sample_stamp() -> VersionStamp {
    VersionStamp {
        file_version: [2, 0, 0, 0],
        product_version: [2, 0, 0, 0],
        language: 0x0409,
        strings: vec![
            ("CompanyName".into(), "Ünïcode Tools \"Ltd\"".into()),
            (
                "FileDescription".into(),
                "Ledger Agent — answers ledger queries".into(),
            ),
            ("FileVersion".into(), "2.0.0.0".into()),
            ("InternalName".into(), "ledger-agent".into()),
            (
                "LegalCopyright".into(),
                "Copyright (c) 2024 Ünïcode Tools \"Ltd\"".into(),
            ),
            ("OriginalFilename".into(), "ledger-agent.exe".into()),
            ("ProductName".into(), "Ledger Agent 日本語 🚀".into()),
            ("ProductVersion".into(), "2.0.0-beta.1".into()),
        ],
    }
}

// ---------------------------------------------------------------------------------
// Icons

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A w×h RGBA PNG (zlib stored blocks: no compressor needed).
pub fn png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0);
        for x in 0..w {
            raw.extend_from_slice(&[(x * 7) as u8 ^ seed, (y * 5) as u8, seed, 255]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, b) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = b.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(b);
    }
    let (mut a, mut bsum) = (1u32, 0u32);
    for &c in &raw {
        a = (a + u32::from(c)) % 65521;
        bsum = (bsum + a) % 65521;
    }
    z.extend_from_slice(&((bsum << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |ty: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = ty.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&crc32(&c).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    out
}

/// A 32-bpp icon DIB (BITMAPINFOHEADER, double height, XOR pixels, AND mask).
pub fn dib(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let mut d = Vec::new();
    for v in [40u32, w, h * 2] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&1u16.to_le_bytes());
    d.extend_from_slice(&32u16.to_le_bytes());
    for v in [0u32, w * h * 4, 0, 0, 0, 0] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    for i in 0..w * h {
        d.extend_from_slice(&[seed, (i * 3) as u8, (i / 7) as u8, 255]);
    }
    let mask_row = w.div_ceil(32) * 4;
    d.resize(d.len() + (mask_row * h) as usize, 0);
    d
}

/// An .ico file holding the given images (pixel size, PNG?).
pub fn ico(images: &[(u32, bool)], seed: u8) -> Vec<u8> {
    let datas: Vec<Vec<u8>> = images
        .iter()
        .map(|&(s, is_png)| {
            if is_png {
                png(s, s, seed)
            } else {
                dib(s, s, seed)
            }
        })
        .collect();
    let mut out = Vec::new();
    out.extend_from_slice(&[0, 0, 1, 0]);
    out.extend_from_slice(&(images.len() as u16).to_le_bytes());
    let mut offset = 6 + 16 * images.len() as u32;
    for (&(s, is_png), d) in images.iter().zip(&datas) {
        let dim = if s >= 256 { 0 } else { s as u8 };
        out.extend_from_slice(&[dim, dim, 0, 0]);
        // PNG entries conventionally leave planes and bit count 0.
        let (planes, bits) = if is_png { (0u16, 0u16) } else { (1, 32) };
        out.extend_from_slice(&planes.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(&(d.len() as u32).to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
        offset += d.len() as u32;
    }
    for d in &datas {
        out.extend_from_slice(d);
    }
    out
}

// ---------------------------------------------------------------------------------
// MinGW-built programs

pub const HELLO_C: &str = r#"
#include <stdio.h>
int main(void) { printf("hello from svcpack test\n"); return 0; }
"#;

/// Imports StartServiceCtrlDispatcherW but only calls it when given many arguments, so
/// running it under Wine does not block.
pub const SERVICE_C: &str = r#"
#include <windows.h>
#include <stdio.h>
static void WINAPI svc_main(DWORD argc, LPWSTR *argv) { (void)argc; (void)argv; }
int main(int argc, char **argv) {
    SERVICE_TABLE_ENTRYW table[] = {{L"svc", svc_main}, {NULL, NULL}};
    (void)argv;
    if (argc > 5) StartServiceCtrlDispatcherW(table);
    printf("service exe\n");
    return 0;
}
"#;

/// Finds the dispatcher at run time, as Go's x/sys/windows/svc does.
pub const DYNAMIC_SERVICE_C: &str = r#"
#include <windows.h>
#include <stdio.h>
int main(void) {
    HMODULE m = LoadLibraryA("advapi32.dll");
    FARPROC f = GetProcAddress(m, "StartServiceCtrlDispatcherW");
    printf("%d\n", f != NULL);
    return 0;
}
"#;

/// Prints its own (or argv[1]'s) version information as Windows APIs read it:
/// VerQueryValueW strings, the fixed version, MsiGetFileVersionW (what WiX uses for
/// File.Version/File.Language) and the number of icon groups Explorer would see.
pub const PROBE_C: &str = r#"
#include <windows.h>
#include <shellapi.h>
#include <msi.h>
#include <stdio.h>
static void put(const char *k, const WCHAR *v) {
    char buf[4096];
    int n = WideCharToMultiByte(CP_UTF8, 0, v, -1, buf, sizeof buf, NULL, NULL);
    if (n <= 0) buf[0] = 0;
    printf("%s=%s\n", k, buf);
}
int wmain(int argc, WCHAR **argv) {
    WCHAR self[MAX_PATH];
    const WCHAR *path = argv[1];
    if (argc < 2) { GetModuleFileNameW(NULL, self, MAX_PATH); path = self; }
    DWORD h = 0, size = GetFileVersionInfoSizeW(path, &h);
    printf("size=%lu\n", (unsigned long)size);
    if (size) {
        void *data = malloc(size);
        GetFileVersionInfoW(path, 0, size, data);
        VS_FIXEDFILEINFO *ffi; UINT len;
        if (VerQueryValueW(data, L"\\", (void **)&ffi, &len))
            printf("fixed=%lu.%lu.%lu.%lu flags=%lu\n",
                   (unsigned long)HIWORD(ffi->dwFileVersionMS), (unsigned long)LOWORD(ffi->dwFileVersionMS),
                   (unsigned long)HIWORD(ffi->dwFileVersionLS), (unsigned long)LOWORD(ffi->dwFileVersionLS),
                   (unsigned long)ffi->dwFileFlags);
        WORD *tr;
        if (VerQueryValueW(data, L"\\VarFileInfo\\Translation", (void **)&tr, &len) && len >= 4)
            printf("translation=%04x%04x\n", tr[0], tr[1]);
        const WCHAR *keys[] = {L"CompanyName", L"FileDescription", L"FileVersion", L"InternalName",
                               L"LegalCopyright", L"OriginalFilename", L"ProductName", L"ProductVersion"};
        const char *names[] = {"CompanyName", "FileDescription", "FileVersion", "InternalName",
                               "LegalCopyright", "OriginalFilename", "ProductName", "ProductVersion"};
        for (int i = 0; i < 8; i++) {
            WCHAR q[128]; WCHAR *v;
            wsprintfW(q, L"\\StringFileInfo\\%04x%04x\\%s", tr[0], tr[1], keys[i]);
            if (VerQueryValueW(data, q, (void **)&v, &len)) put(names[i], v);
        }
    }
    WCHAR ver[64], lang[64]; DWORD vl = 64, ll = 64;
    UINT r = MsiGetFileVersionW(path, ver, &vl, lang, &ll);
    if (r == 0) { put("msi_version", ver); put("msi_language", lang); }
    else printf("msi_error=%u\n", r);
    printf("icon_groups=%u\n", ExtractIconExW(path, -1, NULL, NULL, 0));
    HRSRC man = FindResourceW(NULL, MAKEINTRESOURCEW(1), MAKEINTRESOURCEW(24));
    printf("own_manifest=%d\n", man != NULL);
    return 0;
}
"#;

/// An existing-resources script: manifest, a named main icon, a second icon group, a
/// string table and version resources in two languages (all to be replaced).
pub const RESOURCES_RC: &str = r#"
#include <windows.h>
LANGUAGE 9, 1
1 24 "app.manifest"
MAINICON ICON "old.ico"
7 ICON "other.ico"
STRINGTABLE
BEGIN
  101 "A string that must survive"
END
1 VERSIONINFO
FILEVERSION 9,9,9,9
PRODUCTVERSION 9,9,9,9
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "CompanyName", "Old Company"
      VALUE "ProductVersion", "9.9.9.9"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
LANGUAGE 7, 1
1 VERSIONINFO
FILEVERSION 8,8,8,8
BEGIN
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x407, 1200
  END
END
"#;

pub const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges>
      <requestedExecutionLevel level="asInvoker" uiAccess="false"/>
    </requestedPrivileges></security>
  </trustInfo>
</assembly>
"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Arch {
    X64,
    X86,
}

impl Arch {
    fn prefix(self) -> &'static str {
        match self {
            Arch::X64 => "x86_64-w64-mingw32",
            Arch::X86 => "i686-w64-mingw32",
        }
    }
}

/// Compiles `c_source` (plus `rc` resources, whose files are written next to it) with
/// MinGW; `None` with a notice when the cross compiler is absent.
pub fn build_c(
    dir: &Path,
    name: &str,
    arch: Arch,
    c_source: &str,
    rc: Option<&str>,
    extra: &[&str],
) -> Option<PathBuf> {
    let gcc = format!("{}-gcc", arch.prefix());
    if !have(&gcc) {
        skip(&format!("{name}: {gcc} is not installed"));
        return None;
    }
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, c_source).ok()?;
    let exe = dir.join(format!("{name}.exe"));
    let mut cmd = Command::new(&gcc);
    cmd.arg("-O1").arg("-o").arg(&exe).arg(&c);
    if let Some(rc) = rc {
        let windres = format!("{}-windres", arch.prefix());
        if !have(&windres) {
            skip(&format!("{name}: {windres} is not installed"));
            return None;
        }
        std::fs::write(dir.join("app.manifest"), MANIFEST).ok()?;
        std::fs::write(dir.join("old.ico"), ico(&[(16, false)], 1)).ok()?;
        std::fs::write(dir.join("other.ico"), ico(&[(32, false)], 2)).ok()?;
        let rc_path = dir.join(format!("{name}.rc"));
        std::fs::write(&rc_path, rc).ok()?;
        let obj = dir.join(format!("{name}.res.o"));
        let st = Command::new(&windres)
            .current_dir(dir)
            .arg(&rc_path)
            .arg("-O")
            .arg("coff")
            .arg("-o")
            .arg(&obj)
            .status()
            .ok()?;
        assert!(st.success(), "windres failed");
        cmd.arg(&obj);
    }
    cmd.args(extra);
    let out = cmd.output().ok()?;
    assert!(
        out.status.success(),
        "{gcc} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(exe)
}

/// A copy of `exe` signed with a throwaway self-signed certificate.
pub fn sign(dir: &Path, exe: &Path) -> Option<PathBuf> {
    if !have("osslsigncode") || !have("openssl") {
        skip("signature test: osslsigncode/openssl not installed");
        return None;
    }
    let key = dir.join("key.pem");
    let cert = dir.join("cert.pem");
    let st = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=svcpack test"])
        .args(["-addext", "extendedKeyUsage=codeSigning"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    assert!(
        st.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("exe");
    let signed = dir.join(format!("{stem}-signed.exe"));
    let _ = std::fs::remove_file(&signed);
    let st = Command::new("osslsigncode")
        .arg("sign")
        .arg("-certs")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .arg("-in")
        .arg(exe)
        .arg("-out")
        .arg(&signed)
        .output()
        .ok()?;
    assert!(
        st.status.success(),
        "osslsigncode: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    Some(signed)
}

// ---------------------------------------------------------------------------------
// pefile

const PEFILE_SCRIPT: &str = r##"
import sys, json, hashlib, struct, re, pefile
def describe(path):
    # Checksum first: pefile 2024.8.26's version-info parsing alters its copy of the data
    # when a string holds a surrogate pair.
    pe = pefile.PE(path, fast_load=True)
    checksum, generated = pe.OPTIONAL_HEADER.CheckSum, pe.generate_checksum()
    pe = pefile.PE(path)
    def text(b):
        # pefile renders surrogate pairs as literal "\\ud83d\\ude80" escapes; undo that.
        s = b.decode("utf-8")
        return re.sub(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})",
                      lambda m: chr(0x10000 + ((int(m.group(1), 16) - 0xd800) << 10) + int(m.group(2), 16) - 0xdc00), s)
    out = {"checksum": checksum, "generated": generated,
           "machine": pe.FILE_HEADER.Machine, "warnings": pe.get_warnings(),
           "security": [pe.OPTIONAL_HEADER.DATA_DIRECTORY[4].VirtualAddress, pe.OPTIONAL_HEADER.DATA_DIRECTORY[4].Size],
           "size_of_image": pe.OPTIONAL_HEADER.SizeOfImage, "file_size": len(pe.__data__),
           "sections": [[s.Name.rstrip(b"\0").decode("latin-1"), s.VirtualAddress, s.Misc_VirtualSize, s.PointerToRawData, s.SizeOfRawData] for s in pe.sections],
           "strings": [], "translations": [], "fixed": None, "resources": [], "groups": {}, "imports": {}}
    def name(e):
        return str(e.name) if e.name is not None else e.id
    if hasattr(pe, "FileInfo"):
        for fi in pe.FileInfo:
            for e in fi:
                if e.Key == b"StringFileInfo":
                    for st in e.StringTable:
                        out["strings"].append([st.LangID.decode(), [[text(k), text(v)] for k, v in st.entries.items()]])
                if e.Key == b"VarFileInfo":
                    for v in e.Var:
                        out["translations"].append(v.entry[b"Translation"] if b"Translation" in v.entry else None)
    if hasattr(pe, "VS_FIXEDFILEINFO"):
        f = pe.VS_FIXEDFILEINFO[0]
        out["fixed"] = [f.FileVersionMS, f.FileVersionLS, f.ProductVersionMS, f.ProductVersionLS, f.FileFlags, f.FileType]
    if hasattr(pe, "DIRECTORY_ENTRY_RESOURCE"):
        for t in pe.DIRECTORY_ENTRY_RESOURCE.entries:
            for n in t.directory.entries:
                for l in n.directory.entries:
                    d = pe.get_data(l.data.struct.OffsetToData, l.data.struct.Size)
                    out["resources"].append([name(t), name(n), l.id, len(d), hashlib.sha256(d).hexdigest()])
                    if t.id == 14:
                        cnt = struct.unpack_from("<H", d, 4)[0]
                        out["groups"][str(name(n))] = [list(struct.unpack_from("<BBBBHHIH", d, 6 + 14 * i)) for i in range(cnt)]
    # Regular and delay-load imports merged per DLL without duplicates, like inspect().
    for attr in ("DIRECTORY_ENTRY_IMPORT", "DIRECTORY_ENTRY_DELAY_IMPORT"):
        for imp in getattr(pe, attr, []):
            names = out["imports"].setdefault(imp.dll.decode("latin-1").lower(), [])
            for i in imp.imports:
                n = i.name.decode("latin-1") if i.name else "#%d" % i.ordinal
                if n not in names:
                    names.append(n)

    return out

for path in sys.argv[1:]:
    try:
        print(json.dumps(describe(path)))
    except Exception as e:
        print(json.dumps({"error": str(e)}))
"##;

/// pefile's view of a file as JSON, or `None` (with a notice) when pefile is missing.
pub fn pefile(path: &Path) -> Option<serde_json::Value> {
    pefile_many(&[path]).and_then(|mut v| v.pop())
}

/// pefile's view of many files (one Python process), in order.
pub fn pefile_many(paths: &[&Path]) -> Option<Vec<serde_json::Value>> {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let ok = *AVAILABLE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import pefile"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    if !ok {
        skip("pefile checks: python3 with pefile is not installed (pip install pefile)");
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", PEFILE_SCRIPT])
        .args(paths)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "pefile script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let values: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("pefile script prints JSON lines"))
        .collect();
    assert_eq!(values.len(), paths.len());
    for (v, p) in values.iter().zip(paths) {
        assert!(
            v.get("error").is_none(),
            "pefile failed on {}: {}",
            p.display(),
            v["error"]
        );
    }
    Some(values)
}

// ---------------------------------------------------------------------------------
// Wine

/// `wine`: Debian's 64-bit loader where it exists, as `/usr/bin/wine` runs it until wine32 is
/// installed (then it runs the 32-bit one, which cannot start in a prefix booted without it).
fn wine() -> Command {
    const WINE64: &str = "/usr/lib/wine/wine64";
    if Path::new(WINE64).is_file() {
        let mut cmd = Command::new(WINE64);
        cmd.env("WINELOADER", WINE64);
        cmd
    } else {
        Command::new("wine")
    }
}

/// A Wine prefix for these tests, kept across runs (booting one takes ~10 s) and booted
/// at most once per test process; `None` without Wine.
fn wine_prefix() -> Option<&'static PathBuf> {
    static PREFIX: OnceLock<Option<PathBuf>> = OnceLock::new();
    PREFIX
        .get_or_init(|| {
            if !have("wine") {
                return None;
            }
            let prefix = std::env::temp_dir().join("svcpack-pe-tests-wineprefix");
            if prefix.join("system.reg").exists() {
                return Some(prefix);
            }
            let st = wine()
                .args(["wineboot", "-i"])
                .env("WINEPREFIX", &prefix)
                .env("WINEDEBUG", "-all")
                .env("WINEDLLOVERRIDES", "mscoree,mshtml=")
                .output()
                .ok()?;
            if !st.status.success() {
                return None;
            }
            Command::new("wineserver")
                .arg("-w")
                .env("WINEPREFIX", &prefix)
                .status()
                .ok()?;
            Some(prefix)
        })
        .as_ref()
}

/// Runs `exe args` under Wine and returns stdout; `None` (with a notice) without Wine.
pub fn wine_run(exe: &Path, args: &[&str]) -> Option<String> {
    let Some(prefix) = wine_prefix() else {
        skip(&format!(
            "running {} under Wine: wine is not installed",
            exe.display()
        ));
        return None;
    };
    let out = wine()
        .arg(exe)
        .args(args)
        .env("WINEPREFIX", prefix)
        .env("WINEDEBUG", "-all")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "wine {} failed ({}): {}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

/// Stops the test prefix's wineserver; only the single Wine test calls this, at its end.
pub fn wine_stop() {
    if let Some(prefix) = wine_prefix() {
        let _ = Command::new("wineserver")
            .arg("-k")
            .env("WINEPREFIX", prefix)
            .status();
    }
}
