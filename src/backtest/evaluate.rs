//! Strategies, scores and sweeps over a replay (`engine::Replay`): no forecasting happens here,
//! so thousands of variants cost milliseconds.
//!
//! - `model`: trade when the model's fair price differs from the reference price by more than
//!   the fee — the reference is the market's historical price for the step when the markets
//!   file gives one, else climatology's fair price (each trade says which).
//! - `rules`: buy YES at the reference price whenever the market's rule holds on what was known.
//!
//! A trade buys `contracts` contracts and settles on the first print: YES pays
//! `C·(payout − p) − fee`, NO pays `C·(p − payout) − fee`, fee rounded up to the cent per order.
//! That P&L does not depend on the Kelly fraction, so each variant also reports the bankroll a
//! stake of its fractional-Kelly size would have grown 1 into (`kelly_bankroll`), trade after
//! trade in step order — what a Kelly sweep compares.

use std::sync::Arc;

use serde::Serialize;

use super::engine::{StepRow, lookup};
use crate::analysis::score::{self, ReliabilityBin};
use crate::markets::contract::Strike;
use crate::markets::file::Market;
use crate::markets::rule::Rule;
use crate::markets::sizing::{FeeSchedule, Side, Sizer};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Model,
    Rules,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Model => "model",
            Strategy::Rules => "rules",
        }
    }
}

/// The knobs a sweep turns. `None` keeps the market's own setting.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Variant {
    /// Binary strike `k` (single-period binary markets).
    pub threshold: Option<f64>,
    pub kelly: Option<f64>,
    /// Minimum edge after fees to trade (default 0: any edge that survives fees).
    pub min_edge: Option<f64>,
    /// Replace the cut-off of every condition on this series in the market's rule.
    pub rule_cutoff: Option<(String, f64)>,
}

/// One trade.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trade {
    pub as_of: String,
    pub market: String,
    pub contract: String,
    pub side: &'static str,
    pub price: f64,
    /// "market" (historical price) or "climatology" (no price given for the step).
    pub reference: &'static str,
    pub fair: f64,
    pub payout: f64,
    pub fee: f64,
    pub pnl: f64,
    pub stake_fraction: f64,
}

/// Scores of one market (or of all markets together) under one strategy variant.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Scores {
    pub market: String,
    pub strategy: String,
    /// Settled forecasts scored.
    pub n: usize,
    pub brier: Option<f64>,
    pub log_score: Option<f64>,
    pub brier_climatology: Option<f64>,
    pub bss_climatology: Option<f64>,
    pub bss_seasonal_naive: Option<f64>,
    pub bss_market: Option<f64>,
    pub crps: Option<f64>,
    pub trades: usize,
    pub hit_rate: Option<f64>,
    pub pnl: f64,
    pub max_drawdown: f64,
    /// A bankroll of 1 after every trade staked its Kelly fraction of the bankroll (on the
    /// fee-inclusive cost); 1 when nothing is staked (rules trade a fixed size).
    pub kelly_bankroll: f64,
    #[serde(skip)]
    pub reliability: Vec<ReliabilityBin>,
}

/// Trades and scores of one strategy variant over replayed steps.
pub fn evaluate(
    market: &Market,
    rows: &[StepRow],
    strategy: Strategy,
    variant: &Variant,
) -> (Vec<Trade>, Scores) {
    let rule = match (&market.rule, &variant.rule_cutoff) {
        (Some(rule), Some((series, cut))) => Some(with_cutoff(rule, series, *cut)),
        (r, _) => r.clone(),
    };
    let sizer = Sizer::new(
        FeeSchedule::new(market.fee_coefficient).unwrap_or_default(),
        variant
            .kelly
            .unwrap_or(market.kelly_fraction)
            .clamp(0.0, 1.0),
    )
    .unwrap_or_default();
    let strike = super::engine::threshold_strike(market);
    let mut trades = Vec::new();
    let (mut p_model, mut p_clim, mut p_snaive, mut p_mkt, mut outcomes) =
        (vec![], vec![], vec![], vec![], vec![]);
    let (mut clim_pairs, mut snaive_pairs, mut mkt_pairs) = (vec![], vec![], vec![]);
    let mut binary: Vec<(f64, bool)> = Vec::new();
    let mut crps = Vec::new();
    for row in rows {
        let Some(outcome) = row.outcome else { continue };
        let (fair, fair_clim, fair_snaive, payout) = match variant.threshold {
            Some(k) => match (strike, &row.samples[0], row.value) {
                (Some(strike), Some(model), Some(value)) => (
                    probability(model, strike, k),
                    row.samples[1].as_ref().map(|s| probability(s, strike, k)),
                    row.samples[2].as_ref().map(|s| probability(s, strike, k)),
                    if strike.holds(value, k) { 1.0 } else { 0.0 },
                ),
                _ => continue,
            },
            None => (
                row.fair_model,
                row.fair_climatology,
                row.fair_seasonal_naive,
                outcome,
            ),
        };
        // Scores are on the payout itself (0 or 1 for binary contracts, a fraction for scalar
        // ones): the Brier and log scores of an expected payout are proper only against it.
        let y = payout.clamp(0.0, 1.0);
        p_model.push(fair.clamp(0.0, 1.0));
        outcomes.push(y);
        // The reliability table counts events: binary payouts only.
        if y == 0.0 || y == 1.0 {
            binary.push((fair.clamp(0.0, 1.0), y == 1.0));
        }
        if let Some(c) = fair_clim {
            clim_pairs.push((fair.clamp(0.0, 1.0), c.clamp(0.0, 1.0), y));
            p_clim.push(c.clamp(0.0, 1.0));
        }
        if let Some(c) = fair_snaive {
            snaive_pairs.push((fair.clamp(0.0, 1.0), c.clamp(0.0, 1.0), y));
            p_snaive.push(c);
        }
        if let Some(m) = row.market_price {
            mkt_pairs.push((fair.clamp(0.0, 1.0), m, y));
            p_mkt.push(m);
        }
        if let Some(c) = row.crps {
            crps.push(c);
        }
        // The price the strategy trades at: the step's market price, else climatology's.
        let (price, reference) = match (row.market_price, fair_clim) {
            (Some(p), _) => (p, "market"),
            (None, Some(c)) => (c.clamp(0.01, 0.99), "climatology"),
            (None, None) => continue,
        };
        let quote = match sizer.quote(fair.clamp(0.0, 1.0), price, market.contracts) {
            Ok(q) => q,
            Err(_) => continue,
        };
        let side = match strategy {
            Strategy::Model => {
                if quote.edge_after_fees <= variant.min_edge.unwrap_or(0.0) {
                    Side::None
                } else {
                    quote.side
                }
            }
            Strategy::Rules => match &rule {
                Some(rule) if rule.holds(|s| lookup(&row.rule_values, s)) => Side::Yes,
                _ => Side::None,
            },
        };
        let c = market.contracts as f64;
        let pnl = match side {
            Side::Yes => c * (payout - price) - quote.order_fee,
            Side::No => c * (price - payout) - quote.order_fee,
            Side::None => continue,
        };
        trades.push(Trade {
            as_of: row.as_of.to_string(),
            market: row.market.clone(),
            contract: row.contract.clone(),
            side: if side == Side::Yes { "yes" } else { "no" },
            price,
            reference,
            fair,
            payout,
            fee: quote.order_fee,
            pnl,
            stake_fraction: if strategy == Strategy::Model {
                quote.kelly_fraction
            } else {
                0.0
            },
        });
    }
    let pnl: Vec<f64> = trades.iter().map(|t| t.pnl).collect();
    let skill = |pairs: &[(f64, f64, f64)]| {
        if pairs.is_empty() {
            return None;
        }
        let f: Vec<f64> = pairs.iter().map(|p| p.0).collect();
        let r: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let o: Vec<f64> = pairs.iter().map(|p| p.2).collect();
        score::brier_skill_score(&f, &r, &o).ok()
    };
    let scores = Scores {
        market: market.id.clone(),
        strategy: strategy.as_str().to_string(),
        n: outcomes.len(),
        brier: score::brier_payout(&p_model, &outcomes).ok(),
        log_score: score::log_score_payout(&p_model, &outcomes).ok(),
        brier_climatology: {
            let o: Vec<f64> = clim_pairs.iter().map(|p| p.2).collect();
            score::brier_payout(&p_clim, &o).ok()
        },
        bss_climatology: skill(&clim_pairs),
        bss_seasonal_naive: skill(&snaive_pairs),
        bss_market: skill(&mkt_pairs),
        crps: (!crps.is_empty()).then(|| crps.iter().sum::<f64>() / crps.len() as f64),
        trades: trades.len(),
        hit_rate: score::hit_rate(&pnl).ok(),
        // Folded from +0.0: `Sum` of no floats is −0.0, which prints as "-0".
        pnl: pnl.iter().fold(0.0, |a, b| a + b),
        max_drawdown: score::max_drawdown(&pnl).unwrap_or(0.0),
        kelly_bankroll: kelly_bankroll(&trades, market.contracts),
        reliability: score::reliability_table(
            &binary.iter().map(|b| b.0).collect::<Vec<_>>(),
            &binary.iter().map(|b| b.1).collect::<Vec<_>>(),
            score::DEFAULT_RELIABILITY_BINS,
            score::DEFAULT_CONFIDENCE,
        )
        .unwrap_or_default(),
    };
    (trades, scores)
}

/// Grow a bankroll of 1 through `trades` in order, each spending its stake fraction of the
/// bankroll on contracts at the fee-inclusive cost (the fee per contract of an order of
/// `contracts`): a contract costing `c` that pays `x` returns `x/c − 1` per unit spent.
fn kelly_bankroll(trades: &[Trade], contracts: u64) -> f64 {
    trades.iter().fold(1.0, |bankroll, t| {
        let fee = t.fee / contracts.max(1) as f64;
        let (cost, paid) = if t.side == "yes" {
            (t.price + fee, t.payout)
        } else {
            (1.0 - t.price + fee, 1.0 - t.payout)
        };
        bankroll * (1.0 + t.stake_fraction * (paid / cost - 1.0))
    })
}

/// P(X <strike> k) from sorted samples.
fn probability(sorted: &Arc<[f64]>, strike: Strike, k: f64) -> f64 {
    let n = sorted.len();
    let count = match strike {
        Strike::Greater => n - sorted.partition_point(|&x| x <= k),
        Strike::GreaterOrEqual => n - sorted.partition_point(|&x| x < k),
        Strike::Less => sorted.partition_point(|&x| x < k),
        Strike::LessOrEqual => sorted.partition_point(|&x| x <= k),
    };
    count as f64 / n as f64
}

fn with_cutoff(rule: &Rule, series: &str, cut: f64) -> Rule {
    let mut r = rule.clone();
    for c in r.any_of.iter_mut().flatten() {
        if c.series == series {
            c.value = cut;
        }
    }
    r
}

/// A sweep specification `name=lo..hi:step`, e.g. `threshold=4.0e6..4.6e6:0.05e6`,
/// `kelly=0.1..0.5:0.05`, `min_edge=0..0.1:0.01`, `rule.pmi=50..54:0.5`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub name: String,
    pub values: Vec<f64>,
}

/// Why a sweep specification does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    #[error("`{0}`: expected NAME=LO..HI:STEP")]
    Form(String),
    #[error("`{text}` is not a number in `{spec}`")]
    NotANumber { text: String, spec: String },
    #[error("`{0}`: need LO ≤ HI and STEP > 0")]
    Range(String),
    #[error("`{spec}`: {n} values is too many")]
    TooMany { spec: String, n: usize },
    #[error(
        "`{0}` cannot be swept: use threshold, kelly, min_edge or rule.<series> (lags change the model itself: compare them with `portcast lags`)"
    )]
    Name(String),
}

impl Sweep {
    pub fn parse(spec: &str) -> Result<Sweep, SweepError> {
        let form = || SweepError::Form(spec.to_string());
        let (name, range) = spec.split_once('=').ok_or_else(form)?;
        let (range, step) = range.split_once(':').ok_or_else(form)?;
        let (lo, hi) = range.split_once("..").ok_or_else(form)?;
        let num = |s: &str| {
            s.trim().parse::<f64>().map_err(|_| SweepError::NotANumber {
                text: s.to_string(),
                spec: spec.to_string(),
            })
        };
        let (lo, hi, step) = (num(lo)?, num(hi)?, num(step)?);
        if step.is_nan() || step <= 0.0 || hi < lo || !lo.is_finite() || !hi.is_finite() {
            return Err(SweepError::Range(spec.to_string()));
        }
        let n = ((hi - lo) / step + 1e-9).floor() as usize + 1;
        if n > 1_000_000 {
            return Err(SweepError::TooMany {
                spec: spec.to_string(),
                n,
            });
        }
        let name = name.trim().to_string();
        if !matches!(name.as_str(), "threshold" | "kelly" | "min_edge")
            && !name.starts_with("rule.")
        {
            return Err(SweepError::Name(name));
        }
        Ok(Sweep {
            name,
            values: (0..n).map(|i| lo + i as f64 * step).collect(),
        })
    }

    fn apply(&self, v: &mut Variant, value: f64) {
        match self.name.as_str() {
            "threshold" => v.threshold = Some(value),
            "kelly" => v.kelly = Some(value),
            "min_edge" => v.min_edge = Some(value),
            other => v.rule_cutoff = Some((other.trim_start_matches("rule.").to_string(), value)),
        }
    }
}

/// How many variants [`variants`] makes of `sweeps` (the product of their lengths, saturating),
/// without making them.
pub fn variant_count(sweeps: &[Sweep]) -> usize {
    sweeps
        .iter()
        .fold(1usize, |n, s| n.saturating_mul(s.values.len()))
}

/// Whether a sweep scores `market` under `strategy`: every market under `model`, only those with
/// a rule under `rules`.
pub fn swept(market: &Market, strategy: Strategy) -> bool {
    strategy != Strategy::Rules || market.rule.is_some()
}

/// Rows of a sweep table of `markets` (every variant under every strategy that scores the
/// market), known before anything is replayed.
pub fn sweep_rows(markets: &[Market], sweeps: &[Sweep], strategies: &[Strategy]) -> usize {
    let pairs = markets
        .iter()
        .map(|m| strategies.iter().filter(|s| swept(m, **s)).count())
        .sum::<usize>();
    variant_count(sweeps).saturating_mul(pairs)
}

/// Every combination of the sweeps' values (the Cartesian product).
pub fn variants(sweeps: &[Sweep]) -> Vec<Variant> {
    let mut out = vec![Variant::default()];
    for s in sweeps {
        out = out
            .into_iter()
            .flat_map(|base| {
                s.values.iter().map(move |&x| {
                    let mut v = base.clone();
                    s.apply(&mut v, x);
                    v
                })
            })
            .collect();
    }
    out
}

impl Variant {
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(k) = self.threshold {
            parts.push(format!("threshold={}", crate::output::format_number(k)));
        }
        if let Some(k) = self.kelly {
            parts.push(format!("kelly={}", crate::output::format_number(k)));
        }
        if let Some(k) = self.min_edge {
            parts.push(format!("min_edge={}", crate::output::format_number(k)));
        }
        if let Some((s, k)) = &self.rule_cutoff {
            parts.push(format!("rule.{s}={}", crate::output::format_number(*k)));
        }
        if parts.is_empty() {
            "as in the markets file".into()
        } else {
            parts.join(" ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_expand_to_the_cartesian_product() {
        let a = Sweep::parse("threshold=4.0e6..4.6e6:0.05e6").unwrap();
        assert_eq!(a.values.len(), 13);
        assert!((a.values[12] - 4.6e6).abs() < 1e-3);
        let b = Sweep::parse("kelly=0.1..0.5:0.1").unwrap();
        assert_eq!(variant_count(&[a.clone(), b.clone()]), 65);
        assert_eq!(variants(&[a, b]).len(), 65);
        assert!(
            Sweep::parse("lag=1..3:1")
                .unwrap_err()
                .to_string()
                .contains("cannot be swept")
        );
        assert!(Sweep::parse("kelly=0.5..0.1:0.1").is_err());
    }

    #[test]
    fn threshold_probabilities_keep_the_strike_form() {
        let s: Arc<[f64]> = Arc::from(vec![1.0, 2.0, 2.0, 3.0]);
        assert_eq!(probability(&s, Strike::Greater, 2.0), 0.25);
        assert_eq!(probability(&s, Strike::GreaterOrEqual, 2.0), 0.75);
        assert_eq!(probability(&s, Strike::Less, 2.0), 0.25);
        assert_eq!(probability(&s, Strike::LessOrEqual, 2.0), 0.75);
        assert_eq!(probability(&s, Strike::Greater, 0.0), 1.0);
    }

    fn row(as_of: &str, samples: Vec<f64>, value: f64, k: f64) -> StepRow {
        let sorted: Arc<[f64]> = Arc::from(samples);
        // Climatology: half its samples below 850k.
        let climatology: Arc<[f64]> = Arc::from(vec![700_000.0, 800_000.0, 900_000.0, 950_000.0]);
        StepRow {
            as_of: as_of.parse().unwrap(),
            market: "m".into(),
            contract: "c".into(),
            target: vec![],
            fair_model: 0.5,
            fair_climatology: Some(0.5),
            fair_seasonal_naive: None,
            market_price: None,
            outcome: Some(if value < k { 1.0 } else { 0.0 }),
            value: Some(value),
            crps: None,
            rule_holds: None,
            rule_values: vec![],
            samples: [Some(sorted), Some(climatology), None],
        }
    }

    /// A threshold sweep on a "less than" market prices and settles "less than k'", and a
    /// market without trades has a P&L of +0 (not the −0 an empty float sum gives).
    #[test]
    fn threshold_variants_keep_a_less_than_market_less_than() {
        let text = "[[market]]\nid = \"m\"\nquestion = \"q\"\nseries = \"la_teu\"\nhorizon = 1\nsettlement = \"s\"\ncontract = { type = \"binary\", strike = \"less\", k = 800000 }\n";
        let market = crate::markets::file::parse("t.toml", text)
            .unwrap()
            .remove(0);
        // SYNTHETIC rows: 3 of 4 samples below 850k; the prints 820k and 900k.
        let samples = vec![700_000.0, 790_000.0, 810_000.0, 900_000.0];
        let rows = [
            row("2024-01-31", samples.clone(), 820_000.0, 800_000.0),
            row("2024-02-29", samples, 900_000.0, 800_000.0),
        ];
        let v = Variant {
            threshold: Some(850_000.0),
            ..Variant::default()
        };
        let (_, scores) = evaluate(&market, &rows, Strategy::Model, &v);
        // Forecast 0.75 for "< 850k" both times; outcomes 1 (820k) and 0 (900k):
        // Brier = ((0.75 − 1)² + 0.75²)/2 = 0.3125.
        assert_eq!(scores.n, 2);
        assert!((scores.brier.unwrap() - 0.3125).abs() < 1e-12);
        // Both steps trade YES at climatology's 0.5 (fee 0.0175 a contract at 100 contracts):
        // the first pays 1, the second 0. With Kelly fraction f the bankroll is
        // (1 + f·(1/0.5175 − 1))·(1 − f), f = 0.25·(0.75 − 0.5175)/(1 − 0.5175).
        let (trades, _) = evaluate(&market, &rows, Strategy::Model, &v);
        assert_eq!(trades.len(), 2);
        let f = 0.25 * (0.75 - 0.5175) / (1.0 - 0.5175);
        let expected = (1.0 + f * (1.0 / 0.5175 - 1.0)) * (1.0 - f);
        assert!((scores.kelly_bankroll - expected).abs() < 1e-12);
        let (trades, none) = evaluate(&market, &[], Strategy::Model, &Variant::default());
        assert!(trades.is_empty());
        assert!(none.pnl == 0.0 && none.pnl.is_sign_positive());
    }
}
