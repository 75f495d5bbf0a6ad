//! Reading the CSV files of a data directory with line-accurate problems.
//!
//! Files saved by a spreadsheet are accepted as they are (UTF-8 byte-order mark, CRLF line ends,
//! thousands separators inside quoted numbers). Everything else that is wrong becomes a
//! [`Problem`] naming the file, the line and what is wrong; a row is never dropped silently. The
//! per-file loaders in `bundle.rs` build on the helpers here; `manual.rs` uses them for the store's
//! own files.

use std::fmt;

use chrono::NaiveDate;
use thiserror::Error;

use crate::model::{Frequency, Period, PeriodParseError};

/// One thing wrong with an input file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based line in the file; `None` for a problem with the file as a whole.
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// A parsed CSV file: its header and its rows, each with the line it started on.
#[derive(Debug)]
pub struct CsvTable {
    pub file: String,
    pub headers: Vec<String>,
    pub rows: Vec<CsvRow>,
    /// Every kept row's fields, one after the other, in one buffer (a record per row cost three
    /// allocations, and their frees, per row: a sixth of loading the bundled data).
    text: String,
    /// Field `k` of the table is `text[ends[k - 1]..ends[k]]` (`0` before the first).
    ends: Vec<usize>,
}

/// One row of a [`CsvTable`]: its line and where its fields start in the table (every kept row
/// has one field per header).
#[derive(Debug)]
pub struct CsvRow {
    pub line: u64,
    first: usize,
}

impl CsvTable {
    /// Parse `text` (the whole file) named `file` in messages. Structural problems (no header,
    /// a row with the wrong number of fields, broken quoting) are pushed to `problems` and the
    /// offending rows left out of `rows`; the caller fails the load when `problems` is not empty.
    pub fn parse(file: &str, text: &str, problems: &mut Vec<Problem>) -> CsvTable {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut table = CsvTable {
            file: file.to_string(),
            headers: Vec::new(),
            rows: Vec::new(),
            text: String::new(),
            ends: Vec::new(),
        };
        let mut problem = |line: Option<u64>, message: String| {
            problems.push(Problem {
                file: file.to_string(),
                line,
                message,
            })
        };
        if text.trim().is_empty() {
            problem(None, "the file is empty (expected a header row)".into());
            return table;
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        match reader.headers() {
            Ok(h) => table.headers = h.iter().map(|s| s.trim().to_string()).collect(),
            Err(e) => {
                problem(Some(1), format!("unreadable header row: {e}"));
                return table;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, h) in table.headers.iter().enumerate() {
            if h.is_empty() {
                problem(Some(1), format!("column {} has an empty name", i + 1));
            } else if !seen.insert(h.as_str()) {
                problem(Some(1), format!("column `{h}` appears twice"));
            }
        }
        let ends_with_newline = text.ends_with('\n');
        let bytes = text.as_bytes();
        let newlines_in = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count() as u64;
        // As `text.lines().count()`: every line end, and a last line without one.
        let n_lines = newlines_in(bytes) + u64::from(!ends_with_newline);
        // Line numbers from byte offsets (the csv crate's own line count is off with CRLF ends),
        // counted from the last position asked: records come in order.
        let mut cursor = (0usize, 1u64);
        let mut line_at = |byte: u64| {
            // A record's position can point at the line end that closed the previous record.
            let mut b = (byte as usize).min(bytes.len());
            while b < bytes.len() && matches!(bytes[b], b'\r' | b'\n') {
                b += 1;
            }
            if b < cursor.0 {
                cursor = (0, 1);
            }
            cursor = (b, cursor.1 + newlines_in(&bytes[cursor.0..b]));
            cursor.1
        };
        let mut buffer: Vec<u8> = Vec::with_capacity(text.len());
        let mut rec = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {
                    let line = rec.position().map_or(0, |p| line_at(p.byte()));
                    if rec.len() == 1
                        && rec
                            .get(0)
                            .and_then(|s| std::str::from_utf8(s).ok())
                            .is_some_and(|s| s.trim().is_empty())
                    {
                        // Empty lines never reach here (the reader skips them); a line of only
                        // spaces or tabs is either a stray edit or a row whose text was lost.
                        problem(
                            Some(line),
                            "the line holds only whitespace (delete it, or restore the row)".into(),
                        );
                        continue;
                    }
                    if rec.len() != table.headers.len() {
                        let truncated = !ends_with_newline
                            && line == n_lines
                            && rec.len() < table.headers.len();
                        let hint = if truncated {
                            " (the last line looks truncated)"
                        } else if rec.len() > table.headers.len() {
                            " (an unquoted comma in a field?)"
                        } else {
                            ""
                        };
                        problem(
                            Some(line),
                            format!(
                                "expected {} fields, found {}{hint}",
                                table.headers.len(),
                                rec.len()
                            ),
                        );
                        continue;
                    }
                    table.rows.push(CsvRow {
                        line,
                        first: table.ends.len(),
                    });
                    for field in &rec {
                        buffer.extend_from_slice(field);
                        table.ends.push(buffer.len());
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| line_at(p.byte()));
                    problem(line, format!("unreadable row: {e}"));
                }
            }
        }
        // The fields are pieces of `text` (a valid string) cut at ASCII quotes and commas, with
        // doubled quotes made single: valid UTF-8 again.
        table.text = String::from_utf8(buffer).expect("fields of a UTF-8 text are UTF-8");
        if !ends_with_newline
            && !problems
                .iter()
                .any(|p| p.file == file && p.line == Some(n_lines))
        {
            // Every writer (portcast, a spreadsheet, an editor) ends the last line: a file that
            // stops mid-line was cut short, and a cut inside the last number (`…,17,2` for
            // `…,17,20`) still parses. The line is reported (once), not read.
            table.rows.retain(|r| r.line != n_lines);
            problems.push(Problem {
                file: file.to_string(),
                line: Some(n_lines),
                message: "the file does not end with a line end: the last line looks truncated \
                          (add the line end if the line is complete)"
                    .into(),
            });
        }
        table
    }

    /// Check the header against the columns a file of this kind must have and may have.
    pub fn check_columns(&self, required: &[&str], optional: &[&str], problems: &mut Vec<Problem>) {
        for r in required {
            if !self.has_column(r) {
                problems.push(self.problem(Some(1), format!("missing column `{r}`")));
            }
        }
        for h in &self.headers {
            if !h.is_empty() && !required.contains(&h.as_str()) && !optional.contains(&h.as_str()) {
                let mut known: Vec<&str> = required.iter().chain(optional).copied().collect();
                known.sort_unstable();
                problems.push(self.problem(
                    Some(1),
                    format!(
                        "unknown column `{h}` (this file's columns are: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// The index of column `name` (the last of two same-named ones, which the parse reports as a
    /// problem). A scan of the few headers beats hashing the name: this runs for every field read.
    fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .rposition(|h| !h.is_empty() && h == name)
    }

    /// The trimmed field of `row` in column `name`; empty when the file has no such column.
    pub fn get(&self, row: &CsvRow, name: &str) -> &str {
        self.column(name)
            .map_or("", |i| self.field(row.first + i).trim())
    }

    /// Field `k` of the table's buffer.
    fn field(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    pub fn problem(&self, line: Option<u64>, message: String) -> Problem {
        Problem {
            file: self.file.clone(),
            line,
            message,
        }
    }
}

/// A field of a data file that cannot be read: the text, and what it should have been.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum FieldError {
    #[error("`{0}` is not a number (misplaced comma)")]
    MisplacedComma(String),
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error(transparent)]
    Period(#[from] PeriodParseError),
    #[error(
        "the period {0} is not plausible (years {first} to {last})",
        first = PLAUSIBLE_YEARS.start(),
        last = PLAUSIBLE_YEARS.end()
    )]
    ImplausibleYear(Period),
    #[error(
        "precision `{0}` is not understood (write exact, rounded, lower bound, or e.g. `2 dp of million`)"
    )]
    Precision(String),
}

/// Parse a number as people and spreadsheets write them: `422831.95`, `422,831.95` (thousands
/// separators in groups of three), `1e6`. Empty is `Ok(None)`; anything else is an error.
pub fn parse_number(s: &str) -> Result<Option<f64>, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let cleaned;
    let t = if t.contains(',') {
        if !has_valid_thousands_separators(t) {
            return Err(FieldError::MisplacedComma(t.to_string()));
        }
        cleaned = t.replace(',', "");
        cleaned.as_str()
    } else {
        t
    };
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(FieldError::NotANumber(s.trim().to_string())),
    }
}

fn has_valid_thousands_separators(t: &str) -> bool {
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    let int_part = unsigned.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int_part.split(',').collect();
    groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
        && !unsigned[int_part.len()..].contains(',')
}

/// Parse a date as `YYYY-MM-DD`, also in the bulk-export form `2023-01-02 00:00:00+00:00` (a
/// midnight timestamp; any other time of day is refused rather than silently truncated).
pub fn parse_date(s: &str) -> Result<NaiveDate, PeriodParseError> {
    let t = s.trim();
    let bad = || PeriodParseError {
        text: t.to_string(),
        expected: "date (YYYY-MM-DD)",
    };
    // Ten bytes of an ASCII date; a multi-byte character there is not a date (and not a place
    // to split a string).
    let cut = t.len().min(10);
    if !t.is_char_boundary(cut) {
        return Err(bad());
    }
    let (day, rest) = t.split_at(cut);
    let rest = rest.trim();
    let midnight = [
        "",
        "00:00:00",
        "00:00:00+00:00",
        "00:00:00Z",
        "T00:00:00",
        "T00:00:00Z",
        "T00:00:00+00:00",
    ];
    if !midnight.contains(&rest) {
        return Err(bad());
    }
    // The common `dddd-dd-dd` directly (chrono's format parser was a tenth of the snapshot's load);
    // anything else through chrono, which decides what else passes.
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10))
    {
        return NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(bad);
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad())
}

/// The years a figure's period may lie in (README, Limits): a data period of 0001-01 or 9999-12
/// is a typo, and one far outside would later ask forecasts and aggregations for centuries.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parse a period label of a file's frequency, with the date forms of [`parse_date`] for days;
/// a period outside [`PLAUSIBLE_YEARS`] is refused.
pub fn parse_period(s: &str, freq: Frequency) -> Result<Period, FieldError> {
    let p = match freq {
        Frequency::Day => parse_date(s).map(Period::Day),
        _ => Period::parse(s, freq),
    }?;
    check_period_year(p)?;
    Ok(p)
}

/// `Ok` for a period that starts in one of the [`PLAUSIBLE_YEARS`].
pub fn check_period_year(p: Period) -> Result<(), FieldError> {
    use chrono::Datelike;
    if PLAUSIBLE_YEARS.contains(&p.start().year()) {
        Ok(())
    } else {
        Err(FieldError::ImplausibleYear(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_spreadsheets_write_them() {
        assert_eq!(parse_number("422,831.95"), Ok(Some(422831.95)));
        assert_eq!(parse_number(" 1,234,567 "), Ok(Some(1234567.0)));
        assert_eq!(parse_number("-2,000"), Ok(Some(-2000.0)));
        assert_eq!(parse_number("49.0"), Ok(Some(49.0)));
        assert_eq!(parse_number(""), Ok(None));
        assert!(parse_number("12,34").is_err());
        assert!(parse_number("1,2345").is_err());
        assert!(parse_number("abc").is_err());
        assert!(parse_number("NaN").is_err());
        assert!(parse_number("inf").is_err());
    }

    #[test]
    fn dates_in_both_forms() {
        // Found by the property tests: a multi-byte character across the tenth byte was a panic
        // (a string split inside a character), now a located error.
        assert!(parse_date("20.] \u{fffd}\u{fffd}]1").is_err());
        assert!(parse_date("2023-01-0é").is_err());
        let d = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
        assert_eq!(parse_date("2023-01-02"), Ok(d));
        assert_eq!(parse_date("2023-01-02 00:00:00+00:00"), Ok(d));
        assert!(parse_date("2023-01-02 13:00:00").is_err());
        assert!(parse_date("2023-02-30").is_err());
        assert!(parse_date("02/01/2023").is_err());
    }

    #[test]
    fn the_direct_date_parse_agrees_with_chrono() {
        // Every `dddd-dd-dd` of a grid of years, months 00..13 and days 00..32, and a few
        // shapes the direct path leaves to chrono: the same date or the same refusal.
        let mut texts: Vec<String> = Vec::new();
        for y in [0, 1, 1999, 2000, 2023, 2024, 2100, 9999] {
            for m in 0..=13 {
                for d in 0..=32 {
                    texts.push(format!("{y:04}-{m:02}-{d:02}"));
                }
            }
        }
        texts.extend(
            [
                "2023-1-05",
                "2023-01-5",
                "+203-01-05",
                "2023-01-05 ",
                "2023_01_05",
            ]
            .map(String::from),
        );
        for t in &texts {
            let chrono = NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d").ok();
            assert_eq!(parse_date(t).ok(), chrono, "{t}");
        }
    }

    #[test]
    fn bom_crlf_and_quoted_thousands() {
        let text = "\u{feff}month,teu\r\n2023-01,\"1,234\"\r\n2023-02,5\r\n";
        let mut p = Vec::new();
        let t = CsvTable::parse("x.csv", text, &mut p);
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(t.headers, ["month", "teu"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 3);
        assert_eq!(parse_number(t.get(&t.rows[0], "teu")), Ok(Some(1234.0)));
    }

    #[test]
    fn structural_problems_name_the_line() {
        let mut p = Vec::new();
        let t = CsvTable::parse("x.csv", "month,teu,note\n2023-01,5,a\n2023-02,6", &mut p);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, Some(3));
        assert!(p[0].message.contains("truncated"), "{}", p[0]);

        let mut p = Vec::new();
        CsvTable::parse("empty.csv", "", &mut p);
        assert!(p[0].to_string().starts_with("empty.csv: the file is empty"));

        let mut p = Vec::new();
        let t = CsvTable::parse("x.csv", "month,teu,extra\n", &mut p);
        t.check_columns(&["month", "teu", "source"], &[], &mut p);
        let text: Vec<String> = p.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|m| m.contains("missing column `source`")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|m| m.contains("unknown column `extra`")),
            "{text:?}"
        );
    }
}
