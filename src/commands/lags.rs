//! `portcast lags`: lead-lag tables for pairs of series (`crate::analysis::lags`), as of
//! `--as-of`.
//!
//! Output sections: `lags` (a row per pair and lag: `pair,lag,r,band_low,band_high,n,significant`),
//! `granger` (a row per pair and order), `stability` (a row per pair and rolling window) and
//! `summary` (a row per pair: best lag, its interval, Granger p, the out-of-sample verdict). The
//! text table prints every section, pair by pair; `--format json` prints an object with one array
//! per section; `--format csv` prints one section (`lags` unless `--section` says otherwise),
//! since a CSV file holds one table.

use std::io::Write;

use clap::{Args, ValueEnum};

use crate::analysis::lags::{
    self, LagOptions, OosModel, OosVerdict, PairReport, PairSpec, analyse_pairs,
};
use crate::analysis::transform::{Adjustment, Transform};
use crate::exit::{Exit, UsageError};
use crate::model::Frequency;
use crate::output::{Cell, Format, Table};
use crate::settings::{Settings, freq_arg};
use crate::store::Store;

/// Flags of `portcast lags`.
#[derive(Debug, Args)]
pub struct LagsArgs {
    /// A pair X:Y to analyse (x leads y at positive lags); repeat for several. Default: the
    /// config's [lags] pairs, else PMI and new export orders → Shanghai calls, PMI → Shanghai TEU,
    /// Shanghai calls ↔ SCFI (weekly), Shanghai calls → LA TEU and LA loaded imports.
    #[arg(long = "pair", value_name = "X:Y")]
    pub pairs: Vec<String>,
    /// Grid for every pair (default: each pair's own; never finer than a series' cadence).
    #[arg(long, value_parser = freq_arg(&["week", "month"]))]
    pub freq: Option<Frequency>,
    /// Transform of both series before the analysis (default yoy: year-on-year log growth).
    #[arg(long, value_enum)]
    pub transform: Option<TransformArg>,
    /// Remove the Chinese New Year effect from monthly volume series first (TEU, vessel calls).
    #[arg(long, value_enum)]
    pub adjust: Option<AdjustArg>,
    /// Largest lead and lag scanned, in periods (default 12 months, 13 weeks; never more than a
    /// quarter of the overlapping periods).
    #[arg(long, value_name = "K")]
    pub max_lag: Option<usize>,
    /// Raw CCF with Bartlett bands instead of the pre-whitened one.
    #[arg(long)]
    pub raw: bool,
    /// Rolling-window length in periods for the stability table (default 24 months, 26 weeks).
    #[arg(long, value_name = "N")]
    pub window: Option<usize>,
    /// Step between rolling windows in periods (default 6 months, 13 weeks).
    #[arg(long, value_name = "N")]
    pub step: Option<usize>,
    /// Largest Granger lag order (default 6, at most the largest lag scanned).
    #[arg(long, value_name = "P")]
    pub granger_order: Option<usize>,
    /// Base model of the out-of-sample test.
    #[arg(long, value_enum)]
    pub oos_model: Option<OosArg>,
    /// Which table to print (table and json: all by default; csv: lags by default).
    #[arg(long, value_enum)]
    pub section: Option<Section>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TransformArg {
    /// Year-on-year log growth (12 months, 52 ISO weeks).
    Yoy,
    /// Log growth on the previous period.
    Logdiff,
    /// The level (trending levels correlate spuriously: read with care).
    Level,
    /// The log level.
    Log,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AdjustArg {
    /// Chinese New Year (Spring Festival share regressor).
    Cny,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OosArg {
    /// AR model of y, order by AIC at each origin.
    Ar,
    /// Seasonal naive (same period a year earlier).
    Snaive,
}

/// The output sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    All,
    Lags,
    Granger,
    Stability,
    Summary,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::All => "all",
            Section::Lags => "lags",
            Section::Granger => "granger",
            Section::Stability => "stability",
            Section::Summary => "summary",
        }
    }
}

/// Options from the flags over the config's `[lags]` table over the defaults.
pub fn options(args: &LagsArgs, settings: &Settings) -> LagOptions {
    let cfg = &settings.config.lags;
    LagOptions {
        transform: args
            .transform
            .map(|t| match t {
                TransformArg::Yoy => Transform::Yoy,
                TransformArg::Logdiff => Transform::LogDiff,
                TransformArg::Level => Transform::Level,
                TransformArg::Log => Transform::Log,
            })
            .or(cfg.transform)
            .unwrap_or(Transform::Yoy),
        adjust: args.adjust.map(|_| Adjustment::Cny).or(cfg.adjust),
        freq: args.freq,
        max_lag: args.max_lag.or(cfg.max_lag),
        prewhiten: !args.raw,
        window: args.window.or(cfg.window),
        step: args.step.or(cfg.step),
        granger_order: args.granger_order.or(cfg.granger_order),
        oos_model: args
            .oos_model
            .map(|m| match m {
                OosArg::Ar => OosModel::Ar,
                OosArg::Snaive => OosModel::Snaive,
            })
            .or(cfg.oos_model)
            .unwrap_or(OosModel::Ar),
        level: 0.95,
    }
}

/// The pairs to analyse: `--pair` flags, else the config's, else the built-in defaults.
pub fn pairs(args: &LagsArgs, settings: &Settings) -> Result<Vec<PairSpec>, UsageError> {
    if !args.pairs.is_empty() {
        return args
            .pairs
            .iter()
            .map(|p| PairSpec::parse(p).map_err(UsageError))
            .collect();
    }
    Ok(match &settings.config.lags.pairs {
        Some(list) => list
            .iter()
            .map(|p| PairSpec::new(&p.x, &p.y, p.freq))
            .collect(),
        None => lags::default_pairs(),
    })
}

/// `portcast lags`.
pub fn run(settings: &Settings, args: &LagsArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let pairs = pairs(args, settings)?;
    for p in &pairs {
        for id in [&p.x, &p.y] {
            if crate::series::catalog::spec(id).is_none() {
                return Err(UsageError(format!(
                    "unknown series `{id}` (see `portcast data list`)"
                ))
                .into());
            }
        }
    }
    let section = args.section.unwrap_or(match settings.format {
        Format::Csv => Section::Lags,
        _ => Section::All,
    });
    if section == Section::All && settings.format == Format::Csv {
        return Err(UsageError(
            "CSV holds one table: choose --section lags|granger|stability|summary".into(),
        )
        .into());
    }
    let opts = options(args, settings);
    let store = Store::open(&settings.location)?;
    let reports = analyse_pairs(&store, settings.as_of, &pairs, &opts)?;
    for r in &reports {
        if let Err(why) = &r.outcome {
            tracing::warn!("{}: {why}", r.label());
        }
    }
    write(&reports, section, settings.format, out)?;
    Ok(Exit::Ok)
}

/// The four tables of a set of pair reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LagTables {
    pub lags: Table,
    pub granger: Table,
    pub stability: Table,
    pub summary: Table,
}

impl LagTables {
    fn get(&self, s: Section) -> &Table {
        match s {
            Section::Granger => &self.granger,
            Section::Stability => &self.stability,
            Section::Summary => &self.summary,
            Section::Lags | Section::All => &self.lags,
        }
    }
}

/// Columns of the summary section.
pub const SUMMARY_COLUMNS: [&str; 26] = [
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
    "best_lag",
    "r",
    "ci_low",
    "ci_high",
    "p_adjusted",
    "significant",
    "granger_order",
    "granger_p",
    "oos_model",
    "oos_n",
    "rmse_base",
    "rmse_with_x",
    "dm_p",
    "oos_verdict",
    "note",
];

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
        stability: Table::new([
            "pair",
            "from",
            "to",
            "n",
            "best_lag",
            "r",
            "ci_low",
            "ci_high",
            "p_adjusted",
            "significant",
            "note",
        ]),
        summary: Table::new(SUMMARY_COLUMNS),
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
                notes.insert(0, why.clone());
                let mut row = head;
                row.resize(SUMMARY_COLUMNS.len() - 1, Cell::Null);
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
                Ok(b) => row.extend([
                    (b.lag as i64).into(),
                    b.r.into(),
                    b.ci_low.into(),
                    b.ci_high.into(),
                    b.p_adjusted.into(),
                    b.significant.into(),
                    w.note.as_deref().into(),
                ]),
                Err(why) => {
                    row.extend(std::iter::repeat_n(Cell::Null, 6));
                    row.push(why.as_str().into());
                }
            }
            t.stability.push(row);
        }
        if let Some(n) = &analysis.stability.note {
            notes.push(format!("stability: {n}"));
        }
        let b = &analysis.ccf.best;
        let g = analysis.granger_summary();
        let o = &analysis.oos;
        let mut row = head;
        row.extend([
            rep.max_lag.into(),
            analysis.ccf.ar_order.into(),
            (b.lag as i64).into(),
            b.r.into(),
            b.ci_low.into(),
            b.ci_high.into(),
            b.p_adjusted.into(),
            b.significant.into(),
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

/// Write the chosen section(s) in the chosen format.
pub fn write(
    reports: &[PairReport],
    section: Section,
    format: Format,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let t = tables(reports);
    let sections = [
        Section::Lags,
        Section::Granger,
        Section::Stability,
        Section::Summary,
    ];
    match (format, section) {
        (Format::Json, Section::All) => {
            let mut obj = serde_json::Map::new();
            for s in sections {
                obj.insert(s.name().into(), json_rows(t.get(s))?);
            }
            serde_json::to_writer_pretty(&mut *out, &obj)?;
            writeln!(out)?;
        }
        (Format::Table, _) => write_text(reports, &t, section, out)?,
        (_, s) => t.get(s).write(format, out)?,
    }
    Ok(())
}

/// A table as a JSON array (the `Table` JSON writer's own output, parsed back).
fn json_rows(t: &Table) -> anyhow::Result<serde_json::Value> {
    let mut buf = Vec::new();
    t.write(Format::Json, &mut buf)?;
    Ok(serde_json::from_slice(&buf)?)
}

/// Text: for each pair a heading, then its rows of each section; the summary as `field  value`.
fn write_text(
    reports: &[PairReport],
    t: &LagTables,
    section: Section,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let want = |s: Section| section == Section::All || section == s;
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
        if let (Err(why), false) = (&rep.outcome, want(Section::Summary)) {
            writeln!(out, "{why}")?;
        }
        for s in [Section::Lags, Section::Granger, Section::Stability] {
            if !want(s) {
                continue;
            }
            let sub = only_pair(t.get(s), &label);
            if !sub.rows.is_empty() {
                writeln!(out, "-- {}", s.name())?;
                sub.write(Format::Table, out)?;
            }
        }
        if want(Section::Summary) {
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
