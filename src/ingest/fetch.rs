//! The fetch run: every chosen source concurrently, each one's figures compared with the store and
//! written to it point-in-time, each failing on its own.
//!
//! For each source, once its whole fetch has succeeded, every figure is checked against the
//! catalog (known series, right period grid, no negative counts) and compared with what the store
//! holds as of the fetch time, bundled snapshot included:
//! - **new**: nothing known for the period; `known_at` is the publication date the source states
//!   (SCFI) or else the fetch time;
//! - **unchanged**: the same value and precision; nothing written (the first sighting's `known_at`
//!   stands);
//! - **revised**: a different value; written beside the old one with `known_at` = the fetch time
//!   (a millisecond after the old figure's, should both fall in the same second), and listed in
//!   the report.
//!
//! New and revised observations of a source are appended in one atomic write
//! (`crate::store::file::append`: temporary file, sync, rename). A source that fails — network,
//! format, a bad figure — writes nothing, so the store stays byte for byte as it was.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use indicatif::ProgressBar;
use serde::Serialize;
use thiserror::Error;

use super::client::{HttpClient, HttpError};
use super::parsed::ParsedPoint;
use super::settings::IngestSettings;
use super::source::{FetchContext, Fetched, Source, SourceId, error_chain};
use crate::model::{Observation, Period, Precision, start_of_day};
use crate::series::catalog;
use crate::store::csvfile::{FieldError, check_period_year};
use crate::store::{Store, file};

/// What to fetch.
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// Sources in the order to report them; empty means all.
    pub sources: Vec<SourceId>,
    /// Fetch from this date instead of the incremental window.
    pub since: Option<NaiveDate>,
}

/// A run that could not start at all (every source's own failure is in its [`SourceReport`]).
#[derive(Debug, Error)]
pub enum FetchRunError {
    #[error(transparent)]
    Client(#[from] HttpError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

/// A fetched figure that cannot go into the store.
#[derive(Debug, Error, PartialEq)]
pub enum InvalidFigure {
    #[error(
        "`{series}` is not a series portcast knows (the source returned a field it does not expect)"
    )]
    UnknownSeries { series: String },
    #[error("{series} {period}: a {found} period, but the series is keyed by {expected}")]
    WrongGrid {
        series: String,
        period: String,
        found: String,
        expected: String,
    },
    #[error("{series} {period}: {value} is not a valid figure: {reason}")]
    BadValue {
        series: String,
        period: String,
        value: f64,
        /// Not `source`: the message already ends with it (printed once, not twice).
        reason: Box<catalog::Implausible>,
    },
    #[error("{series} {period}: {value} is not a valid figure: {reason}")]
    BadPeriod {
        series: String,
        period: String,
        value: f64,
        /// Not `source`: the message already ends with it (printed once, not twice).
        reason: FieldError,
    },
    #[error("{series} {period}: the response gives two different figures, {first} and {second}")]
    Conflict {
        series: String,
        period: String,
        first: f64,
        second: f64,
    },
}

/// The outcome of one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
    /// A source kept by hand (official Shanghai TEU).
    NothingToFetch,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::NothingToFetch => "nothing to fetch",
        }
    }
}

/// A figure that changed since it was stored.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Revision {
    pub series: String,
    pub period: String,
    pub previous: f64,
    pub previous_precision: Precision,
    pub previous_known_at: DateTime<Utc>,
    pub value: f64,
    pub precision: Precision,
    pub known_at: DateTime<Utc>,
}

/// What one source did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceReport {
    pub source: SourceId,
    pub status: Status,
    pub failed: bool,
    pub new: usize,
    pub revised: usize,
    pub unchanged: usize,
    /// The failure, cause chain included, naming the URL.
    pub error: Option<String>,
    pub notes: Vec<String>,
    pub revisions: Vec<Revision>,
}

impl SourceReport {
    fn empty(source: SourceId, status: Status) -> Self {
        SourceReport {
            source,
            status,
            failed: status == Status::Failed,
            new: 0,
            revised: 0,
            unchanged: 0,
            error: None,
            notes: Vec::new(),
            revisions: Vec::new(),
        }
    }

    fn failed(source: SourceId, error: String, notes: Vec<String>) -> Self {
        SourceReport {
            error: Some(error),
            notes,
            ..Self::empty(source, Status::Failed)
        }
    }
}

/// The whole run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FetchReport {
    /// The fetch time: `known_at` of every new figure without a stated publication date.
    pub fetched_at: DateTime<Utc>,
    pub store: PathBuf,
    pub sources: Vec<SourceReport>,
}

impl FetchReport {
    pub fn any_failed(&self) -> bool {
        self.sources.iter().any(|s| s.failed)
    }
}

/// [`fetch`] for callers that are not async: on its own tokio runtime of two worker threads,
/// dropped before returning.
pub fn fetch_blocking(
    store: &Store,
    store_dir: &Path,
    settings: &IngestSettings,
    options: &FetchOptions,
    now: DateTime<Utc>,
    bar: &dyn Fn(SourceId) -> ProgressBar,
) -> Result<FetchReport, FetchRunError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(FetchRunError::Runtime)?;
    runtime.block_on(fetch(store, store_dir, settings, options, now, bar))
}

/// Fetch `options.sources` concurrently into the store directory `store_dir`, comparing with
/// `store` (which must be that directory's store plus the snapshot, as of `now`). `now` is the
/// fetch time (the binary passes it in whole seconds). `bar` gives each source its progress bar.
/// The caller holds the store lock.
pub async fn fetch(
    store: &Store,
    store_dir: &Path,
    settings: &IngestSettings,
    options: &FetchOptions,
    now: DateTime<Utc>,
    bar: &dyn Fn(SourceId) -> ProgressBar,
) -> Result<FetchReport, FetchRunError> {
    let client = HttpClient::new(settings.client.clone())?;
    let mut ids = if options.sources.is_empty() {
        SourceId::ALL.to_vec()
    } else {
        options.sources.clone()
    };
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    let last_stored = last_stored(store, now);

    let mut reports: BTreeMap<SourceId, SourceReport> = BTreeMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    let mut task_ids = HashMap::new();
    for &id in &ids {
        let source = source_for(id);
        if let Some(note) = source.manual_note() {
            let mut report = SourceReport::empty(id, Status::NothingToFetch);
            report.notes.push(note.to_string());
            reports.insert(id, report);
            continue;
        }
        let ctx = FetchContext {
            client: client.clone(),
            endpoints: settings.endpoints.clone(),
            ports: settings.ports.clone(),
            since: options.since,
            overlap_days: settings.overlap_days,
            last_stored: last_stored.clone(),
            today: now.date_naive(),
            progress: bar(id),
        };
        let handle = tasks.spawn(async move {
            let result = source.fetch(&ctx).await;
            ctx.progress.finish_and_clear();
            result
        });
        task_ids.insert(handle.id(), id);
    }

    // Results are written as they arrive, one source at a time (sources never share a series,
    // and one writer keeps the appends in order).
    let mut overlay = Overlay::default();
    while let Some(joined) = tasks.join_next_with_id().await {
        let (id, result) = match joined {
            Ok((task, result)) => (task_ids[&task], result.map_err(|e| error_chain(&e))),
            Err(e) => (task_ids[&e.id()], Err(format!("internal error: {e}"))),
        };
        let report = match result {
            Err(error) => {
                tracing::debug!("{id}: {error}");
                SourceReport::failed(id, error, Vec::new())
            }
            Ok(fetched) => store_fetched(store, store_dir, &mut overlay, id, fetched, now),
        };
        reports.insert(id, report);
    }
    Ok(FetchReport {
        fetched_at: now,
        store: store_dir.to_path_buf(),
        sources: ids.iter().filter_map(|id| reports.remove(id)).collect(),
    })
}

/// Classify one source's figures and append the new and revised ones.
fn store_fetched(
    store: &Store,
    store_dir: &Path,
    overlay: &mut Overlay,
    id: SourceId,
    fetched: Fetched,
    now: DateTime<Utc>,
) -> SourceReport {
    let classified = match classify(store, overlay, &fetched, now) {
        Ok(c) => c,
        Err(e) => {
            return SourceReport::failed(
                id,
                format!(
                    "a fetched figure from {} cannot be stored, nothing written: {e}",
                    fetched.provenance
                ),
                fetched.notes,
            );
        }
    };
    let mut rows: Vec<Observation> = classified.new.clone();
    rows.extend(classified.revised.iter().map(|(o, _)| o.clone()));
    rows.sort_by(|a, b| (&a.series, a.period, a.known_at).cmp(&(&b.series, b.period, b.known_at)));
    if let Err(e) = file::append(store_dir, &rows) {
        return SourceReport::failed(
            id,
            format!(
                "cannot write {}: {e}; nothing written",
                file::path_in(store_dir).display()
            ),
            fetched.notes,
        );
    }
    for o in &rows {
        overlay.insert(o);
    }
    let mut notes = fetched.notes;
    if let Some(first) = classified.future.first() {
        notes.push(format!(
            "{} figure(s) for periods not over at the fetch time refused, not stored (first: {first})",
            classified.future.len()
        ));
    }
    SourceReport {
        new: classified.new.len(),
        revised: classified.revised.len(),
        unchanged: classified.unchanged,
        notes,
        revisions: classified.revised.into_iter().map(|(_, r)| r).collect(),
        ..SourceReport::empty(id, Status::Ok)
    }
}

/// What is known of a period: value, precision, since when.
type Known = (f64, Precision, DateTime<Utc>);

/// Figures written earlier in this run (so a series two sources share is compared with both).
#[derive(Default)]
struct Overlay {
    latest: HashMap<(Arc<str>, Period), Known>,
}

impl Overlay {
    fn insert(&mut self, o: &Observation) {
        self.latest.insert(
            (o.series.clone(), o.period),
            (o.value, o.precision, o.known_at),
        );
    }
}

/// One source's figures sorted into new, revised (with what they revise) and unchanged.
#[derive(Debug, Default)]
struct Classified {
    new: Vec<Observation>,
    revised: Vec<(Observation, Revision)>,
    unchanged: usize,
    /// Figures for periods that end after the fetch time (`series period`): refused, since
    /// nothing is published before its period is over; the rest of the source is stored.
    future: Vec<String>,
}

/// Compare fetched figures with the store as of `now`; refuse the lot if any figure cannot be
/// stored (the store file must always load).
fn classify(
    store: &Store,
    overlay: &Overlay,
    fetched: &Fetched,
    now: DateTime<Utc>,
) -> Result<Classified, InvalidFigure> {
    let points = dedup(&fetched.points)?;
    let provenance: Arc<str> = Arc::from(fetched.provenance.as_str());
    let mut by_series: BTreeMap<&str, Vec<&ParsedPoint>> = BTreeMap::new();
    for p in &points {
        by_series.entry(p.series.as_str()).or_default().push(p);
    }
    let mut out = Classified::default();
    for (series, points) in by_series {
        let spec = catalog::spec(series).ok_or_else(|| InvalidFigure::UnknownSeries {
            series: series.to_string(),
        })?;
        let id: Arc<str> = Arc::from(series);
        let unit: Arc<str> = Arc::from(spec.unit.as_str());
        // Latest figure per period as of now, and every known_at per period (a new row must not
        // repeat one: the store file refuses duplicate (series, period, known_at) rows).
        let mut current: HashMap<Period, Known> = HashMap::new();
        let mut stamps: HashMap<Period, Vec<DateTime<Utc>>> = HashMap::new();
        for o in store.observations(series) {
            stamps.entry(o.period).or_default().push(o.known_at);
            // `now` is whole seconds; a revision written by a fetch earlier in the same second
            // sits a millisecond after it and is already known.
            if o.known_at < now + Duration::seconds(1) {
                // Sorted by (period, known_at): the last one known by now wins.
                current.insert(o.period, (o.value, o.precision, o.known_at));
            }
        }
        for p in points {
            if p.period.frequency() != spec.period {
                return Err(InvalidFigure::WrongGrid {
                    series: series.to_string(),
                    period: p.period.to_string(),
                    found: p.period.frequency().to_string(),
                    expected: spec.period.to_string(),
                });
            }
            if let Err(reason) = spec.check_plausible(p.value) {
                return Err(InvalidFigure::BadValue {
                    series: series.to_string(),
                    period: p.period.to_string(),
                    value: p.value,
                    reason: Box::new(reason),
                });
            }
            if let Err(reason) = check_period_year(p.period) {
                return Err(InvalidFigure::BadPeriod {
                    series: series.to_string(),
                    period: p.period.to_string(),
                    value: p.value,
                    reason,
                });
            }
            // A figure is never known before its period's last day began: a day in 2032 or a
            // PMI for a month not yet over is a garbled or test figure, never stored as known.
            let due = start_of_day(p.period.end());
            if due > now {
                out.future.push(format!("{series} {}", p.period));
                continue;
            }
            let known = overlay
                .latest
                .get(&(id.clone(), p.period))
                .or_else(|| current.get(&p.period))
                .copied();
            let taken = stamps.get(&p.period).map(Vec::as_slice).unwrap_or(&[]);
            match known {
                Some((value, precision, _)) if value == p.value && precision == p.precision => {
                    out.unchanged += 1;
                }
                Some((value, precision, known_at)) => {
                    // A revision becomes known now, never at the stated publication date: the
                    // old figure was the public one until this fetch saw the new one.
                    let at = unique_stamp(now.max(known_at + Duration::milliseconds(1)), taken);
                    let o = observation(&id, &unit, &provenance, p, at);
                    let revision = Revision {
                        series: series.to_string(),
                        period: p.period.to_string(),
                        previous: value,
                        previous_precision: precision,
                        previous_known_at: known_at,
                        value: p.value,
                        precision: p.precision,
                        known_at: at,
                    };
                    out.revised.push((o, revision));
                }
                None => {
                    let stated = p.published.map(start_of_day).filter(|t| *t <= now);
                    let at = unique_stamp(stated.unwrap_or(now).max(due), taken);
                    out.new.push(observation(&id, &unit, &provenance, p, at));
                }
            }
        }
    }
    Ok(out)
}

fn observation(
    series: &Arc<str>,
    unit: &Arc<str>,
    source: &Arc<str>,
    p: &ParsedPoint,
    known_at: DateTime<Utc>,
) -> Observation {
    Observation {
        series: series.clone(),
        period: p.period,
        value: p.value,
        unit: unit.clone(),
        precision: p.precision,
        source: source.clone(),
        known_at,
    }
}

/// `at`, moved on by a millisecond until no stored figure of the period has it. (Only two fetches
/// within one second need it; otherwise the fetch time stays in whole seconds, as `data show`
/// prints it. A millisecond, not a second, so the figure is never dated after the fetch that saw
/// it has finished.)
fn unique_stamp(mut at: DateTime<Utc>, taken: &[DateTime<Utc>]) -> DateTime<Utc> {
    while taken.contains(&at) {
        at += Duration::milliseconds(1);
    }
    at
}

/// One point per (series, period): pages and ports can repeat a row; two different figures for
/// the same period in one fetch are a garbled response.
fn dedup(points: &[ParsedPoint]) -> Result<Vec<ParsedPoint>, InvalidFigure> {
    let mut seen: BTreeMap<(&str, Period), &ParsedPoint> = BTreeMap::new();
    for p in points {
        match seen.get(&(p.series.as_str(), p.period)) {
            Some(q) if q.value != p.value || q.precision != p.precision => {
                return Err(InvalidFigure::Conflict {
                    series: p.series.clone(),
                    period: p.period.to_string(),
                    first: q.value,
                    second: p.value,
                });
            }
            Some(_) => {}
            None => {
                seen.insert((p.series.as_str(), p.period), p);
            }
        }
    }
    Ok(seen.into_values().cloned().collect())
}

/// The last period of every stored series as of `now`.
fn last_stored(store: &Store, now: DateTime<Utc>) -> BTreeMap<String, Period> {
    let mut last = BTreeMap::new();
    for id in store.series_ids() {
        if let Ok(view) = store.view(&id, now)
            && let Some(p) = view.points.last()
        {
            last.insert(id, p.period);
        }
    }
    last
}

/// The [`Source`] of an id.
pub fn source_for(id: SourceId) -> Box<dyn Source> {
    match id {
        SourceId::Portwatch => Box::new(super::portwatch::PortWatchSource),
        SourceId::Pmi => Box::new(super::pmi::PmiSource),
        SourceId::Scfi => Box::new(super::scfi::ScfiSource),
        SourceId::Pola => Box::new(super::pola::PolaSource),
        SourceId::Shanghai => Box::new(super::shanghai::ShanghaiTeu),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Frequency;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn point(series: &str, period: Period, value: f64, published: Option<&str>) -> ParsedPoint {
        ParsedPoint {
            series: series.into(),
            period,
            value,
            precision: Precision::Exact,
            published: published.map(day),
        }
    }

    fn stored(series: &str, period: Period, value: f64, known: &str) -> Observation {
        Observation {
            series: Arc::from(series),
            period,
            value,
            unit: Arc::from("x"),
            precision: Precision::Exact,
            source: Arc::from("test"),
            known_at: start_of_day(day(known)),
        }
    }

    fn fetched(points: Vec<ParsedPoint>) -> Fetched {
        Fetched {
            points,
            provenance: "test source".into(),
            notes: vec![],
        }
    }

    #[test]
    fn new_unchanged_and_revised() {
        let m = |month| Period::month(2024, month).unwrap();
        let store = Store::from_observations(vec![
            stored("pmi", m(1), 49.2, "2024-01-31"),
            stored("pmi", m(2), 49.1, "2024-02-29"),
        ]);
        let now = start_of_day(day("2024-04-02")) + Duration::hours(9);
        let c = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![
                point("pmi", m(1), 49.2, None),
                point("pmi", m(2), 49.0, None),
                point("pmi", m(3), 50.8, None),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(c.unchanged, 1);
        assert_eq!(c.new.len(), 1);
        assert_eq!((c.new[0].period, c.new[0].value), (m(3), 50.8));
        assert_eq!(c.new[0].known_at, now);
        assert_eq!(&*c.new[0].unit, "index (50 = no change)");
        assert_eq!(&*c.new[0].source, "test source");
        let (o, r) = &c.revised[0];
        assert_eq!((o.value, o.known_at), (49.0, now));
        assert_eq!((r.previous, r.value), (49.1, 49.0));
        assert_eq!(r.previous_known_at, start_of_day(day("2024-02-29")));
    }

    #[test]
    fn stated_publication_dates_are_known_at_for_new_figures_only() {
        let d = |s| Period::Day(day(s));
        let store =
            Store::from_observations(vec![stored("scfi", d("2024-01-05"), 1000.0, "2024-01-05")]);
        let now = start_of_day(day("2024-01-12")) + Duration::hours(8);
        let c = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![
                point("scfi", d("2024-01-05"), 1001.0, Some("2024-01-05")),
                point("scfi", d("2024-01-12"), 1010.0, Some("2024-01-12")),
                // A date ahead of the clock is not believed.
                point("scfi", d("2024-01-19"), 1020.0, Some("2024-01-19")),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(c.new[0].known_at, start_of_day(day("2024-01-12")));
        // A print dated after the fetch is refused (issue 14, defect 3), not stored as known now.
        assert_eq!(c.new.len(), 1);
        assert_eq!(c.future, ["scfi 2024-01-19"]);
        assert_eq!(c.revised[0].0.known_at, now);
    }

    /// Issue 14, defect 3: a PortWatch day in 2032, a PMI for 2030 and a month not yet over
    /// were stored with known_at = the fetch time, before their period ended. They are refused
    /// (listed for the source's note); the rest of the fetch is stored.
    #[test]
    fn figures_for_periods_not_over_are_refused_the_rest_stored() {
        let now = start_of_day(day("2026-12-02")) + Duration::hours(7);
        let c = classify(
            &Store::default(),
            &Overlay::default(),
            &fetched(vec![
                point("pmi", Period::month(2026, 11).unwrap(), 49.5, None),
                point("pmi", Period::month(2030, 1).unwrap(), 50.0, None),
                point("pmi", Period::month(2026, 12).unwrap(), 50.1, None),
                point(
                    "portwatch.port1188.portcalls",
                    Period::Day(day("2032-01-01")),
                    90.0,
                    None,
                ),
                point(
                    "portwatch.port1188.portcalls",
                    Period::Day(day("2026-12-01")),
                    91.0,
                    None,
                ),
            ]),
            now,
        )
        .unwrap();
        let stored: Vec<String> = c
            .new
            .iter()
            .map(|o| format!("{} {}", o.series, o.period))
            .collect();
        assert_eq!(
            stored,
            ["pmi 2026-11", "portwatch.port1188.portcalls 2026-12-01"]
        );
        assert_eq!(
            c.future,
            [
                "pmi 2026-12",
                "pmi 2030-01",
                "portwatch.port1188.portcalls 2032-01-01"
            ]
        );
        for o in &c.new {
            assert!(o.known_at >= start_of_day(o.period.end()), "{o:?}");
        }
    }

    /// Issue 14, defect 11: implausible figures (PMI −5 or 1e12, SCFI −1035, 1e26 calls, a
    /// period in year 1) refuse the source's lot, naming the figure and why.
    #[test]
    fn implausible_figures_are_refused() {
        let now = start_of_day(day("2024-06-01"));
        let m = Period::month(2024, 1).unwrap();
        for (p, message) in [
            (point("pmi", m, -5.0, None), "not plausible"),
            (point("pmi", m, 1e12, None), "not plausible"),
            (
                point("scfi", Period::Day(day("2024-01-05")), -1035.0, None),
                "not plausible",
            ),
            (
                point(
                    "portwatch.port1188.portcalls",
                    Period::Day(day("2024-01-05")),
                    1e26,
                    None,
                ),
                "not plausible",
            ),
            (
                point("pmi", Period::month(1, 1).unwrap(), 50.0, None),
                "period 0001-01 is not plausible",
            ),
        ] {
            let err = classify(
                &Store::default(),
                &Overlay::default(),
                &fetched(vec![p]),
                now,
            )
            .unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
    }

    #[test]
    fn figures_known_only_in_the_future_do_not_count() {
        // A bundled figure's assumed release date can lie ahead of the fetch (release lag).
        let d = Period::Day(day("2024-03-01"));
        let store = Store::from_observations(vec![stored(
            "portwatch.port1188.portcalls",
            d,
            90.0,
            "2024-03-10",
        )]);
        let now = start_of_day(day("2024-03-05"));
        let c = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![point("portwatch.port1188.portcalls", d, 90.0, None)]),
            now,
        )
        .unwrap();
        assert_eq!(c.new.len(), 1);
    }

    #[test]
    fn a_revision_never_repeats_a_stored_timestamp() {
        let m = Period::month(2024, 1).unwrap();
        let now = start_of_day(day("2024-02-01"));
        let store = Store::from_observations(vec![stored("la_teu", m, 1.0, "2024-02-01")]);
        let c = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![point("la_teu", m, 2.0, None)]),
            now,
        )
        .unwrap();
        assert_eq!(c.revised[0].0.known_at, now + Duration::milliseconds(1));
    }

    #[test]
    fn a_revision_from_earlier_in_the_same_second_is_already_known() {
        let m = Period::month(2024, 1).unwrap();
        let now = start_of_day(day("2024-02-01"));
        let mut revised = stored("la_teu", m, 2.0, "2024-02-01");
        revised.known_at = now + Duration::milliseconds(1);
        let store = Store::from_observations(vec![stored("la_teu", m, 1.0, "2024-02-01"), revised]);
        let see = |value| {
            classify(
                &store,
                &Overlay::default(),
                &fetched(vec![point("la_teu", m, value, None)]),
                now,
            )
            .unwrap()
        };
        assert_eq!(see(2.0).unchanged, 1);
        let again = see(3.0);
        assert_eq!(again.revised[0].1.previous, 2.0);
        assert_eq!(again.revised[0].0.known_at, now + Duration::milliseconds(2));
    }

    #[test]
    fn figures_that_cannot_be_stored_refuse_the_lot() {
        let now = start_of_day(day("2024-02-01"));
        let store = Store::default();
        let m = Period::month(2024, 1).unwrap();
        let cases = [
            (
                point("nonsense", m, 1.0, None),
                "not a series portcast knows",
            ),
            (point("la_teu", m, -5.0, None), "cannot be negative"),
            (
                point("la_teu", Period::Day(day("2024-01-01")), 5.0, None),
                "keyed by month",
            ),
        ];
        for (p, message) in cases {
            let err = classify(&store, &Overlay::default(), &fetched(vec![p]), now).unwrap_err();
            assert!(err.to_string().contains(message), "{err}");
        }
        let err = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![
                point("la_teu", m, 5.0, None),
                point("la_teu", m, 6.0, None),
            ]),
            now,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "la_teu 2024-01: the response gives two different figures, 5 and 6"
        );
        // The same figure twice (a repeated row) is one figure.
        let c = classify(
            &store,
            &Overlay::default(),
            &fetched(vec![
                point("la_teu", m, 5.0, None),
                point("la_teu", m, 5.0, None),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(c.new.len(), 1);
        assert_eq!(Frequency::Month, c.new[0].period.frequency());
    }
}
