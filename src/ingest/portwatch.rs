//! IMF PortWatch daily port data (ArcGIS FeatureServer layer `Daily_Ports_Data`): query parameters
//! for one page and the page parser.
//!
//! Body: `{"objectIdFieldName":"ObjectId","fields":[...],"features":[{"attributes":{...}}, ...],
//! "exceededTransferLimit":true}`. The key `exceededTransferLimit` is present (true) while more rows
//! remain and absent on the last page; the caller advances `resultOffset` by
//! [`PortWatchPage::rows`]. An error comes back with HTTP 200 as `{"error":{"code":...,
//! "message":...,"details":[...]}}` and is reported as [`FormatError::Remote`].
//!
//! Every numeric attribute whose name starts with `portcalls`, `import` or `export` becomes a
//! point of series `portwatch.<portid>.<field>`; `null` is skipped (never zero). Nothing is
//! derived here (Shanghai + Yangshan is summed elsewhere).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::client::HttpError;
use super::parse_error::FormatError;
use super::parsed::{ParsedPoint, decode_json, describe, json_integer, json_number, parse_ymd};
use super::source::{BoxFuture, FetchContext, Fetched, Source, SourceError, SourceId};
use crate::model::{Period, Precision};

const CONTEXT: &str = "PortWatch page";

/// The query endpoint of the current layer, below the services directory.
pub const QUERY_PATH: &str = "/Daily_Ports_Data/FeatureServer/0/query";

/// The query endpoint under a services directory `base` (no trailing slash).
pub fn query_url(base: &str) -> String {
    format!("{base}{QUERY_PATH}")
}

/// The most rows the server returns in one page.
pub const MAX_PAGE_SIZE: usize = 1000;

/// Attributes every feature must carry (possibly `null`): a rename of one of these is schema
/// drift, not a new series.
pub const REQUIRED_FIELDS: [&str; 2] = ["portcalls_container", "portcalls"];

/// Attribute name prefixes that make a series.
const SERIES_PREFIXES: [&str; 3] = ["portcalls", "import", "export"];

const DATE_FORMS: &str =
    "a date as \"YYYY-MM-DD\", epoch milliseconds (UTC) or \"YYYY-MM-DD HH:MM:SS+00:00\"";

/// One parsed page of a PortWatch query.
#[derive(Debug, Clone, PartialEq)]
pub struct PortWatchPage {
    /// Daily points, precision exact, `published` unknown (`None`).
    pub points: Vec<ParsedPoint>,
    /// True while more rows remain after this page.
    pub exceeded_transfer_limit: bool,
    /// Features on this page: the amount to advance `resultOffset` by.
    pub rows: usize,
}

/// Query parameters (unencoded) for one page of `port`'s rows, oldest first, optionally from
/// `since` on. `page_size` is clamped to `1..=MAX_PAGE_SIZE`.
pub fn query_params(
    port: &str,
    since: Option<NaiveDate>,
    offset: usize,
    page_size: usize,
) -> Vec<(String, String)> {
    // ArcGIS SQL: a quote inside a string literal is doubled.
    let mut filter = format!("portid='{}'", port.replace('\'', "''"));
    if let Some(since) = since {
        filter.push_str(&format!(" AND date >= DATE '{}'", since.format("%Y-%m-%d")));
    }
    [
        ("where", filter),
        ("outFields", "*".to_string()),
        ("orderByFields", "date".to_string()),
        ("resultOffset", offset.to_string()),
        (
            "resultRecordCount",
            page_size.clamp(1, MAX_PAGE_SIZE).to_string(),
        ),
        ("f", "json".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Parse one page of a PortWatch query.
pub fn parse_page(body: &[u8]) -> Result<PortWatchPage, FormatError> {
    let root = decode_json(CONTEXT, body)?;
    if let Some(error) = root.get("error") {
        return Err(remote_error(error));
    }
    let features = root
        .get("features")
        .ok_or_else(|| FormatError::missing(CONTEXT, "features", "the body"))?
        .as_array()
        .ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "features",
                "the body",
                "not an array",
                "an array of features",
            )
        })?;
    let exceeded_transfer_limit = match root.get("exceededTransferLimit") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(FormatError::invalid(
                CONTEXT,
                "exceededTransferLimit",
                "the body",
                describe(other),
                "true or false",
            ));
        }
    };
    if exceeded_transfer_limit && features.is_empty() {
        return Err(FormatError::invalid(
            CONTEXT,
            "features",
            "the body",
            "empty while `exceededTransferLimit` is true",
            "rows whenever more remain (paging would never end)",
        ));
    }

    let mut points = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let attributes = feature
            .get("attributes")
            .and_then(Value::as_object)
            .ok_or_else(|| FormatError::missing(CONTEXT, "attributes", format!("feature {i}")))?;
        parse_feature(attributes, i, &mut points)?;
    }
    Ok(PortWatchPage {
        points,
        exceeded_transfer_limit,
        rows: features.len(),
    })
}

/// `{"code":400,"message":"...","details":["..."]}` as a [`FormatError::Remote`].
fn remote_error(error: &Value) -> FormatError {
    let code = error
        .get("code")
        .map(|c| c.as_str().map_or_else(|| c.to_string(), str::to_string))
        .unwrap_or_else(|| "(none)".to_string());
    let mut message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)")
        .to_string();
    let details: Vec<&str> = error
        .get("details")
        .and_then(Value::as_array)
        .map(|d| {
            d.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !details.is_empty() {
        message.push_str(&format!(" (details: {})", details.join("; ")));
    }
    FormatError::Remote {
        context: CONTEXT,
        code,
        message,
    }
}

fn parse_feature(
    attributes: &Map<String, Value>,
    i: usize,
    points: &mut Vec<ParsedPoint>,
) -> Result<(), FormatError> {
    let location = || format!("feature {i}");
    let port = match attributes.get("portid") {
        None | Some(Value::Null) => {
            return Err(FormatError::missing(CONTEXT, "portid", location()));
        }
        Some(Value::String(s))
            if !s.trim().is_empty()
                && s.trim()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            s.trim()
        }
        Some(other) => {
            return Err(FormatError::invalid(
                CONTEXT,
                "portid",
                location(),
                describe(other),
                "a port id such as \"port1188\"",
            ));
        }
    };
    let date = feature_date(attributes, i)?;
    if let Some(field) = REQUIRED_FIELDS
        .iter()
        .find(|f| !attributes.contains_key(**f))
    {
        return Err(FormatError::missing(CONTEXT, *field, location()));
    }
    for (field, value) in attributes {
        if !SERIES_PREFIXES.iter().any(|p| field.starts_with(p)) {
            continue;
        }
        let value = json_number(value, &[]).map_err(|e| {
            FormatError::invalid(CONTEXT, field, location(), e.found, "a number or null")
        })?;
        if let Some(value) = value {
            points.push(ParsedPoint {
                series: format!("portwatch.{port}.{field}"),
                period: Period::Day(date),
                value,
                precision: Precision::Exact,
                published: None,
            });
        }
    }
    Ok(())
}

/// The feature's day: `date` in any of its three forms, else `year`/`month`/`day`.
fn feature_date(attributes: &Map<String, Value>, i: usize) -> Result<NaiveDate, FormatError> {
    match attributes.get("date") {
        None | Some(Value::Null) => date_from_parts(attributes, i),
        Some(value) => parse_date_value(value).ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "date",
                format!("feature {i}"),
                describe(value),
                DATE_FORMS,
            )
        }),
    }
}

/// A `date` attribute: `"2023-01-02"` (current layer), `1672617600000` (epoch milliseconds, older
/// layers), `"2023-01-02 00:00:00+00:00"` (bulk CSV export; converted to UTC).
fn parse_date_value(value: &Value) -> Option<NaiveDate> {
    match value {
        Value::Number(_) => json_integer(value).and_then(date_from_millis),
        Value::String(s) => {
            let s = s.trim();
            parse_ymd(s)
                .or_else(|| {
                    ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
                        .iter()
                        .find_map(|f| DateTime::parse_from_str(s, f).ok())
                        .map(|dt| dt.with_timezone(&Utc).date_naive())
                })
                .or_else(|| {
                    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                        .iter()
                        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                        .map(|dt| dt.date())
                })
                .or_else(|| {
                    // Epoch milliseconds sent as a string.
                    (s.len() >= 9 && s.bytes().all(|b| b.is_ascii_digit()))
                        .then(|| s.parse().ok())
                        .flatten()
                        .and_then(date_from_millis)
                })
        }
        _ => None,
    }
}

fn date_from_millis(millis: i64) -> Option<NaiveDate> {
    DateTime::from_timestamp_millis(millis).map(|dt| dt.date_naive())
}

fn date_from_parts(attributes: &Map<String, Value>, i: usize) -> Result<NaiveDate, FormatError> {
    let part = |name: &str| attributes.get(name).and_then(json_integer);
    let (Some(year), Some(month), Some(day)) = (part("year"), part("month"), part("day")) else {
        return Err(FormatError::missing(
            CONTEXT,
            "date",
            format!("feature {i} (nor `year`/`month`/`day` to build it from)"),
        ));
    };
    i32::try_from(year)
        .ok()
        .zip(u32::try_from(month).ok())
        .zip(u32::try_from(day).ok())
        .and_then(|((y, m), d)| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| {
            FormatError::invalid(
                CONTEXT,
                "year/month/day",
                format!("feature {i}"),
                format!("`{year}-{month}-{day}`"),
                "a calendar date",
            )
        })
}

/// The live PortWatch source: every configured port, page by page.
///
/// Incremental: each port is asked for rows from its last stored day minus the overlap window
/// (`date >= DATE '…'`), or from `--since`, or everything when nothing is stored. Paging follows
/// `exceededTransferLimit`, advancing `resultOffset` by the rows received, and stops with an error
/// after the client's page bound.
pub struct PortWatchSource;

impl Source for PortWatchSource {
    fn id(&self) -> SourceId {
        SourceId::Portwatch
    }

    fn fetch<'a>(&'a self, ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let endpoint = query_url(&ctx.endpoints.portwatch);
            let mut points = Vec::new();
            let mut notes = Vec::new();
            for port in &ctx.ports {
                let since = ctx.window_start(&format!("portwatch.{port}."));
                let (port_points, rows) = fetch_port(ctx, &endpoint, port, since).await?;
                if rows == 0 {
                    notes.push(format!(
                        "{port}: no rows{}",
                        since.map_or(String::new(), |d| format!(" since {d}"))
                    ));
                }
                points.extend(port_points);
            }
            Ok(Fetched {
                points,
                provenance: format!("IMF PortWatch {endpoint}"),
                notes,
            })
        })
    }
}

/// Every page of one port's query: the points and the number of rows.
async fn fetch_port(
    ctx: &FetchContext,
    endpoint: &str,
    port: &str,
    since: Option<NaiveDate>,
) -> Result<(Vec<ParsedPoint>, usize), SourceError> {
    let mut points = Vec::new();
    let mut offset = 0;
    let mut last_url = endpoint.to_string();
    for page_number in 1..=ctx.client.max_pages() {
        let url = reqwest::Url::parse_with_params(
            endpoint,
            query_params(port, since, offset, MAX_PAGE_SIZE),
        )
        .map_err(|e| HttpError::Url {
            url: endpoint.to_string(),
            message: e.to_string(),
        })?;
        ctx.progress
            .set_message(format!("{port}: page {page_number}, {offset} rows so far"));
        let body = ctx
            .client
            .get(&url, &[("accept", "application/json")])
            .await?;
        let page = parse_page(&body).map_err(|e| HttpError::format(&url, e))?;
        points.extend(page.points);
        offset += page.rows;
        if !page.exceeded_transfer_limit {
            return Ok((points, offset));
        }
        last_url = url.to_string();
    }
    Err(HttpError::TooManyPages {
        url: last_url,
        max: ctx.client.max_pages(),
    }
    .into())
}

#[cfg(test)]
mod tests {
    use super::super::parsed::cut_points;
    use super::*;

    const PAGE1: &str = include_str!("../../tests/fixtures/http/portwatch/page1.json");
    const PAGE2: &str = include_str!("../../tests/fixtures/http/portwatch/page2.json");
    const PAGE3: &str = include_str!("../../tests/fixtures/http/portwatch/page3.json");
    const ERROR: &str = include_str!("../../tests/fixtures/http/portwatch/portwatch_error.json");

    fn day(s: &str) -> NaiveDate {
        parse_ymd(s).unwrap()
    }

    fn value(page: &PortWatchPage, series: &str, date: &str) -> Option<f64> {
        page.points
            .iter()
            .find(|p| p.series == series && p.period == Period::Day(day(date)))
            .map(|p| p.value)
    }

    fn page_with(attributes: &str) -> Vec<u8> {
        format!(r#"{{"features":[{{"attributes":{{{attributes}}}}}]}}"#).into_bytes()
    }

    #[test]
    fn query_parameters() {
        let params = query_params("port1188", Some(day("2024-01-01")), 2000, 1000);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("where"),
            Some("portid='port1188' AND date >= DATE '2024-01-01'")
        );
        assert_eq!(get("outFields"), Some("*"));
        assert_eq!(get("orderByFields"), Some("date"));
        assert_eq!(get("resultOffset"), Some("2000"));
        assert_eq!(get("resultRecordCount"), Some("1000"));
        assert_eq!(get("f"), Some("json"));
        let params = query_params("port'x", None, 0, 5000);
        assert_eq!(params[0].1, "portid='port''x'");
        assert_eq!(params[4].1, "1000");
        assert_eq!(query_params("port1188", None, 0, 0)[4].1, "1");
    }

    #[test]
    fn three_pages_with_mixed_date_forms() {
        let pages: Vec<PortWatchPage> = [PAGE1, PAGE2, PAGE3]
            .iter()
            .map(|b| parse_page(b.as_bytes()).unwrap())
            .collect();
        assert_eq!(
            pages
                .iter()
                .map(|p| (p.rows, p.exceeded_transfer_limit))
                .collect::<Vec<_>>(),
            [(4, true), (4, true), (2, false)]
        );
        // Page 1: string dates; page 2: epoch milliseconds; page 3: string dates.
        assert_eq!(
            value(
                &pages[0],
                "portwatch.port1188.portcalls_container",
                "2023-07-01"
            ),
            Some(42.0)
        );
        assert_eq!(
            value(&pages[0], "portwatch.port1188.portcalls", "2023-07-01"),
            Some(102.0)
        );
        assert_eq!(
            value(
                &pages[1],
                "portwatch.port1188.portcalls_container",
                "2023-07-05"
            ),
            Some(34.0)
        );
        assert_eq!(
            value(&pages[1], "portwatch.port1188.portcalls", "2023-07-08"),
            Some(116.0)
        );
        assert_eq!(
            value(
                &pages[2],
                "portwatch.port1188.portcalls_container",
                "2023-07-10"
            ),
            Some(37.0)
        );
        let all: Vec<&ParsedPoint> = pages.iter().flat_map(|p| &p.points).collect();
        let days: std::collections::BTreeSet<_> = all.iter().map(|p| p.period).collect();
        assert_eq!(days.len(), 10);
        assert!(
            all.iter()
                .all(|p| p.precision == Precision::Exact && p.published.is_none())
        );
        // 7 call counts + 7 import + 7 export fields per feature; one null import_roro on page 1.
        assert_eq!(all.len(), 10 * 21 - 1);
        assert_eq!(
            value(&pages[0], "portwatch.port1188.import_roro", "2023-07-02"),
            None
        );
        assert!(value(&pages[0], "portwatch.port1188.import_roro", "2023-07-01").is_some());
        // No series from non-count attributes.
        assert!(
            !all.iter()
                .any(|p| p.series.ends_with(".year") || p.series.ends_with(".ObjectId"))
        );
    }

    #[test]
    fn date_forms() {
        for date in [
            r#""2023-01-02""#,
            "1672617600000",
            "1672617600000.0",
            r#""2023-01-02 00:00:00+00:00""#,
            r#""2023-01-02 00:00:00+00""#,
            r#""2023-01-02T00:00:00Z""#,
            r#""2023-01-02 00:00:00""#,
            r#""1672617600000""#,
        ] {
            let body = page_with(&format!(
                r#""date":{date},"portid":"port1188","portcalls_container":3,"portcalls":9"#
            ));
            let page = parse_page(&body).unwrap_or_else(|e| panic!("{date}: {e}"));
            assert_eq!(
                page.points[0].period,
                Period::Day(day("2023-01-02")),
                "{date}"
            );
        }
        // A CSV timestamp with an offset is converted to UTC.
        let body = page_with(
            r#""date":"2023-01-02 06:00:00+08:00","portid":"p","portcalls_container":1,"portcalls":1"#,
        );
        assert_eq!(
            parse_page(&body).unwrap().points[0].period,
            Period::Day(day("2023-01-01"))
        );
    }

    #[test]
    fn date_from_year_month_day_when_absent() {
        for date in ["", r#""date":null,"#] {
            let body = page_with(&format!(
                r#"{date}"year":2023,"month":7,"day":"9","portid":"port2027","portcalls_container":12,"portcalls":15"#
            ));
            let page = parse_page(&body).unwrap();
            assert_eq!(page.points.len(), 2);
            assert_eq!(page.points[0].period, Period::Day(day("2023-07-09")));
            assert_eq!(page.points[0].series, "portwatch.port2027.portcalls");
        }
        let body = page_with(
            r#""year":2023,"month":2,"day":30,"portid":"p","portcalls_container":1,"portcalls":1"#,
        );
        let err = parse_page(&body).unwrap_err().to_string();
        assert!(
            err.contains("`year/month/day` in feature 0 is `2023-2-30`"),
            "{err}"
        );
        let body = page_with(r#""year":2023,"portid":"p","portcalls_container":1,"portcalls":1"#);
        let err = parse_page(&body).unwrap_err().to_string();
        assert!(err.contains("`date` missing in feature 0"), "{err}");
    }

    #[test]
    fn unparseable_date_or_missing_port_names_the_feature() {
        let bad_date = PAGE3.replacen("\"2023-07-10\"", "\"10/07/2023\"", 1);
        let err = parse_page(bad_date.as_bytes()).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "PortWatch page: field `date` in feature 1 is `\"10/07/2023\"`, expected a date as"
            ),
            "{err}"
        );
        let no_port = PAGE3.replacen("\"portid\": \"port1188\"", "\"portid\": null", 2);
        let err = parse_page(no_port.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "PortWatch page: field `portid` missing in feature 0 (schema drift?)"
        );
        let body = page_with(
            r#""date":"2023-01-02","portid":"port 1","portcalls_container":1,"portcalls":1"#,
        );
        assert!(
            parse_page(&body)
                .unwrap_err()
                .to_string()
                .contains("`portid` in feature 0")
        );
    }

    #[test]
    fn null_is_skipped_and_junk_is_an_error() {
        let body = page_with(
            r#""date":"2023-01-02","portid":"p","portcalls_container":null,"portcalls":"9","import":null"#,
        );
        let page = parse_page(&body).unwrap();
        assert_eq!(page.points.len(), 1);
        assert_eq!(
            (page.points[0].series.as_str(), page.points[0].value),
            ("portwatch.p.portcalls", 9.0)
        );
        let body = page_with(
            r#""date":"2023-01-02","portid":"p","portcalls_container":1,"portcalls":1,"export_tanker":"x""#,
        );
        let err = parse_page(&body).unwrap_err().to_string();
        assert_eq!(
            err,
            "PortWatch page: field `export_tanker` in feature 0 is `\"x\"`, expected a number or null"
        );
    }

    #[test]
    fn renamed_field_is_schema_drift() {
        let renamed = PAGE2.replace("\"portcalls_container\"", "\"portcalls_containers\"");
        let err = parse_page(renamed.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PortWatch page: field `portcalls_container` missing in feature 0 (schema drift?)"
        );
        let renamed = PAGE1.replace("\"features\"", "\"rows\"");
        let err = parse_page(renamed.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PortWatch page: field `features` missing in the body (schema drift?)"
        );
    }

    #[test]
    fn arcgis_error_body_is_an_error() {
        let err = parse_page(ERROR.as_bytes()).unwrap_err();
        assert!(
            matches!(err, FormatError::Remote { ref code, .. } if code == "400"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "PortWatch page: the server returned an error instead of data: code 400: Cannot perform \
             query. Invalid query parameters. (details: 'where' parameter is invalid)"
        );
    }

    #[test]
    fn endless_paging_is_refused() {
        let err = parse_page(br#"{"features":[],"exceededTransferLimit":true}"#).unwrap_err();
        assert!(err.to_string().contains("paging would never end"), "{err}");
        let page = parse_page(br#"{"features":[]}"#).unwrap();
        assert_eq!((page.rows, page.exceeded_transfer_limit), (0, false));
    }

    #[test]
    fn truncated_and_malformed_bodies_are_errors() {
        for fixture in [PAGE1, PAGE2, PAGE3, ERROR] {
            let body = fixture.trim_end().as_bytes();
            for cut in cut_points(body.len()) {
                let err = parse_page(&body[..cut]).unwrap_err();
                assert!(
                    matches!(err, FormatError::NotJson { .. }),
                    "cut {cut}: {err}"
                );
            }
        }
        let half = &PAGE1.as_bytes()[..PAGE1.len() / 2];
        let msg = parse_page(half).unwrap_err().to_string();
        assert!(
            msg.starts_with("PortWatch page: body is not valid JSON (EOF while parsing"),
            "{msg}"
        );
        for junk in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"\xff\xfe\x00",
            b"[]",
            b"42",
            b"{\"features\":{}}",
        ] {
            assert!(parse_page(junk).is_err());
        }
        let body =
            page_with(r#""date":"2023-01-02","portid":"p","portcalls_container":1,"portcalls":1"#);
        assert!(parse_page(&body).is_ok());
        assert!(parse_page(br#"{"features":[{"attrs":{}}]}"#).is_err());
        assert!(parse_page(br#"{"features":[1]}"#).is_err());
    }
}
