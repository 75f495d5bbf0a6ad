//! The point-in-time store: every observation of every series with the time it became known, from
//! the bundled snapshot (or a `--data-dir`) and from the store directory (fetched and hand-entered
//! figures), viewed as of any timestamp.
//!
//! Nothing is overwritten: a second figure for a period is a revision kept beside the first, and a
//! view at time `t` shows, for each period, the latest figure known by `t`. Derived series (Shanghai
//! vessel calls = Shanghai + Yangshan) are computed in the view from their components' views, so
//! they continue into fetched months and respect the as-of time like any other series.

pub mod bundle;
pub mod csvfile;
pub mod entry;
pub mod file;
mod recent;
pub mod vintage;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;

use crate::model::{Frequency, Observation, Period, Precision};
use crate::series::catalog::ReleaseLags;
use crate::series::catalog::{self, SeriesSpec};
use crate::series::view::{Point, SeriesView, ViewError};
pub use bundle::DataDir;
pub use csvfile::Problem;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{} problem(s) in the data:\n{}", .0.len(), .0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
    #[error("unknown series `{0}` (see `portcast data list`)")]
    UnknownSeries(String),
    #[error(transparent)]
    View(#[from] ViewError),
    #[error("cannot write the store in {dir}: {error}")]
    Write {
        dir: PathBuf,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: std::io::Error,
    },
}

/// Series computed from others: id → components, summed per period.
const DERIVED: &[(&str, &[&str])] = &[
    (
        "shanghai_calls",
        &[
            "portwatch.port1188.portcalls_container",
            "portwatch.port2027.portcalls_container",
        ],
    ),
    (
        "shanghai_calls_all",
        &[
            "portwatch.port1188.portcalls",
            "portwatch.port2027.portcalls",
        ],
    ),
];

/// Where the store's inputs live.
#[derive(Clone, Debug)]
pub struct StoreLocation {
    pub data_dir: DataDir,
    /// The store directory; `None` to use the snapshot alone.
    pub store_dir: Option<PathBuf>,
    pub lags: ReleaseLags,
}

/// All observations, by series, each series sorted by (period, known_at).
#[derive(Clone, Debug, Default)]
pub struct Store {
    series: BTreeMap<Arc<str>, Vec<Observation>>,
    /// When enabled, every figure handed out (series, period, known_at), so a test can prove
    /// that a backtest step read nothing published after its as-of time.
    read_log: Option<Arc<std::sync::Mutex<Vec<Read>>>>,
    views: ViewCache,
}

/// Views already built, by (series, as-of time, grid). A store never changes once opened, so a
/// view is a function of its key; pricing and backtests ask for the same few views many times at
/// each as-of date (the last known value, the training data, the settlement). Bounded: cleared
/// when full. Bypassed while the read log is on, so the log sees every read as it happens.
#[derive(Default)]
struct ViewCache(std::sync::Mutex<HashMap<ViewKey, SeriesView>>);

type ViewKey = (String, DateTime<Utc>, Option<Frequency>);

/// Views kept before the cache is cleared.
const VIEW_CACHE_CAPACITY: usize = 64;

impl Clone for ViewCache {
    /// A copy of a store starts with an empty cache.
    fn clone(&self) -> Self {
        ViewCache::default()
    }
}

impl std::fmt::Debug for ViewCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ViewCache")
    }
}

/// One figure handed out by the store.
#[derive(Clone, Debug, PartialEq)]
pub struct Read {
    pub series: Arc<str>,
    pub period: Period,
    pub known_at: DateTime<Utc>,
}

impl Store {
    /// Load the snapshot and the store directory. Any problem in any file fails the load with
    /// every problem listed: a row is never dropped silently.
    pub fn open(loc: &StoreLocation) -> Result<Store, StoreError> {
        let (mut obs, mut problems) = bundle::load(&loc.data_dir, &loc.lags);
        if let Some(dir) = &loc.store_dir {
            let (stored, p) = file::read(dir);
            obs.push(stored);
            problems.extend(p);
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        Ok(Store::grouped(obs.into_iter().flatten()))
    }

    /// Check everything and return the problems (for `portcast data check`): the same loading
    /// and checks as [`Store::open`], without building the store (which would hold a second
    /// copy of every observation at the peak).
    pub fn check(loc: &StoreLocation) -> Vec<Problem> {
        let (obs, mut problems) = bundle::load(&loc.data_dir, &loc.lags);
        drop(obs);
        if let Some(dir) = &loc.store_dir {
            problems.extend(file::read(dir).1);
        }
        problems
    }

    pub fn from_observations(obs: Vec<Observation>) -> Store {
        Store::grouped(obs)
    }

    /// [`Store::from_observations`] of observations in any container (the snapshot's come one
    /// vector per file).
    fn grouped(obs: impl IntoIterator<Item = Observation>) -> Store {
        // One group per series id, in the order the observations come; the last few groups
        // used are compared before the map is searched (a file interleaves a handful of series).
        let mut groups: Vec<(Arc<str>, Vec<Observation>)> = Vec::new();
        let mut index: BTreeMap<Arc<str>, usize> = BTreeMap::new();
        let mut recent = recent::Recent::default();
        for o in obs {
            let hit = recent.find(|&g| {
                let id = &groups[g].0;
                Arc::ptr_eq(id, &o.series) || *id == o.series
            });
            let g = match hit {
                Some(g) => g,
                None => {
                    let g = *index.entry(o.series.clone()).or_insert_with(|| {
                        groups.push((o.series.clone(), Vec::new()));
                        groups.len() - 1
                    });
                    recent.note(g);
                    g
                }
            };
            groups[g].1.push(o);
        }
        let mut series: BTreeMap<Arc<str>, Vec<Observation>> = groups.into_iter().collect();
        for v in series.values_mut() {
            v.sort_by(|a, b| a.period.cmp(&b.period).then(a.known_at.cmp(&b.known_at)));
            // The same figure seen twice (bundled, then fetched) is one observation: keep the
            // earliest sighting, so a re-fetch does not move `known_at` forward.
            v.dedup_by(|later, earlier| {
                later.period == earlier.period
                    && later.value == earlier.value
                    && later.precision == earlier.precision
            });
        }
        Store {
            series,
            read_log: None,
            views: ViewCache::default(),
        }
    }

    /// Start recording every figure the store hands out (see [`Store::take_reads`]).
    pub fn enable_read_log(&mut self) {
        self.read_log = Some(Arc::default());
    }

    /// The figures handed out since the last call, oldest first.
    pub fn take_reads(&self) -> Vec<Read> {
        self.read_log
            .as_ref()
            .map(|log| std::mem::take(&mut *log.lock().expect("read log")))
            .unwrap_or_default()
    }

    fn log_reads<'a>(&self, id: &str, obs: impl Iterator<Item = (Period, DateTime<Utc>)> + 'a) {
        if let Some(log) = &self.read_log {
            let series: Arc<str> = Arc::from(id);
            log.lock()
                .expect("read log")
                .extend(obs.map(|(period, known_at)| Read {
                    series: series.clone(),
                    period,
                    known_at,
                }));
        }
    }

    /// Every series id with data, derived series included.
    pub fn series_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.series.keys().map(|k| k.to_string()).collect();
        for (id, parts) in DERIVED {
            if parts.iter().all(|p| self.series.contains_key(*p)) {
                ids.push(id.to_string());
            }
        }
        ids.sort_by_key(|id| {
            (
                catalog::known_ids()
                    .position(|k| k == id)
                    .unwrap_or(usize::MAX),
                id.clone(),
            )
        });
        ids
    }

    /// Every observation of a stored (not derived) series, revisions included, whenever known.
    pub fn observations(&self, id: &str) -> &[Observation] {
        let obs = self.series.get(id).map_or(&[][..], |v| v.as_slice());
        self.log_reads(id, obs.iter().map(|o| (o.period, o.known_at)));
        obs
    }

    /// Whether a stored (not derived) series has any observation; reads no figure.
    pub fn contains(&self, id: &str) -> bool {
        self.series.get(id).is_some_and(|v| !v.is_empty())
    }

    /// The first value stored for a period (what a market settles on), if any: the earliest
    /// exact or rounded figure. A bound ("over 900,000") published first is not a print of the
    /// value, so it is passed over; revisions after the first value never replace it.
    pub fn first_print(&self, id: &str, period: Period) -> Option<&Observation> {
        let first = self
            .series
            .get(id)?
            .iter()
            .find(|o| o.period == period && o.precision.is_value())?;
        self.log_reads(id, std::iter::once((first.period, first.known_at)));
        Some(first)
    }

    /// The series as known at `as_of`, at its own grid.
    pub fn view(&self, id: &str, as_of: DateTime<Utc>) -> Result<SeriesView, StoreError> {
        self.view_at(id, as_of, None)
    }

    /// The series as known at `as_of`, aggregated to `freq` when given.
    pub fn view_at(
        &self,
        id: &str,
        as_of: DateTime<Utc>,
        freq: Option<Frequency>,
    ) -> Result<SeriesView, StoreError> {
        if self.read_log.is_some() {
            return self.build_view(id, as_of, freq);
        }
        let key: ViewKey = (id.to_string(), as_of, freq);
        if let Some(v) = self.views.0.lock().expect("view cache").get(&key) {
            return Ok(v.clone());
        }
        let v = self.build_view(id, as_of, freq)?;
        let mut cache = self.views.0.lock().expect("view cache");
        if cache.len() >= VIEW_CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, v.clone());
        Ok(v)
    }

    fn build_view(
        &self,
        id: &str,
        as_of: DateTime<Utc>,
        freq: Option<Frequency>,
    ) -> Result<SeriesView, StoreError> {
        match freq {
            Some(f) => Ok(self.view_at(id, as_of, None)?.to_freq(f)?),
            None => self.native_view(id, as_of, None),
        }
    }

    /// The point of one `period` on grid `freq` (the series' own or coarser) as known at
    /// `as_of`: what [`Store::view_at`] shows for that period, built from the observations
    /// inside it only. Settlement looks one period up at many moments; this keeps each look
    /// proportional to the period, not to the whole series.
    pub fn view_period(
        &self,
        id: &str,
        as_of: DateTime<Utc>,
        freq: Frequency,
        period: Period,
    ) -> Result<Option<Point>, StoreError> {
        let within = self.native_view(id, as_of, Some((period.start(), period.end())))?;
        Ok(within
            .to_freq(freq)?
            .points
            .into_iter()
            .find(|p| p.period == period))
    }

    /// The view at the series' own grid: every period, or only those starting in `range`.
    fn native_view(
        &self,
        id: &str,
        as_of: DateTime<Utc>,
        range: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    ) -> Result<SeriesView, StoreError> {
        let spec = catalog::spec(id).ok_or_else(|| StoreError::UnknownSeries(id.to_string()))?;
        if let Some((_, parts)) = DERIVED.iter().find(|(d, _)| *d == id) {
            let views = parts
                .iter()
                .map(|p| match range {
                    None => self.view(p, as_of),
                    Some(_) => self.native_view(p, as_of, range),
                })
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(sum_views(spec, as_of, &views));
        }
        let mut obs = self.series.get(id).map_or(&[][..], |v| v.as_slice());
        if let Some((from, to)) = range {
            // Sorted by period: the periods starting in the range are one run.
            let lo = obs.partition_point(|o| o.period.start() < from);
            let hi = lo + obs[lo..].partition_point(|o| o.period.start() <= to);
            obs = &obs[lo..hi];
        }
        // Log what the view hands out (each point's figure), not the whole series: a view at
        // `as_of` shows nothing known later, so only a view asked for a later time shows up.
        let points = latest_known(obs, as_of);
        self.log_reads(id, points.iter().map(|p| (p.period, p.known_at)));
        Ok(SeriesView {
            freq: spec.period,
            spec,
            as_of,
            points,
        })
    }

    /// When the newest figure known at `as_of` became known (the data's freshness).
    pub fn last_known_at(&self, as_of: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.series
            .values()
            .flatten()
            .map(|o| o.known_at)
            .filter(|t| *t <= as_of)
            .max()
    }

    /// Number of stored observations, all series and revisions.
    pub fn len(&self) -> usize {
        self.series.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// For each period, the latest observation with `known_at <= as_of`.
fn latest_known(obs: &[Observation], as_of: DateTime<Utc>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    for o in obs.iter().filter(|o| o.known_at <= as_of) {
        let point = Point {
            period: o.period,
            value: o.value,
            precision: o.precision,
            known_at: o.known_at,
            source: o.source.clone(),
            n: 1,
            complete: true,
        };
        // Sorted by (period, known_at): a later one for the same period replaces the earlier.
        match out.last_mut() {
            Some(last) if last.period == o.period => *last = point,
            _ => out.push(point),
        }
    }
    out
}

/// Sum component views period by period; a period is present only where every component has it.
fn sum_views(spec: SeriesSpec, as_of: DateTime<Utc>, views: &[SeriesView]) -> SeriesView {
    let mut acc: BTreeMap<Period, (f64, Precision, DateTime<Utc>, usize)> = BTreeMap::new();
    for v in views {
        for p in &v.points {
            let e = acc
                .entry(p.period)
                .or_insert((0.0, Precision::Exact, p.known_at, 0));
            e.0 += p.value;
            e.1 = e.1.max(p.precision);
            e.2 = e.2.max(p.known_at);
            e.3 += 1;
        }
    }
    let source: Arc<str> = Arc::from(format!(
        "sum of {}",
        views
            .iter()
            .map(|v| v.spec.id.as_str())
            .collect::<Vec<_>>()
            .join(" + ")
    ));
    let points = acc
        .into_iter()
        .filter(|(_, e)| e.3 == views.len())
        .map(|(period, (value, precision, known_at, _))| Point {
            period,
            value,
            precision,
            known_at,
            source: source.clone(),
            n: 1,
            complete: true,
        })
        .collect();
    SeriesView {
        freq: spec.period,
        spec,
        as_of,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::start_of_day;
    use chrono::NaiveDate;

    fn o(id: &str, month: u32, value: f64, known: (i32, u32, u32)) -> Observation {
        Observation {
            series: Arc::from(id),
            period: Period::month(2024, month).unwrap(),
            value,
            unit: Arc::from("TEU"),
            precision: Precision::Exact,
            source: Arc::from("t"),
            known_at: start_of_day(NaiveDate::from_ymd_opt(known.0, known.1, known.2).unwrap()),
        }
    }

    #[test]
    fn revisions_are_kept_and_viewed_as_of() {
        let store = Store::from_observations(vec![
            o("shanghai_teu", 10, 4_300_000.0, (2024, 11, 15)),
            o("shanghai_teu", 10, 4_350_000.0, (2024, 12, 20)),
        ]);
        let at = |y, m, d| crate::model::end_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        assert!(
            store
                .view("shanghai_teu", at(2024, 11, 14))
                .unwrap()
                .points
                .is_empty()
        );
        assert_eq!(
            store.view("shanghai_teu", at(2024, 11, 30)).unwrap().points[0].value,
            4_300_000.0
        );
        assert_eq!(
            store.view("shanghai_teu", at(2025, 1, 1)).unwrap().points[0].value,
            4_350_000.0
        );
        assert_eq!(store.observations("shanghai_teu").len(), 2);
        assert_eq!(
            store
                .first_print("shanghai_teu", Period::month(2024, 10).unwrap())
                .unwrap()
                .value,
            4_300_000.0
        );
    }

    /// Views served from the cache are the views built afresh (the read log bypasses the
    /// cache), for stored, derived and aggregated series, and a copy of the store starts empty.
    #[test]
    fn cached_views_equal_fresh_views() {
        let loc = StoreLocation {
            data_dir: DataDir::Embedded,
            store_dir: None,
            lags: ReleaseLags::default(),
        };
        let cached = Store::open(&loc).unwrap();
        let mut fresh = cached.clone();
        fresh.enable_read_log();
        let at = |y, m, d| crate::model::end_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        for (id, freq) in [
            ("shanghai_calls", Some(Frequency::Week)),
            ("shanghai_calls", Some(Frequency::Month)),
            ("shanghai_calls", None),
            ("scfi", Some(Frequency::Week)),
            ("pmi", None),
            ("la_teu", Some(Frequency::Month)),
        ] {
            for as_of in [at(2021, 3, 31), at(2023, 7, 14), at(2026, 1, 1)] {
                for _ in 0..2 {
                    let a = cached.view_at(id, as_of, freq).unwrap();
                    let b = fresh.view_at(id, as_of, freq).unwrap();
                    assert_eq!((a.freq, a.as_of), (b.freq, b.as_of), "{id} {freq:?}");
                    assert_eq!(a.points, b.points, "{id} {freq:?} at {as_of}");
                }
            }
        }
        assert!(
            !fresh.take_reads().is_empty(),
            "the fresh store logged its reads"
        );
        assert!(cached.views.0.lock().unwrap().len() >= 18);
        assert!(cached.clone().views.0.lock().unwrap().is_empty());
    }

    #[test]
    fn the_same_figure_twice_keeps_its_first_sighting() {
        let store = Store::from_observations(vec![
            o("pmi", 5, 48.8, (2024, 5, 31)),
            o("pmi", 5, 48.8, (2026, 11, 21)),
        ]);
        assert_eq!(store.observations("pmi").len(), 1);
        assert_eq!(
            store.observations("pmi")[0]
                .known_at
                .date_naive()
                .to_string(),
            "2024-05-31"
        );
    }
}
