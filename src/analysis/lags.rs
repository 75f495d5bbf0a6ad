//! Lead-lag analysis of a pair of series, end to end: the CCF table, Granger tests, rolling-window
//! stability and the out-of-sample value of the lag.
//!
//! This is where the kernels meet the store. [`analyse_pair`] views both series as of a time on
//! their common grid (`super::transform::prepare_pair`: aggregation, transform, optional Chinese
//! New Year adjustment, alignment), then [`analyse`] runs on the aligned slices:
//! 1. the two-sided CCF (`super::ccf`; pre-whitened by default, with the AR order search capped
//!    per frequency by [`ar_order_cap`]) and its best lag;
//! 2. Granger F-tests for orders `1..=p` (`super::granger`);
//! 3. the best lag and its `r` in rolling windows ending at the latest data, so a relation that
//!    broke (2020, the 2022 Shanghai lockdown) shows;
//! 4. a rolling-origin forecast test: does adding `x` at the chosen lag to an AR (or
//!    seasonal-naive) model of `y` lower the one-step error? A lag that does not is labelled
//!    "no out-of-sample gain".
//!
//! A pair with too few overlapping periods is reported as such ("insufficient data: needs N
//! overlapping periods, has M"), never computed on scraps. `crate::commands::lags` prints
//! the results; `super::audit` reuses the preparation for the trading guide's claims.

use chrono::{DateTime, Utc};
use nalgebra::{DMatrix, DVector};
use serde::Deserialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use thiserror::Error;

use super::ar::{self, ArModel};
use super::ccf::{BestLag, CcfError, CcfOptions, CcfResult, ccf};
use super::granger::{GrangerError, GrangerRow, granger};
use super::linalg::least_squares;
use super::transform::{
    Adjustment, AdjustmentError, Aligned, PairData, Transform, TransformError, prepare_pair,
};
use crate::model::{Frequency, Period};
use crate::store::Store;

/// The `[lags]` table: which pairs `portcast lags` analyses when no `--pair` is given, and
/// defaults for its flags. Every key is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LagsConfig {
    /// Replaces the built-in default pairs (`crate::analysis::lags::default_pairs`).
    pub pairs: Option<Vec<LagPairConfig>>,
    pub transform: Option<Transform>,
    pub adjust: Option<Adjustment>,
    pub max_lag: Option<usize>,
    pub window: Option<usize>,
    pub step: Option<usize>,
    pub granger_order: Option<usize>,
    pub oos_model: Option<OosModel>,
}

/// One pair: `x` leads `y` at positive lags; `freq` the grid (default: the coarser cadence).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LagPairConfig {
    pub x: String,
    pub y: String,
    pub freq: Option<Frequency>,
}

/// Fewest periods where both series have a (transformed) value for a pair to be analysed: two
/// years of months. Below it a CCF over a year of lags rests on a handful of pairs per lag.
pub const MIN_OVERLAP: usize = 24;
/// Fewest one-step forecasts for an out-of-sample verdict.
pub const MIN_OOS_FORECASTS: usize = 8;
/// Fewest values of `y` in the first training sample of the out-of-sample test.
pub const MIN_TRAIN: usize = 12;
/// Largest Granger order by default (capped at the largest lag scanned).
pub const DEFAULT_GRANGER_ORDER: usize = 6;
/// Fewest residual degrees of freedom (`n − 2p − 1`) for a Granger order to be reported: with
/// fewer, the F-test's p-value rests on a near-exact fit.
pub const MIN_GRANGER_DF: usize = 10;

/// Default largest lag scanned: a year of months, a quarter of weeks, four weeks of days.
pub fn default_max_lag(freq: Frequency) -> usize {
    match freq {
        Frequency::Day => 28,
        Frequency::Week => 13,
        Frequency::Month => 12,
        Frequency::Year => 2,
    }
}

/// Largest AR order tried when pre-whitening, on top of [`ar::default_max_order`] of the sample
/// (`min(10·log10 n, n/4)`): 12 months, 13 weeks, 14 days, 2 years.
///
/// Why: the AR filter only has to whiten the short-run persistence of an already transformed
/// series. A year of monthly lags covers the moving-average structure a year-on-year difference
/// leaves (11 lags); a quarter of weeks and two weeks of days are more than AIC picks on any
/// weekly or daily series here once the gaps are accounted for (see [`ccf_for_gaps`]). The cap
/// also bounds the cost of the order search, one QR of an `n × (p + 1)` design: for ±60 lags on
/// two 2,000-point series the whole pre-whitened CCF takes 0.38–0.53 ms with the search to
/// 12–14, 0.86–1.35 ms to 26 and 1.1–1.8 ms uncapped (33) on the shared 2-core machine
/// (`cargo bench -- ccf`; the spread is the machine's load between runs).
pub fn ar_order_cap(freq: Frequency) -> usize {
    match freq {
        Frequency::Day => 14,
        Frequency::Week => 13,
        Frequency::Month => 12,
        Frequency::Year => 2,
    }
}

/// Default rolling-window length: two years of months, half a year of weeks.
pub fn default_window(freq: Frequency) -> usize {
    match freq {
        Frequency::Day => 182,
        Frequency::Week => 26,
        Frequency::Month => 24,
        Frequency::Year => 8,
    }
}

/// Default step between rolling windows: six months, a quarter of weeks.
pub fn default_step(freq: Frequency) -> usize {
    match freq {
        Frequency::Day => 28,
        Frequency::Week => 13,
        Frequency::Month => 6,
        Frequency::Year => 1,
    }
}

/// Two series to relate: does `x` lead `y`?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairSpec {
    pub x: String,
    pub y: String,
    /// The grid to use; `None` for the coarser of the two series' cadences.
    pub freq: Option<Frequency>,
}

impl PairSpec {
    pub fn new(x: &str, y: &str, freq: Option<Frequency>) -> PairSpec {
        PairSpec {
            x: x.to_string(),
            y: y.to_string(),
            freq,
        }
    }

    /// `X:Y` (x leads y at positive lags).
    pub fn parse(s: &str) -> Result<PairSpec, PairSpecError> {
        match s.split_once(':') {
            Some((x, y)) if !x.trim().is_empty() && !y.trim().is_empty() => {
                Ok(PairSpec::new(x.trim(), y.trim(), None))
            }
            _ => Err(PairSpecError(s.to_string())),
        }
    }

    /// `x:y`, the label used in every output.
    pub fn label(&self) -> String {
        format!("{}:{}", self.x, self.y)
    }
}

/// A pair argument that is not `X:Y`.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("`{0}` is not a pair: write X:Y, e.g. pmi:shanghai_calls")]
pub struct PairSpecError(pub String);

/// Why a pair, the Granger table of a pair or a rolling window has no result: stated in the
/// outputs in place of the numbers (thin data is reported, not computed).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum NotAnalysed {
    #[error("insufficient data: needs {needed} overlapping periods, has {has}")]
    Overlap { needed: usize, has: usize },
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("cross-correlation not computable: {0}")]
    Ccf(CcfError),
    /// A rolling window's cross-correlation.
    #[error(transparent)]
    WindowCcf(CcfError),
    #[error("insufficient data: order 1 needs {needed} complete rows, has {has}")]
    GrangerRows { needed: usize, has: usize },
    #[error(transparent)]
    Granger(GrangerError),
    #[error(transparent)]
    Adjustment(AdjustmentError),
}

/// The pairs of the config's `[lags]` table, else the [`default_pairs`].
pub fn configured_pairs(cfg: &LagsConfig) -> Vec<PairSpec> {
    match &cfg.pairs {
        Some(list) => list
            .iter()
            .map(|p| PairSpec::new(&p.x, &p.y, p.freq))
            .collect(),
        None => default_pairs(),
    }
}

/// The pairs analysed when none are given (docs/DOMAIN.md): PMI and new export orders against
/// Shanghai vessel calls, PMI against official Shanghai TEU, vessel calls and SCFI both ways
/// (weekly), vessel calls against Los Angeles TEU and loaded imports.
pub fn default_pairs() -> Vec<PairSpec> {
    let (m, w) = (Some(Frequency::Month), Some(Frequency::Week));
    vec![
        PairSpec::new("pmi", "shanghai_calls", m),
        PairSpec::new("pmi_new_export_orders", "shanghai_calls", m),
        PairSpec::new("pmi", "shanghai_teu", m),
        PairSpec::new("shanghai_calls", "scfi", w),
        PairSpec::new("scfi", "shanghai_calls", w),
        PairSpec::new("shanghai_calls", "la_teu", m),
        PairSpec::new("shanghai_calls", "la_loaded_imports", m),
    ]
}

/// The base model of the out-of-sample test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OosModel {
    /// AR(p) of the transformed `y`, order by AIC at each origin; with `x`: the same AR plus
    /// `x` at the lag.
    Ar,
    /// `ŷ_t = y_{t−s}` (s = one year of periods); with `x`: plus `a + b·x_{t−lag}` fitted to
    /// `y_t − y_{t−s}`.
    Snaive,
}

impl OosModel {
    pub fn as_str(self) -> &'static str {
        match self {
            OosModel::Ar => "ar",
            OosModel::Snaive => "snaive",
        }
    }
}

/// How to analyse pairs. `None` fields take the per-frequency defaults above.
#[derive(Clone, Debug, PartialEq)]
pub struct LagOptions {
    pub transform: Transform,
    pub adjust: Option<Adjustment>,
    /// Overrides every pair's own grid.
    pub freq: Option<Frequency>,
    pub max_lag: Option<usize>,
    /// Pre-whiten (default); `false` for the raw CCF with Bartlett bands.
    pub prewhiten: bool,
    pub window: Option<usize>,
    pub step: Option<usize>,
    pub granger_order: Option<usize>,
    pub oos_model: OosModel,
    /// Confidence level of bands and intervals (0.95).
    pub level: f64,
}

impl Default for LagOptions {
    fn default() -> Self {
        LagOptions {
            transform: Transform::Yoy,
            adjust: None,
            freq: None,
            max_lag: None,
            prewhiten: true,
            window: None,
            step: None,
            granger_order: None,
            oos_model: OosModel::Ar,
            level: 0.95,
        }
    }
}

/// One pair's results, or why there are none.
#[derive(Clone, Debug, PartialEq)]
pub struct PairReport {
    pub pair: PairSpec,
    pub freq: Frequency,
    pub transform: Transform,
    pub adjust: Option<Adjustment>,
    /// Periods with a transformed value: `x`, `y`, both.
    pub n_x: usize,
    pub n_y: usize,
    pub overlap: usize,
    /// Largest lag scanned (after the `n/4` cap).
    pub max_lag: usize,
    /// The grid's first and last period (`None` when both series are empty).
    pub span: Option<(Period, Period)>,
    pub notes: Vec<String>,
    /// The analysis, or a plain statement of why it could not be done.
    pub outcome: Result<Analysis, NotAnalysed>,
}

impl PairReport {
    pub fn label(&self) -> String {
        self.pair.label()
    }
}

/// Everything computed for a pair with enough data.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub ccf: CcfResult,
    /// Granger rows for orders `1..=p`, or why not.
    pub granger: Result<Vec<GrangerRow>, NotAnalysed>,
    /// The Granger order shown in the summary: the best lag clamped to `1..=p`.
    pub granger_order: Option<usize>,
    pub stability: Stability,
    pub oos: Oos,
}

impl Analysis {
    /// The Granger row of the summary (order [`Analysis::granger_order`]).
    pub fn granger_summary(&self) -> Option<&GrangerRow> {
        let order = self.granger_order?;
        self.granger
            .as_ref()
            .ok()?
            .iter()
            .find(|r| r.order == order)
    }
}

/// Rolling-window results.
#[derive(Clone, Debug, PartialEq)]
pub struct Stability {
    pub window: usize,
    pub step: usize,
    pub rows: Vec<WindowRow>,
    /// Why there are no rows, when there are none.
    pub note: Option<String>,
}

/// The best lag in one window.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowRow {
    pub from: Period,
    pub to: Period,
    pub overlap: usize,
    /// The best lag, or why the window has none (too little data).
    pub best: Result<BestLag, NotAnalysed>,
    /// How the window's CCF was computed when it differs from the pair's (a shorter filter, or
    /// the raw CCF, because of gaps).
    pub note: Option<String>,
}

/// The out-of-sample test's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Oos {
    pub model: OosModel,
    /// The lag of `x` added (the CCF's best lag), when it is a lead.
    pub lag: Option<isize>,
    /// Number of one-step forecasts compared.
    pub n: usize,
    /// The first forecast period.
    pub first: Option<Period>,
    /// Root mean squared one-step error without and with `x` (units of the transformed `y`).
    pub rmse_base: Option<f64>,
    pub rmse_with_x: Option<f64>,
    /// One-sided Diebold–Mariano p-value (Harvey–Leybourne–Newbold small-sample form, squared
    /// error loss) for "the model with `x` is more accurate".
    pub dm_p: Option<f64>,
    pub verdict: OosVerdict,
}

/// Whether `x` at the lag helps forecast `y` out of sample.
#[derive(Clone, Debug, PartialEq)]
pub enum OosVerdict {
    /// Lower RMSE with `x`, and the Diebold–Mariano test rejects equal accuracy.
    Gain,
    /// Lower RMSE with `x`, but not significantly so.
    GainNotSignificant,
    /// RMSE with `x` is not lower.
    NoGain,
    /// The test could not be run (reason).
    NotTested(String),
}

impl std::fmt::Display for OosVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OosVerdict::Gain => f.write_str("out-of-sample gain"),
            OosVerdict::GainNotSignificant => f.write_str("gain, not significant"),
            OosVerdict::NoGain => f.write_str("no out-of-sample gain"),
            OosVerdict::NotTested(why) => write!(f, "not tested: {why}"),
        }
    }
}

/// View, prepare and analyse one pair as of `as_of`. Errors only for what the user must fix
/// (an unknown series); thin data is a report, not an error.
pub fn analyse_pair(
    store: &Store,
    as_of: DateTime<Utc>,
    pair: &PairSpec,
    opts: &LagOptions,
) -> Result<PairReport, TransformError> {
    let data = prepare_pair(
        store,
        as_of,
        &pair.x,
        &pair.y,
        opts.freq.or(pair.freq),
        opts.transform,
        opts.adjust,
    );
    match data {
        Ok(data) => Ok(analyse(pair, &data, opts)),
        // A calendar adjustment that cannot be fitted is a data shortfall of this pair.
        Err(TransformError::Adjustment(e)) => {
            let freq = opts
                .freq
                .or(pair.freq)
                .unwrap_or(crate::model::Frequency::Month);
            Ok(PairReport {
                pair: pair.clone(),
                freq,
                transform: opts.transform,
                adjust: opts.adjust,
                n_x: 0,
                n_y: 0,
                overlap: 0,
                max_lag: 0,
                span: None,
                notes: Vec::new(),
                outcome: Err(NotAnalysed::Adjustment(e)),
            })
        }
        Err(e) => Err(e),
    }
}

/// [`analyse_pair`] for every pair.
pub fn analyse_pairs(
    store: &Store,
    as_of: DateTime<Utc>,
    pairs: &[PairSpec],
    opts: &LagOptions,
) -> Result<Vec<PairReport>, TransformError> {
    pairs
        .iter()
        .map(|p| analyse_pair(store, as_of, p, opts))
        .collect()
}

/// The CCF options used for a pair on `freq` with `n_x` values of `x`.
pub fn ccf_options(freq: Frequency, max_lag: usize, n_x: usize, opts: &LagOptions) -> CcfOptions {
    CcfOptions {
        max_lag,
        prewhiten: opts.prewhiten,
        ar_max_order: Some(ar::default_max_order(n_x).min(ar_order_cap(freq))),
        level: opts.level,
        bartlett_lags: None,
    }
}

/// The CCF of a pair, pre-whitened with a filter short enough for the gaps in the data.
///
/// An AR(p) residual needs `p + 1` consecutive values, so on a series with gaps (SCFI skips its
/// Chinese New Year week; official TEU figures are scattered) a long filter can leave almost no
/// pairs. When the filtered pairs at the best-populated lag fall below `min_pairs` or half the
/// overlapping periods, the order search is repeated with its cap halved. When not even an AR(1)
/// filter leaves that many, the result is the raw CCF with Bartlett bands: a demeaned but
/// unfiltered series does not justify the white-noise band. The note says which happened.
pub fn ccf_for_gaps(
    al: &Aligned,
    max_lag: usize,
    opts: &LagOptions,
    min_pairs: usize,
) -> Result<(CcfResult, Option<String>), super::ccf::CcfError> {
    let mut copts = ccf_options(al.freq, max_lag, count(&al.x), opts);
    if !copts.prewhiten {
        return ccf(&al.x, &al.y, &copts).map(|r| (r, None));
    }
    let needed = min_pairs.max(al.overlap().div_ceil(2));
    let first_cap = copts.ar_max_order.unwrap_or(0);
    loop {
        let cap = copts.ar_max_order.unwrap_or(0);
        if cap == 0 && first_cap > 0 {
            let raw = ccf(
                &al.x,
                &al.y,
                &CcfOptions {
                    prewhiten: false,
                    ..copts
                },
            )?;
            return Ok((
                raw,
                Some(format!(
                    "raw CCF with Bartlett bands: no pre-whitening filter leaves {needed} pairs across the gaps"
                )),
            ));
        }
        let res = ccf(&al.x, &al.y, &copts);
        let pairs = res
            .as_ref()
            .map_or(0, |r| r.lags.iter().map(|l| l.n).max().unwrap_or(0));
        if cap == 0 || pairs >= needed {
            let note = (cap < first_cap).then(|| {
                format!(
                    "pre-whitening order search limited to AR({cap}): a longer filter leaves fewer than {needed} pairs across the gaps"
                )
            });
            return res.map(|r| (r, note));
        }
        copts.ar_max_order = Some(cap / 2);
    }
}

/// Analyse prepared pair data (pure: no store, no clock).
pub fn analyse(pair: &PairSpec, data: &PairData, opts: &LagOptions) -> PairReport {
    let al = &data.aligned;
    let freq = data.freq;
    let mut notes = data.notes.clone();
    let asked = opts.max_lag.unwrap_or_else(|| default_max_lag(freq));
    let cap = (data.overlap / 4).max(1);
    let max_lag = asked.min(cap);
    if max_lag < asked {
        notes.push(format!(
            "lags scanned to ±{max_lag}, not ±{asked}: at most a quarter of the {} overlapping periods",
            data.overlap
        ));
    }
    let mut report = PairReport {
        pair: pair.clone(),
        freq,
        transform: data.transform,
        adjust: data.adjust,
        n_x: data.n_x,
        n_y: data.n_y,
        overlap: data.overlap,
        max_lag,
        span: overlap_span(al).map(|(a, b)| (al.period(a), al.period(b))),
        notes,
        // Replaced below on every path.
        outcome: Err(NotAnalysed::Overlap {
            needed: MIN_OVERLAP,
            has: data.overlap,
        }),
    };
    if data.overlap < MIN_OVERLAP {
        report.max_lag = 0;
        report.notes.retain(|n| !n.starts_with("lags scanned"));
        report.outcome = Err(NotAnalysed::Overlap {
            needed: MIN_OVERLAP,
            has: data.overlap,
        });
        return report;
    }
    let ccf_res = match ccf_for_gaps(al, max_lag, opts, MIN_OVERLAP) {
        Ok((r, note)) => {
            report.notes.extend(note);
            r
        }
        Err(e) => {
            report.outcome = Err(NotAnalysed::Ccf(e));
            return report;
        }
    };
    let (granger_rows, granger_order) = granger_rows(al, opts, max_lag, ccf_res.best.lag);
    let stability = stability(al, opts, max_lag);
    let oos = out_of_sample(al, ccf_res.best.lag, opts.oos_model, freq, opts.level);
    report.outcome = Ok(Analysis {
        ccf: ccf_res,
        granger: granger_rows,
        granger_order,
        stability,
        oos,
    });
    report
}

/// First and last slot where both sides have a value.
fn overlap_span(al: &Aligned) -> Option<(usize, usize)> {
    let both = |i: &usize| al.x[*i].is_some() && al.y[*i].is_some();
    let first = (0..al.len()).find(both)?;
    let last = (0..al.len()).rev().find(both)?;
    Some((first, last))
}

fn count(x: &[Option<f64>]) -> usize {
    x.iter().filter(|v| v.is_some()).count()
}

/// Granger rows for orders `1..=p` (dropping the orders the data cannot carry: fewer than
/// [`MIN_GRANGER_DF`] residual degrees of freedom), and the order of the summary: the best CCF
/// lag clamped to `1..=p`.
fn granger_rows(
    al: &Aligned,
    opts: &LagOptions,
    max_lag: usize,
    best_lag: isize,
) -> (Result<Vec<GrangerRow>, NotAnalysed>, Option<usize>) {
    let mut p = opts
        .granger_order
        .unwrap_or(DEFAULT_GRANGER_ORDER.min(max_lag))
        .max(1);
    loop {
        match granger(&al.y, &al.x, p) {
            Ok(rows) => {
                let rows: Vec<GrangerRow> = rows
                    .into_iter()
                    .take_while(|r| r.df2 >= MIN_GRANGER_DF)
                    .collect();
                let Some(top) = rows.last().map(|r| r.order) else {
                    return (
                        Err(NotAnalysed::GrangerRows {
                            needed: MIN_GRANGER_DF + 3,
                            has: granger(&al.y, &al.x, 1).map_or(0, |r| r[0].n),
                        }),
                        None,
                    );
                };
                let order = (best_lag.max(1) as usize).min(top);
                return (Ok(rows), Some(order));
            }
            Err(GrangerError::TooFewObservations { order, .. }) if order > 1 => p = order - 1,
            Err(e) => return (Err(NotAnalysed::Granger(e)), None),
        }
    }
}

/// Best lag per rolling window over the span where both series have data, windows ending at the
/// latest such period and stepping back.
fn stability(al: &Aligned, opts: &LagOptions, max_lag: usize) -> Stability {
    let window = opts
        .window
        .unwrap_or_else(|| default_window(al.freq))
        .max(2);
    let step = opts.step.unwrap_or_else(|| default_step(al.freq)).max(1);
    let mut out = Stability {
        window,
        step,
        rows: Vec::new(),
        note: None,
    };
    // Windows cover the span where both series have data; outside it nothing pairs.
    let Some((first, last)) = overlap_span(al) else {
        out.note = Some("no period where both series have a value".into());
        return out;
    };
    let span = al.window(first, last - first + 1);
    let al = &span;
    if window > al.len() {
        out.note = Some(format!(
            "window of {window} periods is longer than the {} periods where both series have data",
            al.len()
        ));
        return out;
    }
    let needed = (window / 2).max(12).min(window);
    let lag = max_lag.min(window / 4).max(1);
    let mut starts: Vec<usize> = (0..)
        .map(|j| al.len() as isize - window as isize - (j * step) as isize)
        .take_while(|&s| s >= 0)
        .map(|s| s as usize)
        .collect();
    starts.reverse();
    for from in starts {
        let w = al.window(from, window);
        let overlap = w.overlap();
        let (best, note) = if overlap < needed {
            (
                Err(NotAnalysed::Overlap {
                    needed,
                    has: overlap,
                }),
                None,
            )
        } else {
            match ccf_for_gaps(&w, lag, opts, needed) {
                Ok((r, note)) => (Ok(r.best), note),
                Err(e) => (Err(NotAnalysed::WindowCcf(e)), None),
            }
        };
        out.rows.push(WindowRow {
            from: w.start,
            to: w.period(w.len() - 1),
            overlap,
            best,
            note,
        });
    }
    out
}

/// Rolling-origin one-step forecasts of `y` with and without `x` at `lag` (see [`OosModel`]),
/// expanding training window; the first origin leaves half of `y`'s values (at least
/// [`MIN_TRAIN`]) for training. Only origins where both models give a forecast count.
pub fn out_of_sample(
    al: &Aligned,
    lag: isize,
    model: OosModel,
    freq: Frequency,
    level: f64,
) -> Oos {
    let mut oos = Oos {
        model,
        lag: None,
        n: 0,
        first: None,
        rmse_base: None,
        rmse_with_x: None,
        dm_p: None,
        verdict: OosVerdict::NotTested(String::new()),
    };
    if lag < 1 {
        oos.verdict = OosVerdict::NotTested(format!(
            "the best lag is {lag}: x does not lead y, so it cannot forecast it"
        ));
        return oos;
    }
    oos.lag = Some(lag);
    let lag = lag as usize;
    let (x, y) = (&al.x, &al.y);
    let n_y = count(y);
    let train = (n_y / 2).max(MIN_TRAIN);
    // First origin: the slot where y's count reaches `train`.
    let mut seen = 0;
    let Some(first_origin) = (0..y.len()).find(|&i| {
        seen += usize::from(y[i].is_some());
        seen >= train
    }) else {
        oos.verdict = OosVerdict::NotTested(format!(
            "insufficient data: needs {MIN_TRAIN} values of y to train, has {n_y}"
        ));
        return oos;
    };
    let mut errors: Vec<(f64, f64)> = Vec::new();
    for t0 in first_origin..y.len().saturating_sub(1) {
        let t = t0 + 1;
        let Some(actual) = y[t] else { continue };
        let forecasts = match model {
            OosModel::Ar => ar_forecasts(&y[..=t0], &x[..=t], t, lag, freq),
            OosModel::Snaive => snaive_forecasts(&y[..=t0], &x[..=t], t, lag, freq),
        };
        if let Some((base, with_x)) = forecasts {
            if oos.first.is_none() {
                oos.first = Some(al.period(t));
            }
            errors.push((actual - base, actual - with_x));
        }
    }
    oos.n = errors.len();
    if errors.len() < MIN_OOS_FORECASTS {
        oos.verdict = OosVerdict::NotTested(format!(
            "insufficient data: needs {MIN_OOS_FORECASTS} one-step forecasts, has {}",
            errors.len()
        ));
        return oos;
    }
    let n = errors.len() as f64;
    let rmse =
        |f: fn(&(f64, f64)) -> f64| (errors.iter().map(|e| f(e).powi(2)).sum::<f64>() / n).sqrt();
    let (rb, rx) = (rmse(|e| e.0), rmse(|e| e.1));
    oos.rmse_base = Some(rb);
    oos.rmse_with_x = Some(rx);
    oos.dm_p = diebold_mariano(&errors);
    oos.verdict = if rx < rb {
        match oos.dm_p {
            Some(p) if p < 1.0 - level => OosVerdict::Gain,
            _ => OosVerdict::GainNotSignificant,
        }
    } else {
        OosVerdict::NoGain
    };
    oos
}

/// AR forecasts of `y_t` from `y[..t]` (the training part), without and with `x_{t−lag}`.
/// `x` runs to `t` inclusive (only `x_{t−lag}` with `lag ≥ 1` is read at `t`).
fn ar_forecasts(
    y: &[Option<f64>],
    x: &[Option<f64>],
    t: usize,
    lag: usize,
    freq: Frequency,
) -> Option<(f64, f64)> {
    let n = count(y);
    let max_order = ar::default_max_order(n).min(ar_order_cap(freq));
    let model = ArModel::select(y, max_order).ok()?.model;
    // The kernel reads a missing value as NaN; only the last p values matter.
    let tail: Vec<f64> = y[y.len().saturating_sub(model.order())..]
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect();
    let base = model.predict_next(&tail).ok()?;
    let p = model.order();
    // ARX: y_r on 1, y_{r-1..r-p}, x_{r-lag}, rows r < t with everything present.
    let row = |r: usize| -> Option<Vec<f64>> {
        let mut v = Vec::with_capacity(p + 2);
        v.push(1.0);
        for i in 1..=p {
            v.push(y.get(r.checked_sub(i)?).copied().flatten()?);
        }
        v.push(x.get(r.checked_sub(lag)?).copied().flatten()?);
        Some(v)
    };
    let rows: Vec<(Vec<f64>, f64)> = (0..y.len())
        .filter_map(|r| Some((row(r)?, y[r]?)))
        .collect();
    let k = p + 2;
    if rows.len() < k + 2 {
        return None;
    }
    let design = DMatrix::from_fn(rows.len(), k, |i, j| rows[i].0[j]);
    let response = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.1));
    let fit = least_squares(&design, &response).ok()?;
    // The forecast row at t: y_{t-1..t-p} from the training data, x_{t-lag}.
    let mut at = vec![1.0];
    for i in 1..=p {
        at.push(y.get(t.checked_sub(i)?).copied().flatten()?);
    }
    at.push(x.get(t - lag).copied().flatten()?);
    let with_x = fit.coef.iter().zip(&at).map(|(c, v)| c * v).sum();
    Some((base, with_x))
}

/// Seasonal-naive forecasts of `y_t` (`y_{t−s}`), without and with `a + b·x_{t−lag}` fitted to
/// the seasonal differences of the training data.
fn snaive_forecasts(
    y: &[Option<f64>],
    x: &[Option<f64>],
    t: usize,
    lag: usize,
    freq: Frequency,
) -> Option<(f64, f64)> {
    let s = freq.periods_per_year();
    let base = y.get(t.checked_sub(s)?).copied().flatten()?;
    let rows: Vec<(f64, f64)> = (s.max(lag)..y.len())
        .filter_map(|r| Some((x[r - lag]?, y[r]? - y[r - s]?)))
        .collect();
    if rows.len() < 4 {
        return None;
    }
    let design = DMatrix::from_fn(rows.len(), 2, |i, j| if j == 0 { 1.0 } else { rows[i].0 });
    let response = DVector::from_iterator(rows.len(), rows.iter().map(|r| r.1));
    let fit = least_squares(&design, &response).ok()?;
    let xv = x.get(t - lag).copied().flatten()?;
    Some((base, base + fit.coef[0] + fit.coef[1] * xv))
}

/// One-sided Diebold–Mariano test of equal one-step accuracy under squared error, with the
/// Harvey–Leybourne–Newbold correction: `d_t = e_base² − e_x²`,
/// `DM = d̄ / √(γ̂₀/n)` (`γ̂₀` the variance of `d` with divisor `n`), `DM* = DM·√((n−1)/n)`,
/// p = `P(t_{n−1} > DM*)`. Small p: the model with `x` is more accurate. `None` when `d` has
/// no variance.
pub fn diebold_mariano(errors: &[(f64, f64)]) -> Option<f64> {
    let n = errors.len();
    if n < 3 {
        return None;
    }
    let d: Vec<f64> = errors.iter().map(|(b, x)| b * b - x * x).collect();
    let nf = n as f64;
    let mean = d.iter().sum::<f64>() / nf;
    let var = d.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf;
    if var <= 0.0 || !var.is_finite() {
        return None;
    }
    let dm = mean / (var / nf).sqrt() * ((nf - 1.0) / nf).sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 1.0).ok()?;
    Some(t.sf(dm))
}

#[cfg(test)]
mod tests {
    use super::super::linalg::test_support::Lcg;
    use super::*;

    fn aligned(x: Vec<f64>, y: Vec<f64>) -> PairData {
        let n = x.len();
        let al = Aligned {
            freq: Frequency::Month,
            start: Period::month(2000, 1).unwrap(),
            x: x.into_iter().map(Some).collect(),
            y: y.into_iter().map(Some).collect(),
        };
        PairData {
            x: "x".into(),
            y: "y".into(),
            freq: Frequency::Month,
            transform: Transform::Level,
            adjust: None,
            n_x: n,
            n_y: n,
            overlap: al.overlap(),
            aligned: al,
            cny: (None, None),
            notes: Vec::new(),
        }
    }

    /// Synthetic (test only): x AR(1) with φ = 0.6, y_t = x_{t−3} + 0.5·noise.
    fn lead3(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Lcg::new(seed);
        let mut x = vec![0.0; n];
        for t in 0..n {
            let e = rng.normal();
            x[t] = if t == 0 { e } else { 0.6 * x[t - 1] + e };
        }
        let y = (0..n)
            .map(|t| {
                let u = 0.5 * rng.normal();
                if t >= 3 { x[t - 3] + u } else { u }
            })
            .collect();
        (x, y)
    }

    #[test]
    fn a_three_period_lead_is_found_and_helps_out_of_sample() {
        let (x, y) = lead3(17, 160);
        let pair = PairSpec::new("x", "y", None);
        let rep = analyse(&pair, &aligned(x, y), &LagOptions::default());
        let a = rep.outcome.as_ref().unwrap();
        assert_eq!(a.ccf.best.lag, 3);
        assert!(a.ccf.best.significant);
        assert_eq!(a.granger_order, Some(3));
        assert!(a.granger_summary().unwrap().p_value < 1e-6);
        assert_eq!(a.oos.lag, Some(3));
        assert_eq!(a.oos.verdict, OosVerdict::Gain, "{:?}", a.oos);
        assert!(a.oos.rmse_with_x.unwrap() < 0.8 * a.oos.rmse_base.unwrap());
        // Windows of 24 months ending at the last period, every 6 months: all find lag 3.
        assert_eq!(a.stability.rows.last().unwrap().to, rep.span.unwrap().1);
        assert!(a.stability.rows.len() >= 20);
        let hits = a
            .stability
            .rows
            .iter()
            .filter(|r| r.best.as_ref().is_ok_and(|b| b.lag == 3))
            .count();
        assert!(hits * 10 >= a.stability.rows.len() * 8, "{hits}");
        // The seasonal-naive base (y a year earlier) is poor here; x at lag 3 helps it too.
        let (x, y) = lead3(17, 160);
        let sn = LagOptions {
            oos_model: OosModel::Snaive,
            ..LagOptions::default()
        };
        let rep = analyse(&pair, &aligned(x, y), &sn);
        let o = rep.outcome.unwrap().oos;
        assert_eq!(
            (o.model, o.verdict.clone()),
            (OosModel::Snaive, OosVerdict::Gain),
            "{o:?}"
        );
        assert!(o.n >= 60, "{o:?}");
    }

    #[test]
    fn an_unrelated_series_gets_no_out_of_sample_gain_label() {
        let (x, _) = lead3(1, 120);
        let (_, y) = lead3(2, 120);
        let pair = PairSpec::new("x", "y", None);
        let rep = analyse(&pair, &aligned(x, y), &LagOptions::default());
        let a = rep.outcome.unwrap();
        assert!(!a.ccf.best.significant, "{:?}", a.ccf.best);
        assert!(
            matches!(
                a.oos.verdict,
                OosVerdict::NoGain | OosVerdict::GainNotSignificant | OosVerdict::NotTested(_)
            ),
            "{:?}",
            a.oos
        );
    }

    /// Synthetic (test only): two independent random walks of 200 months, analysed on levels.
    /// Their raw level correlation is large, but the pre-whitened scan calls nothing significant,
    /// and the Bartlett-banded raw scan neither.
    #[test]
    fn independent_random_walks_are_not_a_lead() {
        let mut rng = Lcg::new(9);
        let mut walk = || {
            let mut level = 100.0;
            (0..200)
                .map(|_| {
                    level += rng.normal();
                    level
                })
                .collect::<Vec<f64>>()
        };
        let (x, y) = (walk(), walk());
        let pair = PairSpec::new("x", "y", None);
        let data = aligned(x, y);
        let pw = analyse(&pair, &data, &LagOptions::default());
        let a = pw.outcome.unwrap();
        assert!(a.ccf.prewhitened);
        assert!(!a.ccf.best.significant, "{:?}", a.ccf.best);
        let raw = analyse(
            &pair,
            &data,
            &LagOptions {
                prewhiten: false,
                ..LagOptions::default()
            },
        );
        let r = raw.outcome.unwrap();
        assert!(r.ccf.best.r.abs() > 1.96 / (r.ccf.best.n as f64).sqrt());
        assert!(!r.ccf.best.significant, "{:?}", r.ccf.best);
    }

    #[test]
    fn too_little_overlap_is_reported_not_computed() {
        let (x, y) = lead3(3, 20);
        let rep = analyse(
            &PairSpec::new("x", "y", None),
            &aligned(x, y),
            &LagOptions::default(),
        );
        assert_eq!(
            rep.outcome.unwrap_err().to_string(),
            "insufficient data: needs 24 overlapping periods, has 20"
        );
    }

    #[test]
    fn max_lag_is_capped_at_a_quarter_of_the_overlap() {
        let (x, y) = lead3(4, 40);
        let opts = LagOptions {
            max_lag: Some(30),
            ..LagOptions::default()
        };
        let rep = analyse(&PairSpec::new("x", "y", None), &aligned(x, y), &opts);
        assert_eq!(rep.max_lag, 10);
        assert!(rep.notes.iter().any(|n| n.contains("±10, not ±30")));
        assert_eq!(rep.outcome.unwrap().ccf.lags.len(), 21);
    }

    /// DM by hand: d = (3, 1, 2, 2) → mean 2, γ̂₀ = 0.5, DM = 2/√(0.5/4) = 5.657, DM* = 5.657·√0.75 =
    /// 4.899; P(t₃ > 4.899) = `scipy.stats.t.sf(4.898979485566356, 3)` = 0.008138301729714277.
    #[test]
    fn diebold_mariano_by_hand() {
        let e = [
            (2.0, 1.0),
            (1.0, 0.0),
            (2.0f64.sqrt(), 0.0),
            (2.0f64.sqrt(), 0.0),
        ];
        let p = diebold_mariano(&e).unwrap();
        assert!((p - 0.008138301729714277).abs() < 1e-12, "{p}");
        assert_eq!(diebold_mariano(&[(1.0, 1.0); 5]), None);
    }

    #[test]
    fn pairs_parse() {
        let p = PairSpec::parse("pmi:shanghai_calls").unwrap();
        assert_eq!((p.x.as_str(), p.y.as_str()), ("pmi", "shanghai_calls"));
        assert_eq!(p.label(), "pmi:shanghai_calls");
        assert!(PairSpec::parse("pmi").is_err());
        assert!(PairSpec::parse(":y").is_err());
    }
}
