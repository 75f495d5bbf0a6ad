//! Landed cost of an import under freight-rate scenarios, and the prediction-market hedge that
//! best offsets it.
//!
//! A shipment file (TOML) describes the goods, packing, lane, insurance, commission, currency, a
//! budget per unit and the shipping date. Given sample paths of the lane's freight rate at the
//! shipping date (from the SCFI forecast: `commands::landed` builds them), each sample gives a
//! landed cost per unit through the same trade-term arithmetic as `quote` (this module's
//! neighbours `quote` and `weight`): the distribution of landed cost, P(cost > budget), and — for
//! a binary freight contract from the markets file — the number of contracts whose payout best
//! offsets the cost (the minimum-variance hedge ratio on the joint samples).

use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;

use super::TradeError;
use super::quote::{self, FxRate, Term};
use super::weight::{self, ContainerSpec};

/// A shipment as written in its TOML file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    pub goods: Goods,
    pub packing: Packing,
    pub lane: Lane,
    #[serde(default)]
    pub insurance: Insurance,
    /// Buying agent's commission on the goods, as a fraction (0 by default).
    #[serde(default)]
    pub commission: f64,
    pub fx: Fx,
    /// Import duty as a fraction of the CIF value (0 by default).
    #[serde(default)]
    pub duty_rate: f64,
    /// Other costs per unit in home currency (port charges, trucking, customs broker).
    #[serde(default)]
    pub other_costs_per_unit: f64,
    /// The most the importer can pay per unit landed, in home currency.
    pub budget_per_unit: f64,
    /// When the goods sail: the freight rate of that week applies.
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
    pub currency: String,
}

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
    /// The SCFI route whose rate prices this lane: `uswc` (US West Coast, USD/FEU) or `composite`.
    #[serde(default = "default_route")]
    pub route: String,
    /// 40-foot containers are the SCFI's US unit (FEU).
    #[serde(default)]
    pub container: ContainerKind,
}

fn default_route() -> String {
    "uswc".into()
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    #[default]
    FortyFoot,
    FortyFootHighCube,
}

impl ContainerKind {
    fn spec(self) -> ContainerSpec {
        match self {
            ContainerKind::FortyFoot => ContainerSpec::FORTY_FOOT,
            ContainerKind::FortyFootHighCube => ContainerSpec::FORTY_FOOT_HIGH_CUBE,
        }
    }
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
    #[error("cannot read shipment file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("shipment file {path}: {message}")]
    Invalid { path: String, message: String },
}

impl Shipment {
    pub fn read(path: &Path) -> Result<Shipment, ShipmentError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ShipmentError::Read {
            path: label.clone(),
            source,
        })?;
        Shipment::parse(&label, &text)
    }

    pub fn parse(label: &str, text: &str) -> Result<Shipment, ShipmentError> {
        let invalid = |message: String| ShipmentError::Invalid {
            path: label.to_string(),
            message,
        };
        let s: Shipment = toml::from_str(text)
            .map_err(|e| invalid(crate::config::describe_toml_error(text, &e)))?;
        // Check every number once, with its name, by pricing a zero-freight scenario.
        s.landed_cost_per_unit(0.0)
            .map_err(|e| invalid(e.to_string()))?;
        if !(s.budget_per_unit.is_finite() && s.budget_per_unit > 0.0) {
            return Err(invalid(format!(
                "budget_per_unit must be > 0, got {}",
                s.budget_per_unit
            )));
        }
        if !matches!(s.lane.route.as_str(), "uswc" | "composite") {
            return Err(invalid(format!(
                "lane.route `{}`: expected `uswc` or `composite`",
                s.lane.route
            )));
        }
        Ok(s)
    }

    /// Containers the shipment fills (by volume or payload).
    pub fn containers(&self) -> Result<u32, TradeError> {
        weight::containers_needed(
            self.packing.gross_kg,
            self.packing.volume_m3,
            &self.lane.container.spec(),
        )
    }

    /// Landed cost per unit in home currency when the freight rate is `rate_per_container` (in
    /// the quote currency). FOB goods: CIF = (FOB + freight per unit) / (1 − (1 + markup)·rate);
    /// CFR/CIF goods: the seller carries the freight, so the rate does not move the cost. Then
    /// commission, the selling FX rate, duty on CIF, and other costs.
    pub fn landed_cost_per_unit(&self, rate_per_container: f64) -> Result<f64, TradeError> {
        let units = f64::from(self.goods.quantity);
        if units <= 0.0 {
            return Err(TradeError::NotPositive {
                name: "goods.quantity",
                value: units,
            });
        }
        let freight_per_unit = match self.goods.term {
            Term::Fob => f64::from(self.containers()?) * rate_per_container / units,
            Term::Cfr | Term::Cif => 0.0,
        };
        let ins = &self.insurance;
        let cif = match self.goods.term {
            Term::Fob => quote::convert(
                self.goods.unit_price + freight_per_unit,
                Term::Cfr,
                Term::Cif,
                0.0,
                ins.rate,
                ins.markup,
            )?,
            Term::Cfr => quote::convert(
                self.goods.unit_price,
                Term::Cfr,
                Term::Cif,
                0.0,
                ins.rate,
                ins.markup,
            )?,
            Term::Cif => self.goods.unit_price,
        };
        let with_commission = quote::with_commission(cif, self.commission)?;
        let home = quote::importer_pays(with_commission, FxRate::per_unit(self.fx.selling_rate)?)?;
        if !(0.0..1.0).contains(&self.duty_rate) {
            return Err(TradeError::RateOutOfRange {
                name: "duty_rate",
                value: self.duty_rate,
            });
        }
        if self.other_costs_per_unit < 0.0 || !self.other_costs_per_unit.is_finite() {
            return Err(TradeError::Negative {
                name: "other_costs_per_unit",
                value: self.other_costs_per_unit,
            });
        }
        Ok(home * (1.0 + self.duty_rate) + self.other_costs_per_unit)
    }
}

/// The minimum-variance number of contracts `N` to hold against a cost: the `N` minimising the
/// variance of `cost − N·payout` over the joint samples, i.e. Cov(cost, payout) / Var(payout),
/// scaled from per-unit cost to the whole shipment by `units`. Zero when the payout does not
/// vary (the contract cannot hedge) or moves against the cost.
pub fn hedge_contracts(cost_per_unit: &[f64], payout: &[f64], units: f64) -> f64 {
    let n = cost_per_unit.len().min(payout.len());
    if n < 2 {
        return 0.0;
    }
    let mc = cost_per_unit[..n].iter().sum::<f64>() / n as f64;
    let mp = payout[..n].iter().sum::<f64>() / n as f64;
    let (mut cov, mut var) = (0.0, 0.0);
    for i in 0..n {
        cov += (cost_per_unit[i] - mc) * (payout[i] - mp);
        var += (payout[i] - mp).powi(2);
    }
    if var <= 0.0 || cov <= 0.0 {
        0.0
    } else {
        units * cov / var
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

    #[test]
    fn a_point_mass_rate_gives_the_deterministic_formula() {
        let s = Shipment::parse("s.toml", SHIPMENT).unwrap();
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
    fn bad_files_are_refused_with_reasons() {
        let e =
            Shipment::parse("s.toml", &SHIPMENT.replace("rate = 0.003", "rate = 1.5")).unwrap_err();
        assert!(
            e.to_string().contains("insurance_rate must be a fraction"),
            "{e}"
        );
        let e = Shipment::parse("s.toml", &SHIPMENT.replace("quantity", "qty")).unwrap_err();
        assert!(e.to_string().contains("unknown field `qty`"), "{e}");
    }

    #[test]
    fn the_hedge_ratio_is_the_regression_slope() {
        // cost = 10 + 2·payout exactly: N per unit = 2, × 100 units = 200 contracts.
        let payout = [0.0, 1.0, 0.0, 1.0, 1.0];
        let cost: Vec<f64> = payout.iter().map(|p| 10.0 + 2.0 * p).collect();
        assert!((hedge_contracts(&cost, &payout, 100.0) - 200.0).abs() < 1e-9);
        assert_eq!(hedge_contracts(&cost, &[1.0; 5], 100.0), 0.0);
    }
}
