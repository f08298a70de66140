//! `cargo-svcpack`: the thin binary over the `svcpack` library.
fn main() -> std::process::ExitCode {
    svcpack::cli::main()
}
