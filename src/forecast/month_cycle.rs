//! The month's cycle of a weekly freight index: carriers announce general rate increases (GRIs) for
//! the first (and the fifteenth) of a month, so the SCFI's last print of a month jumps and the
//! prints after it slide back as the increases fail to stick.
//!
//! In the bundled weekly SCFI the prints of a month's last four days (an eighth of the month) rose
//! more than the mean weekly change in each span of weekly prints: by 6.6% (log, 2014–15), 8.1%
//! (2016–17), 4.8% (2018–19) and 2.8% (2020), and the prints of the middle of a month fell 1–5%
//! below it — a cycle as large as a calm market's weekly moves (their RMS was 4% in 2018–19), which
//! no model on the weekly grid can see: a week's position in its month is not a seasonal lag.
//!
//! The cycle is a periodic function of the position of the print's day in its month ([`phase`]: the
//! Friday of the ISO week, `(day − ½) / days in month`), with two harmonics: `s(φ) = Σ_k a_k sin
//! 2πkφ + b_k cos 2πkφ`, `k = 1, 2`, fitted by least squares on every pair of consecutive weekly
//! prints published before the as-of date's quarter ([`MonthCycle::fit_as_of`]), `Δ log x_t =
//! s(φ_t) − s(φ_{t−1}) + μ`, and then shrunk by [`SHRINK`]. The models see the index divided by
//! `exp s(φ)` and their paths are multiplied back (`super::Prepared::to_target`), as monthly flows
//! are modelled per day.
//!
//! Why shrunk: a GRI sticks in some months and fails in others (the last September print, before
//! China's October holiday, fell in every year 2014–19, by 1.5–8.5%), and a forecast shifted by the
//! whole mean jump pays for every failure. On the development windows (`benches/dev-eval.sh`: SCFI
//! weekly origins 2015, 2016–19 and 2018–19, one to four weeks ahead; "+" worse, against no cycle)
//! the mean change of the combined CRPS over the twelve cells was −3.2% unshrunk,
//! −2.4/−3.8/−4.5/−4.8/−4.8/−4.7% at factors 0.25/0.4/0.5/0.6/0.7/0.75, every cell better from 0.4
//! on (at 0.25 one cell +0.2%); a window of the last two years instead of every print: −2.5%
//! unshrunk, −3.1/−3.6/−3.8/−3.9% at 0.4/0.5/0.6/0.75 (the amplitude has fallen over the years, but
//! a longer record estimates the cycle's shape better); at 0.6 on every print, one harmonic −2.7%,
//! three −4.7%.

use std::f64::consts::TAU;

use chrono::{Datelike, Duration, NaiveDate};
use nalgebra::{DMatrix, DVector};

use crate::analysis::linalg::least_squares;
use crate::model::{Frequency, Period};

/// Consecutive pairs of prints needed (a year's worth); fewer and no cycle is fitted.
pub const MIN_PAIRS: usize = 52;
/// The share of the fitted cycle that is used (see the module docs).
pub const SHRINK: f64 = 0.6;
/// Harmonics of the cycle.
const HARMONICS: usize = 2;
const COEFS: usize = 2 * HARMONICS;

/// A fitted cycle: the log factor of a week is [`MonthCycle::effect`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MonthCycle {
    coef: [f64; COEFS],
}

impl std::hash::Hash for MonthCycle {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for c in self.coef {
            c.to_bits().hash(state);
        }
    }
}

/// Where a week's print falls in its month: the ISO week's Friday (the SCFI's print day),
/// `(day − ½) / days in that month`, in (0, 1).
pub fn phase(week: Period) -> f64 {
    debug_assert_eq!(week.frequency(), Frequency::Week);
    let friday = week.start() + Duration::days(4);
    let month = Period::containing(friday, Frequency::Month);
    (f64::from(friday.day()) - 0.5) / month.days() as f64
}

fn basis(week: Period) -> [f64; COEFS] {
    basis_at(phase(week))
}

fn basis_at(p: f64) -> [f64; COEFS] {
    std::array::from_fn(|i| {
        let angle = TAU * (i / 2 + 1) as f64 * p;
        if i % 2 == 0 { angle.sin() } else { angle.cos() }
    })
}

/// The first day of the quarter of `as_of`: a cycle for an as-of date is fitted on the prints of
/// the weeks whose Friday falls before it ([`MonthCycle::fit_as_of`]).
pub fn refit_date(as_of: NaiveDate) -> NaiveDate {
    let month = (as_of.month0() / 3) * 3 + 1;
    NaiveDate::from_ymd_opt(as_of.year(), month, 1).expect("the first of a month exists")
}

impl MonthCycle {
    /// The cycle of an as-of date: fitted ([`MonthCycle::fit`]) on the `points` whose print
    /// Friday falls before the start of `as_of`'s quarter ([`refit_date`]).
    ///
    /// Refitted once a quarter, not with every print: six years of prints learn little from one
    /// more week, and a cycle that stays put for a quarter leaves the training data of the
    /// quarter's as-of dates the same up to each scoring origin, so a backtest or a weekly report
    /// re-uses the origins it already scored (`super::select`'s memo). Fitted at every as-of date
    /// instead, a weekly SCFI backtest (2018–2020, `--step week`) took 1.86× the time of one
    /// without the cycle; refitted each quarter, 1.03–1.05×, and the development windows moved by
    /// +0.26% on average (−0.1 to +0.0% in 2016–19; +0.5 to +1.3% in 2015, where a quarter's
    /// prints are a large share of the short weekly history). The scoring origins of the as-of's
    /// own quarter are then out of the cycle's sample.
    pub fn fit_as_of(points: &[(Period, f64)], as_of: NaiveDate) -> Option<MonthCycle> {
        let before = refit_date(as_of);
        let known = points.partition_point(|(p, _)| p.start() + Duration::days(4) < before);
        MonthCycle::fit(&points[..known])
    }

    /// Fit on weekly `points` (ascending periods) and shrink by [`SHRINK`]; `None` with fewer
    /// than [`MIN_PAIRS`] pairs of consecutive positive prints, or a singular fit.
    pub fn fit(points: &[(Period, f64)]) -> Option<MonthCycle> {
        let mut rows: Vec<[f64; COEFS]> = Vec::new();
        let mut response = Vec::new();
        for pair in points.windows(2) {
            let ((p0, v0), (p1, v1)) = (pair[0], pair[1]);
            if p1 != p0.next() || v0 <= 0.0 || v1 <= 0.0 {
                continue;
            }
            let (b0, b1) = (basis(p0), basis(p1));
            rows.push(std::array::from_fn(|i| b1[i] - b0[i]));
            response.push((v1 / v0).ln());
        }
        if rows.len() < MIN_PAIRS {
            return None;
        }
        // Columns: the drift, then the cycle's coefficients.
        let design = DMatrix::from_fn(rows.len(), COEFS + 1, |r, c| {
            if c == 0 { 1.0 } else { rows[r][c - 1] }
        });
        let fit = least_squares(&design, &DVector::from_vec(response)).ok()?;
        Some(MonthCycle {
            coef: std::array::from_fn(|i| SHRINK * fit.coef[i + 1]),
        })
    }

    /// The log factor of `week`'s print: `s(φ)`, averaging 0 over a month.
    pub fn effect(&self, week: Period) -> f64 {
        self.at_phase(phase(week))
    }

    /// The cycle's size: its highest factor over its lowest within a month, minus 1 (0.05 = the
    /// print at the peak of the month is 5% above the print at the trough, all else equal).
    pub fn peak_to_trough(&self) -> f64 {
        let (lo, hi) = (0..200)
            .map(|i| self.at_phase((i as f64 + 0.5) / 200.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        (hi - lo).exp() - 1.0
    }

    fn at_phase(&self, phase: f64) -> f64 {
        basis_at(phase)
            .iter()
            .zip(&self.coef)
            .map(|(b, c)| b * c)
            .sum()
    }

    /// `points` with the cycle taken out (each value divided by `exp s(φ)`).
    pub fn adjust(&self, points: &[(Period, f64)]) -> Vec<(Period, f64)> {
        points
            .iter()
            .map(|&(p, v)| (p, v * (-self.effect(p)).exp()))
            .collect()
    }

    /// The cycle put back into path-major `paths` of `horizon` weeks after `origin`.
    pub fn restore(&self, origin: Period, paths: &mut [f64], horizon: usize) {
        let factors: Vec<f64> = (1..=horizon as i64)
            .map(|h| self.effect(origin.offset(h)).exp())
            .collect();
        for path in paths.chunks_exact_mut(horizon) {
            for (v, f) in path.iter_mut().zip(&factors) {
                *v *= f;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(y: i32, m: u32, d: u32) -> Period {
        Period::containing(NaiveDate::from_ymd_opt(y, m, d).unwrap(), Frequency::Week)
    }

    #[test]
    fn phase_reads_the_weeks_friday() {
        // 2019-05-31 is a Friday: the last day of May.
        assert!((phase(week(2019, 5, 27)) - 30.5 / 31.0).abs() < 1e-12);
        // The week of Monday 2019-04-29 ends in May: its Friday is 3 May.
        assert!((phase(week(2019, 4, 29)) - 2.5 / 31.0).abs() < 1e-12);
        // February 2019 has 28 days; Friday 15 February.
        assert!((phase(week(2019, 2, 11)) - 14.5 / 28.0).abs() < 1e-12);
    }

    /// Synthetic weekly prints (not real data): a drifting walk with a known cycle
    /// `0.05 sin 2πφ + 0.03 cos 4πφ` and small noise; the fit recovers [`SHRINK`] of it.
    #[test]
    fn a_known_cycle_is_recovered_from_noisy_prints() {
        use rand::{RngExt, SeedableRng};
        let truth = MonthCycle {
            coef: [0.05, 0.0, 0.0, 0.03],
        };
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let start = week(2016, 1, 4);
        let mut level: f64 = 800f64.ln();
        let points: Vec<(Period, f64)> = (0..156)
            .map(|i| {
                let p = start.offset(i);
                level += 0.002 + 0.01 * (rng.random::<f64>() - 0.5);
                (p, (level + truth.effect(p)).exp())
            })
            .collect();
        let fitted = MonthCycle::fit(&points).expect("enough prints");
        for i in 0..8 {
            let p = start.offset(150 + i);
            assert!(
                (fitted.effect(p) - SHRINK * truth.effect(p)).abs() < 0.003,
                "{p}: {} vs {}",
                fitted.effect(p),
                SHRINK * truth.effect(p)
            );
        }
        // The synthetic cycle's size, shrunk: sin 2πφ and cos 4πφ peak together near φ = 0.2
        // and bottom near φ = 0.8.
        let size = fitted.peak_to_trough();
        let (lo, hi) = (0..1000)
            .map(|i| truth.at_phase(i as f64 / 1000.0))
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        let expected = (SHRINK * (hi - lo)).exp() - 1.0;
        assert!((size - expected).abs() < 0.005, "{size} vs {expected}");
        // Taken out and put back: the same values.
        let adjusted = fitted.adjust(&points);
        let mut back: Vec<f64> = adjusted[100..104].iter().map(|(_, v)| *v).collect();
        fitted.restore(points[99].0, &mut back, 4);
        for (b, (_, v)) in back.iter().zip(&points[100..104]) {
            assert!((b / v - 1.0).abs() < 1e-12);
        }
    }

    /// Synthetic prints (not real data): the cycle of an as-of date reads the prints before its
    /// quarter only, so it is the same all quarter long.
    #[test]
    fn the_cycle_of_an_as_of_date_is_refitted_each_quarter() {
        let start = week(2016, 1, 4);
        let points: Vec<(Period, f64)> = (0..170)
            .map(|i| {
                let p = start.offset(i);
                let cycle = 0.05 * (TAU * phase(p)).sin();
                (p, 1000.0 * (cycle + 0.001 * (i % 7) as f64).exp())
            })
            .collect();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(refit_date(date(2019, 2, 14)), date(2019, 1, 1));
        assert_eq!(refit_date(date(2019, 3, 31)), date(2019, 1, 1));
        assert_eq!(refit_date(date(2019, 4, 1)), date(2019, 4, 1));
        assert_eq!(refit_date(date(2019, 12, 31)), date(2019, 10, 1));
        let early = MonthCycle::fit_as_of(&points, date(2019, 1, 10)).unwrap();
        let late = MonthCycle::fit_as_of(&points, date(2019, 3, 28)).unwrap();
        assert_eq!(early, late);
        // The prints before 2019: the week of Monday 2018-12-31 has its Friday in 2019.
        let before: Vec<(Period, f64)> = points
            .iter()
            .copied()
            .filter(|(p, _)| p.start() < date(2018, 12, 31))
            .collect();
        assert_eq!(before.last().unwrap().0, week(2018, 12, 24));
        assert_eq!(Some(early), MonthCycle::fit(&before));
        assert_ne!(Some(early), MonthCycle::fit(&points));
    }

    #[test]
    fn too_few_consecutive_prints_fit_no_cycle() {
        let start = week(2018, 1, 1);
        // Every other week only: no consecutive pairs.
        let points: Vec<(Period, f64)> = (0..120)
            .map(|i| (start.offset(2 * i), 1000.0 + i as f64))
            .collect();
        assert_eq!(MonthCycle::fit(&points), None);
    }
}
