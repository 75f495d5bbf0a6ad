//! Landed cost of a shipment under freight-rate scenarios from the SCFI forecast, and the SCFI
//! markets that hedge it on the same joint paths (`portcast landed-cost`).
//!
//! Which rate prices the lane (the [`Basis`]):
//! - `route = "uswc"`: the SCFI Shanghai → US West Coast series `scfi_uswc` (USD per FEU), when
//!   it can be forecast and its last print is as recent as the composite's. Otherwise the
//!   composite `scfi` scaled by the ratio of the last USWC print to the composite print of that
//!   day (or the nearest earlier one) — stated as such, since the ratio between a route and the
//!   composite drifts. The bundled data has 8 USWC prints (2016–2017): too few to forecast.
//! - `route = "composite"`: the composite scaled to the lane's own last known rate
//!   (`lane.known_rate`, e.g. the forwarder's last quote) and the composite print at that date.
//! - CFR/CIF goods: the seller books and pays the freight; the landed cost does not move with it.
//!
//! The rate of the ship date's ISO week: when that week's print is known at the as-of time (a
//! past ship date), the print itself, a point mass; otherwise the forecast's paths at that week
//! (`crate::markets::price::PathSource`, the same forecasting core `portcast price` uses).
//!
//! Hedges: every single-contract market on the weekly composite `scfi` in the markets file. One
//! `PathSource::paths` call covers the rate series and `scfi` up to the later of the ship week
//! and every contract's target, so path `j` of the landed cost and of every payout is one joint
//! draw; the number of contracts is the minimum-variance hedge on those paths
//! (`crate::trade::landed::evaluate_hedge`). A contract pays 1 in the goods' currency (USD for
//! FOB goods), worth the FX selling rate in home currency: dollars the importer needs anyway.

use chrono::{DateTime, NaiveDate, Utc};
use thiserror::Error;

use super::contract::Contract;
use super::file::{Market, MarketKind};
use super::price::{self, PathSource, PathsError, SeriesPaths};
use crate::model::{Frequency, Period};
use crate::store::{Store, StoreError};
use crate::trade::TradeError;
use crate::trade::landed::{Hedge, LandedCosts, Route, Shipment, evaluate_hedge};

/// The SCFI composite index (points): what the bundled markets settle on.
pub const COMPOSITE: &str = "scfi";
/// The SCFI Shanghai → US West Coast rate (USD per FEU).
pub const USWC: &str = "scfi_uswc";

#[derive(Debug, Error)]
pub enum FreightError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no print of `{series}` is known as of {as_of}")]
    NothingKnown { series: String, as_of: String },
    #[error(
        "no SCFI USWC print is known as of {as_of} to scale the composite to; give the lane \
         route = \"composite\" and its last known rate (lane.known_rate)"
    )]
    NoUswcPrint { as_of: String },
    #[error(
        "no SCFI composite print is known at or before {date} (as of {as_of}) to scale to {what}"
    )]
    NoCompositePrint {
        date: NaiveDate,
        as_of: String,
        what: String,
    },
    #[error(
        "lane.known_rate is dated {date}, after the as-of date {as_of}: a result as of {as_of} \
         cannot use it"
    )]
    KnownRateAfterAsOf { date: NaiveDate, as_of: String },
    #[error(
        "ship_date: the ship week {ship_week} is {steps} weeks after the last complete week \
         {origin} known; at most {max} are forecast (README, Limits)",
        max = crate::limits::MAX_HORIZON
    )]
    ShipDateTooFar {
        ship_week: Period,
        origin: Period,
        steps: i64,
    },
    #[error("freight forecast ({series}): {error}")]
    Forecast {
        series: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: PathsError,
    },
    #[error(transparent)]
    Trade(#[from] TradeError),
}

/// Where the lane's freight rate comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Basis {
    /// CFR/CIF goods: the seller pays the freight.
    NotExposed,
    /// The lane's own SCFI route series, in USD per container.
    Route { series: String },
    /// The composite index scaled to a known rate of the lane.
    Scaled(Anchor),
}

/// A known rate of the lane and the composite print it is matched with.
#[derive(Clone, Debug, PartialEq)]
pub struct Anchor {
    /// What the rate is: "USWC" (the route's last print) or "the lane's known rate".
    pub what: String,
    pub rate: f64,
    pub date: NaiveDate,
    pub composite: f64,
    pub composite_date: NaiveDate,
    /// Why the route's own series is not used, e.g. "USWC has too little history to forecast
    /// (8 prints)".
    pub reason: Option<String>,
}

impl Anchor {
    /// USD per container per composite point.
    pub fn factor(&self) -> f64 {
        self.rate / self.composite
    }
}

impl Basis {
    /// The series whose paths give the rate, if the rate matters.
    pub fn series(&self) -> Option<&str> {
        match self {
            Basis::NotExposed => None,
            Basis::Route { series } => Some(series),
            Basis::Scaled(_) => Some(COMPOSITE),
        }
    }

    /// USD per container per unit of the series.
    pub fn factor(&self) -> f64 {
        match self {
            Basis::Scaled(a) => a.factor(),
            _ => 1.0,
        }
    }

    /// The basis in words, for the output's `basis` row.
    pub fn describe(&self) -> String {
        match self {
            Basis::NotExposed => "none: the seller pays the freight (CFR/CIF)".into(),
            Basis::Route { series } => format!("{series} (the lane's own SCFI route)"),
            Basis::Scaled(a) => {
                let (what, rate, composite) = (&a.what, num(a.rate), num(a.composite));
                let ratio = if a.composite_date == a.date {
                    format!("{what} {rate} / composite {composite} on {}", a.date)
                } else {
                    format!(
                        "{what} {rate} on {} / composite {composite} on {}",
                        a.date, a.composite_date
                    )
                };
                format!("composite SCFI × {:.2} ({ratio})", a.factor())
            }
        }
    }

    /// One sentence for the log: why and how the rate is derived.
    pub fn statement(&self) -> String {
        match self {
            Basis::Scaled(a) => {
                let scaled = format!(
                    "composite SCFI scaled by {}/{} = {:.2} from {}",
                    num(a.rate),
                    num(a.composite),
                    a.factor(),
                    a.composite_date
                );
                match &a.reason {
                    Some(r) => format!("{r}; {scaled}"),
                    None => format!("{scaled} ({})", a.what),
                }
            }
            other => format!("freight basis: {}", other.describe()),
        }
    }
}

/// How the ship week's rate is known.
#[derive(Clone, Debug, PartialEq)]
pub enum RateSource {
    /// The rate does not matter (CFR/CIF goods).
    NotNeeded,
    /// The week's print is published: a point mass. `period` is the ship week, or the last week
    /// before it with a print; `value` is in the series' unit, before scaling.
    Known { period: Period, value: f64 },
    /// Forecast from `origin` (the last complete week known), `steps` weeks ahead.
    Forecast { origin: Period, steps: i64 },
}

/// One market used as a hedge.
#[derive(Clone, Debug, PartialEq)]
pub struct HedgeRow {
    pub market: String,
    /// `scfi 2021-W04 ≥ 3061.33`.
    pub contract: String,
    pub target: Vec<Period>,
    /// P(YES) on the joint paths: the contract's fair price.
    pub fair: f64,
    /// The market's YES price, if the file gives one.
    pub price: Option<f64>,
    /// The hedge held at the market price (at the fair price when there is none).
    pub hedge: Hedge,
    /// The hedge that cuts the spread of the landed cost the most.
    pub best: bool,
}

/// The landed cost of one shipment as of one time.
#[derive(Clone, Debug)]
pub struct LandedResult {
    pub shipment: Shipment,
    pub as_of: DateTime<Utc>,
    pub ship_week: Period,
    pub containers: u32,
    pub basis: Basis,
    pub source: RateSource,
    /// Landed cost per unit, one per joint path (one value if nothing needed a forecast).
    pub costs: LandedCosts,
    pub hedges: Vec<HedgeRow>,
    /// Markets on the composite not used as hedges, and why.
    pub skipped: Skipped,
}

/// A market on the composite that can be held against the freight cost.
struct Candidate<'a> {
    market: &'a Market,
    contract: Contract,
    targets: Vec<Period>,
}

/// The landed cost of `shipment` as of `as_of`, with the hedges the `markets` offer.
pub fn landed_cost(
    store: &Store,
    source: &dyn PathSource,
    shipment: &Shipment,
    markets: &[Market],
    as_of: DateTime<Utc>,
) -> Result<LandedResult, FreightError> {
    let ship_week = Period::containing(shipment.ship_date, Frequency::Week);
    let containers = shipment.containers()?;
    let (candidates, skipped) = hedge_candidates(store, source, markets, as_of)?;
    let on = |basis: Basis| -> Result<(Basis, Scenarios), FreightError> {
        let s = scenarios(
            store,
            source,
            shipment,
            &basis,
            ship_week,
            &candidates,
            as_of,
        )?;
        Ok((basis, s))
    };
    let (basis, scenarios) = match (shipment.pays_freight(), shipment.lane.route) {
        (false, _) => on(Basis::NotExposed)?,
        (true, Route::Composite) => on(Basis::Scaled(known_rate_anchor(store, shipment, as_of)?))?,
        (true, Route::Uswc) => {
            let route = on(Basis::Route {
                series: USWC.into(),
            });
            match route_or_reason(store, source, as_of, route)? {
                Ok(done) => done,
                Err(reason) => {
                    let (date, rate) = last_print(store, USWC, as_of)?
                        .ok_or_else(|| FreightError::NoUswcPrint { as_of: day(as_of) })?;
                    on(Basis::Scaled(anchor(
                        store,
                        "USWC",
                        rate,
                        date,
                        Some(reason.to_string()),
                        as_of,
                    )?))?
                }
            }
        }
    };
    Ok(LandedResult {
        shipment: shipment.clone(),
        as_of,
        ship_week,
        containers,
        basis,
        source: scenarios.source,
        costs: scenarios.costs,
        hedges: scenarios.hedges,
        skipped: skipped.into_iter().chain(scenarios.skipped).collect(),
    })
}

/// Markets on the composite not used as hedges, with the reason.
type Skipped = Vec<(String, String)>;

/// What one basis gives: the rate's source, the landed costs, the hedges.
struct Scenarios {
    source: RateSource,
    costs: LandedCosts,
    hedges: Vec<HedgeRow>,
    /// Candidates the paths could not price.
    skipped: Skipped,
}

/// Why the route's own series gives way to the composite scaled to its last print.
#[derive(Clone, Debug, PartialEq, Error)]
enum RouteFallback {
    #[error("USWC has too little history ({prints} prints)")]
    TooLittleHistory { prints: usize },
    #[error("USWC has no history as of {as_of}")]
    NoHistory { as_of: String },
    #[error("USWC's last complete week ({route}) is older than the composite's ({composite})")]
    Stale { route: Period, composite: Period },
}

/// The route's own scenarios, or why the composite has to stand in: the USWC series could not
/// be forecast (too little history), or its last complete week is older than the composite's.
fn route_or_reason(
    store: &Store,
    source: &dyn PathSource,
    as_of: DateTime<Utc>,
    route: Result<(Basis, Scenarios), FreightError>,
) -> Result<Result<(Basis, Scenarios), RouteFallback>, FreightError> {
    Ok(match route {
        Err(FreightError::Forecast { error, .. }) => {
            tracing::debug!("{USWC} could not be forecast: {error}");
            let prints = store
                .view(USWC, as_of)?
                .points
                .iter()
                .filter(|p| p.precision.is_value())
                .count();
            Err(RouteFallback::TooLittleHistory { prints })
        }
        Err(FreightError::NothingKnown { .. }) => {
            Err(RouteFallback::NoHistory { as_of: day(as_of) })
        }
        Err(e) => return Err(e),
        Ok(done) => match stale(store, source, as_of)? {
            None => Ok(done),
            Some(reason) => Err(reason),
        },
    })
}

/// The composite print matched with the lane's own known rate (`lane.known_rate`), which must
/// not be dated after the as-of time.
fn known_rate_anchor(
    store: &Store,
    shipment: &Shipment,
    as_of: DateTime<Utc>,
) -> Result<Anchor, FreightError> {
    let known = shipment
        .lane
        .known_rate
        .as_ref()
        .expect("Shipment::validate requires known_rate for a composite lane");
    if known.date > as_of.date_naive() {
        return Err(FreightError::KnownRateAfterAsOf {
            date: known.date,
            as_of: day(as_of),
        });
    }
    anchor(
        store,
        "the lane's known rate",
        known.usd_per_container,
        known.date,
        None,
        as_of,
    )
}

/// Why a forecastable USWC series is still not used: its last complete week is older than the
/// composite's (the composite then knows more recent freight than the route does).
fn stale(
    store: &Store,
    source: &dyn PathSource,
    as_of: DateTime<Utc>,
) -> Result<Option<RouteFallback>, FreightError> {
    let u = origin(store, source, USWC, as_of)?;
    let c = origin(store, source, COMPOSITE, as_of).ok();
    Ok(match c {
        Some(c) if u < c => Some(RouteFallback::Stale {
            route: u,
            composite: c,
        }),
        _ => None,
    })
}

/// The rate scenarios on one basis, and the hedges on the same paths.
fn scenarios(
    store: &Store,
    source: &dyn PathSource,
    shipment: &Shipment,
    basis: &Basis,
    ship_week: Period,
    candidates: &[Candidate<'_>],
    as_of: DateTime<Utc>,
) -> Result<Scenarios, FreightError> {
    let mut until: Option<Period> = candidates
        .iter()
        .flat_map(|c| c.targets.iter())
        .copied()
        .max();
    let rate_source = match basis.series() {
        None => RateSource::NotNeeded,
        Some(series) => {
            let origin = origin(store, source, series, as_of)?;
            if ship_week <= origin {
                let view = store.view_at(series, as_of, Some(Frequency::Week))?;
                let (period, value) = view
                    .complete_values()
                    .into_iter()
                    .rfind(|(p, _)| *p <= ship_week)
                    .ok_or_else(|| FreightError::NothingKnown {
                        series: series.into(),
                        as_of: day(as_of),
                    })?;
                RateSource::Known { period, value }
            } else {
                let steps = origin.steps_to(&ship_week);
                if steps > crate::limits::MAX_HORIZON as i64 {
                    return Err(FreightError::ShipDateTooFar {
                        ship_week,
                        origin,
                        steps,
                    });
                }
                until = Some(until.map_or(ship_week, |u| u.max(ship_week)));
                RateSource::Forecast {
                    origin,
                    steps: origin.steps_to(&ship_week),
                }
            }
        }
    };
    // The series to draw jointly: the rate's (if forecast) and the composite (if hedging).
    let mut series: Vec<&str> = Vec::new();
    if let (RateSource::Forecast { .. }, Some(s)) = (&rate_source, basis.series()) {
        series.push(s);
    }
    if !candidates.is_empty() && !series.contains(&COMPOSITE) {
        series.push(COMPOSITE);
    }
    let paths: Option<Vec<SeriesPaths>> = match until {
        Some(until) if !series.is_empty() => Some(
            source
                .paths(store, &series, Frequency::Week, as_of, until)
                .map_err(|error| FreightError::Forecast {
                    series: series.join(", "),
                    error,
                })?,
        ),
        _ => None,
    };
    let n = paths.as_ref().map_or(1, |p| p[0].dist.n_paths());
    let factor = basis.factor();
    let rates: Vec<f64> = match &rate_source {
        RateSource::NotNeeded => vec![0.0; n],
        RateSource::Known { value, .. } => vec![value * factor; n],
        RateSource::Forecast { .. } => {
            let sp = &paths.as_ref().expect("a forecast rate has paths")[0];
            let h = sp
                .horizon_of(ship_week)
                .ok_or_else(|| FreightError::Forecast {
                    series: series[0].into(),
                    error: PathsError::NotReached {
                        origin: sp.origin,
                        target: ship_week,
                    },
                })?;
            sp.dist.paths().map(|p| p[h] * factor).collect()
        }
    };
    let costs = shipment.landed_costs(rates)?;
    let mut hedges = Vec::new();
    let mut skipped = Skipped::new();
    if let Some(paths) = &paths
        && let Some(i) = series.iter().position(|s| *s == COMPOSITE)
    {
        let sp = &paths[i];
        for c in candidates {
            match hedge_row(shipment, &costs, sp, c) {
                Ok(row) => hedges.push(row),
                Err(why) => skipped.push((c.market.id.clone(), why.to_string())),
            }
        }
    }
    let best = hedges
        .iter()
        .enumerate()
        .filter(|(_, r)| r.hedge.contracts > 0)
        .min_by(|a, b| a.1.hedge.std.total_cmp(&b.1.hedge.std))
        .map(|(i, _)| i);
    if let Some(i) = best {
        hedges[i].best = true;
    }
    Ok(Scenarios {
        source: rate_source,
        costs,
        hedges,
        skipped,
    })
}

/// Why a candidate contract makes no hedge: the paths do not reach its target.
#[derive(Clone, Debug, PartialEq, Error)]
#[error("its target {target} is not among the forecast weeks after {origin}")]
struct Unhedgeable {
    target: Period,
    origin: Period,
}

/// One contract's payouts on the joint paths and the hedge they make.
fn hedge_row(
    shipment: &Shipment,
    costs: &LandedCosts,
    sp: &SeriesPaths,
    c: &Candidate<'_>,
) -> Result<HedgeRow, Unhedgeable> {
    let hs: Vec<usize> = c
        .targets
        .iter()
        .map(|t| {
            sp.horizon_of(*t).ok_or(Unhedgeable {
                target: *t,
                origin: sp.origin,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // "Within" markets hold if the event holds in any target period, as `portcast price` has it.
    let payout: Vec<f64> = sp
        .dist
        .paths()
        .map(|path| match hs.as_slice() {
            [h] => c.contract.payout(path[*h]).unwrap_or(0.0),
            _ => {
                let any = hs
                    .iter()
                    .any(|&h| c.contract.payout(path[h]).unwrap_or(0.0) >= 1.0);
                f64::from(u8::from(any))
            }
        })
        .collect();
    let fair = payout.iter().sum::<f64>() / payout.len() as f64;
    let price = c.market.price;
    let hedge = evaluate_hedge(
        costs,
        &payout,
        shipment.fx.selling_rate,
        price.unwrap_or(fair),
        shipment.units(),
    );
    let label = c
        .targets
        .iter()
        .map(Period::to_string)
        .collect::<Vec<_>>()
        .join("..");
    Ok(HedgeRow {
        market: c.market.id.clone(),
        contract: format!("{COMPOSITE} {label} {}", price::describe(&c.contract)),
        target: c.targets.clone(),
        fair,
        price,
        hedge,
        best: false,
    })
}

/// The markets on the weekly composite that can be held against the cost, and the others on the
/// composite with the reason they are not.
fn hedge_candidates<'a>(
    store: &Store,
    source: &dyn PathSource,
    markets: &'a [Market],
    as_of: DateTime<Utc>,
) -> Result<(Vec<Candidate<'a>>, Skipped), FreightError> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for m in markets {
        let mut skip = |why: String| skipped.push((m.id.clone(), why));
        match &m.kind {
            MarketKind::Single {
                series,
                contract,
                relative_k,
            } if series == COMPOSITE => {
                if m.freq != Frequency::Week {
                    skip(format!(
                        "settles on the {} grid; the freight scenarios are weekly",
                        m.freq
                    ));
                    continue;
                }
                let targets = match price::target_periods(store, source, m, as_of) {
                    Ok(t) => t,
                    Err(e) => {
                        skip(e.to_string());
                        continue;
                    }
                };
                if let [t] = targets.as_slice()
                    && let Some(v) = price::known_value(store, series, m.freq, as_of, *t)?
                {
                    skip(format!("settled: {t} is already known ({})", num(v)));
                    continue;
                }
                match price::resolve_contract(store, m, series, contract, *relative_k, as_of) {
                    Ok(contract) => out.push(Candidate {
                        market: m,
                        contract,
                        targets,
                    }),
                    Err(e) => skip(e.to_string()),
                }
            }
            MarketKind::Buckets { series, .. } if series == COMPOSITE => {
                skip("a bucket set is not one contract to hold; hedges use single contracts".into())
            }
            MarketKind::Basket { components, .. }
                if components.iter().any(|c| c.series == COMPOSITE) =>
            {
                skip("a basket's payout depends on other series too".into())
            }
            _ => {}
        }
    }
    Ok((out, skipped))
}

/// The last complete week of `series` a forecast would start after.
fn origin(
    store: &Store,
    source: &dyn PathSource,
    series: &str,
    as_of: DateTime<Utc>,
) -> Result<Period, FreightError> {
    let known = price::last_known(store, series, Frequency::Week, as_of)?.map(|(p, _)| p);
    known
        .max(source.origin(store, series, Frequency::Week, as_of))
        .ok_or_else(|| FreightError::NothingKnown {
            series: series.into(),
            as_of: day(as_of),
        })
}

/// The last print of `series` (at its own daily grid) known at `as_of`.
fn last_print(
    store: &Store,
    series: &str,
    as_of: DateTime<Utc>,
) -> Result<Option<(NaiveDate, f64)>, FreightError> {
    print_on_or_before(store, series, NaiveDate::MAX, as_of)
}

fn print_on_or_before(
    store: &Store,
    series: &str,
    date: NaiveDate,
    as_of: DateTime<Utc>,
) -> Result<Option<(NaiveDate, f64)>, FreightError> {
    Ok(store
        .view(series, as_of)?
        .points
        .iter()
        .rfind(|p| p.precision.is_value() && p.period.start() <= date)
        .map(|p| (p.period.start(), p.value)))
}

/// A known rate matched with the composite print of its date or the nearest earlier one.
fn anchor(
    store: &Store,
    what: &str,
    rate: f64,
    date: NaiveDate,
    reason: Option<String>,
    as_of: DateTime<Utc>,
) -> Result<Anchor, FreightError> {
    let (composite_date, composite) = print_on_or_before(store, COMPOSITE, date, as_of)?
        .ok_or_else(|| FreightError::NoCompositePrint {
            date,
            as_of: day(as_of),
            what: what.into(),
        })?;
    Ok(Anchor {
        what: what.into(),
        rate,
        date,
        composite,
        composite_date,
        reason,
    })
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

fn num(v: f64) -> String {
    crate::output::format_number(v)
}
