//! `portcast fetch` end to end: the real binary, pointed by the `PORTCAST_*_URL` variables at a
//! local mock server (wiremock on 127.0.0.1) that serves each source's real format
//! (`tests/fixtures/http/`, formats in SOURCES-API.md). Every fault case checks a clear error that
//! names the URL and a store left byte for byte as it was.
//!
//! Timeouts and backoff are shortened through the config (`[sources]`), so the whole file runs in
//! seconds. Bodies built in this file (`portwatch_page`, `dbnomics_series`, edited fixtures) are
//! synthetic test data, said so where they are made.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{header, method, path, path_regex, query_param, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::util::{csv_rows, data_dir, portcast, run};

const PORTWATCH_PATH: &str = "/Daily_Ports_Data/FeatureServer/0/query";
const DBNOMICS_PATH: &str = "/v22/series/NBS/M_A0B01";
const SCFI_PATH: &str = "/currentIndex";
const POLA_PATH: &str = "/business/statistics/container-statistics/historical-teu-statistics-";
/// The Referer the SCFI host requires, as the client sends it (not an address the tests reach).
const REFERER: &str = portcast::ingest::scfi::REFERER;

fn fixture(name: &str) -> String {
    fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/http")
            .join(name),
    )
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A store, a config with short timeouts, and optionally an empty snapshot.
struct World {
    store: tempfile::TempDir,
    config: PathBuf,
    /// `Some(dir)`: a snapshot with every file empty (header only), so every fetched figure is
    /// new; `None`: the bundled snapshot.
    data_dir: Option<tempfile::TempDir>,
}

const FAST: &[(&str, &str)] = &[
    ("ports", r#"["port1188"]"#),
    ("connect_timeout_secs", "2"),
    ("timeout_secs", "1"),
    ("retries", "2"),
    ("backoff_ms", "10"),
    ("max_retry_wait_secs", "3"),
    ("max_pages", "10"),
];

impl World {
    fn new(empty_snapshot: bool, overrides: &[(&str, &str)]) -> World {
        let store = tempfile::tempdir().unwrap();
        let mut text = String::from("[sources]\n");
        for (key, value) in FAST {
            if !overrides.iter().any(|(k, _)| k == key) {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        for (key, value) in overrides {
            text.push_str(&format!("{key} = {value}\n"));
        }
        let config = store.path().join("portcast.toml");
        fs::write(&config, text).unwrap();
        let data_dir = empty_snapshot.then(|| {
            let dir = tempfile::tempdir().unwrap();
            for entry in fs::read_dir(data_dir()).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "csv") {
                    let text = fs::read_to_string(&path).unwrap();
                    let header = text.lines().next().unwrap();
                    fs::write(
                        dir.path().join(path.file_name().unwrap()),
                        format!("{header}\n"),
                    )
                    .unwrap();
                }
            }
            dir
        });
        World {
            store,
            config,
            data_dir,
        }
    }

    /// `portcast` with this world's store, config and snapshot, every base URL at `server`.
    fn cmd(&self, server: &str) -> assert_cmd::Command {
        let mut cmd = portcast(self.store.path());
        cmd.arg("--config").arg(&self.config);
        if let Some(d) = &self.data_dir {
            cmd.arg("--data-dir").arg(d.path());
        }
        cmd.env("PORTCAST_PORTWATCH_URL", server)
            .env("PORTCAST_DBNOMICS_URL", format!("{server}/v22"))
            .env("PORTCAST_NBS_URL", server)
            .env("PORTCAST_SCFI_URL", server)
            .env("PORTCAST_POLA_URL", server);
        cmd
    }

    fn fetch(&self, server: &str, args: &[&str]) -> (i32, String, String) {
        run(self.cmd(server).arg("fetch").args(args))
    }

    /// `fetch --format json`: exit code, the parsed report, stderr.
    fn fetch_json(&self, server: &str, args: &[&str]) -> (i32, Value, String) {
        let (code, out, err) = run(self
            .cmd(server)
            .args(["fetch", "--format", "json"])
            .args(args));
        let report = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
        (code, report, err)
    }

    /// `data show SERIES [extra]` as CSV rows (period, value, precision, known_at, source).
    /// (It never fetches; the sources point at the loopback discard port all the same.)
    fn show(&self, series: &str, extra: &[&str]) -> Vec<Vec<String>> {
        let (code, out, err) = run(self
            .cmd("http://127.0.0.1:9")
            .args(["data", "show", series, "--format", "csv"])
            .args(extra));
        assert_eq!(code, 0, "{err}");
        csv_rows(&out).1
    }

    fn observations(&self) -> Option<Vec<u8>> {
        fs::read(self.store.path().join("observations.csv")).ok()
    }

    /// Put a small valid store in place and return its bytes (to compare after a fault).
    fn seed(&self) -> Vec<u8> {
        let bytes = b"series,period,value,unit,precision,source,known_at\n\
            shanghai_teu,2024-10,4300000,TEU,lower-bound,entered by hand,2024-11-15T00:00:00Z\n"
            .to_vec();
        fs::write(self.store.path().join("observations.csv"), &bytes).unwrap();
        bytes
    }
}

/// The report's entry for `source`.
fn entry<'a>(report: &'a Value, source: &str) -> &'a Value {
    report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == source)
        .unwrap_or_else(|| panic!("no {source} in {report}"))
}

fn counts(report: &Value, source: &str) -> (u64, u64, u64) {
    let e = entry(report, source);
    (
        e["new"].as_u64().unwrap(),
        e["revised"].as_u64().unwrap(),
        e["unchanged"].as_u64().unwrap(),
    )
}

async fn mount_portwatch_fixtures(server: &MockServer) {
    for (offset, page) in [
        ("0", "page1.json"),
        ("4", "page2.json"),
        ("8", "page3.json"),
    ] {
        Mock::given(method("GET"))
            .and(path(PORTWATCH_PATH))
            .and(query_param("resultOffset", offset))
            .and(query_param_contains("where", "portid='port1188'"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture(&format!("portwatch/{page}")), "application/json"),
            )
            .mount(server)
            .await;
    }
}

/// A DBnomics series body with one doc (synthetic wrapper around the given figures).
fn dbnomics_series(code: &str, periods: &[&str], values: &[Value]) -> String {
    serde_json::json!({
        "series": {"docs": [{"series_code": code, "period": periods, "value": values}], "num_found": 1}
    })
    .to_string()
}

async fn mount_dbnomics_fixtures(server: &MockServer) {
    let json = |body: String| ResponseTemplate::new(200).set_body_raw(body, "application/json");
    for (code, body) in [
        ("A0B0101", fixture("dbnomics/A0B0101.json")),
        ("A0B0104", fixture("dbnomics/A0B0104.json")),
        // Real January 2023 production and new orders (the easyquery fixture's figures).
        (
            "A0B0102",
            dbnomics_series("A0B0102", &["2023-01"], &[serde_json::json!(49.8)]),
        ),
        (
            "A0B0103",
            dbnomics_series("A0B0103", &["2023-01"], &[serde_json::json!(50.9)]),
        ),
        // A0B0108 is not mounted: the server answers 404 and the sub-index is skipped.
    ] {
        Mock::given(method("GET"))
            .and(path(format!("{DBNOMICS_PATH}/{code}")))
            .and(query_param("observations", "1"))
            .respond_with(json(body))
            .mount(server)
            .await;
    }
}

async fn mount_scfi(server: &MockServer, body: String) {
    Mock::given(method("GET"))
        .and(path(SCFI_PATH))
        .and(query_param("indexName", "scfi"))
        .and(header("referer", REFERER))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(server)
        .await;
}

async fn mount_pola(server: &MockServer, year: i32, body: String) {
    Mock::given(method("GET"))
        .and(path(format!("{POLA_PATH}{year}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/html; charset=utf-8"))
        .mount(server)
        .await;
}

/// Every source, every format quirk, into a store with an empty snapshot: what `data show`
/// then shows is exactly what was fetched, with its `known_at`.
#[tokio::test]
async fn every_source_into_a_fresh_store() {
    let server = MockServer::start().await;
    mount_portwatch_fixtures(&server).await;
    mount_dbnomics_fixtures(&server).await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    mount_pola(
        &server,
        2019,
        fixture("pola/historical-teu-statistics-2019.html"),
    )
    .await;
    let world = World::new(true, &[]);

    let (code, report, err) = world.fetch_json(&server.uri(), &["--since", "2019-01-01"]);
    assert_eq!(code, 0, "{report}\n{err}");
    let fetched_at = report["fetched_at"].as_str().unwrap().to_string();

    // PortWatch: 3 pages, 10 days x 21 fields, minus one null (never stored as zero).
    assert_eq!(counts(&report, "portwatch"), (209, 0, 0));
    // PMI: 11 headline months (2023-06 is "NA"), 12 export-order months, 2 more sub-indices;
    // A0B0108 answered 404 and was skipped with a note.
    assert_eq!(counts(&report, "pmi"), (25, 0, 0));
    let pmi_notes = entry(&report, "pmi")["notes"].to_string();
    assert!(
        pmi_notes.contains("A0B0108") && pmi_notes.contains("404"),
        "{pmi_notes}"
    );
    // SCFI: composite and USWC, both weeks; the null routes are listed, not stored.
    assert_eq!(counts(&report, "scfi"), (4, 0, 0));
    let scfi_notes = entry(&report, "scfi")["notes"].to_string();
    assert!(scfi_notes.contains("scfi_usec@2016-12-09"), "{scfi_notes}");
    // POLA: 12 months x 5 columns of 2019; the other years answered 404 (notes).
    assert_eq!(counts(&report, "pola"), (60, 0, 0));
    // Official Shanghai TEU: nothing to fetch, and not a failure.
    let shanghai = entry(&report, "shanghai");
    assert_eq!(shanghai["status"], "nothing_to_fetch");
    assert_eq!(shanghai["failed"], false);
    assert!(shanghai["notes"].to_string().contains("data add"));

    // Both date forms: page 2 carries epoch milliseconds (2023-07-05 .. 08). The fixtures'
    // call counts are the real ones of the bundled file, read here with the csv crate alone.
    let calls = world.show("portwatch.port1188.portcalls_container", &[]);
    let got: Vec<(String, String)> = calls.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let mut bundled =
        csv::Reader::from_path(data_dir().join("portwatch_daily_port_calls.csv")).unwrap();
    let expected: Vec<(String, String)> = bundled
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[1] == "port1188" && ("2023-07-01".."2023-07-11").contains(&&r[0]))
        .map(|r| (r[0].to_string(), r[3].to_string()))
        .collect();
    assert_eq!(expected.len(), 10);
    assert_eq!(got, expected);
    assert!(calls.iter().all(|r| r[3] == fetched_at), "{calls:?}");
    assert!(calls[0][4].contains(&server.uri()), "{:?}", calls[0]);
    assert!(world.show("portwatch.port1188.import_roro", &[]).len() == 9);

    // PMI: no row for the "NA" month.
    let pmi = world.show("pmi", &[]);
    assert_eq!(pmi.len(), 11);
    assert!(!pmi.iter().any(|r| r[0] == "2023-06"));
    assert_eq!(
        (pmi[0][0].as_str(), pmi[0][1].as_str()),
        ("2023-01", "50.1")
    );

    // SCFI: known_at is the print date the response states.
    let scfi = world.show("scfi", &[]);
    let got: Vec<(&str, &str, &str)> = scfi
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[3].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("2016-12-02", "794.98", "2016-12-02T00:00:00Z"),
            ("2016-12-09", "797.62", "2016-12-09T00:00:00Z"),
        ]
    );
    assert!(world.show("scfi_usec", &[]).is_empty());

    // POLA: numbers like 852,449.50; the footer rows are not months.
    let la = world.show("la_teu", &[]);
    assert_eq!(la.len(), 12);
    assert_eq!(
        (la[0][0].as_str(), la[0][1].as_str()),
        ("2019-01", "852449.5")
    );
    assert_eq!(la[0][3], fetched_at);
    let imports = world.show("la_loaded_imports", &[]);
    assert_eq!(imports[0][1], "429922.75");
}

/// With the bundled snapshot: figures it already has are unchanged (not written again), and a
/// second identical fetch changes nothing.
#[tokio::test]
async fn figures_already_known_are_unchanged_and_not_written_twice() {
    let server = MockServer::start().await;
    mount_portwatch_fixtures(&server).await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    let world = World::new(false, &[]);

    let (code, report, err) = world.fetch_json(
        &server.uri(),
        &["--source", "scfi,portwatch", "--since", "2023-07-01"],
    );
    assert_eq!(code, 0, "{err}");
    // The bundled snapshot holds the real SCFI prints and the port1188 call counts.
    assert_eq!(counts(&report, "scfi"), (0, 0, 4));
    // 20 real call counts are bundled; the 189 synthetic other fields are new.
    assert_eq!(counts(&report, "portwatch"), (189, 0, 20));
    let first = world.observations().unwrap();

    let (code, report, _) = world.fetch_json(
        &server.uri(),
        &["--source", "scfi,portwatch", "--since", "2023-07-01"],
    );
    assert_eq!(code, 0);
    assert_eq!(counts(&report, "portwatch"), (0, 0, 209));
    assert_eq!(world.observations().unwrap(), first);
    // The bundled figure keeps its own known_at (the re-fetch does not move it forward).
    let scfi = world.show("scfi", &["--as-of", "2016-12-09"]);
    let last = scfi.last().unwrap();
    assert_eq!(
        (last[0].as_str(), last[1].as_str()),
        ("2016-12-09", "797.62")
    );
}

/// Synthetic PortWatch page (test data, not real figures): one feature per (port, date,
/// container calls, all calls).
fn portwatch_page(rows: &[(&str, &str, u32, u32)], more: bool) -> String {
    let features: Vec<Value> = rows
        .iter()
        .map(|(port, date, container, all)| {
            serde_json::json!({"attributes": {
                "date": date, "portid": port, "portname": "x",
                "portcalls_container": container, "portcalls": all
            }})
        })
        .collect();
    let mut body =
        serde_json::json!({"objectIdFieldName": "ObjectId", "fields": [], "features": features});
    if more {
        body["exceededTransferLimit"] = Value::Bool(true);
    }
    body.to_string()
}

/// `shanghai_calls` (port1188 + port2027) continues from the bundled days into fetched ones; the
/// request asks only for the incremental window.
#[tokio::test]
async fn shanghai_calls_continue_into_fetched_days() {
    let server = MockServer::start().await;
    for (port, rows) in [
        (
            "port1188",
            [
                ("port1188", "2024-01-01", 40, 90),
                ("port1188", "2024-01-02", 41, 95),
            ],
        ),
        (
            "port2027",
            [
                ("port2027", "2024-01-01", 15, 17),
                ("port2027", "2024-01-02", 16, 18),
            ],
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(PORTWATCH_PATH))
            .and(query_param_contains("where", format!("portid='{port}'")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(portwatch_page(&rows, false), "application/json"),
            )
            .mount(&server)
            .await;
    }
    let world = World::new(false, &[("ports", r#"["port1188", "port2027"]"#)]);
    let (code, report, err) = world.fetch_json(&server.uri(), &["--source", "portwatch"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&report, "portwatch"), (8, 0, 0));

    // Bundled data ends 2023-12-31; the default overlap is 28 days.
    let requests = server.received_requests().await.unwrap();
    let wheres: Vec<String> = requests
        .iter()
        .filter_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "where")
                .map(|(_, v)| v.into_owned())
        })
        .collect();
    assert_eq!(
        wheres,
        [
            "portid='port1188' AND date >= DATE '2023-12-03'",
            "portid='port2027' AND date >= DATE '2023-12-03'",
        ]
    );

    let calls = world.show("shanghai_calls", &[]);
    let tail: Vec<(&str, &str)> = calls[calls.len() - 3..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    // 2023-12-31 is bundled (port1188 + port2027 from portwatch_daily_port_calls.csv).
    assert_eq!(tail[0].0, "2023-12-31");
    assert_eq!(&tail[1..], [("2024-01-01", "55"), ("2024-01-02", "57")]);
    let monthly = world.show("shanghai_calls", &["--freq", "month"]);
    let jan = monthly.iter().find(|r| r[0] == "2024-01").unwrap();
    // period, value, precision, known_at, source, n, complete: two days of January so far.
    assert_eq!(
        (jan[1].as_str(), jan[5].as_str(), jan[6].as_str()),
        ("112", "2", "false")
    );
}

/// Two fetches, the second sees one changed figure: the first is kept, the revision is listed,
/// and a view as of before the second fetch still shows the first value.
#[tokio::test]
async fn a_changed_figure_is_a_revision_kept_beside_the_first() {
    let server = MockServer::start().await;
    let page = fixture("pola/historical-teu-statistics-2019.html");
    mount_pola(&server, 2019, page.clone()).await;
    let world = World::new(true, &[]);
    let (code, first, err) = world.fetch_json(
        &server.uri(),
        &["--source", "pola", "--since", "2019-01-01"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&first, "pola"), (60, 0, 0));
    let t1 = first["fetched_at"].as_str().unwrap().to_string();

    // Synthetic edit: January 2019's total becomes 852,500.00 (the real figure is 852,449.50).
    server.reset().await;
    assert!(page.contains("852,449.50"));
    mount_pola(&server, 2019, page.replacen("852,449.50", "852,500.00", 1)).await;
    let (code, second, err) = world.fetch_json(
        &server.uri(),
        &["--source", "pola", "--since", "2019-01-01"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&second, "pola"), (0, 1, 59));
    let revision = &entry(&second, "pola")["revisions"][0];
    assert_eq!(revision["series"], "la_teu");
    assert_eq!(revision["period"], "2019-01");
    assert_eq!(revision["previous"], 852449.5);
    assert_eq!(revision["value"], 852500.0);
    assert_eq!(revision["previous_known_at"], t1.as_str());
    // Known from the second fetch on (a millisecond after the first sighting, should both
    // fetches fall in the same second).
    let time = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let t2 = time(second["fetched_at"].as_str().unwrap());
    let known_at = time(revision["known_at"].as_str().unwrap());
    assert!(
        known_at >= t2 && known_at > time(&t1),
        "{known_at} {t1} {t2}"
    );

    // Both rows are in the store.
    let text = String::from_utf8(world.observations().unwrap()).unwrap();
    let jan: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("la_teu,2019-01,"))
        .collect();
    assert_eq!(jan.len(), 2, "{text}");

    let value_as_of = |as_of: Option<&str>| {
        let extra: Vec<&str> = as_of.map_or(vec![], |t| vec!["--as-of", t]);
        let rows = world.show("la_teu", &extra);
        rows.iter()
            .find(|r| r[0] == "2019-01")
            .map(|r| r[1].clone())
    };
    assert_eq!(value_as_of(Some(&t1)).as_deref(), Some("852449.5"));
    assert_eq!(value_as_of(None).as_deref(), Some("852500"));
    assert_eq!(value_as_of(Some("2019-02-28")), None);

    // The table summary lists the revision too.
    server.reset().await;
    mount_pola(&server, 2019, page.replacen("852,449.50", "852,600.00", 1)).await;
    let (code, _, err) = world.fetch(
        &server.uri(),
        &["--source", "pola", "--since", "2019-01-01"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("revisions (kept beside the earlier figures):"),
        "{err}"
    );
    assert!(err.contains("la_teu 2019-01: 852500"), "{err}");
    assert!(err.contains("-> 852600"), "{err}");
}

/// Run one faulty fetch of `source` over a seeded store: exit 5, the error names `url_part` and
/// contains `message`, and the store is byte for byte as it was.
fn assert_fault(
    world: &World,
    server: &str,
    source: &str,
    url_part: &str,
    message: &str,
) -> String {
    let before = world.seed();
    let (code, report, err) =
        world.fetch_json(server, &["--source", source, "--since", "2019-01-01"]);
    assert_eq!(code, 5, "{report}\n{err}");
    let e = entry(&report, source);
    assert_eq!(e["status"], "failed");
    assert_eq!(e["failed"], true);
    let error = e["error"].as_str().unwrap().to_string();
    assert!(error.contains(url_part), "URL `{url_part}` not in: {error}");
    assert!(error.contains(message), "`{message}` not in: {error}");
    // The error also reaches stderr (for cron).
    assert!(err.contains(&error), "{err}");
    assert_eq!(world.observations().unwrap(), before, "the store changed");
    error
}

#[tokio::test]
async fn a_server_error_then_success_is_retried() {
    let server = MockServer::start().await;
    Mock::given(path(SCFI_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream hiccup"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    let world = World::new(true, &[]);
    let (code, report, err) = world.fetch_json(&server.uri(), &["--source", "scfi"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&report, "scfi"), (4, 0, 0));
    assert!(
        err.contains("HTTP 500") && err.contains("retrying"),
        "{err}"
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let agent = requests[1]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(agent.starts_with("portcast/"), "{agent}");
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path(SCFI_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    let world = World::new(true, &[]);
    let (code, report, err) = world.fetch_json(&server.uri(), &["--source", "scfi"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(counts(&report, "scfi"), (4, 0, 0));
    assert!(err.contains("HTTP 429"), "{err}");
    // The backoff alone is 5-10 ms ("retrying in 0.0 s"): the client's own account of the wait
    // it took says Retry-After was honoured (no clock in the test).
    assert!(err.contains("retrying in 1.0 s"), "{err}");

    // A server that keeps refusing: the retries run out and the store is untouched.
    server.reset().await;
    Mock::given(path(SCFI_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .mount(&server)
        .await;
    let error = assert_fault(
        &world,
        &server.uri(),
        "scfi",
        "/currentIndex?indexName=scfi",
        "HTTP 429",
    );
    assert!(error.contains("after 3 attempt(s)"), "{error}");
}

#[tokio::test]
async fn a_read_timeout_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(path(SCFI_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("scfi/current.json"), "application/json")
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let world = World::new(true, &[("retries", "1")]);
    // Headers that never come.
    let error = assert_fault(
        &world,
        &server.uri(),
        "scfi",
        &format!("{}/currentIndex", server.uri()),
        "timed out",
    );
    assert!(error.contains("after 2 attempt(s)"), "{error}");
    // Headers and half the body, then nothing more on an open connection.
    let body = fixture("scfi/current.json");
    let stalled = raw_server_stalling(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
            body.len(),
            &body[..body.len() / 2]
        ),
        Duration::from_secs(5),
    );
    assert_fault(
        &world,
        &stalled,
        "scfi",
        &format!("{stalled}/currentIndex"),
        "timed out",
    );
}

#[tokio::test]
async fn a_truncated_body_is_an_error() {
    // Served whole but cut short (a proxy that stopped half way): not valid JSON.
    let server = MockServer::start().await;
    let body = fixture("scfi/current.json");
    Mock::given(path(SCFI_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body[..body.len() / 2].to_string(), "application/json"),
        )
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    assert_fault(
        &world,
        &server.uri(),
        "scfi",
        "/currentIndex",
        "truncated or not JSON?",
    );

    // The connection closes before the announced Content-Length: a broken body, retried, then
    // an error.
    let raw = raw_server(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    ));
    let error = assert_fault(
        &world,
        &raw,
        "scfi",
        &format!("{raw}/currentIndex"),
        "body cut off",
    );
    assert!(error.contains("after 3 attempt(s)"), "{error}");
}

#[tokio::test]
async fn malformed_json_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(path(format!("{DBNOMICS_PATH}/A0B0101")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"series": {"docs": [,]}}"#, "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/easyquery.htm"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>403 Forbidden</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    let error = assert_fault(
        &world,
        &server.uri(),
        "pmi",
        "/v22/series/NBS/M_A0B01/A0B0101",
        "body is not valid JSON",
    );
    // The fallback was tried and failed too; both are named.
    assert!(
        error.contains("fallback NBS easyquery failed too"),
        "{error}"
    );
    assert!(error.contains("/easyquery.htm?m=QueryData"), "{error}");
}

#[tokio::test]
async fn dbnomics_failing_falls_back_to_nbs_easyquery() {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/v22/series/"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    Mock::given(path("/easyquery.htm"))
        .and(query_param("m", "QueryData"))
        .and(query_param("dbcode", "hgyd"))
        .and(query_param_contains("dfwds", "\"valuecode\":\"A0B01\""))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("nbs/easyquery.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    let (code, report, err) = world.fetch_json(&server.uri(), &["--source", "pmi"]);
    assert_eq!(code, 0, "{err}");
    // 12 PMI months of 2023 plus January's production and new orders; 2024-01 has no data yet.
    assert_eq!(counts(&report, "pmi"), (14, 0, 0));
    let notes = entry(&report, "pmi")["notes"].to_string();
    assert!(
        notes.contains("DBnomics failed") && notes.contains("HTTP 503"),
        "{notes}"
    );
    // Nothing stored yet: easyquery is asked for everything since the PMI began.
    let asked = server.received_requests().await.unwrap();
    let dfwds = asked
        .iter()
        .filter(|r| r.url.path() == "/easyquery.htm")
        .find_map(|r| {
            r.url
                .query_pairs()
                .find(|(k, _)| k == "dfwds")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap();
    assert!(dfwds.contains("\"valuecode\":\"200501-"), "{dfwds}");
    let pmi = world.show("pmi", &[]);
    assert_eq!(pmi.len(), 12);
    assert!(pmi[0][4].contains("easyquery"), "{:?}", pmi[0]);
}

#[tokio::test]
async fn a_renamed_field_on_a_later_page_stores_nothing() {
    let server = MockServer::start().await;
    for (offset, page) in [("0", "page1.json"), ("4", "page2.json")] {
        Mock::given(path(PORTWATCH_PATH))
            .and(query_param("resultOffset", offset))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(fixture(&format!("portwatch/{page}")), "application/json"),
            )
            .mount(&server)
            .await;
    }
    let drifted = fixture("portwatch/page3.json")
        .replace("\"portcalls_container\"", "\"portcalls_containers\"");
    Mock::given(path(PORTWATCH_PATH))
        .and(query_param("resultOffset", "8"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(drifted, "application/json"))
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    let error = assert_fault(
        &world,
        &server.uri(),
        "portwatch",
        "resultOffset=8",
        "schema drift?",
    );
    assert!(
        error.contains("field `portcalls_container` missing in feature 0"),
        "{error}"
    );
    assert!(error.contains(PORTWATCH_PATH), "{error}");
}

#[tokio::test]
async fn an_arcgis_error_body_with_http_200_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(path(PORTWATCH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("portwatch/portwatch_error.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    assert_fault(
        &world,
        &server.uri(),
        "portwatch",
        PORTWATCH_PATH,
        "the server returned an error instead of data: code 400: Cannot perform query",
    );
}

#[tokio::test]
async fn endless_paging_ends_with_an_error() {
    let server = MockServer::start().await;
    // Every page says more rows remain (a server ignoring resultOffset).
    Mock::given(path(PORTWATCH_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("portwatch/page1.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let world = World::new(true, &[("max_pages", "5")]);
    let error = assert_fault(
        &world,
        &server.uri(),
        "portwatch",
        "resultOffset=16",
        "still more rows after 5 pages",
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
    assert!(error.contains("exceededTransferLimit"), "{error}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    // Declared by Content-Length: refused before reading.
    let server = MockServer::start().await;
    mount_portwatch_fixtures(&server).await;
    let world = World::new(true, &[("max_body_bytes", "4096")]);
    let error = assert_fault(
        &world,
        &server.uri(),
        "portwatch",
        "resultOffset=0",
        "larger than the cap of 4096 bytes",
    );
    assert!(error.contains("Content-Length"), "{error}");

    // Not declared (the body runs until the connection closes): reading stops at the cap.
    let big = fixture("portwatch/page1.json");
    let raw = raw_server(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{big}"
    ));
    let error = assert_fault(
        &world,
        &raw,
        "portwatch",
        PORTWATCH_PATH,
        "larger than the cap of 4096 bytes",
    );
    assert!(!error.contains("Content-Length"), "{error}");
}

#[tokio::test]
async fn a_changed_pola_layout_is_an_error() {
    let server = MockServer::start().await;
    mount_pola(&server, 2019, fixture("pola/pola_changed_layout.html")).await;
    let world = World::new(true, &[]);
    assert_fault(
        &world,
        &server.uri(),
        "pola",
        &format!("{POLA_PATH}2019"),
        "(layout changed?)",
    );
}

/// A year's URL answered with another year's page (the site sending the newest page for a year
/// not out yet) is read as the year the page names, never as the year asked for.
#[tokio::test]
async fn a_pola_page_is_read_as_the_year_it_names() {
    let server = MockServer::start().await;
    Mock::given(path_regex(format!("^{POLA_PATH}[0-9]{{4}}$")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("pola/historical-teu-statistics-2019.html"),
            "text/html",
        ))
        .mount(&server)
        .await;
    let world = World::new(true, &[]);
    let (code, report, err) = world.fetch_json(
        &server.uri(),
        &["--source", "pola", "--since", "2024-01-01"],
    );
    assert_eq!(code, 0, "{err}");
    // 2024, 2025 and 2026 all answered with the 2019 page: 60 figures, each stored once.
    assert_eq!(counts(&report, "pola"), (60, 0, 0));
    let notes = entry(&report, "pola")["notes"].to_string();
    assert!(
        notes.contains("historical-teu-statistics-2026 holds the page of 2019"),
        "{notes}"
    );
    let la = world.show("la_teu", &[]);
    assert_eq!((la.len(), la[0][0].as_str()), (12, "2019-01"));
}

/// One unreachable source does not stop the others; the summary and the exit code say which.
#[tokio::test]
async fn one_source_down_the_others_still_fetched() {
    let server = MockServer::start().await;
    mount_dbnomics_fixtures(&server).await;
    mount_pola(
        &server,
        2019,
        fixture("pola/historical-teu-statistics-2019.html"),
    )
    .await;
    mount_portwatch_fixtures(&server).await;
    // A port nobody listens on (bound, then released).
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let world = World::new(true, &[]);
    let (code, out, err) = run(world
        .cmd(&server.uri())
        .env("PORTCAST_SCFI_URL", &closed)
        .args(["fetch", "--since", "2019-01-01"]));
    assert_eq!(code, 5, "{out}\n{err}");
    // The table on stderr: one row per source.
    let row = |name: &str| {
        err.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in {err}"))
            .to_string()
    };
    assert!(row("scfi").contains("failed"), "{err}");
    assert!(
        row("scfi").contains(&format!(
            "GET {closed}/currentIndex?indexName=scfi: cannot connect"
        )),
        "{err}"
    );
    assert!(row("portwatch").contains(" ok "), "{err}");
    assert!(row("pola").contains(" ok "), "{err}");
    assert!(row("shanghai").contains("nothing to fetch"), "{err}");
    assert_eq!(world.show("la_teu", &[]).len(), 12);
    assert_eq!(world.show("pmi", &[]).len(), 11);
    assert!(world.show("scfi", &[]).is_empty());
}

#[tokio::test]
async fn quiet_prints_nothing_but_errors() {
    let server = MockServer::start().await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    let world = World::new(true, &[]);
    let (code, out, err) = world.fetch(&server.uri(), &["--source", "scfi", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = world.fetch(&server.uri(), &["--source", "pola", "-q"]);
    assert_eq!(code, 5);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("pola: every year page answered HTTP 404"),
        "{err}"
    );
    // No progress-bar escapes off a terminal.
    let (_, _, err) = world.fetch(&server.uri(), &["--source", "scfi"]);
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[tokio::test]
async fn csv_summary_on_stdout() {
    let server = MockServer::start().await;
    mount_scfi(&server, fixture("scfi/current.json")).await;
    let world = World::new(true, &[]);
    let (code, out, err) = world.fetch(
        &server.uri(),
        &["--source", "scfi,shanghai", "--format", "csv"],
    );
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        ["source", "status", "new", "revised", "unchanged", "message"]
    );
    assert_eq!(rows[0][..5], ["scfi", "ok", "4", "0", "0"]);
    assert!(
        rows[0][5]
            .starts_with("not published (null; never stored as zero): scfi_europe@2016-12-09")
    );
    assert_eq!(rows[1][..2], ["shanghai", "nothing to fetch"]);
}

#[test]
fn misuse_is_refused_before_any_request() {
    let world = World::new(true, &[]);
    let nowhere = "http://127.0.0.1:9";
    // --as-of does not apply to fetching.
    let (code, _, err) = world.fetch(nowhere, &["--as-of", "2024-01-01"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--as-of does not apply"), "{err}");
    let (code, _, err) = world.fetch(nowhere, &["--source", "bloomberg"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = world.fetch(nowhere, &["--since", "2999-01-01"]);
    assert_eq!(code, 2, "{err}");
    // A bad base URL in the environment or an unknown key in [sources]: exit 4, named.
    let (code, _, err) = run(world
        .cmd(nowhere)
        .env("PORTCAST_POLA_URL", "ftp://example.org")
        .arg("fetch"));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("PORTCAST_POLA_URL"), "{err}");
    fs::write(
        &world.config,
        "[sources]\nportwatch_ulr = \"http://127.0.0.1:1\"\n",
    )
    .unwrap();
    let (code, _, err) = world.fetch(nowhere, &[]);
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("line 2, column 1: unknown field `portwatch_ulr`"),
        "{err}"
    );
    assert!(world.observations().is_none());
}

#[test]
fn a_held_lock_is_exit_75() {
    let world = World::new(true, &[]);
    let _held = portcast::fsutil::RunLock::acquire(world.store.path()).unwrap();
    let (code, _, err) = world.fetch("http://127.0.0.1:9", &["--source", "scfi"]);
    assert_eq!(code, 75, "{err}");
    assert!(
        err.contains("another portcast run") && err.contains("holds the lock"),
        "{err}"
    );
}

/// A one-response HTTP server on 127.0.0.1 for what wiremock cannot send (a body shorter than
/// its Content-Length, a body without one): answers every connection with `response` and closes.
fn raw_server(response: String) -> String {
    raw_server_stalling(response, Duration::ZERO)
}

/// [`raw_server`] that keeps each connection open for `stall` after writing (a body that stops
/// arriving half way).
fn raw_server_stalling(response: String, stall: Duration) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let response = response.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(response.as_bytes());
                let _ = stream.flush();
                std::thread::sleep(stall);
            });
        }
    });
    address
}
