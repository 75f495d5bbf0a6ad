//! The markets' tables and charts: the price table of `portcast price` and the report's
//! `markets.csv` (one row per contract with its status), and each market's predictive
//! distribution with its strikes and the market's prices.

use chrono::{DateTime, Utc};

use super::source_line;
use crate::markets::book::Awaiting;
use crate::markets::contract::Contract;
use crate::markets::file::{Market, MarketKind};
use crate::markets::price::PricedMarket;
use crate::markets::sizing::Side;
use crate::output::Table;
use crate::report::chart::{Axis, Bucket, BucketChart, CdfChart, Labels, Strike, empirical_cdf};

/// The columns of `portcast price` and the report's `markets.csv`. Prices, edges and fees are
/// per contract, as a share of its payout (a contract pays 1): hence `_per_payout`.
pub const PRICE_COLUMNS: [&str; 11] = [
    "market",
    "contract",
    "target",
    "fair_per_payout",
    "price_per_payout",
    "edge_per_payout",
    "fee_per_payout",
    "edge_after_fees_per_payout",
    "side",
    "kelly_fraction",
    "status",
];

/// One row per contract: [`PRICE_COLUMNS`]; `status` is `live`, `settled` (its figure is
/// published: `fair` is the payout) or why the market is awaiting its figure.
pub fn price_table(priced: &[PricedMarket], awaiting: &[Awaiting]) -> Table {
    let mut t = Table::new(PRICE_COLUMNS);
    for p in priced {
        let status = match p.settled {
            Some(_) => "settled".to_string(),
            None => awaiting
                .iter()
                .find(|a| a.market == p.market)
                .map_or_else(|| "live".to_string(), Awaiting::status),
        };
        for r in &p.rows {
            t.push(vec![
                r.market.as_str().into(),
                r.contract.as_str().into(),
                target_label(&r.target).into(),
                r.fair.into(),
                r.price.into(),
                r.edge.into(),
                r.fee.into(),
                r.edge_after_fees.into(),
                r.side.map(side_name).into(),
                r.kelly_fraction.into(),
                status.as_str().into(),
            ]);
        }
    }
    t
}

/// `2024-01`, or `2024-01..2024-02` for a `within` market's span.
pub fn target_label(target: &[crate::model::Period]) -> String {
    match (target.first(), target.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

pub fn side_name(s: Side) -> &'static str {
    match s {
        Side::Yes => "yes",
        Side::No => "no",
        Side::None => "none",
    }
}

pub fn market_chart(
    m: &Market,
    p: &PricedMarket,
    as_of: DateTime<Utc>,
) -> Option<Box<dyn crate::report::chart::Chart + Send>> {
    let series: Vec<&str> = m.kind.series();
    let unit = crate::series::catalog::spec(series[0]).map_or(String::new(), |s| s.unit);
    let labels =
        |title: String, x: Axis, y: Axis| Labels::new(title, x, y, source_line(&series, as_of));
    match &m.kind {
        MarketKind::Buckets { .. } => Some(Box::new(BucketChart {
            labels: labels(
                format!("{}: bucket probabilities", m.id),
                Axis::new("bucket", &unit),
                Axis::new("probability", ""),
            ),
            buckets: p
                .rows
                .iter()
                .map(|r| Bucket {
                    label: r
                        .contract
                        .rsplit_once(' ')
                        .map_or(r.contract.clone(), |(_, b)| b.to_string()),
                    model: r.fair,
                    market: r.price,
                })
                .collect(),
        })),
        MarketKind::Single { contract, .. } | MarketKind::Basket { contract, .. } => {
            let samples = p.value_samples.as_ref()?;
            let row = p.rows.first()?;
            let strikes = match contract {
                Contract::Binary { strike, .. } => {
                    let k = p.strike?;
                    // The chart's curve is P(X ≤ x): a market on "X > k" shows 1 − price.
                    let upper = matches!(
                        strike,
                        crate::markets::contract::Strike::Greater
                            | crate::markets::contract::Strike::GreaterOrEqual
                    );
                    vec![Strike {
                        label: format!(
                            "{} {}",
                            strike.symbol(),
                            crate::report::chart::format_short(k)
                        ),
                        value: k,
                        model: Some(if upper { 1.0 - row.fair } else { row.fair }),
                        market: row.price.map(|pr| if upper { 1.0 - pr } else { pr }),
                    }]
                }
                Contract::Bracket { a, b } => vec![
                    Strike {
                        label: format!("a {}", crate::report::chart::format_short(*a)),
                        value: *a,
                        model: None,
                        market: None,
                    },
                    Strike {
                        label: format!("b {}", crate::report::chart::format_short(*b)),
                        value: *b,
                        model: None,
                        market: None,
                    },
                ],
                Contract::Scalar { lower, upper } => vec![
                    Strike {
                        label: format!("L {}", crate::report::chart::format_short(*lower)),
                        value: *lower,
                        model: None,
                        market: None,
                    },
                    Strike {
                        label: format!("U {}", crate::report::chart::format_short(*upper)),
                        value: *upper,
                        model: None,
                        market: None,
                    },
                ],
            };
            let what = if matches!(m.kind, MarketKind::Basket { .. }) {
                "composite"
            } else {
                series[0]
            };
            Some(Box::new(CdfChart {
                labels: labels(
                    format!("{}: predictive CDF", m.id),
                    Axis::new(what, if what == "composite" { "" } else { &unit }),
                    Axis::new("P(X ≤ x)", ""),
                ),
                curve: empirical_cdf(samples, 400),
                curve_label: "model".into(),
                strikes,
            }))
        }
    }
}
