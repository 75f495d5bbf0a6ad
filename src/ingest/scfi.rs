//! SCFI (Shanghai Containerized Freight Index, Shanghai Shipping Exchange): parser for the
//! `currentIndex?indexName=scfi` JSON, which carries the current and the previous week.
//!
//! Body: `{"status":1,"data":{"currentDate":"YYYY-MM-DD","lastDate":"YYYY-MM-DD","lineDataList":
//! [{"dataItemTypeName":"SCFI_T","properties":{"lineName_EN":...},"currentContent":1234.56,
//! "lastContent":1200.0,...}, ...]}}`. Both weeks are public, so each row yields up to two points,
//! one per date. A `null` value is "not published" (routes without a subscription): it is skipped,
//! never read as zero, and listed in [`ScfiSnapshot::not_published`].

use chrono::NaiveDate;
use serde_json::Value;

use super::client::HttpError;
use super::parse_error::FormatError;
use super::parsed::{
    ParsedPoint, decode_json, describe, json_integer, json_number, parse_ymd, plain, quote,
};
use super::source::{BoxFuture, FetchContext, Fetched, Source, SourceError, SourceId};
use crate::model::{Period, Precision};

const CONTEXT: &str = "SCFI";

/// The current-index endpoint below the site, with its query; send `Referer: REFERER` and
/// `Accept: application/json`.
pub const CURRENT_INDEX_PATH: &str = "/currentIndex?indexName=scfi";
/// The `Referer` header the endpoint expects.
pub const REFERER: &str = "https://en.sse.net.cn/indices/scfinew.jsp";

/// Row codes with a project series id; other rows become `scfi.<code lowercase>`.
pub const SCFI_SERIES: [(&str, &str); 4] = [
    ("SCFI_T", "scfi"),
    ("SCFI_L3", "scfi_uswc"),
    ("SCFI_L4", "scfi_usec"),
    ("SCFI_L1", "scfi_europe"),
];

/// What one current-index response holds.
#[derive(Debug, Clone, PartialEq)]
pub struct ScfiSnapshot {
    /// The week of `currentContent`.
    pub current_date: NaiveDate,
    /// The week of `lastContent` (the previous release).
    pub last_date: NaiveDate,
    /// Published figures: `Period::Day(date)`, `published = Some(date)`, precision exact.
    pub points: Vec<ParsedPoint>,
    /// Figures the response withholds (`null`), as `series@YYYY-MM-DD`, e.g.
    /// `scfi_usec@2016-12-09`.
    pub not_published: Vec<String>,
}

/// The series id of an SCFI row code (`dataItemTypeName`).
pub fn series_id(code: &str) -> String {
    let code = code.trim();
    SCFI_SERIES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, series)| (*series).to_string())
        .unwrap_or_else(|| format!("scfi.{}", code.to_ascii_lowercase()))
}

/// Parse a current-index response. `status` other than 1 is an error.
pub fn parse_current(body: &[u8]) -> Result<ScfiSnapshot, FormatError> {
    let root = decode_json(CONTEXT, body)?;
    let status = root
        .get("status")
        .ok_or_else(|| FormatError::missing(CONTEXT, "status", "the body"))?;
    if json_integer(status) != Some(1) {
        let mut found = plain(status);
        if let Some(message) = root
            .get("msg")
            .or_else(|| root.get("message"))
            .and_then(Value::as_str)
        {
            found.push_str(&format!(" with message {}", quote(message)));
        }
        return Err(FormatError::Status {
            context: CONTEXT,
            field: "status",
            found,
            expected: "1",
        });
    }
    let data = root
        .get("data")
        .filter(|d| d.is_object())
        .ok_or_else(|| FormatError::missing(CONTEXT, "data", "the body"))?;
    let date = |field: &'static str| -> Result<NaiveDate, FormatError> {
        let value = data
            .get(field)
            .ok_or_else(|| FormatError::missing(CONTEXT, field, "`data`"))?;
        value.as_str().and_then(parse_ymd).ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                field,
                "`data`",
                describe(value),
                "a date as \"YYYY-MM-DD\"",
            )
        })
    };
    let current_date = date("currentDate")?;
    let last_date = date("lastDate")?;
    let rows = data
        .get("lineDataList")
        .ok_or_else(|| FormatError::missing(CONTEXT, "lineDataList", "`data`"))?
        .as_array()
        .ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "lineDataList",
                "`data`",
                "not an array",
                "an array of rows",
            )
        })?;

    // The same date twice would store each figure twice: keep only the current one then.
    let mut columns = vec![("currentContent", current_date)];
    if last_date != current_date {
        columns.push(("lastContent", last_date));
    }
    let mut snapshot = ScfiSnapshot {
        current_date,
        last_date,
        points: Vec::new(),
        not_published: Vec::new(),
    };
    for (i, row) in rows.iter().enumerate() {
        let location = || format!("lineDataList row {i}");
        let code = row
            .get("dataItemTypeName")
            .and_then(Value::as_str)
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| FormatError::missing(CONTEXT, "dataItemTypeName", location()))?;
        let series = series_id(code);
        for (field, date) in &columns {
            let value = row
                .get(*field)
                .ok_or_else(|| FormatError::missing(CONTEXT, *field, location()))?;
            match json_number(value, &[]) {
                Ok(Some(value)) => snapshot.points.push(ParsedPoint {
                    series: series.clone(),
                    period: Period::Day(*date),
                    value,
                    precision: Precision::Exact,
                    published: Some(*date),
                }),
                Ok(None) => snapshot.not_published.push(format!("{series}@{date}")),
                Err(e) => {
                    return Err(FormatError::invalid(
                        CONTEXT,
                        *field,
                        location(),
                        e.found,
                        "a number or null",
                    ));
                }
            }
        }
    }
    Ok(snapshot)
}

/// The live SCFI source: one request for the current and the previous week.
///
/// Only these two weeks are public, so the history is whatever successive fetches saw: run it
/// weekly (the exchange prints on Fridays, Shanghai time). Each figure's `known_at` is its print
/// date, which the response states.
pub struct ScfiSource;

impl Source for ScfiSource {
    fn id(&self) -> SourceId {
        SourceId::Scfi
    }

    fn fetch<'a>(&'a self, ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let text = format!("{}{CURRENT_INDEX_PATH}", ctx.endpoints.scfi);
            let url = reqwest::Url::parse(&text).map_err(|e| HttpError::Url {
                url: text.clone(),
                message: e.to_string(),
            })?;
            ctx.progress.set_message("current index");
            let body = ctx
                .client
                .get(
                    &url,
                    &[("referer", REFERER), ("accept", "application/json")],
                )
                .await?;
            let snapshot = parse_current(&body).map_err(|e| HttpError::format(&url, e))?;
            let mut notes = Vec::new();
            if !snapshot.not_published.is_empty() {
                notes.push(format!(
                    "not published (null; never stored as zero): {}",
                    snapshot.not_published.join(", ")
                ));
            }
            Ok(Fetched {
                points: snapshot.points,
                provenance: format!("Shanghai Shipping Exchange {url}"),
                notes,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::parsed::cut_points;
    use super::*;

    const CURRENT: &str = include_str!("../../tests/fixtures/http/scfi/current.json");

    fn day(s: &str) -> NaiveDate {
        parse_ymd(s).unwrap()
    }

    fn find<'a>(snap: &'a ScfiSnapshot, series: &str, date: &str) -> Option<&'a ParsedPoint> {
        snap.points
            .iter()
            .find(|p| p.series == series && p.period == Period::Day(day(date)))
    }

    #[test]
    fn series_ids() {
        assert_eq!(series_id("SCFI_T"), "scfi");
        assert_eq!(series_id("SCFI_L3"), "scfi_uswc");
        assert_eq!(series_id("scfi_l4"), "scfi_usec");
        assert_eq!(series_id("SCFI_L1"), "scfi_europe");
        assert_eq!(series_id("SCFI_L2"), "scfi.scfi_l2");
    }

    #[test]
    fn fixture_current_and_last_week() {
        let snap = parse_current(CURRENT.as_bytes()).unwrap();
        assert_eq!(snap.current_date, day("2016-12-09"));
        assert_eq!(snap.last_date, day("2016-12-02"));
        let composite = find(&snap, "scfi", "2016-12-09").unwrap();
        assert_eq!(composite.value, 797.62);
        assert_eq!(composite.published, Some(day("2016-12-09")));
        assert_eq!(composite.precision, Precision::Exact);
        assert_eq!(find(&snap, "scfi", "2016-12-02").unwrap().value, 794.98);
        assert_eq!(
            find(&snap, "scfi_uswc", "2016-12-09").unwrap().value,
            1382.0
        );
        let last = find(&snap, "scfi_uswc", "2016-12-02").unwrap();
        assert_eq!(
            (last.value, last.published),
            (1456.0, Some(day("2016-12-02")))
        );
        assert_eq!(snap.points.len(), 4);
    }

    #[test]
    fn null_routes_are_not_published_never_zero() {
        let snap = parse_current(CURRENT.as_bytes()).unwrap();
        assert!(find(&snap, "scfi_usec", "2016-12-09").is_none());
        assert!(find(&snap, "scfi_europe", "2016-12-02").is_none());
        assert!(snap.points.iter().all(|p| p.value != 0.0));
        assert_eq!(
            snap.not_published,
            [
                "scfi_europe@2016-12-09",
                "scfi_europe@2016-12-02",
                "scfi.scfi_l2@2016-12-09",
                "scfi.scfi_l2@2016-12-02",
                "scfi_usec@2016-12-09",
                "scfi_usec@2016-12-02",
            ]
        );
    }

    #[test]
    fn other_routes_and_half_published_rows() {
        let body = br#"{"status":1,"data":{"currentDate":"2024-01-05","lastDate":"2023-12-29",
            "lineDataList":[{"dataItemTypeName":"SCFI_L9","properties":{"lineName_EN":"X"},
            "currentContent":"2,871.5","lastContent":null}]}}"#;
        let snap = parse_current(body).unwrap();
        assert_eq!(snap.points.len(), 1);
        assert_eq!(snap.points[0].series, "scfi.scfi_l9");
        assert_eq!(snap.points[0].value, 2871.5);
        assert_eq!(snap.not_published, ["scfi.scfi_l9@2023-12-29"]);
    }

    #[test]
    fn same_date_twice_is_not_stored_twice() {
        let body = br#"{"status":1,"data":{"currentDate":"2024-01-05","lastDate":"2024-01-05",
            "lineDataList":[{"dataItemTypeName":"SCFI_T","currentContent":1,"lastContent":1}]}}"#;
        assert_eq!(parse_current(body).unwrap().points.len(), 1);
    }

    #[test]
    fn status_other_than_one_is_an_error() {
        let err = parse_current(br#"{"status":0,"data":null}"#).unwrap_err();
        assert_eq!(err.to_string(), "SCFI: status 0 (expected 1)");
        let err = parse_current(br#"{"status":-1,"msg":"login required"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SCFI: status -1 with message `login required` (expected 1)"
        );
        assert!(parse_current(br#"{"status":"1","data":{"currentDate":"2024-01-05","lastDate":"2023-12-29","lineDataList":[]}}"#).is_ok());
    }

    #[test]
    fn bad_rows_and_dates_are_named() {
        let body = br#"{"status":1,"data":{"currentDate":"2024-01-05","lastDate":"2023-12-29",
            "lineDataList":[{"dataItemTypeName":"SCFI_T","currentContent":"n/a","lastContent":1}]}}"#;
        let err = parse_current(body).unwrap_err().to_string();
        assert_eq!(
            err,
            "SCFI: field `currentContent` in lineDataList row 0 is `\"n/a\"`, expected a number or null"
        );
        let body = br#"{"status":1,"data":{"currentDate":"05/01/2024","lastDate":"2023-12-29","lineDataList":[]}}"#;
        let err = parse_current(body).unwrap_err().to_string();
        assert!(
            err.contains("`currentDate` in `data` is `\"05/01/2024\"`"),
            "{err}"
        );
    }

    #[test]
    fn renamed_field_is_schema_drift() {
        let renamed = CURRENT.replacen("\"currentContent\"", "\"currentValue\"", 1);
        let err = parse_current(renamed.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "SCFI: field `currentContent` missing in lineDataList row 0 (schema drift?)"
        );
    }

    #[test]
    fn truncated_and_malformed_bodies_are_errors() {
        let body = CURRENT.trim_end().as_bytes();
        for cut in cut_points(body.len()) {
            let err = parse_current(&body[..cut]).unwrap_err();
            assert!(
                matches!(err, FormatError::NotJson { .. }),
                "cut {cut}: {err}"
            );
        }
        assert!(parse_current(b"").is_err());
        assert!(parse_current(b"{\"status\":1}").is_err());
        assert!(parse_current(b"{\"status\":1,\"data\":[]}").is_err());
    }
}
