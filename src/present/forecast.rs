//! The tables of `portcast forecast` (one row per forecast period: quantiles, probabilities
//! above thresholds, the published days of the period in progress), `portcast nowcast` (the
//! monthly series, then the leave-one-out MAPE) and `portcast evaluate` (per model and horizon;
//! PIT histograms; by days published).

use crate::analysis::distribution::DistributionError;
use crate::forecast::Forecast;
use crate::forecast::evaluate::Evaluation;
use crate::forecast::known_days::KnownDaysRow;
use crate::forecast::nowcast::Nowcast;
use crate::model::Precision;
use crate::output::{Cell, Table, format_number};

/// One row per forecast period: `series, origin, period, horizon, model, known_days,
/// known_value, mean`, a `q<level>` column per quantile and a `p_above_<k>` per threshold.
pub fn forecast_table(
    fc: &Forecast,
    quantiles: &[f64],
    thresholds: &[f64],
) -> Result<Table, DistributionError> {
    let mut columns: Vec<String> = [
        "series",
        "origin",
        "period",
        "horizon",
        "model",
        "known_days",
        "known_value",
        "mean",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    columns.extend(quantiles.iter().map(|q| format!("q{q}")));
    columns.extend(
        thresholds
            .iter()
            .map(|k| format!("p_above_{}", format_number(*k))),
    );
    let mut table = Table::new(columns);
    // Every horizon is read below.
    fc.dist.sort_marginals();
    for (h, period) in fc.periods.iter().enumerate() {
        let m = fc.dist.marginal(h)?;
        let mut row: Vec<Cell> = vec![
            fc.series.as_str().into(),
            fc.origin.to_string().into(),
            period.to_string().into(),
            (h + 1).into(),
            fc.model.as_str().into(),
        ];
        // The period in progress: its published days and their sum (0 and empty otherwise).
        let known = fc.known.filter(|k| k.period == *period);
        row.push(known.map_or(0, |k| k.days).into());
        row.push(known.and_then(|k| k.value).into());
        row.extend([m.mean().into()]);
        for &q in quantiles {
            row.push(m.quantile(q)?.into());
        }
        for &k in thresholds {
            row.push(m.prob_above(k).into());
        }
        table.push(row);
    }
    Ok(table)
}

/// The nowcast's months (official figure, or the estimate with its 90% interval), then a row
/// `all` with the leave-one-out MAPE in the `loo_ape` column.
pub fn nowcast_table(now: &Nowcast) -> Result<Table, DistributionError> {
    let mut table = Table::new([
        "period",
        "kind",
        "value_teu",
        "lower_teu",
        "upper_teu",
        "calls",
        "loo_estimate_teu",
        "loo_ape",
    ]);
    for (i, &month) in now.months.iter().enumerate() {
        let m = now.draws.marginal(i)?;
        let loo = now.loo.iter().find(|l| l.period == month);
        let (kind, value, lower, upper) = match now.official[i] {
            Some((v, p)) if p.is_value() => ("official", v, None, None),
            Some((_, Precision::LowerBound)) => (
                "estimate (official lower bound)",
                m.mean(),
                Some(m.quantile(0.05)?),
                Some(m.quantile(0.95)?),
            ),
            _ => (
                "estimate",
                m.mean(),
                Some(m.quantile(0.05)?),
                Some(m.quantile(0.95)?),
            ),
        };
        table.push(vec![
            month.to_string().into(),
            kind.into(),
            value.into(),
            lower.into(),
            upper.into(),
            now.calls[i].into(),
            loo.map(|l| l.estimate).into(),
            loo.map(|l| 100.0 * (l.estimate - l.official).abs() / l.official)
                .into(),
        ]);
    }
    table.push(vec![
        "all".into(),
        format!("loo-mape (n={})", now.loo.len()).into(),
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        Cell::Null,
        // The MAPE is a percentage, like each month's `loo_ape`: it goes in that column.
        now.mape.into(),
    ]);
    Ok(table)
}

/// One row per model and horizon: CRPS, skill against seasonal naive, MAPE, coverage.
pub fn evaluation_table(ev: &Evaluation) -> Table {
    let mut table = Table::new([
        "series",
        "model",
        "horizon",
        "n",
        "crps",
        "skill_vs_snaive",
        "beats_snaive",
        "mape",
        "cover50",
        "cover80",
        "cover90",
        "cover95",
    ]);
    for r in &ev.rows {
        table.push(vec![
            ev.series.as_str().into(),
            r.model.as_str().into(),
            r.horizon.into(),
            r.n.into(),
            r.crps.into(),
            r.skill.into(),
            r.skill.map(|s| s > 0.0).into(),
            r.mape.into(),
            r.cover50.into(),
            r.cover80.into(),
            r.cover90.into(),
            r.cover95.into(),
        ]);
    }
    table
}

/// The PIT histogram per model and horizon: one row per tenth.
pub fn pit_table(ev: &Evaluation) -> Table {
    let mut table = Table::new(["series", "model", "horizon", "n", "pit_bin", "share"]);
    for r in &ev.rows {
        for (i, share) in r.pit.iter().enumerate() {
            table.push(vec![
                ev.series.as_str().into(),
                r.model.as_str().into(),
                r.horizon.into(),
                r.n.into(),
                format!("{:.1}-{:.1}", i as f64 / 10.0, (i + 1) as f64 / 10.0).into(),
                (*share).into(),
            ]);
        }
    }
    table
}

/// One row per number of published days (model and rule CRPS, their ratio), then `all`.
pub fn known_days_table(rows: &[KnownDaysRow]) -> Table {
    let mut table = Table::new(["known_days", "n", "crps_model", "crps_rule", "ratio"]);
    let (mut n, mut m, mut r) = (0usize, 0.0, 0.0);
    for row in rows {
        n += row.n;
        m += row.crps_model * row.n as f64;
        r += row.crps_rule * row.n as f64;
        table.push(vec![
            row.known_days.into(),
            row.n.into(),
            row.crps_model.into(),
            row.crps_rule.into(),
            (row.crps_model / row.crps_rule).into(),
        ]);
    }
    if n > 0 {
        table.push(vec![
            "all".into(),
            n.into(),
            (m / n as f64).into(),
            (r / n as f64).into(),
            (m / r).into(),
        ]);
    }
    table
}

/// What was skipped, what led the combination, and whether it beat seasonal naive, on stderr.
pub fn log_evaluation(ev: &Evaluation) {
    for (origin, why) in &ev.skipped {
        tracing::info!("origin {origin}: no forecast: {why}");
    }
    let choices: Vec<String> = ev
        .auto_choices
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    tracing::info!(
        "{} {}: {} origins in the window, {} forecast; the combination led by {}",
        ev.series,
        ev.freq,
        ev.origins,
        ev.evaluated,
        if choices.is_empty() {
            "nothing".into()
        } else {
            choices.join(", ")
        }
    );
    for row in ev.rows.iter().filter(|r| r.model == "auto") {
        match row.skill {
            Some(skill) => tracing::info!(
                "h={}: the combined forecast {} seasonal naive in CRPS (skill {:.3} on {} common forecasts)",
                row.horizon,
                if skill > 0.0 {
                    "BEATS"
                } else {
                    "does NOT beat"
                },
                skill,
                row.n_common
            ),
            None => tracing::info!(
                "h={}: no forecasts in common with seasonal naive",
                row.horizon
            ),
        }
    }
}
