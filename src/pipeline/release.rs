//! The release metadata built from the final artifacts: each Windows target's SBOM, then —
//! once every target is built — the winget manifests (one installer per Windows target),
//! SHA256SUMS and the machine-readable manifest that lists every artifact of every target.
//! The MSI and the zip are hashed from their staged files in pieces.

use std::path::Path;

use crate::checksums::{self, FileDigest};
use crate::manifest::{Artifact, ArtifactKind, Manifest, TargetSummary};

use super::state::{Content, Context, Release, TargetBuild};

/// Size and SHA-256 of a staged artifact, read in pieces.
fn digest(path: &Path, name: &str) -> Result<FileDigest, String> {
    checksums::hash_file(path).map_err(|e| format!("cannot read {name}: {e}"))
}

/// The CycloneDX SBOM of one target; after signing, so it names the final MSI's digest.
pub(super) fn sbom(cx: &Context, b: &mut TargetBuild) -> Result<Option<String>, String> {
    let host = b.host.as_ref().map(|(e, c)| (&e[..], c.as_str()));
    let (bytes, summary) =
        crate::sbom::for_build(cx.plan, b.target, &b.exe, host, &b.msi, cx.opts.timestamp)?;
    b.sbom = bytes;
    Ok(Some(summary))
}

/// The winget manifests (with `[release] winget-id`): one installer per Windows target
/// (winget installs Windows packages only).
pub(super) fn winget(
    cx: &Context,
    built: &[TargetBuild],
    r: &mut Release,
) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let built: Vec<&TargetBuild> = built.iter().filter(|b| b.target.linux.is_none()).collect();
    let codes = built
        .iter()
        .map(|b| crate::winget::product_code(&b.msi).map_err(|m| format!("{}: {m}", b.target.msi)))
        .collect::<Result<Vec<_>, _>>()?;
    let sums = built
        .iter()
        .map(|b| digest(&b.msi, &b.target.msi).map(|d| d.sha256))
        .collect::<Result<Vec<_>, _>>()?;
    let installers: Vec<crate::winget::WingetInstaller> = built
        .iter()
        .zip(codes.iter().zip(&sums))
        .map(|(b, (code, sha256))| crate::winget::WingetInstaller {
            arch: b.target.arch.as_str(),
            msi_name: &b.target.msi,
            msi_sha256: sha256,
            product_code: code,
        })
        .collect();
    let input = crate::winget::WingetInput {
        release: &plan.release,
        package: &plan.package,
        config: &plan.config,
        installers: &installers,
    };
    r.winget = crate::winget::manifests(&input)?.unwrap_or_default();
    Ok(Some(format!(
        "{} manifests in {}/",
        r.winget.len(),
        crate::winget::DIR
    )))
}

/// SHA256SUMS and the manifest, hashed from the final, signed bytes; lists every artifact
/// of every target as the output of the build.
pub(super) fn checksums(
    cx: &Context,
    built: &mut [TargetBuild],
    r: &mut Release,
) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let a = &plan.artifacts;
    // The zip counts as signed (its exe is); Linux packages are never signed.
    let signed = cx.signer.is_some();
    let mut summed: Vec<(String, String)> = Vec::new();
    let mut artifacts = Vec::new();
    let mut targets = Vec::new();
    for b in built.iter() {
        let t = b.target;
        let arch = t.arch.into();
        for (path, kind, d, signed) in target_artifacts(b, signed)? {
            summed.push((path.clone(), d.sha256.clone()));
            artifacts
                .push(Artifact::from_digest(path, kind, d, signed).for_target(&t.triple, arch));
        }
        targets.push(TargetSummary {
            target: t.triple.clone(),
            arch,
        });
    }
    let sums = checksums::sha256sums_of_digests(&summed);
    artifacts.push(Artifact::from_bytes(
        &a.checksums,
        ArtifactKind::Checksums,
        sums.as_bytes(),
        false,
    ));
    for (name, bytes) in &r.winget {
        artifacts.push(Artifact::from_bytes(
            name,
            ArtifactKind::WingetManifest,
            bytes,
            false,
        ));
    }
    let mut targets = targets.into_iter();
    let first = targets
        .next()
        .ok_or_else(|| "the build has no target".to_string())?;
    let manifest = Manifest::for_targets(
        &plan.config,
        &plan.package.name,
        first,
        targets.collect(),
        artifacts,
    )
    .to_json()
    .map_err(|e| e.to_string())?;
    // Out-dir order: each target's MSI and zip (or .deb and tarball), then the files that
    // cover them all, then each Windows target's SBOM, then the winget manifests — for one
    // target, the order it always had.
    let mut outputs = Vec::new();
    for b in built.iter_mut() {
        match &b.target.linux {
            Some(names) => {
                outputs.push((
                    names.deb.clone(),
                    Content::Bytes(std::mem::take(&mut b.deb)),
                ));
                outputs.push((
                    names.tarball.clone(),
                    Content::Bytes(std::mem::take(&mut b.tarball)),
                ));
            }
            None => {
                outputs.push((b.target.msi.clone(), Content::File(b.msi.clone())));
                outputs.push((b.target.zip.clone(), Content::File(b.zip.clone())));
            }
        }
    }
    outputs.push((a.checksums.clone(), Content::Bytes(sums.into_bytes())));
    outputs.push((a.manifest.clone(), Content::Bytes(manifest.into_bytes())));
    for b in built.iter_mut().filter(|b| b.target.linux.is_none()) {
        outputs.push((
            b.target.sbom.clone(),
            Content::Bytes(std::mem::take(&mut b.sbom)),
        ));
    }
    outputs.extend(r.winget.drain(..).map(|(n, b)| (n, Content::Bytes(b))));
    r.outputs = outputs;
    Ok(Some(String::new()))
}

/// One target's artifacts as (file name, kind, digest, signed): a Windows target's MSI, zip
/// and SBOM, a Linux target's .deb and tarball.
fn target_artifacts<'b>(
    b: &'b TargetBuild,
    signed: bool,
) -> Result<Vec<(&'b String, ArtifactKind, FileDigest, bool)>, String> {
    let t = b.target;
    let bytes = checksums::hash_bytes;
    Ok(match &t.linux {
        Some(names) => vec![
            (&names.deb, ArtifactKind::Deb, bytes(&b.deb), false),
            (
                &names.tarball,
                ArtifactKind::Tarball,
                bytes(&b.tarball),
                false,
            ),
        ],
        None => vec![
            (&t.msi, ArtifactKind::Msi, digest(&b.msi, &t.msi)?, signed),
            (
                &t.zip,
                ArtifactKind::PortableZip,
                digest(&b.zip, &t.zip)?,
                signed,
            ),
            (&t.sbom, ArtifactKind::Sbom, bytes(&b.sbom), false),
        ],
    })
}
