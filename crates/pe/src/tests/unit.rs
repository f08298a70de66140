//! Tests that need no external tools: synthetic PE images exercise every placement of
//! the resource section, committed fixtures exercise real MinGW output.

use super::support::{fixture, ico, pefile, sample_stamp};
use crate::image::{pe_checksum, u16_at, u32_at, Image};
use crate::rsrc::{self, ResName, Tree};
use crate::*;
use crate::{ico, version};

// ---------------------------------------------------------------------------------
// A synthetic PE32+ builder

pub struct SynthSection {
    pub name: &'static str,
    pub va: u32,
    pub vsize: u32,
    pub data: Vec<u8>,
    pub raw_size: u32,
}

pub struct Synth {
    pub fa: u32,
    pub sa: u32,
    pub size_of_headers: u32,
    pub sections: Vec<SynthSection>,
    /// Index of the section whose start holds the resource directory.
    pub rsrc: Option<usize>,
    pub overlay: Vec<u8>,
    pub dll: bool,
    /// Extra data directories: (index, rva, size).
    pub dirs: Vec<(usize, u32, u32)>,
}

impl Synth {
    pub fn basic() -> Synth {
        Synth {
            fa: 0x200,
            sa: 0x1000,
            size_of_headers: 0x400,
            sections: vec![
                SynthSection {
                    name: ".text",
                    va: 0x1000,
                    vsize: 0x10,
                    data: vec![0xc3; 0x10],
                    raw_size: 0x200,
                },
                SynthSection {
                    name: ".rdata",
                    va: 0x2000,
                    vsize: 0x300,
                    data: (0..0x300u32).map(|i| i as u8).collect(),
                    raw_size: 0x400,
                },
            ],
            rsrc: None,
            overlay: Vec::new(),
            dll: false,
            dirs: Vec::new(),
        }
    }

    pub fn build(&self) -> Vec<u8> {
        let mut b = vec![0u8; 0x40];
        b[0] = b'M';
        b[1] = b'Z';
        b[0x3c] = 0x40;
        b.extend_from_slice(b"PE\0\0");
        // COFF header.
        b.extend_from_slice(&0x8664u16.to_le_bytes());
        b.extend_from_slice(&(self.sections.len() as u16).to_le_bytes());
        b.extend_from_slice(&[0; 12]);
        b.extend_from_slice(&240u16.to_le_bytes());
        let ch: u16 = if self.dll { 0x2022 } else { 0x22 };
        b.extend_from_slice(&ch.to_le_bytes());
        // Optional header (PE32+), 240 bytes.
        let opt = b.len();
        b.resize(opt + 240, 0);
        b[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes());
        b[opt + 16..opt + 20].copy_from_slice(&0x1000u32.to_le_bytes());
        b[opt + 24..opt + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes());
        b[opt + 32..opt + 36].copy_from_slice(&self.sa.to_le_bytes());
        b[opt + 36..opt + 40].copy_from_slice(&self.fa.to_le_bytes());
        b[opt + 40..opt + 42].copy_from_slice(&6u16.to_le_bytes());
        b[opt + 48..opt + 50].copy_from_slice(&6u16.to_le_bytes());
        let end = self
            .sections
            .iter()
            .map(|s| s.va + s.vsize.max(s.raw_size))
            .max()
            .unwrap_or(self.size_of_headers);
        let size_of_image = end.div_ceil(self.sa) * self.sa;
        b[opt + 56..opt + 60].copy_from_slice(&size_of_image.to_le_bytes());
        b[opt + 60..opt + 64].copy_from_slice(&self.size_of_headers.to_le_bytes());
        b[opt + 68..opt + 70].copy_from_slice(&3u16.to_le_bytes());
        b[opt + 108..opt + 112].copy_from_slice(&16u32.to_le_bytes());
        if let Some(i) = self.rsrc {
            let s = &self.sections[i];
            b[opt + 112 + 16..opt + 112 + 20].copy_from_slice(&s.va.to_le_bytes());
            b[opt + 112 + 20..opt + 112 + 24].copy_from_slice(&s.vsize.to_le_bytes());
        }
        for &(i, rva, size) in &self.dirs {
            let d = opt + 112 + 8 * i;
            b[d..d + 4].copy_from_slice(&rva.to_le_bytes());
            b[d + 4..d + 8].copy_from_slice(&size.to_le_bytes());
        }
        let table = b.len();
        b.resize(table + 40 * self.sections.len(), 0);
        let mut raw = u64::from(self.size_of_headers);
        let mut raws = Vec::new();
        for (i, s) in self.sections.iter().enumerate() {
            raw = raw.div_ceil(u64::from(self.fa)) * u64::from(self.fa);
            if self.sa < 0x1000 {
                raw = u64::from(s.va);
            }
            let h = table + 40 * i;
            let mut name = [0u8; 8];
            name[..s.name.len()].copy_from_slice(s.name.as_bytes());
            b[h..h + 8].copy_from_slice(&name);
            b[h + 8..h + 12].copy_from_slice(&s.vsize.to_le_bytes());
            b[h + 12..h + 16].copy_from_slice(&s.va.to_le_bytes());
            b[h + 16..h + 20].copy_from_slice(&s.raw_size.to_le_bytes());
            b[h + 20..h + 24].copy_from_slice(&(raw as u32).to_le_bytes());
            b[h + 36..h + 40].copy_from_slice(&0x4000_0040u32.to_le_bytes());
            raws.push(raw);
            raw += u64::from(s.raw_size);
        }
        assert!(b.len() <= self.size_of_headers as usize, "headers overflow");
        for (s, &r) in self.sections.iter().zip(&raws) {
            b.resize(r as usize, 0);
            b.extend_from_slice(&s.data);
            b.resize(r as usize + s.raw_size as usize, 0);
        }
        b.extend_from_slice(&self.overlay);
        let ck = opt + 64;
        let sum = pe_checksum(&b, ck);
        b[ck..ck + 4].copy_from_slice(&sum.to_le_bytes());
        b
    }
}

/// A resource section (for a section at `va`) holding a manifest and a string table.
fn resources_at(va: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let dummy = Synth::basic().build();
    let img = Image::parse(&dummy).unwrap();
    let manifest = br#"<?xml version="1.0"?><assembly manifestVersion="1.0"/>"#.to_vec();
    let strings = b"\x00\x00\x05\x00h\x00e\x00l\x00l\x00o\x00".to_vec();
    let mut t = Tree::default();
    t.insert(24, ResName::Id(1), 0x409, manifest.clone());
    t.insert(6, ResName::Id(7), 0x409, strings.clone());
    t.insert(
        3,
        ResName::Name("CUSTOM".encode_utf16().collect()),
        0,
        vec![1, 2, 3],
    );
    let data = rsrc::build(&mut t, &img).unwrap().place(va).unwrap();
    (data, manifest, strings)
}

fn resource(bytes: &[u8], ty: u32, name: &ResName) -> Vec<Vec<u8>> {
    let img = Image::parse(bytes).unwrap();
    let tree = rsrc::parse(&img, img.dir(2)).unwrap();
    let Some(t) = tree.find_type(ty) else {
        return Vec::new();
    };
    t.items
        .iter()
        .filter(|i| &i.name == name)
        .flat_map(|i| &i.langs)
        .map(|l| rsrc::blob_bytes(&img, &l.leaf.blob).unwrap().into_owned())
        .collect()
}

/// Structural invariants every stamped file must satisfy.
fn check_stamped(out: &[u8], stamp: &VersionStamp) -> PeInfo {
    let info = inspect(out).unwrap();
    assert_eq!(info.file_version, Some(stamp.file_version));
    assert_eq!(info.product_version, Some(stamp.product_version));
    assert_eq!(info.version_strings, stamp.strings);
    assert_eq!(info.language, Some(stamp.language));
    assert!(!info.has_signature);
    assert_eq!(
        compute_checksum(out).unwrap(),
        stored_checksum(out).unwrap()
    );
    let img = Image::parse(out).unwrap();
    let fa = u64::from(img.file_alignment);
    let sa = u64::from(img.section_alignment);
    let mut vas: Vec<_> = img.sections.iter().collect();
    vas.sort_by_key(|s| s.virtual_address);
    for w in vas.windows(2) {
        assert!(
            u64::from(w[0].virtual_address) + w[0].extent() <= u64::from(w[1].virtual_address),
            "sections overlap in memory"
        );
    }
    for s in &img.sections {
        assert_eq!(u64::from(s.virtual_address) % sa, 0, "section VA alignment");
        if s.raw_size != 0 {
            assert_eq!(u64::from(s.raw_ptr) % fa, 0, "raw pointer alignment");
            assert_eq!(u64::from(s.raw_size) % fa, 0, "raw size alignment");
            assert!(s.raw_end() <= out.len() as u64);
        }
    }
    let max_end = img.sections.iter().map(|s| s.va_end()).max().unwrap();
    assert!(u64::from(img.size_of_image) >= max_end);
    assert_eq!(u64::from(img.size_of_image) % sa, 0);
    let table_end = img.sections_offset + 40 * img.sections.len();
    assert!(table_end as u64 <= u64::from(img.size_of_headers));
    // The resource directory is inside one section.
    let dir = img.dir(2);
    let i = img.section_of(dir.rva).expect("resource dir mapped");
    assert!(u64::from(dir.rva) + u64::from(dir.size) <= img.sections[i].va_end());
    info
}

fn write_tmp(bytes: &[u8]) -> tempfile::NamedTempFile {
    let f = tempfile::Builder::new().suffix(".exe").tempfile().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    f
}

/// pefile agrees on checksum, strings and fixed versions (skipped without pefile).
fn pefile_agrees(out: &[u8], stamp: &VersionStamp) {
    let f = write_tmp(out);
    let Some(j) = pefile(f.path()) else { return };
    assert_eq!(j["checksum"], j["generated"], "pefile checksum");
    let tables = j["strings"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0][0], "040904B0");
    let got: Vec<(String, String)> = tables[0][1]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().unwrap().into(),
                kv[1].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(got, stamp.strings);
    let fv = &stamp.file_version;
    let fixed = j["fixed"].as_array().unwrap();
    assert_eq!(fixed[0], (u64::from(fv[0]) << 16) | u64::from(fv[1]));
    assert_eq!(fixed[1], (u64::from(fv[2]) << 16) | u64::from(fv[3]));
}

// ---------------------------------------------------------------------------------
// Version resource

/// windres output for the same VERSIONINFO (FILEFLAGS 2, FILEOS 0x40004, FILETYPE 1):
/// our layout must be byte-identical to what Microsoft-compatible compilers emit.
const WINDRES_VERSION: &[&str] = &[
    "a40134000000560053005f00560045005200530049004f004e005f0049004e0046004f0000000000bd04effe00000100",
    "020001000000030002000100000003003f00000002000000040004000100000000000000000000000000000002010000",
    "010053007400720069006e006700460069006c00650049006e0066006f000000de000000010030003400300039003000",
    "34004200300000002a000500010043006f006d00700061006e0079004e0061006d00650000000000410063006d006500",
    "0000000042000d000100460069006c0065004400650073006300720069007000740069006f006e000000000054006500",
    "73007400200073006500720076006900630065000000000016000100010045006d007000740079000000000000000000",
    "3e000d000100500072006f006400750063007400560065007200730069006f006e00000031002e0032002e0033002d00",
    "62006500740061002e00310000000000440000000100560061007200460069006c00650049006e0066006f0000000000",
    "2400040000005400720061006e0073006c006100740069006f006e00000000000904b004",
];

fn unhex(parts: &[&str]) -> Vec<u8> {
    let s: String = parts.concat();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn version_resource_is_byte_identical_to_windres() {
    let stamp = VersionStamp {
        file_version: [1, 2, 3, 0],
        product_version: [1, 2, 3, 0],
        language: 0x0409,
        strings: vec![
            ("CompanyName".into(), "Acme".into()),
            ("FileDescription".into(), "Test service".into()),
            ("Empty".into(), "".into()),
            ("ProductVersion".into(), "1.2.3-beta.1".into()),
        ],
    };
    let ours = version::build(&stamp, version::VFT_APP).unwrap();
    assert_eq!(ours, unhex(WINDRES_VERSION));
}

#[test]
fn version_resource_round_trips_unicode() {
    let stamp = sample_stamp();
    let data = version::build(&stamp, version::VFT_APP).unwrap();
    assert_eq!(u16_at(&data, 0).unwrap() as usize, data.len());
    let parsed = version::parse(&data).unwrap();
    assert_eq!(parsed.strings, stamp.strings);
    assert_eq!(parsed.file_version, Some([2, 0, 0, 0]));
    assert_eq!(parsed.translations, vec![(0x0409, 1200)]);
    // A release (no '-') does not set VS_FF_PRERELEASE.
    let mut release = stamp.clone();
    release.strings.retain(|(k, _)| k != "ProductVersion");
    release
        .strings
        .push(("ProductVersion".into(), "2.0.0".into()));
    let data = version::build(&release, version::VFT_DLL).unwrap();
    assert_eq!(u32_at(&data, 40 + 28), Some(0), "FileFlags");
    assert_eq!(u32_at(&data, 40 + 36), Some(2), "FileType DLL");
}

#[test]
fn version_resource_rejects_bad_strings() {
    let mut s = sample_stamp();
    s.strings.push(("Bad".into(), "a\0b".into()));
    assert!(matches!(
        version::build(&s, 1),
        Err(PeError::InvalidVersion(_))
    ));
    let mut s = sample_stamp();
    s.strings.push(("".into(), "x".into()));
    assert!(matches!(
        version::build(&s, 1),
        Err(PeError::InvalidVersion(_))
    ));
    let mut s = sample_stamp();
    s.strings.push(("Huge".into(), "x".repeat(40_000)));
    let err = version::build(&s, 1).unwrap_err().to_string();
    assert!(err.contains("64 KiB") || err.contains("too long"), "{err}");
}

// ---------------------------------------------------------------------------------
// Checksum

fn reference_checksum(b: &[u8], ck: usize) -> u32 {
    // ImageHlp's algorithm word by word, as documented.
    let mut sum: u32 = 0;
    let mut i = 0;
    while i < b.len() {
        let mut w = u32::from(b[i]) | (u32::from(*b.get(i + 1).unwrap_or(&0)) << 8);
        if i >= ck && i < ck + 4 {
            w = 0;
        }
        sum += w;
        sum = (sum & 0xffff) + (sum >> 16);
        i += 2;
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum + b.len() as u32
}

#[test]
fn checksum_matches_the_word_by_word_algorithm() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for len in [0usize, 1, 2, 3, 15, 16, 17, 63, 64, 65, 1000, 4097, 70_001] {
        let b: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for ck in [
            0usize,
            8,
            88,
            len.saturating_sub(2),
            len.saturating_sub(1),
            len,
        ] {
            if ck % 2 == 1 {
                continue;
            }
            assert_eq!(
                pe_checksum(&b, ck),
                reference_checksum(&b, ck),
                "len {len} ck {ck}"
            );
        }
    }
    // Saturated words stress the carry folding.
    let b = vec![0xffu8; 100_000];
    assert_eq!(pe_checksum(&b, 88), reference_checksum(&b, 88));
}

// ---------------------------------------------------------------------------------
// Icons

#[test]
fn ico_files_are_validated() {
    let good = ico(&[(16, false), (32, true), (256, true)], 7);
    let f = parse_ico(&good).unwrap();
    assert_eq!(f.images.len(), 3);
    assert!(!f.images[0].is_png() && f.images[1].is_png());
    assert_eq!(f.images[2].pixel_width(), 256);

    let png = super::support::png(32, 32, 1);
    let e = parse_ico(&png).unwrap_err().to_string();
    assert!(e.contains("PNG"), "{e}");
    let e = parse_ico(b"BM\0\0\0\0\0\0").unwrap_err().to_string();
    assert!(e.contains("BMP"), "{e}");
    let e = parse_ico(b"hello world, not an icon")
        .unwrap_err()
        .to_string();
    assert!(e.contains("icon directory"), "{e}");
    let mut cur = good.clone();
    cur[2] = 2;
    assert!(parse_ico(&cur).unwrap_err().to_string().contains("cursor"));
    let e = parse_ico(&good[..good.len() - 10]).unwrap_err().to_string();
    assert!(e.contains("outside the file"), "{e}");
    assert!(parse_ico(&[0, 0, 1, 0, 0, 0]).is_err());
    assert!(parse_ico(&[]).is_err());
    // A directory entry pointing at something that is neither PNG nor DIB.
    let mut junk = good.clone();
    let off = u32::from_le_bytes(junk[18..22].try_into().unwrap()) as usize;
    junk[off] = 0x99;
    assert!(parse_ico(&junk)
        .unwrap_err()
        .to_string()
        .contains("neither"));
}

#[test]
fn group_icon_resource_names_images_by_id() {
    let f = parse_ico(&ico(&[(16, false), (48, true)], 3)).unwrap();
    let g = f.group_resource(&[5, 9]);
    assert_eq!(g.len(), 6 + 2 * 14);
    assert_eq!(ico::group_icon_ids(&g), vec![5, 9]);
    // PNG entry: planes 1 and 32 bpp filled in from the IHDR.
    assert_eq!(u16_at(&g, 6 + 14 + 4), Some(1));
    assert_eq!(u16_at(&g, 6 + 14 + 6), Some(32));
    assert_eq!(u32_at(&g, 6 + 14 + 8), Some(f.images[1].data.len() as u32));
}

// ---------------------------------------------------------------------------------
// Detection helpers

#[test]
fn is_pe_is_a_cheap_header_check() {
    let pe = Synth::basic().build();
    assert!(is_pe(&pe));
    assert!(!is_pe(b"MZ"));
    assert!(!is_pe(&[0u8; 200]));
    let mut not = pe.clone();
    not[0x40] = b'N';
    assert!(!is_pe(&not));
    assert!(matches!(inspect(&not), Err(PeError::NotPe(_))));
    assert!(matches!(
        inspect(b"#!/bin/sh\necho hi\n"),
        Err(PeError::NotPe(_))
    ));
    let e = stamp(b"PK\x03\x04 zip", &sample_stamp(), None).unwrap_err();
    assert!(e.to_string().starts_with("not a Windows executable"), "{e}");
}

#[test]
fn machine_types_are_named() {
    let mut exe = Synth::basic().build();
    let coff = 0x44;
    for (raw, m, name) in [
        (0x8664u16, Machine::X64, "x64"),
        (0x014c, Machine::X86, "x86"),
        (0xaa64, Machine::Arm64, "arm64"),
        (0x01c4, Machine::Other(0x01c4), "machine type 0x01c4"),
    ] {
        exe[coff..coff + 2].copy_from_slice(&raw.to_le_bytes());
        let info = inspect(&exe).unwrap();
        assert_eq!(info.machine, m);
        assert_eq!(info.machine.to_string(), name);
    }
}

#[test]
fn substring_search_finds_the_dispatcher_name_anywhere() {
    let needle = b"StartServiceCtrlDispatcher";
    for pos in [0usize, 1, 25, 26, 1000, 4070] {
        let mut hay = vec![b'S'; 4096];
        hay[pos..pos + needle.len()].copy_from_slice(needle);
        assert!(super::super::contains(&hay, needle), "at {pos}");
    }
    assert!(!super::super::contains(
        b"StartServiceCtrlDispatche",
        needle
    ));
    assert!(!super::super::contains(&[b'S'; 5000], needle));
    assert!(super::super::contains(
        b"xStartServiceCtrlDispatcherW",
        needle
    ));
}

// ---------------------------------------------------------------------------------
// Placement of the resource section

#[test]
fn stamp_appends_a_resource_section_to_an_exe_without_one() {
    let input = Synth::basic().build();
    let before = input.clone();
    let st = sample_stamp();
    let icon = ico(&[(16, false), (32, true)], 9);
    let out = stamp(&input, &st, Some(&icon)).unwrap();
    assert_eq!(input, before, "input untouched");
    check_stamped(&out, &st);
    let img = Image::parse(&out).unwrap();
    assert_eq!(img.sections.len(), 3);
    let s = &img.sections[2];
    assert!(s.name_is(".rsrc"));
    assert_eq!(s.virtual_address, 0x3000);
    assert_eq!(s.characteristics, 0x4000_0040);
    assert_eq!(img.dir(2).rva, 0x3000);
    // Everything before the new section is unchanged except header fields.
    assert_eq!(out[0x400..before.len()], before[0x400..]);
    // Icon group 1 with two RT_ICON images in ids 1 and 2.
    let groups = resource(&out, 14, &ResName::Id(1));
    assert_eq!(groups.len(), 1);
    assert_eq!(ico::group_icon_ids(&groups[0]), vec![1, 2]);
    let parsed = parse_ico(&icon).unwrap();
    assert_eq!(
        resource(&out, 3, &ResName::Id(2)),
        vec![parsed.images[1].data.clone()]
    );
    pefile_agrees(&out, &st);
    // Deterministic, and stamping again changes nothing (the section is reused).
    assert_eq!(stamp(&input, &st, Some(&icon)).unwrap(), out);
    assert_eq!(stamp(&out, &st, Some(&icon)).unwrap(), out);
}

#[test]
fn stamp_rewrites_a_big_enough_rsrc_section_in_place() {
    let mut syn = Synth::basic();
    let (data, manifest, strings) = resources_at(0x3000);
    let mut data = data;
    data.resize(0x1800, 0);
    syn.sections.push(SynthSection {
        name: ".rsrc",
        va: 0x3000,
        vsize: 0x1800,
        data,
        raw_size: 0x1800,
    });
    syn.sections.push(SynthSection {
        name: ".reloc",
        va: 0x5000,
        vsize: 0x10,
        data: vec![0xab; 0x10],
        raw_size: 0x200,
    });
    syn.rsrc = Some(2);
    let input = syn.build();
    let st = sample_stamp();
    let out = stamp(&input, &st, None).unwrap();
    check_stamped(&out, &st);
    assert_eq!(out.len(), input.len());
    let img = Image::parse(&out).unwrap();
    assert_eq!(img.sections.len(), 4);
    assert_eq!(img.dir(2).rva, 0x3000);
    assert_eq!(resource(&out, 24, &ResName::Id(1)), vec![manifest]);
    assert_eq!(resource(&out, 6, &ResName::Id(7)), vec![strings]);
    assert_eq!(
        resource(&out, 3, &ResName::Name("CUSTOM".encode_utf16().collect())),
        vec![vec![1, 2, 3]]
    );
    let reloc = &img.sections[3];
    assert_eq!(
        out[reloc.raw_ptr as usize..reloc.raw_ptr as usize + 0x10],
        [0xab; 0x10]
    );
    pefile_agrees(&out, &st);
}

#[test]
fn stamp_grows_a_last_rsrc_section() {
    let mut syn = Synth::basic();
    let (data, manifest, _) = resources_at(0x3000);
    let vsize = data.len() as u32;
    syn.sections.push(SynthSection {
        name: ".rsrc",
        va: 0x3000,
        vsize,
        data,
        raw_size: 0x200,
    });
    syn.rsrc = Some(2);
    let input = syn.build();
    let st = sample_stamp();
    let icon = ico(&[(48, false)], 1);
    let out = stamp(&input, &st, Some(&icon)).unwrap();
    check_stamped(&out, &st);
    let img = Image::parse(&out).unwrap();
    assert_eq!(img.sections.len(), 3, "no new section");
    assert!(img.sections[2].raw_size > 0x200);
    assert_eq!(out.len() as u64, img.sections[2].raw_end());
    assert_eq!(resource(&out, 24, &ResName::Id(1)), vec![manifest]);
    pefile_agrees(&out, &st);
}

#[test]
fn stamp_adds_a_section_when_the_old_rsrc_is_too_small_and_not_last() {
    let mut syn = Synth::basic();
    let (data, manifest, strings) = resources_at(0x3000);
    let vsize = data.len() as u32;
    syn.sections.push(SynthSection {
        name: ".rsrc",
        va: 0x3000,
        vsize,
        data,
        raw_size: 0x200,
    });
    syn.sections.push(SynthSection {
        name: ".reloc",
        va: 0x4000,
        vsize: 0x10,
        data: vec![0xab; 0x10],
        raw_size: 0x200,
    });
    syn.rsrc = Some(2);
    // A COFF symbol table after the last section (as MinGW leaves it) must stay put.
    syn.overlay = b"SYMBOLS!".repeat(10);
    let input = syn.build();
    let st = sample_stamp();
    let out = stamp(&input, &st, Some(&ico(&[(32, false)], 1))).unwrap();
    check_stamped(&out, &st);
    let img = Image::parse(&out).unwrap();
    assert_eq!(img.sections.len(), 5);
    assert_eq!(img.sections[4].virtual_address, 0x5000);
    assert_eq!(img.dir(2).rva, 0x5000);
    assert_eq!(
        out[0x400..input.len()],
        input[0x400..],
        "existing bytes keep their offsets"
    );
    assert_eq!(resource(&out, 24, &ResName::Id(1)), vec![manifest]);
    assert_eq!(resource(&out, 6, &ResName::Id(7)), vec![strings]);
    pefile_agrees(&out, &st);
}

#[test]
fn stamp_reports_missing_header_room() {
    let mut syn = Synth::basic();
    // Headers end right after the section table: 0x40+4+20+240+2*40 = 0x198.
    syn.size_of_headers = 0x198;
    syn.fa = 8;
    syn.sa = 0x1000;
    let input = syn.build();
    let e = stamp(&input, &sample_stamp(), None).unwrap_err();
    assert!(matches!(e, PeError::Unsupported(_)), "{e}");
    assert!(
        e.to_string().contains("no room for another section header"),
        "{e}"
    );
}

#[test]
fn stamp_drops_bound_imports_that_occupy_the_header_slot() {
    let mut input = Synth::basic().build();
    let (slot, d11) = {
        let img = Image::parse(&input).unwrap();
        (img.sections_offset + 80, img.dirs_offset + 11 * 8)
    };
    input[slot..slot + 16].copy_from_slice(&[0x11; 16]);
    input[d11..d11 + 4].copy_from_slice(&(slot as u32).to_le_bytes());
    input[d11 + 4..d11 + 8].copy_from_slice(&16u32.to_le_bytes());
    let out = stamp(&input, &sample_stamp(), None).unwrap();
    let img = Image::parse(&out).unwrap();
    assert_eq!(img.dir(11).size, 0);
    assert_eq!(img.sections.len(), 3);
    // Junk there that is not a bound import table is not overwritten.
    let mut junk = Synth::basic().build();
    junk[slot] = 1;
    let e = stamp(&junk, &sample_stamp(), None).unwrap_err();
    assert!(e.to_string().contains("in use"), "{e}");
}

#[test]
fn stamp_keeps_low_alignment_images_flat() {
    let mut syn = Synth::basic();
    syn.sa = 0x200;
    syn.fa = 0x200;
    syn.sections[0].va = 0x400;
    syn.sections[1].va = 0x600;
    let input = syn.build();
    let st = sample_stamp();
    let out = stamp(&input, &st, None).unwrap();
    check_stamped(&out, &st);
    let img = Image::parse(&out).unwrap();
    let s = img.sections.last().unwrap();
    assert_eq!(s.virtual_address, s.raw_ptr);
}

#[test]
fn stamp_strips_a_signature() {
    let mut syn = Synth::basic();
    syn.overlay = vec![0x30; 0x100];
    let mut input = syn.build();
    let d4 = Image::parse(&input).unwrap().dirs_offset + 4 * 8;
    let cert_at = (input.len() - 0x100) as u32;
    input[d4..d4 + 4].copy_from_slice(&cert_at.to_le_bytes());
    input[d4 + 4..d4 + 8].copy_from_slice(&0x100u32.to_le_bytes());
    assert!(inspect(&input).unwrap().has_signature);
    let stripped = strip_signature(&input).unwrap();
    assert_eq!(stripped.len(), cert_at as usize);
    assert!(!inspect(&stripped).unwrap().has_signature);
    assert_eq!(
        compute_checksum(&stripped).unwrap(),
        stored_checksum(&stripped).unwrap()
    );
    let st = sample_stamp();
    let out = stamp(&input, &st, None).unwrap();
    check_stamped(&out, &st);
    assert!(
        !out.windows(16).any(|w| w == [0x30; 16]),
        "certificate bytes gone"
    );
    // A certificate table pointing outside the file is an error, not a panic.
    input[d4 + 4..d4 + 8].copy_from_slice(&0x1000u32.to_le_bytes());
    assert!(matches!(
        stamp(&input, &st, None),
        Err(PeError::Malformed(_))
    ));
}

#[test]
fn stamp_marks_dlls_as_dlls() {
    let mut syn = Synth::basic();
    syn.dll = true;
    let out = stamp(&syn.build(), &sample_stamp(), None).unwrap();
    let info = inspect(&out).unwrap();
    assert!(info.is_dll);
    let data = resource(&out, 16, &ResName::Id(1)).pop().unwrap();
    assert_eq!(u32_at(&data, 40 + 36), Some(2));
}

#[test]
fn stamp_rejects_a_bad_icon_before_touching_anything() {
    let e = stamp(
        &Synth::basic().build(),
        &sample_stamp(),
        Some(b"\x89PNG\r\n\x1a\nxxxx"),
    )
    .unwrap_err();
    assert!(matches!(e, PeError::BadIcon(_)));
}

#[test]
fn malformed_resources_are_a_clear_error() {
    let mut syn = Synth::basic();
    let (data, _, _) = resources_at(0x3000);
    let vsize = data.len() as u32;
    syn.sections.push(SynthSection {
        name: ".rsrc",
        va: 0x3000,
        vsize,
        data,
        raw_size: 0x200,
    });
    syn.rsrc = Some(2);
    let mut input = syn.build();
    let raw = Image::parse(&input).unwrap().sections[2].raw_ptr as usize;
    // Root entry 0's subdirectory offset points far outside the section.
    input[raw + 16 + 4..raw + 16 + 8].copy_from_slice(&0x8000_7000u32.to_le_bytes());
    let e = stamp(&input, &sample_stamp(), None).unwrap_err();
    assert!(matches!(e, PeError::BadResources(_)), "{e}");
    assert!(e.to_string().starts_with("malformed resources"), "{e}");
    // inspect() treats an unreadable version resource as absent.
    let info = inspect(&input).unwrap();
    assert_eq!(info.file_version, None);
}

// ---------------------------------------------------------------------------------
// Committed MinGW fixtures

#[test]
fn inspect_reads_the_x64_fixture() {
    let exe = fixture("svc-res-x64.exe");
    let info = inspect(&exe).unwrap();
    assert_eq!(info.machine, Machine::X64);
    assert!(!info.is_dll);
    assert_eq!(info.subsystem, 3);
    assert!(info.imports["advapi32.dll"].contains(&"StartServiceCtrlDispatcherW".to_string()));
    assert!(info.imports.contains_key("kernel32.dll"));
    assert!(mentions_service_dispatcher(&exe, &info));
    assert_eq!(info.file_version, Some([9, 9, 9, 9]));
    assert_eq!(info.language, Some(0x409));
    assert_eq!(info.version_string("CompanyName"), Some("Old Company"));
    assert!(!info.has_signature);
}

#[test]
fn inspect_reads_the_x86_fixture() {
    let exe = fixture("hello-x86.exe");
    let info = inspect(&exe).unwrap();
    assert_eq!(info.machine, Machine::X86);
    assert_eq!(info.machine.arch_name(), Some("x86"));
    assert!(info.imports.contains_key("kernel32.dll"));
    assert!(!mentions_service_dispatcher(&exe, &info));
    assert_eq!(info.file_version, None);
    assert_eq!(info.language, None);
    let st = sample_stamp();
    let out = stamp(&exe, &st, Some(&ico(&[(16, false)], 4))).unwrap();
    check_stamped(&out, &st);
    pefile_agrees(&out, &st);
}

#[test]
fn stamping_the_x64_fixture_keeps_other_resources() {
    let exe = fixture("svc-res-x64.exe");
    let st = sample_stamp();
    let icon = ico(&[(16, false), (32, true)], 5);
    let out = stamp(&exe, &st, Some(&icon)).unwrap();
    check_stamped(&out, &st);
    let img_in = Image::parse(&exe).unwrap();
    let before = rsrc::parse(&img_in, img_in.dir(2)).unwrap();
    let img_out = Image::parse(&out).unwrap();
    let after = rsrc::parse(&img_out, img_out.dir(2)).unwrap();
    let bytes = |img: &Image<'_>, t: &Tree, ty: u32| -> Vec<(ResName, ResName, Vec<u8>)> {
        t.find_type(ty)
            .map(|t| {
                t.items
                    .iter()
                    .flat_map(|i| {
                        i.langs.iter().map(|l| {
                            (
                                i.name.clone(),
                                l.lang.clone(),
                                rsrc::blob_bytes(img, &l.leaf.blob).unwrap().into_owned(),
                            )
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // Manifest (24) and string table (6) byte-identical.
    for ty in [24, 6] {
        assert_eq!(
            bytes(&img_in, &before, ty),
            bytes(&img_out, &after, ty),
            "type {ty}"
        );
    }
    // One version resource, id 1, our language.
    let v = bytes(&img_out, &after, 16);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].0.clone(), v[0].1.clone()),
        (ResName::Id(1), ResName::Id(0x409))
    );
    // MAINICON (the first group) now holds our icon; group 7 is untouched.
    let groups = bytes(&img_out, &after, 14);
    let main = ResName::Name("MAINICON".encode_utf16().collect());
    assert_eq!(groups[0].0, main);
    assert_eq!(ico::group_icon_ids(&groups[0].2).len(), 2);
    let old_groups = bytes(&img_in, &before, 14);
    assert_eq!(groups[1], old_groups[1]);
    // The old main icon's image is gone, group 7's image stays.
    let icons: Vec<ResName> = bytes(&img_out, &after, 3)
        .into_iter()
        .map(|x| x.0)
        .collect();
    let kept = ico::group_icon_ids(&old_groups[1].2);
    let dropped = ico::group_icon_ids(&old_groups[0].2);
    for id in &kept {
        assert!(icons.contains(&ResName::Id(u32::from(*id))));
    }
    assert_eq!(icons.len(), kept.len() + 2);
    let new_ids = ico::group_icon_ids(&groups[0].2);
    for id in dropped {
        assert!(new_ids.contains(&id) || !icons.contains(&ResName::Id(u32::from(id))));
    }
    assert!(mentions_service_dispatcher(&out, &inspect(&out).unwrap()));
    pefile_agrees(&out, &st);
}

// ---------------------------------------------------------------------------------
// Imports

/// An import section at 0x3000: KERNEL32.dll (by name and by ordinal) through the regular
/// table, ADVAPI32.dll through a delay-load descriptor.
fn import_section() -> (Vec<u8>, Vec<(usize, u32, u32)>) {
    const VA: u32 = 0x3000;
    let mut d = vec![0u8; 0x400];
    let put32 =
        |d: &mut Vec<u8>, at: usize, v: u32| d[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let put64 =
        |d: &mut Vec<u8>, at: usize, v: u64| d[at..at + 8].copy_from_slice(&v.to_le_bytes());
    let put_str =
        |d: &mut Vec<u8>, at: usize, s: &str| d[at..at + s.len()].copy_from_slice(s.as_bytes());
    // Regular descriptor at 0x000 (20 bytes, then a zero terminator).
    put32(&mut d, 0x00, VA + 0x100); // OriginalFirstThunk
    put32(&mut d, 0x0c, VA + 0x200); // Name
    put32(&mut d, 0x10, VA + 0x100); // FirstThunk
                                     // ILT at 0x100: by name, by ordinal 5, end.
    put64(&mut d, 0x100, u64::from(VA + 0x220));
    put64(&mut d, 0x108, (1u64 << 63) | 5);
    put_str(&mut d, 0x200, "KERNEL32.dll");
    put_str(&mut d, 0x222, "ExitProcess"); // after a 2-byte hint at 0x220
                                           // Delay descriptor at 0x040 (32 bytes, then a zero terminator).
    put32(&mut d, 0x40, 1); // attributes: RVA based
    put32(&mut d, 0x44, VA + 0x240); // DLL name
    put32(&mut d, 0x50, VA + 0x180); // INT
    put64(&mut d, 0x180, u64::from(VA + 0x260));
    put_str(&mut d, 0x240, "ADVAPI32.dll");
    put_str(&mut d, 0x262, "StartServiceCtrlDispatcherW");
    (d, vec![(1, VA, 40), (13, VA + 0x40, 64)])
}

#[test]
fn inspect_reads_regular_and_delay_load_imports() {
    let mut syn = Synth::basic();
    let (data, dirs) = import_section();
    syn.sections.push(SynthSection {
        name: ".idata",
        va: 0x3000,
        vsize: 0x400,
        data,
        raw_size: 0x400,
    });
    syn.dirs = dirs;
    let exe = syn.build();
    let info = inspect(&exe).unwrap();
    assert_eq!(
        info.imports["kernel32.dll"],
        vec!["ExitProcess".to_string(), "#5".to_string()]
    );
    assert_eq!(
        info.imports["advapi32.dll"],
        vec!["StartServiceCtrlDispatcherW".to_string()]
    );
    // Found through the delay-load table even without the name scan.
    let mut no_strings = exe.clone();
    let at = no_strings
        .windows(26)
        .position(|w| w == b"StartServiceCtrlDispatcher")
        .unwrap();
    assert!(mentions_service_dispatcher(&no_strings, &info));
    no_strings[at] = b'X';
    let mut bare = info.clone();
    bare.imports.clear();
    assert!(!mentions_service_dispatcher(&no_strings, &bare));
    // Stamping keeps the import tables readable.
    let out = stamp(&exe, &sample_stamp(), None).unwrap();
    assert_eq!(inspect(&out).unwrap().imports, info.imports);
    // A descriptor whose name points nowhere is a clear error.
    let mut bad = exe.clone();
    let raw = Image::parse(&exe).unwrap().sections[2].raw_ptr as usize;
    bad[raw + 0x0c..raw + 0x10].copy_from_slice(&0x00ff_0000u32.to_le_bytes());
    let e = inspect(&bad).unwrap_err();
    assert!(
        matches!(e, PeError::Malformed(_)) && e.to_string().contains("DLL name"),
        "{e}"
    );
}
