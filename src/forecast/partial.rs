//! The period in progress, conditioned on its published days: a daily model of a daily count
//! (vessel calls) that turns "the month's total" into "the published days' sum + the simulated
//! sum of the days still to come", reconciled with the monthly (or weekly) model's own view of
//! the period, with the later periods carried along.
//!
//! PortWatch publishes each day about nine days after it ends, so a market on the month in
//! progress trades while most of its days are already known. [`Partial::fit`] builds, from the
//! daily history known at the as-of time:
//!
//! - **calendar factors** `f_d` = day of week × holiday: the ratio of each day to the centred
//!   29-day mean of the days around it, averaged by weekday (non-holiday days), by day offset
//!   from Chinese New Year's Day (−10..=+20) and by day of Golden Week (1–7 October), the holiday
//!   ratios shrunk towards 1 by `count / (count + 1)` (there are only a few years of them);
//! - **the recent level** `L`: an exponentially weighted mean (half-life [`LEVEL_HALF_LIFE`]
//!   days) of the calendar-adjusted days `y_d / f_d`;
//! - **the daily model's prediction** of the `r` unpublished days of the period,
//!   `D = L · Σ f_d`, and its **own past relative errors** `e = actual / D − 1` over every `r`-day
//!   window of the history (from the level known the day before the window): these carry the
//!   level's drift, the daily noise and its zero days (typhoons, closures), and are drawn by a
//!   smoothed bootstrap ([`ErrorPool`]);
//! - the **daily noise variance** `v` of one day relative to the level (last 365 days), so the
//!   noise part of an `r`-day sum is `s_ν² = v · Σ f² / (Σ f)²`.
//!
//! ## Reconciliation with the period model
//! Both models predict the same quantity, the sum of the unpublished days, and their errors are
//! taken as independent apart from the daily noise they share. On path `p` the period model's
//! total `M_p` implies the daily level `M_p / Σ_period f`, i.e. a relative deviation
//! `x_p = M_p / (L · Σ_period f) − 1` from the daily prediction. The period model's level
//! variance is taken as `s_M² = κ·var(x)` (`κ` = [`PERIOD_MODEL_VARIANCE_FACTOR`]: its paths are
//! narrower than its errors), the daily model's as `s_λ² = max(var(e) − s_ν², var(e)/10)`, and
//! the two level estimates are combined by precision, `w = s_λ² / (s_λ² + s_M²)` on the period
//! model:
//!
//! `c_p = w·x̄ + w·√κ·(x_p − x̄) + a·(e_p − ē)`, `a = λ·√(w·s_M² + s_ν² − w²·s_M²) / sd(e)`,
//!
//! so the unpublished days' sum `D·(1 + c_p)` (at least 0) has the precision-weighted mean, the
//! posterior variance of the level plus the days' own noise (the daily part widened by
//! `λ` = [`DAILY_ERROR_SPREAD`]), the daily errors' shape (zero days included) and, through
//! `x_p`, the period model's ordering of its paths. The period's total on
//! path `p` is `T_p = K + max(D·(1 + c_p), 0)`, `K` the published sum: never below what is
//! already known. As days are published `r` falls, `s_ν²` and `s_λ²` shrink and the daily
//! evidence dominates; one day before the end, only that day's noise is left. On the bundled
//! data the period model adds little once the daily model is there (2023's months: mean CRPS
//! 29.7 with `κ` = 4 and with the daily model alone; 30.8 with `κ` = 1).
//!
//! The daily errors enter centred (`ē` is not added to the mean): the daily level is taken as
//! unbiased. Their pooled mean is positive on this history, but it comes from the recoveries
//! after closures (early 2020, April–May 2022), where the relative error of a depressed level is
//! large, not from a lag that repeats; adding it cost CRPS on the training origins
//! ([`LEVEL_HALF_LIFE`] says where).
//!
//! The periods after the one in progress that start within [`LOOKAHEAD_DAYS`] of the last
//! published day (the next month; the next four or five weeks) get the same treatment with
//! `K = 0`, their unpublished days counted from the same last published day (the daily model's
//! past errors are taken at the same distance), one after the other.
//!
//! ## Later periods
//! After a period is conditioned, every later period `j` of path `p` is moved with it by the
//! period model's own dependence: `ln M'_{p,j} = ln M_{p,j} + b_j·(ln T_p − ln M_p)`, `b_j` the
//! regression slope of `ln M_j` on `ln M` across the model's paths — the Gaussian conditioning
//! of the model's joint paths on the new value (a model whose errors persist, like ETS's level,
//! carries the surprise forward; a seasonal naive does not). Joint events over several periods
//! ("above K in any of the next two months") therefore see one coherent path.

use std::collections::BTreeMap;

use crate::forecast::shocks::SimRng;
use chrono::{Datelike, Duration, NaiveDate};
use rand::SeedableRng;

use super::shocks::{ErrorPool, Shocks};
use crate::analysis::calendar::cny_date;
use crate::model::Period;

/// Half-life, in days, of the exponentially weighted daily level. Chosen with the centring of the
/// daily errors (module docs) on the training origins only — the months and ISO weeks that start
/// in 2021–2022, `portcast evaluate --series shanghai_calls --freq month|week --by-known-days
/// --from 2021-01 --to 2022-12 --as-of 2024-06-30`, CRPS of portcast over the plain rule's:
/// half-life 20 with the mean error added 0.840 (months) / 0.932 (weeks); 30: 0.840 / 0.924;
/// 40: 0.848 / 0.925; 30 centred 0.837 / 0.921 (κ 2 or 16, or the noise variance × 1.5 or 2.5,
/// within 0.01 of it). 2023 is the check: 0.867 / 0.911 before, 0.852 / 0.903 after.
pub const LEVEL_HALF_LIFE: f64 = 30.0;
/// Fewest published days to fit the daily model.
pub const MIN_DAYS: usize = 120;
/// Days before and after each day in the centred mean its calendar ratio is taken against.
const RATIO_HALF_WINDOW: i64 = 14;
/// Chinese New Year effect: days from −`CNY_BEFORE` to +`CNY_AFTER` around New Year's Day.
const CNY_BEFORE: i64 = 10;
const CNY_AFTER: i64 = 20;
/// Days of recent history for the daily noise variance.
const NOISE_DAYS: usize = 365;

/// What is known of the period in progress (shown by `portcast forecast` as `known_days` and
/// `known_value`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Known {
    pub period: Period,
    /// Published days of the period.
    pub days: usize,
    /// Their sum, in the series' unit (`None` when the forecast target is not the daily series
    /// itself, e.g. official TEU bridged from vessel calls).
    pub value: Option<f64>,
}

/// The period in progress with the daily model fitted to the days known at the as-of time.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    /// The period in progress (one after the last complete one).
    pub period: Period,
    /// Published days of the period and their sum.
    pub known_days: usize,
    pub known_value: f64,
    /// The last published day.
    pub last_published: NaiveDate,
    /// Calendar-adjusted daily level at the last published day.
    pub level: f64,
    /// The period in progress and the periods after it that start within
    /// [`LOOKAHEAD_DAYS`] of the last published day, in order (horizon index = position).
    segments: Vec<Segment>,
}

/// One period whose unpublished days the daily model predicts.
#[derive(Clone, Debug, PartialEq)]
struct Segment {
    /// Published sum (0 after the period in progress).
    known_value: f64,
    /// Σ f over the unpublished days and over the whole period.
    rest_factor: f64,
    period_factor: f64,
    /// Relative errors of the daily prediction of the unpublished days' sum (same number of
    /// days, same distance from the last published day) at every past origin, ascending.
    errors: Vec<f64>,
    /// Relative variance of the unpublished days' own daily noise.
    noise_var: f64,
}

/// Periods that start within this many days after the last published day are predicted by the
/// daily model too (the month after the one in progress; four or five weeks).
pub const LOOKAHEAD_DAYS: i64 = 31;
/// How much more variable the period model's level is taken to be than its paths' spread says
/// (its intervals run narrow, `portcast evaluate`). Chosen on the months of 2021–2022
/// (`portcast evaluate --by-known-days`, mean CRPS 30.36 / 30.05 / 30.36 / 30.54 for 1, 4, 16
/// and ∞); 2023 is the check.
pub const PERIOD_MODEL_VARIANCE_FACTOR: f64 = 4.0;
/// The daily errors' part of the spread (`a` in the module docs) is widened by this factor: the
/// outcomes on the training origins fall in the tails more often than the past errors, pooled
/// over the whole history, say (`portcast backtest --market shanghai-calls-next-week --step day
/// --from 2021-01-01 --to 2022-12-31 --as-of 2024-06-30`: with 1.0, events priced below 10%
/// came true 3.7% of the time against 2.2% priced, 90% band 3.1–4.4%; with 1.2, 3.1% against
/// 2.5%, Brier 0.0987 → 0.0983). Chosen on the periods that start in 2021–2022 with
/// [`LEVEL_HALF_LIFE`]'s command: CRPS over the rule's 0.837 / 0.921 (months / weeks) at 1.0,
/// 0.830 / 0.918 at 1.2, 0.832 / 0.924 at 1.4.
pub const DAILY_ERROR_SPREAD: f64 = 1.2;

/// Hashes the exact content (numbers by their bits).
impl std::hash::Hash for Partial {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.period, self.known_days, self.last_published).hash(state);
        self.known_value.to_bits().hash(state);
        self.level.to_bits().hash(state);
        for g in &self.segments {
            for v in [g.known_value, g.rest_factor, g.period_factor, g.noise_var] {
                v.to_bits().hash(state);
            }
            g.errors.len().hash(state);
            for e in &g.errors {
                e.to_bits().hash(state);
            }
        }
    }
}

/// Daily values on a contiguous grid of dates (holes as `None`).
struct Daily {
    first: NaiveDate,
    values: Vec<Option<f64>>,
}

impl Daily {
    fn from_points(points: &[(NaiveDate, f64)]) -> Option<Daily> {
        let first = points.first()?.0;
        let last = points.last()?.0;
        let mut values = vec![None; (last - first).num_days() as usize + 1];
        for &(d, v) in points {
            values[(d - first).num_days() as usize] = Some(v);
        }
        Some(Daily { first, values })
    }

    fn date(&self, i: usize) -> NaiveDate {
        self.first + Duration::days(i as i64)
    }
}

/// Calendar factors: weekday × holiday, fitted on the ratios of each day to its centred mean.
#[derive(Clone, Debug)]
struct Calendar {
    weekday: [f64; 7],
    cny: BTreeMap<i64, f64>,
    golden_week: [f64; 7],
}

fn cny_offset(d: NaiveDate) -> Option<i64> {
    [d.year() - 1, d.year(), d.year() + 1]
        .into_iter()
        .filter_map(cny_date)
        .map(|c| (d - c).num_days())
        .find(|o| (-CNY_BEFORE..=CNY_AFTER).contains(o))
}

fn golden_week_day(d: NaiveDate) -> Option<usize> {
    (d.month() == 10 && d.day() <= 7).then(|| d.day() as usize - 1)
}

impl Calendar {
    fn fit(daily: &Daily) -> Calendar {
        let n = daily.values.len();
        // Prefix sums of values and counts for the centred means.
        let mut sum = vec![0.0; n + 1];
        let mut cnt = vec![0usize; n + 1];
        for (i, v) in daily.values.iter().enumerate() {
            sum[i + 1] = sum[i] + v.unwrap_or(0.0);
            cnt[i + 1] = cnt[i] + usize::from(v.is_some());
        }
        let w = RATIO_HALF_WINDOW as usize;
        let mut by_weekday = [(0.0, 0usize); 7];
        let mut by_cny: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
        let mut by_gw = [(0.0, 0usize); 7];
        let mut ratios = Vec::new();
        for i in w..n.saturating_sub(w) {
            let Some(v) = daily.values[i] else { continue };
            let (a, b) = (i - w, i + w + 1);
            let c = cnt[b] - cnt[a];
            if c < w {
                continue;
            }
            let mean = (sum[b] - sum[a]) / c as f64;
            if mean <= 0.0 {
                continue;
            }
            ratios.push((daily.date(i), v / mean));
        }
        for &(d, r) in &ratios {
            if cny_offset(d).is_none() && golden_week_day(d).is_none() {
                let k = d.weekday().num_days_from_monday() as usize;
                by_weekday[k].0 += r;
                by_weekday[k].1 += 1;
            }
        }
        let mut weekday = [1.0; 7];
        for k in 0..7 {
            if by_weekday[k].1 >= 4 {
                weekday[k] = by_weekday[k].0 / by_weekday[k].1 as f64;
            }
        }
        let mean_w = weekday.iter().sum::<f64>() / 7.0;
        for f in &mut weekday {
            *f /= mean_w;
        }
        for &(d, r) in &ratios {
            let r = r / weekday[d.weekday().num_days_from_monday() as usize];
            if let Some(o) = cny_offset(d) {
                let e = by_cny.entry(o).or_default();
                e.0 += r;
                e.1 += 1;
            }
            if let Some(g) = golden_week_day(d) {
                by_gw[g].0 += r;
                by_gw[g].1 += 1;
            }
        }
        // Shrink towards 1: a mean of c ratios counts as c against one prior ratio of 1.
        let shrink = |(s, c): (f64, usize)| (s + 1.0) / (c as f64 + 1.0);
        Calendar {
            weekday,
            cny: by_cny.into_iter().map(|(o, sc)| (o, shrink(sc))).collect(),
            golden_week: by_gw.map(shrink),
        }
    }

    fn factor(&self, d: NaiveDate) -> f64 {
        let mut f = self.weekday[d.weekday().num_days_from_monday() as usize];
        if let Some(o) = cny_offset(d) {
            f *= self.cny.get(&o).copied().unwrap_or(1.0);
        }
        if let Some(g) = golden_week_day(d) {
            f *= self.golden_week[g];
        }
        f.max(1e-3)
    }
}

impl Partial {
    /// Fit the daily model on `points` (the daily values known at the as-of time, ascending,
    /// non-negative) for `period`, the period after the last complete one. `None` when the
    /// history is too short or the period lies wholly beyond the day after the last published
    /// one (nothing to condition on).
    pub fn fit(points: &[(NaiveDate, f64)], period: Period) -> Option<Partial> {
        let daily = Daily::from_points(points)?;
        let n = daily.values.len();
        if points.len() < MIN_DAYS || points.iter().any(|(_, v)| !v.is_finite() || *v < 0.0) {
            return None;
        }
        let last_published = daily.date(n - 1);
        if period.start() > last_published + Duration::days(1) || period.end() <= last_published {
            return None;
        }
        let calendar = Calendar::fit(&daily);
        let factors: Vec<f64> = (0..n).map(|i| calendar.factor(daily.date(i))).collect();
        // The level before each day (levels[i] uses days < i) and after the last.
        let alpha = 1.0 - 0.5f64.powf(1.0 / LEVEL_HALF_LIFE);
        let start_days: Vec<f64> = (0..n.min(28))
            .filter_map(|i| daily.values[i].map(|v| v / factors[i]))
            .collect();
        let mut level = start_days.iter().sum::<f64>() / start_days.len().max(1) as f64;
        let mut levels = Vec::with_capacity(n + 1);
        for (value, f) in daily.values.iter().zip(&factors) {
            levels.push(level);
            if let Some(v) = value {
                level += alpha * (v / f - level);
            }
        }
        levels.push(level);
        let mut ysum = vec![0.0; n + 1];
        let mut fsum = vec![0.0; n + 1];
        let mut present = vec![0usize; n + 1];
        for i in 0..n {
            ysum[i + 1] = ysum[i] + daily.values[i].unwrap_or(0.0);
            fsum[i + 1] = fsum[i] + factors[i];
            present[i + 1] = present[i] + usize::from(daily.values[i].is_some());
        }
        // One day's noise relative to the level, over the last year.
        let recent: Vec<f64> = (n.saturating_sub(NOISE_DAYS)..n)
            .filter_map(|i| {
                let v = daily.values[i]?;
                let pred = levels[i] * factors[i];
                (pred > 0.0).then(|| v / pred - 1.0)
            })
            .collect();
        let v1 = if recent.len() > 1 {
            let m = recent.iter().sum::<f64>() / recent.len() as f64;
            recent.iter().map(|e| (e - m).powi(2)).sum::<f64>() / (recent.len() - 1) as f64
        } else {
            0.0
        };
        let mut segments = Vec::new();
        let mut current = period;
        while current.start() <= last_published + Duration::days(LOOKAHEAD_DAYS) {
            // Known and unpublished days of the period.
            let mut known_value = 0.0;
            let mut rest: Vec<NaiveDate> = Vec::new();
            let mut d = current.start();
            while d <= current.end() {
                let i = (d - daily.first).num_days();
                match (i >= 0 && (i as usize) < n)
                    .then(|| daily.values[i as usize])
                    .flatten()
                {
                    Some(v) => known_value += v,
                    None => rest.push(d),
                }
                d += Duration::days(1);
            }
            let r = rest.len();
            if r == 0 {
                return None;
            }
            // Days between the last published one and the first unpublished one of the period.
            let gap = (rest[0] - last_published).num_days().max(1) as usize - 1;
            let rest_f: Vec<f64> = rest.iter().map(|&d| calendar.factor(d)).collect();
            let rest_factor: f64 = rest_f.iter().sum();
            let period_factor: f64 = (0..current.days())
                .map(|k| calendar.factor(current.start() + Duration::days(k)))
                .sum();
            // Past errors of the same prediction: level known before day i, days
            // i + gap .. i + gap + r (calendar factors from the whole history known now: they
            // are slow-moving and few).
            let warm_up = 60.min(n);
            let mut errors: Vec<f64> = (warm_up..n.saturating_sub(gap + r) + 1)
                .filter(|&i| present[i + gap + r] - present[i + gap] == r)
                .filter_map(|i| {
                    let (a, b) = (i + gap, i + gap + r);
                    let pred = levels[i] * (fsum[b] - fsum[a]);
                    (pred > 0.0).then(|| (ysum[b] - ysum[a]) / pred - 1.0)
                })
                .collect();
            if errors.len() < 30 {
                break;
            }
            errors.sort_unstable_by(f64::total_cmp);
            let noise_var = v1 * rest_f.iter().map(|f| f * f).sum::<f64>() / rest_factor.powi(2);
            segments.push(Segment {
                known_value,
                rest_factor,
                period_factor,
                errors,
                noise_var,
            });
            current = current.next();
        }
        let first = segments.first()?;
        let known_days = period.days() as usize - count_rest(&daily, period);
        Some(Partial {
            period,
            known_days,
            known_value: first.known_value,
            last_published,
            level,
            segments,
        })
    }

    /// What is known of the period, for outputs.
    pub fn known(&self, value_shown: bool) -> Known {
        Known {
            period: self.period,
            days: self.known_days,
            value: value_shown.then_some(self.known_value),
        }
    }

    /// The daily model's own prediction of the period in progress (published sum + the
    /// unpublished days at the recent level).
    pub fn predicted_total(&self) -> f64 {
        let g = &self.segments[0];
        g.known_value + self.level * g.rest_factor
    }

    /// Condition the period model's paths (path-major, `horizon` steps, horizon index 0 =
    /// [`Partial::period`]) on the published days, in place (see the module docs). `seed` drives
    /// the daily errors' draws (stratified per period, independent of the paths' own shocks).
    pub fn condition(&self, paths: &mut [f64], horizon: usize, seed: u64) {
        if horizon == 0 || paths.is_empty() {
            return;
        }
        let n_paths = paths.len() / horizon;
        let mut rng = SimRng::seed_from_u64(seed);
        // One stratified column per conditioned period (the first columns do not depend on
        // how many follow, so a longer horizon leaves the earlier periods as they were).
        let shocks = Shocks::latin_hypercube(n_paths, self.segments.len().min(horizon), &mut rng);
        for (h, g) in self.segments.iter().enumerate().take(horizon) {
            let first: Vec<f64> = (0..n_paths).map(|p| paths[p * horizon + h]).collect();
            let totals = g.totals(&first, self.level, |p| shocks.get(p, h));
            shift_later(paths, horizon, h, &first, &totals);
            for (p, t) in totals.into_iter().enumerate() {
                paths[p * horizon + h] = t;
            }
        }
    }
}

/// Mean and (population) variance.
fn moments(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut n, mut s, mut s2) = (0.0f64, 0.0f64, 0.0f64);
    for x in v {
        n += 1.0;
        s += x;
        s2 += x * x;
    }
    let m = s / n.max(1.0);
    (m, (s2 / n.max(1.0) - m * m).max(0.0))
}

impl Segment {
    /// The period's totals on each path given the period model's values `model` on them.
    fn totals(&self, model: &[f64], level: f64, u: impl Fn(usize) -> f64) -> Vec<f64> {
        let n_paths = model.len();
        let d = level * self.rest_factor;
        let pool = ErrorPool::new(self.errors.iter().copied());
        let (mean_e, var_e) = moments(self.errors.iter().copied());
        let scale = level * self.period_factor;
        let x: Vec<f64> = model.iter().map(|m| m / scale - 1.0).collect();
        let (mean_x, var_x) = moments(x.iter().copied());
        let kappa = PERIOD_MODEL_VARIANCE_FACTOR;
        let var_m = kappa * var_x;
        let var_level_daily = (var_e - self.noise_var).max(var_e / 10.0);
        let w = if var_x > 1e-12 && x.iter().all(|v| v.is_finite()) {
            var_level_daily / (var_level_daily + var_m)
        } else {
            0.0
        };
        // The period model's paths enter with weight w (their own spread scaled by the factor,
        // rank kept); the daily errors, independent of them, fill the rest of the variance.
        let k = kappa.sqrt();
        let target_var = w * var_m + self.noise_var;
        let a = if var_e > 0.0 {
            DAILY_ERROR_SPREAD * ((target_var - w * w * var_m).max(0.0) / var_e).sqrt()
        } else {
            0.0
        };
        // The daily errors enter centred (module docs): only the period model moves the mean.
        let centre = w * mean_x;
        (0..n_paths)
            .map(|p| {
                let xp = if w > 0.0 { k * (x[p] - mean_x) } else { 0.0 };
                let c = centre + w * xp + a * (pool.draw(u(p)) - mean_e);
                self.known_value + (d * (1.0 + c)).max(0.0)
            })
            .collect()
    }
}

/// Move the periods after `h` with the new values of period `h` by the period model's own
/// regression slope of each later period on period `h` (on logs, across the paths).
fn shift_later(paths: &mut [f64], horizon: usize, h: usize, before: &[f64], after: &[f64]) {
    let n_paths = before.len();
    if h + 1 >= horizon || before.iter().any(|m| *m <= 0.0) || after.iter().any(|t| *t <= 0.0) {
        return;
    }
    let l0: Vec<f64> = before.iter().map(|m| m.ln()).collect();
    let (m0, v0) = moments(l0.iter().copied());
    if v0 <= 1e-14 {
        return;
    }
    for j in h + 1..horizon {
        if (0..n_paths).any(|p| paths[p * horizon + j] <= 0.0) {
            continue;
        }
        let lj: Vec<f64> = (0..n_paths).map(|p| paths[p * horizon + j].ln()).collect();
        let mj = lj.iter().sum::<f64>() / n_paths as f64;
        let cov = l0
            .iter()
            .zip(&lj)
            .map(|(a, b)| (a - m0) * (b - mj))
            .sum::<f64>()
            / n_paths as f64;
        let b = cov / v0;
        for p in 0..n_paths {
            paths[p * horizon + j] *= (b * (after[p].ln() - l0[p])).exp();
        }
    }
}

/// Unpublished days of `period` in the daily history.
fn count_rest(daily: &Daily, period: Period) -> usize {
    let n = daily.values.len() as i64;
    let mut d = period.start();
    let mut rest = 0;
    while d <= period.end() {
        let i = (d - daily.first).num_days();
        if !(0..n).contains(&i) || daily.values[i as usize].is_none() {
            rest += 1;
        }
        d += Duration::days(1);
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic daily counts (a test-only series, not data): level 50 with a weekly pattern and
    /// a deterministic pseudo-random wobble, one zero day a quarter.
    fn synthetic(days: i64) -> Vec<(NaiveDate, f64)> {
        let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap();
        (0..days)
            .map(|i| {
                let d = start + Duration::days(i);
                let wobble = ((i * 7919 % 97) as f64 - 48.0) / 8.0;
                let weekly = [2.0, -1.0, 0.0, 1.0, 0.0, 1.0, -3.0][(i % 7) as usize];
                let v = if i % 91 == 45 {
                    0.0
                } else {
                    50.0 + weekly + wobble
                };
                (d, v.round())
            })
            .collect()
    }

    fn spread(v: &[f64]) -> f64 {
        moments(v.iter().copied()).1.sqrt()
    }

    #[test]
    fn published_days_are_a_floor_and_narrow_the_period() {
        let month = Period::month(2022, 6).unwrap();
        let mut widths = Vec::new();
        for known in [0i64, 10, 20, 29] {
            let all = synthetic(600);
            let cut = month.start() + Duration::days(known - 1);
            let points: Vec<_> = all.iter().copied().filter(|(d, _)| *d <= cut).collect();
            let p = Partial::fit(&points, month).expect("fits");
            let want: f64 = points
                .iter()
                .filter(|(d, _)| month.start() <= *d)
                .map(|(_, v)| v)
                .sum();
            assert_eq!(p.known_days as i64, known);
            assert_eq!(p.known_value, want);
            // A period model that says 1500 ± 100 for June and 1550 ± 100 for July, correlated.
            let n = 2000;
            let mut paths = Vec::with_capacity(2 * n);
            for i in 0..n {
                let z = super::super::shocks::normal_quantile((i as f64 + 0.5) / n as f64);
                paths.extend([1500.0 + 100.0 * z, 1550.0 + 80.0 * z]);
            }
            p.condition(&mut paths, 2, 7);
            let june: Vec<f64> = paths.iter().step_by(2).copied().collect();
            assert!(june.iter().all(|t| *t >= want), "below the published sum");
            widths.push(spread(&june));
        }
        assert!(widths.windows(2).all(|w| w[1] < w[0]), "{widths:?}");
    }

    #[test]
    fn too_short_a_history_is_not_conditioned() {
        let points = synthetic(60);
        let month = Period::containing(points.last().unwrap().0, crate::model::Frequency::Month);
        assert!(Partial::fit(&points, month).is_none());
    }
}
