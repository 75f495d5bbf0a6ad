//! DBnomics mirror of the NBS China manufacturing PMI dataset (`NBS/M_A0B01`): URL builder and
//! series response parser.
//!
//! Body: `{"series":{"docs":[{"series_code":"A0B0101","period":["2005-01", ...],
//! "value":[54.7, ..., "NA"]}], "num_found":1, ...}, ...}`. `"NA"` (and `null`) is a missing
//! value and is skipped; values may be JSON numbers or numeric strings. Series codes map to series
//! ids through [`super::nbs::series_id`].

use serde_json::Value;

use super::nbs::series_id;
use super::parse_error::FormatError;
use super::parsed::{ParsedPoint, decode_json, describe, json_number, quote};
use crate::model::{Frequency, Period, Precision};

const CONTEXT: &str = "DBnomics";

/// The NBS manufacturing PMI dataset, below the API root.
pub const DATASET_PATH: &str = "/series/NBS/M_A0B01";

/// Codes documented without a captured call (SOURCES-API.md marks them UNVERIFIED), with how
/// errors in their series name them.
const UNVERIFIED_CODES: [(&str, &str); 1] =
    [("A0B0104", "DBnomics series A0B0104 (new export orders)")];

/// The URL of one series of the dataset with its observations, e.g. `A0B0101`, under the API
/// root `base` (no trailing slash).
pub fn series_url(base: &str, code: &str) -> String {
    format!("{base}{DATASET_PATH}/{code}?observations=1")
}

/// Parse a DBnomics `series` response (one or more series docs) into points, precision exact
/// (the one-decimal figure NBS publishes *is* the official figure, as in the bundled snapshot, so
/// a re-fetched PMI compares equal to the stored one), `published` unknown (`None`).
pub fn parse_series(body: &[u8]) -> Result<Vec<ParsedPoint>, FormatError> {
    let root = decode_json(CONTEXT, body)?;
    let Some(series) = root.get("series") else {
        return Err(remote_error(&root)
            .unwrap_or_else(|| FormatError::missing(CONTEXT, "series", "the body")));
    };
    let docs = series
        .get("docs")
        .ok_or_else(|| FormatError::missing(CONTEXT, "series.docs", "the body"))?
        .as_array()
        .ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "series.docs",
                "the body",
                "not an array",
                "an array of series",
            )
        })?;
    if docs.is_empty() {
        return Err(FormatError::invalid(
            CONTEXT,
            "series.docs",
            "the body",
            "`[]`",
            "at least one series (unknown series code?)",
        ));
    }
    let mut points = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let code = doc
            .get("series_code")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                FormatError::missing(CONTEXT, "series_code", format!("series doc {i}"))
            })?;
        let parsed = parse_doc(doc, code);
        let parsed = match UNVERIFIED_CODES.iter().find(|(c, _)| code.contains(c)) {
            Some((_, what)) => parsed.map_err(|e| e.unverified(what)),
            None => parsed,
        };
        points.extend(parsed?);
    }
    Ok(points)
}

/// An error body (`{"message": ...}` or `{"errors": [...]}`) as a [`FormatError::Remote`].
fn remote_error(root: &Value) -> Option<FormatError> {
    let message = match (root.get("message"), root.get("errors"), root.get("detail")) {
        (Some(Value::String(m)), _, _) | (_, _, Some(Value::String(m))) => m.clone(),
        (_, Some(errors), _) => errors.to_string(),
        _ => return None,
    };
    let code = root
        .get("status")
        .or_else(|| root.get("code"))
        .map(describe)
        .unwrap_or_else(|| "(none)".to_string());
    Some(FormatError::Remote {
        context: CONTEXT,
        code,
        message,
    })
}

fn parse_doc(doc: &Value, code: &str) -> Result<Vec<ParsedPoint>, FormatError> {
    let location = format!("series {code}");
    let series = series_id(code).ok_or_else(|| {
        FormatError::invalid(
            CONTEXT,
            "series_code",
            &location,
            quote(code),
            "an NBS code such as A0B0101",
        )
    })?;
    let array = |field: &'static str| {
        doc.get(field)
            .ok_or_else(|| FormatError::missing(CONTEXT, field, &location))?
            .as_array()
            .ok_or_else(|| {
                FormatError::invalid(CONTEXT, field, &location, "not an array", "an array")
            })
    };
    let periods = array("period")?;
    let values = array("value")?;
    if periods.len() != values.len() {
        return Err(FormatError::invalid(
            CONTEXT,
            "value",
            &location,
            format!("an array of {}", values.len()),
            format!("an array of {} (one value per period)", periods.len()),
        ));
    }
    let mut points = Vec::with_capacity(values.len());
    for (k, (period, value)) in periods.iter().zip(values).enumerate() {
        let at = || format!("series {code}, position {k}");
        let Some(value) = json_number(value, &["NA"]).map_err(|e| {
            FormatError::invalid(CONTEXT, "value", at(), e.found, "a number or \"NA\"")
        })?
        else {
            continue;
        };
        let period = period
            .as_str()
            .and_then(|p| Period::parse(p, Frequency::Month).ok())
            .ok_or_else(|| {
                FormatError::invalid(
                    CONTEXT,
                    "period",
                    at(),
                    describe(period),
                    "a month as \"YYYY-MM\"",
                )
            })?;
        points.push(ParsedPoint {
            series: series.clone(),
            period,
            value,
            precision: Precision::Exact,
            published: None,
        });
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::super::parsed::cut_points;
    use super::*;

    const PMI: &str = include_str!("../../tests/fixtures/http/dbnomics/A0B0101.json");
    const EXPORT_ORDERS: &str = include_str!("../../tests/fixtures/http/dbnomics/A0B0104.json");

    fn month(year: i32, month: u32) -> Period {
        Period::month(year, month).unwrap()
    }

    #[test]
    fn url() {
        assert_eq!(
            series_url(crate::ingest::settings::DBNOMICS_URL, "A0B0101"),
            "https://api.db.nomics.world/v22/series/NBS/M_A0B01/A0B0101?observations=1"
        );
    }

    #[test]
    fn pmi_fixture_skips_na() {
        let points = parse_series(PMI.as_bytes()).unwrap();
        // 12 periods of 2023, one of them "NA".
        assert_eq!(points.len(), 11);
        assert!(
            points
                .iter()
                .all(|p| p.series == "pmi" && p.precision == Precision::Exact)
        );
        assert!(!points.iter().any(|p| p.period == month(2023, 6)));
        let values: Vec<f64> = points.iter().map(|p| p.value).collect();
        assert_eq!(
            values,
            [
                50.1, 52.6, 51.9, 49.2, 48.8, 49.3, 49.7, 50.2, 49.5, 49.4, 49.0
            ]
        );
        assert_eq!(points[0].period, month(2023, 1));
        assert_eq!(points[10].period, month(2023, 12));
        assert!(points.iter().all(|p| p.published.is_none()));
    }

    #[test]
    fn export_orders_fixture() {
        let points = parse_series(EXPORT_ORDERS.as_bytes()).unwrap();
        assert_eq!(points.len(), 12);
        assert!(points.iter().all(|p| p.series == "pmi_new_export_orders"));
        assert_eq!((points[0].period, points[0].value), (month(2016, 2), 47.4));
        assert_eq!(
            (points[11].period, points[11].value),
            (month(2017, 1), 50.3)
        );
    }

    #[test]
    fn strings_full_codes_and_several_docs() {
        let body = br#"{"series":{"docs":[
            {"series_code":"M_A0B01.A0B0102","period":["2023-01","2023-02"],"value":["49.8",null]},
            {"series_code":"A0B0108","period":["2016-02"],"value":[45.8]},
            {"series_code":"A0B0105","period":["2016-02"],"value":[" 50.0 "]}]}}"#;
        let points = parse_series(body).unwrap();
        let got: Vec<(&str, Period, f64)> = points
            .iter()
            .map(|p| (p.series.as_str(), p.period, p.value))
            .collect();
        assert_eq!(
            got,
            [
                ("pmi_production", month(2023, 1), 49.8),
                ("pmi_imports", month(2016, 2), 45.8),
                ("nbs.a0b0105", month(2016, 2), 50.0),
            ]
        );
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        let body = br#"{"series":{"docs":[{"series_code":"A0B0101","period":["2023-01","2023-02"],"value":[50.1]}]}}"#;
        let err = parse_series(body).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DBnomics: field `value` in series A0B0101 is an array of 1, expected an array of 2 (one value per period)"
        );
    }

    #[test]
    fn bad_values_and_periods_are_named() {
        let body = br#"{"series":{"docs":[{"series_code":"A0B0101","period":["2023-01","2023-02"],"value":[50.1,"n/a"]}]}}"#;
        let err = parse_series(body).unwrap_err().to_string();
        assert_eq!(
            err,
            "DBnomics: field `value` in series A0B0101, position 1 is `\"n/a\"`, expected a number or \"NA\""
        );
        let body = br#"{"series":{"docs":[{"series_code":"A0B0101","period":["2023-Q1"],"value":[50.1]}]}}"#;
        let err = parse_series(body).unwrap_err().to_string();
        assert!(
            err.contains("`period` in series A0B0101, position 0 is `\"2023-Q1\"`"),
            "{err}"
        );
    }

    #[test]
    fn errors_in_unverified_series_say_so() {
        let broken = EXPORT_ORDERS.replacen("\"period\"", "\"periods\"", 1);
        let err = parse_series(broken.as_bytes()).unwrap_err();
        assert!(err.is_unverified());
        let msg = err.to_string();
        assert!(
            msg.starts_with("DBnomics: field `period` missing in series A0B0104 (schema drift?)"),
            "{msg}"
        );
        assert!(msg.contains("UNVERIFIED"), "{msg}");
        // A verified series does not carry the note.
        let broken = PMI.replacen("\"period\"", "\"periods\"", 1);
        assert!(!parse_series(broken.as_bytes()).unwrap_err().is_unverified());
    }

    #[test]
    fn error_and_empty_bodies() {
        let err = parse_series(br#"{"message":"Series not found: NBS/M_A0B01/X","status":404}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "DBnomics: the server returned an error instead of data: code `404`: Series not found: NBS/M_A0B01/X"
        );
        let err = parse_series(br#"{"series":{"docs":[],"num_found":0}}"#).unwrap_err();
        assert!(err.to_string().contains("unknown series code?"), "{err}");
        let err = parse_series(br#"{"dataset":{}}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DBnomics: field `series` missing in the body (schema drift?)"
        );
    }

    #[test]
    fn renamed_field_is_schema_drift() {
        let renamed = PMI.replace("\"series_code\"", "\"code\"");
        let err = parse_series(renamed.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DBnomics: field `series_code` missing in series doc 0 (schema drift?)"
        );
    }

    #[test]
    fn truncated_and_malformed_bodies_are_errors() {
        for fixture in [PMI, EXPORT_ORDERS] {
            let body = fixture.trim_end().as_bytes();
            for cut in cut_points(body.len()) {
                let err = parse_series(&body[..cut]).unwrap_err();
                assert!(
                    matches!(err, FormatError::NotJson { .. }),
                    "cut {cut}: {err}"
                );
            }
        }
        assert!(parse_series(b"\x00\xff\xfe garbage").is_err());
        assert!(parse_series(b"[1,2,3]").is_err());
        assert!(parse_series(b"null").is_err());
    }
}
