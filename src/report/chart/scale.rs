//! The scale maths of the charts, apart from the drawing: "nice" numeric and integer scales,
//! probability and category axes, tick labels with k/M/B suffixes, short annotation values,
//! dates as coordinates and calendar date ticks, data extents and padding. Plain arithmetic on
//! numbers and dates; `super` draws with it.

use chrono::{Datelike, NaiveDate};

/// An axis scale: data range, tick positions and how a tick is written.
pub(super) struct Scale {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
    pub(super) format: Box<dyn Fn(f64) -> String>,
}

impl Scale {
    /// A numeric scale over `[lo, hi]` extended to "nice" tick multiples, with about `target`
    /// ticks, labelled with k/M/B suffixes for large values.
    pub(super) fn linear(lo: f64, hi: f64, target: usize) -> Scale {
        let (lo, hi) = widen(lo, hi);
        let step = nice_step((hi - lo) / target.max(1) as f64);
        // The slack forgives rounding dust (0.30000000000000004 is on the tick 0.3).
        let first = (lo / step + 1e-9).floor() * step;
        let last = (hi / step - 1e-9).ceil() * step;
        Scale::stepped(first, last, step)
    }

    /// Like [`Scale::linear`] but never a fractional step (lags, counts).
    pub(super) fn integer(lo: f64, hi: f64, target: usize) -> Scale {
        let (lo, hi) = widen(lo, hi);
        let step = nice_step((hi - lo) / target.max(1) as f64).max(1.0).round();
        let first = (lo / step).floor() * step;
        let last = (hi / step).ceil() * step;
        let (first, last) = if first == last {
            (first - step, last + step)
        } else {
            (first, last)
        };
        Scale::stepped(first, last, step)
    }

    /// Ticks every `step` from `lo` to `hi`, both of which should be multiples of `step`.
    pub(super) fn stepped(lo: f64, hi: f64, step: f64) -> Scale {
        let n = ((hi - lo) / step).round() as i64;
        let ticks: Vec<f64> = (0..=n).map(|i| snap(lo + i as f64 * step, step)).collect();
        let magnitude = lo.abs().max(hi.abs());
        Scale {
            lo,
            hi,
            ticks,
            format: Box::new(move |v| format_tick(v, step, magnitude)),
        }
    }

    /// A date scale over `[lo, hi]` (a little padding each side), ticks on month, quarter or
    /// year starts (days or weeks for short spans).
    pub(super) fn dates(lo: NaiveDate, hi: NaiveDate) -> Scale {
        let (ticks, fmt) = date_ticks(lo, hi, 10);
        let span = (hi - lo).num_days().max(1) as f64;
        let pad = (span * 0.02).max(1.0);
        let (lo, hi) = (day(lo) - pad, day(hi) + pad);
        Scale {
            lo,
            hi,
            ticks: ticks
                .into_iter()
                .map(day)
                .filter(|t| (lo..=hi).contains(t))
                .collect(),
            format: Box::new(move |v| date_of(v).format(fmt).to_string()),
        }
    }

    /// Categories at 0, 1, …, n − 1, labelled with their names.
    pub(super) fn categories(names: Vec<String>) -> Scale {
        let n = names.len().max(1);
        Scale {
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: (0..names.len()).map(|i| i as f64).collect(),
            format: Box::new(move |v| {
                let i = v.round();
                if i >= 0.0 && (i as usize) < names.len() {
                    names[i as usize].clone()
                } else {
                    String::new()
                }
            }),
        }
    }

    /// Probabilities: 0 to 1 in steps of 0.1.
    pub(super) fn probability() -> Scale {
        Scale::stepped(0.0, 1.0, 0.1)
    }

    pub(super) fn label(&self, v: f64) -> String {
        (self.format)(v)
    }
}

/// A range with positive width: a single value gets ±10% (or ±1 around zero); a non-finite
/// range becomes [0, 1].
pub(super) fn widen(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() || lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo > f64::EPSILON * hi.abs().max(lo.abs()).max(1.0) * 16.0 {
        return (lo, hi);
    }
    let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
    (lo - d, hi + d)
}

/// The smallest of 1, 2, 2.5, 5 × 10^k at least `raw`.
pub(super) fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    let f = raw / base;
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&m| f <= m * (1.0 + 1e-9))
        .unwrap_or(10.0);
    m * base
}

/// Remove floating-point dust from a tick (0.30000000000000004 → 0.3).
pub(super) fn snap(v: f64, step: f64) -> f64 {
    let r = (v / step).round() * step;
    if r.abs() < step * 1e-9 { 0.0 } else { r }
}

/// A tick label: `magnitude` (the largest absolute value on the axis) picks the suffix
/// (k from 10 000, M from a million, B from a billion) and `step` the number of decimals, so
/// every tick of one axis has the same form (4.2M, 4.25M, 4.3M would be 4.20M, 4.25M, 4.30M).
pub fn format_tick(v: f64, step: f64, magnitude: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let (scale, suffix) = suffix_for(magnitude);
    let scaled_step = step / scale;
    let decimals = (0..=6)
        .find(|&d| {
            let x = scaled_step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6 * x.abs().max(1.0)
        })
        .unwrap_or(6) as usize;
    let scaled = v / scale;
    if scaled.abs() < scaled_step.abs() * 1e-9 {
        return "0".to_string();
    }
    format!("{scaled:.decimals$}{suffix}")
}

pub(super) fn suffix_for(magnitude: f64) -> (f64, &'static str) {
    if magnitude >= 1e9 {
        (1e9, "B")
    } else if magnitude >= 1e6 {
        (1e6, "M")
    } else if magnitude >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    }
}

/// A value for an annotation: three significant digits, with a k/M/B suffix when large
/// (4 312 345 → "4.31M", 0.6234 → "0.623", −12.5 → "-12.5").
pub fn format_short(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let (scale, suffix) = suffix_for(v.abs());
    let x = v / scale;
    if x == 0.0 {
        return "0".to_string();
    }
    let digits = x.abs().log10().floor() as i32 + 1;
    let decimals = (3 - digits).clamp(0, 6) as usize;
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{suffix}")
}

pub(super) const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch");

/// A date as a chart coordinate: days since 1970-01-01.
pub(super) fn day(d: NaiveDate) -> f64 {
    (d - EPOCH).num_days() as f64
}

pub(super) fn date_of(v: f64) -> NaiveDate {
    EPOCH + chrono::Duration::days(v.round() as i64)
}

/// Date ticks within `[lo, hi]`, at most `max` of them, on calendar boundaries: every 1, 2, 3
/// or 6 months, or every 1, 2, 5 or 10 years; days or weeks when the span is under two months.
/// Returns the ticks and the strftime format their labels use.
pub(super) fn date_ticks(
    lo: NaiveDate,
    hi: NaiveDate,
    max: usize,
) -> (Vec<NaiveDate>, &'static str) {
    let span = (hi - lo).num_days();
    if span < 62 {
        for every in [1, 2, 7, 14, 28] {
            let ticks: Vec<NaiveDate> = (0..=span)
                .filter(|i| i % every == 0)
                .map(|i| lo + chrono::Duration::days(i))
                .collect();
            if ticks.len() <= max {
                return (ticks, "%Y-%m-%d");
            }
        }
    }
    let month_index = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
    let (first, last) = (month_index(lo), month_index(hi));
    for every in [1, 2, 3, 6, 12, 24, 60, 120, 240] {
        let ticks: Vec<NaiveDate> = (first..=last + 1)
            .filter(|m| m.rem_euclid(every) == 0)
            .filter_map(|m| {
                NaiveDate::from_ymd_opt(m.div_euclid(12) as i32, m.rem_euclid(12) as u32 + 1, 1)
            })
            .filter(|d| *d >= lo && *d <= hi)
            .collect();
        if ticks.len() <= max {
            let fmt = if every >= 12 { "%Y" } else { "%b %Y" };
            return (ticks, fmt);
        }
    }
    (vec![lo, hi], "%Y")
}

/// Finite min and max of an iterator of values (None if there are none).
pub(super) fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

pub(super) fn date_extent(
    dates: impl IntoIterator<Item = NaiveDate>,
) -> Option<(NaiveDate, NaiveDate)> {
    dates.into_iter().fold(None, |acc, d| match acc {
        None => Some((d, d)),
        Some((lo, hi)) => Some((lo.min(d), hi.max(d))),
    })
}

/// Pad a data range by `share` of its width on each side (so markers at the edge stay whole).
pub(super) fn pad(lo: f64, hi: f64, share: f64) -> (f64, f64) {
    let (lo, hi) = widen(lo, hi);
    let d = (hi - lo) * share;
    (lo - d, hi + d)
}
