//! The documented exit codes, and the usage error every command may return. Which error maps to
//! which code is decided at the top, where every area's error type is known (`crate::cli::code_for`).

use std::process::ExitCode;

/// Exit codes of the `portcast` binary (also listed in the README).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Ok = 0,
    /// Any other failure.
    Failure = 1,
    /// Bad command line (clap's own code).
    Usage = 2,
    /// The data has problems (a malformed file, a bad row); `data check` lists them.
    DataProblem = 3,
    /// The config file is unreadable or invalid.
    Config = 4,
    /// A source could not be fetched; the run went on with stored data.
    Degraded = 5,
    /// `run` completed, but some source's newest figure is overdue by more than its cadence and
    /// release lag allow (the page's first block and `summary.json` say which and what to run).
    Stale = 6,
    /// Another run holds the lock (EX_TEMPFAIL).
    Locked = 75,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// A mistake in a command's own arguments (exit code 2), found after clap's parsing.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
