//! The audit of a trading guide's claims (docs/DOMAIN.md, "What a trading guide claims"): each claim is
//! turned into a measurement on the data as of a time, with its sample size and interval, and a
//! verdict that follows from the numbers by one rule ([`verdict`]).
//!
//! Measurements reuse the lead-lag machinery: `super::transform` (views on a common grid,
//! year-on-year log growth), `super::ccf` (raw CCF with Bartlett factor; pre-whitened CCF through
//! `super::lags::ccf_for_gaps`). Conventions, stated once here and in each row's note:
//! - every series is compared as year-on-year log growth (levels correlate spuriously);
//! - a lead given in days becomes whole periods by rounding each end (30.44 days a month, 7 a
//!   week): 30–45 days → 1 month, 7–14 days → 1–2 weeks, 22 days → 1 month;
//! - "Shanghai volume" is the official monthly TEU when it has enough overlapping months with the
//!   other series, else PortWatch container vessel calls (a proxy, said so in the note);
//! - a correlation claim is measured as the raw correlation at the claimed lag(s) (the best of
//!   them when a range is claimed), with a Fisher-z interval on the Bartlett effective sample
//!   size `n / F` (autocorrelation makes `n` overstate the information) at a Šidák-adjusted level
//!   when several lags were scanned;
//! - a lead claim is measured by the pre-whitened CCF's best lag; its interval is the span of
//!   lags whose correlation lies inside the best lag's Fisher interval (the lags the data cannot
//!   tell apart from the best), or every lag scanned when no lag is significant;
//! - a hit-rate claim ("X preceded Y in k of n cases") is measured on every month where the
//!   condition can be evaluated, with a Wilson interval; the no-effect value is the base rate of
//!   the outcome over all those months (a signal that hits no more often than the outcome
//!   happens anyway carries no information). A lower bound ("exceeded 4.3 million") settles a
//!   threshold outcome when it is at or above the threshold.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::ccf::{CcfOptions, ccf, pearson};
use super::lags::{self, LagOptions, MIN_OVERLAP};
use super::score::wilson_interval;
use super::transform::{Aligned, PairData, Regular, Transform, TransformError, prepare_pair};
use crate::model::{Frequency, Period, Precision};
use crate::series::view::Point;
use crate::store::Store;

/// Shanghai's 2024 throughput, the scale of the guide's monthly thresholds (docs/DOMAIN.md: "2024:
/// about 51.5M TEU a year, 4.0–4.6M a month").
pub const SHANGHAI_2024_ANNUAL_TEU: f64 = 51.5e6;
/// Fewest signal cases (or events) for a hit-rate or event claim to get a verdict.
pub const MIN_EVENTS: usize = 5;
/// Mean days in a month, to turn a lead in days into months.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// The verdict on a claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Supported,
    Contradicted,
    Inconclusive,
    Untestable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Contradicted => "contradicted",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Untestable => "untestable",
        }
    }
}

/// A claimed figure: a value (`low == high`) or a range, in the unit of the measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Claimed {
    pub low: f64,
    pub high: f64,
}

impl Claimed {
    pub fn point(v: f64) -> Claimed {
        Claimed { low: v, high: v }
    }

    pub fn range(low: f64, high: f64) -> Claimed {
        Claimed { low, high }
    }

    /// `0.82` or `0.75..0.8`.
    pub fn label(&self) -> String {
        if self.low == self.high {
            format!("{}", round6(self.low))
        } else {
            format!("{}..{}", round6(self.low), round6(self.high))
        }
    }
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// What "there is an effect at all" means for a measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Effect {
    /// The no-effect value (0 for a correlation or a mean change, the base rate for a hit rate):
    /// the effect is significant when the interval excludes it.
    NullValue(f64),
    /// For a lead: whether the best lag is significant after the multiplicity adjustment.
    Significant(bool),
}

/// A measured figure with its sample size and interval.
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    /// The point estimate (NaN when it could not be computed).
    pub value: f64,
    pub n: usize,
    pub low: f64,
    pub high: f64,
    /// Fewest observations for a verdict other than inconclusive.
    pub n_min: usize,
    pub effect: Effect,
}

impl Measured {
    fn none(n: usize, n_min: usize, effect: Effect) -> Measured {
        Measured {
            value: f64::NAN,
            n,
            low: f64::NAN,
            high: f64::NAN,
            n_min,
            effect,
        }
    }

    /// Whether the effect is there (interval excludes the no-effect value, or the lead is
    /// significant).
    pub fn significant(&self) -> bool {
        match self.effect {
            Effect::NullValue(v) => v < self.low || v > self.high,
            Effect::Significant(b) => b,
        }
    }
}

/// The verdict rule, applied to every claim alike:
/// - **untestable**: nothing to measure it on (no measurement);
/// - **inconclusive**: fewer than `n_min` observations, or no interval;
/// - **contradicted**: the claimed value (or every value of the claimed range) lies outside the
///   measured interval;
/// - **supported**: the claimed value (or part of the range) lies inside the interval *and* the
///   effect is significant (the interval excludes the no-effect value; a lead's best lag is
///   significant after adjusting for the lags scanned);
/// - **inconclusive** otherwise: the data agree with the claim but cannot tell it from no effect.
pub fn verdict(claimed: Claimed, m: Option<&Measured>) -> Verdict {
    let Some(m) = m else {
        return Verdict::Untestable;
    };
    if m.n < m.n_min || !(m.low.is_finite() && m.high.is_finite()) {
        return Verdict::Inconclusive;
    }
    if claimed.high < m.low || claimed.low > m.high {
        return Verdict::Contradicted;
    }
    if m.significant() {
        Verdict::Supported
    } else {
        Verdict::Inconclusive
    }
}

/// One row of the audit.
#[derive(Clone, Debug, PartialEq)]
pub struct AuditRow {
    /// The claim's number in docs/DOMAIN.md's list (1–10); a claim with two figures has two rows.
    pub claim: u8,
    pub claimed: Claimed,
    pub measured: Option<Measured>,
    pub verdict: Verdict,
    /// What was measured, on what, and why a claim is untestable (and what data would test it).
    pub note: String,
}

impl AuditRow {
    fn new(claim: u8, claimed: Claimed, measured: Option<Measured>, note: String) -> AuditRow {
        AuditRow {
            claim,
            claimed,
            verdict: verdict(claimed, measured.as_ref()),
            measured,
            note,
        }
    }
}

/// Fisher-z interval of a correlation on an effective sample size; `(-1, 1)` when `n_eff ≤ 3`.
pub fn fisher_interval(r: f64, n_eff: f64, level: f64) -> (f64, f64) {
    if n_eff <= 3.0 || !r.is_finite() {
        return (-1.0, 1.0);
    }
    let z = Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0);
    let zr = r.clamp(-0.999_999_999, 0.999_999_999).atanh();
    let se = 1.0 / (n_eff - 3.0).sqrt();
    ((zr - z * se).tanh(), (zr + z * se).tanh())
}

/// Zou's (2007) interval for the difference `r1 − r2` of two correlations that share a variable
/// (`r1 = corr(a, y)`, `r2 = corr(b, y)`, `r12 = corr(a, b)`), from the Fisher intervals of each
/// on the effective sample size.
pub fn zou_difference(r1: f64, r2: f64, r12: f64, n_eff: f64, level: f64) -> (f64, f64) {
    let (l1, u1) = fisher_interval(r1, n_eff, level);
    let (l2, u2) = fisher_interval(r2, n_eff, level);
    let c = ((r12 - 0.5 * r1 * r2) * (1.0 - r1 * r1 - r2 * r2 - r12 * r12) + r12.powi(3))
        / ((1.0 - r1 * r1) * (1.0 - r2 * r2));
    let d = r1 - r2;
    let low = d - ((r1 - l1).powi(2) + (u2 - r2).powi(2) - 2.0 * c * (r1 - l1) * (u2 - r2)).sqrt();
    let high = d + ((u1 - r1).powi(2) + (r2 - l2).powi(2) - 2.0 * c * (u1 - r1) * (r2 - l2)).sqrt();
    (low, high)
}

/// Mean with a Student-t interval.
pub fn mean_interval(xs: &[f64], level: f64) -> (f64, f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let mean = xs.iter().sum::<f64>() / nf;
    if n < 2 {
        return (mean, f64::NAN, f64::NAN);
    }
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt();
    let t = StudentsT::new(0.0, 1.0, nf - 1.0)
        .expect("n ≥ 2")
        .inverse_cdf(1.0 - (1.0 - level) / 2.0);
    let half = t * sd / nf.sqrt();
    (mean, mean - half, mean + half)
}

/// A lead in days as whole periods: each end rounded to the nearest period.
pub fn days_to_periods(days: f64, freq: Frequency) -> isize {
    let len = match freq {
        Frequency::Day => 1.0,
        Frequency::Week => 7.0,
        Frequency::Month => DAYS_PER_MONTH,
        Frequency::Year => 365.25,
    };
    (days / len).round() as isize
}

/// Whether a published figure is above `threshold`: a value decides by itself; a lower bound
/// ("exceeded v") decides "above" when `v ≥ threshold`, an upper bound decides "not above" when
/// `v ≤ threshold`; otherwise unknown.
pub fn above(point: &Point, threshold: f64) -> Option<bool> {
    match point.precision {
        Precision::Exact | Precision::Rounded => Some(point.value > threshold),
        Precision::LowerBound => (point.value >= threshold).then_some(true),
        Precision::UpperBound => (point.value <= threshold).then_some(false),
    }
}

/// The raw correlation at the best of `lags` (largest |r|), with its Bartlett-adjusted interval.
struct CorrAt {
    lag: isize,
    r: f64,
    n: usize,
    n_eff: f64,
    factor: f64,
    low: f64,
    high: f64,
    level: f64,
}

fn corr_at(al: &Aligned, lags: &[isize]) -> Option<CorrAt> {
    let max_lag = lags.iter().map(|l| l.unsigned_abs()).max()?;
    let res = ccf(&al.x, &al.y, &CcfOptions::new(max_lag).raw()).ok()?;
    let factor = res.bartlett_factor.unwrap_or(1.0);
    let row = res
        .lags
        .iter()
        .filter(|l| lags.contains(&l.lag) && !l.r.is_nan())
        .reduce(|a, b| if b.r.abs() > a.r.abs() { b } else { a })?;
    // Šidák: the interval's level so the family over the lags scanned keeps 95%.
    let level = LEVEL.powf(1.0 / lags.len() as f64);
    let n_eff = row.n as f64 / factor;
    let (low, high) = fisher_interval(row.r, n_eff, level);
    Some(CorrAt {
        lag: row.lag,
        r: row.r,
        n: row.n,
        n_eff,
        factor,
        low,
        high,
        level,
    })
}

/// Views a pair as yoy growth on `freq`.
fn yoy_pair(
    store: &Store,
    as_of: DateTime<Utc>,
    x: &str,
    y: &str,
    freq: Frequency,
) -> Result<PairData, TransformError> {
    prepare_pair(store, as_of, x, y, Some(freq), Transform::Yoy, None)
}

/// The Shanghai volume series a measurement used.
struct Volume {
    /// "official Shanghai TEU" or "Shanghai container vessel calls".
    name: &'static str,
    /// Why the proxy was used, when it was.
    proxy: Option<String>,
}

impl Volume {
    /// A sentence for the note, empty for official TEU.
    fn caveat(&self) -> String {
        self.proxy
            .as_ref()
            .map(|p| format!("; {p}"))
            .unwrap_or_default()
    }
}

/// The pair with Shanghai volume on one side: official TEU when it overlaps the other series on
/// at least [`MIN_OVERLAP`] months, else PortWatch container calls (a proxy).
fn with_volume(
    store: &Store,
    as_of: DateTime<Utc>,
    other: &str,
    volume_is_y: bool,
) -> Result<(PairData, Volume), TransformError> {
    let pair = |v: &str| {
        if volume_is_y {
            yoy_pair(store, as_of, other, v, Frequency::Month)
        } else {
            yoy_pair(store, as_of, v, other, Frequency::Month)
        }
    };
    let teu = pair("shanghai_teu")?;
    if teu.overlap >= MIN_OVERLAP {
        return Ok((
            teu,
            Volume {
                name: "official Shanghai TEU",
                proxy: None,
            },
        ));
    }
    let calls = pair("shanghai_calls")?;
    Ok((
        calls,
        Volume {
            name: "Shanghai container vessel calls",
            proxy: Some(format!(
                "vessel calls stand in for volume (official TEU overlaps on {} of the {MIN_OVERLAP} months needed): the verdict is on the proxy",
                teu.overlap
            )),
        },
    ))
}

fn span(al: &Aligned) -> String {
    let both: Vec<usize> = (0..al.len())
        .filter(|&i| al.x[i].is_some() && al.y[i].is_some())
        .collect();
    match (both.first(), both.last()) {
        (Some(&a), Some(&b)) => format!("{}..{}", al.period(a), al.period(b)),
        _ => "no overlap".into(),
    }
}

/// A correlation claim at claimed lags: the measurement and the note.
fn correlation_row(
    claim: u8,
    claimed_r: f64,
    data: &PairData,
    lags: &[isize],
    what: &str,
) -> AuditRow {
    let unit = data.freq.as_str();
    let lag_text = if lags.len() == 1 {
        "the claimed lag".to_string()
    } else {
        format!(
            "the best of the claimed {}..{} {unit}s",
            lags[0],
            lags[lags.len() - 1]
        )
    };
    match corr_at(&data.aligned, lags) {
        Some(c) => {
            let m = Measured {
                value: c.r,
                n: c.n,
                low: c.low,
                high: c.high,
                n_min: MIN_OVERLAP,
                effect: Effect::NullValue(0.0),
            };
            let mut note = format!(
                "{what}; yoy log growth, raw correlation at lag {} {unit} ({lag_text}); {:.1}% Fisher interval on n_eff = n/F = {:.1} (Bartlett F = {:.2}); {}",
                c.lag,
                100.0 * c.level,
                c.n_eff,
                c.factor,
                span(&data.aligned)
            );
            if c.n < MIN_OVERLAP {
                note = format!(
                    "insufficient data: needs {MIN_OVERLAP} pairs, has {}; {note}",
                    c.n
                );
            }
            AuditRow::new(claim, Claimed::point(claimed_r), Some(m), note)
        }
        None => AuditRow::new(
            claim,
            Claimed::point(claimed_r),
            Some(Measured::none(
                data.overlap,
                MIN_OVERLAP,
                Effect::NullValue(0.0),
            )),
            format!(
                "insufficient data: needs {MIN_OVERLAP} pairs, has {}; {what}",
                data.overlap
            ),
        ),
    }
}

/// A lead claim: the pre-whitened CCF's best lag and the lags the data cannot tell from it.
fn lead_row(claim: u8, claimed: Claimed, data: &PairData, what: &str) -> AuditRow {
    let al = &data.aligned;
    let unit = data.freq.as_str();
    if data.overlap < MIN_OVERLAP {
        return AuditRow::new(
            claim,
            claimed,
            Some(Measured::none(
                data.overlap,
                MIN_OVERLAP,
                Effect::Significant(false),
            )),
            format!(
                "insufficient data: needs {MIN_OVERLAP} overlapping {unit}s, has {}; {what}",
                data.overlap
            ),
        );
    }
    let max_lag = lags::default_max_lag(data.freq).min(data.overlap / 4);
    let opts = LagOptions::default();
    let Ok((res, whitening)) = lags::ccf_for_gaps(al, max_lag, &opts, MIN_OVERLAP) else {
        return AuditRow::new(
            claim,
            claimed,
            Some(Measured::none(
                data.overlap,
                MIN_OVERLAP,
                Effect::Significant(false),
            )),
            format!("cross-correlation not computable; {what}"),
        );
    };
    let b = &res.best;
    let (low, high, plausible) = if b.significant {
        let set: Vec<isize> = res
            .lags
            .iter()
            .filter(|l| !l.r.is_nan() && l.r >= b.ci_low && l.r <= b.ci_high)
            .map(|l| l.lag)
            .collect();
        let lo = set.iter().copied().min().unwrap_or(b.lag);
        let hi = set.iter().copied().max().unwrap_or(b.lag);
        (
            lo,
            hi,
            format!("lags inside the best lag's interval: {set:?}"),
        )
    } else {
        (
            -(max_lag as isize),
            max_lag as isize,
            "no lag significant: every lag scanned is plausible".to_string(),
        )
    };
    let m = Measured {
        value: b.lag as f64,
        n: b.n,
        low: low as f64,
        high: high as f64,
        n_min: MIN_OVERLAP,
        effect: Effect::Significant(b.significant),
    };
    let method = if res.prewhitened {
        format!(
            "pre-whitened CCF (AR({}) of the leader{})",
            res.ar_order.unwrap_or(0),
            whitening.map(|w| format!("; {w}")).unwrap_or_default()
        )
    } else {
        whitening.unwrap_or_else(|| "raw CCF".into())
    };
    let note = format!(
        "{what}; yoy log growth, {method} over ±{max_lag} {unit}s; lags in {unit}s, positive = leads; best r {:.3} [{:.3}, {:.3}], Šidák p {:.3}; {plausible}; {}",
        b.r,
        b.ci_low,
        b.ci_high,
        b.p_adjusted,
        span(al)
    );
    let note = if b.n < MIN_OVERLAP {
        format!(
            "insufficient data: needs {MIN_OVERLAP} pairs at the best lag, has {}; {note}",
            b.n
        )
    } else {
        note
    };
    AuditRow::new(claim, claimed, Some(m), note)
}

/// Months of a monthly series as points by period (values and bounds alike).
fn points(
    store: &Store,
    as_of: DateTime<Utc>,
    id: &str,
) -> Result<BTreeMap<Period, Point>, TransformError> {
    Ok(store
        .view_at(id, as_of, Some(Frequency::Month))?
        .points
        .into_iter()
        .filter(|p| p.complete)
        .map(|p| (p.period, p))
        .collect())
}

/// Value of a monthly series by period (values only, no bounds).
fn values(
    store: &Store,
    as_of: DateTime<Utc>,
    id: &str,
) -> Result<BTreeMap<Period, f64>, TransformError> {
    Ok(points(store, as_of, id)?
        .into_iter()
        .filter(|(_, p)| p.precision.is_value())
        .map(|(k, p)| (k, p.value))
        .collect())
}

/// Counts for a hit-rate claim.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HitCount {
    /// Months where the signal held and the outcome is known.
    pub signals: usize,
    pub hits: usize,
    /// Months where the signal and the outcome are both known, and how many had the outcome.
    pub base_n: usize,
    pub base_hits: usize,
}

/// Count hits of `signal(m)` → `outcome(m + 1)` over `months`.
pub fn count_hits(
    months: impl Iterator<Item = Period>,
    signal: impl Fn(Period) -> Option<bool>,
    outcome: impl Fn(Period) -> Option<bool>,
) -> HitCount {
    let mut c = HitCount::default();
    for m in months {
        let (Some(s), Some(o)) = (signal(m), outcome(m.next())) else {
            continue;
        };
        c.base_n += 1;
        c.base_hits += usize::from(o);
        if s {
            c.signals += 1;
            c.hits += usize::from(o);
        }
    }
    c
}

/// A hit-rate row from counts.
fn hit_row(
    claim: u8,
    claimed: Claimed,
    c: HitCount,
    what: &str,
    scaled: Option<HitCount>,
) -> AuditRow {
    let base = if c.base_n > 0 {
        c.base_hits as f64 / c.base_n as f64
    } else {
        f64::NAN
    };
    let (low, high) = wilson_interval(c.hits, c.signals, LEVEL).unwrap_or((f64::NAN, f64::NAN));
    let m = Measured {
        value: if c.signals > 0 {
            c.hits as f64 / c.signals as f64
        } else {
            f64::NAN
        },
        n: c.signals,
        low,
        high,
        n_min: MIN_EVENTS,
        effect: Effect::NullValue(base),
    };
    let mut note = format!(
        "{what}; hit rate {} of {} signal months, 95% Wilson interval; base rate of the outcome {} of {} months",
        c.hits, c.signals, c.base_hits, c.base_n
    );
    if c.signals < MIN_EVENTS {
        note = format!(
            "insufficient data: needs {MIN_EVENTS} signal months, has {}; {note}",
            c.signals
        );
    }
    if let Some(s) = scaled {
        note.push_str(&format!(
            "; the thresholds are 2024-scale (51.5M TEU a year): scaled to each month's own year, {} of {} signal months hit (base rate {} of {})",
            s.hits, s.signals, s.base_hits, s.base_n
        ));
    }
    AuditRow::new(claim, claimed, Some(m), note)
}

/// The threshold for a month scaled from 2024 to that month's year by the annual totals.
fn scaled_threshold(annual: &BTreeMap<i32, f64>, month: Period, threshold: f64) -> Option<f64> {
    let year = month.start().year();
    annual
        .get(&year)
        .map(|a| threshold * a / SHANGHAI_2024_ANNUAL_TEU)
}

/// Run the audit as of `as_of`.
pub fn audit(store: &Store, as_of: DateTime<Utc>) -> Result<Vec<AuditRow>, TransformError> {
    let month = Frequency::Month;
    let mut rows = Vec::new();

    // 1. Shanghai TEU vs US import growth 45–60 days later.
    rows.push(AuditRow::new(
        1,
        Claimed::point(0.68),
        None,
        "no US import series: portcast holds Los Angeles and Long Beach figures only (claim 7 tests Shanghai against LA); a monthly US containerised import TEU series (US Census vessel imports, or a trade-data vendor's US import TEU) would test it, as yoy growth at a lag of 1..2 months".into(),
    ));

    // 2. SCFI vs Shanghai volume: r 0.82, volume leads rates by 7–14 days.
    let weekly = yoy_pair(store, as_of, "shanghai_calls", "scfi", Frequency::Week)?;
    let (w0, w1) = (
        days_to_periods(7.0, Frequency::Week),
        days_to_periods(14.0, Frequency::Week),
    );
    let wlags: Vec<isize> = (w0..=w1).collect();
    rows.push(correlation_row(
        2,
        0.82,
        &weekly,
        &wlags,
        "correlation of Shanghai container vessel calls (proxy for volume; no weekly TEU) with the SCFI composite, by ISO week, calls leading",
    ));
    rows.push(lead_row(
        2,
        Claimed::range(w0 as f64, w1 as f64),
        &weekly,
        "lead of Shanghai container vessel calls over the SCFI composite (claimed 7–14 days = 1..2 weeks)",
    ));

    // 3. PMI leads Shanghai volume by 30–45 days.
    let (pmi_vol, vol) = with_volume(store, as_of, "pmi", true)?;
    let (m0, m1) = (days_to_periods(30.0, month), days_to_periods(45.0, month));
    rows.push(lead_row(
        3,
        Claimed::range(m0 as f64, m1 as f64),
        &pmi_vol,
        &format!(
            "lead of the NBS manufacturing PMI over {} (claimed 30–45 days = {} month){}",
            vol.name,
            Claimed::range(m0 as f64, m1 as f64).label(),
            vol.caveat()
        ),
    ));

    // 4. New export orders predict volume better than PMI (0.71 vs 0.58).
    rows.push(better_predictor_row(store, as_of, m0)?);

    // 5, 6, 8: thresholds on official TEU.
    let teu = points(store, as_of, "shanghai_teu")?;
    let annual: BTreeMap<i32, f64> = store
        .view_at("shanghai_teu_annual", as_of, None)?
        .complete_values()
        .into_iter()
        .filter_map(|(p, v)| match p {
            Period::Year(y) => Some((y, v)),
            _ => None,
        })
        .collect();
    let outcome = |t: f64, scaled: bool| {
        let teu = &teu;
        let annual = &annual;
        move |m: Period| -> Option<bool> {
            let th = if scaled {
                scaled_threshold(annual, m, t)?
            } else {
                t
            };
            above(teu.get(&m)?, th)
        }
    };

    // 5. New export orders > 54 preceded months > 4.4M TEU in 9 of 11 cases.
    let neo = values(store, as_of, "pmi_new_export_orders")?;
    let signal5 = |m: Period| neo.get(&m).map(|v| *v > 54.0);
    let c5 = count_hits(neo.keys().copied(), signal5, outcome(4.4e6, false));
    let s5 = count_hits(neo.keys().copied(), signal5, outcome(4.4e6, true));
    rows.push(hit_row(
        5,
        Claimed::point(9.0 / 11.0),
        c5,
        "NBS new export orders > 54 in a month, official Shanghai TEU > 4.4M the next month (values, and lower bounds at or above 4.4M)",
        Some(s5),
    ));

    // 6. PMI > 52 with new orders > 53 → Shanghai > 4.3M TEU within 45 days.
    let pmi = values(store, as_of, "pmi")?;
    let new_orders = values(store, as_of, "pmi_new_orders")?;
    let signal6 = |m: Period| Some(*pmi.get(&m)? > 52.0 && *new_orders.get(&m)? > 53.0);
    let c6 = count_hits(new_orders.keys().copied(), signal6, outcome(4.3e6, false));
    let s6 = count_hits(new_orders.keys().copied(), signal6, outcome(4.3e6, true));
    rows.push(hit_row(
        6,
        Claimed::range(0.75, 0.80),
        c6,
        "NBS PMI > 52 and the new orders sub-index > 53 in a month (published on its last day), official Shanghai TEU > 4.3M the next month (the month within 45 days)",
        Some(s6),
    ));

    // 7. Shanghai → LA 0.88 at 22 days; Long Beach 0.86 at 21 days.
    let l7 = days_to_periods(22.0, month);
    let (la, vol) = with_volume(store, as_of, "la_loaded_imports", false)?;
    rows.push(correlation_row(
        7,
        0.88,
        &la,
        &[l7],
        &format!(
            "{} to all destinations (no Shanghai-to-US series) leading Port of Los Angeles loaded imports, 22 days = {l7} month{}",
            vol.name,
            vol.caveat()
        ),
    ));
    let l7b = days_to_periods(21.0, month);
    let (lb, vol) = with_volume(store, as_of, "long_beach_loaded_imports", false)?;
    rows.push(correlation_row(
        7,
        0.86,
        &lb,
        &[l7b],
        &format!(
            "{} leading Port of Long Beach loaded imports, 21 days = {l7b} month{}",
            vol.name,
            vol.caveat()
        ),
    ));

    // 8. Months above 4.4M TEU followed by SCFI rises of 12–18% within two weeks.
    rows.push(scfi_after_row(store, as_of, &teu, &annual)?);

    // 9. Shanghai export volume vs China GDP growth 90 days later.
    rows.push(AuditRow::new(
        9,
        Claimed::point(0.64),
        None,
        "no China GDP series: NBS quarterly real GDP growth (e.g. DBnomics NBS national accounts) would test it, against Shanghai volume by quarter at a lag of 1 quarter (90 days)".into(),
    ));

    // 10. Anchorage queues > 20 vessels for 3+ days → peak-season surcharge 80% of the time.
    rows.push(AuditRow::new(
        10,
        Claimed::point(0.80),
        None,
        "no anchorage queue or surcharge data: daily counts of container ships waiting at anchor off Shanghai (AIS-derived, e.g. a vessel-tracking vendor's port congestion series) and dated peak-season surcharge announcements by carriers would test it as a hit rate".into(),
    ));
    Ok(rows)
}

/// Claim 4: `corr(NEO_t, vol_{t+lag}) − corr(PMI_t, vol_{t+lag})` on the months where all three
/// exist, with Zou's interval on the smaller Bartlett effective sample size of the two pairs.
fn better_predictor_row(
    store: &Store,
    as_of: DateTime<Utc>,
    lag: isize,
) -> Result<AuditRow, TransformError> {
    let claimed = Claimed::point(0.71 - 0.58);
    let (neo_vol, vol) = with_volume(store, as_of, "pmi_new_export_orders", true)?;
    let vol_id = neo_vol.y.clone();
    let pmi_vol = yoy_pair(store, as_of, "pmi", &vol_id, Frequency::Month)?;
    let grid = |d: &PairData| -> (Regular, Regular) {
        let al = &d.aligned;
        let r = |v: &Vec<Option<f64>>| Regular {
            freq: al.freq,
            start: al.start,
            values: v.clone(),
        };
        (r(&al.x), r(&al.y))
    };
    let (neo, volume) = grid(&neo_vol);
    let (pmi, _) = grid(&pmi_vol);
    let mut triples: Vec<(f64, f64, f64)> = Vec::new();
    for i in 0..neo.len() {
        let t = neo.period(i);
        if let (Some(a), Some(b), Some(y)) =
            (neo.get(t), pmi.get(t), volume.get(t.offset(lag as i64)))
        {
            triples.push((a, b, y));
        }
    }
    let n = triples.len();
    let what = format!(
        "corr(new export orders, {} {lag} month later) minus corr(PMI, same), yoy log growth, on the months where all three exist{}",
        vol.name,
        vol.caveat()
    );
    if n < 4 {
        return Ok(AuditRow::new(
            4,
            claimed,
            Some(Measured::none(n, MIN_OVERLAP, Effect::NullValue(0.0))),
            format!("insufficient data: needs {MIN_OVERLAP} months, has {n}; {what}"),
        ));
    }
    let pairs = |f: fn(&(f64, f64, f64)) -> (f64, f64)| -> Vec<(f64, f64)> {
        triples.iter().map(f).collect()
    };
    let r1 = pearson(&pairs(|t| (t.0, t.2)));
    let r2 = pearson(&pairs(|t| (t.1, t.2)));
    let r12 = pearson(&pairs(|t| (t.0, t.1)));
    let factor = |d: &PairData| {
        ccf(&d.aligned.x, &d.aligned.y, &CcfOptions::new(1).raw())
            .ok()
            .and_then(|r| r.bartlett_factor)
            .unwrap_or(1.0)
    };
    let f = factor(&neo_vol).max(factor(&pmi_vol));
    let n_eff = n as f64 / f;
    let (low, high) = zou_difference(r1, r2, r12, n_eff, LEVEL);
    let m = Measured {
        value: r1 - r2,
        n,
        low,
        high,
        n_min: MIN_OVERLAP,
        effect: Effect::NullValue(0.0),
    };
    let mut note = format!(
        "{what}: r(NEO) {r1:.3}, r(PMI) {r2:.3}, r(NEO, PMI) {r12:.3}; claimed 0.71 − 0.58; 95% Zou interval on n_eff = n/F = {n_eff:.1} (Bartlett F = {f:.2})"
    );
    if n < MIN_OVERLAP {
        note = format!("insufficient data: needs {MIN_OVERLAP} months, has {n}; {note}");
    }
    Ok(AuditRow::new(4, claimed, Some(m), note))
}

/// SCFI change (percent) from the last print on or before the month's last day (at most 10 days
/// before it) to the last print on or before 14 days after it.
fn scfi_change(prints: &BTreeMap<chrono::NaiveDate, f64>, month: Period) -> Option<f64> {
    let end = month.end();
    let (d0, v0) = prints.range(..=end).next_back()?;
    if (end - *d0).num_days() > 10 {
        return None;
    }
    let (d1, v1) = prints
        .range(end + Duration::days(1)..=end + Duration::days(14))
        .next_back()?;
    let _ = d1;
    Some(100.0 * (v1 / v0 - 1.0))
}

/// Claim 8: mean SCFI change in the two weeks after months above 4.4M TEU.
fn scfi_after_row(
    store: &Store,
    as_of: DateTime<Utc>,
    teu: &BTreeMap<Period, Point>,
    annual: &BTreeMap<i32, f64>,
) -> Result<AuditRow, TransformError> {
    let prints: BTreeMap<chrono::NaiveDate, f64> = store
        .view_at("scfi", as_of, None)?
        .complete_values()
        .into_iter()
        .map(|(p, v)| (p.start(), v))
        .collect();
    let months = |scaled: bool| -> (Vec<f64>, usize) {
        let mut changes = Vec::new();
        let mut events = 0;
        for (m, p) in teu {
            let th = if scaled {
                match scaled_threshold(annual, *m, 4.4e6) {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                4.4e6
            };
            if above(p, th) == Some(true) {
                events += 1;
                if let Some(c) = scfi_change(&prints, *m) {
                    changes.push(c);
                }
            }
        }
        (changes, events)
    };
    let (changes, events) = months(false);
    let (scaled, scaled_events) = months(true);
    let (mean, low, high) = mean_interval(&changes, LEVEL);
    let m = Measured {
        value: mean,
        n: changes.len(),
        low,
        high,
        n_min: MIN_EVENTS,
        effect: Effect::NullValue(0.0),
    };
    let (smean, slow, shigh) = mean_interval(&scaled, LEVEL);
    let mut note = format!(
        "SCFI composite change in percent from the last print of a month with official Shanghai TEU > 4.4M to the last print within 14 days after it; mean with 95% t interval; {events} such month(s), {} with SCFI prints around them",
        changes.len()
    );
    if changes.len() < MIN_EVENTS {
        note = format!(
            "insufficient data: needs {MIN_EVENTS} months, has {}; {note}",
            changes.len()
        );
    }
    note.push_str(&format!(
        "; the threshold is 2024-scale (51.5M TEU a year): scaled to each month's own year, {scaled_events} month(s), {} with prints, mean {} [{}, {}]",
        scaled.len(),
        fmt(smean),
        fmt(slow),
        fmt(shigh)
    ));
    Ok(AuditRow::new(8, Claimed::range(12.0, 18.0), Some(m), note))
}

fn fmt(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.1}%")
    } else {
        "n/a".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: f64, low: f64, high: f64, n: usize, effect: Effect) -> Measured {
        Measured {
            value,
            n,
            low,
            high,
            n_min: 24,
            effect,
        }
    }

    #[test]
    fn the_verdict_rule() {
        let zero = Effect::NullValue(0.0);
        let c = Claimed::point(0.82);
        // Interval holds the claim and excludes 0: supported.
        assert_eq!(
            verdict(c, Some(&m(0.7, 0.5, 0.85, 40, zero))),
            Verdict::Supported
        );
        // Interval holds the claim but also 0: inconclusive.
        assert_eq!(
            verdict(c, Some(&m(0.4, -0.1, 0.9, 40, zero))),
            Verdict::Inconclusive
        );
        // Interval excludes the claim: contradicted, significant or not.
        assert_eq!(
            verdict(c, Some(&m(0.3, 0.1, 0.5, 40, zero))),
            Verdict::Contradicted
        );
        assert_eq!(
            verdict(c, Some(&m(0.1, -0.2, 0.4, 40, zero))),
            Verdict::Contradicted
        );
        // Too few observations: inconclusive whatever the interval says.
        assert_eq!(
            verdict(c, Some(&m(0.1, -0.2, 0.4, 10, zero))),
            Verdict::Inconclusive
        );
        // No interval: inconclusive. No measurement: untestable.
        assert_eq!(
            verdict(c, Some(&m(f64::NAN, f64::NAN, f64::NAN, 40, zero))),
            Verdict::Inconclusive
        );
        assert_eq!(verdict(c, None), Verdict::Untestable);
        // A range overlapping the interval at one end counts as inside.
        let r = Claimed::range(0.75, 0.80);
        assert_eq!(
            verdict(r, Some(&m(0.6, 0.45, 0.75, 40, Effect::NullValue(0.3)))),
            Verdict::Supported
        );
        assert_eq!(
            verdict(r, Some(&m(0.6, 0.45, 0.75, 40, Effect::NullValue(0.5)))),
            Verdict::Inconclusive
        );
        // Leads: significance is the scan's own.
        let lead = Claimed::range(1.0, 1.0);
        assert_eq!(
            verdict(lead, Some(&m(1.0, 0.0, 2.0, 40, Effect::Significant(true)))),
            Verdict::Supported
        );
        assert_eq!(
            verdict(lead, Some(&m(3.0, 3.0, 4.0, 40, Effect::Significant(true)))),
            Verdict::Contradicted
        );
        assert_eq!(
            verdict(
                lead,
                Some(&m(-5.0, -12.0, 12.0, 40, Effect::Significant(false)))
            ),
            Verdict::Inconclusive
        );
    }

    /// Golden values from statsmodels 0.15.0 / scipy 1.17.1:
    /// ```python
    /// from statsmodels.stats.proportion import proportion_confint
    /// print(proportion_confint(9, 11, alpha=0.05, method="wilson"))
    /// print(proportion_confint(0, 4, alpha=0.05, method="wilson"))
    /// import numpy as np; from scipy import stats
    /// z = stats.norm.ppf(0.975); zr = np.arctanh(0.5); se = 1 / np.sqrt(40 - 3)
    /// print(np.tanh(zr - z * se), np.tanh(zr + z * se))
    /// x = [12.0, 15.5, 9.0, 20.0, 14.0]
    /// print(stats.t.interval(0.95, 4, loc=np.mean(x), scale=stats.sem(x)))
    /// ```
    #[test]
    fn intervals_match_statsmodels_and_scipy() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        let (l, h) = wilson_interval(9, 11, 0.95).unwrap();
        assert!(
            close(l, 0.5230194380391557) && close(h, 0.9486323102539149),
            "{l} {h}"
        );
        let (l, h) = wilson_interval(0, 4, 0.95).unwrap();
        assert!(close(l, 0.0) && close(h, 0.4898908364545974), "{l} {h}");
        let (l, h) = fisher_interval(0.5, 40.0, 0.95);
        assert!(
            close(l, 0.22326525871975322) && close(h, 0.7021467158122918),
            "{l} {h}"
        );
        let (mean, l, h) = mean_interval(&[12.0, 15.5, 9.0, 20.0, 14.0], 0.95);
        assert!(close(mean, 14.1));
        assert!(
            close(l, 9.010692057016591) && close(h, 19.189307942983408),
            "{l} {h}"
        );
    }

    #[test]
    fn days_become_whole_periods() {
        assert_eq!(days_to_periods(30.0, Frequency::Month), 1);
        assert_eq!(days_to_periods(45.0, Frequency::Month), 1);
        assert_eq!(days_to_periods(60.0, Frequency::Month), 2);
        assert_eq!(days_to_periods(22.0, Frequency::Month), 1);
        assert_eq!(days_to_periods(7.0, Frequency::Week), 1);
        assert_eq!(days_to_periods(14.0, Frequency::Week), 2);
        assert_eq!(days_to_periods(90.0, Frequency::Month), 3);
    }

    #[test]
    fn bounds_settle_thresholds_only_when_they_decide() {
        let p = |v, precision| Point {
            period: Period::month(2024, 10).unwrap(),
            value: v,
            precision,
            known_at: Utc::now(),
            source: "t".into(),
            n: 1,
            complete: true,
        };
        assert_eq!(above(&p(4.5e6, Precision::Exact), 4.4e6), Some(true));
        assert_eq!(above(&p(4.3e6, Precision::Rounded), 4.4e6), Some(false));
        assert_eq!(above(&p(4.3e6, Precision::LowerBound), 4.3e6), Some(true));
        assert_eq!(above(&p(4.3e6, Precision::LowerBound), 4.4e6), None);
        assert_eq!(above(&p(4.2e6, Precision::UpperBound), 4.3e6), Some(false));
        assert_eq!(above(&p(4.5e6, Precision::UpperBound), 4.3e6), None);
    }

    #[test]
    fn hits_count_the_next_month() {
        let months: Vec<Period> = (1..=6).map(|i| Period::month(2024, i).unwrap()).collect();
        // Signal in months 1, 3, 5; outcome true in months 2, 3, 5; month 6 unknown.
        let signal = |p: Period| {
            Some(matches!(
                p,
                Period::Month {
                    month: 1 | 3 | 5,
                    ..
                }
            ))
        };
        let outcome = |p: Period| match p {
            Period::Month { month: 6.., .. } => None,
            Period::Month { month, .. } => Some(matches!(month, 2 | 3 | 5)),
            _ => None,
        };
        let c = count_hits(months.into_iter(), signal, outcome);
        // Pairs (1→2 hit, signal), (2→3 true), (3→4 false, signal), (4→5 true); 5→6 and 6→7
        // have no known outcome.
        assert_eq!(
            c,
            HitCount {
                signals: 2,
                hits: 1,
                base_n: 4,
                base_hits: 3
            }
        );
    }

    /// Zou (2007, Psychological Methods 12(4), example for overlapping correlations): r12 = .396,
    /// r13 = .179, r23 = .088, n = 66 give the 95% interval (−.093, .517) for ρ12 − ρ13. Full
    /// digits, and a second case, from a plain-Python transcription of the published R code
    /// (Baguley, "Serious Stats", functions `rz.ci`, `rho.rxy.rxz`, `r.dol.ci`; scipy 1.17.1):
    /// ```python
    /// import numpy as np; from scipy.stats import norm
    /// def rz(r, n): z = norm.ppf(0.975); se = 1 / np.sqrt(n - 3); return np.tanh(np.arctanh(r) - z * se), np.tanh(np.arctanh(r) + z * se)
    /// def rho(rxy, rxz, ryz): return ((ryz - rxy * rxz / 2) * (1 - rxy**2 - rxz**2 - ryz**2) + ryz**3) / ((1 - rxy**2) * (1 - rxz**2))
    /// def dol(r12, r13, r23, n):
    ///     L1, U1 = rz(r12, n); L2, U2 = rz(r13, n); c = rho(r12, r13, r23)
    ///     return (r12 - r13 - ((r12 - L1)**2 + (U2 - r13)**2 - 2 * c * (r12 - L1) * (U2 - r13))**0.5,
    ///             r12 - r13 + ((U1 - r12)**2 + (r13 - L2)**2 - 2 * c * (U1 - r12) * (r13 - L2))**0.5)
    /// print(dol(0.396, 0.179, 0.088, 66), dol(0.71, 0.58, 0.8, 40))
    /// ```
    #[test]
    fn zou_interval_matches_the_paper() {
        let (l, h) = zou_difference(0.396, 0.179, 0.088, 66.0, 0.95);
        assert!(
            (l - (-0.093)).abs() < 5e-4 && (h - 0.517).abs() < 5e-4,
            "{l} {h}"
        );
        assert!((l - (-0.09290192167481043)).abs() < 1e-9, "{l}");
        assert!((h - 0.5167599724816172).abs() < 1e-9, "{h}");
        let (l, h) = zou_difference(0.71, 0.58, 0.8, 40.0, 0.95);
        assert!((l - (-0.018942296827589494)).abs() < 1e-9, "{l}");
        assert!((h - 0.3189898105746112).abs() < 1e-9, "{h}");
    }
}
