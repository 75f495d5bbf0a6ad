//! `portcast run` end to end: a complete report on the bundled data, the lock against an
//! overlapping run, a run killed midway, a run whose every source is unreachable, and what a run
//! says when the data are stale.
//!
//! Runs are made cheap (one market, few sample paths, one backtest step) so the suite stays
//! quick in debug builds; the full-size run is what CI and the README run.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::util::{portcast, run};

const ONE_MARKET: &str = r#"
[[market]]
id = "la-next-over-800k"
question = "Port of Los Angeles above 800,000 TEU in the next reported month?"
series = "la_teu"
horizon = 1
settlement = "Port of Los Angeles container statistics, first print"
contract = { type = "binary", strike = "greater", k = 800000 }
price = 0.40
"#;

/// Arguments of a cheap run writing into `out`.
fn cheap(dir: &Path, out: &Path) -> Vec<String> {
    let markets = dir.join("markets.toml");
    fs::write(&markets, ONE_MARKET).unwrap();
    [
        "run",
        "--out",
        out.to_str().unwrap(),
        "--markets",
        markets.to_str().unwrap(),
        "--paths",
        "200",
        "--backtest-steps",
        "1",
        "--backtest-paths",
        "200",
        "--horizon",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn an_offline_run_writes_a_complete_report_and_a_second_run_waits_for_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, out) = (tmp.path().join("store"), tmp.path().join("reports"));
    let mut args = cheap(tmp.path(), &out);
    args.push("--offline".into());
    args.extend(["--as-of".into(), "2024-03-15".into()]);
    let (code, stdout, err) = run(portcast(&store).args(&args));
    // Every bundled source is behind by mid-March 2024 (the snapshot ends in January): exit 6.
    assert_eq!(code, 6, "{err}");
    let report = out.join("2024-03-15");
    assert_eq!(
        stdout.trim(),
        report.join("index.html").display().to_string()
    );
    assert_eq!(
        fs::read_link(out.join("latest"))
            .unwrap()
            .file_name()
            .unwrap(),
        "2024-03-15"
    );
    let html = fs::read_to_string(report.join("index.html")).unwrap();
    // Every image and CSV the page names exists, and the PNGs are PNGs.
    let mut pngs = 0;
    for part in html
        .split("src=\"")
        .skip(1)
        .chain(html.split("href=\"").skip(1))
    {
        let name = part.split('"').next().unwrap();
        if name.starts_with('#') || name.starts_with("data:") {
            continue;
        }
        let path = report.join(name.replace("%20", " "));
        assert!(path.exists(), "{name} is named in index.html but missing");
        if name.ends_with(".png") {
            assert_eq!(
                &fs::read(&path).unwrap()[..8],
                b"\x89PNG\r\n\x1a\n",
                "{name}"
            );
            pngs += 1;
        }
    }
    assert!(pngs >= 8, "only {pngs} images");
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(report.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["as_of"], "2024-03-15");
    assert_eq!(summary["schema_version"], 1);
    assert_eq!(summary["portcast_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(summary["seed"], 1);
    assert_eq!(summary["sample_paths"], 200);
    assert_eq!(summary["paths"]["report_dir"], report.display().to_string());
    assert_eq!(summary["markets"][0]["market"], "la-next-over-800k");
    assert!(
        summary["markets"][0]["fair_per_payout"]
            .as_f64()
            .is_some_and(|f| (0.0..=1.0).contains(&f))
    );
    // LA's January 2024 figure was due on 2024-02-20: the market awaits it, untraded.
    assert_eq!(summary["markets"][0]["status"], "awaiting");
    assert_eq!(summary["markets"][0]["awaiting"]["due"], "2024-02-20");
    assert!(summary["markets"][0]["side"].is_null());
    assert_eq!(summary["status"], "stale");
    assert_eq!(summary["exit_code"], 6);

    // A second run while the lock is held exits at once with 75 and a one-line message.
    // (The lock is `try_lock`: a run that waited for it would never return while the test holds
    // it, so finishing at all is the check that it does not wait — no clock needed.)
    let lock = portcast::fsutil::RunLock::acquire(&store).unwrap();
    let (code, _, err) = run(portcast(&store).args(&args));
    assert_eq!(code, 75, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    drop(lock);
}

#[test]
fn a_killed_run_leaves_latest_on_the_previous_report_and_the_store_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, out) = (tmp.path().join("store"), tmp.path().join("reports"));
    // A store with one hand-entered figure, to check it survives byte for byte.
    let (code, _, err) = run(portcast(&store).args([
        "data",
        "add",
        "shanghai_teu",
        "2023-12",
        "4,000,000",
        "--precision",
        "lower-bound",
    ]));
    assert_eq!(code, 0, "{err}");
    let store_file = store.join("observations.csv");
    let before = fs::read(&store_file).unwrap();
    let mut args = cheap(tmp.path(), &out);
    args.push("--offline".into());
    let mut first = args.clone();
    first.extend(["--as-of".into(), "2024-02-10".into()]);
    let (code, _, err) = run(portcast(&store).args(&first));
    assert_eq!(code, 6, "{err}"); // stale bundled sources, but a complete report

    let mut second = args;
    second.extend(["--as-of".into(), "2024-02-20".into()]);
    // The child says when its report is complete in the temporary directory and waits there
    // (PORTCAST_TEST_HOLD_BEFORE_PUBLISH): it is killed exactly while writing, never after.
    let flag = tmp.path().join("writing.flag");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("portcast"));
    crate::util::clear_env(&mut child);
    let mut child = child
        .args(&second)
        .env("PORTCAST_STORE_DIR", &store)
        .env("HOME", tmp.path())
        .env("XDG_CONFIG_HOME", tmp.path().join("config"))
        .env("PORTCAST_TEST_HOLD_BEFORE_PUBLISH", &flag)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while !flag.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it was writing its report");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let writing = fs::read_dir(&out).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with(".portcast-tmp-")
    });
    assert!(writing, "no temporary report directory while writing");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(
        fs::read_link(out.join("latest"))
            .unwrap()
            .file_name()
            .unwrap(),
        "2024-02-10"
    );
    assert!(
        !out.join("2024-02-20").exists(),
        "a half-written report was published"
    );
    assert!(out.join("2024-02-10/index.html").exists());
    assert_eq!(fs::read(&store_file).unwrap(), before, "the store changed");
}

#[test]
fn unreachable_sources_give_a_degraded_run_on_stored_data() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, out) = (tmp.path().join("store"), tmp.path().join("reports"));
    let config = tmp.path().join("portcast.toml");
    fs::write(
        &config,
        "[sources]\nretries = 0\nconnect_timeout_secs = 1\ntimeout_secs = 2\n",
    )
    .unwrap();
    let mut args = cheap(tmp.path(), &out);
    args.extend([
        "--as-of".into(),
        "2024-03-15".into(),
        "--config".into(),
        config.to_str().unwrap().into(),
    ]);
    let closed = "http://127.0.0.1:9";
    let (code, _, err) = run(portcast(&store)
        .args(&args)
        .env("PORTCAST_PORTWATCH_URL", closed)
        .env("PORTCAST_DBNOMICS_URL", closed)
        .env("PORTCAST_NBS_URL", closed)
        .env("PORTCAST_SCFI_URL", closed)
        .env("PORTCAST_POLA_URL", closed));
    assert_eq!(code, 5, "{err}");
    let html = fs::read_to_string(out.join("latest/index.html")).unwrap();
    assert!(
        html.contains("Degraded"),
        "the page does not say the run was degraded"
    );
    for source in ["IMF PortWatch", "SCFI", "Port of Los Angeles", "PMI"] {
        let row = html
            .split("<tr")
            .find(|r| r.contains(source))
            .unwrap_or_else(|| panic!("no row for {source}"));
        assert!(
            row.contains("failed"),
            "{source} is not shown as failed: {row}"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("latest/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["status"], "degraded");
}

/// As of the snapshot's own date (its last figure, LA's December 2023, became known on
/// 2024-01-20) PortWatch, PMI, LA and official Shanghai TEU (its 2023 total, known that day,
/// covers December 2023) are current and the bundled SCFI (ends 2020-12-31) is not: the page
/// opens with exactly that source, the summary (on stdout with `--format json`) names it with
/// its age, and the run exits 6. Today, years later, every source is stale.
#[test]
fn stale_sources_come_first_on_the_page_in_the_summary_and_in_the_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, out) = (tmp.path().join("store"), tmp.path().join("reports"));
    let mut args = cheap(tmp.path(), &out);
    args.extend(["--offline", "--as-of", "2024-01-20", "--format", "json"].map(String::from));
    let (code, stdout, err) = run(portcast(&store).args(&args));
    assert_eq!(code, 6, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("summary on stdout");
    let on_disk: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("2024-01-20/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary, on_disk);
    assert_eq!(summary["status"], "stale");
    let stale: Vec<&str> = summary["freshness"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["stale"] == true)
        .map(|f| f["source"].as_str().unwrap())
        .collect();
    assert_eq!(stale, ["scfi"]);
    let shanghai = &summary["freshness"][4];
    assert_eq!(shanghai["state"], "fresh");
    assert_eq!(shanghai["latest_period"], "2023");
    assert_eq!(shanghai["latest_series"], "shanghai_teu_annual");
    let scfi = &summary["freshness"][2];
    assert_eq!(scfi["latest_period"], "2020-12-31");
    assert_eq!(scfi["remedy"], "portcast fetch");
    assert!(scfi["age_days"].as_i64().unwrap() > 1000);
    // The LA market targets January 2024, not yet due: live, with a side.
    assert_eq!(summary["markets"][0]["status"], "live");
    assert!(summary["markets"][0]["side"].is_string());

    let html = fs::read_to_string(out.join("2024-01-20/index.html")).unwrap();
    let block = html.find("id=\"stale\"").expect("a stale-data block");
    assert!(
        block < html.find("id=\"status\"").unwrap(),
        "not the first block"
    );
    assert!(html.contains("Run status: Stale data"));
    let first = &html[block..html[block..].find("</section>").unwrap() + block];
    assert!(first.contains("SCFI composite"), "{first}");
    assert!(first.contains("2020-12-31"), "{first}");
    assert!(first.contains("years old"), "{first}");
    assert!(first.contains("portcast fetch"), "{first}");
    assert!(!first.contains("PortWatch"), "{first}");
    assert!(err.contains("stale data: "), "{err}");

    // Today (no --as-of), every source is stale and says how old it is.
    let (code, stdout, err) = run(portcast(&store).args(cheap(tmp.path(), &out)).args([
        "--offline",
        "--quiet",
        "--format",
        "json",
    ]));
    assert_eq!(code, 6, "{err}");
    let summary: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["as_of_given"], false);
    for f in summary["freshness"].as_array().unwrap() {
        assert_eq!(f["stale"], true, "{f}");
        assert!(f["message"].as_str().unwrap().contains(" old"), "{f}");
    }
}

/// A cron run on current data says nothing and exits 0. The bundled SCFI ends in 2020, so the
/// store gets one **synthetic** SCFI print (2024-01-19, marked as such in its source) to make
/// every source current as of 2024-01-20.
#[test]
fn a_quiet_run_on_current_data_prints_nothing_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let (store, out) = (tmp.path().join("store"), tmp.path().join("reports"));
    let (code, _, err) = run(portcast(&store).args([
        "data",
        "add",
        "scfi",
        "2024-01-19",
        "1800",
        "--source",
        "synthetic test figure",
    ]));
    assert_eq!(code, 0, "{err}");
    let mut args = cheap(tmp.path(), &out);
    args.extend(["--offline", "--quiet", "--as-of", "2024-01-20"].map(String::from));
    let (code, stdout, err) = run(portcast(&store).args(&args));
    assert_eq!((code, stdout.as_str(), err.as_str()), (0, "", ""));
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("2024-01-20/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["status"], "ok");
    assert_eq!(summary["stale"], false);
}
