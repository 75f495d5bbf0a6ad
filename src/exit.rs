//! The documented exit codes, and how an error maps to one.

use std::process::ExitCode;

use crate::config::ConfigError;
use crate::ingest::settings::SourcesError;
use crate::settings::SettingsError;
use crate::store::StoreError;

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

/// The exit code for an error, found by looking through its cause chain.
pub fn code_for(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            if matches!(e, StoreError::Invalid(_)) {
                return Exit::DataProblem;
            }
        } else if cause.downcast_ref::<ConfigError>().is_some()
            || cause.downcast_ref::<SourcesError>().is_some()
        {
            return Exit::Config;
        } else if let Some(e) = cause.downcast_ref::<SettingsError>() {
            return match e {
                SettingsError::Config(_) => Exit::Config,
                SettingsError::Usage(_) => Exit::Usage,
            };
        } else if cause.downcast_ref::<UsageError>().is_some()
            || cause.downcast_ref::<crate::limits::FlagError>().is_some()
            || cause
                .downcast_ref::<crate::markets::file::MarketsFileError>()
                .is_some()
        {
            // A markets file is an input named on the command line, like an argument.
            return Exit::Usage;
        } else if let Some(crate::fsutil::LockError::Held { .. }) = cause.downcast_ref() {
            return Exit::Locked;
        }
    }
    Exit::Failure
}
