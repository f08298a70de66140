//! svcpack: package a Windows service as release artifacts from any host OS.
//!
//! The library holds every stage of `cargo svcpack build` and the native WiX compiler
//! ([`wix`]); the `cargo-svcpack` binary is a thin CLI over it ([`cli`]).
//!
//! Data flows one way: configuration is validated first, turned into a build plan (pure
//! data), and the stage modules execute it.

pub mod cargo;
pub mod checksums;
pub mod ci;
pub mod cli;
pub mod compress;
pub mod config;
pub mod firewall;
pub mod helper;
pub mod host;
pub mod inspect;
pub mod linux;
pub mod manifest;
pub mod output;
pub mod pipeline;
pub mod plan;
pub mod portable;
pub mod progress;
pub mod render;
pub mod sbom;
pub mod sign;
pub mod version;
pub mod winget;

#[cfg(test)]
mod test_tools;

/// Calendar arithmetic for timestamps (the `svcpack-civil` crate).
pub use svcpack_civil as civil;
/// PE reading and version stamping (the `svcpack-pe` crate).
pub use svcpack_pe as pe;
/// The native WiX compiler (the `svcpack-wix` crate).
pub use svcpack_wix as wix;
