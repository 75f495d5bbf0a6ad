//! `portcast landed-cost`: the landed cost per unit of one shipment under freight-rate scenarios
//! (`crate::markets::freight`, on the arithmetic of `crate::trade::landed`), its chance of
//! exceeding the budget, and the SCFI contracts of a markets file that hedge it.
//!
//! Output sections: `summary` (an `item,value,unit` sheet: the shipment, the freight basis and
//! where the ship week's rate comes from, freight-rate and landed-cost quantiles, mean, spread,
//! the cost at the median rate, the budget and P(landed cost > budget)) and `hedge` (one row per
//! market used as a hedge, with `--markets`). The text table prints both, a blank line between;
//! `--format json` prints `{"summary": [...], "hedge": [...]}`; `--format csv` prints one section
//! (`summary` unless `--section hedge`), since a CSV file holds one table.
//!
//! The report's chart of the landed-cost distribution with the budget line is built here too
//! ([`landed_chart`]), for `portcast run` when the config names a `shipment_file`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::analysis::distribution::DEFAULT_PATHS;
use crate::exit::{Exit, UsageError};
use crate::forecast::ModelChoice;
use crate::markets::file;
use crate::markets::freight::{self, Basis, LandedResult, RateSource};
use crate::markets::paths::ForecastPaths;
use crate::output::{Cell, Format, Table};
use crate::report::chart::{Axis, CdfChart, Labels, Strike, empirical_cdf};
use crate::report::html::Figure;
use crate::report::{ReportError, write_chart};
use crate::settings::Settings;
use crate::store::Store;
use crate::trade::landed::{LEVELS, Shipment};
use crate::trade::{round_cents, round_dp};

/// `portcast landed-cost`.
#[derive(Debug, Args)]
pub struct LandedArgs {
    /// Shipment file (TOML; see data/shipment.example.toml). Default: the config's
    /// `shipment_file`.
    #[arg(long, value_name = "FILE")]
    pub shipment: Option<PathBuf>,
    /// Markets file: every single contract on the weekly SCFI composite in it is priced on the
    /// same paths as the freight and sized as a hedge. Default: no hedges.
    #[arg(long, value_name = "FILE")]
    pub markets: Option<PathBuf>,
    /// Which table to print. Default: both (text, JSON); `summary` for CSV.
    #[arg(long, value_enum)]
    pub section: Option<Section>,
    /// Also write the landed-cost chart into this directory (`landed_cost.png` and its plotted
    /// data, `landed_cost.csv`).
    #[arg(long, value_name = "DIR")]
    pub chart_dir: Option<PathBuf>,
    /// Seed of the forecast's sample paths (same seed, same result).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths of the freight forecast.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

/// The output sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    All,
    Summary,
    Hedge,
}

pub fn run(settings: &Settings, args: &LandedArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    crate::limits::check_flags(None, args.paths)?;
    let section = args.section.unwrap_or(match settings.format {
        Format::Csv => Section::Summary,
        _ => Section::All,
    });
    if section == Section::All && settings.format == Format::Csv {
        return Err(
            UsageError("CSV holds one table: choose --section summary|hedge".into()).into(),
        );
    }
    let shipment = load_shipment(settings, args.shipment.as_deref())?;
    // A bad file named on the command line is a usage error, like any bad argument.
    let markets = match &args.markets {
        Some(path) => file::read(path).map_err(|e| UsageError(e.to_string()))?,
        None => Vec::new(),
    };
    let store = Store::open(&settings.location)?;
    let source = ForecastPaths::new(
        settings.config.forecast.clone(),
        ModelChoice::Auto,
        args.paths,
        args.seed,
    );
    let result = match freight::landed_cost(&store, &source, &shipment, &markets, settings.as_of) {
        // A ship date beyond the documented limit is a bad input: named with its file and key.
        Err(e @ freight::FreightError::ShipDateTooFar { .. }) => {
            let file = args
                .shipment
                .clone()
                .or_else(|| settings.config.shipment_file.clone())
                .unwrap_or_default();
            return Err(UsageError(format!("shipment file {}: {e}", file.display())).into());
        }
        r => r.context("landed cost")?,
    };
    log(&result, args.markets.as_deref());
    let (summary, hedge) = (summary_table(&result), hedge_table(&result));
    match (settings.format, section) {
        (Format::Json, Section::All) => {
            let mut obj = serde_json::Map::new();
            obj.insert("summary".into(), json_rows(&summary)?);
            obj.insert("hedge".into(), json_rows(&hedge)?);
            serde_json::to_writer_pretty(&mut *out, &obj)?;
            writeln!(out)?;
        }
        (Format::Table, Section::All) => {
            sheet_text(&summary).write(Format::Table, out)?;
            if !hedge.rows.is_empty() {
                writeln!(out)?;
                hedge.write(Format::Table, out)?;
            }
        }
        (Format::Table, Section::Summary) => sheet_text(&summary).write(Format::Table, out)?,
        (format, Section::All | Section::Summary) => summary.write(format, out)?,
        (format, Section::Hedge) => hedge.write(format, out)?,
    }
    if let Some(dir) = &args.chart_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the chart directory {}", dir.display()))?;
        landed_chart(&result, dir)?;
    }
    Ok(Exit::Ok)
}

/// The shipment named by `--shipment` (a bad one is a usage error, exit 2) or by the config's
/// `shipment_file` (a config error, exit 4: the cron job's config points at it).
pub fn load_shipment(settings: &Settings, flag: Option<&Path>) -> anyhow::Result<Shipment> {
    match (flag, &settings.config.shipment_file) {
        (Some(path), _) => Ok(Shipment::read(path).map_err(|e| UsageError(e.to_string()))?),
        (None, Some(path)) => Ok(Shipment::read(path)
            .map_err(|e| settings.config_invalid(format!("shipment_file: {e}")))?),
        (None, None) => Err(UsageError(
            "no shipment: give --shipment FILE or set shipment_file in the config".into(),
        )
        .into()),
    }
}

/// The basis, the rate's source and the markets left out, on stderr.
fn log(r: &LandedResult, markets: Option<&Path>) {
    match &r.basis {
        Basis::Scaled(a) => {
            tracing::info!("{}", r.basis.statement());
            let years = (r.as_of.date_naive() - a.composite_date).num_days() as f64 / 365.25;
            if years > 1.0 {
                tracing::warn!(
                    "the scaling ratio is from {}, {years:.1} years before the as-of date: a \
                     route's spread over the composite drifts, so treat the level as rough",
                    a.composite_date
                );
            }
        }
        Basis::NotExposed => tracing::info!(
            "{} goods: the seller pays the freight, so the landed cost does not depend on it",
            r.shipment.goods.term
        ),
        Basis::Route { .. } => tracing::info!("{}", r.basis.statement()),
    }
    match &r.source {
        RateSource::Known { period, value } if *period == r.ship_week => tracing::info!(
            "ship week {period} is already published ({}): its rate is a point mass",
            crate::output::format_number(*value)
        ),
        RateSource::Known { period, value } => tracing::info!(
            "ship week {} has no print; the last one before it, {period} ({}), is used as a point \
             mass",
            r.ship_week,
            crate::output::format_number(*value)
        ),
        RateSource::Forecast { origin, steps } => tracing::info!(
            "ship week {}: forecast {steps} weeks after the last complete week {origin} ({} paths)",
            r.ship_week,
            r.costs.len()
        ),
        RateSource::NotNeeded => {}
    }
    for (id, why) in &r.skipped {
        tracing::info!("market `{id}`: not used as a hedge: {why}");
    }
    if let Some(path) = markets
        && r.hedges.is_empty()
    {
        tracing::info!(
            "no market in {} is a single contract on the weekly SCFI composite to hedge with",
            path.display()
        );
    }
}

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

/// The sheet for reading: numbers written as text so the value column aligns left like the
/// text values around them (CSV and JSON keep them numbers).
fn sheet_text(t: &Table) -> Table {
    let mut t = t.clone();
    for row in &mut t.rows {
        if let Cell::Num(v) = row[1] {
            row[1] = Cell::Str(crate::output::format_number(v));
        }
    }
    t
}

/// A table as a JSON array (the `Table` JSON writer's own output, parsed back).
fn json_rows(t: &Table) -> anyhow::Result<serde_json::Value> {
    let mut buf = Vec::new();
    t.write(Format::Json, &mut buf)?;
    Ok(serde_json::from_slice(&buf)?)
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
