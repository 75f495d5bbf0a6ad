//! `portcast data ...` end to end: the acceptance checks on the bundled data, `--as-of`,
//! `--data-dir`, broken files, spreadsheet-saved files, and `data add`.

use std::collections::BTreeMap;
use std::fs;

use crate::util::{copy_of_data, csv_rows, data_dir, portcast, run};

/// Count the non-empty cells of `column` in a bundled file, reading it independently of the
/// program (plain csv crate, no portcast code).
fn count_cells(
    file: &str,
    column: &str,
    filter: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> usize {
    let mut r = csv::Reader::from_path(data_dir().join(file)).unwrap();
    let header = r.headers().unwrap().clone();
    let i = header.iter().position(|h| h == column).unwrap();
    r.records()
        .map(Result::unwrap)
        .filter(|rec| !rec[i].trim().is_empty() && filter(&header, rec))
        .count()
}

#[test]
fn list_has_every_series_with_counts_that_match_the_files() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args(["data", "list", "--format", "csv"]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        [
            "series",
            "frequency",
            "unit",
            "first",
            "last",
            "count",
            "missing"
        ]
    );
    let counts: BTreeMap<&str, usize> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[5].parse().unwrap()))
        .collect();
    let all = |_: &csv::StringRecord, _: &csv::StringRecord| true;
    // A row whose note says its value was carried forward over a holiday is no release.
    let released = |h: &csv::StringRecord, r: &csv::StringRecord| {
        !r[h.iter().position(|c| c == "note").unwrap()].contains("carried forward")
    };
    let port = |p: &'static str| {
        move |h: &csv::StringRecord, r: &csv::StringRecord| {
            r[h.iter().position(|c| c == "portid").unwrap()] == *p
        }
    };
    let expected = [
        (
            "pmi",
            count_cells("pmi_nbs_monthly.csv", "manufacturing_pmi", all),
        ),
        (
            "pmi_non_manufacturing",
            count_cells("pmi_nbs_monthly.csv", "non_manufacturing_pmi", all),
        ),
        (
            "pmi_new_export_orders",
            count_cells("pmi_nbs_subindices_monthly.csv", "new_export_orders", all),
        ),
        (
            "pmi_production",
            count_cells("pmi_nbs_subindices_monthly.csv", "production", all),
        ),
        (
            "pmi_new_orders",
            count_cells("pmi_nbs_subindices_monthly.csv", "new_orders", all),
        ),
        (
            "pmi_imports",
            count_cells("pmi_nbs_subindices_monthly.csv", "imports", all),
        ),
        (
            "shanghai_teu",
            count_cells("shanghai_teu_monthly.csv", "teu", all),
        ),
        (
            "shanghai_teu_annual",
            count_cells("shanghai_teu_annual.csv", "teu", all),
        ),
        (
            "portwatch.port1188.portcalls_container",
            count_cells(
                "portwatch_daily_port_calls.csv",
                "portcalls_container",
                port("port1188"),
            ),
        ),
        (
            "portwatch.port2027.portcalls_container",
            count_cells(
                "portwatch_daily_port_calls.csv",
                "portcalls_container",
                port("port2027"),
            ),
        ),
        (
            "portwatch.port1188.portcalls",
            count_cells(
                "portwatch_daily_port_calls.csv",
                "portcalls",
                port("port1188"),
            ),
        ),
        (
            "portwatch.port2027.portcalls",
            count_cells(
                "portwatch_daily_port_calls.csv",
                "portcalls",
                port("port2027"),
            ),
        ),
        ("shanghai_calls", 1826), // 2019-01-01 ..= 2023-12-31, both ports every day
        (
            "scfi",
            count_cells("scfi_weekly.csv", "scfi_composite", released),
        ),
        (
            "scfi_uswc",
            count_cells("scfi_uswc_weekly.csv", "usd_per_feu", all),
        ),
        (
            "la_teu",
            count_cells("la_teu_monthly.csv", "total_teu", all),
        ),
        (
            "la_loaded_imports",
            count_cells("la_teu_monthly.csv", "loaded_imports_teu", all),
        ),
        (
            "long_beach_teu",
            count_cells("long_beach_teu_monthly.csv", "total_teu", all),
        ),
    ];
    for (id, n) in expected {
        assert_eq!(counts.get(id), Some(&n), "count of {id}");
    }
    // Hand-checked: 228 PMI months 2005-01..2023-12; LA has 104 rows, 3 without a total.
    assert_eq!(counts["pmi"], 228);
    assert_eq!(counts["la_teu"], 101);
    // SCFI: 361 rows, three of them holiday weeks carried forward (2014-10-02, 2015-02-19,
    // 2015-10-01).
    assert_eq!(counts["scfi"], 358);
    let pmi = rows.iter().find(|r| r[0] == "pmi").unwrap();
    assert_eq!(
        &pmi[1..],
        [
            "month",
            "index (50 = no change)",
            "2005-01",
            "2023-12",
            "228",
            "0"
        ]
    );
}

#[test]
fn monthly_vessel_calls_equal_an_independent_sum_of_the_daily_file() {
    // Independent sum: the daily file read line by line, port1188 + port2027 container calls.
    let text = fs::read_to_string(data_dir().join("portwatch_daily_port_calls.csv")).unwrap();
    let mut expected: BTreeMap<String, f64> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[1] == "port1188" || f[1] == "port2027" {
            *expected.entry(f[0][..7].to_string()).or_default() += f[3].parse::<f64>().unwrap();
        }
    }
    assert_eq!(expected.len(), 60);

    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "data",
        "show",
        "shanghai_calls",
        "--freq",
        "month",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        [
            "period",
            "value",
            "precision",
            "known_at",
            "source",
            "n",
            "complete"
        ]
    );
    let got: BTreeMap<String, f64> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].parse().unwrap()))
        .collect();
    assert_eq!(got, expected);
    assert!(
        rows.iter().all(|r| r[6] == "true"),
        "every month 2019-01..2023-12 is complete"
    );
    // A month's figure is known when its last day's is: 9 days after 2023-12-31.
    assert_eq!(rows.last().unwrap()[3], "2024-01-09T00:00:00Z");
}

#[test]
fn weeks_at_the_edges_are_marked_partial() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "data",
        "show",
        "shanghai_calls",
        "--freq",
        "week",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    // 2019-01-01 is a Tuesday: ISO week 2019-W01 started on Monday 2018-12-31, so it is partial.
    assert_eq!(rows[0][0], "2019-W01");
    assert_eq!((rows[0][5].as_str(), rows[0][6].as_str()), ("6", "false"));
    assert_eq!((rows[1][5].as_str(), rows[1][6].as_str()), ("7", "true"));
}

#[test]
fn as_of_hides_what_was_not_yet_known() {
    let store = tempfile::tempdir().unwrap();
    for (series, last) in [("pmi", "2023-05"), ("la_teu", "2023-04")] {
        let (code, out, err) = run(portcast(store.path()).args([
            "data",
            "show",
            series,
            "--as-of",
            "2023-06-15",
            "--format",
            "csv",
        ]));
        assert_eq!(code, 0, "{err}");
        let (_, rows) = csv_rows(&out);
        assert_eq!(rows.last().unwrap()[0], last, "{series}");
    }
    // The flag is global: accepted before the subcommand too.
    let (_, out, _) = run(portcast(store.path()).args([
        "--as-of",
        "2023-06-15",
        "--format",
        "csv",
        "data",
        "show",
        "pmi",
    ]));
    assert_eq!(csv_rows(&out).1.last().unwrap()[0], "2023-05");
}

#[test]
fn a_data_dir_with_more_months_is_used() {
    let data = copy_of_data();
    let pmi = data.path().join("pmi_nbs_monthly.csv");
    let mut text = fs::read_to_string(&pmi).unwrap();
    // NBS manufacturing PMI for January and February 2024 (published 2024-01-31 and 2024-02-29).
    text.push_str(
        "2024-01,49.2,50.7,NBS release 2024-01-31\n2024-02,49.1,51.4,NBS release 2024-02-29\n",
    );
    fs::write(&pmi, text).unwrap();
    let store = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "data",
        "show",
        "pmi",
        "--data-dir",
        dir,
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert_eq!(
        rows.last().unwrap()[..4],
        ["2024-02", "49.1", "exact", "2024-02-29T00:00:00Z"]
    );
    let (_, out, _) =
        run(portcast(store.path()).args(["data", "list", "--data-dir", dir, "--format", "csv"]));
    assert!(
        out.contains("pmi,month,index (50 = no change),2005-01,2024-02,230,0"),
        "{out}"
    );
}

/// Each broken file gets a clear error with file and line, exit code 3, and no panic.
#[test]
fn broken_files_get_clear_errors() {
    let pmi = "month,manufacturing_pmi,non_manufacturing_pmi,source\n";
    let cases: Vec<(&str, &str, Vec<u8>, &str, &str)> = vec![
        (
            "bad date",
            "pmi_nbs_monthly.csv",
            format!("{pmi}2023-01,50.1,,a\n2023-13,50.2,,a\n").into(),
            "3",
            "column `month`: `2023-13` is not a valid month",
        ),
        (
            "text in a number",
            "pmi_nbs_monthly.csv",
            format!("{pmi}2023-01,fifty,,a\n").into(),
            "2",
            "column `manufacturing_pmi`: `fifty` is not a number",
        ),
        (
            "duplicate month",
            "pmi_nbs_monthly.csv",
            format!("{pmi}2023-01,50.1,,a\n2023-01,50.1,,a\n").into(),
            "3",
            "duplicate period 2023-01 for `pmi` (first given on line 2)",
        ),
        (
            "missing column",
            "pmi_nbs_monthly.csv",
            b"month,non_manufacturing_pmi,source\n2023-01,50,a\n".to_vec(),
            "1",
            "missing column `manufacturing_pmi`",
        ),
        (
            "unknown column",
            "scfi_uswc_weekly.csv",
            b"date,usd_per_feu,source,note,extra\n".to_vec(),
            "1",
            "unknown column `extra`",
        ),
        (
            "empty file",
            "la_teu_annual.csv",
            Vec::new(),
            "",
            "the file is empty",
        ),
        (
            "truncated last line",
            "pmi_nbs_monthly.csv",
            format!("{pmi}2023-01,50.1,,a\n2023-02,52").into(),
            "3",
            "expected 4 fields, found 2 (the last line looks truncated)",
        ),
        (
            "negative count",
            "shanghai_teu_annual.csv",
            b"year,teu,source,note\n2004,-5,x,\n".to_vec(),
            "2",
            "column `teu`: a count cannot be negative",
        ),
        (
            "out of order",
            "scfi_weekly.csv",
            b"date,scfi_composite,source,note\n2020-01-10,1000,a,\n2020-01-03,990,a,\n".to_vec(),
            "3",
            "periods out of order: 2020-01-03 for `scfi` comes after 2020-01-10 (line 2)",
        ),
        (
            "not UTF-8",
            "scfi_weekly.csv",
            b"date,scfi_composite,source,note\n2020-01-10,1000,\xff,\n".to_vec(),
            "2", // the line, not only a byte offset (issue 14, defect 13)
            "not UTF-8 text",
        ),
    ];
    for (what, file, content, line, message) in cases {
        let data = copy_of_data();
        let path = data.path().join(file);
        fs::write(&path, content).unwrap();
        let store = tempfile::tempdir().unwrap();
        let dir = data.path().to_str().unwrap();
        let (code, out, err) = run(portcast(store.path()).args([
            "data",
            "check",
            "--format",
            "csv",
            "--data-dir",
            dir,
        ]));
        assert_eq!(code, 3, "{what}: exit code; stdout {out}; stderr {err}");
        let (header, rows) = csv_rows(&out);
        assert_eq!(header, ["file", "line", "problem"]);
        let path = path.display().to_string();
        assert!(
            rows.iter()
                .any(|r| r[0] == path && r[1] == line && r[2].starts_with(message)),
            "{what}: expected {path}:{line}: {message} in\n{out}"
        );
        // Any other command refuses the broken data with the same message and exit code 3.
        let (code, _, err) = run(portcast(store.path()).args(["data", "list", "--data-dir", dir]));
        assert_eq!(code, 3, "{what}: {err}");
        let located = if line.is_empty() {
            format!("{path}: {message}")
        } else {
            format!("{path}:{line}: {message}")
        };
        assert!(
            err.contains(&located),
            "{what}: expected `{located}` in {err}"
        );
    }
}

#[test]
fn spreadsheet_saved_files_are_read() {
    let data = copy_of_data();
    // What a spreadsheet writes: a byte-order mark, CRLF line ends, thousands separators in quotes.
    let original = fs::read_to_string(data.path().join("la_teu_annual.csv")).unwrap();
    let mut saved = String::from("\u{feff}");
    for (i, line) in original.lines().enumerate() {
        let line = if i > 0 && line.starts_with("2023,8634497,") {
            line.replacen("8634497", "\"8,634,497\"", 1)
        } else {
            line.to_string()
        };
        saved.push_str(&line);
        saved.push_str("\r\n");
    }
    fs::write(data.path().join("la_teu_annual.csv"), saved).unwrap();
    let store = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap();
    let (code, _, err) = run(portcast(store.path()).args(["data", "check", "--data-dir", dir]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(portcast(store.path()).args([
        "data",
        "show",
        "la_teu_annual",
        "--data-dir",
        dir,
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert_eq!(rows.last().unwrap()[..3], ["2023", "8634497", "exact"]);
    assert_eq!(rows.len(), 9);
}

#[test]
fn data_add_appends_and_refuses_malformed_entries() {
    let store = tempfile::tempdir().unwrap();
    // A real figure: Shanghai handled over 4.3 million TEU in October 2020 (4,203,000; SIPG) —
    // here entered for 2020-11 as a lower bound only to exercise the flags.
    let (code, _, err) = run(portcast(store.path()).args([
        "data",
        "add",
        "shanghai_teu",
        "2020-11",
        "4,000,000",
        "--precision",
        "lower-bound",
        "--source",
        "test entry",
        "--known-at",
        "2020-12-10",
    ]));
    assert_eq!(code, 0, "{err}");
    let file = store.path().join("observations.csv");
    let before = fs::read(&file).unwrap();

    for (args, message) in [
        (
            vec!["shanghai_teu", "2020-13", "1"],
            "period: `2020-13` is not a valid month",
        ),
        (vec!["shanghai_teu", "2020-12", "-1"], "cannot be negative"),
        (
            vec!["shanghai_teu", "2020-12", "4.3m"],
            "value: `4.3m` is not a number",
        ),
        (
            vec!["nonsense", "2020-12", "1"],
            "unknown series `nonsense`",
        ),
        (
            vec!["shanghai_calls", "2020-12-01", "1"],
            "computed from the PortWatch port series",
        ),
        (
            vec!["shanghai_teu", "2020-12", "1", "--known-at", "soon"],
            "`soon` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp",
        ),
        (
            vec!["shanghai_teu", "2020-12", "1", "--known-at", "2999-01-01"],
            "--known-at 2999-01-01T00:00:00+00:00 is in the future",
        ),
        (
            vec!["shanghai_teu", "2099-12", "1"],
            "the period 2099-12 is not over",
        ),
        (
            vec!["shanghai_teu", "2020-12", "1", "--source", "two\nlines"],
            "source: must be one line",
        ),
    ] {
        let (code, _, err) = run(portcast(store.path()).arg("data").arg("add").args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert_eq!(
            fs::read(&file).unwrap(),
            before,
            "{args:?} must leave the store untouched"
        );
    }

    let show = |as_of: &str| {
        let (code, out, err) = run(portcast(store.path()).args([
            "data",
            "show",
            "shanghai_teu",
            "--format",
            "csv",
            "--as-of",
            as_of,
        ]));
        assert_eq!(code, 0, "{err}");
        csv_rows(&out).1
    };
    assert_eq!(show("2020-12-09").last().unwrap()[0], "2020-10");
    let rows = show("2020-12-10");
    assert_eq!(
        rows.last().unwrap()[..5],
        [
            "2020-11",
            "4000000",
            "lower-bound",
            "2020-12-10T00:00:00Z",
            "test entry"
        ]
    );

    // The same figure again writes nothing; a changed one is a revision, kept beside the first.
    let (code, _, _) = run(portcast(store.path()).args([
        "data",
        "add",
        "shanghai_teu",
        "2020-11",
        "4000000",
        "--precision",
        "lower-bound",
        "--known-at",
        "2020-12-11",
    ]));
    assert_eq!(code, 0);
    assert_eq!(fs::read(&file).unwrap(), before);
    let (code, _, err) = run(portcast(store.path()).args([
        "data",
        "add",
        "shanghai_teu",
        "2020-11",
        "4,216,000",
        "--known-at",
        "2021-01-15",
    ]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("a revision"), "{err}");
    assert_eq!(show("2020-12-31").last().unwrap()[1], "4000000");
    assert_eq!(show("2021-01-15").last().unwrap()[1], "4216000");
}

#[test]
fn bad_usage_and_unknown_series_exit_2() {
    let store = tempfile::tempdir().unwrap();
    let (code, _, err) = run(portcast(store.path()).args(["data", "show", "nonsense"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown series `nonsense`"), "{err}");
    let (code, _, err) =
        run(portcast(store.path()).args(["data", "show", "pmi", "--freq", "week"]));
    assert_ne!(code, 0);
    assert!(err.contains("never disaggregates"), "{err}");
    let (code, _, err) =
        run(portcast(store.path()).args(["data", "show", "pmi", "--as-of", "yesterday"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("`yesterday` is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"),
        "{err}"
    );
}

#[test]
fn a_bad_config_is_reported_with_line_and_column() {
    let store = tempfile::tempdir().unwrap();
    let cfg = store.path().join("portcast.toml");
    fs::write(&cfg, "# my config\nstore_dri = \"x\"\n").unwrap();
    let (code, _, err) =
        run(portcast(store.path()).args(["data", "list", "--config", cfg.to_str().unwrap()]));
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("line 2, column 1") && err.contains("store_dri"),
        "{err}"
    );
}
