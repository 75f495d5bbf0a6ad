//! Prediction-market contracts and their fair prices under a forecast.
//!
//! A [`Contract`] (binary, bracket or scalar) or a [`BucketSet`] (ranges sold together) is
//! priced from a [`PredictiveDistribution`] made by the models in `crate::analysis`. The fair
//! price is the expected payout of one YES (long) contract paying 1; turning it into a trade
//! decision after fees is `crate::markets::sizing`'s job, and settling a contract on the first
//! official print uses [`Contract::payout`] / [`BucketSet::settle`].
//!
//! Conventions:
//! - Binary strikes compare exactly: `Greater` is `X > k`, `GreaterOrEqual` is `X ≥ k`, etc.
//! - A stand-alone bracket `[a, b]` pays when `a ≤ X ≤ b` (inclusive both ends, as exchanges
//!   word it).
//! - A scalar pays the long side `clamp((X − L)/(U − L), 0, 1)` and the short side one minus
//!   that; the fair long price is `E[clamp(...)]`, not the payout at the mean.
//! - Bucket sets: see [`BucketSet`] for how inclusive user-facing ranges and a declared
//!   `step` become half-open internal buckets that tile the real line exactly once.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::analysis::distribution::{DistributionError, Marginal, PredictiveDistribution};

/// Why a contract or bucket set is invalid or could not be priced.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ContractError {
    #[error("{what} must be a finite number, got {value}")]
    NonFinite { what: String, value: f64 },
    #[error("bracket lower end a = {a} is above its upper end b = {b}")]
    ReversedBracket { a: f64, b: f64 },
    #[error("scalar range needs lower < upper, got L = {lower}, U = {upper}")]
    EmptyScalarRange { lower: f64, upper: f64 },
    #[error("a bucket set needs at least one bucket")]
    NoBuckets,
    #[error("bucket step must be a finite number ≥ 0, got {0}")]
    InvalidStep(f64),
    #[error("two buckets are named \"{0}\"")]
    DuplicateBucket(String),
    #[error("bucket \"{name}\" has its lower end {lower} above its upper end {upper}")]
    ReversedBucket {
        name: String,
        lower: f64,
        upper: f64,
    },
    #[error(
        "bucket \"{name}\" holds no value: [{lower}, {upper}] with step 0 is empty \
         (declare the step, e.g. 1 for whole TEU, to make inclusive ranges)"
    )]
    EmptyBucket {
        name: String,
        lower: f64,
        upper: f64,
    },
    #[error(
        "values below {lower} fall in no bucket: the lowest bucket \"{name}\" must be open below"
    )]
    UncoveredBelow { name: String, lower: f64 },
    #[error(
        "values from {from} up fall in no bucket: the highest bucket \"{name}\" must be open above"
    )]
    UncoveredAbove { name: String, from: f64 },
    #[error(
        "gap between buckets \"{first}\" and \"{second}\": values in [{from}, {to}) fall in no bucket"
    )]
    Gap {
        first: String,
        second: String,
        from: f64,
        to: f64,
    },
    #[error("buckets \"{first}\" and \"{second}\" overlap: values in [{from}, {to}) fall in both")]
    Overlap {
        first: String,
        second: String,
        from: f64,
        to: f64,
    },
    #[error("{prices} prices given for a set of {buckets} buckets")]
    PriceCount { prices: usize, buckets: usize },
    #[error(transparent)]
    Distribution(#[from] DistributionError),
}

/// How a binary contract compares the settlement value `X` with its strike `k`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strike {
    /// `X > k`
    Greater,
    /// `X ≥ k`
    GreaterOrEqual,
    /// `X < k`
    Less,
    /// `X ≤ k`
    LessOrEqual,
}

impl Strike {
    /// Whether the event holds for the outcome `x`.
    pub fn holds(self, x: f64, k: f64) -> bool {
        match self {
            Strike::Greater => x > k,
            Strike::GreaterOrEqual => x >= k,
            Strike::Less => x < k,
            Strike::LessOrEqual => x <= k,
        }
    }

    /// The comparison as a symbol: `>`, `≥`, `<`, `≤`.
    pub fn symbol(self) -> &'static str {
        match self {
            Strike::Greater => ">",
            Strike::GreaterOrEqual => "≥",
            Strike::Less => "<",
            Strike::LessOrEqual => "≤",
        }
    }

    fn probability(self, m: &Marginal<'_>, k: f64) -> f64 {
        match self {
            Strike::Greater => m.prob_above(k),
            Strike::GreaterOrEqual => m.prob_at_least(k),
            Strike::Less => m.prob_below(k),
            Strike::LessOrEqual => m.prob_at_most(k),
        }
    }
}

impl fmt::Display for Strike {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One contract on a single settlement value `X`; prices are for the YES / long side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Contract {
    /// Pays 1 if `X <strike> k`.
    Binary { strike: Strike, k: f64 },
    /// Pays 1 if `a ≤ X ≤ b`.
    Bracket { a: f64, b: f64 },
    /// The long side pays `clamp((X − lower)/(upper − lower), 0, 1)`.
    Scalar { lower: f64, upper: f64 },
}

impl Contract {
    /// Checks the terms: finite numbers, `a ≤ b`, `lower < upper`.
    pub fn validate(&self) -> Result<(), ContractError> {
        match *self {
            Contract::Binary { k, .. } => finite("binary strike k", k),
            Contract::Bracket { a, b } => {
                finite("bracket lower end a", a)?;
                finite("bracket upper end b", b)?;
                if a > b {
                    return Err(ContractError::ReversedBracket { a, b });
                }
                Ok(())
            }
            Contract::Scalar { lower, upper } => {
                finite("scalar lower bound L", lower)?;
                finite("scalar upper bound U", upper)?;
                if lower >= upper {
                    return Err(ContractError::EmptyScalarRange { lower, upper });
                }
                Ok(())
            }
        }
    }

    /// What one YES / long contract pays if the settlement value is `x`.
    pub fn payout(&self, x: f64) -> Result<f64, ContractError> {
        self.validate()?;
        finite("settlement value", x)?;
        Ok(match *self {
            Contract::Binary { strike, k } => indicator(strike.holds(x, k)),
            Contract::Bracket { a, b } => indicator(a <= x && x <= b),
            Contract::Scalar { lower, upper } => scalar_long(x, lower, upper),
        })
    }

    /// Fair price of one YES / long contract: its expected payout under the forecast for
    /// horizon `h` (0-based).
    pub fn fair_price(
        &self,
        dist: &PredictiveDistribution,
        h: usize,
    ) -> Result<f64, ContractError> {
        self.validate()?;
        let m = dist.marginal(h)?;
        Ok(match *self {
            Contract::Binary { strike, k } => strike.probability(&m, k),
            Contract::Bracket { a, b } => m.prob_between(a, b),
            Contract::Scalar { lower, upper } => m.expect(|x| scalar_long(x, lower, upper)),
        })
    }
}

/// One range of a bucket set as the user writes it: inclusive `[lower, upper]`, `None` for an
/// open end (−∞ below, +∞ above).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl Bucket {
    /// `[lower, upper]`.
    pub fn between(lower: f64, upper: f64) -> Self {
        Self {
            lower: Some(lower),
            upper: Some(upper),
        }
    }

    /// `(−∞, upper]`.
    pub fn at_most(upper: f64) -> Self {
        Self {
            lower: None,
            upper: Some(upper),
        }
    }

    /// `[lower, +∞)`.
    pub fn at_least(lower: f64) -> Self {
        Self {
            lower: Some(lower),
            upper: None,
        }
    }
}

/// A validated set of named buckets that are sold together and cover every outcome once.
///
/// **Boundary convention.** Users write buckets as inclusive ranges `[a, b]` and declare the
/// `step` of the settlement figure (1 for whole TEU, 0.1 for an index quoted to one decimal,
/// 0 for a continuous quantity). Internally a bucket is half-open, `a ≤ X < b + step`, and
/// the next bucket must start at exactly `b + step` (up to a relative 1e-12, so `4.2 + 0.1`
/// meets `4.3`). With step 1, `[4_000_000, 4_199_999]` is `4_000_000 ≤ X < 4_200_000`: a
/// continuous forecast value such as 4_199_999.6 counts in this bucket, i.e. forecast values
/// are truncated onto the step grid. With step 0 buckets share boundaries (`[4.0, 4.2]`,
/// `[4.2, 4.4]`) and each boundary belongs to the bucket above it.
///
/// This differs from a stand-alone [`Contract::Bracket`], which is inclusive at both ends
/// with no step: a bracket `[a, b]` misses the values in `(b, b + step)`, which is exactly
/// why a set of brackets needs the declared step for its prices to sum to 1.
///
/// Buckets may be given in any order; prices come back in the order given. Gaps, overlaps,
/// missing open ends, reversed or empty ranges and duplicate names are errors naming the
/// buckets involved.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSet {
    buckets: Vec<(String, Bucket)>,
    step: f64,
    /// Internal half-open `[lower, upper)` per bucket, in the order given; adjacent buckets
    /// share the same float as boundary, so the buckets partition the samples exactly.
    half_open: Vec<(Option<f64>, Option<f64>)>,
}

impl BucketSet {
    /// Validates the buckets (see the type's documentation for the convention).
    pub fn new(buckets: Vec<(String, Bucket)>, step: f64) -> Result<Self, ContractError> {
        if buckets.is_empty() {
            return Err(ContractError::NoBuckets);
        }
        if !step.is_finite() || step < 0.0 {
            return Err(ContractError::InvalidStep(step));
        }
        let mut names = HashSet::new();
        for (name, bucket) in &buckets {
            check_bucket(name, bucket, step)?;
            if !names.insert(name.as_str()) {
                return Err(ContractError::DuplicateBucket(name.clone()));
            }
        }

        // Provisional half-open extent of each bucket, sorted by lower end.
        let extent = |b: &Bucket| {
            (
                b.lower.unwrap_or(f64::NEG_INFINITY),
                b.upper.map_or(f64::INFINITY, |u| u + step),
            )
        };
        let mut order: Vec<usize> = (0..buckets.len()).collect();
        order.sort_by(|&i, &j| extent(&buckets[i].1).0.total_cmp(&extent(&buckets[j].1).0));

        let (first_name, first) = &buckets[order[0]];
        if let Some(lower) = first.lower {
            return Err(ContractError::UncoveredBelow {
                name: first_name.clone(),
                lower,
            });
        }

        let mut half_open: Vec<_> = buckets.iter().map(|(_, b)| (b.lower, None)).collect();
        for pair in order.windows(2) {
            let ((first, prev), (second, next)) = (&buckets[pair[0]], &buckets[pair[1]]);
            let (_, end) = extent(prev);
            let (start, next_end) = extent(next);
            match compare_boundaries(start, end) {
                Ordering::Greater => {
                    return Err(ContractError::Gap {
                        first: first.clone(),
                        second: second.clone(),
                        from: end,
                        to: start,
                    });
                }
                Ordering::Less => {
                    return Err(ContractError::Overlap {
                        first: first.clone(),
                        second: second.clone(),
                        from: start,
                        to: end.min(next_end),
                    });
                }
                // The next bucket's own lower end becomes this one's upper end, so the two
                // share one float and every sample lands in exactly one bucket.
                Ordering::Equal => half_open[pair[0]].1 = next.lower,
            }
        }
        // Checked after the pairs: an earlier bucket open above would be an overlap instead.
        let (last_name, last) = &buckets[order[order.len() - 1]];
        if last.upper.is_some() {
            return Err(ContractError::UncoveredAbove {
                name: last_name.clone(),
                from: extent(last).1,
            });
        }
        Ok(Self {
            buckets,
            step,
            half_open,
        })
    }

    /// The buckets, in the order given.
    pub fn buckets(&self) -> &[(String, Bucket)] {
        &self.buckets
    }

    /// The declared step of the settlement figure.
    pub fn step(&self) -> f64 {
        self.step
    }

    /// Fair price of each bucket, in the order given; they sum to 1 (up to rounding).
    pub fn fair_prices(
        &self,
        dist: &PredictiveDistribution,
        h: usize,
    ) -> Result<Vec<f64>, ContractError> {
        let m = dist.marginal(h)?;
        Ok(self
            .half_open
            .iter()
            .map(|&(lower, upper)| m.prob_half_open(lower, upper))
            .collect())
    }

    /// Index of the bucket that settles YES for the outcome `x`.
    pub fn settle(&self, x: f64) -> Result<usize, ContractError> {
        finite("settlement value", x)?;
        let inside = |&(lower, upper): &(Option<f64>, Option<f64>)| {
            lower.is_none_or(|a| a <= x) && upper.is_none_or(|b| x < b)
        };
        // Valid sets tile the line, so exactly one bucket matches.
        Ok(self.half_open.iter().position(inside).unwrap_or_default())
    }

    /// Overround of market prices for this set (one per bucket, in the order given):
    /// `Σ prices − 1`. Positive means the set costs more than the 1 it is sure to pay.
    pub fn overround(&self, prices: &[f64]) -> Result<f64, ContractError> {
        if prices.len() != self.buckets.len() {
            return Err(ContractError::PriceCount {
                prices: prices.len(),
                buckets: self.buckets.len(),
            });
        }
        for (price, (name, _)) in prices.iter().zip(&self.buckets) {
            finite(&format!("price of bucket \"{name}\""), *price)?;
        }
        Ok(prices.iter().sum::<f64>() - 1.0)
    }
}

/// Checks one bucket's own terms: finite ends, not reversed, not empty.
fn check_bucket(name: &str, bucket: &Bucket, step: f64) -> Result<(), ContractError> {
    if let Some(lower) = bucket.lower {
        finite(&format!("lower end of bucket \"{name}\""), lower)?;
    }
    if let Some(upper) = bucket.upper {
        finite(&format!("upper end of bucket \"{name}\""), upper)?;
    }
    if let (Some(lower), Some(upper)) = (bucket.lower, bucket.upper) {
        if lower > upper {
            return Err(ContractError::ReversedBucket {
                name: name.to_owned(),
                lower,
                upper,
            });
        }
        if upper + step <= lower {
            return Err(ContractError::EmptyBucket {
                name: name.to_owned(),
                lower,
                upper,
            });
        }
    }
    Ok(())
}

/// Compares where the next bucket starts with where the previous one ends, treating finite
/// values within a relative 1e-12 as equal (step arithmetic such as `4.2 + 0.1`).
fn compare_boundaries(start: f64, end: f64) -> Ordering {
    if start.is_finite() && end.is_finite() {
        let tolerance = 1e-12 * start.abs().max(end.abs()).max(1.0);
        if (start - end).abs() <= tolerance {
            return Ordering::Equal;
        }
    }
    start.total_cmp(&end)
}

fn finite(what: &str, value: f64) -> Result<(), ContractError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(ContractError::NonFinite {
            what: what.to_owned(),
            value,
        })
    }
}

fn indicator(event: bool) -> f64 {
    if event { 1.0 } else { 0.0 }
}

/// The scalar long payout `clamp((x − lower)/(upper − lower), 0, 1)`.
fn scalar_long(x: f64, lower: f64, upper: f64) -> f64 {
    ((x - lower) / (upper - lower)).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use statrs::distribution::{Continuous, ContinuousCDF, Normal};

    const MU: f64 = 4.3e6;
    const SIGMA: f64 = 0.2e6;

    /// 10,000 draws from Normal(MU, SIGMA), stratified: draw i is the normal quantile of
    /// `(i + U_i)/n` with `U_i` uniform from the seeded generator. Each draw is still
    /// Normal-distributed, but the empirical CDF is within 1/n of Φ everywhere, so checking
    /// prices against closed forms to 1e-3 tests the pricing, not the seed's luck (plain
    /// i.i.d. draws have a standard error of 0.005 on a probability near ½).
    fn normal_forecast() -> PredictiveDistribution {
        let normal = Normal::new(MU, SIGMA).unwrap();
        let n = 10_000;
        let mut i = 0;
        PredictiveDistribution::from_sampler(1, n, 2024, |rng, path| {
            let u = (i as f64 + rng.random::<f64>()) / n as f64;
            path[0] = normal.inverse_cdf(u.clamp(1e-12, 1.0 - 1e-12));
            i += 1;
        })
        .unwrap()
    }

    /// Composite Simpson's rule on `[a, b]` with `intervals` (even) sub-intervals.
    fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, intervals: usize) -> f64 {
        let h = (b - a) / intervals as f64;
        let inner: f64 = (1..intervals)
            .map(|i| f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        h / 3.0 * (f(a) + inner + f(b))
    }

    #[test]
    fn binary_prices_match_the_normal_cdf() {
        let d = normal_forecast();
        let exact = Normal::new(MU, SIGMA).unwrap();
        for k in [3.9e6, 4.3e6, 4.4e6, 4.75e6] {
            for (strike, want) in [
                (Strike::Greater, exact.sf(k)),
                (Strike::GreaterOrEqual, exact.sf(k)),
                (Strike::Less, exact.cdf(k)),
                (Strike::LessOrEqual, exact.cdf(k)),
            ] {
                let got = Contract::Binary { strike, k }.fair_price(&d, 0).unwrap();
                assert!((got - want).abs() < 1e-3, "{strike} {k}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn bracket_price_matches_the_normal_cdf() {
        let d = normal_forecast();
        let exact = Normal::new(MU, SIGMA).unwrap();
        let (a, b) = (4.2e6, 4.4e6);
        let got = Contract::Bracket { a, b }.fair_price(&d, 0).unwrap();
        assert!((got - (exact.cdf(b) - exact.cdf(a))).abs() < 1e-3);
    }

    #[test]
    fn scalar_price_is_the_expected_clamped_payout() {
        let d = normal_forecast();
        let exact = Normal::new(MU, SIGMA).unwrap();
        let (lower, upper) = (4.0e6, 4.5e6);
        // E[clamp] = ∫_L^U (x − L)/(U − L) φ(x) dx + P(X > U).
        let ramp = |x: f64| (x - lower) / (upper - lower) * exact.pdf(x);
        let want = simpson(ramp, lower, upper, 2_000) + exact.sf(upper);
        // Independent check of the integral: a call spread, (E(X−L)⁺ − E(X−U)⁺)/(U − L),
        // with E(X−K)⁺ = σφ(d) + (μ−K)Φ(d), d = (μ−K)/σ.
        let std = Normal::standard();
        let call = |k: f64| {
            let d = (MU - k) / SIGMA;
            SIGMA * std.pdf(d) + (MU - k) * std.cdf(d)
        };
        assert!((want - (call(lower) - call(upper)) / (upper - lower)).abs() < 1e-9);

        let got = Contract::Scalar { lower, upper }.fair_price(&d, 0).unwrap();
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        // Not the payout at the mean (0.6): the clamp is not linear.
        assert!((got - 0.6).abs() > 0.01);
    }

    #[test]
    fn fair_price_is_the_expected_payout() {
        // Ties at the strike and bracket ends are where strict and inclusive forms differ.
        let d =
            PredictiveDistribution::from_marginal_samples(vec![1.0, 2.0, 2.0, 3.0, 4.0]).unwrap();
        let contracts = [
            Contract::Binary {
                strike: Strike::Greater,
                k: 2.0,
            },
            Contract::Binary {
                strike: Strike::GreaterOrEqual,
                k: 2.0,
            },
            Contract::Binary {
                strike: Strike::Less,
                k: 2.0,
            },
            Contract::Binary {
                strike: Strike::LessOrEqual,
                k: 2.0,
            },
            Contract::Bracket { a: 2.0, b: 3.0 },
            Contract::Scalar {
                lower: 1.5,
                upper: 3.5,
            },
        ];
        // Scalar payouts: 0, 0.25, 0.25, 0.75, 1 → 2.25/5.
        let want = [0.4, 0.8, 0.2, 0.6, 0.6, 0.45];
        for (contract, want) in contracts.iter().zip(want) {
            let fair = contract.fair_price(&d, 0).unwrap();
            let by_payout = d.expect(0, |x| contract.payout(x).unwrap()).unwrap();
            assert!((fair - want).abs() < 1e-12, "{contract:?}");
            assert!((fair - by_payout).abs() < 1e-12, "{contract:?}");
        }
    }

    #[test]
    fn invalid_contracts_are_errors() {
        let d = PredictiveDistribution::point_mass(&[1.0], 3).unwrap();
        let bad = [
            Contract::Bracket { a: 2.0, b: 1.0 },
            Contract::Scalar {
                lower: 2.0,
                upper: 2.0,
            },
            Contract::Binary {
                strike: Strike::Less,
                k: f64::NAN,
            },
            Contract::Scalar {
                lower: f64::NEG_INFINITY,
                upper: 2.0,
            },
        ];
        for contract in bad {
            assert!(contract.fair_price(&d, 0).is_err(), "{contract:?}");
            assert!(contract.payout(1.0).is_err(), "{contract:?}");
        }
        let err = Contract::Bracket { a: 2.0, b: 1.0 }.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "bracket lower end a = 2 is above its upper end b = 1"
        );
        let ok = Contract::Bracket { a: 0.0, b: 1.0 };
        assert!(matches!(
            ok.fair_price(&d, 1),
            Err(ContractError::Distribution(_))
        ));
        assert!(ok.payout(f64::NAN).is_err());
    }

    /// The guide's Shanghai bands in whole TEU (step 1), deliberately out of order.
    fn shanghai_bands() -> Vec<(String, Bucket)> {
        [
            ("strong", Bucket::between(4_200_000.0, 4_399_999.0)),
            ("weak", Bucket::at_most(3_999_999.0)),
            ("normal", Bucket::between(4_000_000.0, 4_199_999.0)),
            ("exceptional", Bucket::at_least(4_600_000.0)),
            ("peak", Bucket::between(4_400_000.0, 4_599_999.0)),
        ]
        .into_iter()
        .map(|(name, b)| (name.to_owned(), b))
        .collect()
    }

    #[test]
    fn bucket_prices_sum_to_one_and_match_the_normal() {
        let set = BucketSet::new(shanghai_bands(), 1.0).unwrap();
        let d = normal_forecast();
        let prices = set.fair_prices(&d, 0).unwrap();
        assert!((prices.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        let exact = Normal::new(MU, SIGMA).unwrap();
        let band = |a: f64, b: f64| exact.cdf(b) - exact.cdf(a);
        let want = [
            band(4.2e6, 4.4e6),
            exact.cdf(4.0e6),
            band(4.0e6, 4.2e6),
            exact.sf(4.6e6),
            band(4.4e6, 4.6e6),
        ];
        for (got, want) in prices.iter().zip(want) {
            assert!((got - want).abs() < 1e-3, "{got} vs {want}");
        }
        assert!((set.overround(&[0.4, 0.1, 0.3, 0.1, 0.15]).unwrap() - 0.05).abs() < 1e-12);
        assert!(set.overround(&[0.5, 0.5]).is_err());
        assert_eq!(set.settle(4_199_999.0).unwrap(), 2);
        assert_eq!(set.settle(4_200_000.0).unwrap(), 0);
        assert_eq!(set.settle(1e9).unwrap(), 3);
        assert!(set.settle(f64::NAN).is_err());
    }

    #[test]
    fn bucket_set_prices_partition_the_samples_exactly() {
        // Samples on the boundaries themselves: each must be counted once.
        let d =
            PredictiveDistribution::from_marginal_samples(vec![4.0, 4.2, 4.3, 4.4, 4.5]).unwrap();
        let set = BucketSet::new(
            vec![
                ("low".into(), Bucket::at_most(4.1)),
                ("mid".into(), Bucket::between(4.2, 4.2)),
                ("high".into(), Bucket::at_least(4.3)),
            ],
            0.1, // 4.2 + 0.1 is 4.300000000000001 in floats: within tolerance of 4.3.
        )
        .unwrap();
        assert_eq!(set.fair_prices(&d, 0).unwrap(), vec![0.2, 0.2, 0.6]);

        let continuous = BucketSet::new(
            vec![
                ("low".into(), Bucket::at_most(4.2)),
                ("mid".into(), Bucket::between(4.2, 4.4)),
                ("high".into(), Bucket::at_least(4.4)),
            ],
            0.0,
        )
        .unwrap();
        // With step 0 a shared boundary belongs to the bucket above it.
        assert_eq!(continuous.fair_prices(&d, 0).unwrap(), vec![0.2, 0.4, 0.4]);
    }

    fn with(name: &str, bucket: Bucket) -> Vec<(String, Bucket)> {
        shanghai_bands()
            .into_iter()
            .map(|(n, b)| if n == name { (n, bucket) } else { (n, b) })
            .collect()
    }

    #[test]
    fn gaps_and_overlaps_name_both_buckets() {
        let gap = BucketSet::new(with("normal", Bucket::between(4e6, 4_199_998.0)), 1.0);
        assert_eq!(
            gap.unwrap_err().to_string(),
            "gap between buckets \"normal\" and \"strong\": values in [4199999, 4200000) \
             fall in no bucket"
        );
        let overlap = BucketSet::new(with("normal", Bucket::between(4e6, 4_200_000.0)), 1.0);
        assert_eq!(
            overlap.unwrap_err().to_string(),
            "buckets \"normal\" and \"strong\" overlap: values in [4200000, 4200001) fall in both"
        );
        // Two buckets open above.
        let open = BucketSet::new(with("peak", Bucket::at_least(4_400_000.0)), 1.0);
        assert!(matches!(
            open,
            Err(ContractError::Overlap { first, second, .. }) if first == "peak" && second == "exceptional"
        ));
        // An earlier bucket open above overlaps the rest; it is not "uncovered above".
        let mut wide = with("peak", Bucket::at_least(4_400_000.0));
        wide[3].1 = Bucket::between(4_600_000.0, 5e6); // "exceptional"
        assert!(matches!(
            BucketSet::new(wide, 1.0),
            Err(ContractError::Overlap { first, .. }) if first == "peak"
        ));
        // Two buckets open below.
        let open = BucketSet::new(with("normal", Bucket::at_most(4_199_999.0)), 1.0);
        assert!(matches!(open, Err(ContractError::Overlap { .. })));
    }

    #[test]
    fn malformed_bucket_sets_are_errors() {
        use ContractError as E;
        let err = |buckets, step| BucketSet::new(buckets, step).unwrap_err();
        assert_eq!(err(vec![], 1.0), E::NoBuckets);
        assert_eq!(err(shanghai_bands(), -1.0), E::InvalidStep(-1.0));
        assert_eq!(
            err(shanghai_bands(), f64::NAN).to_string(),
            "bucket step must be a finite number ≥ 0, got NaN"
        );
        assert!(matches!(
            err(with("weak", Bucket::between(3e6, 3_999_999.0)), 1.0),
            E::UncoveredBelow { name, .. } if name == "weak"
        ));
        assert!(matches!(
            err(with("exceptional", Bucket::between(4.6e6, 5e6)), 1.0),
            E::UncoveredAbove { name, from } if name == "exceptional" && from == 5_000_001.0
        ));
        assert!(matches!(
            err(with("peak", Bucket::between(4.6e6, 4.4e6)), 1.0),
            E::ReversedBucket { name, .. } if name == "peak"
        ));
        assert!(matches!(
            err(with("peak", Bucket::between(f64::NAN, 4.6e6)), 1.0),
            E::NonFinite { .. }
        ));
        let mut dup = shanghai_bands();
        dup[0].0 = "weak".into();
        assert_eq!(err(dup, 1.0), E::DuplicateBucket("weak".into()));
        let point = vec![
            ("low".to_owned(), Bucket::at_most(1.0)),
            ("point".to_owned(), Bucket::between(1.0, 1.0)),
            ("high".to_owned(), Bucket::at_least(1.0)),
        ];
        assert!(matches!(err(point, 0.0), E::EmptyBucket { name, .. } if name == "point"));
    }

    #[test]
    fn a_single_open_bucket_is_certain() {
        let all = BucketSet::new(
            vec![(
                "all".into(),
                Bucket {
                    lower: None,
                    upper: None,
                },
            )],
            0.0,
        )
        .unwrap();
        let d = PredictiveDistribution::point_mass(&[7.0], 4).unwrap();
        assert_eq!(all.fair_prices(&d, 0).unwrap(), vec![1.0]);
    }
}
