//! Port of Los Angeles monthly TEU: parser for the per-year "Historical TEU Statistics" HTML page.
//!
//! The page holds a table whose header row names the columns (Loaded Imports, Empty Imports,
//! Total Imports, Loaded Exports, Empty Exports, Total Exports, Total TEUs, Prior Year Change), one
//! row per month `January` .. `December`, and footer rows `Total Calendar Year YYYY` and
//! `Total Fiscal Year YYYY/YY`. Columns are found by header name (case, spacing and punctuation
//! ignored), never by position. Numbers look like `422,831.95`; a month not yet published has
//! empty cells and is skipped.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};

use chrono::Datelike;

use super::client::HttpError;
use super::parse_error::FormatError;
use super::parsed::{ParsedPoint, parse_decimal, quote};
use super::source::{BoxFuture, FetchContext, Fetched, Source, SourceError, SourceId};
use crate::model::{Period, Precision};

const CONTEXT: &str = "POLA page";

/// Columns read, by header name, and the series each feeds. The first two must be present.
pub const POLA_COLUMNS: [(&str, &str); 5] = [
    ("Total TEUs", "la_teu"),
    ("Loaded Imports", "la_loaded_imports"),
    ("Empty Imports", "la_empty_imports"),
    ("Loaded Exports", "la_loaded_exports"),
    ("Empty Exports", "la_empty_exports"),
];
const REQUIRED_COLUMNS: usize = 2;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Cells a page prints for "no figure".
const BLANKS: [&str; 6] = ["", "-", "–", "—", "n/a", "na"];

/// At most this many columns per cell (guards `colspan` values on hostile input).
const MAX_COLSPAN: usize = 64;

static TABLE: LazyLock<Selector> = LazyLock::new(|| selector("table"));
static ROW: LazyLock<Selector> = LazyLock::new(|| selector("tr"));
static CELL: LazyLock<Selector> = LazyLock::new(|| selector("th, td"));

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("static CSS selector is valid")
}

/// The per-year page below the site, the year appended.
pub const YEAR_PAGE_PATH: &str =
    "/business/statistics/container-statistics/historical-teu-statistics-";

/// The page of `year` under the site `base` (no trailing slash).
pub fn year_page_url(base: &str, year: i32) -> String {
    format!("{base}{YEAR_PAGE_PATH}{year}")
}

/// Parse the historical TEU page of `year` into monthly points (precision exact, `published`
/// unknown): `la_teu`, `la_loaded_imports` and, where the page has them, `la_empty_imports`,
/// `la_loaded_exports`, `la_empty_exports`.
///
/// Errors: no table with `Loaded Imports` and `Total TEUs` columns, no month rows, no
/// `Total Calendar Year` footer (a cut-off page), a footer naming another year, a repeated month,
/// a cell that is neither blank nor a number.
pub fn parse_year_page(html: &str, year: i32) -> Result<Vec<ParsedPoint>, FormatError> {
    let document = Html::parse_document(html);
    let TeuTable { rows, columns } = find_table(&document)?;

    let mut seen = [false; 12];
    let mut footer_seen = false;
    let mut points = Vec::new();
    for row in rows {
        let Some(label) = row.first() else { continue };
        let lower = label.to_lowercase();
        if lower.starts_with("total") {
            if lower.contains("calendar") {
                check_footer_year(label, year)?;
                footer_seen = true;
            }
            continue;
        }
        let Some(month) = month_number(&lower) else {
            continue;
        };
        let month_name = MONTHS[month as usize - 1];
        if std::mem::replace(&mut seen[month as usize - 1], true) {
            return Err(FormatError::invalid(
                CONTEXT,
                "Month",
                format!("the table of {year}"),
                format!("{} a second time", quote(label)),
                "each month once",
            ));
        }
        let period = Period::month(year, month)
            .ok_or_else(|| FormatError::layout(CONTEXT, "month out of range"))?;
        for Column {
            header,
            series,
            index,
        } in &columns
        {
            let text = row.get(*index).map(String::as_str).unwrap_or("");
            if BLANKS.iter().any(|b| text.eq_ignore_ascii_case(b)) {
                continue;
            }
            let value = parse_decimal(text).ok_or_else(|| {
                FormatError::invalid(
                    CONTEXT,
                    *header,
                    format!("the row of {month_name} {year}"),
                    quote(text),
                    "a number like 422,831.95 or a blank cell",
                )
            })?;
            points.push(ParsedPoint {
                series: (*series).to_string(),
                period,
                value,
                precision: Precision::Exact,
                published: None,
            });
        }
    }
    if !seen.iter().any(|s| *s) {
        return Err(FormatError::layout(
            CONTEXT,
            "the TEU table has no month rows (January .. December)",
        ));
    }
    if !footer_seen {
        return Err(FormatError::layout(
            CONTEXT,
            "the TEU table has no `Total Calendar Year` footer row (page cut off?)",
        ));
    }
    Ok(points)
}

/// A column read from the TEU table.
#[derive(Debug, Clone, Copy)]
struct Column {
    header: &'static str,
    series: &'static str,
    /// Position in a row (after `colspan` expansion).
    index: usize,
}

/// The TEU table: the rows after its header row (cell texts, expanded by `colspan`) and the
/// columns found in the header.
struct TeuTable {
    rows: Vec<Vec<String>>,
    columns: Vec<Column>,
}

/// The first table with a header row naming the required columns.
fn find_table(document: &Html) -> Result<TeuTable, FormatError> {
    let mut partial: Option<&str> = None;
    for table in document.select(&TABLE) {
        let mut rows: Vec<Vec<String>> = table.select(&ROW).map(row_cells).collect();
        let header = rows.iter().enumerate().find_map(|(r, cells)| {
            let columns = header_columns(cells);
            let has = |name: &str| columns.iter().any(|c| c.header == name);
            match POLA_COLUMNS[..REQUIRED_COLUMNS]
                .iter()
                .find(|(h, _)| !has(h))
            {
                None => Some((r, columns)),
                Some((missing, _)) => {
                    if has("Loaded Imports") {
                        partial = Some(missing);
                    }
                    None
                }
            }
        });
        if let Some((r, columns)) = header {
            return Ok(TeuTable {
                rows: rows.split_off(r + 1),
                columns,
            });
        }
    }
    Err(FormatError::layout(
        CONTEXT,
        match partial {
            Some(missing) => {
                format!("the table with a `Loaded Imports` column has no `{missing}` column")
            }
            None => "no table with a `Loaded Imports` column".to_string(),
        },
    ))
}

/// The columns of [`POLA_COLUMNS`] a row names, if it is a header row.
fn header_columns(cells: &[String]) -> Vec<Column> {
    let keys: Vec<String> = cells.iter().map(|c| header_key(c)).collect();
    POLA_COLUMNS
        .iter()
        .filter_map(|(header, series)| {
            let key = header_key(header);
            keys.iter().position(|k| *k == key).map(|index| Column {
                header,
                series,
                index,
            })
        })
        .collect()
}

/// The texts of a row's cells (whitespace collapsed), a cell spanning `n` columns taking `n`
/// positions (its text in the first).
fn row_cells(row: ElementRef<'_>) -> Vec<String> {
    let mut cells = Vec::new();
    for cell in row.select(&CELL) {
        let text = cell.text().collect::<String>();
        cells.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
        let span = cell
            .value()
            .attr("colspan")
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, MAX_COLSPAN);
        cells.extend(std::iter::repeat_n(String::new(), span - 1));
    }
    cells
}

/// A header cell reduced to lowercase letters and digits: `Loaded<br>Imports`, ` LOADED  IMPORTS `
/// and `Loaded-Imports` all give `loadedimports`.
fn header_key(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `January`, `january*`, `Jan`, `Sept.`, `January 2019` → the month number.
fn month_number(label: &str) -> Option<u32> {
    let word: String = label
        .split_whitespace()
        .next()?
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_lowercase();
    let abbreviation = word.len() == 3 || word == "sept";
    let index = MONTHS.iter().position(|m| {
        let m = m.to_ascii_lowercase();
        m == word || (abbreviation && m.starts_with(word.as_str()))
    })?;
    u32::try_from(index + 1).ok()
}

/// The year a page's `Total Calendar Year YYYY` footer names, if the page has a TEU table with
/// such a footer. The site may answer a year's URL with another year's page (a year whose page
/// does not exist yet, redirected to the latest): the caller then reads the page as the year it
/// says it is, never as the year asked for.
pub fn page_year(html: &str) -> Option<i32> {
    let document = Html::parse_document(html);
    let TeuTable { rows, .. } = find_table(&document).ok()?;
    rows.iter()
        .filter_map(|row| row.first())
        .filter(|label| {
            let lower = label.to_lowercase();
            lower.starts_with("total") && lower.contains("calendar")
        })
        .find_map(|label| match footer_years(label).as_slice() {
            [year] => Some(*year),
            _ => None,
        })
}

/// The four-digit numbers in a footer label.
fn footer_years(label: &str) -> Vec<i32> {
    label
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| s.len() == 4)
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// A `Total Calendar Year YYYY` footer naming another year means the wrong page was fetched.
fn check_footer_year(label: &str, year: i32) -> Result<(), FormatError> {
    let years = footer_years(label);
    match years.as_slice() {
        [found] if *found != year => Err(FormatError::invalid(
            CONTEXT,
            "Total Calendar Year",
            "the footer",
            quote(label),
            format!("the year requested, {year} (wrong page?)"),
        )),
        _ => Ok(()),
    }
}

/// The live Port of Los Angeles source: one page per calendar year.
///
/// Years from the one holding the incremental window's start (last stored month minus the
/// overlap, or `--since`) to the current one, and always at least the previous and the current
/// year (late revisions of last year's months). A year answered with HTTP 404 (the new year's
/// page before its first month is out) is a note, not a failure, unless every year is missing; a
/// year answered with another year's page is read as the year the page names (see [`page_year`]).
pub struct PolaSource;

impl Source for PolaSource {
    fn id(&self) -> SourceId {
        SourceId::Pola
    }

    fn fetch<'a>(&'a self, ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let current = ctx.today.year();
            let first = ctx
                .window_start_where(|id| POLA_COLUMNS.iter().any(|(_, s)| *s == id))
                .map_or(current - 1, |d| d.year().min(current - 1));
            let mut points = Vec::new();
            let mut notes = Vec::new();
            let mut missing: Vec<i32> = Vec::new();
            for year in first..=current {
                let text = year_page_url(&ctx.endpoints.pola, year);
                let url = reqwest::Url::parse(&text).map_err(|e| HttpError::Url {
                    url: text.clone(),
                    message: e.to_string(),
                })?;
                ctx.progress.set_message(format!("{year}"));
                match ctx.client.get(&url, &[("accept", "text/html")]).await {
                    Ok(body) => {
                        let html = String::from_utf8_lossy(&body);
                        let page = page_year(&html).unwrap_or(year);
                        if page != year {
                            notes.push(format!(
                                "{url} holds the page of {page} (its footer says so); read as {page}"
                            ));
                        }
                        points.extend(
                            parse_year_page(&html, page).map_err(|e| HttpError::format(&url, e))?,
                        );
                    }
                    Err(e) if e.status() == Some(404) => missing.push(year),
                    Err(e) => return Err(e.into()),
                }
            }
            let pattern = format!("{}{YEAR_PAGE_PATH}YYYY", ctx.endpoints.pola);
            let years = missing
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            if points.is_empty() && missing.len() == (current - first + 1) as usize {
                return Err(SourceError::NothingFound(format!(
                    "every year page answered HTTP 404 ({pattern} for {years}): has the site moved?"
                )));
            }
            if !missing.is_empty() {
                notes.push(format!("no page for {years} (HTTP 404 at {pattern})"));
            }
            Ok(Fetched {
                points,
                provenance: format!("Port of Los Angeles {pattern}"),
                notes,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE_2019: &str =
        include_str!("../../tests/fixtures/http/pola/historical-teu-statistics-2019.html");
    const PAGE_2019_PARTIAL: &str =
        include_str!("../../tests/fixtures/http/pola/historical-teu-statistics-2019-partial.html");
    const CHANGED: &str = include_str!("../../tests/fixtures/http/pola/pola_changed_layout.html");

    fn month(m: u32) -> Period {
        Period::month(2019, m).unwrap()
    }

    fn value(points: &[ParsedPoint], series: &str, m: u32) -> Option<f64> {
        points
            .iter()
            .find(|p| p.series == series && p.period == month(m))
            .map(|p| p.value)
    }

    fn table(header: &str, rows: &str) -> String {
        format!(
            "<html><body><table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table></body></html>"
        )
    }

    #[test]
    fn the_page_names_its_year() {
        assert_eq!(page_year(PAGE_2019), Some(2019));
        assert_eq!(page_year(PAGE_2019_PARTIAL), Some(2019));
        assert_eq!(page_year(CHANGED), None);
        assert_eq!(page_year("<html></html>"), None);
    }

    #[test]
    fn full_year_page() {
        let points = parse_year_page(PAGE_2019, 2019).unwrap();
        assert_eq!(points.len(), 12 * 5);
        assert_eq!(value(&points, "la_teu", 1), Some(852_449.50));
        assert_eq!(value(&points, "la_loaded_imports", 1), Some(429_922.75));
        assert_eq!(value(&points, "la_empty_imports", 1), Some(15_807.75));
        assert_eq!(value(&points, "la_loaded_exports", 1), Some(144_993.00));
        assert_eq!(value(&points, "la_empty_exports", 1), Some(261_726.00));
        assert_eq!(value(&points, "la_teu", 7), Some(912_154.15));
        assert_eq!(value(&points, "la_teu", 12), Some(746_749.75));
        assert!(
            points
                .iter()
                .all(|p| p.precision == Precision::Exact && p.published.is_none())
        );
        // Footers are not months.
        let total: f64 = points
            .iter()
            .filter(|p| p.series == "la_teu")
            .map(|p| p.value)
            .sum();
        assert!((total - 9_337_632.40).abs() < 0.01, "{total}");
    }

    #[test]
    fn unpublished_months_are_skipped() {
        let points = parse_year_page(PAGE_2019_PARTIAL, 2019).unwrap();
        assert_eq!(points.len(), 6 * 5);
        assert_eq!(value(&points, "la_teu", 6), Some(764_777.25));
        assert_eq!(value(&points, "la_teu", 7), None);
    }

    #[test]
    fn wrong_year_is_refused() {
        let err = parse_year_page(PAGE_2019, 2020).unwrap_err().to_string();
        assert_eq!(
            err,
            "POLA page: field `Total Calendar Year` in the footer is `Total Calendar Year 2019`, \
             expected the year requested, 2020 (wrong page?)"
        );
    }

    #[test]
    fn layout_change_is_an_error() {
        let err = parse_year_page(CHANGED, 2019).unwrap_err();
        assert_eq!(
            err.to_string(),
            "POLA page: no table with a `Loaded Imports` column (layout changed?)"
        );
        let renamed = PAGE_2019.replace("Total TEUs", "TEUs (Total)");
        let err = parse_year_page(&renamed, 2019).unwrap_err();
        assert_eq!(
            err.to_string(),
            "POLA page: the table with a `Loaded Imports` column has no `Total TEUs` column (layout changed?)"
        );
        let no_footer = PAGE_2019.replace("Total Calendar Year", "Sum");
        assert!(
            parse_year_page(&no_footer, 2019)
                .unwrap_err()
                .to_string()
                .contains("footer")
        );
    }

    #[test]
    fn columns_are_found_by_name_not_position() {
        let html = table(
            "<th>Month</th><th>TOTAL  TEUs</th><th>Prior Year Change</th><th>Loaded<br>Imports</th>",
            "<tr><td>March</td><td>650,977.15</td><td>12.65%</td><td>297,186.95</td></tr>\
             <tr><td>Total Calendar Year 2019</td><td>650,977.15</td><td></td><td>297,186.95</td></tr>",
        );
        let points = parse_year_page(&html, 2019).unwrap();
        assert_eq!(value(&points, "la_teu", 3), Some(650_977.15));
        assert_eq!(value(&points, "la_loaded_imports", 3), Some(297_186.95));
        assert_eq!(points.len(), 2);
    }

    #[test]
    fn colspan_and_header_in_body_and_month_variants() {
        let html = "<table><tr><td colspan=\"2\">Month</td><td>Loaded Imports</td><td>Total TEUs</td></tr>\
                    <tr><th>Sept.</th><td>*</td><td>1</td><td>2</td></tr>\
                    <tr><th>jan</th><td></td><td>3</td><td>&nbsp;</td></tr>\
                    <tr><td>Total Calendar Year 2019</td><td></td><td>4</td><td>2</td></tr></table>";
        let points = parse_year_page(html, 2019).unwrap();
        assert_eq!(value(&points, "la_loaded_imports", 9), Some(1.0));
        assert_eq!(value(&points, "la_teu", 9), Some(2.0));
        assert_eq!(value(&points, "la_loaded_imports", 1), Some(3.0));
        assert_eq!(value(&points, "la_teu", 1), None);
    }

    #[test]
    fn bad_cells_and_repeated_months_are_named() {
        let header = "<th>Month</th><th>Loaded Imports</th><th>Total TEUs</th>";
        let footer = "<tr><td>Total Calendar Year 2019</td><td></td><td></td></tr>";
        let html = table(
            header,
            &format!("<tr><td>April</td><td>12a</td><td>1</td></tr>{footer}"),
        );
        assert_eq!(
            parse_year_page(&html, 2019).unwrap_err().to_string(),
            "POLA page: field `Loaded Imports` in the row of April 2019 is `12a`, expected a number \
             like 422,831.95 or a blank cell"
        );
        let html = table(
            header,
            &format!(
                "<tr><td>May</td><td>1</td><td>1</td></tr><tr><td>May</td><td>1</td><td>1</td></tr>{footer}"
            ),
        );
        assert!(
            parse_year_page(&html, 2019)
                .unwrap_err()
                .to_string()
                .contains("a second time")
        );
        let html = table(header, footer);
        assert!(
            parse_year_page(&html, 2019)
                .unwrap_err()
                .to_string()
                .contains("no month rows")
        );
    }

    #[test]
    fn truncated_pages_are_errors_never_panics() {
        let half = &PAGE_2019[..PAGE_2019.len() / 2];
        assert!(parse_year_page(half, 2019).is_err());
        for cut in (0..PAGE_2019.len())
            .step_by(61)
            .filter(|c| PAGE_2019.is_char_boundary(*c))
        {
            // Any prefix short of the footer row is an error; none panics.
            let prefix = &PAGE_2019[..cut];
            let result = parse_year_page(prefix, 2019);
            if !prefix.contains("Total Calendar Year 2019") {
                assert!(result.is_err(), "cut {cut}");
            }
        }
        for junk in [
            "",
            "<",
            "<table><tr><td colspan=99999999999>",
            "\u{0}\u{fffd}<tr>",
        ] {
            assert!(parse_year_page(junk, 2019).is_err());
        }
    }
}
