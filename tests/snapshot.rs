//! Snapshots of the outputs users act on, on the bundled data at fixed `--as-of` dates and seeds:
//! `forecast` quantiles for every target of `data/markets.example.toml`, `price` for the example
//! markets, `backtest` scores, `nowcast`, `lags --section summary` and `audit`. Each is one CLI
//! call (`--format csv`) compared with a committed file under `tests/snapshots/`, so a change to
//! any price, quantile or score shows in review with its diff.
//!
//! A snapshot file is the command line (first line, `#`) and then one value per line:
//! `<row key> | <column> = <value>`, so a diff names exactly the numbers that moved.
//!
//! After a deliberate change (a new model, a fix), re-accept every snapshot with
//!
//! ```text
//! PORTCAST_ACCEPT=1 cargo test --test tests snapshot
//! ```
//!
//! and review `git diff tests/snapshots/`. Without `PORTCAST_ACCEPT`, a mismatch fails and
//! writes the new output beside the snapshot as `<name>.txt.new` (ignored by git).
//!
//! Sizes are chosen to keep each call quick in a debug build (2,000 paths, short horizons and
//! windows); the numbers are the program's, not checked against anything but their own past.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::util::{csv_rows, data_dir, portcast, run};

/// The date of most snapshots: after the bundled data's last prints of most series.
const AS_OF: &str = "2024-01-10";
const SEED: &str = "1";
const PATHS: &str = "2000";

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn markets_file() -> String {
    data_dir()
        .join("markets.example.toml")
        .to_str()
        .unwrap()
        .to_string()
}

/// `true` when snapshots are to be (re)written rather than compared.
fn accepting() -> bool {
    std::env::var_os("PORTCAST_ACCEPT").is_some_and(|v| v == "1")
}

/// CSV text as one `key | column = value` line per cell: `key` joins the row's `key_columns`
/// (`#2`, `#3`, … appended when a key repeats), every other column is a line of its own.
pub fn long_form(csv: &str, key_columns: &[&str]) -> String {
    let (header, rows) = csv_rows(csv);
    let key_idx: Vec<usize> = key_columns
        .iter()
        .map(|k| {
            header
                .iter()
                .position(|h| h == k)
                .unwrap_or_else(|| panic!("no column `{k}` in {header:?}"))
        })
        .collect();
    let mut seen = std::collections::HashMap::<String, usize>::new();
    let mut out = String::new();
    for row in &rows {
        let mut key = key_idx
            .iter()
            .map(|&i| row[i].as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let count = seen.entry(key.clone()).or_default();
        *count += 1;
        if *count > 1 {
            write!(key, " #{count}").unwrap();
        }
        for (j, col) in header.iter().enumerate() {
            if !key_idx.contains(&j) {
                writeln!(out, "{key} | {col} = {}", row[j]).unwrap();
            }
        }
    }
    out
}

/// Run `portcast <args> --format csv` with a private, empty store and no config, turn its
/// output into long form keyed by `key_columns`, and compare it with `tests/snapshots/<name>.txt`
/// (or write it there when accepting).
fn check(name: &str, args: &[&str], key_columns: &[&str]) {
    let store = tempfile::tempdir().unwrap();
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["--format", "csv"]);
    let (code, out, err) = run(portcast(store.path()).args(&full));
    assert_eq!(code, 0, "portcast {}: {err}", full.join(" "));
    // The command line with the repository's path made relative, so the file is the same on
    // every machine.
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    let shown = args.join(" ").replace(&root, "");
    let text = format!("# portcast {shown}\n{}", long_form(&out, key_columns));
    let path = snapshot_dir().join(format!("{name}.txt"));
    let new = snapshot_dir().join(format!("{name}.txt.new"));
    if accepting() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, &text).unwrap();
        let _ = std::fs::remove_file(&new);
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; write it with `PORTCAST_ACCEPT=1 cargo test --test tests snapshot`",
            path.display()
        )
    });
    if want != text {
        std::fs::write(&new, &text).unwrap();
        let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), text.lines().collect());
        let mut diff = String::new();
        let mut shown_lines = 0;
        for i in 0..w.len().max(g.len()) {
            let (a, b) = (w.get(i).copied(), g.get(i).copied());
            if a != b && shown_lines < 40 {
                writeln!(diff, "- {}\n+ {}", a.unwrap_or("∅"), b.unwrap_or("∅")).unwrap();
                shown_lines += 1;
            }
        }
        panic!(
            "{name}: output differs from {} (new output in {}). If the change is deliberate, \
             re-accept with `PORTCAST_ACCEPT=1 cargo test --test tests snapshot`.\n{diff}",
            path.display(),
            new.display()
        );
    }
}

/// One forecast call: the quantiles (and mean, model, origin) of `series` for `horizon` periods.
fn forecast(name: &str, series: &str, freq: Option<&str>, horizon: &str) {
    let mut args = vec![
        "forecast",
        "--series",
        series,
        "--horizon",
        horizon,
        "--as-of",
        AS_OF,
        "--seed",
        SEED,
        "--paths",
        PATHS,
    ];
    if let Some(f) = freq {
        args.extend(["--freq", f]);
    }
    check(name, &args, &["series", "period"]);
}

// Every series a market of data/markets.example.toml settles on, on its market's grid.

#[test]
fn snapshot_forecast_shanghai_teu() {
    forecast("forecast_shanghai_teu", "shanghai_teu", None, "3");
}

#[test]
fn snapshot_forecast_la_teu() {
    forecast("forecast_la_teu", "la_teu", None, "3");
}

#[test]
fn snapshot_forecast_la_loaded_imports() {
    forecast("forecast_la_loaded_imports", "la_loaded_imports", None, "3");
}

#[test]
fn snapshot_forecast_shanghai_calls_month() {
    forecast("forecast_shanghai_calls_month", "shanghai_calls", None, "3");
}

#[test]
fn snapshot_forecast_shanghai_calls_week() {
    forecast(
        "forecast_shanghai_calls_week",
        "shanghai_calls",
        Some("week"),
        "4",
    );
}

#[test]
fn snapshot_forecast_scfi_week() {
    forecast("forecast_scfi_week", "scfi", Some("week"), "4");
}

#[test]
fn snapshot_price_example_markets() {
    let markets = markets_file();
    check(
        "price_example_markets",
        &[
            "price",
            "--markets",
            &markets,
            "--as-of",
            AS_OF,
            "--seed",
            SEED,
            "--paths",
            PATHS,
        ],
        &["market", "contract"],
    );
}

#[test]
fn snapshot_backtest_scores() {
    let markets = markets_file();
    check(
        "backtest_scores",
        &[
            "backtest",
            "--markets",
            &markets,
            "--as-of",
            AS_OF,
            "--from",
            "2023-06-30",
            "--to",
            "2023-11-30",
            "--market",
            "la-loaded-imports-scalar,trade-basket-above-2019,shanghai-calls-next-week",
            "--seed",
            SEED,
            "--paths",
            "500",
            "--section",
            "scores",
        ],
        &["market", "strategy"],
    );
}

#[test]
fn snapshot_nowcast() {
    check(
        "nowcast",
        &[
            "nowcast",
            "--as-of",
            "2024-06-30",
            "--seed",
            SEED,
            "--paths",
            PATHS,
        ],
        &["period", "kind"],
    );
}

#[test]
fn snapshot_lags_summary() {
    check(
        "lags_summary",
        &["lags", "--section", "summary", "--as-of", "2024-06-30"],
        &["pair"],
    );
}

#[test]
fn snapshot_audit() {
    check(
        "audit",
        &["audit", "--as-of", "2024-06-30"],
        &["claim", "claimed"],
    );
}
