//! Landed cost of an import under freight-rate scenarios, and the prediction-market hedge that
//! best offsets it.
//!
//! A shipment file (TOML, `data/shipment.example.toml`) describes the goods, packing, lane,
//! insurance, commission, currency, duty, a budget per unit and the shipping date. Given samples
//! of the lane's freight rate per container at the shipping date — whatever produced them:
//! `crate::markets::freight` draws them from the SCFI forecast — each sample gives a landed cost
//! per unit through the same trade-term arithmetic as `quote` (this module's neighbours `quote`
//! and `weight`): the distribution of landed cost ([`LandedCosts`]), P(cost > budget), and, given
//! the payouts of a freight contract on the same joint samples, the number of contracts whose
//! payout best offsets the cost ([`hedge_contracts`], [`evaluate_hedge`]).
//!
//! The landed cost per unit of FOB goods, with `r` the freight rate per container, `n` the
//! containers, `u` the units:
//!
//! ```text
//! CFR  = FOB + n·r/u
//! CIF  = CFR / (1 − (1 + markup) · insurance rate)
//! paid = CIF / (1 − commission)                       (a buying agent's commission in the price)
//! landed = paid · FX selling rate + duty rate · (CIF or FOB) · FX selling rate + other costs
//! ```
//!
//! It is affine in `r`, so the cost at the median rate is the median cost. CFR and CIF goods
//! carry no freight risk for the buyer: the seller books and pays the freight, and the cost does
//! not move with the rate. Only sea FCL is priced (the SCFI quotes per container).

use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::Term;
use super::quote::{self, FxRate};
use super::weight::{self, ContainerSpec};
use super::{TradeError, non_negative, positive, unit_rate};
use crate::analysis::distribution::PredictiveDistribution;

/// Quantile levels of the landed-cost summary (Hyndman–Fan type 7, as everywhere in portcast).
pub const LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// A shipment as written in its TOML file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    pub goods: Goods,
    pub packing: Packing,
    pub lane: Lane,
    #[serde(default)]
    pub insurance: Insurance,
    /// Buying agent's commission included in the price paid, as a fraction (0 by default):
    /// paid = CIF / (1 − commission).
    #[serde(default)]
    pub commission: f64,
    pub fx: Fx,
    /// Import duty as a fraction of the customs value (0 by default).
    #[serde(default)]
    pub duty_rate: f64,
    /// What the duty is assessed on: `cif` (the EU, China, the UK, Japan) or `fob` (the United
    /// States, Canada, Australia). Default `cif`.
    #[serde(default)]
    pub duty_basis: DutyBasis,
    /// Other costs per unit in home currency (port charges, trucking, customs broker).
    #[serde(default)]
    pub other_costs_per_unit: f64,
    /// The most the importer can pay per unit landed, in home currency.
    pub budget_per_unit: f64,
    /// When the goods sail: the freight rate of that ISO week applies. A TOML date
    /// (`2021-02-05`) or a string (`"2021-02-05"`).
    #[serde(deserialize_with = "date")]
    pub ship_date: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Goods {
    pub description: String,
    /// Price per unit in the quote currency, on `term`.
    pub unit_price: f64,
    pub quantity: u32,
    /// FOB: the importer pays the freight (and bears its risk); CFR/CIF: the seller does.
    pub term: Term,
    /// The quote currency. FOB goods must be quoted in USD: the freight rate (SCFI) is in USD.
    pub currency: String,
}

/// The whole shipment's packed weight and volume (what the containers must hold).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Packing {
    pub gross_kg: f64,
    pub volume_m3: f64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub origin: String,
    pub destination: String,
    /// The SCFI route whose rate prices this lane (default `uswc`).
    #[serde(default)]
    pub route: Route,
    /// The container the goods travel in (default `forty_foot`; SCFI's US unit is the FEU).
    #[serde(default)]
    pub container: ContainerKind,
    /// The lane's last known rate per container (e.g. the forwarder's last quote): required for
    /// `route = "composite"`, whose index points are scaled to it.
    pub known_rate: Option<KnownRate>,
}

/// Which SCFI series prices a lane.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// Shanghai → US West Coast, USD per FEU (`scfi_uswc`; the composite scaled to its last
    /// print when the route has too little history to forecast).
    #[default]
    Uswc,
    /// A lane without its own SCFI route: the composite index scaled to `lane.known_rate`.
    Composite,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Uswc => "uswc",
            Route::Composite => "composite",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rate per container (USD) observed on a date.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KnownRate {
    pub usd_per_container: f64,
    #[serde(deserialize_with = "date")]
    pub date: NaiveDate,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    #[default]
    FortyFoot,
    FortyFootHighCube,
}

impl ContainerKind {
    pub fn spec(self) -> ContainerSpec {
        match self {
            ContainerKind::FortyFoot => ContainerSpec::FORTY_FOOT,
            ContainerKind::FortyFootHighCube => ContainerSpec::FORTY_FOOT_HIGH_CUBE,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DutyBasis {
    #[default]
    Cif,
    Fob,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Insurance {
    pub rate: f64,
    #[serde(default = "default_markup")]
    pub markup: f64,
}

impl Default for Insurance {
    fn default() -> Self {
        Insurance {
            rate: 0.0,
            markup: quote::DEFAULT_MARKUP,
        }
    }
}

fn default_markup() -> f64 {
    quote::DEFAULT_MARKUP
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fx {
    pub home_currency: String,
    /// The bank's selling rate: home currency per unit of the quote currency (1 if the same).
    pub selling_rate: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ShipmentError {
    #[error("cannot read shipment file {path}: {error}")]
    Read {
        path: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: std::io::Error,
    },
    #[error("shipment file {path}: {message}")]
    Invalid { path: String, message: String },
}

/// "line L, column C" of the value of a dotted key (`insurance.rate`) in TOML text.
fn locate(text: &str, key: &str) -> Option<String> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut table = root.get_ref();
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let value = table.get(part)?;
        if parts.peek().is_none() {
            let before = &text[..value.span().start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            return Some(format!("line {line}, column {column}"));
        }
        match value.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    None
}

/// Reads a date from a TOML date literal (handed over by the toml crate as a one-entry map) or a
/// string, so `ship_date = 2021-02-05` and `ship_date = "2021-02-05"` both work.
fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    struct DateVisitor;

    fn parse<E: de::Error>(s: &str) -> Result<NaiveDate, E> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| E::custom(format!("`{s}` is not a date (YYYY-MM-DD)")))
    }

    impl<'de> Visitor<'de> for DateVisitor {
        type Value = NaiveDate;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a date such as 2021-02-05")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<NaiveDate, E> {
            parse(s)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NaiveDate, A::Error> {
            let _: Option<de::IgnoredAny> = map.next_key()?;
            let text: String = map.next_value()?;
            parse(&text)
        }
    }

    d.deserialize_any(DateVisitor)
}

impl Shipment {
    pub fn read(path: &Path) -> Result<Shipment, ShipmentError> {
        let label = path.display().to_string();
        let text = crate::limits::read_text_capped(path, crate::limits::MAX_TOML_FILE_BYTES)
            .map_err(|error| ShipmentError::Read {
                path: label.clone(),
                error,
            })?;
        Shipment::parse(&label, &text)
    }

    /// Parse and check a shipment: every error names the line and column of the key at fault
    /// (TOML syntax, unknown keys and types from the parser; ranges and consistency from
    /// [`Shipment::validate`]), so a bad file never reaches the scenarios.
    pub fn parse(label: &str, text: &str) -> Result<Shipment, ShipmentError> {
        let invalid = |message: String| ShipmentError::Invalid {
            path: label.to_string(),
            message,
        };
        let s: Shipment = toml::from_str(text)
            .map_err(|e| invalid(crate::limits::describe_toml_error(text, &e)))?;
        s.validate().map_err(|(key, message)| {
            invalid(match locate(text, key) {
                Some(at) => format!("{at}: {message}"),
                None => message,
            })
        })?;
        Ok(s)
    }

    /// Check every number and the consistency of the terms. The error carries the dotted key
    /// at fault (`insurance.rate`) and the message.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let check = |key: &'static str, r: Result<f64, TradeError>| {
            r.map(|_| ()).map_err(|e| (key, e.to_string()))
        };
        check(
            "goods.unit_price",
            non_negative("goods.unit_price", self.goods.unit_price),
        )?;
        check("goods.quantity", positive("goods.quantity", self.units()))?;
        check(
            "packing.gross_kg",
            non_negative("packing.gross_kg", self.packing.gross_kg),
        )?;
        check(
            "packing.volume_m3",
            non_negative("packing.volume_m3", self.packing.volume_m3),
        )?;
        check(
            "insurance.rate",
            unit_rate("insurance.rate", self.insurance.rate),
        )?;
        check(
            "insurance.markup",
            non_negative("insurance.markup", self.insurance.markup),
        )?;
        check(
            "insurance.rate",
            quote::insurance_premium(1.0, self.insurance.rate, self.insurance.markup),
        )?;
        check("commission", unit_rate("commission", self.commission))?;
        check(
            "fx.selling_rate",
            positive("fx.selling_rate", self.fx.selling_rate),
        )?;
        check("duty_rate", unit_rate("duty_rate", self.duty_rate))?;
        check(
            "other_costs_per_unit",
            non_negative("other_costs_per_unit", self.other_costs_per_unit),
        )?;
        check(
            "budget_per_unit",
            positive("budget_per_unit", self.budget_per_unit),
        )?;
        if self.goods.term == Term::Fob && !self.goods.currency.eq_ignore_ascii_case("USD") {
            return Err((
                "goods.currency",
                format!(
                    "goods.currency `{}`: FOB goods pay the freight, which the SCFI quotes in USD \
                     per container; quote the goods in USD or use a CFR/CIF price",
                    self.goods.currency
                ),
            ));
        }
        if self.duty_basis == DutyBasis::Fob && !self.pays_freight() && self.duty_rate > 0.0 {
            return Err((
                "duty_basis",
                format!(
                    "duty_basis = \"fob\" needs FOB goods: the freight inside a {} price is not \
                     known, so neither is its FOB value",
                    self.goods.term
                ),
            ));
        }
        match (&self.lane.route, &self.lane.known_rate) {
            (Route::Composite, None) => {
                return Err((
                    "lane.route",
                    "lane.route = \"composite\" needs lane.known_rate = { usd_per_container = …, \
                     date = … }: the composite is an index, scaled to the lane's last known rate"
                        .into(),
                ));
            }
            (Route::Uswc, Some(_)) => {
                return Err((
                    "lane.known_rate",
                    "lane.known_rate is for route = \"composite\"; route \"uswc\" takes its rate \
                     from the SCFI USWC prints"
                        .into(),
                ));
            }
            (Route::Composite, Some(k)) => check(
                "lane.known_rate.usd_per_container",
                positive("lane.known_rate.usd_per_container", k.usd_per_container),
            )?,
            (Route::Uswc, None) => {}
        }
        // Whatever the checks above missed (a container count out of range) shows here.
        check("packing", self.landed_cost_per_unit(0.0))
    }

    /// Units shipped.
    pub fn units(&self) -> f64 {
        f64::from(self.goods.quantity)
    }

    /// Whether the importer pays (and bears the risk of) the freight: FOB goods.
    pub fn pays_freight(&self) -> bool {
        self.goods.term == Term::Fob
    }

    /// Containers the shipment fills (by volume or payload).
    pub fn containers(&self) -> Result<u32, TradeError> {
        weight::containers_needed(
            self.packing.gross_kg,
            self.packing.volume_m3,
            &self.lane.container.spec(),
        )
    }

    /// Landed cost per unit in home currency when the freight rate is `rate_per_container`
    /// (USD, the quote currency of FOB goods); the formula is in the module doc.
    pub fn landed_cost_per_unit(&self, rate_per_container: f64) -> Result<f64, TradeError> {
        let rate = non_negative("freight rate", rate_per_container)?;
        let units = positive("goods.quantity", self.units())?;
        let price = non_negative("goods.unit_price", self.goods.unit_price)?;
        let freight_per_unit = match self.goods.term {
            Term::Fob => f64::from(self.containers()?) * rate / units,
            Term::Cfr | Term::Cif => 0.0,
        };
        let ins = &self.insurance;
        let (cif, fob) = match self.goods.term {
            Term::Fob => (
                quote::convert(
                    price + freight_per_unit,
                    Term::Cfr,
                    Term::Cif,
                    0.0,
                    ins.rate,
                    ins.markup,
                )?,
                price,
            ),
            // The seller's freight inside a CFR/CIF price is not known, so neither is its FOB
            // value: `parse` refuses duty on FOB for these terms, and the CIF value stands in.
            Term::Cfr => {
                let cif = quote::convert(price, Term::Cfr, Term::Cif, 0.0, ins.rate, ins.markup)?;
                (cif, cif)
            }
            Term::Cif => (price, price),
        };
        let paid = quote::with_commission(cif, self.commission)?;
        let fx = FxRate::per_unit(self.fx.selling_rate)?;
        let duty_rate = unit_rate("duty_rate", self.duty_rate)?;
        let customs_value = match self.duty_basis {
            DutyBasis::Cif => cif,
            DutyBasis::Fob => fob,
        };
        let other = non_negative("other_costs_per_unit", self.other_costs_per_unit)?;
        Ok(quote::importer_pays(paid, fx)?
            + quote::importer_pays(duty_rate * customs_value, fx)?
            + other)
    }

    /// Landed cost per unit for each freight-rate sample, in the samples' order (sample `j` of a
    /// contract's payouts lines up with cost `j`).
    pub fn landed_costs(&self, rates: Vec<f64>) -> Result<LandedCosts, TradeError> {
        LandedCosts::new(self, rates)
    }
}

/// Landed cost per unit over freight-rate scenarios.
#[derive(Clone, Debug)]
pub struct LandedCosts {
    /// Freight rate per container, per scenario.
    pub rates: Vec<f64>,
    /// Landed cost per unit in home currency, per scenario (same order as `rates`).
    pub costs: Vec<f64>,
    /// The budget per unit the probabilities refer to.
    pub budget: f64,
    /// The deterministic landed cost at the median rate.
    pub at_median_rate: f64,
    cost_dist: PredictiveDistribution,
    rate_dist: PredictiveDistribution,
}

impl LandedCosts {
    fn new(shipment: &Shipment, rates: Vec<f64>) -> Result<LandedCosts, TradeError> {
        if rates.is_empty() {
            return Err(TradeError::NoSamples);
        }
        let costs = rates
            .iter()
            .map(|r| shipment.landed_cost_per_unit(*r))
            .collect::<Result<Vec<f64>, TradeError>>()?;
        // Rates were checked finite and non-negative and costs are finite functions of them, so
        // neither distribution can be refused.
        let rate_dist = PredictiveDistribution::from_marginal_samples(rates.clone())
            .expect("checked, non-empty rates");
        let cost_dist = PredictiveDistribution::from_marginal_samples(costs.clone())
            .expect("finite, non-empty costs");
        let median_rate = quantile(&rate_dist, 0.5);
        Ok(LandedCosts {
            at_median_rate: shipment.landed_cost_per_unit(median_rate)?,
            rates,
            costs,
            budget: shipment.budget_per_unit,
            cost_dist,
            rate_dist,
        })
    }

    /// Number of scenarios.
    pub fn len(&self) -> usize {
        self.costs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.costs.is_empty()
    }

    /// Type-7 quantile of the landed cost per unit, `p` in [0, 1].
    pub fn quantile(&self, p: f64) -> f64 {
        quantile(&self.cost_dist, p)
    }

    /// Type-7 quantile of the freight rate per container.
    pub fn rate_quantile(&self, p: f64) -> f64 {
        quantile(&self.rate_dist, p)
    }

    pub fn mean(&self) -> f64 {
        mean(&self.costs)
    }

    /// Standard deviation of the landed cost per unit over the scenarios (population form: the
    /// scenarios are the distribution, not a sample of it).
    pub fn std(&self) -> f64 {
        std(&self.costs)
    }

    /// P(landed cost per unit > `level`).
    pub fn prob_over(&self, level: f64) -> f64 {
        self.cost_dist
            .prob_above(0, level)
            .expect("horizon 0 exists")
    }

    /// P(landed cost per unit > budget).
    pub fn p_over_budget(&self) -> f64 {
        self.prob_over(self.budget)
    }

    /// The landed costs sorted ascending (for a CDF chart).
    pub fn sorted(&self) -> &[f64] {
        self.cost_dist
            .marginal(0)
            .expect("horizon 0 exists")
            .sorted()
    }
}

fn quantile(d: &PredictiveDistribution, p: f64) -> f64 {
    d.quantile(0, p.clamp(0.0, 1.0))
        .expect("a clamped level on horizon 0")
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn std(x: &[f64]) -> f64 {
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

/// The minimum-variance number of contracts `N` to hold against a cost: the `N` minimising the
/// variance of `cost − N·payout/units` over the joint samples, i.e. `units · Cov(cost, payout) /
/// Var(payout)`. `cost_per_unit` and `payout` (per contract) must be in the same currency.
///
/// Signed: positive means hold YES contracts (they pay when the cost is high), negative means
/// the payout moves against the cost, so the hedge is |N| NO contracts (a NO pays 1 − YES, with
/// the opposite covariance). Zero when the payout does not vary (it cannot hedge anything).
pub fn hedge_contracts(cost_per_unit: &[f64], payout: &[f64], units: f64) -> f64 {
    let n = cost_per_unit.len().min(payout.len());
    if n < 2 {
        return 0.0;
    }
    let mc = mean(&cost_per_unit[..n]);
    let mp = mean(&payout[..n]);
    let (mut cov, mut var) = (0.0, 0.0);
    for i in 0..n {
        cov += (cost_per_unit[i] - mc) * (payout[i] - mp);
        var += (payout[i] - mp).powi(2);
    }
    // A payout constant up to float noise (a contract already certain on every path) has no
    // variance to hedge with.
    if var <= 1e-12 * n as f64 * mp.abs().max(1.0).powi(2) {
        0.0
    } else {
        units * cov / var
    }
}

/// Which side of a binary contract a hedge holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HedgeSide {
    /// YES contracts: they pay when freight is high.
    Yes,
    /// NO contracts: the YES event is "freight low" (a `less` strike).
    No,
    /// Fewer than half a contract: no hedge.
    None,
}

impl HedgeSide {
    pub fn as_str(self) -> &'static str {
        match self {
            HedgeSide::Yes => "yes",
            HedgeSide::No => "no",
            HedgeSide::None => "none",
        }
    }
}

/// A hedge held in whole contracts, and what it does to the landed cost per unit.
#[derive(Clone, Debug, PartialEq)]
pub struct Hedge {
    /// The minimum-variance contracts before rounding, signed as in [`hedge_contracts`].
    pub ratio: f64,
    pub side: HedgeSide,
    /// Whole contracts held: `|ratio|` rounded.
    pub contracts: u64,
    /// Mean landed cost per unit with the hedge, its premium included.
    pub mean: f64,
    /// Standard deviation of the hedged landed cost per unit.
    pub std: f64,
    /// P(hedged landed cost per unit > budget), premium included.
    pub p_over_budget: f64,
}

/// The hedge of `costs` with a contract paying `payout[j]` YES (0..1) on scenario `j`, each unit
/// of payout worth `value` in home currency, bought at the YES price `yes_price` (a NO costs
/// 1 − price). The hedged cost per unit on scenario `j` is
/// `cost[j] + N·value/units · (premium − payout of the side held)`.
pub fn evaluate_hedge(
    costs: &LandedCosts,
    payout: &[f64],
    value: f64,
    yes_price: f64,
    units: f64,
) -> Hedge {
    let valued: Vec<f64> = payout.iter().map(|p| p * value).collect();
    let ratio = hedge_contracts(&costs.costs, &valued, units);
    let contracts = ratio.abs().round() as u64;
    let side = match (contracts, ratio > 0.0) {
        (0, _) => HedgeSide::None,
        (_, true) => HedgeSide::Yes,
        (_, false) => HedgeSide::No,
    };
    // Per unit of shipment: N contracts' value spread over the units, signed by the side held
    // (a NO pays 1 − YES and costs 1 − price, so its net is the YES net with the sign flipped).
    let sign = match side {
        HedgeSide::Yes => 1.0,
        HedgeSide::No => -1.0,
        HedgeSide::None => 0.0,
    };
    let per_unit = sign * contracts as f64 * value / units;
    let hedged: Vec<f64> = costs
        .costs
        .iter()
        .zip(payout)
        .map(|(c, p)| c + per_unit * (yes_price - p))
        .collect();
    let over = hedged.iter().filter(|c| **c > costs.budget).count();
    Hedge {
        ratio,
        side,
        contracts,
        mean: mean(&hedged),
        std: std(&hedged),
        p_over_budget: over as f64 / hedged.len() as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPMENT: &str = r#"
budget_per_unit = 95.0
ship_date = "2024-03-15"
[goods]
description = "LED desk lamps"
unit_price = 12.0
quantity = 5000
term = "FOB"
currency = "USD"
[packing]
gross_kg = 6000
volume_m3 = 60
[lane]
origin = "Shanghai"
destination = "Los Angeles"
[insurance]
rate = 0.003
[fx]
home_currency = "CNY"
selling_rate = 7.20
"#;

    fn shipment() -> Shipment {
        Shipment::parse("s.toml", SHIPMENT).unwrap()
    }

    #[test]
    fn a_point_mass_rate_gives_the_deterministic_formula() {
        let s = shipment();
        assert_eq!(s.containers().unwrap(), 1); // 60 m³ fits one 40' (67 m³)
        // FOB 12 + 2000/5000 = 12.40 CFR; CIF = 12.40 / (1 − 1.1 × 0.003) = 12.441055…; × 7.20
        let expected = 12.4 / (1.0 - 1.1 * 0.003) * 7.20;
        assert!((s.landed_cost_per_unit(2000.0).unwrap() - expected).abs() < 1e-9);
        // Monotone in the freight rate for FOB goods; flat for CIF goods.
        assert!(s.landed_cost_per_unit(4000.0).unwrap() > s.landed_cost_per_unit(2000.0).unwrap());
        let cif = Shipment::parse(
            "s.toml",
            &SHIPMENT.replace("term = \"FOB\"", "term = \"CIF\""),
        )
        .unwrap();
        assert_eq!(
            cif.landed_cost_per_unit(2000.0).unwrap(),
            cif.landed_cost_per_unit(4000.0).unwrap()
        );
    }

    #[test]
    fn commission_duty_and_other_costs() {
        let s = Shipment::parse(
            "s.toml",
            &SHIPMENT.replace(
                "budget_per_unit = 95.0",
                "budget_per_unit = 95.0\ncommission = 0.05\nduty_rate = 0.10\nother_costs_per_unit = 1.5",
            ),
        )
        .unwrap();
        // CIF 12.441055…; paid 12.441055/0.95; duty 10% of CIF; all × 7.20; + 1.5.
        let cif = 12.4 / (1.0 - 1.1 * 0.003);
        let expected = (cif / 0.95 + 0.10 * cif) * 7.20 + 1.5;
        assert!((s.landed_cost_per_unit(2000.0).unwrap() - expected).abs() < 1e-9);
        // The same duty on FOB (the US customs value) is 10% of 12.
        let fob = Shipment {
            duty_basis: DutyBasis::Fob,
            ..s
        };
        let expected = (cif / 0.95 + 0.10 * 12.0) * 7.20 + 1.5;
        assert!((fob.landed_cost_per_unit(2000.0).unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn dates_as_toml_dates_or_strings() {
        let s =
            Shipment::parse("s.toml", &SHIPMENT.replace("\"2024-03-15\"", "2024-03-15")).unwrap();
        assert_eq!(s.ship_date, NaiveDate::from_ymd_opt(2024, 3, 15).unwrap());
        let e = Shipment::parse(
            "s.toml",
            &SHIPMENT.replace("\"2024-03-15\"", "\"15/03/2024\""),
        )
        .unwrap_err();
        assert!(e.to_string().contains("line 3, column 13"), "{e}");
        assert!(e.to_string().contains("is not a date"), "{e}");
    }

    #[test]
    fn bad_files_are_refused_with_reasons() {
        let bad = |from: &str, to: &str| {
            Shipment::parse("s.toml", &SHIPMENT.replace(from, to))
                .unwrap_err()
                .to_string()
        };
        // Range errors point at the key's value, as syntax errors do.
        let e = bad("rate = 0.003", "rate = 1.5");
        assert!(
            e.contains("line 17, column 8: insurance.rate must be a fraction"),
            "{e}"
        );
        let e = bad("rate = 0.003", "rate = 0.95");
        assert!(
            e.contains("line 17, column 8: (1 + markup) · insurance_rate must be below 1"),
            "{e}"
        );
        let e = bad("quantity", "qty");
        assert!(e.contains("unknown field `qty`"), "{e}");
        assert!(e.contains("line 7, column 1"), "{e}");
        let e = bad("currency = \"USD\"", "currency = \"EUR\"");
        assert!(e.contains("FOB goods pay the freight"), "{e}");
        let e = bad(
            "destination = \"Los Angeles\"",
            "destination = \"LA\"\nroute = \"europe\"",
        );
        assert!(e.contains("unknown variant `europe`"), "{e}");
        let e = bad(
            "destination = \"Los Angeles\"",
            "destination = \"LA\"\nroute = \"composite\"",
        );
        assert!(
            e.contains("line 16, column 9: lane.route = \"composite\" needs"),
            "{e}"
        );
        let e = bad(
            "destination = \"Los Angeles\"",
            "destination = \"LA\"\nroute = \"composite\"\nknown_rate = { usd_per_container = -1, date = 2020-01-03 }",
        );
        assert!(
            e.contains("line 17, column 36: lane.known_rate.usd_per_container must be greater"),
            "{e}"
        );
        let e = bad("budget_per_unit = 95.0", "budget_per_unit = 0");
        assert!(
            e.contains("line 2, column 19: budget_per_unit must be greater than zero"),
            "{e}"
        );
        let e = bad("quantity = 5000", "quantity = 0");
        assert!(
            e.contains("goods.quantity must be greater than zero"),
            "{e}"
        );
        let e = bad("selling_rate = 7.20", "selling_rate = -7.2");
        assert!(e.contains("must be greater than zero"), "{e}");
    }

    #[test]
    fn summaries_of_the_scenarios() {
        let s = shipment();
        // Rates 1000, 2000, …, 5000: costs are affine in the rate, so the type-7 quantiles of
        // cost are the cost of the rate quantiles.
        let rates: Vec<f64> = (1..=5).map(|i| 1000.0 * f64::from(i)).collect();
        let c = s.landed_costs(rates).unwrap();
        let cost = |r: f64| s.landed_cost_per_unit(r).unwrap();
        assert!((c.quantile(0.5) - cost(3000.0)).abs() < 1e-9);
        assert!((c.at_median_rate - cost(3000.0)).abs() < 1e-9);
        // type 7 at 0.25 on 5 points: index 1 exactly → rate 2000.
        assert!((c.quantile(0.25) - cost(2000.0)).abs() < 1e-9);
        assert!((c.mean() - cost(3000.0)).abs() < 1e-9);
        // P(cost > budget): budget between cost(3000) and cost(4000) → 2 of 5.
        let budget = (cost(3000.0) + cost(4000.0)) / 2.0;
        assert_eq!(c.prob_over(budget), 0.4);
        assert!(matches!(s.landed_costs(vec![]), Err(TradeError::NoSamples)));
        assert!(s.landed_costs(vec![f64::NAN]).is_err());
    }

    #[test]
    fn the_hedge_ratio_is_the_regression_slope() {
        // cost = 10 + 2·payout exactly: N per unit = 2, × 100 units = 200 contracts.
        let payout = [0.0, 1.0, 0.0, 1.0, 1.0];
        let cost: Vec<f64> = payout.iter().map(|p| 10.0 + 2.0 * p).collect();
        assert!((hedge_contracts(&cost, &payout, 100.0) - 200.0).abs() < 1e-9);
        assert_eq!(hedge_contracts(&cost, &[1.0; 5], 100.0), 0.0);
        // A payout that moves against the cost: a negative ratio (hold NO).
        let against: Vec<f64> = payout.iter().map(|p| 1.0 - p).collect();
        assert!((hedge_contracts(&cost, &against, 100.0) + 200.0).abs() < 1e-9);
    }

    #[test]
    fn a_perfect_hedge_removes_the_variance() {
        let s = shipment();
        // Two scenarios: rate 2000 or 4000. A contract paying 1 in the high one, worth 7.20 CNY:
        // the cost difference per unit is 2000/5000 / (1 − 0.0033) × 7.20 = 2.889…; N = 5000 ×
        // 2.889… / 7.20 = 2006.6… → 2007 contracts.
        let c = s.landed_costs(vec![2000.0, 4000.0]).unwrap();
        let h = evaluate_hedge(&c, &[0.0, 1.0], 7.20, 0.5, 5000.0);
        let diff = 2000.0 / 5000.0 / (1.0 - 1.1 * 0.003) * 7.20;
        assert!((h.ratio - 5000.0 * diff / 7.20).abs() < 1e-6, "{h:?}");
        assert_eq!(h.side, HedgeSide::Yes);
        assert_eq!(h.contracts, 2007);
        assert!(h.std < 0.001 && c.std() > 1.0, "{h:?}");
        // Bought at the fair price (0.5), the mean is unchanged up to rounding to whole contracts.
        assert!((h.mean - c.mean()).abs() < 0.001, "{h:?}");
        // The NO side of "rate low" is the same hedge.
        let no = evaluate_hedge(&c, &[1.0, 0.0], 7.20, 0.5, 5000.0);
        assert_eq!((no.side, no.contracts), (HedgeSide::No, 2007));
        assert!((no.std - h.std).abs() < 1e-9 && (no.mean - h.mean).abs() < 1e-9);
    }
}
