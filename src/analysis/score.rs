//! Scores that judge forecasts and trading rules once the outcomes are known.
//!
//! The backtest replays the pipeline at past as-of dates, settles each market on the first
//! print, and hands the pairs (forecast, outcome) to these functions: probability scores
//! (Brier, log, Brier skill, reliability table) for binary events, CRPS and interval coverage
//! for whole predictive distributions (`crate::analysis::distribution`), MAPE for point
//! forecasts, and hit rate, cumulative P&L and drawdown for the trades that
//! `crate::markets::sizing` decided on. All functions are pure and validate their input:
//! mismatched lengths, empty input, probabilities outside `[0, 1]` and non-finite numbers are
//! errors, never silent NaNs.
//!
//! Orientation: Brier, log score, CRPS and MAPE are penalties (lower is better); the Brier
//! skill score is higher-is-better (1 perfect, 0 no better than the reference).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};
use thiserror::Error;

/// Probabilities are clipped to `[LOG_SCORE_CLIP, 1 − LOG_SCORE_CLIP]` in the log score.
pub const LOG_SCORE_CLIP: f64 = 1e-6;

/// Equal-width bins of predicted probability in a reliability table.
pub const DEFAULT_RELIABILITY_BINS: usize = 10;

/// Confidence level of the Wilson intervals in a reliability table.
pub const DEFAULT_CONFIDENCE: f64 = 0.90;

/// Why a score could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScoreError {
    #[error("nothing to score: the input is empty")]
    Empty,
    #[error("{what}: {left} values against {right}")]
    LengthMismatch {
        what: &'static str,
        left: usize,
        right: usize,
    },
    #[error("{what} number {index} is not a probability in [0, 1]: {value}")]
    NotAProbability {
        what: &'static str,
        index: usize,
        value: f64,
    },
    #[error("{what} number {index} is not a finite number: {value}")]
    NonFinite {
        what: &'static str,
        index: usize,
        value: f64,
    },
    #[error("actual value number {index} is zero: its percentage error is undefined")]
    ZeroActual { index: usize },
    #[error("the reference forecast is perfect (Brier score 0), so skill against it is undefined")]
    PerfectReference,
    #[error("interval number {index} has its lower end {lower} above its upper end {upper}")]
    ReversedInterval {
        index: usize,
        lower: f64,
        upper: f64,
    },
    #[error("samples must be sorted ascending: sample {index} is below the one before it")]
    NotSorted { index: usize },
    #[error("a threshold ladder needs at least two thresholds, got {0}")]
    ShortLadder(usize),
    #[error("thresholds must increase strictly: threshold {index} ({value}) does not")]
    ThresholdOrder { index: usize, value: f64 },
    #[error("a reliability table needs at least one bin")]
    NoBins,
    #[error("confidence level must be strictly between 0 and 1, got {0}")]
    Confidence(f64),
    #[error("{successes} successes out of {trials} trials is not a proportion")]
    Proportion { successes: usize, trials: usize },
}

/// Mean Brier score: the mean of `(p − o)²` with `o` 1 if the event happened, else 0.
pub fn brier(forecasts: &[f64], outcomes: &[bool]) -> Result<f64, ScoreError> {
    brier_payout(forecasts, &payouts(outcomes))
}

/// Mean Brier score of forecasts of an expected payout in `[0, 1]` (a binary contract's 0 or 1,
/// a scalar contract's fraction): the mean of `(p − y)²`. For a payout that is not 0 or 1 this is
/// the squared error of the expected payout, which is proper for that expectation (its expected
/// value is smallest when `p = E[y]`); thresholding the payout at ½ would not be.
pub fn brier_payout(forecasts: &[f64], payouts: &[f64]) -> Result<f64, ScoreError> {
    check_payouts(forecasts, payouts)?;
    Ok(mean(
        forecasts
            .iter()
            .zip(payouts)
            .map(|(&p, &y)| (p - y).powi(2)),
    ))
}

/// Mean log score, negatively oriented (lower is better, as `logs` in R's scoringRules):
/// the mean of `−ln p` when the event happened and `−ln(1 − p)` when it did not, natural
/// log. Probabilities are first clipped to `[1e-6, 1 − 1e-6]`, so one confident miss costs
/// at most `−ln 1e-6 ≈ 13.8` instead of infinity.
pub fn log_score(forecasts: &[f64], outcomes: &[bool]) -> Result<f64, ScoreError> {
    log_score_payout(forecasts, &payouts(outcomes))
}

/// [`log_score`] of forecasts of a payout `y ∈ [0, 1]`: the mean of
/// `−(y ln p + (1 − y) ln(1 − p))` (the binary log score for `y ∈ {0, 1}`; for a fractional
/// payout the Bernoulli cross-entropy, also smallest in expectation at `p = E[y]`).
pub fn log_score_payout(forecasts: &[f64], payouts: &[f64]) -> Result<f64, ScoreError> {
    check_payouts(forecasts, payouts)?;
    Ok(mean(forecasts.iter().zip(payouts).map(|(&p, &y)| {
        let p = p.clamp(LOG_SCORE_CLIP, 1.0 - LOG_SCORE_CLIP);
        let mut s = 0.0;
        if y > 0.0 {
            s -= y * p.ln();
        }
        if y < 1.0 {
            s -= (1.0 - y) * (1.0 - p).ln();
        }
        s
    })))
}

/// Brier skill score against a reference forecast of the same payouts (climatology, a
/// seasonal naive forecast, or the market price itself): `1 − BS / BS_ref`, on payouts in
/// `[0, 1]` ([`brier_payout`]).
pub fn brier_skill_score(
    forecasts: &[f64],
    reference: &[f64],
    payouts: &[f64],
) -> Result<f64, ScoreError> {
    check_lengths(
        "forecasts against reference",
        forecasts.len(),
        reference.len(),
    )?;
    let score = brier_payout(forecasts, payouts)?;
    let reference = brier_payout(reference, payouts)?;
    if reference == 0.0 {
        return Err(ScoreError::PerfectReference);
    }
    Ok(1.0 - score / reference)
}

fn payouts(outcomes: &[bool]) -> Vec<f64> {
    outcomes.iter().map(|&o| indicator(o)).collect()
}

/// CRPS of a sample forecast against the outcome `y` (see [`crps_sorted`]); sorts a copy.
pub fn crps_samples(samples: &[f64], y: f64) -> Result<f64, ScoreError> {
    check_finite("sample", samples)?;
    let mut sorted = samples.to_vec();
    crate::analysis::distribution::sort_floats(&mut sorted);
    crps_sorted(&sorted, y)
}

/// CRPS of the empirical distribution of ascending `sorted` samples against the outcome `y`,
/// in its energy form `E|X − y| − ½ E|X − X'|`, in `O(n)` (so `O(n log n)` with the sort;
/// a distribution's `Marginal::sorted` is already sorted).
///
/// The pair term uses `Σᵢⱼ |xᵢ − xⱼ| = 2 Σᵢ xᵢ (2i − n + 1)` over 0-based sorted indices and
/// divides by `n²`: this is the CRPS of the empirical CDF itself (the `n(n − 1)` "fair"
/// variant would estimate the CRPS of the distribution the samples came from; the two differ
/// by a factor `1 + 1/(n−1)` on the pair term, immaterial at thousands of samples).
pub fn crps_sorted(sorted: &[f64], y: f64) -> Result<f64, ScoreError> {
    if sorted.is_empty() {
        return Err(ScoreError::Empty);
    }
    check_finite("sample", sorted)?;
    check_finite("outcome", &[y])?;
    if let Some(i) = sorted.windows(2).position(|w| w[1] < w[0]) {
        return Err(ScoreError::NotSorted { index: i + 1 });
    }
    let n = sorted.len() as f64;
    // Centring on y leaves the pair term unchanged (its weights sum to 0) and keeps the sums
    // small when the values are large (millions of TEU).
    let (mut abs_error, mut pair) = (0.0, 0.0);
    for (i, &x) in sorted.iter().enumerate() {
        abs_error += (x - y).abs();
        pair += (x - y) * (2.0 * i as f64 - n + 1.0);
    }
    Ok(abs_error / n - pair / (n * n))
}

/// CRPS approximated by a ladder of threshold events: `CRPS = ∫ (F(t) − 1{y ≤ t})² dt` is the
/// integral of the Brier scores of the events `{X ≤ t}`, here integrated by the trapezoid rule
/// over the given `thresholds` (strictly increasing, at least two) with `prob_at_most[j]` the
/// forecast `P(X ≤ thresholds[j])`.
///
/// Mass outside `[first, last]` threshold is not counted, so the ladder should span both the
/// forecast's bulk and the outcome. A ladder of market prices of "above t" binaries gives
/// `prob_at_most = 1 − price`.
pub fn crps_ladder(thresholds: &[f64], prob_at_most: &[f64], y: f64) -> Result<f64, ScoreError> {
    check_lengths(
        "thresholds against probabilities",
        thresholds.len(),
        prob_at_most.len(),
    )?;
    if thresholds.len() < 2 {
        return Err(ScoreError::ShortLadder(thresholds.len()));
    }
    check_finite("threshold", thresholds)?;
    check_probabilities("probability", prob_at_most)?;
    check_finite("outcome", &[y])?;
    if let Some(i) = thresholds.windows(2).position(|w| w[1] <= w[0]) {
        return Err(ScoreError::ThresholdOrder {
            index: i + 1,
            value: thresholds[i + 1],
        });
    }
    let brier_at = |j: usize| (prob_at_most[j] - indicator(y <= thresholds[j])).powi(2);
    Ok((1..thresholds.len())
        .map(|j| (thresholds[j] - thresholds[j - 1]) * (brier_at(j - 1) + brier_at(j)) / 2.0)
        .sum())
}

/// Share of outcomes inside their `(lower, upper)` prediction interval, ends inclusive.
/// Compare with the nominal level (an 80% interval should cover about 80%).
pub fn interval_coverage(intervals: &[(f64, f64)], outcomes: &[f64]) -> Result<f64, ScoreError> {
    check_lengths(
        "intervals against outcomes",
        intervals.len(),
        outcomes.len(),
    )?;
    check_finite("outcome", outcomes)?;
    for (index, &(lower, upper)) in intervals.iter().enumerate() {
        check_finite("interval end", &[lower, upper])?;
        if lower > upper {
            return Err(ScoreError::ReversedInterval {
                index,
                lower,
                upper,
            });
        }
    }
    Ok(mean(intervals.iter().zip(outcomes).map(
        |(&(lower, upper), &y)| indicator(lower <= y && y <= upper),
    )))
}

/// Mean absolute percentage error of point forecasts, **in percent** (3.8 means 3.8%, as the
/// published Shanghai benchmarks quote it): `100 · mean |(actual − forecast) / actual|`.
pub fn mape(forecasts: &[f64], actuals: &[f64]) -> Result<f64, ScoreError> {
    check_lengths("forecasts against actuals", forecasts.len(), actuals.len())?;
    check_finite("forecast", forecasts)?;
    check_finite("actual value", actuals)?;
    if let Some(index) = actuals.iter().position(|&a| a == 0.0) {
        return Err(ScoreError::ZeroActual { index });
    }
    Ok(100.0
        * mean(
            forecasts
                .iter()
                .zip(actuals)
                .map(|(&f, &a)| ((a - f) / a).abs()),
        ))
}

/// One bin of a reliability table: forecasts with predicted probability in `[lower, upper)`
/// (the last bin includes 1).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    pub lower: f64,
    pub upper: f64,
    /// Number of forecasts in the bin (never 0: empty bins are left out of the table).
    pub count: usize,
    pub mean_predicted: f64,
    /// Share of these forecasts whose event happened.
    pub observed_frequency: f64,
    /// Wilson score interval of the observed frequency at the table's confidence level.
    pub interval_low: f64,
    pub interval_high: f64,
}

/// Reliability table (the data of a reliability diagram): forecasts grouped into `bins`
/// equal-width bins of predicted probability, each with its mean prediction, observed
/// frequency and a Wilson score interval at `confidence` (e.g. [`DEFAULT_CONFIDENCE`]; with
/// tens of resolved months the intervals are wide, and that is the point). A forecast `p`
/// falls in bin `⌊p · bins⌋` (1 in the last). Bins without forecasts are omitted.
pub fn reliability_table(
    forecasts: &[f64],
    outcomes: &[bool],
    bins: usize,
    confidence: f64,
) -> Result<Vec<ReliabilityBin>, ScoreError> {
    check_binary(forecasts, outcomes)?;
    if bins == 0 {
        return Err(ScoreError::NoBins);
    }
    let z = z_score(confidence)?;
    // Per bin: count, sum of predictions, number of events.
    let mut tally = vec![(0_usize, 0.0, 0_usize); bins];
    for (&p, &o) in forecasts.iter().zip(outcomes) {
        let bin = ((p * bins as f64) as usize).min(bins - 1);
        let (count, sum, events) = &mut tally[bin];
        *count += 1;
        *sum += p;
        *events += usize::from(o);
    }
    Ok(tally
        .into_iter()
        .enumerate()
        .filter(|&(_, (count, _, _))| count > 0)
        .map(|(i, (count, sum, events))| {
            let (interval_low, interval_high) = wilson(events, count, z);
            ReliabilityBin {
                lower: i as f64 / bins as f64,
                upper: (i + 1) as f64 / bins as f64,
                count,
                mean_predicted: sum / count as f64,
                observed_frequency: events as f64 / count as f64,
                interval_low,
                interval_high,
            }
        })
        .collect())
}

/// Wilson score interval for a proportion of `successes` out of `trials` at `confidence`
/// (two-sided, `z` the standard normal quantile at `(1 + confidence)/2`). Unlike the normal
/// approximation it stays inside `[0, 1]` and behaves at 0 or all successes in small samples.
pub fn wilson_interval(
    successes: usize,
    trials: usize,
    confidence: f64,
) -> Result<(f64, f64), ScoreError> {
    if trials == 0 || successes > trials {
        return Err(ScoreError::Proportion { successes, trials });
    }
    Ok(wilson(successes, trials, z_score(confidence)?))
}

/// Share of trades with a strictly positive P&L (a trade that broke even is not a hit).
pub fn hit_rate(pnl: &[f64]) -> Result<f64, ScoreError> {
    if pnl.is_empty() {
        return Err(ScoreError::Empty);
    }
    check_finite("P&L", pnl)?;
    Ok(mean(pnl.iter().map(|&x| indicator(x > 0.0))))
}

/// Running total of a per-trade P&L series (after fees, in trade order).
pub fn cumulative_pnl(pnl: &[f64]) -> Result<Vec<f64>, ScoreError> {
    check_finite("P&L", pnl)?;
    Ok(pnl
        .iter()
        .scan(0.0, |total, &x| {
            *total += x;
            Some(*total)
        })
        .collect())
}

/// Maximum drawdown of a per-trade P&L series: the largest fall of cumulative P&L from its
/// running peak, as a positive amount in the P&L's units. The peak starts at 0 (the equity
/// before the first trade), so a losing first trade is a drawdown. No trades, no drawdown.
pub fn max_drawdown(pnl: &[f64]) -> Result<f64, ScoreError> {
    let mut peak: f64 = 0.0;
    let mut worst: f64 = 0.0;
    for total in cumulative_pnl(pnl)? {
        peak = peak.max(total);
        worst = worst.max(peak - total);
    }
    Ok(worst)
}

fn wilson(successes: usize, trials: usize, z: f64) -> (f64, f64) {
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The two-sided standard normal quantile for `confidence`, e.g. 1.645 for 0.90.
fn z_score(confidence: f64) -> Result<f64, ScoreError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(ScoreError::Confidence(confidence));
    }
    Ok(Normal::standard().inverse_cdf(0.5 + confidence / 2.0))
}

fn indicator(event: bool) -> f64 {
    if event { 1.0 } else { 0.0 }
}

/// Mean of a non-empty sequence (callers have checked it is not empty).
fn mean(values: impl ExactSizeIterator<Item = f64>) -> f64 {
    let n = values.len() as f64;
    values.sum::<f64>() / n
}

fn check_lengths(what: &'static str, left: usize, right: usize) -> Result<(), ScoreError> {
    if left != right {
        return Err(ScoreError::LengthMismatch { what, left, right });
    }
    if left == 0 {
        return Err(ScoreError::Empty);
    }
    Ok(())
}

fn check_finite(what: &'static str, values: &[f64]) -> Result<(), ScoreError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ScoreError::NonFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

fn check_probabilities(what: &'static str, values: &[f64]) -> Result<(), ScoreError> {
    match values.iter().position(|v| !(0.0..=1.0).contains(v)) {
        Some(index) => Err(ScoreError::NotAProbability {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Probability forecasts of binary events: same non-zero length, probabilities in [0, 1].
fn check_binary(forecasts: &[f64], outcomes: &[bool]) -> Result<(), ScoreError> {
    check_lengths(
        "forecasts against outcomes",
        forecasts.len(),
        outcomes.len(),
    )?;
    check_probabilities("forecast", forecasts)
}

fn check_payouts(forecasts: &[f64], payouts: &[f64]) -> Result<(), ScoreError> {
    check_lengths("forecasts against payouts", forecasts.len(), payouts.len())?;
    check_probabilities("forecast", forecasts)?;
    check_probabilities("payout", payouts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::distribution::{DEFAULT_PATHS, PredictiveDistribution};
    use rand_distr::Distribution;
    use statrs::distribution::Continuous;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() < tol
    }

    #[test]
    fn brier_log_and_skill_on_a_hand_example() {
        let p = [0.9, 0.2, 0.6];
        let o = [true, false, false];
        // (0.1² + 0.2² + 0.6²)/3 = 0.41/3
        assert!(close(brier(&p, &o).unwrap(), 0.41 / 3.0, 1e-15));
        // −(ln 0.9 + ln 0.8 + ln 0.4)/3
        let want = -(0.9_f64.ln() + 0.8_f64.ln() + 0.4_f64.ln()) / 3.0;
        assert!(close(log_score(&p, &o).unwrap(), want, 1e-15));
        // Against climatology 0.5 (Brier 0.25): 1 − (0.41/3)/0.25.
        let bss = brier_skill_score(&p, &[0.5; 3], &payouts(&o)).unwrap();
        assert!(close(bss, 1.0 - 0.41 / 3.0 / 0.25, 1e-15));
        assert_eq!(
            brier_skill_score(&p, &[1.0, 0.0, 0.0], &payouts(&o)),
            Err(ScoreError::PerfectReference)
        );
    }

    #[test]
    fn log_score_clips_certain_misses() {
        let worst = log_score(&[0.0], &[true]).unwrap();
        assert!(close(worst, -(1e-6_f64).ln(), 1e-9));
        assert!(close(
            log_score(&[1.0], &[true]).unwrap(),
            -(1.0 - 1e-6_f64).ln(),
            1e-15
        ));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert_eq!(brier(&[], &[]), Err(ScoreError::Empty));
        assert!(matches!(
            brier(&[0.5], &[true, false]),
            Err(ScoreError::LengthMismatch {
                left: 1,
                right: 2,
                ..
            })
        ));
        assert!(matches!(
            log_score(&[0.5, 1.5], &[true, false]),
            Err(ScoreError::NotAProbability { index: 1, .. })
        ));
        assert!(brier(&[f64::NAN], &[true]).is_err());
        assert_eq!(
            mape(&[1.0], &[0.0]),
            Err(ScoreError::ZeroActual { index: 0 })
        );
        assert!(crps_samples(&[], 1.0).is_err());
        assert!(crps_samples(&[1.0, f64::NAN], 1.0).is_err());
        assert!(crps_samples(&[1.0], f64::INFINITY).is_err());
        assert_eq!(
            crps_sorted(&[2.0, 1.0], 1.0),
            Err(ScoreError::NotSorted { index: 1 })
        );
        assert_eq!(
            crps_ladder(&[1.0], &[0.5], 1.0),
            Err(ScoreError::ShortLadder(1))
        );
        assert!(matches!(
            crps_ladder(&[1.0, 1.0], &[0.5, 0.6], 1.0),
            Err(ScoreError::ThresholdOrder { index: 1, .. })
        ));
        assert!(interval_coverage(&[(2.0, 1.0)], &[1.5]).is_err());
        assert_eq!(
            reliability_table(&[0.5], &[true], 0, 0.9),
            Err(ScoreError::NoBins)
        );
        assert_eq!(wilson_interval(1, 2, 1.0), Err(ScoreError::Confidence(1.0)));
        assert!(wilson_interval(3, 2, 0.9).is_err());
        assert!(wilson_interval(0, 0, 0.9).is_err());
        assert_eq!(hit_rate(&[]), Err(ScoreError::Empty));
        assert!(max_drawdown(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn crps_of_samples_on_a_hand_example() {
        // Samples {1, 3}, y = 2: E|X − y| = 1, E|X − X'| = (0 + 2 + 2 + 0)/4 = 1, CRPS = 0.5.
        // Check: ∫ (F − 1{t ≥ 2})² = 0.25·1 on [1, 2) + 0.25·1 on [2, 3) = 0.5.
        assert!(close(crps_samples(&[3.0, 1.0], 2.0).unwrap(), 0.5, 1e-15));
        // A point forecast's CRPS is the absolute error.
        assert!(close(crps_samples(&[4.0; 5], 1.5).unwrap(), 2.5, 1e-15));
    }

    #[test]
    fn crps_of_normal_samples_matches_the_closed_form() {
        // CRPS(N(μ, σ²), y) = σ [z(2Φ(z) − 1) + 2φ(z) − 1/√π], z = (y − μ)/σ (Gneiting et al.
        // 2005). Units: millions of TEU; Monte Carlo error ≈ 0.6σ/√n ≈ 0.001 ≪ 1e-2.
        let (mu, sigma) = (4.3, 0.2);
        let normal = rand_distr::Normal::new(mu, sigma).unwrap();
        let d = PredictiveDistribution::from_sampler(1, DEFAULT_PATHS, 11, |rng, path| {
            path[0] = normal.sample(rng);
        })
        .unwrap();
        let std = Normal::standard();
        let sorted = d.marginal(0).unwrap().sorted();
        for y in [3.9, 4.25, 4.3, 4.8] {
            let z = (y - mu) / sigma;
            let want = sigma
                * (z * (2.0 * std.cdf(z) - 1.0) + 2.0 * std.pdf(z)
                    - 1.0 / std::f64::consts::PI.sqrt());
            let got = crps_sorted(sorted, y).unwrap();
            assert!(close(got, want, 1e-2), "y = {y}: {got} vs {want}");
            assert_eq!(got, crps_samples(d.samples(), y).unwrap());

            // A fine ladder of threshold Brier scores over μ ± 6σ approximates the same CRPS.
            let thresholds: Vec<f64> = (0..=2400).map(|i| 3.1 + i as f64 * 0.001).collect();
            let probs: Vec<f64> = thresholds.iter().map(|&t| d.cdf(0, t).unwrap()).collect();
            let ladder = crps_ladder(&thresholds, &probs, y).unwrap();
            assert!(
                close(ladder, got, 1e-3),
                "y = {y}: ladder {ladder} vs {got}"
            );
        }
    }

    #[test]
    fn coverage_mape_and_hit_rate() {
        let intervals = [(0.0, 1.0), (0.0, 1.0), (2.0, 3.0)];
        // 1.0 sits on an inclusive end.
        assert!(close(
            interval_coverage(&intervals, &[1.0, 0.5, 5.0]).unwrap(),
            2.0 / 3.0,
            1e-15
        ));
        // |100 − 110|/100 = 10%, |100 − 95|/100 = 5% → 7.5%.
        assert!(close(
            mape(&[110.0, 95.0], &[100.0, 100.0]).unwrap(),
            7.5,
            1e-12
        ));
        assert_eq!(hit_rate(&[1.0, -1.0, 0.0, 2.0]).unwrap(), 0.5);
    }

    #[test]
    fn wilson_interval_for_three_in_ten() {
        // statsmodels: proportion_confint(3, 10, alpha=0.1, method="wilson")
        //   = (0.12687658390319784, 0.558300204130165)
        // By hand: z = 1.6448536, z² = 2.7055435; centre = (0.3 + z²/20)/(1 + z²/10)
        // = 0.4352772/1.2705543 = 0.3425884; half = z·√(0.021 + z²/400)/1.2705543
        // = 1.6448536·0.1666249/1.2705543 = 0.2157118.
        let (low, high) = wilson_interval(3, 10, 0.90).unwrap();
        assert!(close(low, 0.126_876_583_903_197_84, 1e-9), "{low}");
        assert!(close(high, 0.558_300_204_130_165, 1e-9), "{high}");
        assert_eq!(wilson_interval(0, 5, 0.9).unwrap().0, 0.0);
        assert_eq!(wilson_interval(5, 5, 0.9).unwrap().1, 1.0);
    }

    #[test]
    fn reliability_table_bins_forecasts() {
        let mut forecasts = vec![0.05, 0.15, 0.12, 0.95, 1.0];
        let mut outcomes = vec![false, false, true, true, true];
        // Ten forecasts of 0.3, three of which came true.
        forecasts.extend([0.3; 10]);
        outcomes.extend((0..10).map(|i| i < 3));
        let table = reliability_table(
            &forecasts,
            &outcomes,
            DEFAULT_RELIABILITY_BINS,
            DEFAULT_CONFIDENCE,
        )
        .unwrap();
        let bins: Vec<(f64, usize)> = table.iter().map(|b| (b.lower, b.count)).collect();
        assert_eq!(bins, vec![(0.0, 1), (0.1, 2), (0.3, 10), (0.9, 2)]);
        assert!(close(table[1].mean_predicted, 0.135, 1e-15));
        assert_eq!(table[1].observed_frequency, 0.5);
        let thirty = &table[2];
        assert!(close(thirty.mean_predicted, 0.3, 1e-15));
        assert!(close(thirty.observed_frequency, 0.3, 1e-15));
        assert_eq!(
            (thirty.interval_low, thirty.interval_high),
            wilson_interval(3, 10, 0.9).unwrap()
        );
        assert_eq!(table[3].upper, 1.0);
    }

    #[test]
    fn drawdown_on_a_hand_series() {
        // Cumulative: 1, 3, −1, 0, 3, 2. Peak 3 → trough −1 is the worst fall: 4.
        let pnl = [1.0, 2.0, -4.0, 1.0, 3.0, -1.0];
        assert_eq!(
            cumulative_pnl(&pnl).unwrap(),
            vec![1.0, 3.0, -1.0, 0.0, 3.0, 2.0]
        );
        assert_eq!(max_drawdown(&pnl).unwrap(), 4.0);
        // Losing from the start: the peak is the starting equity 0.
        assert_eq!(max_drawdown(&[-2.0, 1.0]).unwrap(), 2.0);
        assert_eq!(max_drawdown(&[1.0, 2.0]).unwrap(), 0.0);
        assert_eq!(max_drawdown(&[]).unwrap(), 0.0);
    }
}
