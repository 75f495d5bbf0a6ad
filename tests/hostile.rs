//! Hostile input (issue 14): each defect found by trying portcast as a hostile user would, as a
//! regression test on the bundled data with a scratch store directory.

use std::fs;

use crate::util::{copy_of_data, csv_rows, data_dir, portcast, run};

/// `data show SERIES --as-of AS_OF` rows of the store in `store`.
fn show(store: &std::path::Path, series: &str, as_of: Option<&str>) -> Vec<Vec<String>> {
    let mut cmd = portcast(store);
    cmd.args(["data", "show", series, "--format", "csv"]);
    if let Some(a) = as_of {
        cmd.args(["--as-of", a]);
    }
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    csv_rows(&out).1
}

fn row_of<'a>(rows: &'a [Vec<String>], period: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == period)
        .unwrap_or_else(|| panic!("no row for {period}"))
}

/// Defect 1: the README's own example (a lower bound, then the exact figure) left a duplicate
/// (series, period, known_at) and bricked the store; a revision of a bundled figure was dated at
/// the first print's release, rewriting history.
#[test]
fn a_revision_through_data_add_never_bricks_the_store() {
    let store = tempfile::tempdir().unwrap();
    let add = |args: &[&str]| run(portcast(store.path()).args(["data", "add"]).args(args));
    let (code, _, err) = add(&["shanghai_teu", "2024-11", "4300000"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = add(&["shanghai_teu", "2024-11", "4310000"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("a revision"), "{err}");
    let (code, _, err) = run(portcast(store.path()).args(["data", "check"]));
    assert_eq!(code, 0, "{err}");
    // The first figure from its release, the revision from when it was entered.
    assert_eq!(
        row_of(
            &show(store.path(), "shanghai_teu", Some("2025-01-01")),
            "2024-11"
        )[1],
        "4300000"
    );
    assert_eq!(
        row_of(&show(store.path(), "shanghai_teu", None), "2024-11")[1],
        "4310000"
    );
    // A third figure the same second is still one more revision, not a duplicate.
    let (code, _, err) = add(&["shanghai_teu", "2024-11", "4320000"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(portcast(store.path()).args(["data", "check"]));
    assert_eq!(code, 0, "{err}");

    // A revision of a bundled first print is not back-dated to it.
    let (code, _, err) = add(&["la_teu", "2023-12", "700001"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        row_of(&show(store.path(), "la_teu", Some("2024-02-01")), "2023-12")[1],
        "747335"
    );
    assert_eq!(
        row_of(&show(store.path(), "la_teu", None), "2023-12")[1],
        "700001"
    );

    // An explicit --known-at at or before the figure it revises is refused, store untouched.
    let file = store.path().join("observations.csv");
    let before = fs::read(&file).unwrap();
    for known in ["2024-01-20", "2024-01-01"] {
        let (code, _, err) = add(&["la_teu", "2023-12", "700002", "--known-at", known]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("la_teu 2023-12") && err.contains("must be known after"),
            "{err}"
        );
        assert_eq!(fs::read(&file).unwrap(), before);
    }
}

/// Defect 1, second half: a store already holding such a duplicate (written by an older version)
/// loads, with a warning naming the line; `data add` works on it.
#[test]
fn a_store_with_a_duplicate_known_at_loads_with_a_warning() {
    let store = tempfile::tempdir().unwrap();
    fs::write(
        store.path().join("observations.csv"),
        "series,period,value,unit,precision,source,known_at\n\
         shanghai_teu,2024-11,4300000,TEU,exact,,2024-12-20T00:00:00Z\n\
         shanghai_teu,2024-11,4310000,TEU,exact,,2024-12-20T00:00:00Z\n",
    )
    .unwrap();
    let (code, _, err) = run(portcast(store.path()).args(["data", "check"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("observations.csv:3") && err.contains("repeats the known_at of line 2"),
        "{err}"
    );
    assert_eq!(
        row_of(&show(store.path(), "shanghai_teu", None), "2024-11")[1],
        "4310000"
    );
    let (code, _, err) =
        run(portcast(store.path()).args(["data", "add", "shanghai_teu", "2024-11", "4320000"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        row_of(&show(store.path(), "shanghai_teu", None), "2024-11")[1],
        "4320000"
    );
}

/// A markets file in `dir` with the given `[[market]]` entries.
fn markets_file(dir: &std::path::Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("markets.toml");
    fs::write(&path, body).unwrap();
    path
}

/// A market on a period the bundled data has published (LA, June 2023: 797,632 TEU... any
/// value): settled, not priced.
const SETTLED: &str = r#"
[[market]]
id = "la-jun-2023-over-800k"
question = "LA June 2023 above 800k?"
series = "la_teu"
target = "2023-06"
settlement = "POLA"
contract = { type = "binary", strike = "greater", k = 800_000 }
price = 0.5
"#;

/// Defect 2: documented limits on horizon, paths and their product; refused with exit 2 naming
/// the flag, or the file and key. A market that asks for too much fails alone.
#[test]
fn work_beyond_the_limits_is_refused_naming_the_flag_or_key() {
    let store = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (
            vec!["forecast", "--series", "la_teu", "--horizon", "1000000"],
            "--horizon 1000000",
        ),
        (
            vec!["forecast", "--series", "la_teu", "--horizon", "10000"],
            "--horizon 10000",
        ),
        (
            vec!["forecast", "--series", "la_teu", "--paths", "1000000000"],
            "--paths 1000000000",
        ),
        (
            vec![
                "forecast",
                "--series",
                "la_teu",
                "--paths",
                "100000",
                "--horizon",
                "500",
            ],
            "--paths 100000 --horizon 500",
        ),
        (vec!["price", "--paths", "1000000000"], "--paths 1000000000"),
        (
            vec!["nowcast", "--paths", "1000000000"],
            "--paths 1000000000",
        ),
        (
            vec!["run", "--offline", "--horizon", "1000000"],
            "--horizon 1000000",
        ),
        (
            vec!["run", "--offline", "--backtest-paths", "1000000000"],
            "--backtest-paths 1000000000",
        ),
        // A threshold sweep keeps every binary step's samples: 6 binary markets × 1,095 days
        // × 3 × 100,000 paths.
        (
            vec![
                "backtest",
                "--step",
                "day",
                "--from",
                "2021-01-01",
                "--to",
                "2023-12-31",
                "--sweep",
                "threshold=0.9..1.1:0.02",
                "--paths",
                "100000",
            ],
            "up to 1971000000 values over 2021-01-01 .. 2023-12-31 with --paths 100000",
        ),
        // 34 years of daily steps of the 9 example markets.
        (
            vec![
                "backtest",
                "--step",
                "day",
                "--from",
                "1990-01-01",
                "--to",
                "2023-12-31",
            ],
            "111762 steps (9 market(s) over 1990-01-01 .. 2023-12-31 by day)",
        ),
        // A sweep's table: 100,001 × 11 variants on 9 markets (11 market-strategy pairs).
        (
            vec![
                "backtest",
                "--sweep",
                "kelly=0..1:0.00001",
                "--sweep",
                "min_edge=0..0.1:0.01",
            ],
            "--sweep: 1100011 variant(s) on 9 market(s) make 12100121 rows",
        ),
    ] {
        let (code, _, err) = run(portcast(store.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains(flag) && err.contains("limit"),
            "{args:?}: {err}"
        );
    }

    // `horizon = 10000` in a markets file: the file, the line and the key.
    let path = markets_file(
        store.path(),
        r#"
[[market]]
id = "far"
question = "?"
series = "la_teu"
horizon = 10000
settlement = "POLA"
contract = { type = "binary", strike = "greater", k = 900_000 }
"#,
    );
    let (code, _, err) = run(portcast(store.path())
        .args(["price", "--markets"])
        .arg(&path));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("markets.toml")
            && err.contains("line 2")
            && err.contains("`horizon = 10000` is over the limit"),
        "{err}"
    );

    // `target = "9999-12"`: that market fails alone (exit 2, naming file line and key); the
    // settled one beside it is still reported.
    let path = markets_file(
        store.path(),
        &format!(
            r#"
[[market]]
id = "year-9999"
question = "?"
series = "la_teu"
target = "9999-12"
settlement = "POLA"
contract = {{ type = "binary", strike = "greater", k = 900_000 }}
{SETTLED}"#
        ),
    );
    let (code, out, err) = run(portcast(store.path())
        .args(["price", "--format", "csv", "--markets"])
        .arg(&path));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("markets.toml: market `year-9999` (markets file line 2): `target`: 9999-12")
            && err.contains("at most 520"),
        "{err}"
    );
    assert!(out.contains("la-jun-2023-over-800k"), "{out}");

    // A ship date in 9999: the shipment file and its key.
    let shipment = store.path().join("shipment.toml");
    let text = fs::read_to_string(data_dir().join("shipment.example.toml"))
        .unwrap()
        .replace("ship_date = 2021-02-05", "ship_date = 9999-12-31");
    fs::write(&shipment, text).unwrap();
    let (code, _, err) = run(portcast(store.path())
        .args(["landed-cost", "--as-of", "2020-12-31", "--shipment"])
        .arg(&shipment));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shipment.toml") && err.contains("ship_date") && err.contains("at most 520"),
        "{err}"
    );
}

/// Defect 10: a market whose target is published is reported as settled (its figure and
/// payout), not as a failure that fails every cron run.
#[test]
fn a_settled_market_is_reported_as_settled() {
    let store = tempfile::tempdir().unwrap();
    let path = markets_file(store.path(), SETTLED);
    let (code, out, err) = run(portcast(store.path())
        .args(["price", "--format", "csv", "--markets"])
        .arg(&path));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("ERROR"), "{err}");
    let (header, rows) = csv_rows(&out);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(rows[0][1].contains("settled at"), "{out}");
    let payout = &rows[0][col("fair_per_payout")];
    assert!(payout == "0" || payout == "1", "payout: {out}");
    assert_eq!(rows[0][col("status")], "settled", "{out}");
    assert!(err.contains("settled"), "{err}");
}

/// Defect 6: a basket whose component has a gap before its last figure (LA 2024-02 entered,
/// 2024-01 missing) prices on the next period every component knows or forecasts.
#[test]
fn a_basket_prices_across_a_component_gap() {
    let store = tempfile::tempdir().unwrap();
    let (code, _, err) =
        run(portcast(store.path()).args(["data", "add", "la_teu", "2024-02", "750000"]));
    assert_eq!(code, 0, "{err}");
    let path = markets_file(
        store.path(),
        r#"
[[market]]
id = "trade-basket-above-2019"
question = "?"
freq = "month"
horizon = 1
settlement = "PortWatch and POLA"
contract = { type = "basket", payout = { type = "binary", strike = "greater", k = 1.0 }, components = [
  { series = "shanghai_calls", weight = 0.5, baseline_value = 1_298.4 },
  { series = "la_teu", weight = 0.5, baseline_value = 778_136 },
] }
price = 0.55
"#,
    );
    let (code, out, err) = run(portcast(store.path())
        .args([
            "price",
            "--as-of",
            "2025-06-01",
            "--paths",
            "2000",
            "--format",
            "csv",
            "--markets",
        ])
        .arg(&path));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("do not reach"), "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    let col = header.iter().position(|h| h == "fair_per_payout").unwrap();
    let fair: f64 = rows[0][col].parse().unwrap();
    assert!((0.0..=1.0).contains(&fair), "{out}");
}

/// Defect 11: implausible figures are refused by `data add` (exit 2, store untouched) and by
/// `data check` (exit 3, file and line), before anything downstream fails on them.
#[test]
fn implausible_figures_are_refused_with_file_and_line() {
    let store = tempfile::tempdir().unwrap();
    for args in [
        ["pmi", "2024-01", "-5"],
        ["pmi", "2024-01", "1e12"],
        ["scfi", "2024-01-05", "-1035"],
        ["portwatch.port1188.portcalls", "2024-01-05", "1e26"],
        ["shanghai_teu", "0001-01", "4000000"],
    ] {
        let (code, _, err) = run(portcast(store.path()).args(["data", "add"]).args(args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("not plausible"), "{args:?}: {err}");
        assert!(!store.path().join("observations.csv").exists());
    }
    let data = copy_of_data();
    let pmi = data.path().join("pmi_nbs_monthly.csv");
    let text = fs::read_to_string(&pmi).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Line 3: the manufacturing PMI column (the second) set to 1e12.
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[1] = "1e12".into();
    lines[2] = cells.join(",");
    fs::write(&pmi, lines.join("\n") + "\n").unwrap();
    let (code, out, err) = run(portcast(store.path())
        .args(["data", "check", "--format", "csv", "--data-dir"])
        .arg(data.path()));
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("pmi_nbs_monthly.csv,3,") && out.contains("not plausible"),
        "{out}"
    );
}

/// Defect 5: a cut inside the last field (`…,17,20` → `…,17,2`) and a typo in a port id are
/// reported, not read as data.
#[test]
fn a_cut_last_line_and_a_mistyped_port_id_are_reported() {
    let store = tempfile::tempdir().unwrap();
    let data = copy_of_data();
    let file = data.path().join("portwatch_daily_port_calls.csv");
    let original = fs::read(&file).unwrap();
    let n_lines = original.iter().filter(|b| **b == b'\n').count();
    fs::write(&file, &original[..original.len() - 2]).unwrap(); // the `0` and the line end
    let check = || {
        run(portcast(store.path())
            .args(["data", "check", "--format", "csv", "--data-dir"])
            .arg(data.path()))
    };
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains(&format!("portwatch_daily_port_calls.csv,{n_lines},"))
            && out.contains("truncated"),
        "{out}"
    );
    let text = String::from_utf8(original).unwrap();
    let typo = text.replacen("2019-01-02,port1188,", "2019-01-02,p2rt1188,", 1);
    fs::write(&file, typo).unwrap();
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("p2rt1188") && out.contains("not a PortWatch port id"),
        "{out}"
    );
    let typo = text.replacen("2019-01-02,port1188,", "2019-01-02,port1189,", 1);
    fs::write(&file, typo).unwrap();
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("port1189") && out.contains("typo"), "{out}");
}

/// Defect 7: CSV into a pipe closed early exits 0, like the table and JSON formats.
#[test]
fn csv_into_a_closed_pipe_exits_0() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let store = tempfile::tempdir().unwrap();
    let bin = assert_cmd::cargo::cargo_bin("portcast");
    for format in ["csv", "table", "json"] {
        let mut child = Command::new(&bin)
            .args(["--format", format, "data", "show", "shanghai_calls"])
            .env_remove("PORTCAST_DATA_DIR")
            .env_remove("PORTCAST_CONFIG")
            .env("PORTCAST_STORE_DIR", store.path())
            .env("HOME", store.path())
            .env("XDG_CONFIG_HOME", store.path().join("config"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is gone (like `| head -1`).
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Defect 9: temporary copies of the store left by a killed writer are removed by the next
/// writer (under the lock); files that are not ours stay.
#[test]
fn a_killed_writers_temporary_copies_are_cleaned() {
    let store = tempfile::tempdir().unwrap();
    let header = "series,period,value,unit,precision,source,known_at\n";
    fs::write(store.path().join(".portcast-write-Ab12Cd"), header).unwrap();
    fs::write(store.path().join(".tmpAb12Cd"), header).unwrap(); // an older version's name
    fs::write(store.path().join(".tmpnotour"), "my own notes\n").unwrap();
    let (code, _, err) = run(portcast(store.path()).args([
        "data",
        "add",
        "pmi",
        "2024-01",
        "49.2",
        "--known-at",
        "2024-02-01",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> = fs::read_dir(store.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names, [".tmpnotour"]);
}

/// Defect 12: a data file that is a device or over the size cap is refused, never read until
/// memory runs out.
#[test]
fn device_and_oversized_data_files_are_refused() {
    let store = tempfile::tempdir().unwrap();
    let data = copy_of_data();
    let file = data.path().join("scfi_weekly.csv");
    fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &file).unwrap();
    let check = || {
        run(portcast(store.path())
            .args(["data", "check", "--format", "csv", "--data-dir"])
            .arg(data.path()))
    };
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("scfi_weekly.csv") && out.contains("not a regular file"),
        "{out}"
    );
    fs::remove_file(&file).unwrap();
    let f = fs::File::create(&file).unwrap();
    f.set_len(200 * 1024 * 1024).unwrap(); // sparse: no disk used
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("scfi_weekly.csv") && out.contains("larger than the limit"),
        "{out}"
    );
    // The store's own file, too.
    fs::remove_file(&file).unwrap();
    fs::copy(data_dir().join("scfi_weekly.csv"), &file).unwrap();
    std::os::unix::fs::symlink("/dev/zero", store.path().join("observations.csv")).unwrap();
    let (code, out, _) = check();
    assert_eq!(code, 3);
    assert!(
        out.contains("observations.csv") && out.contains("not a regular file"),
        "{out}"
    );
}

/// Defect 13: a config `data_dir` error names the key and exits 4; a missing `markets_file` is
/// reported once; a non-UTF-8 data file names the line; a whitespace-only line is reported.
#[test]
fn smaller_input_errors_name_the_key_line_once() {
    let store = tempfile::tempdir().unwrap();
    let cfg = store.path().join("portcast.toml");
    fs::write(&cfg, "data_dir = \"/nonexistent/portcast-data\"\n").unwrap();
    let (code, _, err) = run(portcast(store.path())
        .args(["data", "list", "--config"])
        .arg(&cfg));
    assert_eq!(code, 4, "{err}");
    assert!(
        err.contains("data_dir") && !err.contains("--data-dir"),
        "{err}"
    );

    fs::write(&cfg, "markets_file = \"/nonexistent/markets.toml\"\n").unwrap();
    let (code, _, err) = run(portcast(store.path()).args(["price", "--config"]).arg(&cfg));
    assert_ne!(code, 0);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");

    let data = copy_of_data();
    let la = data.path().join("la_teu_annual.csv");
    let mut bytes = fs::read(&la).unwrap();
    let third_line = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(1)
        .unwrap()
        .0
        + 1;
    bytes.insert(third_line, 0xff);
    fs::write(&la, &bytes).unwrap();
    let check = || {
        run(portcast(store.path())
            .args(["data", "check", "--format", "csv", "--data-dir"])
            .arg(data.path()))
    };
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("la_teu_annual.csv,3,not UTF-8"), "{out}");

    fs::copy(data_dir().join("la_teu_annual.csv"), &la).unwrap();
    let text = fs::read_to_string(&la).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(2, "   ");
    fs::write(&la, lines.join("\n") + "\n").unwrap();
    let (code, out, err) = check();
    assert_eq!(code, 3, "{err}");
    assert!(
        out.contains("la_teu_annual.csv,3,") && out.contains("only whitespace"),
        "{out}"
    );
}

/// Defects 4, 2 and 10 inside `run`: ids that collide as file names get distinct files, a
/// formula-leading id is neutralised in `markets.csv`, a market beyond the limits fails alone
/// (the report is still written), and a settled market is no problem.
#[test]
fn run_keeps_colliding_markets_apart_and_fails_one_market_alone() {
    let store = tempfile::tempdir().unwrap();
    let market = |id: &str| {
        format!(
            r#"
[[market]]
id = "{id}"
question = "LA December 2024 above 900k?"
series = "la_teu"
target = "2024-12"
settlement = "POLA"
contract = {{ type = "binary", strike = "greater", k = 900_000 }}
"#
        )
    };
    let body = [
        market("la/dec"),
        market("la_dec"),
        market("=1+2"),
        market("year-9999").replace("2024-12", "9999-12"),
        SETTLED.to_string(),
    ]
    .concat();
    let path = markets_file(store.path(), &body);
    let out_dir = store.path().join("reports");
    let (code, _, err) = run(portcast(store.path())
        .args([
            "run",
            "--offline",
            "--as-of",
            "2024-06-30",
            "--paths",
            "1000",
            "--backtest-paths",
            "200",
            "--backtest-steps",
            "1",
            "--markets",
        ])
        .arg(&path)
        .arg("--out")
        .arg(&out_dir));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("year-9999") && err.contains("at most 520"),
        "{err}"
    );
    let report = out_dir.join("2024-06-30");
    assert!(report.join("index.html").is_file());
    let charts: Vec<String> = [
        "market_la_dec.png",
        "market_la_dec-2.png",
        "market__1_2.png",
    ]
    .iter()
    .filter(|f| !report.join(f).is_file())
    .map(|f| f.to_string())
    .collect();
    assert!(charts.is_empty(), "missing {charts:?}");
    let markets_csv = fs::read_to_string(report.join("markets.csv")).unwrap();
    assert!(markets_csv.contains("\n'=1+2,"), "{markets_csv}");
    assert!(!markets_csv.contains("\n=1+2"), "{markets_csv}");
    assert!(
        markets_csv.contains("la-jun-2023-over-800k"),
        "{markets_csv}"
    );
    assert!(!err.contains("la-jun-2023-over-800k` not priced"), "{err}");
}
