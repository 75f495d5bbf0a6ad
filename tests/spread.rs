//! The width of every forecast, on SYNTHETIC series with known noise (nothing here is real data):
//! naive, seasonal naive, climatology and the regression recover the noise scale they were
//! generated with; the error pool's smoothing kernel has exactly the width of its bandwidth; and
//! the coverage `evaluate` reports matches a case whose answer is known.
//!
//! Two checks per model, because a sample of a few hundred residuals pins the noise only to a few
//! percent:
//! - *exact*: the one-step simulated spread (sd of the log forecast over 20,000 stratified paths)
//!   equals the spread the model's own residuals imply — population variance of the residuals,
//!   times the model's error scaling (`n/(n−k)` for the regression, 1 for the others), plus the
//!   kernel's variance (Silverman's bandwidth, halved, recomputed here) — to 0.5%. A 10% change
//!   in a model's error scaling moves it by 10%, a doubled bandwidth by 1.6–2.5% on these samples:
//!   both fail.
//! - *known noise*: that spread, divided by the sd of the noise the series was generated with
//!   (the draws' own sd; σ = 0.05 nominal) and by the model's known error inflation (climatology's
//!   errors against a mean of `k` earlier values have variance `σ²(1 + 1/k)`; the kernel adds
//!   `h²`), is within 1% of 1 (3% for climatology). A 10% scaling change fails this check too.
//!   Against the nominal σ = 0.05 the ratios are 1.0006 (naive), 1.046 (seasonal naive: its 588
//!   draws happen to have sd 0.0523), 1.0004 (climatology), 1.0013 (regression) — sampling error
//!   of 1.8–2.9%, which is why the drawn noise is the reference.
//!
//! Not here: ETS (`ets.rs` is being rewritten; its tests come with it).

use portcast::forecast::evaluate::{EvalRow, EvaluateRequest, evaluate};
use portcast::forecast::shocks::SimRng;
use portcast::forecast::shocks::{ErrorPool, Shocks, normal_quantile};
use portcast::forecast::{Fitted, ForecastConfig, History, Model, TrainingData};
use portcast::model::{Frequency, Observation, Period, Precision, end_of_day};
use portcast::store::Store;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

/// The synthetic series' noise sd (log scale): about a Shanghai month's.
const SIGMA: f64 = 0.05;
const PATHS: usize = 20_000;
/// Known-noise tolerances: the naive walks' and the regression's errors are the drawn noise
/// itself (up to the fit), measured within 0.01% of it; climatology's `1 + 1/k` inflation holds
/// in expectation, 1.5% off on this draw.
const TOL_WALK: f64 = 0.01;
const TOL_REGRESSION: f64 = 0.01;
const TOL_CLIMATOLOGY: f64 = 0.03;

fn training(freq: Frequency, start: Period, logs: &[f64]) -> TrainingData {
    let pts: Vec<(Period, f64)> = logs
        .iter()
        .enumerate()
        .map(|(i, x)| (start.offset(i as i64), x.exp()))
        .collect();
    TrainingData {
        history: History::from_points("synthetic", freq, &pts).unwrap(),
        drivers: Vec::new(),
    }
}

fn noise(seed: u64, n: usize) -> Vec<f64> {
    let mut rng = SimRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            SIGMA * z
        })
        .collect()
}

/// Standard deviation of the one-step log forecast over `PATHS` stratified paths.
fn one_step_sd(fitted: &dyn Fitted) -> f64 {
    let mut rng = SimRng::seed_from_u64(11);
    let shocks = Shocks::latin_hypercube(PATHS, 1, &mut rng);
    let logs: Vec<f64> = fitted
        .simulate(&shocks, &mut rng)
        .iter()
        .map(|v| v.ln())
        .collect();
    sd_pop(&logs)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Population standard deviation (divisor n): the bootstrap's.
fn sd_pop(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Silverman's rule of thumb halved, written out independently of `shocks.rs`:
/// `0.45 · min(sd, IQR/1.34) · n^(−1/5)` with the sample sd (divisor n − 1) and type-7 quartiles.
fn bandwidth(errors: &[f64]) -> f64 {
    let mut s = errors.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let m = mean(&s);
    let sd = (s.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
    let q = |p: f64| {
        let r = (n - 1) as f64 * p;
        let lo = r.floor() as usize;
        let hi = (lo + 1).min(n - 1);
        s[lo] + (r - lo as f64) * (s[hi] - s[lo])
    };
    let iqr = (q(0.75) - q(0.25)) / 1.34;
    0.45 * if iqr > 0.0 { sd.min(iqr) } else { sd } * (n as f64).powf(-0.2)
}

/// The spread a pool of `errors` scaled by `scale` implies: `scale · √(var + h²)`.
fn implied_sd(errors: &[f64], scale: f64) -> f64 {
    scale * (sd_pop(errors).powi(2) + bandwidth(errors).powi(2)).sqrt()
}

fn residual_values(fitted: &dyn Fitted) -> Vec<f64> {
    fitted.residuals().iter().map(|r| r.1).collect()
}

/// The two checks of the module docs. `drawn` is the noise the series was generated with: its
/// own sd (what the model can know of σ = 0.05) is the reference of the known-noise check.
fn check(
    model: &str,
    fitted: &dyn Fitted,
    scale: f64,
    inflation: f64,
    drawn: &[f64],
    tol_known: f64,
) {
    let errors = residual_values(fitted);
    let got = one_step_sd(fitted);
    let implied = implied_sd(&errors, scale);
    assert!(
        (got / implied - 1.0).abs() < 0.005,
        "{model}: simulated sd {got} vs {implied} implied by its residuals"
    );
    let known = sd_pop(drawn) * inflation.sqrt();
    assert!(
        (got / known - 1.0).abs() < tol_known,
        "{model}: simulated sd {got} vs the noise's {known} (ratio {})",
        got / known
    );
}

#[test]
fn naive_recovers_a_random_walks_step_sd() {
    // Synthetic: a log random walk of 600 months with N(0, 0.05²) steps. Sampling error of the
    // noise estimate from 599 steps: 1/√(2·599) = 2.9%.
    let e = noise(1, 599);
    let mut x = vec![7.0];
    for v in &e {
        x.push(x.last().unwrap() + v);
    }
    let fitted = portcast::forecast::naive::Naive
        .fit(&training(
            Frequency::Month,
            Period::month(1970, 1).unwrap(),
            &x,
        ))
        .unwrap();
    assert_eq!(fitted.residuals().len(), 599);
    // Known noise: variance σ² plus the kernel's h² (h ≈ 0.45·σ·599^−0.2 = 0.13σ, +0.8% in sd).
    let h = 0.45 * 599f64.powf(-0.2);
    check("naive", fitted.as_ref(), 1.0, 1.0 + h * h, &e, TOL_WALK);
}

#[test]
fn seasonal_naive_recovers_a_seasonal_walks_year_on_year_sd() {
    // Synthetic: x_t = x_{t−12} + N(0, 0.05²) over 50 years, a seasonal pattern in the first.
    let mut x: Vec<f64> = (0..12)
        .map(|m| 7.0 + 0.2 * (m as f64 * 0.5).sin())
        .collect();
    let e = noise(2, 588);
    for (i, v) in e.iter().enumerate() {
        x.push(x[i] + v);
    }
    let fitted = portcast::forecast::naive::SeasonalNaive
        .fit(&training(
            Frequency::Month,
            Period::month(1970, 1).unwrap(),
            &x,
        ))
        .unwrap();
    assert_eq!(fitted.residuals().len(), 588);
    // Sampling error from 588 errors: 2.9%.
    let h = 0.45 * 588f64.powf(-0.2);
    check("snaive", fitted.as_ref(), 1.0, 1.0 + h * h, &e, TOL_WALK);
}

#[test]
fn climatology_recovers_iid_noise_around_the_seasonal_mean() {
    // Synthetic: 50 years of x = μ_month + N(0, 0.05²), independent. A value against the mean
    // of the k earlier values of its month errs with variance σ²(1 + 1/k); pooled over
    // k = 1..49: σ²(1 + H₄₉/49), H₄₉ the 49th harmonic number.
    let years = 50;
    let e = noise(3, 12 * years);
    let x: Vec<f64> = (0..12 * years)
        .map(|t| 7.0 + 0.3 * ((t % 12) as f64).cos() + e[t])
        .collect();
    let fitted = portcast::forecast::climatology::Climatology
        .fit(&training(
            Frequency::Month,
            Period::month(1970, 1).unwrap(),
            &x,
        ))
        .unwrap();
    let n = fitted.residuals().len();
    assert_eq!(n, 12 * (years - 1));
    let harmonic: f64 = (1..years).map(|k| 1.0 / k as f64).sum();
    let inflation = 1.0 + harmonic / (years - 1) as f64;
    let h = 0.45 * (n as f64).powf(-0.2);
    // Sampling error from 588 (not quite independent) errors: about 3%.
    check(
        "climatology",
        fitted.as_ref(),
        1.0,
        inflation * (1.0 + h * h),
        &e,
        TOL_CLIMATOLOGY,
    );
}

#[test]
fn regression_recovers_the_growth_equations_noise_with_its_dof_scaling() {
    // Synthetic: weekly year-on-year log growth g_t = 0.01 + 0.5·g_{t−1} + N(0, 0.05²), the level
    // x_t = x_{t−52} + g_t, 1990-W01 .. 2019 (inside the Chinese New Year table, before the
    // 2020 and 2022 break indicators): the regression's own equation with no driver.
    let start = Period::week(1990, 1).unwrap();
    let n_weeks = 1560;
    let e = noise(4, n_weeks);
    let mut x: Vec<f64> = (0..52)
        .map(|w| 7.0 + 0.1 * (w as f64 / 8.0).sin())
        .collect();
    let mut g = 0.0;
    for t in 52..n_weeks {
        g = 0.01 + 0.5 * g + e[t];
        x.push(x[t - 52] + g);
    }
    let fitted = portcast::forecast::regression::Regression
        .fit(&training(Frequency::Week, start, &x))
        .unwrap();
    assert_eq!(fitted.describe(), "regression");
    // Rows: every week with this and last week's growth (all but the first 53); k = 3 columns
    // (constant, lagged growth, Chinese New Year share change; the break indicators have no data).
    let n = fitted.residuals().len();
    assert_eq!(n, n_weeks - 53);
    let k = 3.0;
    let scale = (n as f64 / (n as f64 - k)).sqrt();
    // Known noise: residual variance ≈ σ²(n − k)/n, scaled back by n/(n − k), plus h². Sampling
    // error from 1,507 errors: 1.8%.
    let h = 0.45 * (n as f64).powf(-0.2);
    check(
        "regression",
        fitted.as_ref(),
        scale,
        1.0 + h * h,
        &e[52..],
        TOL_REGRESSION,
    );
}

#[test]
fn the_error_pools_kernel_has_the_width_of_its_bandwidth() {
    // Synthetic errors (fixed seed): the pool's inverse CDF maps the stratum of error i to
    // error_i + h·Φ⁻¹(fraction). Within one stratum the draws' sd is the bandwidth h exactly,
    // and over all strata the variance is the errors' variance plus h².
    let errors = noise(5, 40);
    let pool = ErrorPool::new(errors.clone());
    let h = bandwidth(&errors);
    let n = errors.len();
    let per = 20_000;
    for i in [0, n / 2, n - 1] {
        let draws: Vec<f64> = (0..per)
            .map(|j| pool.draw((i as f64 + (j as f64 + 0.5) / per as f64) / n as f64))
            .collect();
        let sd = sd_pop(&draws);
        assert!((sd / h - 1.0).abs() < 2e-3, "stratum {i}: sd {sd} vs h {h}");
        // Centred on the error itself (the kernel is symmetric).
        assert!((mean(&draws) - pool.errors()[i]).abs() < 1e-3 * h, "{i}");
    }
    let all: Vec<f64> = (0..n * per)
        .map(|j| pool.draw((j as f64 + 0.5) / (n * per) as f64))
        .collect();
    let want = (sd_pop(&errors).powi(2) + h * h).sqrt();
    assert!(
        (sd_pop(&all) / want - 1.0).abs() < 1e-3,
        "{} vs {want}",
        sd_pop(&all)
    );
    // With 40 errors h is 0.45·n^(−1/5) ≈ 0.22 of min(sd, IQR/1.34): at least 0.15 sd on any
    // draw, so a doubled bandwidth adds at least 3% to the spread (the checks above are 0.1%).
    assert!(h > 0.15 * sd_pop(&errors), "{h}");
    // Scaling scales the kernel too.
    let scaled = pool.clone().scaled(2.0);
    let d = |p: &ErrorPool, u: f64| p.draw(u);
    for u in [0.013, 0.5, 0.77] {
        assert!((d(&scaled, u) - 2.0 * d(&pool, u)).abs() < 1e-12);
    }
    // A normal-looking pool's quantiles: the kernel leaves the 5% and 95% points within a few
    // percent of the errors' own (type 7), i.e. it smooths, it does not widen.
    let big = noise(6, 2000);
    let pool = ErrorPool::new(big.clone());
    let m = 200_000;
    let mut draws: Vec<f64> = (0..m)
        .map(|j| pool.draw((j as f64 + 0.5) / m as f64))
        .collect();
    draws.sort_by(f64::total_cmp);
    let mut sorted = big.clone();
    sorted.sort_by(f64::total_cmp);
    for p in [0.05, 0.95] {
        let (got, own) = (
            draws[(p * m as f64) as usize],
            sorted[(p * 2000.0) as usize],
        );
        let z = normal_quantile(p) * SIGMA;
        assert!(
            (got / own - 1.0).abs() < 0.02,
            "{p}: {got} vs the errors' {own}"
        );
        assert!(
            (got / z - 1.0).abs() < 0.06,
            "{p}: {got} vs the noise's {z}"
        );
    }
}

/// SYNTHETIC monthly `la_teu` (an id the catalog knows; the values are not Los Angeles'):
/// 1990-01 .. 2019-12 of `exp(13.5 + season + N(0, 0.05²))`, each month published 20 days after
/// it ends, and from 2019-01 on a jump of +1 in logs (×2.7) that no error of the earlier years
/// comes near (they are within ±0.2).
fn synthetic_store(seed: u64) -> Store {
    let e = noise(seed, 360);
    let jump = Period::month(2019, 1).unwrap();
    let obs = (0..360)
        .map(|t| {
            let period = Period::month(1990, 1).unwrap().offset(t as i64);
            let season = 0.1 * ((t % 12) as f64).sin();
            let shift = if period >= jump { 1.0 } else { 0.0 };
            Observation {
                series: "la_teu".into(),
                period,
                value: (13.5 + season + shift + e[t]).exp().round(),
                unit: "TEU".into(),
                precision: Precision::Exact,
                source: "synthetic (tests/spread.rs)".into(),
                known_at: end_of_day(period.end() + chrono::Days::new(20)),
            }
        })
        .collect();
    Store::from_observations(obs)
}

fn evaluate_window(store: &Store, from: (i32, u32), to: (i32, u32)) -> Vec<EvalRow> {
    let cfg = ForecastConfig {
        selection_origins: Some(2),
        selection_paths: Some(100),
        ..ForecastConfig::default()
    };
    let date = |(y, m): (i32, u32)| chrono::NaiveDate::from_ymd_opt(y, m, 1).unwrap();
    let req = EvaluateRequest {
        series: "la_teu".into(),
        freq: None,
        from: date(from),
        to: date(to),
        horizon: 1,
        as_of: end_of_day(chrono::NaiveDate::from_ymd_opt(2020, 6, 30).unwrap()),
        n_paths: 1000,
        seed: 3,
    };
    evaluate(store, &req, &cfg).unwrap().rows
}

#[test]
fn evaluate_reports_the_coverage_of_a_case_with_a_known_answer() {
    let store = synthetic_store(7);
    let row = |rows: &[EvalRow], m: &str| rows.iter().find(|r| r.model == m).unwrap().clone();
    // (1) Exact: the one-step forecasts of 2019-01 .. 2019-12 (origins 2018-12 .. 2019-11) by
    // climatology and seasonal naive are centred on the old level, and their intervals (errors
    // within ±0.2, one +1 error among ~330 at most) cannot reach the jump: coverage exactly 0.
    let jumped = evaluate_window(&store, (2018, 12), (2019, 11));
    for m in ["climatology", "snaive"] {
        let r = row(&jumped, m);
        assert_eq!((r.n, r.cover80, r.cover90), (12, 0.0, 0.0), "{m}");
    }
    // Naive misses 2019-01 (from the old level) and follows the new level after: at most 11 of
    // 12 covered.
    let naive = row(&jumped, "naive");
    assert_eq!(naive.n, 12);
    assert!(naive.cover90 <= 11.0 / 12.0 + 1e-12, "{}", naive.cover90);
    // (2) Statistical: before the jump climatology is the true model (iid noise around a fixed
    // seasonal mean), so its central 80% and 90% intervals cover about 80% and 90% of the 95
    // one-step outcomes of origins 2011-01 .. 2018-11. Binomial sd √(0.8·0.2/95) = 4.1 points:
    // ±12 points (80%) and ±9 points (90%) are about 3 sd.
    let calm = evaluate_window(&store, (2011, 1), (2018, 11));
    let clim = row(&calm, "climatology");
    assert_eq!(clim.n, 95);
    assert!((clim.cover80 - 0.8).abs() < 0.12, "{}", clim.cover80);
    assert!((clim.cover90 - 0.9).abs() < 0.09, "{}", clim.cover90);
    // Coverage is the share of outcomes inside, in steps of 1/n.
    for r in calm.iter().chain(&jumped) {
        for c in [r.cover80, r.cover90] {
            let k = c * r.n as f64;
            assert!((k - k.round()).abs() < 1e-9, "{} {c}", r.model);
        }
    }
}

/// The generator of `tests/golden/lcg.py` (Knuth's MMIX LCG; normals by Irwin–Hall), so the
/// golden script draws the same synthetic series.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.uniform()).sum::<f64>() - 6.0
    }
}

/// Golden values: `python tests/golden/regression_golden.py` (statsmodels 0.15.0 OLS; the
/// synthetic series is described there).
#[test]
fn regression_fit_matches_statsmodels_ols() {
    let mut r = Lcg(17);
    let n = 240;
    let d: Vec<f64> = (0..n).map(|_| 50.0 + 2.0 * r.normal()).collect();
    let mut x: Vec<f64> = (0..12).map(|_| 10.0 + 0.1 * r.normal()).collect();
    let mut g_prev = 0.0;
    for t in 12..n {
        let g = 0.02 + 0.4 * g_prev + 0.01 * (d[t - 1] - 50.0) + 0.03 * r.normal();
        x.push(x[t - 12] + g);
        g_prev = g;
    }
    let start = Period::month(1960, 1).unwrap();
    let mut data = training(Frequency::Month, start, &x);
    data.drivers.push(portcast::forecast::Driver::new(
        "pmi",
        Frequency::Month,
        1,
        portcast::forecast::DriverTransform::Level,
        d.iter()
            .enumerate()
            .map(|(i, v)| (start.offset(i as i64), *v))
            .collect(),
    ));
    let fitted = portcast::forecast::regression::Regression
        .fit(&data)
        .unwrap();
    let res = residual_values(fitted.as_ref());
    assert_eq!(res.len(), 227);
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    for (got, want) in [
        (res[0], 0.03511700936234878),
        (res[1], 0.017841392248619067),
        (res[2], 0.03368570684969403),
        (res[226], 0.03348339496886004),
        (res.iter().map(|e| e * e).sum::<f64>(), 0.21253568538445305),
    ] {
        assert!(close(got, want), "{got} vs {want}");
    }
    // The one-step spread, from the paths (the driver's next value is known: no aux noise).
    let sd = one_step_sd(fitted.as_ref());
    let want = 0.031158548917420707;
    assert!((sd / want - 1.0).abs() < 0.005, "{sd} vs {want}");
}

/// Golden values: `python tests/golden/nowcast_reml_golden.py` (numpy's dense restricted
/// likelihood maximised by scipy; the synthetic benchmarks are described there). The nowcast's
/// Chow–Lin (ρ, σ) by Nelder–Mead must find the same maximum.
#[test]
fn nowcast_rho_sigma_fit_matches_scipy() {
    use nalgebra::{DMatrix, DVector};
    let mut r = Lcg(5);
    let n = 36;
    let calls: Vec<f64> = (0..n).map(|_| 1300.0 + 100.0 * r.normal()).collect();
    let mut u = vec![0.0; n];
    for t in 0..n {
        let e = 60_000.0 * r.normal();
        u[t] = if t == 0 { e } else { 0.6 * u[t - 1] + e };
    }
    let y: Vec<f64> = (0..n).map(|t| 2800.0 * calls[t] + u[t]).collect();
    let runs = [
        (0, 11),
        (12, 23),
        (24, 35),
        (5, 5),
        (17, 17),
        (30, 30),
        (24, 29),
    ];
    let tau2 = [1e8, 1e8, 1e8, 0.0, 0.0, 0.0, 0.0];
    let z = DVector::from_iterator(
        runs.len(),
        runs.iter().map(|&(f, l)| y[f..=l].iter().sum::<f64>()),
    );
    // The benchmarks themselves agree with the script's to rounding.
    let want_z = [
        42353269.68965648,
        44055362.87559923,
        45268105.2538815,
        3610491.286635506,
        3691088.2553084884,
        4265542.005440463,
        21557552.687096488,
    ];
    for (g, w) in z.iter().zip(want_z) {
        assert!((g - w).abs() <= 1e-9 * w, "{g} vs {w}");
    }
    let x = DMatrix::from_column_slice(n, 1, &calls);
    let fit = portcast::forecast::chow_lin::chow_lin(&x, &runs, &z, &tau2).unwrap();
    let (rho, sigma, beta, loglik) = (
        0.388283300419406,
        65582.15556573082,
        2820.9654764185093,
        -83.40433940166741,
    );
    assert!((fit.rho - rho).abs() < 1e-3, "rho {} vs {rho}", fit.rho);
    assert!(
        (fit.sigma / sigma - 1.0).abs() < 1e-3,
        "sigma {} vs {sigma}",
        fit.sigma
    );
    assert!(
        (fit.beta[0] / beta - 1.0).abs() < 1e-5,
        "beta {:?}",
        fit.beta
    );
    // portcast's log likelihood drops no constant of this form: the maxima agree.
    assert!((fit.loglik - loglik).abs() < 1e-6, "loglik {}", fit.loglik);
}

#[test]
fn crps_matches_its_definition_on_small_samples() {
    // The O(n) CRPS of the scores against the definition written out in O(n²), on synthetic
    // samples with ties and an outcome inside, below and above them (not the same code path,
    // which `score.rs` compares `crps_samples` with).
    use portcast::analysis::score::{crps_samples, crps_sorted};
    let samples = [3.0, -1.0, 2.5, 2.5, 7.0, 0.0, 4.25, -3.5, 2.5, 10.0];
    let n = samples.len() as f64;
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    for y in [-10.0, -1.0, 2.5, 3.3, 25.0] {
        let e_abs: f64 = samples.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
        let pairs: f64 = samples
            .iter()
            .flat_map(|a| samples.iter().map(move |b| (a - b).abs()))
            .sum::<f64>()
            / (n * n);
        let want = e_abs - 0.5 * pairs;
        // And as the integral of (F(t) − 1{y ≤ t})² of the empirical CDF, piecewise exactly.
        let mut knots: Vec<f64> = samples.iter().copied().chain([y]).collect();
        knots.sort_by(f64::total_cmp);
        let integral: f64 = knots
            .windows(2)
            .map(|w| {
                let f = samples.iter().filter(|&&x| x <= w[0]).count() as f64 / n;
                let step = if y <= w[0] { 1.0 } else { 0.0 };
                (w[1] - w[0]) * (f - step).powi(2)
            })
            .sum();
        assert!((want - integral).abs() < 1e-12, "{want} vs {integral}");
        let got = crps_sorted(&sorted, y).unwrap();
        assert!((got - want).abs() < 1e-12, "y = {y}: {got} vs {want}");
        assert!((crps_samples(&samples, y).unwrap() - want).abs() < 1e-12);
    }
}
