//! A backtest's tables (scores per market and pooled, trades, reliability, steps, skipped,
//! sweeps ranked by P&L) and the report's backtest charts (reliability, cumulative P&L, Brier
//! skill by market).

use chrono::{DateTime, NaiveDate, Utc};

use super::json_rows;
use crate::backtest::evaluate::{self, Scores, Strategy, Sweep};
use crate::backtest::run::{BacktestRun, pooled_scores};
use crate::output::{Cell, Table};
use crate::report::chart::{
    Axis, Chart, Labels, PnlChart, ReliabilityChart, ReliabilityPoint, SkillBar, SkillChart,
};

/// Per market and strategy, then an overall row per strategy (all markets pooled).
pub fn scores_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "market",
        "strategy",
        "n",
        "brier",
        "log_score",
        "bss_climatology",
        "bss_seasonal_naive",
        "bss_market",
        "crps",
        "trades",
        "hit_rate",
        "pnl_after_fees_payouts",
        "max_drawdown_payouts",
    ]);
    for (strategy, trades, scores) in &run.results {
        for s in scores {
            t.push(score_row(s));
        }
        // Pooled: every settled event of every market.
        let pooled = pooled_scores(run, *strategy, trades);
        t.push(score_row(&pooled));
    }
    t
}

fn score_row(s: &Scores) -> Vec<Cell> {
    vec![
        s.market.as_str().into(),
        s.strategy.as_str().into(),
        s.n.into(),
        s.brier.into(),
        s.log_score.into(),
        s.bss_climatology.into(),
        s.bss_seasonal_naive.into(),
        s.bss_market.into(),
        s.crps.into(),
        s.trades.into(),
        s.hit_rate.into(),
        s.pnl.into(),
        s.max_drawdown.into(),
    ]
}

pub fn trades_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "strategy",
        "as_of",
        "market",
        "contract",
        "side",
        "price",
        "reference",
        "fair",
        "payout",
        "fee",
        "pnl",
        "kelly_fraction",
    ]);
    for (strategy, trades, _) in &run.results {
        for tr in trades {
            t.push(vec![
                strategy.as_str().into(),
                tr.as_of.as_str().into(),
                tr.market.as_str().into(),
                tr.contract.as_str().into(),
                tr.side.into(),
                tr.price.into(),
                tr.reference.into(),
                tr.fair.into(),
                tr.payout.into(),
                tr.fee.into(),
                tr.pnl.into(),
                tr.stake_fraction.into(),
            ]);
        }
    }
    t
}

pub fn reliability_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "strategy",
        "bin_low",
        "bin_high",
        "n",
        "mean_predicted",
        "observed",
        "low_90",
        "high_90",
    ]);
    for (strategy, trades, _) in &run.results {
        if *strategy != Strategy::Model {
            continue; // the model's probabilities do not depend on the strategy
        }
        let pooled = pooled_scores(run, *strategy, trades);
        for b in &pooled.reliability {
            t.push(vec![
                "model".into(),
                b.lower.into(),
                b.upper.into(),
                b.count.into(),
                b.mean_predicted.into(),
                b.observed_frequency.into(),
                b.interval_low.into(),
                b.interval_high.into(),
            ]);
        }
    }
    t
}

pub fn steps_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "as_of",
        "market",
        "contract",
        "target",
        "fair_model",
        "fair_climatology",
        "fair_seasonal_naive",
        "market_price",
        "rule_holds",
        "outcome",
        "value",
        "crps",
    ]);
    for (_, r) in &run.replays {
        for s in &r.rows {
            t.push(vec![
                s.as_of.to_string().into(),
                s.market.as_str().into(),
                s.contract.as_str().into(),
                s.target
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into(),
                s.fair_model.into(),
                s.fair_climatology.into(),
                s.fair_seasonal_naive.into(),
                s.market_price.into(),
                s.rule_holds.into(),
                s.outcome.into(),
                s.value.into(),
                s.crps.into(),
            ]);
        }
    }
    t
}

pub fn skipped_table(run: &BacktestRun) -> Table {
    let mut t = Table::new(["as_of", "market", "reason"]);
    for (_, r) in &run.replays {
        for s in &r.skipped {
            t.push(vec![
                s.as_of.to_string().into(),
                s.market.as_str().into(),
                s.reason.as_str().into(),
            ]);
        }
    }
    t
}

/// Every variant of the sweeps on every market, ranked by P&L after fees, with the number of
/// variants tried beside each (a best-of-many result needs that caveat).
pub fn sweep_table(run: &BacktestRun, sweeps: &[Sweep], strategies: &[Strategy]) -> Table {
    let variants = evaluate::variants(sweeps);
    let mut rows: Vec<(f64, Vec<Cell>)> = Vec::new();
    for (m, r) in &run.replays {
        for &s in strategies.iter().filter(|s| evaluate::swept(m, **s)) {
            for v in &variants {
                let (_, sc) = evaluate::evaluate(m, &r.rows, s, v);
                rows.push((
                    sc.pnl,
                    vec![
                        m.id.as_str().into(),
                        s.as_str().into(),
                        v.describe().into(),
                        sc.n.into(),
                        sc.brier.into(),
                        sc.trades.into(),
                        sc.hit_rate.into(),
                        sc.pnl.into(),
                        sc.max_drawdown.into(),
                        sc.kelly_bankroll.into(),
                        variants.len().into(),
                    ],
                ));
            }
        }
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut t = Table::new([
        "market",
        "strategy",
        "variant",
        "n",
        "brier",
        "trades",
        "hit_rate",
        "pnl_after_fees_payouts",
        "max_drawdown_payouts",
        "kelly_bankroll",
        "variants_tried",
    ]);
    for (rank, (_, mut row)) in rows.into_iter().enumerate() {
        row.insert(0, (rank + 1).into());
        t.rows.push(row);
    }
    t.columns.insert(0, "rank".into());
    t
}

/// Every section as JSON: `{"from", "to", "scores", "trades", "reliability", "steps",
/// "skipped"}`.
pub fn backtest_json(run: &BacktestRun) -> serde_json::Value {
    serde_json::json!({
        "from": run.from.to_string(),
        "to": run.to.to_string(),
        "scores": json_rows(&scores_table(run)),
        "trades": json_rows(&trades_table(run)),
        "reliability": json_rows(&reliability_table(run)),
        "steps": json_rows(&steps_table(run)),
        "skipped": json_rows(&skipped_table(run)),
    })
}

/// A chart of the report with its file stem and caption.
pub type NamedChart = (&'static str, Box<dyn Chart + Send>, &'static str);

/// The report's backtest charts of the model strategy: reliability of the pooled
/// probabilities, cumulative P&L after fees, Brier skill against climatology by market (none
/// without a model strategy).
pub fn backtest_charts(bt: &BacktestRun, as_of: DateTime<Utc>) -> Vec<NamedChart> {
    let Some((_, trades, scores_m)) = bt.results.iter().find(|(s, _, _)| *s == Strategy::Model)
    else {
        return Vec::new();
    };
    let src = format!(
        "Source: portcast backtest {} .. {} (as of {})",
        bt.from,
        bt.to,
        as_of.format("%Y-%m-%d")
    );
    let pooled = pooled_scores(bt, Strategy::Model, trades);
    let rel = ReliabilityChart {
        labels: Labels::new(
            "Reliability of the model's probabilities (all markets)",
            Axis::new("predicted probability", ""),
            Axis::new("observed frequency", ""),
            src.clone(),
        ),
        bins: pooled
            .reliability
            .iter()
            .map(|b| ReliabilityPoint {
                predicted: b.mean_predicted,
                observed: b.observed_frequency,
                low: b.interval_low,
                high: b.interval_high,
                count: b.count,
            })
            .collect(),
        interval_label: "Wilson 90%".into(),
    };
    let mut cum = 0.0;
    let mut sorted: Vec<_> = trades.iter().collect();
    sorted.sort_by(|a, b| a.as_of.cmp(&b.as_of));
    let cumulative: Vec<(NaiveDate, f64)> = sorted
        .iter()
        .filter_map(|t| {
            cum += t.pnl;
            NaiveDate::parse_from_str(&t.as_of, "%Y-%m-%d")
                .ok()
                .map(|d| (d, cum))
        })
        .collect();
    let pnl = PnlChart {
        labels: Labels::new(
            "Model strategy: cumulative P&L after fees",
            Axis::new("as-of date", ""),
            Axis::new("P&L", "per order of the markets' contracts"),
            src.clone(),
        ),
        cumulative,
    };
    let skill = SkillChart {
        labels: Labels::new(
            "Brier skill against climatology, by market",
            Axis::new("Brier skill score", ""),
            Axis::new("market", ""),
            src,
        ),
        bars: scores_m
            .iter()
            .filter_map(|s| {
                s.bss_climatology.map(|k| SkillBar {
                    market: s.market.clone(),
                    skill: k,
                    n: Some(s.n),
                })
            })
            .collect(),
    };
    vec![
        (
            "backtest_reliability",
            Box::new(rel),
            "Predicted vs observed frequency per bin, Wilson 90% intervals",
        ),
        (
            "backtest_pnl",
            Box::new(pnl),
            "Cumulative P&L after fees; drawdowns shaded",
        ),
        (
            "backtest_skill",
            Box::new(skill),
            "Brier skill score vs climatology (1 perfect, 0 no better)",
        ),
    ]
}
