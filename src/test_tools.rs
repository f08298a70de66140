//! Tests that need an external tool: how they behave when it is missing.

/// Reports a check that cannot run for want of a tool: a notice on a developer's machine, a
/// failure where `SVCPACK_REQUIRE_TOOLS=1` (CI installs every tool the tests use, so there a
/// missing one must not pass silently).
pub(crate) fn unavailable(what: &str) {
    assert!(
        !std::env::var_os("SVCPACK_REQUIRE_TOOLS").is_some_and(|v| v == "1"),
        "SVCPACK_REQUIRE_TOOLS=1 but {what}"
    );
    eprintln!("notice: skipping a check: {what}");
}
