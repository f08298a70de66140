//! Reproducible archives for Linux packages: a file tree written as a tar (owned by root,
//! one timestamp, sorted, parent folders listed), gzip without a name or time in its
//! header, and the `ar` container of a .deb.
//!
//! This file owns byte-level determinism; what goes into the trees is decided by the
//! .deb and tarball modules. Every entry's metadata is set here, never read from the build
//! machine, so two builds with the same SOURCE_DATE_EPOCH are byte-identical.

use std::collections::BTreeMap;
use std::io::Write;

/// What sits at one path of a tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A folder (its parents are implied).
    Dir,
    /// A regular file and its permission bits.
    File { data: Vec<u8>, mode: u32 },
    /// A symbolic link to `target`.
    Symlink { target: String },
}

/// A file tree keyed by relative path (`usr/lib/x/y`, no leading `./` or `/`).
#[derive(Clone, Debug, Default)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
}

impl Tree {
    pub fn new() -> Self {
        Tree::default()
    }

    /// Adds a regular file; its parent folders come with it.
    pub fn file(&mut self, path: &str, data: Vec<u8>, mode: u32) {
        self.parents(path);
        self.nodes
            .insert(path.to_string(), Node::File { data, mode });
    }

    /// Adds a symbolic link; its parent folders come with it.
    pub fn symlink(&mut self, path: &str, target: &str) {
        self.parents(path);
        self.nodes.insert(
            path.to_string(),
            Node::Symlink {
                target: target.to_string(),
            },
        );
    }

    /// Adds a folder (and its parents).
    pub fn dir(&mut self, path: &str) {
        self.parents(path);
        self.nodes.entry(path.to_string()).or_insert(Node::Dir);
    }

    fn parents(&mut self, path: &str) {
        let mut at = 0;
        while let Some(i) = path[at..].find('/') {
            let parent = &path[..at + i];
            self.nodes.entry(parent.to_string()).or_insert(Node::Dir);
            at += i + 1;
        }
    }

    /// The entries in path order.
    pub fn entries(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    /// dpkg's Installed-Size: KiB, each file rounded up, one per folder and link.
    pub fn installed_kib(&self) -> u64 {
        self.nodes
            .values()
            .map(|n| match n {
                Node::File { data, .. } => (data.len() as u64).div_ceil(1024).max(1),
                _ => 1,
            })
            .sum()
    }

    /// The tar of the tree. `prefix` starts every name (`./` for a .deb's members, the
    /// folder name for a tarball); `with_root` also lists the prefix itself as a folder.
    pub fn tar(&self, prefix: &str, with_root: bool, mtime: u64) -> Result<Vec<u8>, String> {
        let mut b = tar::Builder::new(Vec::new());
        let io = |e: std::io::Error| format!("cannot write a tar entry: {e}");
        if with_root {
            let h = header(tar::EntryType::Directory, 0o755, 0, mtime);
            append(&mut b, h, prefix, None, &[]).map_err(io)?;
        }
        for (path, node) in &self.nodes {
            let name = format!("{prefix}{path}");
            match node {
                Node::Dir => {
                    let h = header(tar::EntryType::Directory, 0o755, 0, mtime);
                    append(&mut b, h, &format!("{name}/"), None, &[]).map_err(io)?;
                }
                Node::File { data, mode } => {
                    let h = header(tar::EntryType::Regular, *mode, data.len() as u64, mtime);
                    append(&mut b, h, &name, None, data).map_err(io)?;
                }
                Node::Symlink { target } => {
                    let h = header(tar::EntryType::Symlink, 0o777, 0, mtime);
                    append(&mut b, h, &name, Some(target), &[]).map_err(io)?;
                }
            }
        }
        b.into_inner().map_err(io)
    }
}

/// Appends one entry. Names that fit the header are written as given, `./` included (the
/// tar crate's own path setter drops it, but dpkg's packages spell members `./usr/...`);
/// longer ones go through the crate's GNU long-name records.
fn append(
    b: &mut tar::Builder<Vec<u8>>,
    mut h: tar::Header,
    name: &str,
    link: Option<&str>,
    data: &[u8],
) -> std::io::Result<()> {
    let fits = |s: &str| s.len() < 100;
    let link_fits = match link {
        Some(target) => fits(target),
        None => true,
    };
    if fits(name) && link_fits {
        let old = h.as_old_mut();
        old.name = [0; 100];
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(target) = link {
            old.linkname = [0; 100];
            old.linkname[..target.len()].copy_from_slice(target.as_bytes());
        }
        h.set_cksum();
        return b.append(&h, data);
    }
    match link {
        Some(target) => b.append_link(&mut h, name, target),
        None => b.append_data(&mut h, name, data),
    }
}

/// A GNU header owned by root:root with fixed metadata.
fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    // Names are ASCII and short: these cannot fail, and an error would only lose the name.
    let _ = h.set_username("root");
    let _ = h.set_groupname("root");
    h
}

/// Gzip at the best level, with no file name and a zero time in the header (RFC 1952
/// MTIME 0: "no time stamp is available"), so the bytes depend on the input alone.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut enc = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    enc.write_all(data)
        .and_then(|()| enc.finish())
        .map_err(|e| format!("cannot gzip: {e}"))
}

/// Reverses [`gzip`] (for `inspect` and tests).
pub fn gunzip(data: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip stream: {e}"))?;
    Ok(out)
}

/// An `ar` archive of `members` in order, each owned by root with mode 0644 and `mtime`:
/// the container format of a .deb (deb(5)).
pub fn ar(members: &[(&str, &[u8])], mtime: u64) -> Result<Vec<u8>, String> {
    let mut b = ar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = ar::Header::new(name.as_bytes().to_vec(), data.len() as u64);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(0o100644);
        b.append(&h, *data)
            .map_err(|e| format!("cannot write the ar member {name}: {e}"))?;
    }
    b.into_inner()
        .map_err(|e| format!("cannot finish the ar archive: {e}"))
}

/// The members of an `ar` archive, in order.
pub fn ar_members(data: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    use std::io::Read;
    let mut archive = ar::Archive::new(data);
    let mut out = Vec::new();
    while let Some(entry) = archive.next_entry() {
        let mut entry = entry.map_err(|e| format!("not a valid ar archive: {e}"))?;
        let name = String::from_utf8_lossy(entry.header().identifier()).into_owned();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the ar member {name}: {e}"))?;
        out.push((name, bytes));
    }
    Ok(out)
}

/// The regular files and links of a tar: (path, contents or link target, mode).
pub fn tar_entries(data: &[u8]) -> Result<Vec<(String, Vec<u8>, u32)>, String> {
    use std::io::Read;
    let bad = |e: std::io::Error| format!("not a valid tar archive: {e}");
    let mut archive = tar::Archive::new(data);
    let mut out = Vec::new();
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let mode = entry.header().mode().unwrap_or(0);
        let mut bytes = Vec::new();
        match entry.header().entry_type() {
            tar::EntryType::Symlink => {
                if let Some(t) = entry.link_name().map_err(bad)? {
                    bytes = t.to_string_lossy().into_owned().into_bytes();
                }
            }
            tar::EntryType::Directory => continue,
            _ => {
                entry.read_to_end(&mut bytes).map_err(bad)?;
            }
        }
        out.push((path, bytes, mode));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_list_parents_and_are_reproducible() {
        let mut t = Tree::new();
        t.file("usr/lib/x/prog", b"\x7fELF".to_vec(), 0o755);
        t.symlink("usr/lib/x/agent.toml", "/etc/x/agent.toml");
        let names: Vec<&String> = t.entries().map(|(p, _)| p).collect();
        assert_eq!(
            names,
            [
                "usr",
                "usr/lib",
                "usr/lib/x",
                "usr/lib/x/agent.toml",
                "usr/lib/x/prog"
            ]
        );
        let a = gzip(&t.tar("./", true, 1_700_000_000).unwrap()).unwrap();
        let b = gzip(&t.tar("./", true, 1_700_000_000).unwrap()).unwrap();
        assert_eq!(a, b);
        let entries = tar_entries(&gunzip(&a).unwrap()).unwrap();
        assert_eq!(entries[0].0, "./usr/lib/x/agent.toml");
        assert_eq!(entries[0].1, b"/etc/x/agent.toml");
        assert_eq!(
            entries[1],
            ("./usr/lib/x/prog".into(), b"\x7fELF".to_vec(), 0o755)
        );
        assert_eq!(t.installed_kib(), 5);
    }

    #[test]
    fn long_names_survive() {
        let mut t = Tree::new();
        let long = format!("usr/share/{}/file.txt", "d".repeat(120));
        t.file(&long, b"x".to_vec(), 0o644);
        let entries = tar_entries(&t.tar("./", false, 0).unwrap()).unwrap();
        assert_eq!(entries[0].0, format!("./{long}"));
    }

    #[test]
    fn ar_round_trip() {
        let data = ar(&[("debian-binary", b"2.0\n"), ("x.tar.gz", b"abc")], 5).unwrap();
        assert!(data.starts_with(b"!<arch>\n"));
        let members = ar_members(&data).unwrap();
        assert_eq!(members[0], ("debian-binary".into(), b"2.0\n".to_vec()));
        assert_eq!(members[1].1, b"abc");
        assert!(ar_members(b"not an archive").is_err());
    }
}
