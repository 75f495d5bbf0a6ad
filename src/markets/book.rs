//! The whole markets file priced at one as-of date (the book): each market priced from the
//! forecast, a market whose figure is published turned into its settled payout, and the
//! overdue-data rule — a market whose target figure is long overdue is awaiting it, priced for
//! reference only (no edge, fee, side or stake). The file itself: a path, or the bundled example.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::file::{self, Market, MarketsFileError};
use super::paths::ForecastPaths;
use super::price::{self, PriceError, PricedMarket};
use crate::config::ReleaseLags;
use crate::model::Period;
use crate::store::Store;

/// The example markets file, used when neither `--markets` nor the config names one.
pub const EXAMPLE_MARKETS: &str = include_str!("../../data/markets.example.toml");

/// How the bundled example is named in messages.
const EXAMPLE_LABEL: &str = "data/markets.example.toml (bundled)";

/// The markets of the file at `path`, or of the bundled example.
pub fn load(path: Option<&Path>) -> Result<Vec<Market>, MarketsFileError> {
    match path {
        Some(path) => file::read(path),
        None => file::parse(EXAMPLE_LABEL, EXAMPLE_MARKETS),
    }
}

/// The markets file as named in messages: its path, or the bundled example.
pub fn file_label(path: Option<&Path>) -> String {
    path.map_or(EXAMPLE_LABEL.to_string(), |p| p.display().to_string())
}

/// A pricing error, prefixed with the markets file when it is about the file's content (a
/// target beyond the limits names its line and key; this names the file).
pub fn error_in_file(path: Option<&Path>, e: &PriceError) -> String {
    match e {
        PriceError::TooFar { .. } => format!("{}: {e}", file_label(path)),
        _ => e.to_string(),
    }
}

/// A market whose target figure was due long ago (more than a week past its release lag) and
/// is not in the store: it is awaiting its figure, not a live market, so it gets no edge, side
/// or stake (its `fair` is only the model's guess at a figure already published somewhere).
#[derive(Clone, Debug, PartialEq)]
pub struct Awaiting {
    pub market: String,
    pub target: Period,
    /// When the figure was due (end of the period + release lag).
    pub due: NaiveDate,
    /// Days from `due` to the as-of date.
    pub overdue_days: i64,
}

impl Awaiting {
    /// The `status` cell: "awaiting figure of 2024-01 (due 2024-02-20, 2.8 years ago)".
    pub fn status(&self) -> String {
        format!(
            "awaiting figure of {} (due {}, {} ago)",
            self.target,
            self.due,
            crate::freshness::human_days(self.overdue_days)
        )
    }
}

/// Every market of a file priced at one date.
#[derive(Debug, Default)]
pub struct Book {
    /// Live, settled and awaiting markets, in file order.
    pub priced: Vec<PricedMarket>,
    /// Markets that could not be priced, and why.
    pub failures: Vec<(String, PriceError)>,
    /// The priced markets whose target figure is long overdue (their rows carry no edge, fee,
    /// side or stake).
    pub awaiting: Vec<Awaiting>,
}

/// Price every market; a market that cannot be priced is reported, not fatal. A market whose
/// target figure is long overdue is also listed in [`Book::awaiting`], its rows stripped of
/// edge, fee, side and stake.
pub fn price_all(
    store: &Store,
    source: &ForecastPaths,
    markets: &[Market],
    lags: &ReleaseLags,
    as_of: DateTime<Utc>,
) -> Book {
    let mut book = Book::default();
    for m in markets {
        match price::price_market(store, source, m, as_of) {
            Ok(mut p) => {
                if let Some(a) = overdue(m, &p, lags, as_of) {
                    tracing::warn!(
                        "market `{}`: {}; not priced as a live market: the data of {} need `portcast fetch` (or `portcast data add`)",
                        m.id,
                        a.status(),
                        m.kind.series().join(", ")
                    );
                    for r in &mut p.rows {
                        r.edge = None;
                        r.fee = None;
                        r.edge_after_fees = None;
                        r.side = None;
                        r.kelly_fraction = None;
                    }
                    book.awaiting.push(a);
                }
                if let Some(o) = p.overround {
                    tracing::info!(
                        "market `{}`: the bucket prices' overround is {:+.4}",
                        m.id,
                        o
                    );
                }
                book.priced.push(p);
            }
            // A market whose figure is published is settled: reported with its payout, not
            // as a failure (it would fail every cron run until the file is edited).
            Err(PriceError::AlreadyKnown { target, value, .. }) => {
                match price::settled_market(store, m, target, value, as_of) {
                    Ok(p) => {
                        tracing::info!(
                            "market `{}`: settled: {target} is published ({}), payout {}",
                            m.id,
                            crate::output::format_number(value),
                            p.rows
                                .iter()
                                .map(|r| crate::output::format_number(r.fair))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        book.priced.push(p);
                    }
                    Err(e) => book.failures.push((m.id.clone(), e)),
                }
            }
            Err(e) => book.failures.push((m.id.clone(), e)),
        }
    }
    book
}

/// A rolling target counts from the last figure known: when a series has not been updated, its
/// target's figure may be long overdue. Then the market is awaiting its figure (which may well
/// be public already), not a market to trade on.
fn overdue(
    m: &Market,
    p: &PricedMarket,
    lags: &ReleaseLags,
    as_of: DateTime<Utc>,
) -> Option<Awaiting> {
    let lag = m
        .kind
        .series()
        .iter()
        .filter_map(|s| crate::series::catalog::spec(s))
        .map(|spec| lags.lag_days(&spec))
        .max()
        .unwrap_or(0);
    let t = p.rows.first().and_then(|r| r.target.last().copied())?;
    let due = crate::freshness::awaited_since(t, lag, as_of)?;
    Some(Awaiting {
        market: m.id.clone(),
        target: t,
        due,
        overdue_days: (as_of.date_naive() - due).num_days(),
    })
}
