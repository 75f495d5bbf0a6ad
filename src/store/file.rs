//! The store's own file: every observation portcast has fetched or been given by hand, with the
//! time it became known, one CSV row each (`observations.csv` in the store directory).
//!
//! The file only ever grows: a changed figure for a stored period is a new row with a later
//! `known_at` (a revision), never an edit. Every write goes to a temporary file in the same
//! directory, is synced, and is renamed over the old file, so a crash, a full disk or a garbled
//! fetch leaves the previous file byte for byte as it was.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use super::csvfile::{CsvTable, Problem, parse_number, parse_period};
use crate::model::{Observation, Precision};
use crate::series::catalog;

pub const FILE_NAME: &str = "observations.csv";
pub const HEADER: &str = "series,period,value,unit,precision,source,known_at";
const COLUMNS: [&str; 7] = [
    "series",
    "period",
    "value",
    "unit",
    "precision",
    "source",
    "known_at",
];

pub fn path_in(dir: &Path) -> PathBuf {
    dir.join(FILE_NAME)
}

/// Read the store file of `dir`. A missing file is an empty store; a problem in it is reported
/// with the file and line like any other input.
pub fn read(dir: &Path) -> (Vec<Observation>, Vec<Problem>) {
    let path = path_in(dir);
    let label = path.display().to_string();
    let mut problems = Vec::new();
    let text = match crate::limits::read_capped(&path, crate::limits::MAX_DATA_FILE_BYTES) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                problems.push(Problem {
                    file: label,
                    line: Some(crate::limits::line_of(e.as_bytes(), at) as u64),
                    message: format!("not UTF-8 text (byte {at} is invalid)"),
                });
                return (Vec::new(), problems);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), problems),
        Err(e) => {
            problems.push(Problem {
                file: label,
                line: None,
                message: format!("cannot read: {e}"),
            });
            return (Vec::new(), problems);
        }
    };
    let obs = parse(&label, &text, &mut problems);
    (obs, problems)
}

/// Parse the store file's text; warnings (rows that load but deserve a look) go to the log.
pub fn parse(label: &str, text: &str, problems: &mut Vec<Problem>) -> Vec<Observation> {
    let mut warnings = Vec::new();
    let obs = parse_checked(label, text, problems, &mut warnings);
    for w in warnings {
        tracing::warn!("{w}");
    }
    obs
}

/// Parse the store file's text. Problems fail the load; `warnings` are rows that load as they
/// are: a duplicate (series, period, known_at) written by an older version of `data add` (the
/// later line is taken as the later figure, as the view has always shown it). Refusing it would
/// stop every command, `data add` included, with only hand-editing to repair it.
pub fn parse_checked(
    label: &str,
    text: &str,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Vec<Observation> {
    let table = CsvTable::parse(label, text, problems);
    table.check_columns(&COLUMNS, &[], problems);
    if !COLUMNS.iter().all(|c| table.has_column(c)) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(table.rows.len());
    let mut seen = std::collections::HashMap::new();
    for row in &table.rows {
        let mut bad = |message: String| problems.push(table.problem(Some(row.line), message));
        let id = table.get(row, "series");
        let Some(spec) = catalog::spec(id) else {
            bad(format!("`{id}` is not a known series id"));
            continue;
        };
        let period = match parse_period(table.get(row, "period"), spec.period) {
            Ok(p) => p,
            Err(e) => {
                bad(format!(
                    "column `period`: {e} (`{id}` is keyed by {})",
                    spec.period
                ));
                continue;
            }
        };
        let value = match parse_number(table.get(row, "value")) {
            Ok(Some(v)) => v,
            Ok(None) => {
                bad("column `value` is empty".into());
                continue;
            }
            Err(e) => {
                bad(format!("column `value`: {e}"));
                continue;
            }
        };
        if spec.count && value < 0.0 {
            bad(format!(
                "column `value`: a count cannot be negative ({value})"
            ));
            continue;
        }
        if let Err(e) = spec.check_plausible(value) {
            bad(format!("column `value`: {e}"));
            continue;
        }
        let Some(precision) = Precision::parse(table.get(row, "precision")) else {
            bad(format!(
                "column `precision`: `{}` is not exact, rounded, lower-bound or upper-bound",
                table.get(row, "precision")
            ));
            continue;
        };
        let known_at = match DateTime::parse_from_rfc3339(table.get(row, "known_at")) {
            Ok(t) => t.with_timezone(&Utc),
            Err(_) => {
                bad(format!(
                    "column `known_at`: `{}` is not an RFC 3339 timestamp",
                    table.get(row, "known_at")
                ));
                continue;
            }
        };
        if let Some(first) = seen.insert((id.to_string(), period, known_at), row.line) {
            warnings.push(table.problem(
                Some(row.line),
                format!(
                    "warning: `{id}` {period} known at {} repeats the known_at of line {first} \
                     (written by an older portcast); loaded, this later line taken as the later \
                     figure",
                    table.get(row, "known_at")
                ),
            ));
        }
        out.push(Observation {
            series: Arc::from(id),
            period,
            value,
            unit: Arc::from(table.get(row, "unit")),
            precision,
            source: Arc::from(table.get(row, "source")),
            known_at,
        });
    }
    out
}

/// One observation as a CSV row of the store file (with its line end).
pub fn to_row(o: &Observation) -> String {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let value = format_value(o.value);
    let known_at = o.known_at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let period = o.period.to_string();
    w.write_record([
        &*o.series,
        &period,
        &value,
        &*o.unit,
        o.precision.as_str(),
        &*o.source,
        &known_at,
    ])
    .expect("writing to memory cannot fail");
    String::from_utf8(w.into_inner().expect("in-memory writer"))
        .expect("CSV of UTF-8 fields is UTF-8")
}

/// The shortest decimal that reads back as the same f64.
pub fn format_value(v: f64) -> String {
    format!("{v}")
}

/// Append observations to the store file of `dir` atomically: the new file is the old bytes
/// followed by the new rows, written to a temporary file beside it, synced and renamed into
/// place. On any error the old file is untouched.
pub fn append(dir: &Path, new: &[Observation]) -> std::io::Result<()> {
    // Every writer appends (possibly nothing) under the store lock: the moment to clear what a
    // killed writer left.
    crate::fsutil::remove_stale_temporaries(dir);
    if new.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dir)?;
    let path = path_in(dir);
    let mut bytes = match crate::limits::read_capped(&path, crate::limits::MAX_DATA_FILE_BYTES) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!("{HEADER}\n").into_bytes(),
        Err(e) => return Err(e),
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    for o in new {
        bytes.extend_from_slice(to_row(o).as_bytes());
    }
    crate::fsutil::write_atomic(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Period, start_of_day};
    use chrono::NaiveDate;

    fn obs(value: f64, day: u32) -> Observation {
        Observation {
            series: Arc::from("shanghai_teu"),
            period: Period::month(2024, 10).unwrap(),
            value,
            unit: Arc::from("TEU"),
            precision: Precision::LowerBound,
            source: Arc::from("SIPG press release, \"exceeded\""),
            known_at: start_of_day(NaiveDate::from_ymd_opt(2024, 11, day).unwrap()),
        }
    }

    #[test]
    fn the_lock_knows_the_store_header() {
        assert_eq!(crate::fsutil::STORE_HEADER, HEADER);
    }

    #[test]
    fn rows_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        append(dir.path(), &[obs(4_300_000.0, 15)]).unwrap();
        append(dir.path(), &[obs(4_312_345.5, 20)]).unwrap();
        let (back, problems) = read(dir.path());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(back, vec![obs(4_300_000.0, 15), obs(4_312_345.5, 20)]);
    }

    #[test]
    fn a_bad_row_is_reported_with_its_line() {
        let mut problems = Vec::new();
        let text = format!("{HEADER}\nshanghai_teu,2024-13,1,TEU,exact,x,2024-11-01T00:00:00Z\n");
        parse("s.csv", &text, &mut problems);
        assert!(
            problems[0]
                .to_string()
                .starts_with("s.csv:2: column `period`"),
            "{problems:?}"
        );
    }
}
