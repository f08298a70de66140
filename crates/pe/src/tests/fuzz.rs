//! Mutation tests: thousands of corrupted executables and icons go through every entry
//! point; none may panic (errors are fine). Deterministic: a failure prints the case
//! number and writes the input to the temp directory for replay.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::support::{fixture, ico, sample_stamp};
use super::unit::{Synth, SynthSection};
use crate::image::Image;
use crate::*;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Interesting (offset, length) regions of a base file: headers, the section table and
/// the data that directories point at, where corruption reaches the parsers.
fn hot_spots(b: &[u8]) -> Vec<(usize, usize)> {
    let mut v = vec![(0, b.len().min(0x400))];
    if let Ok(img) = Image::parse(b) {
        for d in 0..img.num_dirs {
            let dir = img.dir(d);
            if let Some(i) = img.section_of(dir.rva) {
                let s = &img.sections[i];
                let off = s.raw_ptr as usize + (dir.rva - s.virtual_address) as usize;
                v.push((off, (dir.size as usize).clamp(16, 0x2000)));
            }
        }
        for s in &img.sections {
            if s.name_is(".rsrc") || s.name_is(".idata") {
                v.push((s.raw_ptr as usize, s.raw_size as usize));
            }
        }
    }
    v
}

const INTERESTING: [u32; 10] = [
    0,
    1,
    0x7fff_ffff,
    0x8000_0000,
    0x8000_0010,
    0xffff_ffff,
    0xffff,
    0x1000,
    0x10,
    0xfffe,
];

fn mutate(rng: &mut Rng, base: &[u8], spots: &[(usize, usize)]) -> Vec<u8> {
    let mut b = base.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let (start, len) = spots[rng.below(spots.len())];
        let len = len.max(1);
        let at = (start + rng.below(len)).min(b.len().saturating_sub(1));
        match rng.below(7) {
            0 => {
                if let Some(x) = b.get_mut(at) {
                    *x ^= 1 << rng.below(8);
                }
            }
            1 => {
                if let Some(x) = b.get_mut(at) {
                    *x = rng.next() as u8;
                }
            }
            2 | 3 => {
                let v = if rng.below(2) == 0 {
                    INTERESTING[rng.below(INTERESTING.len())]
                } else {
                    rng.next() as u32 % (b.len() as u32 + 0x2000)
                };
                let at = at & !1;
                if let Some(s) = b.get_mut(at..at + 4) {
                    s.copy_from_slice(&v.to_le_bytes());
                }
            }
            4 => {
                let n = 1 + rng.below(64);
                let fill = if rng.below(2) == 0 { 0 } else { 0xff };
                for x in b.iter_mut().skip(at).take(n) {
                    *x = fill;
                }
            }
            5 => {
                let cut = rng.below(b.len() + 1);
                b.truncate(cut);
            }
            _ => {
                // Copy a chunk from elsewhere (plausible-looking structures).
                let n = 1 + rng.below(32);
                let from = rng.below(b.len().saturating_sub(n).max(1));
                let chunk: Vec<u8> = b.iter().skip(from).take(n).copied().collect();
                for (x, c) in b.iter_mut().skip(at).zip(chunk) {
                    *x = c;
                }
            }
        }
    }
    b
}

fn exercise(b: &[u8], icon: &[u8]) {
    let _ = is_pe(b);
    let before = inspect(b);
    if let Ok(info) = &before {
        let _ = mentions_service_dispatcher(b, info);
    }
    let _ = compute_checksum(b);
    let _ = strip_signature(b);
    let st = sample_stamp();
    if let Ok(out) = stamp(b, &st, Some(icon)) {
        // Whatever we write must read back, with our version in it.
        let img = Image::parse(&out).expect("stamped output parses");
        let _ = img;
        // What could be read before still reads the same, plus our version (unless the
        // import tables were pointed into the headers, which stamping rewrites).
        let tables_in_headers = Image::parse(b).is_ok_and(|img| {
            [1, 13].iter().any(|&d| {
                let dir = img.dir(d);
                dir.rva != 0 && dir.rva < img.size_of_headers
            })
        });
        if let (Ok(was), false) = (&before, tables_in_headers) {
            let info = inspect(&out).expect("stamped output inspects");
            assert_eq!(
                info.version_strings, st.strings,
                "stamped strings read back"
            );
            assert_eq!(info.imports, was.imports, "imports unchanged");
            assert_eq!(info.machine, was.machine);
        }
        assert_eq!(
            compute_checksum(&out).unwrap(),
            stored_checksum(&out).unwrap()
        );
    }
    let _ = stamp(b, &st, None);
}

/// Runs one case; panics (with the input saved for replay) on a panic or when a case
/// takes so long that a hostile file could stall a build.
fn check_case(input: &[u8], icon: &[u8], label: &str, slowest: &mut (f64, String)) {
    let t = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| exercise(input, icon)));
    let secs = t.elapsed().as_secs_f64();
    if secs > slowest.0 {
        *slowest = (secs, label.to_string());
    }
    if r.is_err() || secs > 5.0 {
        let p = std::env::temp_dir().join(format!("svcpack-pe-fuzz-{label}.exe"));
        let _ = std::fs::write(&p, input);
        panic!(
            "{label}: {} ({secs:.1} s); input saved to {}",
            if r.is_err() { "panicked" } else { "too slow" },
            p.display()
        );
    }
}

fn run(bases: &[Vec<u8>], cases: usize, seed: u64) {
    let icon = ico(&[(16, false), (32, true)], 1);
    let mut rng = Rng(seed);
    let mut slowest = (0.0, String::new());
    for case in 0..cases {
        let base = &bases[case % bases.len()];
        let spots = hot_spots(base);
        let input = mutate(&mut rng, base, &spots);
        check_case(
            &input,
            &icon,
            &format!("seed{seed:x}-case{case}"),
            &mut slowest,
        );
    }
    eprintln!(
        "{cases} corrupted executables: slowest {} took {:.3} s",
        slowest.1, slowest.0
    );
}

fn bases() -> Vec<Vec<u8>> {
    let res = fixture("svc-res-x64.exe");
    let x86 = fixture("hello-x86.exe");
    let stamped = stamp(&res, &sample_stamp(), Some(&ico(&[(16, false)], 2))).unwrap();
    let mut syn = Synth::basic();
    syn.sections.push(SynthSection {
        name: ".rsrc",
        va: 0x3000,
        vsize: 0x200,
        data: stamp(&Synth::basic().build(), &sample_stamp(), None)
            .map(|o| {
                let img = Image::parse(&o).unwrap();
                let s = img.sections.last().unwrap().clone();
                o[s.raw_ptr as usize..s.raw_end() as usize].to_vec()
            })
            .unwrap(),
        raw_size: 0x400,
    });
    vec![res, x86, stamped, Synth::basic().build(), syn.build()]
}

#[test]
fn corrupted_executables_never_panic() {
    // SVCPACK_FUZZ_CASES / SVCPACK_FUZZ_SEED widen the search when hunting by hand.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let n = env("SVCPACK_FUZZ_CASES").unwrap_or(5000) as usize;
    run(&bases(), n, env("SVCPACK_FUZZ_SEED").unwrap_or(0x5eed_0001));
}

#[test]
fn corrupted_icons_never_panic() {
    let base = ico(&[(16, false), (32, true), (48, false)], 3);
    let spots = vec![(0, 6 + 3 * 16), (0, base.len())];
    let mut rng = Rng(0x1c0);
    let exe = Synth::basic().build();
    for case in 0..3000 {
        let input = mutate(&mut rng, &base, &spots);
        let r = catch_unwind(AssertUnwindSafe(|| {
            if let Ok(f) = parse_ico(&input) {
                assert!(!f.images.is_empty());
                let out = stamp(&exe, &sample_stamp(), Some(&input)).unwrap();
                assert_eq!(
                    compute_checksum(&out).unwrap(),
                    stored_checksum(&out).unwrap()
                );
            }
        }));
        assert!(r.is_ok(), "icon case {case} panicked");
    }
}

#[test]
fn random_bytes_behind_valid_looking_headers_never_panic() {
    let mut rng = Rng(0xbad5eed);
    let good = Synth::basic().build();
    let icon = ico(&[(16, false)], 1);
    let mut slowest = (0.0, String::new());
    for case in 0..2000 {
        let len = rng.below(2048);
        let mut b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Keep a prefix of a valid header so parsing gets past the signature checks.
        let keep = rng.below(good.len().min(0x200));
        for (x, g) in b.iter_mut().zip(good.iter().take(keep)) {
            *x = *g;
        }
        check_case(&b, &icon, &format!("random-case{case}"), &mut slowest);
    }
    eprintln!(
        "random inputs: slowest {} took {:.3} s",
        slowest.1, slowest.0
    );
}
