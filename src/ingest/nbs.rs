//! NBS China manufacturing PMI: the indicator codes both PMI sources use (this file owns the
//! code → series mapping; [`super::dbnomics`] reuses it) and the NBS easyquery fallback
//! (`data.stats.gov.cn/easyquery.htm`): query builder and response parser.
//!
//! easyquery body: `{"returncode":200,"returndata":{"datanodes":[{"code":"zb.A0B0101_sj.202312",
//! "data":{"data":49.0,"hasdata":true,"strdata":"49.0"}, "wds":[...]}, ...], "wdnodes":[...]}}`.
//! A node with `hasdata: false` (a month not yet published) carries `data: 0` and is skipped.

use serde_json::Value;

use super::parse_error::FormatError;
use super::parsed::{ParsedPoint, decode_json, describe, json_number, parse_decimal, plain, quote};
use crate::model::{Period, Precision};

const CONTEXT: &str = "NBS easyquery";

/// The easyquery endpoint below the site (query string from [`easyquery_query_string`] or
/// [`easyquery_params`]).
pub const EASYQUERY_PATH: &str = "/easyquery.htm";

/// The NBS manufacturing PMI dataset (`A0B01`) indicator codes this project ingests, and the
/// series id each one feeds. Shared by the DBnomics mirror and easyquery.
pub const PMI_SERIES: [(&str, &str); 5] = [
    ("A0B0101", "pmi"),
    ("A0B0102", "pmi_production"),
    ("A0B0103", "pmi_new_orders"),
    ("A0B0104", "pmi_new_export_orders"),
    ("A0B0108", "pmi_imports"),
];

/// The series id for an NBS indicator code.
///
/// Tolerant of the forms the code is seen in: `A0B0101`, `M_A0B01.A0B0101`,
/// `NBS/M_A0B01/A0B0101`, `zb.A0B0101` (any `.`/`/`-separated segment naming a code in
/// [`PMI_SERIES`] wins, case-insensitively). Codes outside the mapping become
/// `nbs.<last segment, lowercase>` (e.g. `A0B0105` → `nbs.a0b0105`) so no published series is
/// dropped silently. `None` when the code is empty or has characters other than ASCII letters,
/// digits and `_`.
pub fn series_id(code: &str) -> Option<String> {
    let segments: Vec<&str> = code
        .split(['.', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let known = segments.iter().find_map(|seg| {
        PMI_SERIES
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(seg))
            .map(|(_, series)| (*series).to_string())
    });
    if known.is_some() {
        return known;
    }
    let last = segments.last()?;
    last.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        .then(|| format!("nbs.{}", last.to_ascii_lowercase()))
}

/// easyquery parameters, unencoded (for an HTTP client that encodes query pairs itself): monthly
/// national data (`dbcode=hgyd`), indicators of `zb` (a dataset such as `A0B01` or a single code),
/// periods `sj` (`LAST13`, `202301-202312`, `2023`).
pub fn easyquery_params(zb: &str, sj: &str) -> Vec<(String, String)> {
    // Built by hand to keep the documented key order (`wdcode` first); values JSON-escaped.
    let dfwds = format!(
        r#"[{{"wdcode":"zb","valuecode":{}}},{{"wdcode":"sj","valuecode":{}}}]"#,
        Value::String(zb.to_string()),
        Value::String(sj.to_string()),
    );
    [
        ("m", "QueryData".to_string()),
        ("dbcode", "hgyd".to_string()),
        ("rowcode", "zb".to_string()),
        ("colcode", "sj".to_string()),
        ("wds", "[]".to_string()),
        ("dfwds", dfwds),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The easyquery query string (after `?`), every value percent-encoded, e.g. for
/// `("A0B01", "LAST13")`:
/// `m=QueryData&dbcode=hgyd&rowcode=zb&colcode=sj&wds=%5B%5D&dfwds=%5B%7B%22wdcode%22%3A%22zb%22...`.
pub fn easyquery_query_string(zb: &str, sj: &str) -> String {
    easyquery_params(zb, sj)
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Parse an easyquery `QueryData` response into PMI points (precision exact: the published
/// one-decimal figure is the official one, as for [`super::dbnomics`]).
///
/// Nodes with `hasdata: false` are skipped; `returncode` other than 200 is an error.
pub fn parse_easyquery(body: &[u8]) -> Result<Vec<ParsedPoint>, FormatError> {
    let root = decode_json(CONTEXT, body)?;
    let code = root
        .get("returncode")
        .ok_or_else(|| FormatError::missing(CONTEXT, "returncode", "the body"))?;
    if code.as_i64() != Some(200) {
        let mut found = plain(code);
        if let Some(message) = root.get("returndata").and_then(Value::as_str) {
            found.push_str(&format!(" with message {}", quote(message)));
        }
        return Err(FormatError::Status {
            context: CONTEXT,
            field: "returncode",
            found,
            expected: "200",
        });
    }
    let nodes = root
        .get("returndata")
        .and_then(|d| d.get("datanodes"))
        .ok_or_else(|| FormatError::missing(CONTEXT, "returndata.datanodes", "the body"))?
        .as_array()
        .ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "returndata.datanodes",
                "the body",
                "not an array",
                "an array of nodes",
            )
        })?;

    let mut points = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        if let Some(point) = parse_node(node, i)? {
            points.push(point);
        }
    }
    Ok(points)
}

/// One data node: `None` when it holds no published figure.
fn parse_node(node: &Value, i: usize) -> Result<Option<ParsedPoint>, FormatError> {
    let location = || format!("datanode {i}");
    let data = node
        .get("data")
        .ok_or_else(|| FormatError::missing(CONTEXT, "data", location()))?;
    match data.get("hasdata") {
        Some(Value::Bool(false)) => return Ok(None),
        Some(Value::Bool(true)) | Some(Value::Null) | None => {}
        Some(other) => {
            return Err(FormatError::invalid(
                CONTEXT,
                "data.hasdata",
                location(),
                describe(other),
                "true or false",
            ));
        }
    }
    let (zb, sj) = node_dimensions(node, i)?;
    let series = series_id(&zb).ok_or_else(|| {
        FormatError::invalid(
            CONTEXT,
            "zb",
            location(),
            quote(&zb),
            "an NBS indicator code such as A0B0101",
        )
    })?;
    let period = parse_yyyymm(&sj).ok_or_else(|| {
        FormatError::invalid(CONTEXT, "sj", location(), quote(&sj), "a month as YYYYMM")
    })?;
    let value = match data.get("data").map(|v| json_number(v, &[])) {
        Some(Ok(Some(v))) => Some(v),
        Some(Err(e)) => {
            return Err(FormatError::invalid(
                CONTEXT,
                "data.data",
                location(),
                e.found,
                "a number",
            ));
        }
        Some(Ok(None)) | None => data
            .get("strdata")
            .and_then(Value::as_str)
            .and_then(parse_decimal),
    };
    let value = value.ok_or_else(|| FormatError::missing(CONTEXT, "data.data", location()))?;
    Ok(Some(ParsedPoint {
        series,
        period,
        value,
        precision: Precision::Exact,
        published: None,
    }))
}

/// The indicator (`zb`) and period (`sj`) codes of a node: from `code` (`zb.A0B0101_sj.202312`),
/// else from the `wds` array (`[{"wdcode":"zb","valuecode":"A0B0101"}, ...]`).
fn node_dimensions(node: &Value, i: usize) -> Result<(String, String), FormatError> {
    let mut zb = None;
    let mut sj = None;
    if let Some(code) = node.get("code").and_then(Value::as_str) {
        for part in code.split('_') {
            match part.split_once('.') {
                Some(("zb", v)) => zb = Some(v.to_string()),
                Some(("sj", v)) => sj = Some(v.to_string()),
                _ => {}
            }
        }
    }
    if let Some(wds) = node.get("wds").and_then(Value::as_array) {
        for wd in wds {
            let value = wd
                .get("valuecode")
                .and_then(Value::as_str)
                .map(str::to_string);
            match wd.get("wdcode").and_then(Value::as_str) {
                Some("zb") if zb.is_none() => zb = value,
                Some("sj") if sj.is_none() => sj = value,
                _ => {}
            }
        }
    }
    match (zb, sj) {
        (Some(zb), Some(sj)) => Ok((zb, sj)),
        (None, _) => Err(FormatError::missing(
            CONTEXT,
            "code (zb.…)",
            format!("datanode {i}"),
        )),
        (_, None) => Err(FormatError::missing(
            CONTEXT,
            "code (sj.…)",
            format!("datanode {i}"),
        )),
    }
}

/// `202312` → December 2023.
fn parse_yyyymm(text: &str) -> Option<Period> {
    let text = text.trim();
    if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = text.get(..4)?.parse().ok()?;
    let month = text.get(4..)?.parse().ok()?;
    Period::month(year, month)
}

#[cfg(test)]
mod tests {
    use super::super::parsed::cut_points;
    use super::*;

    const EASYQUERY: &str = include_str!("../../tests/fixtures/http/nbs/easyquery.json");

    fn month(year: i32, month: u32) -> Period {
        Period::month(year, month).unwrap()
    }

    #[test]
    fn series_ids_from_every_code_form() {
        assert_eq!(series_id("A0B0101").as_deref(), Some("pmi"));
        assert_eq!(series_id("a0b0102").as_deref(), Some("pmi_production"));
        assert_eq!(
            series_id("M_A0B01.A0B0103").as_deref(),
            Some("pmi_new_orders")
        );
        assert_eq!(
            series_id("NBS/M_A0B01/A0B0104").as_deref(),
            Some("pmi_new_export_orders")
        );
        assert_eq!(series_id("zb.A0B0108").as_deref(), Some("pmi_imports"));
        assert_eq!(series_id("A0B0105").as_deref(), Some("nbs.a0b0105"));
        assert_eq!(series_id("M_A0B01.A0B0105").as_deref(), Some("nbs.a0b0105"));
        assert_eq!(series_id(""), None);
        assert_eq!(series_id("A0B 01"), None);
        assert_eq!(series_id("../"), None);
    }

    #[test]
    fn query_string_encodes_dfwds() {
        let qs = easyquery_query_string("A0B01", "LAST13");
        assert_eq!(
            qs,
            "m=QueryData&dbcode=hgyd&rowcode=zb&colcode=sj&wds=%5B%5D&dfwds=%5B%7B%22wdcode%22%3A%22zb%22%2C%22valuecode%22%3A%22A0B01%22%7D%2C%7B%22wdcode%22%3A%22sj%22%2C%22valuecode%22%3A%22LAST13%22%7D%5D"
        );
        let params = easyquery_params("A0B01", "LAST13");
        let dfwds = &params.iter().find(|(k, _)| k == "dfwds").unwrap().1;
        assert_eq!(
            dfwds,
            r#"[{"wdcode":"zb","valuecode":"A0B01"},{"wdcode":"sj","valuecode":"LAST13"}]"#
        );
        // Values are JSON-escaped inside dfwds.
        let odd = easyquery_params("A\"B", "LAST13");
        let dfwds = &odd.iter().find(|(k, _)| k == "dfwds").unwrap().1;
        assert!(serde_json::from_str::<Value>(dfwds).is_ok(), "{dfwds}");
    }

    #[test]
    fn parses_fixture_and_skips_unpublished_months() {
        let points = parse_easyquery(EASYQUERY.as_bytes()).unwrap();
        let pmi: Vec<_> = points.iter().filter(|p| p.series == "pmi").collect();
        // LAST13 queried in January 2024: 2023-01..2023-12 published, 2024-01 not yet.
        assert_eq!(pmi.len(), 12);
        assert!(!points.iter().any(|p| p.period == month(2024, 1)));
        let dec = pmi.iter().find(|p| p.period == month(2023, 12)).unwrap();
        assert_eq!(dec.value, 49.0);
        assert_eq!(dec.precision, Precision::Exact);
        assert_eq!(dec.published, None);
        let jan = pmi.iter().find(|p| p.period == month(2023, 1)).unwrap();
        assert_eq!(jan.value, 50.1);
        let production = points
            .iter()
            .find(|p| p.series == "pmi_production")
            .unwrap();
        assert_eq!(
            (production.period, production.value),
            (month(2023, 1), 49.8)
        );
        let orders = points
            .iter()
            .find(|p| p.series == "pmi_new_orders")
            .unwrap();
        assert_eq!((orders.period, orders.value), (month(2023, 1), 50.9));
    }

    #[test]
    fn returncode_other_than_200_is_an_error() {
        let err = parse_easyquery(br#"{"returncode":501,"returndata":"error"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "NBS easyquery: returncode 501 with message `error` (expected 200)"
        );
        let err = parse_easyquery(br#"{"returndata":{"datanodes":[]}}"#).unwrap_err();
        assert!(err.to_string().contains("`returncode` missing"), "{err}");
    }

    #[test]
    fn dimensions_from_wds_when_code_is_absent() {
        let body = br#"{"returncode":200,"returndata":{"datanodes":[
            {"data":{"data":49.4,"hasdata":true,"strdata":"49.4"},
             "wds":[{"wdcode":"zb","valuecode":"A0B0101"},{"wdcode":"sj","valuecode":"202311"}]}]}}"#;
        let points = parse_easyquery(body).unwrap();
        assert_eq!(points.len(), 1);
        assert_eq!(
            (points[0].series.as_str(), points[0].period),
            ("pmi", month(2023, 11))
        );
    }

    #[test]
    fn strdata_used_when_data_is_null() {
        let body = br#"{"returncode":200,"returndata":{"datanodes":[
            {"code":"zb.A0B0101_sj.202311","data":{"data":null,"hasdata":true,"strdata":"49.4"}}]}}"#;
        assert_eq!(parse_easyquery(body).unwrap()[0].value, 49.4);
    }

    #[test]
    fn bad_nodes_are_named() {
        let body = br#"{"returncode":200,"returndata":{"datanodes":[
            {"code":"zb.A0B0101_sj.202311","data":{"data":49.4,"hasdata":true}},
            {"code":"zb.A0B0101_sj.2023Q4","data":{"data":49.4,"hasdata":true}}]}}"#;
        let err = parse_easyquery(body).unwrap_err().to_string();
        assert!(err.contains("`sj` in datanode 1"), "{err}");
        assert!(err.contains("YYYYMM"), "{err}");

        let body = br#"{"returncode":200,"returndata":{"datanodes":[
            {"code":"zb.A0B0101_sj.202311","data":{"data":"x","hasdata":true}}]}}"#;
        let err = parse_easyquery(body).unwrap_err().to_string();
        assert!(
            err.contains("`data.data` in datanode 0 is `\"x\"`"),
            "{err}"
        );

        let body = br#"{"returncode":200,"returndata":{"datanodes":[{"code":"sj.202311","data":{"data":1,"hasdata":true}}]}}"#;
        let err = parse_easyquery(body).unwrap_err().to_string();
        assert!(err.contains("missing in datanode 0"), "{err}");
    }

    #[test]
    fn renamed_field_is_schema_drift() {
        let renamed = EASYQUERY.replace("\"datanodes\"", "\"dataNodes\"");
        let err = parse_easyquery(renamed.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "NBS easyquery: field `returndata.datanodes` missing in the body (schema drift?)"
        );
    }

    #[test]
    fn truncated_and_malformed_bodies_are_errors() {
        let body = EASYQUERY.trim_end().as_bytes();
        for cut in cut_points(body.len()) {
            let err = parse_easyquery(&body[..cut]).unwrap_err();
            assert!(
                matches!(err, FormatError::NotJson { .. }),
                "cut {cut}: {err}"
            );
        }
        let err = parse_easyquery(b"<html><body>403 Forbidden</body></html>").unwrap_err();
        assert!(
            err.to_string().contains("`<html><body>403 Forbidden"),
            "{err}"
        );
    }
}
