//! Climatology: the forecast of a month (or week) is the past values of the same calendar slot.
//!
//! The centre of a slot is the mean log value of every past observation in it; the spread is the
//! model's own past errors — each observation against the mean of the *earlier* observations of
//! its slot (an honest, out-of-sample error), pooled over slots because a slot has only a handful
//! of years. On a trending series those errors are mostly positive and the forecast drifts up
//! with them, as a trader's "a typical November" would. It is a baseline: it ignores the recent
//! level entirely.

use crate::forecast::shocks::SimRng;

use super::naive::MIN_ERRORS;
use super::shocks::{ErrorPool, Shocks};
use super::{FitError, Fitted, InSample, Model, ModelKind, TrainingData};

pub struct Climatology;

struct FittedClimatology {
    /// Origin and one-step errors.
    in_sample: InSample,
    /// Mean log value per seasonal slot.
    centre: Vec<f64>,
    pool: ErrorPool,
}

impl Model for Climatology {
    fn kind(&self) -> ModelKind {
        ModelKind::Climatology
    }

    fn fit(&self, data: &TrainingData) -> Result<Box<dyn Fitted>, FitError> {
        let h = &data.history;
        let m = h.season_length();
        let mut slots: Vec<Vec<f64>> = vec![Vec::new(); m];
        let mut residuals = Vec::new();
        for (i, v) in h.logs().into_iter().enumerate() {
            let Some(x) = v else { continue };
            let p = h.period(i);
            let slot = &mut slots[h.season_of(p)];
            if !slot.is_empty() {
                let earlier = slot.iter().sum::<f64>() / slot.len() as f64;
                residuals.push((p, x - earlier));
            }
            slot.push(x);
        }
        let empty = slots.iter().filter(|s| s.is_empty()).count();
        if empty > 0 {
            return Err(FitError::TooShort {
                model: "climatology",
                what: "seasonal slots with a value",
                needed: m,
                got: m - empty,
            });
        }
        if residuals.len() < MIN_ERRORS {
            return Err(FitError::TooShort {
                model: "climatology",
                what: "values with an earlier value in the same slot",
                needed: MIN_ERRORS,
                got: residuals.len(),
            });
        }
        Ok(Box::new(FittedClimatology {
            centre: slots
                .iter()
                .map(|s| s.iter().sum::<f64>() / s.len() as f64)
                .collect(),
            pool: ErrorPool::new(residuals.iter().map(|r| r.1)),
            in_sample: InSample {
                origin: h.origin(),
                residuals,
            },
        }))
    }
}

impl Fitted for FittedClimatology {
    fn describe(&self) -> String {
        "climatology".into()
    }

    fn in_sample(&self) -> &InSample {
        &self.in_sample
    }

    fn draws_aux(&self) -> bool {
        false
    }

    fn simulate(&self, shocks: &Shocks, _aux: &mut SimRng) -> Vec<f64> {
        let horizon = shocks.horizon();
        let slots: Vec<usize> = self
            .in_sample
            .ahead(horizon)
            .into_iter()
            .map(super::history::season_of)
            .collect();
        let mut out = vec![0.0; shocks.n_paths() * horizon];
        for (p, row) in out.chunks_exact_mut(horizon).enumerate() {
            for (h, x) in row.iter_mut().enumerate() {
                *x = (self.centre[slots[h]] + self.pool.draw(shocks.get(p, h))).exp();
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::History;
    use crate::model::Frequency;
    use crate::model::Period;
    use rand::SeedableRng;

    #[test]
    fn centre_is_the_mean_of_the_slot_and_errors_are_out_of_sample() {
        // Two years: 2020 all 100, 2021 all 200 except December missing.
        let mut pts = Vec::new();
        for mo in 1..=12 {
            pts.push((Period::month(2020, mo).unwrap(), 100.0));
            if mo < 12 {
                pts.push((Period::month(2021, mo).unwrap(), 200.0));
            }
        }
        let data = TrainingData {
            history: History::from_points("x", Frequency::Month, &pts).unwrap(),
            drivers: Vec::new(),
        };
        let fitted = Climatology.fit(&data).unwrap();
        // 11 errors of ln 2 (2021 against 2020).
        assert_eq!(fitted.residuals().len(), 11);
        assert!(
            fitted
                .residuals()
                .iter()
                .all(|r| (r.1 - 2f64.ln()).abs() < 1e-12)
        );
        let mut rng = SimRng::seed_from_u64(5);
        let shocks = Shocks::latin_hypercube(10, 2, &mut rng);
        let paths = fitted.simulate(&shocks, &mut rng);
        // Origin 2021-11: December's centre is ln 100 (one value); January's is ln √(100·200).
        assert!((paths[0] - 200.0).abs() < 1e-9, "{}", paths[0]);
        assert!(
            (paths[1] - (20_000f64).sqrt() * 2.0).abs() < 1e-9,
            "{}",
            paths[1]
        );
    }
}
