//! Pricing a market at an as-of time: resolve its target period from what the store knows, ask
//! the forecasting core for joint sample paths up to that period, take the contract's expected
//! payout under them, and compare with the market price after fees.
//!
//! The forecasting core is reached through [`PathSource`], so the same pricing code serves
//! `portcast price`, every step of the backtest (which is only pricing at past as-of dates), and
//! tests that feed closed-form distributions.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use thiserror::Error;

use super::contract::{Contract, ContractError};
use super::file::{Baseline, Market, MarketKind, Target};
use super::sizing::{FeeSchedule, Side, Sizer, SizingError};
use crate::analysis::distribution::PredictiveDistribution;
use crate::forecast::{ForecastError, ModelKind};
use crate::model::{Frequency, Period};
use crate::store::{Store, StoreError};

#[derive(Debug, Error)]
pub enum PriceError {
    #[error(
        "market `{market}`: no known value of `{series}` at the as-of date to anchor the target"
    )]
    NothingKnown { market: String, series: String },
    #[error("market `{market}`: the target {target} is already known (settled at {value})")]
    AlreadyKnown {
        market: String,
        target: Period,
        value: f64,
    },
    #[error("market `{market}`: forecast: {error}")]
    Forecast {
        market: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: PathsError,
    },
    #[error("market `{market}`: {error}")]
    Contract {
        market: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: ContractError,
    },
    #[error("market `{market}`: {error}")]
    Sizing {
        market: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: SizingError,
    },
    #[error("market `{market}`: bucket fair prices sum to {sum}, not 1")]
    BucketsDoNotSum { market: String, sum: f64 },
    #[error("market `{market}`: baseline of `{series}` for {period} is not known")]
    Baseline {
        market: String,
        series: String,
        period: Period,
    },
    #[error(
        "market `{market}` (markets file line {line}): `{key}`: {target} is {steps} periods after \
         the last figure {origin}; at most {max} are forecast (README, Limits)",
        max = crate::limits::MAX_HORIZON
    )]
    TooFar {
        market: String,
        line: usize,
        key: &'static str,
        target: Period,
        origin: Period,
        steps: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What is wrong with the sample paths of a [`PathSource`]: none could be made, or the ones
/// made do not serve the market.
#[derive(Debug, Error)]
pub enum PathsError {
    #[error("`{series}` has no history to forecast from as of {as_of}")]
    NoHistory { series: String, as_of: String },
    #[error("{until} is already in the history of {series}")]
    InHistory { until: Period, series: String },
    #[error("{kind} could not be fitted to `{series}` (it fell back to {model})")]
    FellBack {
        kind: ModelKind,
        series: String,
        model: String,
    },
    /// Shared: a failed preparation is memoised and reported to every market that asks.
    #[error(transparent)]
    Forecast(Arc<ForecastError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("paths from {origin} do not reach {target}")]
    NotReached { origin: Period, target: Period },
    #[error("fewer forecasts than components")]
    TooFew,
    #[error("components have different path counts")]
    PathCounts,
}

impl From<ForecastError> for PathsError {
    fn from(e: ForecastError) -> Self {
        PathsError::Forecast(Arc::new(e))
    }
}

/// Sample paths of one series beyond its forecast origin.
#[derive(Clone, Debug)]
pub struct SeriesPaths {
    /// The last period the forecast starts from; horizon index 0 is `origin.next()`.
    pub origin: Period,
    pub dist: PredictiveDistribution,
    /// For paths drawn jointly with others: the correlation of this series' shocks with each
    /// series of the same call, in order (1 with itself); empty when drawn alone.
    pub correlation: Vec<f64>,
}

impl SeriesPaths {
    /// The 0-based horizon index of `period`, if the paths reach it.
    pub fn horizon_of(&self, period: Period) -> Option<usize> {
        let steps = self.origin.steps_to(&period);
        (steps >= 1 && (steps as usize) <= self.dist.horizons()).then(|| steps as usize - 1)
    }
}

/// What pricing needs from the forecasting core.
pub trait PathSource {
    /// Joint sample paths for `series` on grid `freq`, fitted only on what is known at `as_of`,
    /// reaching at least `until` for every series. Path `j` of every returned distribution is
    /// the same joint draw (so baskets see the components' joint behaviour).
    fn paths(
        &self,
        store: &Store,
        series: &[&str],
        freq: Frequency,
        as_of: DateTime<Utc>,
        until: Period,
    ) -> Result<Vec<SeriesPaths>, PathsError>;

    /// The last period the source's forecast of `series` would start after, when it knows one
    /// beyond the store's last official value (a nowcast estimates months not yet printed). A
    /// rolling target ("the next period") is counted from the later of the two.
    fn origin(
        &self,
        _store: &Store,
        _series: &str,
        _freq: Frequency,
        _as_of: DateTime<Utc>,
    ) -> Option<Period> {
        None
    }
}

/// One priced contract (one row of `portcast price`).
#[derive(Clone, Debug, PartialEq)]
pub struct PricedContract {
    pub market: String,
    /// What the row prices: `shanghai_teu 2024-01 > 4300000`, a bucket's name, ...
    pub contract: String,
    /// The settlement period(s).
    pub target: Vec<Period>,
    pub fair: f64,
    pub price: Option<f64>,
    pub edge: Option<f64>,
    pub fee: Option<f64>,
    pub edge_after_fees: Option<f64>,
    pub side: Option<Side>,
    pub kelly_fraction: Option<f64>,
}

/// A market priced at one as-of time.
#[derive(Clone, Debug)]
pub struct PricedMarket {
    pub market: String,
    pub rows: Vec<PricedContract>,
    /// Bucket sets: Σ prices − 1 at the given prices.
    pub overround: Option<f64>,
    /// The strike actually used (after resolving `k_change`).
    pub strike: Option<f64>,
    /// Sorted samples of the settlement value (one period, or a basket's composite), for scoring
    /// the whole distribution (CRPS) once the outcome is known; `None` for `within` markets.
    pub value_samples: Option<Vec<f64>>,
    /// The published figure of a market already settled at the as-of time (its rows' `fair`
    /// is then the payout on it), `None` for a market priced from the forecast.
    pub settled: Option<f64>,
}

/// The value of `series` on `freq` that is complete and known at `as_of`: the last one.
pub fn last_known(
    store: &Store,
    series: &str,
    freq: Frequency,
    as_of: DateTime<Utc>,
) -> Result<Option<(Period, f64)>, StoreError> {
    let view = store.view_at(series, as_of, Some(freq.max(store_grid(series))))?;
    Ok(view.complete_values().last().copied())
}

/// The value of a specific period known at `as_of`, if any.
pub fn known_value(
    store: &Store,
    series: &str,
    freq: Frequency,
    as_of: DateTime<Utc>,
    period: Period,
) -> Result<Option<f64>, StoreError> {
    let view = store.view_at(series, as_of, Some(freq.max(store_grid(series))))?;
    Ok(view
        .complete_values()
        .into_iter()
        .find(|(p, _)| *p == period)
        .map(|(_, v)| v))
}

fn store_grid(series: &str) -> Frequency {
    crate::series::catalog::spec(series).map_or(Frequency::Day, |s| s.period)
}

/// The settlement periods of a market at `as_of`: one period, or `n` for `within = n`.
pub fn target_periods(
    store: &Store,
    source: &dyn PathSource,
    market: &Market,
    as_of: DateTime<Utc>,
) -> Result<Vec<Period>, PriceError> {
    let anchor = || -> Result<Period, PriceError> {
        // "N periods after the last known": after the latest period every series has.
        let mut anchor: Option<Period> = None;
        for s in market.kind.series() {
            let known = last_known(store, s, market.freq, as_of)?.map(|(p, _)| p);
            let estimated = source.origin(store, s, market.freq, as_of);
            let p = known
                .max(estimated)
                .ok_or_else(|| PriceError::NothingKnown {
                    market: market.id.clone(),
                    series: s.to_string(),
                })?;
            anchor = Some(anchor.map_or(p, |a| a.min(p)));
        }
        Ok(anchor.expect("a market has a series"))
    };
    Ok(match market.target {
        Target::Period(p) => vec![p],
        Target::Horizon(n) if market.kind.series().len() > 1 => {
            vec![past_gaps(
                store,
                source,
                market,
                as_of,
                anchor()?.offset(i64::from(n)),
            )?]
        }
        Target::Horizon(n) => vec![anchor()?.offset(i64::from(n))],
        Target::Within(n) => {
            let a = anchor()?;
            (1..=i64::from(n)).map(|i| a.offset(i)).collect()
        }
    })
}

/// A basket's rolling target moved past the periods some component can neither show nor
/// forecast: a gap before that component's last figure (`data add la_teu 2024-02` with 2024-01
/// missing) is not known, and its forecast starts after it. The next period every component
/// either knows or forecasts is the one the basket can settle on.
fn past_gaps(
    store: &Store,
    source: &dyn PathSource,
    market: &Market,
    as_of: DateTime<Utc>,
    mut target: Period,
) -> Result<Period, PriceError> {
    let mut origins = Vec::new();
    for s in market.kind.series() {
        let known = last_known(store, s, market.freq, as_of)?.map(|(p, _)| p);
        if let Some(o) = known.max(source.origin(store, s, market.freq, as_of)) {
            origins.push((s, o));
        }
    }
    // Bounded by the origins: past the latest one every component forecasts.
    loop {
        let mut blocked = false;
        for (s, origin) in &origins {
            if target <= *origin && known_value(store, s, market.freq, as_of, target)?.is_none() {
                blocked = true;
                break;
            }
        }
        if !blocked {
            return Ok(target);
        }
        target = target.next();
    }
}

/// Price one market at `as_of`.
pub fn price_market(
    store: &Store,
    source: &dyn PathSource,
    market: &Market,
    as_of: DateTime<Utc>,
) -> Result<PricedMarket, PriceError> {
    let targets = target_periods(store, source, market, as_of)?;
    let until = *targets.last().expect("at least one target");
    let series = market.kind.series();
    // A single-period target whose value is already published is settled, not priced.
    if targets.len() == 1
        && let [s] = series.as_slice()
        && let Some(v) = known_value(store, s, market.freq, as_of, until)?
    {
        return Err(PriceError::AlreadyKnown {
            market: market.id.clone(),
            target: until,
            value: v,
        });
    }
    // A basket component whose target figure is already published enters as that figure (the
    // anchor is the earliest series' next period, so faster series may have printed it).
    let known_parts: Vec<Option<f64>> = match &market.kind {
        MarketKind::Basket { components, .. } => components
            .iter()
            .map(|c| known_value(store, &c.series, market.freq, as_of, until))
            .collect::<Result<_, _>>()?,
        _ => vec![None; series.len()],
    };
    let to_forecast: Vec<&str> = series
        .iter()
        .zip(&known_parts)
        .filter(|(_, known)| known.is_none())
        .map(|(s, _)| *s)
        .collect();
    // The documented limit on how far a forecast reaches: checked here, where the target and
    // the last figure meet, so a target in 9999 fails its market alone (never the run).
    for s in &to_forecast {
        let known = last_known(store, s, market.freq, as_of)?.map(|(p, _)| p);
        if let Some(origin) = known.max(source.origin(store, s, market.freq, as_of)) {
            let steps = if origin.frequency() == until.frequency() {
                origin.steps_to(&until)
            } else {
                0
            };
            if steps > crate::limits::MAX_HORIZON as i64 {
                return Err(PriceError::TooFar {
                    market: market.id.clone(),
                    line: market.line,
                    key: match market.target {
                        Target::Period(_) => "target",
                        Target::Horizon(_) => "horizon",
                        Target::Within(_) => "within",
                    },
                    target: until,
                    origin,
                    steps,
                });
            }
        }
    }
    let paths = if to_forecast.is_empty() {
        Vec::new()
    } else {
        source
            .paths(store, &to_forecast, market.freq, as_of, until)
            .map_err(|error| PriceError::Forecast {
                market: market.id.clone(),
                error,
            })?
    };
    let contract_err = |error| PriceError::Contract {
        market: market.id.clone(),
        error,
    };
    let horizons = |sp: &SeriesPaths| -> Result<Vec<usize>, PriceError> {
        targets
            .iter()
            .map(|t| {
                sp.horizon_of(*t).ok_or_else(|| PriceError::Forecast {
                    market: market.id.clone(),
                    error: PathsError::NotReached {
                        origin: sp.origin,
                        target: *t,
                    },
                })
            })
            .collect()
    };
    let label = targets
        .iter()
        .map(Period::to_string)
        .collect::<Vec<_>>()
        .join("..");
    let mut out = PricedMarket {
        market: market.id.clone(),
        rows: Vec::new(),
        overround: None,
        strike: None,
        value_samples: None,
        settled: None,
    };
    match &market.kind {
        MarketKind::Single {
            series,
            contract,
            relative_k,
        } => {
            let sp = &paths[0];
            let hs = horizons(sp)?;
            let contract = resolve_contract(store, market, series, contract, *relative_k, as_of)?;
            let fair = if hs.len() == 1 {
                out.value_samples = Some(
                    sp.dist
                        .marginal(hs[0])
                        .map_err(|e| contract_err(e.into()))?
                        .sorted()
                        .to_vec(),
                );
                contract.fair_price(&sp.dist, hs[0]).map_err(contract_err)?
            } else {
                // "Within": the event holds in any of the target periods of a joint path.
                sp.dist.prob_path(|path| {
                    hs.iter()
                        .any(|&h| contract.payout(path[h]).unwrap_or(0.0) >= 1.0)
                })
            };
            if let Contract::Binary { k, .. } = contract {
                out.strike = Some(k);
            }
            let text = format!("{series} {label} {}", describe(&contract));
            out.rows
                .push(row(market, text, targets.clone(), fair, market.price)?);
        }
        MarketKind::Buckets { series, set } => {
            let sp = &paths[0];
            let h = horizons(sp)?[0];
            let fairs = set.fair_prices(&sp.dist, h).map_err(contract_err)?;
            out.value_samples = Some(
                sp.dist
                    .marginal(h)
                    .map_err(|e| contract_err(e.into()))?
                    .sorted()
                    .to_vec(),
            );
            let sum: f64 = fairs.iter().sum();
            if (sum - 1.0).abs() > 1e-9 {
                return Err(PriceError::BucketsDoNotSum {
                    market: market.id.clone(),
                    sum,
                });
            }
            if let Some(prices) = &market.bucket_prices {
                out.overround = Some(set.overround(prices).map_err(contract_err)?);
            }
            for (i, ((name, _), fair)) in set.buckets().iter().zip(fairs).enumerate() {
                let price = market.bucket_prices.as_ref().map(|p| p[i]);
                out.rows.push(row(
                    market,
                    format!("{series} {label} {name}"),
                    targets.clone(),
                    fair,
                    price,
                )?);
            }
        }
        MarketKind::Basket {
            components,
            contract,
        } => {
            let target = until;
            let mut parts = Vec::new();
            let mut fixed = 0.0;
            let mut forecast = paths.iter();
            for (c, known) in components.iter().zip(&known_parts) {
                let base = match c.baseline {
                    Baseline::Value(v) => v,
                    Baseline::Period(p) => known_value(store, &c.series, market.freq, as_of, p)?
                        .ok_or_else(|| PriceError::Baseline {
                            market: market.id.clone(),
                            series: c.series.clone(),
                            period: p,
                        })?,
                    Baseline::YearAgo => {
                        let p = target.offset(-(market.freq.periods_per_year() as i64));
                        known_value(store, &c.series, market.freq, as_of, p)?.ok_or_else(|| {
                            PriceError::Baseline {
                                market: market.id.clone(),
                                series: c.series.clone(),
                                period: p,
                            }
                        })?
                    }
                };
                match known {
                    Some(v) => fixed += c.weight * v / base,
                    None => {
                        let sp = forecast.next().ok_or_else(|| PriceError::Forecast {
                            market: market.id.clone(),
                            error: PathsError::TooFew,
                        })?;
                        parts.push((c.weight / base, horizons(sp)?[0], sp));
                    }
                }
            }
            let Some(first) = paths.first() else {
                return Err(PriceError::AlreadyKnown {
                    market: market.id.clone(),
                    target,
                    value: fixed,
                });
            };
            let n = first.dist.n_paths();
            if paths.iter().any(|sp| sp.dist.n_paths() != n) {
                return Err(PriceError::Forecast {
                    market: market.id.clone(),
                    error: PathsError::PathCounts,
                });
            }
            // Path j of every component is the same joint draw: combine them path by path.
            let mut composite = vec![fixed; n];
            for (w, h, sp) in &parts {
                for (acc, path) in composite.iter_mut().zip(sp.dist.paths()) {
                    *acc += w * path[*h];
                }
            }
            let dist = PredictiveDistribution::from_marginal_samples(composite)
                .map_err(|e| contract_err(ContractError::Distribution(e)))?;
            let fair = contract.fair_price(&dist, 0).map_err(contract_err)?;
            out.value_samples = Some(
                dist.marginal(0)
                    .map_err(|e| contract_err(e.into()))?
                    .sorted()
                    .to_vec(),
            );
            let names = components
                .iter()
                .map(|c| format!("{}×{}", c.weight, c.series))
                .collect::<Vec<_>>()
                .join(" + ");
            // The dependence the joint paths carry, shown so that a reader can see it is not
            // priced as independent.
            let forecast_series: Vec<&str> = components
                .iter()
                .zip(&known_parts)
                .filter(|(_, k)| k.is_none())
                .map(|(c, _)| c.series.as_str())
                .collect();
            let mut rho = Vec::new();
            for (i, a) in paths.iter().enumerate() {
                for (j, r) in a.correlation.iter().enumerate().skip(i + 1) {
                    if let (Some(x), Some(y)) = (forecast_series.get(i), forecast_series.get(j)) {
                        rho.push(format!("ρ({x},{y})={r:.2}"));
                    }
                }
            }
            let rho = if rho.is_empty() {
                String::new()
            } else {
                format!(" [shock correlation {}]", rho.join(", "))
            };
            out.rows.push(row(
                market,
                format!("basket {label} ({names}) {}{rho}", describe(contract)),
                targets.clone(),
                fair,
                market.price,
            )?);
        }
    }
    Ok(out)
}

/// A market whose target figure `value` for `target` is already published at `as_of`: not a
/// failure but a settled market, each row's `fair` the payout on that figure (a point mass),
/// with no edge or side (there is nothing left to trade).
pub fn settled_market(
    store: &Store,
    market: &Market,
    target: Period,
    value: f64,
    as_of: DateTime<Utc>,
) -> Result<PricedMarket, PriceError> {
    let contract_err = |error| PriceError::Contract {
        market: market.id.clone(),
        error,
    };
    let dist = PredictiveDistribution::from_marginal_samples(vec![value])
        .map_err(|e| contract_err(ContractError::Distribution(e)))?;
    let figure = crate::output::format_number(value);
    let settled_row = |contract: String, fair: f64| PricedContract {
        market: market.id.clone(),
        contract,
        target: vec![target],
        fair,
        price: None,
        edge: None,
        fee: None,
        edge_after_fees: None,
        side: None,
        kelly_fraction: None,
    };
    let mut out = PricedMarket {
        market: market.id.clone(),
        rows: Vec::new(),
        overround: None,
        strike: None,
        value_samples: Some(vec![value]),
        settled: Some(value),
    };
    match &market.kind {
        MarketKind::Single {
            series,
            contract,
            relative_k,
        } => {
            let contract = resolve_contract(store, market, series, contract, *relative_k, as_of)?;
            let payout = contract.fair_price(&dist, 0).map_err(contract_err)?;
            out.rows.push(settled_row(
                format!(
                    "{series} {target} {} settled at {figure}",
                    describe(&contract)
                ),
                payout,
            ));
        }
        MarketKind::Buckets { series, set } => {
            let payouts = set.fair_prices(&dist, 0).map_err(contract_err)?;
            for ((name, _), payout) in set.buckets().iter().zip(payouts) {
                out.rows.push(settled_row(
                    format!("{series} {target} {name} settled at {figure}"),
                    payout,
                ));
            }
        }
        MarketKind::Basket { contract, .. } => {
            let payout = contract.fair_price(&dist, 0).map_err(contract_err)?;
            out.rows.push(settled_row(
                format!("basket {target} {} settled at {figure}", describe(contract)),
                payout,
            ));
        }
    }
    Ok(out)
}

/// The contract of a single-series market as it stands at `as_of`: a binary strike given as a
/// change (`k_change`) is set on the last value of `series` known then.
pub fn resolve_contract(
    store: &Store,
    market: &Market,
    series: &str,
    contract: &Contract,
    relative_k: Option<f64>,
    as_of: DateTime<Utc>,
) -> Result<Contract, PriceError> {
    Ok(match (contract, relative_k) {
        (Contract::Binary { strike, .. }, Some(change)) => {
            let (_, last) = last_known(store, series, market.freq, as_of)?.ok_or_else(|| {
                PriceError::NothingKnown {
                    market: market.id.clone(),
                    series: series.to_string(),
                }
            })?;
            Contract::Binary {
                strike: *strike,
                // A relative strike is set in the series' own precision (cents, points).
                k: crate::trade::round_cents(last * (1.0 + change)),
            }
        }
        (c, _) => *c,
    })
}

/// A contract in words: `≥ 3061.33`, `in [a, b]`, `scalar lower..upper`.
pub fn describe(c: &Contract) -> String {
    match c {
        Contract::Binary { strike, k } => format!("{strike} {}", crate::output::format_number(*k)),
        Contract::Bracket { a, b } => format!(
            "in [{}, {}]",
            crate::output::format_number(*a),
            crate::output::format_number(*b)
        ),
        Contract::Scalar { lower, upper } => {
            format!(
                "scalar {}..{}",
                crate::output::format_number(*lower),
                crate::output::format_number(*upper)
            )
        }
    }
}

fn row(
    market: &Market,
    contract: String,
    target: Vec<Period>,
    fair: f64,
    price: Option<f64>,
) -> Result<PricedContract, PriceError> {
    let mut r = PricedContract {
        market: market.id.clone(),
        contract,
        target,
        fair,
        price,
        edge: None,
        fee: None,
        edge_after_fees: None,
        side: None,
        kelly_fraction: None,
    };
    if let Some(p) = price {
        let sizing = |error| PriceError::Sizing {
            market: market.id.clone(),
            error,
        };
        let sizer = Sizer::new(
            FeeSchedule::new(market.fee_coefficient).map_err(sizing)?,
            market.kelly_fraction,
        )
        .map_err(sizing)?;
        let q = sizer
            .quote(fair.clamp(0.0, 1.0), p, market.contracts)
            .map_err(sizing)?;
        r.edge = Some(q.edge);
        r.fee = Some(q.fee);
        r.edge_after_fees = Some(q.edge_after_fees);
        r.side = Some(q.side);
        r.kelly_fraction = Some(q.kelly_fraction);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::markets::file;
    use crate::model::{Observation, Precision, end_of_day, start_of_day};
    use chrono::NaiveDate;
    use statrs::distribution::{ContinuousCDF, Normal as SNormal};
    use std::sync::Arc;

    /// Paths from independent Normal(μ, σ) per horizon, stratified so the sample CDF is within
    /// 1/n of the true one (the closed-form checks need 1e-3).
    struct NormalPaths {
        mu: f64,
        sigma: f64,
    }

    impl PathSource for NormalPaths {
        fn paths(
            &self,
            store: &Store,
            series: &[&str],
            freq: Frequency,
            as_of: DateTime<Utc>,
            until: Period,
        ) -> Result<Vec<SeriesPaths>, PathsError> {
            let n = 10_000;
            let normal = SNormal::new(self.mu, self.sigma).unwrap();
            series
                .iter()
                .map(|s| {
                    let (origin, _) = last_known(store, s, freq, as_of).unwrap().unwrap();
                    let h = origin.steps_to(&until) as usize;
                    let mut samples = Vec::with_capacity(n * h);
                    for j in 0..n {
                        for _ in 0..h {
                            samples.push(normal.inverse_cdf((j as f64 + 0.5) / n as f64));
                        }
                    }
                    Ok(SeriesPaths {
                        origin,
                        dist: PredictiveDistribution::from_paths(h, samples).unwrap(),
                        correlation: Vec::new(),
                    })
                })
                .collect()
        }
    }

    fn store_with_la() -> Store {
        let obs = (1..=6)
            .map(|m| Observation {
                series: Arc::from("la_teu"),
                period: Period::month(2024, m).unwrap(),
                value: 800_000.0,
                unit: Arc::from("TEU"),
                precision: Precision::Exact,
                source: Arc::from("test"),
                known_at: start_of_day(NaiveDate::from_ymd_opt(2024, m + 1, 20).unwrap()),
            })
            .collect();
        Store::from_observations(obs)
    }

    fn market(contract: &str, extra: &str) -> Market {
        let text = format!(
            "[[market]]\nid = \"m\"\nquestion = \"q\"\nseries = \"la_teu\"\nhorizon = 1\nsettlement = \"s\"\ncontract = {contract}\n{extra}\n"
        );
        file::parse("t.toml", &text).unwrap().remove(0)
    }

    #[test]
    fn fair_prices_match_normal_closed_forms() {
        let (mu, sigma) = (850_000.0, 50_000.0);
        let source = NormalPaths { mu, sigma };
        let store = store_with_la();
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 25).unwrap());
        let n = SNormal::new(mu, sigma).unwrap();

        let binary = price_market(
            &store,
            &source,
            &market(
                r#"{ type = "binary", strike = "greater", k = 900000 }"#,
                "price = 0.10",
            ),
            as_of,
        )
        .unwrap();
        let r = &binary.rows[0];
        assert_eq!(r.target, vec![Period::month(2024, 7).unwrap()]);
        assert!(
            (r.fair - n.sf(900_000.0)).abs() < 1e-3,
            "{} vs {}",
            r.fair,
            n.sf(900_000.0)
        );
        // Fair ≈ 0.159 vs price 0.10: YES; fee = ceil(0.07·100·0.1·0.9) = 0.63 per 100 → 0.0063 each.
        assert_eq!(r.side, Some(Side::Yes));
        assert!((r.fee.unwrap() - 0.0063).abs() < 1e-12);

        let bracket = price_market(
            &store,
            &source,
            &market(r#"{ type = "bracket", a = 800000, b = 900000 }"#, ""),
            as_of,
        )
        .unwrap();
        assert!((bracket.rows[0].fair - (n.cdf(900_000.0) - n.cdf(800_000.0))).abs() < 1e-3);

        // E[clamp((X−L)/(U−L),0,1)] for a Normal, by Simpson integration over ±8σ.
        let (l, u) = (800_000.0, 950_000.0);
        let pdf = |x: f64| {
            (-0.5 * ((x - mu) / sigma).powi(2)).exp()
                / (sigma * (2.0 * std::f64::consts::PI).sqrt())
        };
        let g = |x: f64| ((x - l) / (u - l)).clamp(0.0, 1.0) * pdf(x);
        let (a, b, m) = (mu - 8.0 * sigma, mu + 8.0 * sigma, 20_000);
        let hstep = (b - a) / m as f64;
        let simpson: f64 = (0..=m)
            .map(|i| {
                let w = if i == 0 || i == m {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                w * g(a + i as f64 * hstep)
            })
            .sum::<f64>()
            * hstep
            / 3.0;
        let scalar = price_market(
            &store,
            &source,
            &market(r#"{ type = "scalar", lower = 800000, upper = 950000 }"#, ""),
            as_of,
        )
        .unwrap();
        assert!(
            (scalar.rows[0].fair - simpson).abs() < 1e-3,
            "{} vs {simpson}",
            scalar.rows[0].fair
        );
    }

    #[test]
    fn bucket_sets_sum_to_one_and_report_overround() {
        let store = store_with_la();
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 25).unwrap());
        let m = market(
            r#"{ type = "buckets", step = 1, buckets = [ { name = "low", upper = 799999 }, { name = "mid", lower = 800000, upper = 899999 }, { name = "high", lower = 900000 } ] }"#,
            "prices = [0.2, 0.5, 0.4]",
        );
        let priced = price_market(
            &store,
            &NormalPaths {
                mu: 850_000.0,
                sigma: 50_000.0,
            },
            &m,
            as_of,
        )
        .unwrap();
        let sum: f64 = priced.rows.iter().map(|r| r.fair).sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert!((priced.overround.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(priced.rows.len(), 3);
    }

    #[test]
    fn a_relative_strike_uses_the_last_known_value() {
        let store = store_with_la();
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 25).unwrap());
        let m = market(
            r#"{ type = "binary", strike = "greater_or_equal", k_change = 0.10 }"#,
            "",
        );
        let priced = price_market(
            &store,
            &NormalPaths {
                mu: 850_000.0,
                sigma: 50_000.0,
            },
            &m,
            as_of,
        )
        .unwrap();
        assert!((priced.strike.unwrap() - 880_000.0).abs() < 1e-6);
        // Before anything is known there is nothing to anchor on.
        let early = end_of_day(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
        assert!(matches!(
            price_market(
                &store,
                &NormalPaths {
                    mu: 0.0,
                    sigma: 1.0
                },
                &m,
                early
            ),
            Err(PriceError::NothingKnown { .. })
        ));
    }

    #[test]
    fn within_prices_the_union_over_joint_paths() {
        let store = store_with_la();
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 25).unwrap());
        let text = "[[market]]\nid = \"w\"\nquestion = \"q\"\nseries = \"la_teu\"\nwithin = 2\nsettlement = \"s\"\ncontract = { type = \"binary\", strike = \"greater\", k = 900000 }\n";
        let m = file::parse("t.toml", text).unwrap().remove(0);
        // Stratified draws repeat the same value in both horizons of a path: P(any) = P(one).
        let priced = price_market(
            &store,
            &NormalPaths {
                mu: 850_000.0,
                sigma: 50_000.0,
            },
            &m,
            as_of,
        )
        .unwrap();
        let n = SNormal::new(850_000.0, 50_000.0).unwrap();
        assert!((priced.rows[0].fair - n.sf(900_000.0)).abs() < 1e-3);
        assert_eq!(priced.rows[0].target.len(), 2);
    }

    /// The issue's sizing checks through `price_market` (not only `Sizer`): a Normal(850k, 50k)
    /// forecast gives a fair YES price of 0.1587 for "> 900,000" (1 − Φ(1) = 0.158655; the
    /// stratified draws put 1,587 of 10,000 paths above the strike).
    #[test]
    fn priced_rows_size_with_kelly_and_round_fees_up() {
        let store = store_with_la();
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 25).unwrap());
        let source = NormalPaths {
            mu: 850_000.0,
            sigma: 50_000.0,
        };
        let binary = r#"{ type = "binary", strike = "greater", k = 900000 }"#;
        let priced = |extra: &str| {
            price_market(&store, &source, &market(binary, extra), as_of)
                .unwrap()
                .rows
                .remove(0)
        };
        // Fee-free, full Kelly: the textbook fractions with q = fair.
        let yes = priced("price = 0.10\nfee_coefficient = 0\nkelly_fraction = 1");
        let q = yes.fair;
        assert!((q - 0.1587).abs() < 1e-12, "{q}");
        assert_eq!(yes.side, Some(Side::Yes));
        assert!((yes.kelly_fraction.unwrap() - (q - 0.10) / (1.0 - 0.10)).abs() < 1e-12);
        let no = priced("price = 0.30\nfee_coefficient = 0\nkelly_fraction = 1");
        assert_eq!(no.side, Some(Side::No));
        assert!((no.kelly_fraction.unwrap() - (0.30 - q) / 0.30).abs() < 1e-12);
        assert!((no.edge.unwrap() - (q - 0.30)).abs() < 1e-12);
        // The fractional multiplier scales it.
        let quarter = priced("price = 0.30\nfee_coefficient = 0\nkelly_fraction = 0.25");
        assert!((quarter.kelly_fraction.unwrap() - 0.25 * (0.30 - q) / 0.30).abs() < 1e-12);

        // Fee of one contract at 0.33: 0.07 × 0.33 × 0.67 = 0.015477 → rounded up to 0.02.
        let one = priced("price = 0.33\ncontracts = 1");
        assert!((one.fee.unwrap() - 0.02).abs() < 1e-12);
        assert!((one.edge_after_fees.unwrap() - ((0.33 - q) - 0.02)).abs() < 1e-12);
        // 100 contracts at 0.33: 0.07 × 100 × 0.2211 = 1.5477 → 1.55, i.e. 0.0155 each.
        let hundred = priced("price = 0.33\ncontracts = 100");
        assert!((hundred.fee.unwrap() - 0.0155).abs() < 1e-12);

        // An edge smaller than the fee: at 0.15 one contract pays ceil(0.8925¢) = 0.01 and the
        // edge is 0.0087, so no trade and no stake; at 0.14 the edge 0.0187 clears the 0.01 fee.
        let thin = priced("price = 0.15\ncontracts = 1");
        assert!((thin.edge.unwrap() - 0.0087).abs() < 1e-12);
        assert!((thin.fee.unwrap() - 0.01).abs() < 1e-12);
        assert_eq!(thin.side, Some(Side::None));
        assert_eq!(thin.kelly_fraction, Some(0.0));
        let wide = priced("price = 0.14\ncontracts = 1");
        assert_eq!(wide.side, Some(Side::Yes));
        assert!(wide.kelly_fraction.unwrap() > 0.0);
    }

    /// A basket whose faster component has already printed the target period prices with that
    /// figure and forecasts only the other (before, it asked the faster series' forecast for a
    /// period already in its history and failed).
    #[test]
    fn a_basket_uses_components_already_printed() {
        let mut obs: Vec<Observation> = (1..=7)
            .map(|m| Observation {
                series: Arc::from("long_beach_teu"),
                period: Period::month(2024, m).unwrap(),
                value: 800_000.0,
                unit: Arc::from("TEU"),
                precision: Precision::Exact,
                source: Arc::from("test"),
                known_at: start_of_day(NaiveDate::from_ymd_opt(2024, m, 28).unwrap()),
            })
            .collect();
        obs.extend(store_with_la().observations("la_teu").iter().cloned());
        let store = Store::from_observations(obs);
        let text = "[[market]]\nid = \"b\"\nquestion = \"q\"\nhorizon = 1\nsettlement = \"s\"\ncontract = { type = \"basket\", payout = { type = \"binary\", strike = \"greater\", k = 1.05 }, components = [ { series = \"la_teu\", weight = 0.5, baseline_value = 800000 }, { series = \"long_beach_teu\", weight = 0.5, baseline_value = 800000 } ] }\n";
        let m = file::parse("t.toml", text).unwrap().remove(0);
        // (Synthetic figures.) As of 29 July LA is known to June, Long Beach to July: the
        // target is July, where Long Beach contributes 0.5 × 800k/800k = 0.5 and LA
        // 0.5 × X/800k with X ~ N(850k, 50k).
        let as_of = end_of_day(NaiveDate::from_ymd_opt(2024, 7, 29).unwrap());
        let priced = price_market(
            &store,
            &NormalPaths {
                mu: 850_000.0,
                sigma: 50_000.0,
            },
            &m,
            as_of,
        )
        .unwrap();
        assert_eq!(priced.rows[0].target, vec![Period::month(2024, 7).unwrap()]);
        // 0.5 + 0.5·X/800k > 1.05 ⇔ X > 880,000: P = 1 − Φ(0.6) = 0.274253.
        let n = SNormal::new(850_000.0, 50_000.0).unwrap();
        assert!((priced.rows[0].fair - n.sf(880_000.0)).abs() < 1e-3);
    }
}
