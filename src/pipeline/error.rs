//! The one error a build returns: the stage that failed and a one-line cause.

use crate::plan::Stage;

/// A build failure: which stage, and a one-line cause.
#[derive(Debug, thiserror::Error)]
#[error("{stage}: {message}")]
pub struct BuildError {
    pub stage: &'static str,
    pub message: String,
}

/// Names `stage` as the one that failed with `message`.
pub(crate) fn fail(stage: Stage, message: impl Into<String>) -> BuildError {
    BuildError {
        stage: stage.name(),
        message: message.into(),
    }
}
