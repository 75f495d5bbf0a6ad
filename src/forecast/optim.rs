//! Derivative-free minimisation (Nelder–Mead) for the few smoothing parameters of `super::ets`.
//!
//! Four unconstrained parameters (constraints are handled by the caller's transforms) and an
//! objective that is cheap but not smooth enough for finite differences to be worth it: the
//! textbook simplex method (reflection 1, expansion 2, contraction ½, shrink ½; Lagarias et al.
//! 1998) is the standard tool and fits in a page, so no optimisation crate is pulled in.

/// Result of a minimisation.
#[derive(Clone, Debug, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
    pub evaluations: usize,
}

/// Minimise `f` from `start` with initial simplex steps `step` per coordinate, until the
/// simplex's values differ by less than `tol` (absolute) or `max_evals` evaluations.
pub fn nelder_mead(
    mut f: impl FnMut(&[f64]) -> f64,
    start: &[f64],
    step: f64,
    tol: f64,
    max_evals: usize,
) -> Minimum {
    let n = start.len();
    let mut evals = 0;
    let mut eval = |x: &[f64], evals: &mut usize| {
        *evals += 1;
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let v0 = eval(start, &mut evals);
    simplex.push((start.to_vec(), v0));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step;
        let v = eval(&x, &mut evals);
        simplex.push((x, v));
    }
    while evals < max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if (worst - best).abs() <= tol {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|s| s.0[j]).sum::<f64>() / n as f64)
            .collect();
        let towards = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let xr = towards(-1.0);
        let vr = eval(&xr, &mut evals);
        if vr < simplex[0].1 {
            let xe = towards(-2.0);
            let ve = eval(&xe, &mut evals);
            simplex[n] = if ve < vr { (xe, ve) } else { (xr, vr) };
        } else if vr < simplex[n - 1].1 {
            simplex[n] = (xr, vr);
        } else {
            let (xc, vc) = if vr < simplex[n].1 {
                let xc = towards(-0.5);
                let vc = eval(&xc, &mut evals);
                (xc, vc)
            } else {
                let xc = towards(0.5);
                let vc = eval(&xc, &mut evals);
                (xc, vc)
            };
            if vc < simplex[n].1.min(vr) {
                simplex[n] = (xc, vc);
            } else {
                let best = simplex[0].0.clone();
                for s in simplex.iter_mut().skip(1) {
                    let x: Vec<f64> = (0..n).map(|j| best[j] + 0.5 * (s.0[j] - best[j])).collect();
                    let v = eval(&x, &mut evals);
                    *s = (x, v);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Minimum {
        x,
        value,
        evaluations: evals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_rosenbrock_minimum() {
        let rosen = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = nelder_mead(rosen, &[-1.2, 1.0], 0.5, 1e-14, 5_000);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-4 && (m.x[1] - 1.0).abs() < 1e-4,
            "{m:?}"
        );
    }

    #[test]
    fn finds_a_shifted_quadratic_in_four_dimensions() {
        let target = [0.3, -2.0, 1.5, 0.0];
        let f = |x: &[f64]| {
            x.iter()
                .zip(&target)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
        };
        let m = nelder_mead(f, &[0.0; 4], 1.0, 1e-16, 10_000);
        for (a, b) in m.x.iter().zip(&target) {
            assert!((a - b).abs() < 1e-5, "{m:?}");
        }
    }
}
