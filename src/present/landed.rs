//! The landed cost of a shipment as tables (the `item,value,unit` summary sheet, one row per
//! hedge) and as a chart (the landed-cost CDF with the budget line).

use std::path::Path;

use crate::markets::freight::{Basis, LandedResult, RateSource};
use crate::output::{Cell, Table};
use crate::report::chart::{Axis, CdfChart, Labels, Strike, empirical_cdf};
use crate::report::html::Figure;
use crate::report::{ReportError, write_chart};
use crate::trade::landed::LEVELS;
use crate::trade::{round_cents, round_dp};

/// `item,value,unit`: money to the cent, probabilities to four decimals.
pub fn summary_table(r: &LandedResult) -> Table {
    let s = &r.shipment;
    let home = s.fx.home_currency.as_str();
    let per_unit = format!("{home}/unit");
    let mut t = Table::new(["item", "value", "unit"]);
    let mut text = |item: &str, value: String| {
        t.rows.push(vec![item.into(), value.into(), Cell::Null]);
    };
    text(
        "shipment",
        format!(
            "{}: {} units at {} {} {}",
            s.goods.description,
            s.goods.quantity,
            s.goods.currency,
            crate::output::format_number(s.goods.unit_price),
            s.goods.term
        ),
    );
    text(
        "lane",
        format!(
            "{} → {}, route {}, {} × {}",
            s.lane.origin,
            s.lane.destination,
            s.lane.route,
            r.containers,
            s.lane.container.spec().name
        ),
    );
    text("ship_date", s.ship_date.to_string());
    text("ship_week", r.ship_week.to_string());
    text("as_of", r.as_of.format("%Y-%m-%d").to_string());
    text("basis", r.basis.describe());
    if let Basis::Scaled(a) = &r.basis
        && let Some(reason) = &a.reason
    {
        text("basis_reason", reason.clone());
    }
    text(
        "freight",
        match &r.source {
            RateSource::NotNeeded => "not needed: the seller pays the freight".into(),
            RateSource::Known { period, .. } => format!("known: the {period} print (point mass)"),
            RateSource::Forecast { origin, steps } => format!(
                "forecast: {steps} weeks after {origin}, {} paths",
                r.costs.len()
            ),
        },
    );
    let mut num = |item: String, value: f64, unit: &str| {
        t.push(vec![item.into(), value.into(), unit.into()]);
    };
    if !matches!(r.basis, Basis::NotExposed) {
        for p in [0.05, 0.5, 0.95] {
            num(
                format!("freight_rate_q{p}"),
                round_cents(r.costs.rate_quantile(p)),
                "USD/FEU",
            );
        }
    }
    for p in LEVELS {
        num(
            format!("landed_cost_q{p}"),
            round_cents(r.costs.quantile(p)),
            &per_unit,
        );
    }
    num(
        "landed_cost_mean".into(),
        round_cents(r.costs.mean()),
        &per_unit,
    );
    num(
        "landed_cost_std".into(),
        round_cents(r.costs.std()),
        &per_unit,
    );
    num(
        "landed_cost_at_median_rate".into(),
        round_cents(r.costs.at_median_rate),
        &per_unit,
    );
    num("budget_per_unit".into(), s.budget_per_unit, &per_unit);
    num(
        "p_over_budget".into(),
        round_dp(r.costs.p_over_budget(), 4),
        "probability",
    );
    t
}

/// One row per market used as a hedge. `fair` and `price` are YES prices; `side` and
/// `contracts` the position (NO when the YES event is "freight low"); `mean_hedged`,
/// `std_hedged` (home currency per unit, premium at the market price, or at the fair price
/// without one) and `p_over_budget_hedged` the landed cost with the hedge; `risk_reduction` =
/// 1 − std hedged / std unhedged; `best` marks the largest reduction.
pub fn hedge_table(r: &LandedResult) -> Table {
    let mut t = Table::new([
        "market",
        "contract",
        "fair",
        "price",
        "side",
        "contracts",
        "mean_hedged",
        "std_hedged",
        "risk_reduction",
        "p_over_budget_hedged",
        "best",
    ]);
    let std = r.costs.std();
    // A point-mass cost (a published ship week, CFR/CIF goods) has nothing to reduce; its
    // computed spread is float noise around zero.
    let varies = std > 1e-9 * r.costs.mean().abs().max(1.0);
    for h in &r.hedges {
        let reduction = if varies {
            Cell::from(round_dp(1.0 - h.hedge.std / std, 4))
        } else {
            Cell::Null
        };
        t.push(vec![
            h.market.as_str().into(),
            h.contract.as_str().into(),
            round_dp(h.fair, 4).into(),
            h.price.into(),
            h.hedge.side.as_str().into(),
            Cell::Int(h.hedge.contracts as i64),
            round_cents(h.hedge.mean).into(),
            round_cents(h.hedge.std).into(),
            reduction,
            round_dp(h.hedge.p_over_budget, 4).into(),
            Cell::Bool(h.best),
        ]);
    }
    t
}

/// The landed-cost distribution as a CDF with the budget as its strike line.
pub fn landed_cdf(r: &LandedResult) -> CdfChart {
    let s = &r.shipment;
    let home = s.fx.home_currency.as_str();
    let budget = s.budget_per_unit;
    let source = match &r.basis {
        Basis::NotExposed => format!(
            "{} price: no freight risk; portcast as of {}",
            s.goods.term,
            r.as_of.format("%Y-%m-%d")
        ),
        basis => format!(
            "Source: SCFI (Shanghai Shipping Exchange); freight basis {}; portcast forecast as of {}",
            basis.describe(),
            r.as_of.format("%Y-%m-%d")
        ),
    };
    CdfChart {
        labels: Labels::new(
            format!(
                "Landed cost per unit: {}, {} → {}, sailing {}",
                s.goods.description, s.lane.origin, s.lane.destination, r.ship_week
            ),
            Axis::new("landed cost per unit", home),
            Axis::new("P(landed cost ≤ x)", ""),
            source,
        ),
        curve: empirical_cdf(r.costs.sorted(), 200),
        curve_label: "P(landed cost ≤ x)".into(),
        strikes: vec![Strike {
            label: format!(
                "budget {} {home}",
                crate::output::format_number(round_cents(budget))
            ),
            value: budget,
            model: Some(1.0 - r.costs.p_over_budget()),
            market: None,
        }],
    }
}

/// Write the report's landed-cost chart, `<dir>/landed_cost.png` with its plotted data in
/// `<dir>/landed_cost.csv`, and return the figure for the report page.
pub fn landed_chart(r: &LandedResult, dir: &Path) -> Result<Figure, ReportError> {
    let caption = format!(
        "Landed cost per unit of {} sailing {}: P(above the budget of {} {}) = {:.2}. Freight: {}.",
        r.shipment.goods.description,
        r.ship_week,
        crate::output::format_number(r.shipment.budget_per_unit),
        r.shipment.fx.home_currency,
        r.costs.p_over_budget(),
        r.basis.describe()
    );
    write_chart(dir, "landed_cost", &landed_cdf(r), caption)
}
