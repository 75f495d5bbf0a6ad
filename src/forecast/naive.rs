//! The naive baselines: tomorrow is today (naive) and this month is the same month last year
//! (seasonal naive), each with the error distribution of its own past errors.
//!
//! Both work on log levels, so their errors are log ratios (month-on-month and year-on-year
//! growth). Errors are the model's own one-step errors over the whole training history, drawn by
//! the smoothed bootstrap of `super::shocks`; they are *not* centred, so a series' typical growth
//! carries into its baseline forecast as it would for a trader using the rule of thumb. Paths are
//! the random walk (`x_{T+h} = x_{T+h−1} + e`) and the seasonal random walk
//! (`x_{T+h} = x_{T+h−m} + e`), which make the joint paths consistent: a bad month stays bad.

use crate::forecast::shocks::SimRng;

use super::shocks::{ErrorPool, Shocks};
use super::{FitError, Fitted, History, InSample, Model, ModelKind, TrainingData};
use crate::model::Period;

/// Fewest past errors a baseline's error distribution is built from.
pub const MIN_ERRORS: usize = 8;

/// The naive forecast: the last value, with the distribution of past one-step log changes.
pub struct Naive;

/// The seasonal naive forecast: the value a season (12 months, 52 weeks) earlier, with the
/// distribution of past year-on-year log changes.
pub struct SeasonalNaive;

/// Errors `x_t − x_{t−lag}` where both are observed, by period.
fn lag_errors(h: &History, lag: usize) -> Vec<(Period, f64)> {
    let x = h.logs();
    (lag..x.len())
        .filter_map(|t| match (x[t], x[t - lag]) {
            (Some(a), Some(b)) => Some((h.period(t), a - b)),
            _ => None,
        })
        .collect()
}

struct FittedWalk {
    name: &'static str,
    /// Origin and one-step errors.
    in_sample: InSample,
    /// Log values the path builds on: the last `lag` periods of the history (filled where they
    /// are gaps), oldest first.
    bases: Vec<f64>,
    lag: usize,
    pool: ErrorPool,
}

impl Fitted for FittedWalk {
    fn describe(&self) -> String {
        self.name.to_string()
    }

    fn in_sample(&self) -> &InSample {
        &self.in_sample
    }

    fn draws_aux(&self) -> bool {
        false
    }

    fn simulate(&self, shocks: &Shocks, _aux: &mut SimRng) -> Vec<f64> {
        let horizon = shocks.horizon();
        let mut out = vec![0.0; shocks.n_paths() * horizon];
        let mut path_logs = vec![0.0; horizon];
        for (p, row) in out.chunks_exact_mut(horizon).enumerate() {
            for h in 0..horizon {
                let base = if h >= self.lag {
                    path_logs[h - self.lag]
                } else {
                    self.bases[self.bases.len() - self.lag + h]
                };
                path_logs[h] = base + self.pool.draw(shocks.get(p, h));
                row[h] = path_logs[h].exp();
            }
        }
        out
    }
}

fn fit_walk(
    data: &TrainingData,
    name: &'static str,
    lag: usize,
) -> Result<Box<dyn Fitted>, FitError> {
    let h = &data.history;
    let residuals = lag_errors(h, lag);
    if residuals.len() < MIN_ERRORS {
        return Err(FitError::TooShort {
            model: name,
            what: if lag == 1 {
                "pairs of consecutive values"
            } else {
                "pairs of values a season apart"
            },
            needed: MIN_ERRORS,
            got: residuals.len(),
        });
    }
    let filled = h.filled_logs();
    let n = filled.len();
    if n < lag {
        return Err(FitError::TooShort {
            model: name,
            what: "periods of history (one season of bases)",
            needed: lag,
            got: n,
        });
    }
    let bases = filled[n - lag..]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.ok_or(FitError::NoBase {
                model: name,
                period: h.period(n - lag + i),
            })
        })
        .collect::<Result<Vec<f64>, FitError>>()?;
    Ok(Box::new(FittedWalk {
        name,
        bases,
        lag,
        pool: ErrorPool::new(residuals.iter().map(|r| r.1)),
        in_sample: InSample {
            origin: h.origin(),
            residuals,
        },
    }))
}

impl Model for Naive {
    fn kind(&self) -> ModelKind {
        ModelKind::Naive
    }

    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError> {
        fit_walk(data, "naive", 1)
    }
}

impl Model for SeasonalNaive {
    fn kind(&self) -> ModelKind {
        ModelKind::SeasonalNaive
    }

    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError> {
        fit_walk(data, "snaive", data.history.season_length())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Frequency;
    use rand::SeedableRng;

    fn monthly(values: &[f64]) -> TrainingData {
        let start = Period::month(2019, 1).unwrap();
        let pts: Vec<(Period, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| (start.offset(i as i64), v))
            .collect();
        TrainingData {
            history: History::from_points("x", Frequency::Month, &pts).unwrap(),
            drivers: Vec::new(),
        }
    }

    #[test]
    fn seasonal_naive_repeats_last_year_times_its_growth() {
        // Three years, each exactly 10% (log) above the one before, a sawtooth within the year.
        let values: Vec<f64> = (0..36)
            .map(|i| (100.0 + (i % 12) as f64 * 5.0) * (0.1 * (i / 12) as f64).exp())
            .collect();
        let fitted = SeasonalNaive.fit(&monthly(&values)).unwrap();
        assert_eq!(fitted.residuals().len(), 24);
        let mut rng = SimRng::seed_from_u64(1);
        let shocks = Shocks::latin_hypercube(100, 14, &mut rng);
        let paths = fitted.simulate(&shocks, &mut rng);
        // Every error is exactly 0.1: the kernel has zero bandwidth, the forecast is exact.
        for (h, got) in paths.iter().take(14).enumerate() {
            let want = (100.0 + (h % 12) as f64 * 5.0) * (0.1 * (3 + h / 12) as f64).exp();
            assert!((got - want).abs() < 1e-9 * want, "h = {h}");
        }
    }

    #[test]
    fn short_histories_say_why() {
        let err = SeasonalNaive.fit(&monthly(&[1.0; 15])).err().unwrap();
        assert_eq!(
            err,
            FitError::TooShort {
                model: "snaive",
                what: "pairs of values a season apart",
                needed: 8,
                got: 3
            }
        );
        assert!(Naive.fit(&monthly(&[1.0; 15])).is_ok());
    }
}
