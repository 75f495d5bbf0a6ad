//! The [`Source`] trait every live source implements, and what a fetch hands back.
//!
//! A source turns one service's responses into [`ParsedPoint`]s, using the shared
//! [`HttpClient`](super::client::HttpClient) for the network and its own parser
//! (`super::portwatch`, `super::dbnomics`, ...) for the format. It never touches the store: the
//! orchestrator (`super::fetch`) decides what is new, revised or unchanged and writes the store
//! once the whole fetch of a source has succeeded, so a source that fails half way leaves nothing
//! behind.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use chrono::{Duration, NaiveDate};
use indicatif::ProgressBar;
use serde::Serialize;
use thiserror::Error;

use super::client::{HttpClient, HttpError};
use super::parsed::ParsedPoint;
use super::settings::Endpoints;
use crate::model::Period;

/// A boxed future, so [`Source`] can be used as a trait object on the tokio runtime.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The live sources, as named on the command line (`portcast fetch --source NAME`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceId {
    /// IMF PortWatch daily port calls and trade estimates.
    Portwatch,
    /// NBS manufacturing PMI and sub-indices (DBnomics, NBS easyquery as fallback).
    Pmi,
    /// SCFI composite and routes (Shanghai Shipping Exchange, current and previous week).
    Scfi,
    /// Port of Los Angeles monthly TEU.
    Pola,
    /// Official Shanghai monthly TEU: no API (kept with `portcast data add`); nothing to fetch.
    Shanghai,
}

impl SourceId {
    pub const ALL: [SourceId; 5] = [
        SourceId::Portwatch,
        SourceId::Pmi,
        SourceId::Scfi,
        SourceId::Pola,
        SourceId::Shanghai,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceId::Portwatch => "portwatch",
            SourceId::Pmi => "pmi",
            SourceId::Scfi => "scfi",
            SourceId::Pola => "pola",
            SourceId::Shanghai => "shanghai",
        }
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a source's fetch returns when every request of it succeeded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fetched {
    /// Every figure read, in any order (the orchestrator compares them with the store).
    pub points: Vec<ParsedPoint>,
    /// Provenance written with each observation, e.g. `IMF PortWatch <url>`.
    pub provenance: String,
    /// Things the user should know that are not failures (a route not published, a fallback used).
    pub notes: Vec<String>,
}

/// Why a source's fetch failed.
#[derive(Debug, Error)]
pub enum SourceError {
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The primary service and its fallback both failed (PMI: DBnomics, then NBS easyquery).
    #[error("{primary} failed: {primary_error}; fallback {fallback} failed too: {fallback_error}")]
    BothFailed {
        primary: &'static str,
        primary_error: String,
        fallback: &'static str,
        fallback_error: String,
    },
    /// Every page the source asked for was missing (HTTP 404): the site has moved.
    #[error("{0}")]
    NothingFound(String),
}

/// Everything a source needs to know for one fetch.
#[derive(Clone, Debug)]
pub struct FetchContext {
    pub client: HttpClient,
    pub endpoints: Endpoints,
    /// PortWatch port ids.
    pub ports: Vec<String>,
    /// `--since`: fetch from this date on instead of the incremental window.
    pub since: Option<NaiveDate>,
    /// Days before the last stored period to fetch again (revisions).
    pub overlap_days: i64,
    /// The last period of each series in the store (bundled included), as of the fetch time.
    pub last_stored: BTreeMap<String, Period>,
    /// The fetch date (UTC).
    pub today: NaiveDate,
    /// Where the source reports what it is doing (hidden off a terminal).
    pub progress: ProgressBar,
}

impl FetchContext {
    /// The first date to ask for, for the series whose ids start with `prefix`: `--since` if
    /// given, else the last stored period of those series minus the overlap window, else `None`
    /// (no data stored: everything the service has).
    pub fn window_start(&self, prefix: &str) -> Option<NaiveDate> {
        self.window_start_where(|id| id.starts_with(prefix))
    }

    /// [`FetchContext::window_start`] for the series `wanted` picks.
    pub fn window_start_where(&self, wanted: impl Fn(&str) -> bool) -> Option<NaiveDate> {
        if self.since.is_some() {
            return self.since;
        }
        self.last_stored
            .iter()
            .filter(|(id, _)| wanted(id))
            .map(|(_, period)| period.end())
            .max()
            .map(|last| last - Duration::days(self.overlap_days))
    }
}

/// One live service, turned into points.
pub trait Source: Send + Sync {
    fn id(&self) -> SourceId;

    /// Fetch everything this source has in the window; all or nothing.
    fn fetch<'a>(&'a self, ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>>;

    /// A source with nothing to fetch (kept by hand) says why instead; `None` for live sources.
    fn manual_note(&self) -> Option<&'static str> {
        None
    }
}

/// An error and its causes on one line, `: `-separated (as anyhow's `{:#}` prints them).
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let next = c.to_string();
        // Some errors repeat their cause in their own message; do not print it twice.
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_joins_causes_once() {
        #[derive(Debug, Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer: inner");
    }

    #[test]
    fn window_from_since_or_last_stored() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut ctx = FetchContext {
            client: HttpClient::new(Default::default()).unwrap(),
            endpoints: Endpoints::default(),
            ports: vec![],
            since: None,
            overlap_days: 28,
            last_stored: BTreeMap::new(),
            today: day("2026-01-10"),
            progress: ProgressBar::hidden(),
        };
        assert_eq!(ctx.window_start("la_"), None);
        ctx.last_stored
            .insert("la_teu".into(), Period::month(2023, 12).unwrap());
        ctx.last_stored
            .insert("la_loaded_imports".into(), Period::month(2023, 11).unwrap());
        assert_eq!(ctx.window_start("la_"), Some(day("2023-12-03")));
        ctx.since = Some(day("2020-01-01"));
        assert_eq!(ctx.window_start("la_"), Some(day("2020-01-01")));
    }
}
