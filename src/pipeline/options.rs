//! Options of a build that the plan does not carry (they change how stages judge or
//! date their output, not what is built).

/// Options the plan does not carry.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `--strict`: a service exe that never calls StartServiceCtrlDispatcher is an error.
    pub strict: bool,
    /// Unix seconds for every timestamp in the artifacts ([`crate::wix::build_timestamp`]).
    pub timestamp: u64,
}
