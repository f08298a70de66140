//! The release metadata built from the final artifacts: the SBOM, the winget manifests,
//! SHA256SUMS and the machine-readable manifest that lists every artifact.

use crate::checksums;
use crate::manifest::{Artifact, ArtifactKind, Manifest};

use super::state::{Build, Context};

/// The CycloneDX SBOM; after signing, so it names the final MSI's digest.
pub(super) fn sbom(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let host = b.host.as_ref().map(|(e, c)| (&e[..], c.as_str()));
    let (bytes, summary) =
        crate::sbom::for_build(cx.plan, &b.exe, host, &b.msi, cx.opts.timestamp)?;
    b.sbom = bytes;
    Ok(Some(summary))
}

/// The winget manifests (with `[release] winget-id`).
pub(super) fn winget(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let product_code = crate::winget::product_code(&b.msi)?;
    let input = crate::winget::WingetInput {
        release: &plan.release,
        package: &plan.package,
        config: &plan.config,
        arch: plan.arch.as_str(),
        msi_name: &plan.artifacts.msi,
        msi: &b.msi,
        product_code: &product_code,
    };
    b.winget = crate::winget::manifests(&input)?.unwrap_or_default();
    Ok(Some(format!(
        "{} manifests in {}/",
        b.winget.len(),
        crate::winget::DIR
    )))
}

/// SHA256SUMS and the manifest, hashed from the final, signed bytes; lists every artifact
/// as the output of the build.
pub(super) fn checksums(cx: &Context, b: &mut Build) -> Result<Option<String>, String> {
    let plan = cx.plan;
    let a = &plan.artifacts;
    let sums = checksums::sha256sums(&[
        (a.msi.clone(), &b.msi[..]),
        (a.zip.clone(), &b.zip[..]),
        (a.sbom.clone(), &b.sbom[..]),
    ]);
    // The zip counts as signed (its exe is).
    let signed = b.signer.is_some();
    let mut artifacts = vec![
        Artifact::from_bytes(&a.msi, ArtifactKind::Msi, &b.msi, signed),
        Artifact::from_bytes(&a.zip, ArtifactKind::PortableZip, &b.zip, signed),
        Artifact::from_bytes(
            &a.checksums,
            ArtifactKind::Checksums,
            sums.as_bytes(),
            false,
        ),
        Artifact::from_bytes(&a.sbom, ArtifactKind::Sbom, &b.sbom, false),
    ];
    for (name, bytes) in &b.winget {
        artifacts.push(Artifact::from_bytes(
            name,
            ArtifactKind::WingetManifest,
            bytes,
            false,
        ));
    }
    let arch = crate::manifest::Arch::from_target(&plan.target)
        .ok_or_else(|| "unknown architecture".to_string())?;
    let manifest = Manifest::new(
        &plan.config,
        &plan.package.name,
        &plan.target,
        arch,
        artifacts,
    )
    .to_json()
    .map_err(|e| e.to_string())?;
    b.outputs = vec![
        (a.msi.clone(), std::mem::take(&mut b.msi)),
        (a.zip.clone(), std::mem::take(&mut b.zip)),
        (a.checksums.clone(), sums.into_bytes()),
        (a.manifest.clone(), manifest.into_bytes()),
        (a.sbom.clone(), std::mem::take(&mut b.sbom)),
    ];
    b.outputs.append(&mut b.winget);
    Ok(Some(String::new()))
}
