//! A hand-entered figure (`portcast data add`) checked into an [`Observation`]: the series must
//! be stored (not computed from others), the period on its grid, the value a plausible figure of
//! its unit, and the time it became known after its period's end and not in the future; a
//! revision is known after the figure it revises. The command parses its arguments into an
//! [`Entry`] and appends the result to the store (`super::file::append`).

use std::sync::Arc;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use crate::model::{BadTime, Frequency, Observation, Period, Precision, parse_as_of, start_of_day};
use crate::series::catalog::{self, Implausible, ReleaseLags};
use crate::store::csvfile::{FieldError, parse_number, parse_period};

/// Why a hand-entered figure (`data add`) is refused: a mistake in the command's arguments
/// (exit code 2). A cause from a lower layer is part of the message, not a source: printed once.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("unknown series `{0}` (see `portcast data list`)")]
    UnknownSeries(String),
    #[error("`{0}` is computed from the PortWatch port series; add to those instead")]
    Computed(String),
    #[error("period: {error} (`{series}` is keyed by {freq})")]
    Period {
        error: FieldError,
        series: String,
        freq: Frequency,
    },
    #[error("value: {0}")]
    Value(FieldError),
    #[error("value: empty")]
    EmptyValue,
    #[error("value: `{series}` counts {unit} and cannot be negative")]
    Negative { series: String, unit: String },
    #[error("value: {0}")]
    Implausible(Implausible),
    #[error("source: must be one line")]
    SourceLines,
    #[error(transparent)]
    KnownAt(#[from] BadTime),
    #[error("--known-at {} is in the future", .0.to_rfc3339())]
    Future(DateTime<Utc>),
    #[error(
        "--known-at {} is before the last day of the period {period} ({})",
        known_at.to_rfc3339(),
        period.end()
    )]
    BeforePeriodEnd {
        known_at: DateTime<Utc>,
        period: Period,
    },
    #[error(
        "the period {period} is not over (its last day is {}): no figure for it is published yet",
        period.end()
    )]
    NotOver { period: Period },
    #[error(
        "{series} {period}: a revision must be known after the figure it revises (known at {}); \
         --known-at {} is not later",
        latest.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        known_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    )]
    RevisionNotLater {
        series: String,
        period: Period,
        latest: DateTime<Utc>,
        known_at: DateTime<Utc>,
    },
}

/// When a revision of `obs`'s period, last known at `latest`, becomes known: the explicit
/// `--known-at` (`given`, already parsed into `obs.known_at`) if it is after `latest`, refused
/// otherwise; by default the time of entry in whole seconds (or a millisecond after `latest`,
/// should that be later).
pub fn revision_known_at(
    given: bool,
    obs: &Observation,
    latest: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, EntryError> {
    if given {
        if obs.known_at <= latest {
            return Err(EntryError::RevisionNotLater {
                series: obs.series.to_string(),
                period: obs.period,
                latest,
                known_at: obs.known_at,
            });
        }
        return Ok(obs.known_at);
    }
    let whole = chrono::DurationRound::duration_trunc(now, Duration::seconds(1)).unwrap_or(now);
    Ok(whole.max(latest + Duration::milliseconds(1)))
}

/// A hand-entered figure as typed (`portcast data add SERIES PERIOD VALUE`), before its checks.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    pub series: &'a str,
    pub period: &'a str,
    pub value: &'a str,
    pub precision: Precision,
    pub source: &'a str,
    /// `--known-at`: a date (published that day) or an RFC 3339 time; `None` for the series'
    /// release date by its release lag.
    pub known_at: Option<&'a str>,
}

impl Entry<'_> {
    /// The observation this entry stands for, checked against the series catalog (a stored,
    /// not computed, series; its period grid; a plausible, non-negative count) and the calendar
    /// (never known before its period's last day, nor after `now`).
    pub fn check(&self, lags: &ReleaseLags, now: DateTime<Utc>) -> Result<Observation, EntryError> {
        let spec = catalog::spec(self.series)
            .ok_or_else(|| EntryError::UnknownSeries(self.series.to_string()))?;
        if matches!(spec.id.as_str(), "shanghai_calls" | "shanghai_calls_all") {
            return Err(EntryError::Computed(spec.id.clone()));
        }
        let period =
            parse_period(self.period, spec.period).map_err(|error| EntryError::Period {
                error,
                series: spec.id.clone(),
                freq: spec.period,
            })?;
        let value = parse_number(self.value)
            .map_err(EntryError::Value)?
            .ok_or(EntryError::EmptyValue)?;
        if spec.count && value < 0.0 {
            return Err(EntryError::Negative {
                series: spec.id.clone(),
                unit: spec.unit.clone(),
            });
        }
        spec.check_plausible(value)
            .map_err(EntryError::Implausible)?;
        if self.source.contains(['\n', '\r']) {
            return Err(EntryError::SourceLines);
        }
        let known_at = match self.known_at {
            Some(s) => parse_as_of(s).map(|t| {
                // A date means "published that day": the start of it, like the snapshot's figures.
                if s.trim().len() == 10 {
                    start_of_day(t.date_naive())
                } else {
                    t
                }
            })?,
            None => {
                let release = start_of_day(period.end() + Duration::days(lags.lag_days(&spec)));
                release.min(now)
            }
        };
        if known_at > now {
            return Err(EntryError::Future(known_at));
        }
        // Nothing is published before its period's last day: a figure is never known earlier.
        if known_at < start_of_day(period.end()) {
            return Err(match self.known_at {
                Some(_) => EntryError::BeforePeriodEnd { known_at, period },
                None => EntryError::NotOver { period },
            });
        }
        Ok(Observation {
            series: Arc::from(spec.id.as_str()),
            period,
            value,
            unit: Arc::from(spec.unit.as_str()),
            precision: self.precision,
            source: Arc::from(self.source.trim()),
            known_at,
        })
    }
}
