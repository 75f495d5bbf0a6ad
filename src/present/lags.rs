//! The lead-lag tables of `portcast lags` and the report (lags, Granger, stability, summary per
//! pair) and its charts (cross-correlation by lag, rolling best lag).

use std::io::Write;

use chrono::{DateTime, NaiveDate, Utc};

use super::source_line;
use crate::analysis::ccf::BestLag;
use crate::analysis::lags::{Analysis, OosVerdict, PairReport};
use crate::output::{Cell, Format, Table};
use crate::report::chart::{Axis, CcfBar, CcfChart, Labels, LineChart, Series, SeriesStyle};

/// The four tables of a set of pair reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LagTables {
    pub lags: Table,
    pub granger: Table,
    pub stability: Table,
    pub summary: Table,
}

/// The columns of a best lag, in the stability and the summary tables.
const BEST_LAG_COLUMNS: [&str; 6] = [
    "best_lag",
    "r",
    "ci_low",
    "ci_high",
    "p_adjusted",
    "significant",
];

/// The cells of a best lag, under [`BEST_LAG_COLUMNS`].
fn best_lag_cells(b: &BestLag) -> [Cell; 6] {
    [
        (b.lag as i64).into(),
        b.r.into(),
        b.ci_low.into(),
        b.ci_high.into(),
        b.p_adjusted.into(),
        b.significant.into(),
    ]
}

/// Columns of the summary section.
fn summary_columns() -> Vec<&'static str> {
    let mut columns = vec![
        "pair",
        "freq",
        "transform",
        "adjust",
        "from",
        "to",
        "n_x",
        "n_y",
        "n",
        "max_lag",
        "ar_order",
    ];
    columns.extend(BEST_LAG_COLUMNS);
    columns.extend([
        "granger_order",
        "granger_p",
        "oos_model",
        "oos_n",
        "rmse_base",
        "rmse_with_x",
        "dm_p",
        "oos_verdict",
        "note",
    ]);
    columns
}

/// Build the tables. Rows of pairs without an analysis appear only in the summary.
pub fn tables(reports: &[PairReport]) -> LagTables {
    let mut t = LagTables {
        lags: Table::new([
            "pair",
            "lag",
            "r",
            "band_low",
            "band_high",
            "n",
            "significant",
        ]),
        granger: Table::new(["pair", "order", "f", "df1", "df2", "p", "n"]),
        stability: Table::new(
            ["pair", "from", "to", "n"]
                .into_iter()
                .chain(BEST_LAG_COLUMNS)
                .chain(["note"]),
        ),
        summary: Table::new(summary_columns()),
    };
    for rep in reports {
        let label = rep.label();
        let mut notes = rep.notes.clone();
        let (from, to) = match rep.span {
            Some((a, b)) => (Cell::from(a.to_string()), Cell::from(b.to_string())),
            None => (Cell::Null, Cell::Null),
        };
        let head: Vec<Cell> = vec![
            label.as_str().into(),
            rep.freq.as_str().into(),
            rep.transform.as_str().into(),
            rep.adjust.map(|a| a.as_str()).into(),
            from,
            to,
            rep.n_x.into(),
            rep.n_y.into(),
            rep.overlap.into(),
        ];
        let analysis = match &rep.outcome {
            Ok(a) => a,
            Err(why) => {
                notes.insert(0, why.to_string());
                let mut row = head;
                row.resize(t.summary.columns.len() - 1, Cell::Null);
                row.push(notes.join("; ").into());
                t.summary.push(row);
                continue;
            }
        };
        for l in &analysis.ccf.lags {
            t.lags.push(vec![
                label.as_str().into(),
                (l.lag as i64).into(),
                l.r.into(),
                l.band_low.into(),
                l.band_high.into(),
                l.n.into(),
                if l.r.is_nan() {
                    Cell::Null
                } else {
                    l.significant.into()
                },
            ]);
        }
        match &analysis.granger {
            Ok(rows) => {
                for g in rows {
                    t.granger.push(vec![
                        label.as_str().into(),
                        g.order.into(),
                        g.f.into(),
                        g.df1.into(),
                        g.df2.into(),
                        g.p_value.into(),
                        g.n.into(),
                    ]);
                }
            }
            Err(why) => notes.push(format!("Granger: {why}")),
        }
        for w in &analysis.stability.rows {
            let mut row: Vec<Cell> = vec![
                label.as_str().into(),
                w.from.to_string().into(),
                w.to.to_string().into(),
                w.overlap.into(),
            ];
            match &w.best {
                Ok(b) => {
                    row.extend(best_lag_cells(b));
                    row.push(w.note.as_deref().into());
                }
                Err(why) => {
                    row.extend(std::iter::repeat_n(Cell::Null, BEST_LAG_COLUMNS.len()));
                    row.push(why.to_string().into());
                }
            }
            t.stability.push(row);
        }
        if let Some(n) = &analysis.stability.note {
            notes.push(format!("stability: {n}"));
        }
        let g = analysis.granger_summary();
        let o = &analysis.oos;
        let mut row = head;
        row.extend([rep.max_lag.into(), analysis.ccf.ar_order.into()]);
        row.extend(best_lag_cells(&analysis.ccf.best));
        row.extend([
            analysis.granger_order.into(),
            g.map(|g| g.p_value).into(),
            o.model.as_str().into(),
            o.n.into(),
            o.rmse_base.into(),
            o.rmse_with_x.into(),
            o.dm_p.into(),
            oos_label(&o.verdict).into(),
        ]);
        if let OosVerdict::NotTested(why) = &o.verdict {
            notes.push(format!("out of sample: {why}"));
        }
        if !analysis.ccf.prewhitened {
            notes.push(format!(
                "raw CCF, Bartlett factor {:.2}",
                analysis.ccf.bartlett_factor.unwrap_or(1.0)
            ));
        }
        row.push(notes.join("; ").into());
        t.summary.push(row);
    }
    t
}

/// The verdict column: short labels; the reason of a "not tested" goes to the note.
fn oos_label(v: &OosVerdict) -> String {
    match v {
        OosVerdict::NotTested(_) => "not tested".into(),
        other => other.to_string(),
    }
}

/// The cross-correlation chart of an analysed pair (bars by lag, the band, the best lag), its
/// file stem and caption.
pub fn ccf_chart(r: &PairReport, a: &Analysis, as_of: DateTime<Utc>) -> (String, CcfChart, String) {
    let stem = format!("ccf_{}_{}", r.pair.x, r.pair.y);
    let chart = CcfChart {
        labels: Labels::new(
            format!(
                "{} → {} ({}, {})",
                r.pair.x,
                r.pair.y,
                r.freq,
                r.transform.as_str()
            ),
            Axis::new("lag", format!("{}s; positive: {} leads", r.freq, r.pair.x)),
            Axis::new("correlation", ""),
            source_line(&[&r.pair.x, &r.pair.y], as_of),
        ),
        bars: a
            .ccf
            .lags
            .iter()
            .map(|l| CcfBar {
                lag: l.lag as i64,
                r: l.r,
                band_low: l.band_low,
                band_high: l.band_high,
            })
            .collect(),
        best_lag: Some(a.ccf.best.lag as i64),
        band_label: format!("{:.0}% band", a.ccf.level * 100.0),
    };
    let caption = format!(
        "best lag {} (r = {:.2}, n = {}, adjusted p = {:.2})",
        a.ccf.best.lag, a.ccf.best.r, a.ccf.best.n, a.ccf.best.p_adjusted
    );
    (stem, chart, caption)
}

/// The best lag per rolling window as a step line, with its file stem; `None` when no window
/// has a best lag.
pub fn stability_chart(
    r: &PairReport,
    a: &Analysis,
    as_of: DateTime<Utc>,
) -> Option<(String, LineChart)> {
    let points: Vec<(NaiveDate, f64)> = a
        .stability
        .rows
        .iter()
        .filter_map(|w| w.best.as_ref().ok().map(|b| (w.to.end(), b.lag as f64)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let chart = LineChart {
        labels: Labels::new(
            format!("Rolling best lag: {} → {}", r.pair.x, r.pair.y),
            Axis::new("window end", ""),
            Axis::new("best lag", format!("{}s", r.freq)),
            source_line(&[&r.pair.x, &r.pair.y], as_of),
        ),
        series: vec![Series::new("best lag", points, SeriesStyle::Step)],
        ref_lines: vec![],
        integer_y: true,
    };
    Some((format!("stability_{}_{}", r.pair.x, r.pair.y), chart))
}

/// Text: for each pair a heading, then its rows of each section `want`ed (by name: `lags`,
/// `granger`, `stability`, `summary`); the summary as `field  value`.
pub fn write_text(
    reports: &[PairReport],
    t: &LagTables,
    want: &dyn Fn(&str) -> bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for (i, rep) in reports.iter().enumerate() {
        let label = rep.label();
        if i > 0 {
            writeln!(out)?;
        }
        let how = match &rep.outcome {
            Ok(a) if a.ccf.prewhitened => format!(
                "pre-whitened with AR({}) of {}",
                a.ccf.ar_order.unwrap_or(0),
                rep.pair.x
            ),
            Ok(_) => "raw CCF, Bartlett bands".to_string(),
            Err(_) => "not analysed".to_string(),
        };
        writeln!(
            out,
            "== {label}  ({}, {}{}; {how}; positive lag: {} leads)",
            rep.freq,
            rep.transform,
            rep.adjust
                .map(|a| format!(", {}-adjusted", a.as_str()))
                .unwrap_or_default(),
            rep.pair.x
        )?;
        if let (Err(why), false) = (&rep.outcome, want("summary")) {
            writeln!(out, "{why}")?;
        }
        for (name, table) in [
            ("lags", &t.lags),
            ("granger", &t.granger),
            ("stability", &t.stability),
        ] {
            if !want(name) {
                continue;
            }
            let sub = only_pair(table, &label);
            if !sub.rows.is_empty() {
                writeln!(out, "-- {name}")?;
                sub.write(Format::Table, out)?;
            }
        }
        if want("summary") {
            writeln!(out, "-- summary")?;
            let sub = only_pair(&t.summary, &label);
            let mut kv = Table::new(["field", "value"]);
            if let Some(row) = sub.rows.first() {
                for (name, cell) in sub.columns.iter().zip(row).skip(1) {
                    if *cell != Cell::Null {
                        kv.push(vec![name.as_str().into(), cell_text(cell).into()]);
                    }
                }
            }
            kv.write(Format::Table, out)?;
        }
    }
    Ok(())
}

/// The rows of one pair.
fn only_pair(t: &Table, label: &str) -> Table {
    let mut sub = Table::new(t.columns.clone());
    for row in &t.rows {
        if row.first() == Some(&Cell::Str(label.to_string())) {
            sub.push(row.clone());
        }
    }
    sub
}

/// A cell as text for the `field  value` listing (numbers rounded for reading).
fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Num(v) if *v != 0.0 && v.abs() < 1e-3 => format!("{v:.2e}"),
        Cell::Num(v) => {
            let s = format!("{v:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_string()
        }
        Cell::Str(s) => s.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Null => String::new(),
    }
}
