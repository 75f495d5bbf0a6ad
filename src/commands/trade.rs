//! `portcast quote` and `portcast modes`: an exporter's or importer's price arithmetic (trade
//! terms, commission, discount, currency) and the freight of one shipment by mode, on top of the
//! pure functions of `crate::trade`.

use std::io::Write;

use clap::Args;

use crate::exit::{Exit, UsageError};
use crate::output::{Cell, Table};
use crate::trade::Term;
use crate::trade::quote::{self, FxRate};
use crate::trade::weight::{self, FreightOption, Shipment, Tariff};
use crate::trade::{TradeError, round_cents, round_dp};

/// `portcast quote`: convert a price between FOB, CFR and CIF, with commission, discount and
/// the bank's buying/selling rates.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct QuoteArgs {
    /// The quoted price per unit, in the foreign (quote) currency.
    #[arg(long, required_unless_present = "offer")]
    pub price: Option<f64>,
    /// Compare offers on different terms by their FOB equivalent, e.g. `--offer 100:FOB
    /// --offer 140:CFR --offer 150:CIF`; the best for the seller (highest FOB) is marked.
    #[arg(long, value_name = "PRICE:TERM")]
    pub offer: Vec<String>,
    /// The trade term of --price: FOB, CFR (also CNF, C&F) or CIF.
    #[arg(long, default_value = "FOB")]
    pub term: Term,
    /// The trade term to convert to.
    #[arg(long, default_value = "FOB")]
    pub to: Term,
    /// Freight per unit, in the quote currency.
    #[arg(long, default_value_t = 0.0)]
    pub freight: f64,
    /// Insurance rate as a fraction (0.95% is 0.0095).
    #[arg(long, default_value_t = 0.0)]
    pub insurance_rate: f64,
    /// Insurance markup over CIF as a fraction (the insured amount is CIF × (1 + markup)).
    #[arg(long, default_value_t = quote::DEFAULT_MARKUP)]
    pub markup: f64,
    /// Commission rate as a fraction: the price with commission is net / (1 − rate).
    #[arg(long)]
    pub commission: Option<f64>,
    /// Discount on the list price as a fraction: net = list × (1 − rate).
    #[arg(long)]
    pub discount: Option<f64>,
    /// The bank's buying rate (home currency per unit of foreign currency): what an exporter
    /// receives per unit.
    #[arg(long)]
    pub fx_bid: Option<f64>,
    /// The bank's selling rate (home currency per unit of foreign currency): what an importer
    /// pays per unit.
    #[arg(long)]
    pub fx_ask: Option<f64>,
    /// The FX rates are quoted per 100 units of foreign currency (661.18 instead of 6.6118).
    #[arg(long)]
    pub fx_per_hundred: bool,
    /// The exporter's total cost per unit in home currency: adds the export profit rate and the
    /// FX conversion cost (needs --fx-bid).
    #[arg(long)]
    pub total_cost: Option<f64>,
    /// A price in home currency to turn into a foreign-currency quote at the buying rate (needs
    /// --fx-bid).
    #[arg(long)]
    pub home_price: Option<f64>,
}

/// `portcast quote`: a quote sheet with one row per figure and the formula that gives it.
pub fn quote(
    args: &QuoteArgs,
    format: crate::output::Format,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    quote_table(args)
        .map_err(|e| UsageError(e.to_string()))?
        .write(format, out)?;
    Ok(Exit::Ok)
}

/// The quote sheet: `item, value, formula` (values rounded to the cent for display only; every
/// computation runs on unrounded values).
pub fn quote_table(a: &QuoteArgs) -> Result<Table, TradeError> {
    if !a.offer.is_empty() {
        return offers_table(a);
    }
    let mut t = Table::new(["item", "value", "formula"]);
    // Money to the cent; rates (FX conversion cost, profit rate in %) to four decimals.
    let mut row = |item: String, value: f64, formula: &str| {
        let shown = if item.contains("rate") || item.contains("FX") {
            round_dp(value, 4)
        } else {
            round_cents(value)
        };
        t.push(vec![item.into(), Cell::from(shown), formula.into()]);
    };
    let fx = |rate: Option<f64>| -> Result<Option<FxRate>, TradeError> {
        rate.map(|r| {
            if a.fx_per_hundred {
                FxRate::per_hundred(r)
            } else {
                FxRate::per_unit(r)
            }
        })
        .transpose()
    };
    let (bid, ask) = (fx(a.fx_bid)?, fx(a.fx_ask)?);

    let mut price = a.price.unwrap_or_default();
    row(format!("price {}", a.term), price, "as quoted");
    if let Some(d) = a.discount {
        price = quote::discounted(price, d)?;
        row(
            format!("net of {}% discount", pct(d)),
            price,
            "list × (1 − discount)",
        );
    }
    let (f, r, m) = (a.freight, a.insurance_rate, a.markup);
    let fob = quote::convert(price, a.term, Term::Fob, f, r, m)?;
    let cfr = quote::convert(price, a.term, Term::Cfr, f, r, m)?;
    let cif = quote::convert(price, a.term, Term::Cif, f, r, m)?;
    row("FOB".into(), fob, "CFR − freight");
    row("CFR".into(), cfr, "FOB + freight");
    row(
        "CIF".into(),
        cif,
        "CFR / (1 − (1 + markup) × insurance rate)",
    );
    row(
        "insurance premium".into(),
        quote::insurance_premium(cif, r, m)?,
        "CIF × (1 + markup) × insurance rate",
    );
    let target = quote::convert(price, a.term, a.to, f, r, m)?;
    row(format!("price {}", a.to), target, "converted");
    if let Some(c) = a.commission {
        let gross = quote::with_commission(target, c)?;
        row(
            format!("{}C{}%", a.to, pct(c)),
            gross,
            "net / (1 − commission)",
        );
    }
    if let Some(bid) = bid {
        row(
            "exporter receives for FOB, home currency".into(),
            quote::exporter_receives(fob, bid)?,
            "FOB × buying rate",
        );
        if let Some(cost) = a.total_cost {
            let rate = quote::export_profit_rate(fob, bid, cost)? * 100.0;
            row(
                "export profit rate (%)".into(),
                rate,
                "(FOB × buying rate − total cost) / total cost",
            );
            row(
                "FX conversion cost (home per foreign unit)".into(),
                quote::fx_conversion_cost(cost, fob)?,
                "total cost / FOB net receipts",
            );
        }
        if let Some(home) = a.home_price {
            row(
                "foreign quote for home price".into(),
                quote::foreign_quote(home, bid)?,
                "home price / buying rate",
            );
        }
    } else if a.total_cost.is_some() || a.home_price.is_some() {
        return Err(TradeError::NotPositive {
            name: "fx_bid (needed by --total-cost/--home-price)",
            value: 0.0,
        });
    }
    if let Some(ask) = ask {
        row(
            format!("importer pays for {}, home currency", a.to),
            quote::importer_pays(target, ask)?,
            "price × selling rate",
        );
    }
    Ok(t)
}

/// `--offer` rows: each offer's FOB equivalent at the common freight and insurance, best marked.
fn offers_table(a: &QuoteArgs) -> Result<Table, TradeError> {
    let offers = a
        .offer
        .iter()
        .map(|o| {
            let (price, term) = o
                .split_once(':')
                .ok_or_else(|| TradeError::UnknownTerm(format!("{o} (expected PRICE:TERM)")))?;
            let price: f64 = price.trim().parse().map_err(|_| TradeError::NotFinite {
                name: "offer price",
                value: f64::NAN,
            })?;
            Ok(quote::Offer {
                price,
                term: term.parse()?,
            })
        })
        .collect::<Result<Vec<_>, TradeError>>()?;
    let best = quote::best_offer(
        &offers,
        quote::Side::Seller,
        a.freight,
        a.insurance_rate,
        a.markup,
    )?;
    let mut t = Table::new(["offer", "price", "term", "fob", "best"]);
    for (i, o) in offers.iter().enumerate() {
        let fob = quote::convert(
            o.price,
            o.term,
            Term::Fob,
            a.freight,
            a.insurance_rate,
            a.markup,
        )?;
        let label = char::from(b'A' + (i % 26) as u8).to_string();
        t.push(vec![
            label.into(),
            o.price.into(),
            o.term.as_str().into(),
            round_cents(fob).into(),
            (best.map(|b| b.0) == Some(i)).into(),
        ]);
    }
    Ok(t)
}

fn pct(rate: f64) -> String {
    crate::output::format_number(round_dp(rate * 100.0, 4))
}

/// `portcast modes`: one shipment's chargeable weight and freight by air, sea LCL and sea FCL.
#[derive(Debug, Args)]
#[command(allow_negative_numbers = true)]
pub struct ModesArgs {
    /// Number of units (items) in the shipment: freight per unit divides by it.
    #[arg(long)]
    pub units: u32,
    /// Gross weight of the whole shipment, kg.
    #[arg(long)]
    pub weight_kg: f64,
    /// Packed volume of the whole shipment, m³.
    #[arg(long)]
    pub volume_m3: f64,
    /// Air rate per chargeable kg.
    #[arg(long)]
    pub air_rate: Option<f64>,
    /// Air volume divisor, cm³ per kg (6000 is the common one; some carriers use 5000).
    #[arg(long, default_value_t = weight::AIR_DIVISOR)]
    pub air_divisor: f64,
    /// Sea LCL rate per revenue ton (1 m³ or 1,000 kg, whichever is larger).
    #[arg(long)]
    pub lcl_rate: Option<f64>,
    /// Sea FCL rate per 40-foot container.
    #[arg(long)]
    pub fcl_rate: Option<f64>,
    /// Transit days by air, LCL and FCL (for the comparison table).
    #[arg(long, default_value_t = 3)]
    pub air_days: u32,
    #[arg(long, default_value_t = 30)]
    pub lcl_days: u32,
    #[arg(long, default_value_t = 25)]
    pub fcl_days: u32,
}

pub fn modes(
    args: &ModesArgs,
    format: crate::output::Format,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    modes_table(args)
        .map_err(|e| UsageError(e.to_string()))?
        .write(format, out)?;
    Ok(Exit::Ok)
}

/// One row per mode: `mode, chargeable, volumetric, freight_total, freight_per_unit, transit_days`.
pub fn modes_table(a: &ModesArgs) -> Result<Table, TradeError> {
    let mut options = Vec::new();
    if let Some(per_kg) = a.air_rate {
        options.push(FreightOption {
            tariff: Tariff::Air {
                per_kg,
                divisor: a.air_divisor,
            },
            transit_days: a.air_days,
        });
    }
    if let Some(per_revenue_ton) = a.lcl_rate {
        options.push(FreightOption {
            tariff: Tariff::SeaLcl { per_revenue_ton },
            transit_days: a.lcl_days,
        });
    }
    if let Some(per_container) = a.fcl_rate {
        options.push(FreightOption {
            tariff: Tariff::SeaFcl {
                per_container,
                container: weight::ContainerSpec::FORTY_FOOT,
            },
            transit_days: a.fcl_days,
        });
    }
    if options.is_empty() {
        return Err(TradeError::NotPositive {
            name: "rates (give --air-rate, --lcl-rate or --fcl-rate)",
            value: 0.0,
        });
    }
    let shipment = Shipment {
        units: a.units,
        gross_kg: a.weight_kg,
        volume_m3: a.volume_m3,
    };
    let mut t = Table::new([
        "mode",
        "chargeable",
        "volumetric",
        "freight_total",
        "freight_per_unit",
        "transit_days",
    ]);
    for q in weight::compare(&shipment, &options)? {
        t.push(vec![
            q.mode.as_str().into(),
            q.basis.to_string().into(),
            q.volumetric.into(),
            Cell::from(round_cents(q.freight_total)),
            Cell::from(round_cents(q.freight_per_unit)),
            i64::from(q.transit_days).into(),
        ]);
    }
    Ok(t)
}
