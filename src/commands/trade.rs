//! `portcast quote` and `portcast modes`: an exporter's or importer's price arithmetic (trade
//! terms, commission, discount, currency) and the freight of one shipment by mode, on top of the
//! pure functions of `crate::trade`.

use std::io::Write;

use clap::Args;

use crate::exit::{Exit, UsageError};
use crate::present::trade::{QuoteInputs, modes_table, quote_table};
use crate::trade::quote;
use crate::trade::weight::{self, FreightOption, Shipment, Tariff};
use crate::trade::{Term, TradeError};

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
    quote_table(&inputs(args))
        .map_err(|e| UsageError(e.to_string()))?
        .write(format, out)?;
    Ok(Exit::Ok)
}

/// The sheet's inputs from the flags.
fn inputs(a: &QuoteArgs) -> QuoteInputs {
    QuoteInputs {
        price: a.price,
        offer: a.offer.clone(),
        term: a.term,
        to: a.to,
        freight: a.freight,
        insurance_rate: a.insurance_rate,
        markup: a.markup,
        commission: a.commission,
        discount: a.discount,
        fx_bid: a.fx_bid,
        fx_ask: a.fx_ask,
        fx_per_hundred: a.fx_per_hundred,
        total_cost: a.total_cost,
        home_price: a.home_price,
    }
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
    let shipment = Shipment {
        units: args.units,
        gross_kg: args.weight_kg,
        volume_m3: args.volume_m3,
    };
    freight_options(args)
        .and_then(|options| modes_table(&shipment, &options))
        .map_err(|e| UsageError(e.to_string()))?
        .write(format, out)?;
    Ok(Exit::Ok)
}

/// The freight options of the rates given (at least one).
fn freight_options(a: &ModesArgs) -> Result<Vec<FreightOption>, TradeError> {
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
    Ok(options)
}
