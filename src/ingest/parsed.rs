//! [`ParsedPoint`], the common output of every ingest parser, and the small decoding helpers the
//! parsers share (JSON decoding with readable errors, tolerant numbers, dates, short renderings of
//! unexpected values for error messages).
//!
//! A parsed point is not yet an [`Observation`](crate::model::Observation): the caller adds the
//! unit, the provenance and the time the figure became known.

use chrono::NaiveDate;
use serde_json::Value;

use super::parse_error::FormatError;
use crate::model::{Period, Precision};

/// One figure read from a source response.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedPoint {
    /// Series id, e.g. `pmi`, `scfi_uswc`, `portwatch.port1188.portcalls_container`.
    pub series: String,
    pub period: Period,
    pub value: f64,
    pub precision: Precision,
    /// The publication date where the source states one, else `None`.
    pub published: Option<NaiveDate>,
}

/// How many characters of an unexpected value or body an error message quotes.
const QUOTE_CHARS: usize = 60;

/// Decode a JSON body, turning a syntax error or a cut-off body into [`FormatError::NotJson`].
pub(super) fn decode_json(context: &'static str, body: &[u8]) -> Result<Value, FormatError> {
    let trimmed = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice(trimmed).map_err(|e| FormatError::NotJson {
        context,
        detail: e.to_string(),
        start: body_start(body),
    })
}

/// The first characters of a body, whitespace collapsed, quoted for an error message.
pub(super) fn body_start(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        "(empty body)".to_string()
    } else {
        quote(&collapsed)
    }
}

/// A short rendering of a JSON value for an error message: `"03/01/2023"`, `null`, `{"a":1}`.
pub(super) fn describe(value: &Value) -> String {
    quote(&value.to_string())
}

/// Quote text in backticks, cut to [`QUOTE_CHARS`] characters.
pub(super) fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        format!("`{head}…`")
    } else {
        format!("`{head}`")
    }
}

/// Parse a decimal number as printed by a source: `422,831.95`, ` 49.0 `, `-2.5`. Thousands
/// separators and (non-breaking) spaces are ignored; infinities and NaN are refused.
pub(super) fn parse_decimal(text: &str) -> Option<f64> {
    let cleaned: String = text
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || !cleaned.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A JSON value that is neither a finite number, a string holding one, `null` nor a missing
/// marker. The parsers turn it into a [`FormatError::Invalid`] that names the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{found} is not a number")]
pub(super) struct NotANumber {
    /// A short rendering of the value ([`describe`]).
    pub found: String,
}

/// Read a JSON value as a number: a JSON number, or a string holding one. `null` and the
/// `missing` markers (compared case-insensitively, e.g. `"NA"`) give `Ok(None)`; anything else
/// gives [`NotANumber`].
pub(super) fn json_number(value: &Value, missing: &[&str]) -> Result<Option<f64>, NotANumber> {
    let not_a_number = || NotANumber {
        found: describe(value),
    };
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .map(Some)
            .ok_or_else(not_a_number),
        Value::String(s) if missing.iter().any(|m| s.trim().eq_ignore_ascii_case(m)) => Ok(None),
        Value::String(s) => parse_decimal(s).map(Some).ok_or_else(not_a_number),
        _ => Err(not_a_number()),
    }
}

/// Read a JSON value as an integer: an integral JSON number, or a string holding one.
pub(super) fn json_integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
                .map(|v| v as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A JSON value as plain text for a status message: `0`, `"error"`, `null`.
pub(super) fn plain(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        other => describe(other),
    }
}

/// Parse exactly `YYYY-MM-DD` (chrono alone would also take `23-05-01` as the year 23).
pub(super) fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let shape_ok = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shape_ok
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Byte lengths to cut a fixture at in truncation tests: every length near both ends, a sample
/// in between (each cut re-parses the prefix, so all of them would be slow in debug builds).
#[cfg(test)]
pub(super) fn cut_points(len: usize) -> impl Iterator<Item = usize> {
    (0..len).filter(move |c| *c < 128 || *c + 128 >= len || c % 31 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decimals_as_printed() {
        assert_eq!(parse_decimal("422,831.95"), Some(422_831.95));
        assert_eq!(parse_decimal(" 49.0\u{a0}"), Some(49.0));
        assert_eq!(parse_decimal("-2.5"), Some(-2.5));
        for bad in ["", " ", "-", "—", "n/a", "inf", "NaN", "1.2.3", "12a"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn json_numbers_and_markers() {
        assert_eq!(json_number(&json!(49.0), &[]), Ok(Some(49.0)));
        assert_eq!(json_number(&json!("49.3"), &[]), Ok(Some(49.3)));
        assert_eq!(json_number(&json!(null), &[]), Ok(None));
        assert_eq!(json_number(&json!("NA"), &["NA"]), Ok(None));
        assert_eq!(json_number(&json!("na"), &["NA"]), Ok(None));
        assert_eq!(
            json_number(&json!("NA"), &[]),
            Err(NotANumber {
                found: "`\"NA\"`".to_string()
            })
        );
        assert!(json_number(&json!(true), &[]).is_err());
        assert!(json_number(&json!([1]), &[]).is_err());
    }

    #[test]
    fn strict_dates() {
        assert_eq!(
            parse_ymd(" 2023-05-01 "),
            NaiveDate::from_ymd_opt(2023, 5, 1)
        );
        for bad in [
            "23-05-01",
            "2023-5-1",
            "2023-02-30",
            "2023/05/01",
            "+2023-05-01",
            "2023-05-01x",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
    }

    #[test]
    fn integers() {
        assert_eq!(
            json_integer(&json!(1_688_169_600_000_i64)),
            Some(1_688_169_600_000)
        );
        assert_eq!(json_integer(&json!(2023.0)), Some(2023));
        assert_eq!(json_integer(&json!("07")), Some(7));
        assert_eq!(json_integer(&json!(1.5)), None);
        assert_eq!(json_integer(&json!(null)), None);
    }

    #[test]
    fn quotes_are_short_and_bodies_readable() {
        let long = "x".repeat(200);
        let q = quote(&long);
        assert!(q.chars().count() < 70 && q.ends_with("…`"));
        assert_eq!(body_start(b"  \n "), "(empty body)");
        assert_eq!(
            body_start(b"<!DOCTYPE html>\n<html>"),
            "`<!DOCTYPE html> <html>`"
        );
        assert_eq!(body_start(b"\xff\xfe{"), "`\u{fffd}\u{fffd}{`");
    }

    #[test]
    fn json_errors_name_the_source() {
        let err = decode_json("X", b"{\"a\": [1, 2").unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("X: body is not valid JSON"), "{msg}");
        assert!(msg.contains("truncated"), "{msg}");
        assert!(decode_json("X", b"\xEF\xBB\xBF{\"a\":1}").is_ok());
    }
}
