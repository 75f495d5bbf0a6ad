//! The bundled snapshot: the real figures of `data/*.csv`, compiled into the binary, or the same
//! files read from a user's `--data-dir`.
//!
//! Each file has its own layout (they come from different publishers) and its own loader here,
//! all built on the shared [`RowLoader`], which checks what every file must satisfy: parseable
//! periods and numbers, no duplicate period for a series, periods in order, no negative counts, a
//! precision that is known and consistent with the row's own words. The bundled figures carry no
//! publication date, so each gets `known_at` = end of its period + the series' release lag
//! (`crate::series::catalog::ReleaseLags`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Duration;

use super::csvfile::{CsvRow, CsvTable, FieldError, Problem, parse_number, parse_period};
use super::recent::Recent;
use crate::model::{Frequency, Observation, Period, Precision, start_of_day};
use crate::series::catalog::ReleaseLags;
use crate::series::catalog::{self, SeriesSpec};

/// A snapshot file: its name in `data/` and its embedded text.
pub struct BundledFile {
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! bundled {
    ($($name:literal),+ $(,)?) => {
        &[$(BundledFile { name: $name, text: include_str!(concat!("../../data/", $name)) }),+]
    };
}

/// What the loader keeps per series: its id (one `Arc` shared by all its observations), unit,
/// release lag in days, and spec (count-ness, plausible range).
type SeriesInfo = (Arc<str>, Arc<str>, i64, Arc<SeriesSpec>);

/// Every file of the snapshot, in the order they are loaded.
pub const FILES: &[BundledFile] = bundled!(
    "pmi_nbs_monthly.csv",
    "pmi_nbs_subindices_monthly.csv",
    "portwatch_daily_port_calls.csv",
    "scfi_weekly.csv",
    "scfi_uswc_weekly.csv",
    "scfi_monthly_average.csv",
    "shanghai_teu_monthly.csv",
    "shanghai_teu_annual.csv",
    "la_teu_monthly.csv",
    "la_teu_annual.csv",
    "long_beach_teu_monthly.csv",
    "china_other_ports_teu.csv",
);

/// Where the snapshot is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataDir {
    /// The figures compiled into the binary (the project's `data/`).
    Embedded,
    /// A directory holding files of the same names and layout.
    Path(PathBuf),
}

impl DataDir {
    pub fn describe(&self) -> String {
        match self {
            DataDir::Embedded => "the bundled snapshot".to_string(),
            DataDir::Path(p) => p.display().to_string(),
        }
    }
}

/// Load and validate every snapshot file: the observations of each file (in [`FILES`] order)
/// and every problem of every file. The observations are only good to use when the problem
/// list is empty. (They stay in one vector per file: joining them into one was a tenth of the
/// load, copying and page-faulting 0.8 MB.)
///
/// The largest file (PortWatch's daily calls, two thirds of the work) is loaded on a thread of
/// its own while the others are loaded here; the results are joined in [`FILES`] order, so the
/// observations and problems come out as one file after the other. (Handing the files to
/// rayon's pool instead left them all on one worker whenever the second had not started yet.)
pub fn load(dir: &DataDir, lags: &ReleaseLags) -> (Vec<Vec<Observation>>, Vec<Problem>) {
    let texts: Vec<Result<(String, Cow<'static, str>), Problem>> = FILES
        .iter()
        .map(|file| match dir {
            DataDir::Embedded => Ok((format!("data/{}", file.name), Cow::Borrowed(file.text))),
            DataDir::Path(d) => {
                let path = d.join(file.name);
                read_text(&path)
                    .map(|t| (path.display().to_string(), Cow::Owned(t)))
                    .map_err(|(line, message)| Problem {
                        file: path.display().to_string(),
                        line,
                        message,
                    })
            }
        })
        .collect();
    let load_one = |i: usize| -> (Vec<Observation>, Vec<Problem>) {
        let (mut observations, mut problems) = (Vec::new(), Vec::new());
        match &texts[i] {
            Ok((label, text)) => load_file(
                FILES[i].name,
                label,
                text,
                lags,
                &mut observations,
                &mut problems,
            ),
            Err(problem) => problems.push(problem.clone()),
        }
        (observations, problems)
    };
    let largest = (0..texts.len()).max_by_key(|&i| texts[i].as_ref().map_or(0, |(_, t)| t.len()));
    let mut per_file: Vec<(Vec<Observation>, Vec<Problem>)> = Vec::with_capacity(FILES.len());
    let mut big = None;
    std::thread::scope(|scope| {
        let handle = largest.map(|i| scope.spawn(move || load_one(i)));
        for i in 0..texts.len() {
            per_file.push(if Some(i) == largest {
                Default::default()
            } else {
                load_one(i)
            });
        }
        big = handle.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
    });
    if let (Some(i), Some(loaded)) = (largest, big) {
        per_file[i] = loaded;
    }
    let mut observations = Vec::with_capacity(per_file.len());
    let mut problems = Vec::new();
    for (o, p) in per_file {
        observations.push(o);
        problems.extend(p);
    }
    (observations, problems)
}

/// The file's text, or why not with the line at fault (invalid UTF-8) when there is one.
fn read_text(path: &Path) -> Result<String, (Option<u64>, String)> {
    let bytes = crate::limits::read_capped(path, crate::limits::MAX_DATA_FILE_BYTES)
        .map_err(|e| (None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        (
            Some(crate::limits::line_of(e.as_bytes(), at) as u64),
            format!("not UTF-8 text (byte {at} is invalid; save the file as UTF-8 CSV)"),
        )
    })
}

/// Load one file by its snapshot name (`name` picks the layout; `label` names it in messages).
pub fn load_file(
    name: &str,
    label: &str,
    text: &str,
    lags: &ReleaseLags,
    out: &mut Vec<Observation>,
    problems: &mut Vec<Problem>,
) {
    let table = CsvTable::parse(label, text, problems);
    let mut l = RowLoader::new(&table, lags, out, problems);
    match name {
        "pmi_nbs_monthly.csv" => {
            l.columns(
                &["month", "manufacturing_pmi", "source"],
                &["non_manufacturing_pmi", "note"],
            );
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                l.value(
                    row,
                    period,
                    "manufacturing_pmi",
                    "pmi",
                    Precision::Exact,
                    &source,
                );
                l.value(
                    row,
                    period,
                    "non_manufacturing_pmi",
                    "pmi_non_manufacturing",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "pmi_nbs_subindices_monthly.csv" => {
            let cols = [
                ("new_export_orders", "pmi_new_export_orders"),
                ("production", "pmi_production"),
                ("new_orders", "pmi_new_orders"),
                ("imports", "pmi_imports"),
            ];
            l.columns(
                &["month", "source"],
                &[
                    "new_export_orders",
                    "production",
                    "new_orders",
                    "imports",
                    "note",
                ],
            );
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                for (col, id) in cols {
                    l.value(row, period, col, id, Precision::Exact, &source);
                }
            });
        }
        "portwatch_daily_port_calls.csv" => load_portwatch(&mut l),
        "scfi_weekly.csv" => {
            l.columns(&["date", "scfi_composite", "source"], &["note"]);
            l.each_row("date", Frequency::Day, |l, row, period| {
                let source = l.source(row);
                l.value(
                    row,
                    period,
                    "scfi_composite",
                    "scfi",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "scfi_uswc_weekly.csv" => {
            l.columns(&["date", "usd_per_feu", "source"], &["note"]);
            l.each_row("date", Frequency::Day, |l, row, period| {
                let source = l.source(row);
                l.value(
                    row,
                    period,
                    "usd_per_feu",
                    "scfi_uswc",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "scfi_monthly_average.csv" => {
            l.columns(
                &["month", "scfi_composite_avg", "source"],
                &["uswc_usd_per_feu_avg", "note"],
            );
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                l.value(
                    row,
                    period,
                    "scfi_composite_avg",
                    "scfi_monthly_avg",
                    Precision::Exact,
                    &source,
                );
                l.value(
                    row,
                    period,
                    "uswc_usd_per_feu_avg",
                    "scfi_uswc_monthly_avg",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "shanghai_teu_monthly.csv" => {
            l.columns(
                &["month", "teu", "teu_precision", "source"],
                &["ytd_teu", "ytd_precision", "yoy_pct_stated", "note"],
            );
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                for (col, prec_col, id) in [
                    ("teu", "teu_precision", "shanghai_teu"),
                    ("ytd_teu", "ytd_precision", "shanghai_teu_ytd"),
                ] {
                    if let Some(p) = l.precision_column(row, prec_col, col) {
                        l.value(row, period, col, id, p, &source);
                    }
                }
                // The change stated beside the print, as printed (its decimals are its
                // precision).
                l.value(
                    row,
                    period,
                    "yoy_pct_stated",
                    "shanghai_teu_yoy",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "shanghai_teu_annual.csv" => {
            l.columns(
                &["year", "teu", "source"],
                &["precision", "yoy_pct_stated", "note"],
            );
            l.each_row("year", Frequency::Year, |l, row, period| {
                let source = l.source(row);
                if let Some(p) = l.precision_from_words(row, "teu") {
                    l.value(row, period, "teu", "shanghai_teu_annual", p, &source);
                }
                l.value(
                    row,
                    period,
                    "yoy_pct_stated",
                    "shanghai_teu_annual_yoy",
                    Precision::Exact,
                    &source,
                );
            });
        }
        "la_teu_monthly.csv" => {
            let cols = [
                ("total_teu", "la_teu"),
                ("loaded_imports_teu", "la_loaded_imports"),
                ("empty_imports_teu", "la_empty_imports"),
                ("total_imports_teu", "la_total_imports"),
                ("loaded_exports_teu", "la_loaded_exports"),
                ("empty_exports_teu", "la_empty_exports"),
                ("total_exports_teu", "la_total_exports"),
                ("empties_teu", "la_empties"),
                ("ytd_total_teu", "la_teu_ytd"),
            ];
            let mut required = vec!["month", "value_type", "source"];
            required.extend(cols.iter().map(|c| c.0));
            l.columns(&required, &["note"]);
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                let Some(precision) = l.la_value_type(row) else {
                    return;
                };
                for (col, id) in cols {
                    l.value(row, period, col, id, precision, &source);
                }
            });
        }
        "la_teu_annual.csv" => {
            l.columns(&["year", "total_teu", "source"], &["precision", "note"]);
            l.each_row("year", Frequency::Year, |l, row, period| {
                let source = l.source(row);
                if let Some(p) = l.precision_from_words(row, "total_teu") {
                    l.value(row, period, "total_teu", "la_teu_annual", p, &source);
                }
            });
        }
        "long_beach_teu_monthly.csv" => {
            let cols = [
                ("total_teu", "long_beach_teu"),
                ("loaded_imports_teu", "long_beach_loaded_imports"),
                ("loaded_exports_teu", "long_beach_loaded_exports"),
                ("empties_teu", "long_beach_empties"),
                ("ytd_total_teu", "long_beach_teu_ytd"),
            ];
            let mut required = vec!["month", "source"];
            required.extend(cols.iter().map(|c| c.0));
            l.columns(&required, &["note"]);
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                for (col, id) in cols {
                    l.value(row, period, col, id, Precision::Exact, &source);
                }
            });
        }
        "china_other_ports_teu.csv" => {
            l.columns(
                &["month", "period_type", "port", "teu", "precision", "source"],
                &["yoy_pct_stated", "note"],
            );
            l.each_row("month", Frequency::Month, |l, row, period| {
                let source = l.source(row);
                let port = slug(l.table.get(row, "port"));
                let suffix = match l.table.get(row, "period_type") {
                    "month" => "",
                    "ytd" => "_ytd",
                    other => {
                        l.problem(
                            row,
                            format!("period_type `{other}` is neither `month` nor `ytd`"),
                        );
                        return;
                    }
                };
                if port.is_empty() {
                    l.problem(row, "the port is empty".into());
                    return;
                }
                if let Some(p) = l.precision_column(row, "precision", "teu") {
                    l.value(
                        row,
                        period,
                        "teu",
                        &format!("cn_port.{port}_teu{suffix}"),
                        p,
                        &source,
                    );
                }
            });
        }
        other => problems_push(
            l.problems,
            label,
            format!("no loader for a file named {other}"),
        ),
    }
}

fn problems_push(problems: &mut Vec<Problem>, file: &str, message: String) {
    problems.push(Problem {
        file: file.to_string(),
        line: None,
        message,
    });
}

/// PortWatch daily calls: one row per port and day. Every `portcalls*`, `import*` and `export*`
/// column becomes `portwatch.<portid>.<column>`; other PortWatch attributes are accepted and
/// ignored, so a bulk CSV export of the layer loads as it is.
fn load_portwatch(l: &mut RowLoader<'_>) {
    let fields: Vec<String> = l
        .table
        .headers
        .iter()
        .filter(|h| {
            h.starts_with("portcalls") || h.starts_with("import") || h.starts_with("export")
        })
        .cloned()
        .collect();
    let mut optional: Vec<&str> = vec![
        "portname", "year", "month", "day", "country", "ISO3", "ObjectId", "source",
    ];
    optional.extend(
        fields
            .iter()
            .map(String::as_str)
            .filter(|f| *f != "portcalls_container"),
    );
    l.columns(&["date", "portid", "portcalls_container"], &optional);
    let default_source: Arc<str> = Arc::from(
        "IMF PortWatch daily port calls (Kpler; UN Global Platform; IMF PortWatch, portwatch.imf.org)",
    );
    // A typo in a port id (`p2rt1188`, `port1189` for Shanghai) would start a new series and
    // leave a hole in the old one: ids must look like PortWatch's, and each port name keep one
    // id (and each id one name) throughout the file.
    let mut names: HashMap<String, (String, u64)> = HashMap::new();
    let mut ids: HashMap<String, (String, u64)> = HashMap::new();
    // The ports seen: id, the name `ids` holds for it (once it holds one), and the series ids
    // of its fields in `fields`' order (built once per port); found among the last few ports
    // used before hashing (the file interleaves a handful of ports day by day).
    let mut ports: Vec<(String, Option<String>, Vec<String>)> = Vec::new();
    let mut port_index: HashMap<String, usize> = HashMap::new();
    let mut recent = Recent::default();
    l.each_row("date", Frequency::Day, |l, row, period| {
        let port = l.table.get(row, "portid");
        let digits = port.strip_prefix("port").unwrap_or("");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            l.problem(
                row,
                format!("portid `{port}` is not a PortWatch port id (`port` and digits, e.g. port1188)"),
            );
            return;
        }
        let i = match recent.find(|&i| ports[i].0 == port) {
            Some(i) => i,
            None => {
                let i = *port_index.entry(port.to_string()).or_insert_with(|| {
                    let series = fields.iter().map(|f| format!("portwatch.{port}.{f}")).collect();
                    ports.push((port.to_string(), None, series));
                    ports.len() - 1
                });
                recent.note(i);
                i
            }
        };
        let name = l.table.get(row, "portname").trim();
        // A port seen before under this very name passes both checks: when `ids` gave it the
        // name, `names` gave the name this port.
        if !name.is_empty() && ports[i].1.as_deref() != Some(name) {
            match names.get(name) {
                Some((id, first)) if id != port => {
                    let message = format!(
                        "portid `{port}` for `{name}`, which is `{id}` on line {first} (a typo in the id?)"
                    );
                    return l.problem(row, message);
                }
                Some(_) => {}
                None => {
                    names.insert(name.to_string(), (port.to_string(), row.line));
                }
            }
            match ids.get(port) {
                Some((n, first)) if n != name => {
                    let message = format!(
                        "portname `{name}` for `{port}`, which is `{n}` on line {first} (a typo in the id?)"
                    );
                    return l.problem(row, message);
                }
                Some(_) => {}
                None => {
                    ids.insert(port.to_string(), (name.to_string(), row.line));
                }
            }
            ports[i].1 = Some(name.to_string());
        }
        let source = match l.table.get(row, "source") {
            "" => default_source.clone(),
            s => Arc::from(s),
        };
        for (field, series) in fields.iter().zip(&ports[i].2) {
            l.value(row, period, field, series, Precision::Exact, &source);
        }
    });
}

/// Lower-case ASCII identifier from a name: `Ningbo-Zhoushan` → `ningbo_zhoushan`.
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    s.trim_end_matches('_').to_string()
}

/// Words that say a figure is a lower bound ("exceeded 47 million", Chinese 突破/超过, Russian
/// превысил, as the bundled press quotes put it).
const LOWER_BOUND_WORDS: &[&str] = &[
    "lower bound",
    "lower-bound",
    "exceeded",
    "more than",
    "突破",
    "超过",
    "逾",
    "превыс",
    "свыше",
];

fn says_lower_bound(text: &str) -> bool {
    let t = text.to_lowercase();
    LOWER_BOUND_WORDS.iter().any(|w| t.contains(w)) || t.trim_start().starts_with('>')
}

/// Whether a row's note says its value repeats an earlier one instead of being a release:
/// "carried forward" or "carried-forward", in lower, title or upper case.
fn says_carried_forward(note: &str) -> bool {
    // Most notes are long and say nothing of the kind: a substring search first, a lowercase
    // copy only then.
    (note.contains("arried") || note.contains("ARRIED")) && {
        let t = note.to_ascii_lowercase();
        t.contains("carried forward") || t.contains("carried-forward")
    }
}

/// Classify a precision column's words: `exact (264万1千)`, `2 dp of million`, `3 sig. digits`,
/// `rounded`, `lower bound` / `exceeded …`. Empty means exact.
pub fn classify_precision(text: &str) -> Result<Precision, FieldError> {
    let t = text.trim().to_lowercase();
    if let Some(p) = Precision::parse(&t) {
        return Ok(p);
    }
    if says_lower_bound(&t) {
        Ok(Precision::LowerBound)
    } else if t.is_empty() || t.starts_with("exact") {
        Ok(Precision::Exact)
    } else if t.contains("dp") || t.contains("sig") || t.contains("round") || t.contains("approx") {
        Ok(Precision::Rounded)
    } else {
        Err(FieldError::Precision(text.trim().to_string()))
    }
}

/// The per-row machinery shared by every file's loader.
pub(crate) struct RowLoader<'a> {
    pub(crate) table: &'a CsvTable,
    lags: &'a ReleaseLags,
    out: &'a mut Vec<Observation>,
    pub(crate) problems: &'a mut Vec<Problem>,
    /// series id → what the loader keeps of it and the periods it has read (one lookup per
    /// value for the unit, the duplicate and the order checks).
    series: Vec<SeriesState>,
    series_index: HashMap<String, usize>,
    /// The series used last (indices into `series`).
    recent: Recent,
    columns_ok: bool,
    previous_source: Option<Arc<str>>,
    /// Whether the file has a `note` column (most values are read from files without one).
    has_note: bool,
}

impl<'a> RowLoader<'a> {
    pub(crate) fn new(
        table: &'a CsvTable,
        lags: &'a ReleaseLags,
        out: &'a mut Vec<Observation>,
        problems: &'a mut Vec<Problem>,
    ) -> Self {
        RowLoader {
            table,
            lags,
            out,
            problems,
            series: Vec::new(),
            series_index: HashMap::new(),
            recent: Recent::default(),
            columns_ok: true,
            previous_source: None,
            has_note: table.has_column("note"),
        }
    }

    pub(crate) fn columns(&mut self, required: &[&str], optional: &[&str]) {
        self.table.check_columns(required, optional, self.problems);
        // Rows of a file with a missing column cannot be read meaningfully: report the header
        // once instead of the same missing value on every line.
        self.columns_ok = required.iter().all(|r| self.table.has_column(r));
    }

    pub(crate) fn problem(&mut self, row: &CsvRow, message: String) {
        self.problems
            .push(self.table.problem(Some(row.line), message));
    }

    /// Whether `row`'s note says its value was carried forward ([`says_carried_forward`]).
    fn carried_forward(&self, row: &CsvRow) -> bool {
        self.has_note && says_carried_forward(self.table.get(row, "note"))
    }

    /// Run `f` on every row whose period column parses; a row whose period does not parse is a
    /// problem.
    pub(crate) fn each_row(
        &mut self,
        period_col: &str,
        freq: Frequency,
        mut f: impl FnMut(&mut Self, &CsvRow, Period),
    ) {
        if !self.columns_ok {
            return;
        }
        for row in &self.table.rows {
            match parse_period(self.table.get(row, period_col), freq) {
                Ok(p) => f(self, row, p),
                Err(e) => self.problem(row, format!("column `{period_col}`: {e}")),
            }
        }
    }

    /// The row's provenance. `same …` (the publishers' shorthand for "the source of the row
    /// above") is spelled out, so a figure shown on its own still says where it came from.
    pub(crate) fn source(&mut self, row: &CsvRow) -> Arc<str> {
        let text = self.table.get(row, "source");
        let resolved: Arc<str> = match text {
            "" => Arc::from(format!("{} line {}", self.table.file, row.line)),
            s if s == "same" || s.starts_with("same ") => match &self.previous_source {
                Some(prev) => Arc::from(format!("{prev}{}", &s[4..])),
                None => Arc::from(s),
            },
            s => Arc::from(s),
        };
        if !text.starts_with("same") {
            self.previous_source = Some(resolved.clone());
        }
        resolved
    }

    /// The precision stated in `prec_col` for the value in `value_col`, checked against the
    /// row's note: a note that says "exceeded" under a precision of exact is a lower bound
    /// stated as a value, and is refused.
    pub(crate) fn precision_column(
        &mut self,
        row: &CsvRow,
        prec_col: &str,
        value_col: &str,
    ) -> Option<Precision> {
        if self.table.get(row, value_col).is_empty() {
            return Some(Precision::Exact); // no value: nothing to qualify
        }
        let stated = self.table.get(row, prec_col);
        match classify_precision(stated) {
            Ok(p) => {
                if p.is_value() && says_lower_bound(self.table.get(row, "note")) {
                    self.problem(
                        row,
                        format!(
                            "a lower bound stated as a value: the note says the figure was exceeded, \
                             but `{prec_col}` says {p}; write `lower bound` in `{prec_col}`"
                        ),
                    );
                    return None;
                }
                Some(p)
            }
            Err(e) => {
                self.problem(row, format!("column `{prec_col}`: {e}"));
                None
            }
        }
    }

    /// Precision of a file without a precision column for its main value, from an optional
    /// `precision` column or else the row's own words (note and source): "exceeded …" is a lower
    /// bound, "exact" is exact (it wins over a mention of an earlier rounded figure), "rounded" is
    /// rounded, otherwise exact.
    pub(crate) fn precision_from_words(
        &mut self,
        row: &CsvRow,
        value_col: &str,
    ) -> Option<Precision> {
        if self.table.has_column("precision") && !self.table.get(row, "precision").is_empty() {
            return self.precision_column(row, "precision", value_col);
        }
        let words = format!(
            "{} {}",
            self.table.get(row, "note"),
            self.table.get(row, "source")
        );
        let lower = words.to_lowercase();
        Some(if says_lower_bound(&words) {
            Precision::LowerBound
        } else if lower.contains("exact") {
            Precision::Exact
        } else if lower.contains("rounded") {
            Precision::Rounded
        } else {
            Precision::Exact
        })
    }

    /// LA's `value_type`: official tables and press releases are exact figures as published; an
    /// estimate is rounded.
    fn la_value_type(&mut self, row: &CsvRow) -> Option<Precision> {
        match self.table.get(row, "value_type") {
            "official_table_2dp" | "press_release_whole_teu" | "record_quote" => {
                Some(Precision::Exact)
            }
            "press_release_estimate" => Some(Precision::Rounded),
            other => {
                self.problem(
                    row,
                    format!(
                        "value_type `{other}` is not one of official_table_2dp, press_release_whole_teu, \
                         press_release_estimate, record_quote"
                    ),
                );
                None
            }
        }
    }

    /// Read `col` of `row` as the value of `series` for `period`. An empty cell is no
    /// observation (the period is missing for that series); anything unreadable is a problem.
    /// A row whose note says its value was carried forward is checked like any other and then
    /// left out: it repeats an earlier figure over a week without a release (the SCFI in three
    /// Chinese holiday weeks of the bundled file), and read as a print it would be a week of no
    /// change that never happened — the period stays missing, as other weeks without a release
    /// are.
    pub(crate) fn value(
        &mut self,
        row: &CsvRow,
        period: Period,
        col: &str,
        series: &str,
        precision: Precision,
        source: &Arc<str>,
    ) {
        let value = match parse_number(self.table.get(row, col)) {
            Ok(Some(v)) => v,
            Ok(None) => return,
            Err(e) => return self.problem(row, format!("column `{col}`: {e}")),
        };
        let Some(state) = self.state_of(series) else {
            return self.problem(row, format!("`{series}` is not a known series id"));
        };
        let (key, unit, lag, _) = state.info.clone();
        let out_of_order = match state.read(value, period, row.line) {
            Ok(out_of_order) => out_of_order,
            Err(Refused::Negative) => {
                let message = format!("column `{col}`: a count cannot be negative ({value})");
                return self.problem(row, message);
            }
            Err(Refused::Implausible(e)) => {
                return self.problem(row, format!("column `{col}`: {e}"));
            }
            Err(Refused::Duplicate(first)) => {
                let message = format!(
                    "duplicate period {period} for `{series}` (first given on line {first})"
                );
                return self.problem(row, message);
            }
        };
        if let Some((last, last_line)) = out_of_order {
            let message = format!(
                "periods out of order: {period} for `{series}` comes after {last} (line {last_line})"
            );
            self.problem(row, message);
        }
        if self.carried_forward(row) {
            tracing::debug!(
                "{} line {}: `{series}` {period} left out: the note says the value was carried \
                 forward, not released",
                self.table.file,
                row.line
            );
            return;
        }
        self.out.push(Observation {
            series: key,
            period,
            value,
            unit,
            precision,
            source: source.clone(),
            known_at: start_of_day(period.end() + Duration::days(lag)),
        });
    }

    /// The loader's state of `series`, `None` for an id the catalogue does not know. The last
    /// few series used are compared before hashing (a file interleaves a handful of series).
    fn state_of(&mut self, series: &str) -> Option<&mut SeriesState> {
        let known = &self.series;
        if let Some(i) = self.recent.find(|&i| &*known[i].info.0 == series) {
            return Some(&mut self.series[i]);
        }
        if let Some(&i) = self.series_index.get(series) {
            self.recent.note(i);
            return Some(&mut self.series[i]);
        }
        let spec = catalog::spec(series)?;
        let info = (
            Arc::from(series),
            Arc::from(spec.unit.as_str()),
            self.lags.lag_days(&spec),
            Arc::new(spec),
        );
        self.series_index
            .insert(series.to_string(), self.series.len());
        self.series.push(SeriesState {
            info,
            last: None,
            seen: Seen::Ascending(Vec::new()),
        });
        self.series.last_mut()
    }
}

/// What [`RowLoader`] keeps of one series while reading a file.
struct SeriesState {
    info: SeriesInfo,
    /// The period read last and its line, for the order check.
    last: Option<(Period, u64)>,
    seen: Seen,
}

/// Why [`SeriesState::read`] refused a value.
enum Refused {
    Negative,
    Implausible(String),
    /// The line that gave the period before.
    Duplicate(u64),
}

impl SeriesState {
    /// Check `value` of `period` read on `line` and record it; the period and line read before
    /// when this one is out of order (still kept, and reported by the caller).
    fn read(
        &mut self,
        value: f64,
        period: Period,
        line: u64,
    ) -> Result<Option<(Period, u64)>, Refused> {
        let spec = &self.info.3;
        if spec.count && value < 0.0 {
            return Err(Refused::Negative);
        }
        spec.check_plausible(value)
            .map_err(|e| Refused::Implausible(e.to_string()))?;
        if let Some(first) = self.seen.insert(period, line) {
            return Err(Refused::Duplicate(first));
        }
        let before = self.last.replace((period, line));
        Ok(before.filter(|(last, _)| *last > period))
    }
}

/// The periods of one series read so far, each with the line that gave it last, for the
/// duplicate check. Files list their periods in order, and while they do a new period is just
/// pushed (no hashing: on the bundled snapshot a hash set of every period was a quarter of the
/// load); the first period that is not after the previous one switches to a hash map, so a file
/// in any order still costs linear time.
enum Seen {
    Ascending(Vec<(Period, u64)>),
    Any(HashMap<Period, u64>),
}

impl Seen {
    /// Record `period` read on `line`; the line that gave it before, if any (which `line` then
    /// replaces, so a third copy names the second).
    fn insert(&mut self, period: Period, line: u64) -> Option<u64> {
        match self {
            Seen::Ascending(v) => {
                if v.last().is_none_or(|(p, _)| *p < period) {
                    v.push((period, line));
                    return None;
                }
                let mut map: HashMap<Period, u64> = v.drain(..).collect();
                let before = map.insert(period, line);
                *self = Seen::Any(map);
                before
            }
            Seen::Any(map) => map.insert(period, line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(name: &str, text: &str) -> (Vec<Observation>, Vec<Problem>) {
        let mut obs = Vec::new();
        let mut problems = Vec::new();
        load_file(
            name,
            name,
            text,
            &ReleaseLags::default(),
            &mut obs,
            &mut problems,
        );
        (obs, problems)
    }

    #[test]
    fn the_bundled_snapshot_is_clean() {
        let (obs, problems) = load(&DataDir::Embedded, &ReleaseLags::default());
        assert!(
            problems.is_empty(),
            "{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert_eq!(obs.len(), FILES.len());
        assert!(obs.iter().map(Vec::len).sum::<usize>() > 7000);
    }

    #[test]
    fn precision_words() {
        assert_eq!(classify_precision("exact (264万1千)"), Ok(Precision::Exact));
        assert_eq!(
            classify_precision("2 dp of million"),
            Ok(Precision::Rounded)
        );
        assert_eq!(
            classify_precision("3 sig. digits (354万)"),
            Ok(Precision::Rounded)
        );
        assert_eq!(
            classify_precision("1906万 (4 sig. digits)"),
            Ok(Precision::Rounded)
        );
        assert_eq!(classify_precision("lower bound"), Ok(Precision::LowerBound));
        assert_eq!(
            classify_precision("exceeded 4.3 million"),
            Ok(Precision::LowerBound)
        );
        assert_eq!(classify_precision(""), Ok(Precision::Exact));
        assert!(classify_precision("guess").is_err());
        assert_eq!(slug("Ningbo-Zhoushan"), "ningbo_zhoushan");
        assert_eq!(slug("China major ports"), "china_major_ports");
    }

    #[test]
    fn annual_press_quotes_become_bounds() {
        let text = "year,teu,source,note\n2020,43500000,same,SIPG: 4350万标准箱 (rounded)\n\
                    2021,47030000,same,\"Chinese press: \"\"突破4700万\"\" (exceeded 47.0m)\"\n";
        let (obs, problems) = load_one("shanghai_teu_annual.csv", text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(obs[0].precision, Precision::Rounded);
        assert_eq!(obs[1].precision, Precision::LowerBound);
        assert_eq!(obs[1].known_at.date_naive().to_string(), "2022-01-20");
    }

    #[test]
    fn a_value_carried_forward_over_a_holiday_is_no_print() {
        // As the bundled SCFI file has it (2015-02-19 repeats 2015-02-12 over the Spring
        // Festival): the week is missing, not a week without change; nothing is a problem.
        let text = "date,scfi_composite,source,note\n2015-02-12,1088.28,x,\n\
                    2015-02-19,1088.28,x,\"value identical to previous row (holiday week; likely \
                    carried forward by the data compiler, not a fresh SSE release)\"\n\
                    2015-02-27,1049.07,x,\n";
        let (obs, problems) = load_one("scfi_weekly.csv", text);
        assert!(problems.is_empty(), "{problems:?}");
        let dates: Vec<String> = obs.iter().map(|o| o.period.to_string()).collect();
        assert_eq!(dates, ["2015-02-12", "2015-02-27"]);
        // The bundled file's three such rows are left out the same way.
        let (all, _) = load(&DataDir::Embedded, &ReleaseLags::default());
        let scfi: Vec<String> = all
            .iter()
            .flatten()
            .filter(|o| &*o.series == "scfi")
            .map(|o| o.period.to_string())
            .collect();
        for holiday in ["2014-10-02", "2015-02-19", "2015-10-01"] {
            assert!(!scfi.iter().any(|d| d == holiday), "{holiday}");
        }
        assert!(scfi.iter().any(|d| d == "2015-02-12"));
        // Left out, but checked like any row first: a duplicate date is still a problem.
        let text = "date,scfi_composite,source,note\n2015-02-12,1088.28,x,\n\
                    2015-02-12,1088.28,x,carried forward\n";
        let (obs, problems) = load_one("scfi_weekly.csv", text);
        assert_eq!(obs.len(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].to_string().contains(":3: duplicate period"));
        assert!(says_carried_forward(
            "Likely CARRIED-FORWARD by the compiler"
        ));
        assert!(!says_carried_forward("carried"));
        assert!(!says_carried_forward(""));
    }

    #[test]
    fn a_lower_bound_stated_as_a_value_is_refused() {
        let text =
            "month,teu,teu_precision,source,note\n2024-10,4300000,exact,x,exceeded 4.3 million\n";
        let (obs, problems) = load_one("shanghai_teu_monthly.csv", text);
        assert!(obs.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .to_string()
                .contains(":2: a lower bound stated as a value"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn duplicates_are_found_in_any_order() {
        // In order, then out of order (the duplicate check leaves its fast path), then two
        // copies of earlier periods: each names the line that gave the period last.
        let text = "month,manufacturing_pmi,source\n2023-01,50.1,a\n2023-03,50.2,a\n\
                    2023-02,50.3,a\n2023-01,50.4,a\n2023-01,50.5,a\n2023-03,50.6,a\n";
        let (_, problems) = load_one("pmi_nbs_monthly.csv", text);
        let msgs: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "pmi_nbs_monthly.csv:4: periods out of order: 2023-02 for `pmi` comes after 2023-03 (line 3)",
                "pmi_nbs_monthly.csv:5: duplicate period 2023-01 for `pmi` (first given on line 2)",
                "pmi_nbs_monthly.csv:6: duplicate period 2023-01 for `pmi` (first given on line 5)",
                "pmi_nbs_monthly.csv:7: duplicate period 2023-03 for `pmi` (first given on line 3)",
            ]
        );
        // A duplicate of the period just read, while still in order.
        let text =
            "month,manufacturing_pmi,source\n2023-01,50.1,a\n2023-01,50.2,a\n2023-02,50.3,a\n";
        let (obs, problems) = load_one("pmi_nbs_monthly.csv", text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .contains(":3: duplicate period 2023-01")
        );
        assert_eq!(obs.len(), 2);
    }

    #[test]
    fn row_checks_name_file_and_line() {
        let text = "month,manufacturing_pmi,source\n2023-01,50.1,a\n2023-01,50.2,a\n2022-12,abc,a\n2022-11,47.0,a\n";
        let (_, problems) = load_one("pmi_nbs_monthly.csv", text);
        let msgs: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            msgs[0].starts_with("pmi_nbs_monthly.csv:3: duplicate period 2023-01"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with(
                "pmi_nbs_monthly.csv:4: column `manufacturing_pmi`: `abc` is not a number"
            ),
            "{msgs:?}"
        );
        assert!(
            msgs[2].starts_with("pmi_nbs_monthly.csv:5: periods out of order"),
            "{msgs:?}"
        );

        let (_, problems) = load_one(
            "long_beach_teu_monthly.csv",
            "month,total_teu,loaded_imports_teu,loaded_exports_teu,empties_teu,ytd_total_teu,source\n2023-01,-5,,,,,x\n",
        );
        assert!(
            problems[0]
                .to_string()
                .contains(":2: column `total_teu`: a count cannot be negative"),
            "{problems:?}"
        );
    }

    #[test]
    fn known_at_follows_release_lags() {
        let (obs, _) = load_one(
            "portwatch_daily_port_calls.csv",
            "date,portid,portname,portcalls_container,portcalls\n2023-06-06,port1188,Shanghai,30,100\n",
        );
        assert_eq!(obs.len(), 2);
        assert_eq!(
            obs[0].series.as_ref(),
            "portwatch.port1188.portcalls_container"
        );
        assert_eq!(obs[0].known_at.date_naive().to_string(), "2023-06-15");
        let (obs, _) = load_one(
            "pmi_nbs_monthly.csv",
            "month,manufacturing_pmi,source\n2023-05,48.8,a\n",
        );
        assert_eq!(obs[0].known_at.date_naive().to_string(), "2023-05-31");
    }

    #[test]
    fn a_port_renamed_or_an_id_mistyped_after_many_good_days_is_caught() {
        // Two ports interleaved day by day (the loader then finds each among the last ports
        // used, without hashing), and on the fifth day one typo of each kind.
        let mut text = String::from("date,portid,portname,portcalls_container,portcalls\n");
        for day in 1..=4 {
            text += &format!("2023-06-0{day},port1188,Shanghai,30,100\n");
            text += &format!("2023-06-0{day},port2027,Yangshan,10,20\n");
        }
        text += "2023-06-05,port1188,Shanghia,30,100\n"; // line 10: the name mistyped
        text += "2023-06-05,port2072,Yangshan,10,20\n"; // line 11: the id mistyped
        text += "2023-06-06,port1188,Shanghai,30,100\n";
        let (obs, problems) = load_one("portwatch_daily_port_calls.csv", &text);
        let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0]
                .contains(":10: portname `Shanghia` for `port1188`, which is `Shanghai` on line 2"),
            "{messages:?}"
        );
        assert!(
            messages[1]
                .contains(":11: portid `port2072` for `Yangshan`, which is `port2027` on line 3"),
            "{messages:?}"
        );
        // Every good row is read, in the file's order, under its own port's series.
        assert_eq!(obs.len(), 2 * 9);
        assert_eq!(
            obs.last().map(|o| o.series.as_ref()),
            Some("portwatch.port1188.portcalls")
        );
    }
}
