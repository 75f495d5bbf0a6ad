//! The point-in-time backtest: the production pricing pipeline (`crate::markets::price`) run at a
//! sequence of past as-of dates, each step seeing only what had been published by then, each
//! market settled on the first print of its target period.
//!
//! A run has two phases. **Replay** prices every market at every step with the model and with
//! the reference forecasts (climatology, seasonal naive), and settles it; this is where all the
//! forecasting cost is, and it is done once. **Evaluate** turns the cached steps into trades and
//! scores for a strategy variant (model vs reference price, or a rule) — cheap, so a sweep over
//! thousands of thresholds, cut-offs and Kelly fractions re-uses one replay. A threshold variant
//! re-prices a settled binary step from its sorted samples, which the replay keeps only when
//! asked ([`Steps::keep_samples`]): every other step keeps its prices and scores alone, so a
//! replay's memory does not grow with its steps' paths.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::markets::contract::{Contract, Strike};
use crate::markets::file::{Baseline, Market, MarketKind};
use crate::markets::price::{self, PathSource, PriceError, PricedMarket};
use crate::model::{Frequency, Period, end_of_day};
use crate::store::{Read, Store, StoreError};

/// The forecasts a backtest compares: the model and the references it must beat.
pub struct Sources<'a> {
    pub model: &'a dyn PathSource,
    pub climatology: &'a dyn PathSource,
    pub seasonal_naive: &'a dyn PathSource,
}

/// One contract (a market's row) at one step, with its outcome once settled.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRow {
    pub as_of: NaiveDate,
    pub market: String,
    pub contract: String,
    pub target: Vec<Period>,
    pub fair_model: f64,
    pub fair_climatology: Option<f64>,
    pub fair_seasonal_naive: Option<f64>,
    /// The market's historical price for this step, when the markets file gives one.
    pub market_price: Option<f64>,
    /// The payout of one YES contract on the first print (1/0 for binary events, the scalar's
    /// payout otherwise); `None` while the target is not yet printed.
    pub outcome: Option<f64>,
    /// The first print the row settled on (one period, or a basket's composite).
    pub value: Option<f64>,
    /// CRPS of the model's distribution of the settlement value against the first print.
    pub crps: Option<f64>,
    /// The rule's verdict at this step (markets with a rule).
    pub rule_holds: Option<bool>,
    /// The latest known value of each series the rule reads, at this step (for rule sweeps).
    pub rule_values: Vec<(String, Option<f64>)>,
    /// Sorted samples of the settlement value under the model, climatology and seasonal naive
    /// (single-period markets), so threshold variants can be re-priced without re-forecasting;
    /// kept only when [`Steps::keep_samples`] asks and the row is a settled binary contract.
    pub samples: [Option<std::sync::Arc<[f64]>>; 3],
}

/// Which steps a replay prices and what it keeps of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Steps {
    /// Price only the steps whose target has a first print by the settlement time; the others
    /// are listed as skipped, unpriced.
    pub settled_only: bool,
    /// Keep the sorted samples of each settled binary step ([`StepRow::samples`]) for threshold
    /// variants. Three times the paths per step (240 KB at 10,000 paths): a year of daily steps
    /// of the example markets held 0.8 GB of them, so they are kept only for a threshold sweep.
    pub keep_samples: bool,
}

/// A step that could not be priced, and why (kept, so a user sees the gaps).
#[derive(Clone, Debug, PartialEq)]
pub struct Skipped {
    pub as_of: NaiveDate,
    pub market: String,
    pub reason: String,
}

/// Everything the replay produced for one market.
#[derive(Clone, Debug, Default)]
pub struct Replay {
    pub rows: Vec<StepRow>,
    pub skipped: Vec<Skipped>,
}

/// The strike a threshold variant moves: a binary contract's, keeping its comparison. Other
/// contracts have no single strike to move (their rows are left out of such a variant), and a
/// replay keeps no samples for them.
pub fn threshold_strike(market: &Market) -> Option<Strike> {
    match &market.kind {
        MarketKind::Single {
            contract: Contract::Binary { strike, .. },
            ..
        }
        | MarketKind::Basket {
            contract: Contract::Binary { strike, .. },
            ..
        } => Some(*strike),
        _ => None,
    }
}

/// The as-of dates of a backtest: `from`, then one market period later each time, up to `to`.
/// Monthly steps keep `from`'s day of the month, clamped to shorter months; from a month's last
/// day they step month end to month end (28 February, 31 March, ...).
pub fn step_dates(from: NaiveDate, to: NaiveDate, freq: Frequency) -> Vec<NaiveDate> {
    let month_end = from == Period::containing(from, Frequency::Month).end();
    let mut out = Vec::new();
    let mut i = 0i64;
    loop {
        let d = match freq {
            Frequency::Day => from + Duration::days(i),
            Frequency::Week => from + Duration::weeks(i),
            Frequency::Month | Frequency::Year => {
                let months = if freq == Frequency::Year { 12 * i } else { i };
                let p = Period::containing(from, Frequency::Month).offset(months);
                let day = if month_end {
                    p.days() as u32
                } else {
                    from.day().min(p.days() as u32)
                };
                NaiveDate::from_ymd_opt(p.start().year(), p.start().month(), day)
                    .expect("clamped day")
            }
        };
        if d > to {
            break;
        }
        out.push(d);
        i += 1;
    }
    out
}

/// Replay one market over the step dates. A step settles on first prints known by
/// `settle_by` (the run's as-of time: a backtest is a function of the store as of then, so a
/// print published later leaves the step unsettled rather than leaking in). `on_step` sees the
/// store's reads of each decision phase (the look-ahead detector uses it); pass `|_, _| {}`
/// otherwise.
pub fn replay(
    store: &Store,
    market: &Market,
    sources: &Sources<'_>,
    dates: &[NaiveDate],
    settle_by: DateTime<Utc>,
    steps: Steps,
    mut on_step: impl FnMut(DateTime<Utc>, Vec<Read>),
) -> Result<Replay, StoreError> {
    let mut out = Replay::default();
    let binary = threshold_strike(market).is_some();
    for &date in dates {
        let as_of = end_of_day(date);
        store.take_reads();
        // The target is part of the decision (what would be priced); whether it has been
        // printed by `settle_by` is settlement, read outside the decision's log.
        let targets = price::target_periods(store, sources.model, market, as_of);
        let mut reads = store.take_reads();
        let settlement = match &targets {
            Ok(t) => settlement(store, market, t, settle_by)?,
            Err(_) => None,
        };
        store.take_reads();
        if steps.settled_only
            && settlement.is_none()
            && let Ok(t) = &targets
        {
            on_step(as_of, reads);
            let shown: Vec<String> = t.iter().map(|p| p.to_string()).collect();
            out.skipped.push(Skipped {
                as_of: date,
                market: market.id.clone(),
                reason: format!(
                    "not settled by {}: no first print of {} yet",
                    settle_by.format("%Y-%m-%d"),
                    shown.join(", ")
                ),
            });
            continue;
        }
        let decided = decide(store, market, sources, as_of);
        reads.extend(store.take_reads());
        on_step(as_of, reads);
        let (model, clim, snaive, rule_values) = match decided {
            Ok(d) => d,
            Err(e) => {
                out.skipped.push(Skipped {
                    as_of: date,
                    market: market.id.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let settled = settlement.as_ref().map(|s| settle(market, &model, s));
        let step_period = Period::containing(date, market.freq);
        let rule_holds = market
            .rule
            .as_ref()
            .map(|r| r.holds(|s| lookup(&rule_values, s)));
        // A threshold variant re-prices settled binary rows only (it needs the outcome).
        let keep = steps.keep_samples && binary && settled.is_some();
        let samples = [Some(&model), clim.as_ref(), snaive.as_ref()].map(|p| {
            p.filter(|_| keep)
                .and_then(|p| p.value_samples.as_deref().map(std::sync::Arc::from))
        });
        for (i, row) in model.rows.iter().enumerate() {
            let outcome = settled.as_ref().map(|s| s.payouts[i]);
            let crps = match (&settled, &model.value_samples) {
                (Some(s), Some(samples)) if i == 0 => s
                    .value
                    .and_then(|y| crate::analysis::score::crps_sorted(samples, y).ok()),
                _ => None,
            };
            out.rows.push(StepRow {
                as_of: date,
                market: market.id.clone(),
                contract: row.contract.clone(),
                target: row.target.clone(),
                fair_model: row.fair,
                fair_climatology: clim.as_ref().map(|c| c.rows[i].fair),
                fair_seasonal_naive: snaive.as_ref().map(|c| c.rows[i].fair),
                market_price: market.price_history.get(&step_period).copied(),
                outcome,
                value: settled.as_ref().and_then(|s| s.value),
                crps,
                rule_holds,
                rule_values: rule_values.clone(),
                samples: samples.clone(),
            });
        }
    }
    Ok(out)
}

type Decision = (
    PricedMarket,
    Option<PricedMarket>,
    Option<PricedMarket>,
    Vec<(String, Option<f64>)>,
);

/// A rule series' value in a step's cache.
pub fn lookup(values: &[(String, Option<f64>)], series: &str) -> Option<f64> {
    values
        .iter()
        .find(|(n, _)| n == series)
        .and_then(|(_, v)| *v)
}

/// The decision phase: everything here reads the store as of `as_of` only.
fn decide(
    store: &Store,
    market: &Market,
    sources: &Sources<'_>,
    as_of: DateTime<Utc>,
) -> Result<Decision, PriceError> {
    let model = price::price_market(store, sources.model, market, as_of)?;
    // A reference that cannot be fitted (too little history) is missing, not fatal.
    let clim = price::price_market(store, sources.climatology, market, as_of).ok();
    let snaive = price::price_market(store, sources.seasonal_naive, market, as_of).ok();
    let mut rule_values = Vec::new();
    if let Some(rule) = &market.rule {
        for s in rule.series() {
            let freq = crate::series::catalog::spec(s)
                .map_or(Frequency::Month, |sp| sp.cadence.max(Frequency::Week));
            rule_values.push((
                s.to_string(),
                price::last_known(store, s, freq, as_of)?.map(|(_, v)| v),
            ));
        }
    }
    Ok((model, clim, snaive, rule_values))
}

/// The settled outcome of a priced market: per row payout, and the settlement value.
struct Settled {
    payouts: Vec<f64>,
    value: Option<f64>,
}

/// What a market settles on: the first prints of its target periods.
enum Settlement {
    /// Each target period's value (a "within" market has several).
    Single(Vec<f64>),
    Buckets(f64),
    /// The basket's composite.
    Basket(f64),
}

/// The first prints a market settles on, known by `settle_by`; `None` while any target period
/// (or a basket's baseline) is not printed. Settlement reads figures published after the step's
/// as-of time by design: it is outside the decision.
fn settlement(
    store: &Store,
    market: &Market,
    targets: &[Period],
    settle_by: DateTime<Utc>,
) -> Result<Option<Settlement>, StoreError> {
    let first_print =
        |series: &str, period: Period| first_print(store, series, market.freq, period, settle_by);
    match &market.kind {
        MarketKind::Single { series, .. } => {
            let mut values = Vec::new();
            for t in targets {
                match first_print(series, *t)? {
                    Some(v) => values.push(v),
                    None => return Ok(None),
                }
            }
            Ok(Some(Settlement::Single(values)))
        }
        MarketKind::Buckets { series, .. } => {
            Ok(first_print(series, targets[0])?.map(Settlement::Buckets))
        }
        MarketKind::Basket { components, .. } => {
            let target = targets[0];
            let mut composite = 0.0;
            for c in components {
                let Some(v) = first_print(&c.series, target)? else {
                    return Ok(None);
                };
                let base = match c.baseline {
                    Baseline::Value(b) => Some(b),
                    Baseline::Period(p) => first_print(&c.series, p)?,
                    Baseline::YearAgo => first_print(
                        &c.series,
                        target.offset(-(market.freq.periods_per_year() as i64)),
                    )?,
                };
                let Some(base) = base else { return Ok(None) };
                composite += c.weight * v / base;
            }
            Ok(Some(Settlement::Basket(composite)))
        }
    }
}

/// The payouts of a priced market's rows on its settlement.
fn settle(market: &Market, priced: &PricedMarket, settlement: &Settlement) -> Settled {
    match (&market.kind, settlement) {
        (MarketKind::Single { contract, .. }, Settlement::Single(values)) => {
            let contract = match (contract, priced.strike) {
                (Contract::Binary { strike, .. }, Some(k)) => {
                    Contract::Binary { strike: *strike, k }
                }
                (c, _) => *c,
            };
            let paid = values
                .iter()
                .map(|&v| contract.payout(v).unwrap_or(0.0))
                .fold(0.0, f64::max);
            Settled {
                payouts: vec![paid],
                value: (values.len() == 1).then(|| values[0]),
            }
        }
        (MarketKind::Buckets { set, .. }, Settlement::Buckets(v)) => {
            let hit = set.settle(*v).unwrap_or(usize::MAX);
            Settled {
                payouts: (0..set.buckets().len())
                    .map(|i| if i == hit { 1.0 } else { 0.0 })
                    .collect(),
                value: Some(*v),
            }
        }
        (MarketKind::Basket { contract, .. }, Settlement::Basket(composite)) => Settled {
            payouts: vec![contract.payout(*composite).unwrap_or(0.0)],
            value: Some(*composite),
        },
        _ => unreachable!("a settlement is read for its own market's kind"),
    }
}

/// The first complete figure of `period` on grid `freq`, if it was published by `known_by`:
/// for a stored series at its own grid, the first value stored; for an aggregate or derived
/// series, its value at the first moment it was complete. Later revisions never change it.
pub fn first_print(
    store: &Store,
    series: &str,
    freq: Frequency,
    period: Period,
    known_by: DateTime<Utc>,
) -> Result<Option<f64>, StoreError> {
    let spec = crate::series::catalog::spec(series)
        .ok_or_else(|| StoreError::UnknownSeries(series.to_string()))?;
    let freq = freq.max(spec.period);
    if freq == spec.period && store.contains(series) {
        return Ok(store
            .first_print(series, period)
            .filter(|o| o.known_at <= known_by)
            .map(|o| o.value));
    }
    // Walk back from the latest view by `known_by` to the first moment the period was complete.
    let latest = view_period(store, series, freq, period, known_by)?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    if !latest.complete {
        return Ok(None);
    }
    let mut moments: Vec<DateTime<Utc>> = Vec::new();
    let mut t = latest.known_at;
    // Walk back while the period is still complete a moment earlier (a revision came later).
    loop {
        moments.push(t);
        match view_period(store, series, freq, period, t - Duration::nanoseconds(1))? {
            Some(p) if p.complete => t = p.known_at,
            _ => break,
        }
    }
    let first = *moments.last().expect("one moment");
    Ok(view_period(store, series, freq, period, first)?
        .filter(|p| p.precision.is_value())
        .map(|p| p.value))
}

fn view_period(
    store: &Store,
    series: &str,
    freq: Frequency,
    period: Period,
    at: DateTime<Utc>,
) -> Result<Option<crate::series::view::Point>, StoreError> {
    store.view_period(series, at, freq, period)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn monthly_steps_clamp_to_month_end() {
        let steps = step_dates(d("2023-01-31"), d("2023-05-01"), Frequency::Month);
        let s: Vec<String> = steps.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"]);
        let steps = step_dates(d("2023-02-28"), d("2023-04-30"), Frequency::Month);
        let s: Vec<String> = steps.iter().map(|d| d.to_string()).collect();
        assert_eq!(s, ["2023-02-28", "2023-03-31", "2023-04-30"]);
        let steps = step_dates(d("2023-02-15"), d("2023-04-30"), Frequency::Month);
        assert_eq!(steps[2], d("2023-04-15"));
        assert_eq!(
            step_dates(d("2023-01-02"), d("2023-01-20"), Frequency::Week).len(),
            3
        );
    }
}
