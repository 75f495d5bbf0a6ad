//! The trade sheets: `portcast quote`'s quote sheet (`item, value, formula`, or the offers
//! compared by their FOB equivalent) and `portcast modes`' freight by mode, computed with the
//! pure functions of `crate::trade`.

use crate::output::{Cell, Table};
use crate::trade::Term;
use crate::trade::quote::{self, FxRate};
use crate::trade::weight::{self, FreightOption, Shipment};
use crate::trade::{TradeError, round_cents, round_dp};

/// What a quote sheet is computed from (the flags of `portcast quote`; money per unit in the
/// quote currency, rates as fractions).
#[derive(Clone, Debug)]
pub struct QuoteInputs {
    pub price: Option<f64>,
    /// `PRICE:TERM` offers to compare instead of one price.
    pub offer: Vec<String>,
    pub term: Term,
    pub to: Term,
    pub freight: f64,
    pub insurance_rate: f64,
    pub markup: f64,
    pub commission: Option<f64>,
    pub discount: Option<f64>,
    /// The bank's buying and selling rates (home currency per unit, or per hundred units).
    pub fx_bid: Option<f64>,
    pub fx_ask: Option<f64>,
    pub fx_per_hundred: bool,
    /// The exporter's total cost per unit in home currency.
    pub total_cost: Option<f64>,
    /// A price in home currency to quote in the foreign currency.
    pub home_price: Option<f64>,
}

/// The quote sheet: `item, value, formula` (values rounded to the cent for display only; every
/// computation runs on unrounded values).
pub fn quote_table(a: &QuoteInputs) -> Result<Table, TradeError> {
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
fn offers_table(a: &QuoteInputs) -> Result<Table, TradeError> {
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

/// One row per mode: `mode, chargeable, volumetric, freight_total, freight_per_unit, transit_days`.
pub fn modes_table(shipment: &Shipment, options: &[FreightOption]) -> Result<Table, TradeError> {
    let mut t = Table::new([
        "mode",
        "chargeable",
        "volumetric",
        "freight_total",
        "freight_per_unit",
        "transit_days",
    ]);
    for q in weight::compare(shipment, options)? {
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
