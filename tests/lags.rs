//! `portcast lags` and `portcast audit` end to end: CCF values on the bundled data against an
//! independent pandas/statsmodels computation, the sections and formats, `--as-of`, the config's
//! `[lags]` table, thin pairs reported plainly, and the audit on the bundled data and on a data
//! directory with more (synthetic, labelled) history, its verdicts checked against its numbers.

use std::fs;
use std::io::Write;
use std::path::Path;

use chrono::Datelike;

use crate::util::{copy_of_data, csv_rows, data_dir, portcast, run};

/// The as-of date of every test here: after the last bundled figure, so results do not move.
const AS_OF: &str = "2024-06-30";

/// Golden values: `python3 lags_golden.py` run in the repository root with numpy 2.4.6,
/// pandas 3.1.1, scipy 1.17.1 and statsmodels 0.15.0. It reads the bundled CSV files directly
/// (no portcast code), builds the same transforms and prints (1) the pre-whitened CCF of
/// `pmi:shanghai_calls` by month on year-on-year log growth and (2) the raw CCF of
/// `shanghai_calls:scfi` by ISO week on year-on-year log growth, with its Bartlett band.
/// The script:
/// ```python
/// import numpy as np, pandas as pd
/// from scipy.stats import norm
/// from statsmodels.tsa.ar_model import AutoReg, ar_select_order
/// D = "data/"
/// # Shanghai container calls: port1188 + port2027 per day (days with both), summed by month / ISO week
/// # over complete periods only (every day present).
/// pw = pd.read_csv(D + "portwatch_daily_port_calls.csv", parse_dates=["date"])
/// pw = pw[pw.portid.isin(["port1188", "port2027"])].pivot(index="date", columns="portid", values="portcalls_container").dropna()
/// calls = pw.sum(axis=1)
/// def by_month(s):
///     g = s.groupby(s.index.to_period("M"))
///     full = g.count() == g.apply(lambda v: v.index[0].days_in_month)
///     return g.sum()[full]
/// def by_week(s):
///     g = s.groupby(s.index.to_period("W-SUN"))  # Monday..Sunday: ISO weeks
///     return g.sum()[g.count() == 7]
/// def yoy(s, k):
///     full = pd.period_range(s.index.min(), s.index.max(), freq=s.index.freq)
///     s = np.log(s.reindex(full))
///     return s - s.shift(k)
/// pmi = pd.read_csv(D + "pmi_nbs_monthly.csv").set_index("month")["manufacturing_pmi"]
/// pmi.index = pd.PeriodIndex(pmi.index, freq="M")
/// def aligned(x, y):
///     # union grid, trimmed to where either side has a value
///     idx = pd.period_range(min(x.dropna().index.min(), y.dropna().index.min()), max(x.dropna().index.max(), y.dropna().index.max()), freq=x.index.freq)
///     return x.reindex(idx), y.reindex(idx)
/// z = norm.ppf(0.975)
/// # (1) pmi:shanghai_calls, monthly yoy, pre-whitened (AR order by AIC, max 12 = min(10 log10 216, 216/4, 12))
/// x, y = aligned(yoy(pmi, 12), yoy(by_month(calls), 12))
/// xv = x.to_numpy()
/// assert not np.isnan(xv).any() and len(xv) == 216
/// sel = ar_select_order(xv, maxlag=12, ic="aic", trend="c")
/// p = len(sel.ar_lags or []); print("p =", p)
/// res = AutoReg(xv, lags=p, trend="c").fit(); c, phi = res.params[0], res.params[1:]
/// def filt(s):
///     s = s.to_numpy()
///     return pd.Series([s[t] - c - sum(phi[i] * s[t-1-i] for i in range(p)) for t in range(p, len(s))])
/// fx, fy = filt(x), filt(y)
/// for k in range(-12, 13):
///     ys = fy.shift(-k); m = int((fx.notna() & ys.notna()).sum())
///     print(f"({k}, {fx.corr(ys)!r}, {m}),")
/// # (2) shanghai_calls:scfi, weekly yoy (52 ISO weeks), raw CCF with Bartlett band
/// scfi = pd.read_csv(D + "scfi_weekly.csv", parse_dates=["date"])
/// # rows whose note says the value was carried forward over a holiday are no release (portcast's loader)
/// scfi = scfi[~scfi.note.fillna("").str.contains("carried forward")].set_index("date")["scfi_composite"]
/// scfi_w = scfi.groupby(scfi.index.to_period("W-SUN")).mean()
/// x, y = aligned(yoy(by_week(calls), 52), yoy(scfi_w, 52))
/// def acf(s, m):
///     d = s - s.mean()
///     return [(d * d.shift(-j)).sum() / (d * d).sum() for j in range(1, m + 1)]
/// nmin = min(x.notna().sum(), y.notna().sum())
/// m = min(int(np.floor(10 * np.log10(nmin))), nmin // 4)
/// F = max(1.0, 1 + 2 * np.dot(acf(x, m), acf(y, m)))
/// print("m =", m, "F =", repr(F))
/// for k in range(-12, 13):
///     ys = y.shift(-k); n = int((x.notna() & ys.notna()).sum())
///     print(f"({k}, {x.corr(ys)!r}, {n}, {z * np.sqrt(F / n)!r}),")
/// ```
/// Output (1), `(lag, r, n)`; the AR order chosen is 12:
const GOLDEN_PMI_CALLS: [(i64, f64, usize); 25] = [
    (-12, 0.2272199840633707, 24),
    (-11, -0.3626980574847811, 25),
    (-10, -0.17947941713628893, 26),
    (-9, -0.009274570638685566, 27),
    (-8, 0.14124791635090925, 28),
    (-7, 0.0954941971470384, 29),
    (-6, 0.3197540422795958, 30),
    (-5, -0.20750240294857406, 31),
    (-4, -0.09645478660358656, 32),
    (-3, -0.2132728440458737, 33),
    (-2, -0.07789211667127753, 34),
    (-1, -0.1480781821697664, 35),
    (0, 0.3245008134564602, 36),
    (1, 0.0739883894012459, 36),
    (2, 0.03334233564497438, 36),
    (3, -0.0036129684965703407, 36),
    (4, -0.050244221073450945, 36),
    (5, -0.29411036850413896, 36),
    (6, 0.14081295372314417, 36),
    (7, -0.21448343547522694, 36),
    (8, 0.10984442229511093, 36),
    (9, -0.12694782603196494, 36),
    (10, 0.01365460618768134, 36),
    (11, 0.009427374978444616, 36),
    (12, -0.23284999165389617, 36),
];
/// Output (2), `(lag, r, n, band half-width)`; Bartlett m = 23, F = 5.919491530132669. (Its band
/// re-run with pandas 2.3.3 once the three carried-forward SCFI rows were left out: they move the
/// SCFI's autocorrelation, not the correlations, which agree with the first run to 1e-15.)
const GOLDEN_CALLS_SCFI: [(i64, f64, usize, f64); 25] = [
    (-12, 0.3334121953294839, 60, 0.6156227599275971),
    (-11, 0.3777743149543591, 59, 0.6208179808090305),
    (-10, 0.3274765970482449, 58, 0.6261469882578292),
    (-9, 0.3487450085344276, 57, 0.6316156247366305),
    (-8, 0.3639187869006085, 56, 0.6372300962599816),
    (-7, 0.3729754182811771, 55, 0.6429970020070405),
    (-6, 0.3894803114427072, 54, 0.6489233669367471),
    (-5, 0.34258332534073405, 53, 0.6550166777720071),
    (-4, 0.21955245867697915, 52, 0.6612849227720388),
    (-3, 0.18020575463567398, 51, 0.6677366357733915),
    (-2, 0.18035462652705142, 50, 0.6743809450518646),
    (-1, 0.1064012326251015, 49, 0.6812276276416658),
    (0, 0.14113123093697177, 48, 0.6882871698470702),
    (1, 0.34239897761027777, 47, 0.6955708347985772),
    (2, 0.3082890031633003, 46, 0.7030907380437295),
    (3, 0.3903250761619187, 45, 0.710859932326917),
    (4, 0.33233849975298635, 45, 0.710859932326917),
    (5, 0.33050354420479056, 45, 0.710859932326917),
    (6, 0.3757810927392366, 44, 0.7188925029081555),
    (7, 0.37927192188847003, 43, 0.7272036750049818),
    (8, 0.38403302998315964, 42, 0.7358099352228631),
    (9, 0.3630269605577404, 41, 0.7447291691787464),
    (10, 0.45248054294969753, 40, 0.75398081793326),
    (11, 0.3487625142510138, 39, 0.7635860563469549),
    (12, 0.32837052263529126, 38, 0.7735679970869825),
];

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

fn lags_csv(args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let store = tempfile::tempdir().unwrap();
    let mut all = vec!["lags", "--as-of", AS_OF, "--format", "csv"];
    all.extend_from_slice(args);
    let (code, out, err) = run(portcast(store.path()).args(&all));
    assert_eq!(code, 0, "{err}");
    csv_rows(&out)
}

#[test]
fn prewhitened_monthly_ccf_matches_statsmodels_on_the_bundled_data() {
    let (header, rows) = lags_csv(&["--pair", "pmi:shanghai_calls"]);
    assert_eq!(
        header,
        [
            "pair",
            "lag",
            "r",
            "band_low",
            "band_high",
            "n",
            "significant"
        ]
    );
    assert_eq!(rows.len(), GOLDEN_PMI_CALLS.len());
    let z = 1.959963984540054; // scipy.stats.norm.ppf(0.975)
    for (row, (lag, r, n)) in rows.iter().zip(GOLDEN_PMI_CALLS) {
        assert_eq!(row[0], "pmi:shanghai_calls");
        assert_eq!(row[1].parse::<i64>().unwrap(), lag);
        assert_eq!(row[5].parse::<usize>().unwrap(), n, "lag {lag}");
        let got: f64 = row[2].parse().unwrap();
        assert!(close(got, r), "lag {lag}: {got} vs {r}");
        let band: f64 = row[4].parse().unwrap();
        assert!(close(band, z / (n as f64).sqrt()), "lag {lag}");
        assert_eq!(row[3].parse::<f64>().unwrap(), -band);
        assert_eq!(row[6] == "true", got.abs() > band);
    }
    let (_, summary) = lags_csv(&["--pair", "pmi:shanghai_calls", "--section", "summary"]);
    let s = &summary[0];
    // ar_order (column 10) is the order statsmodels' ar_select_order picked.
    assert_eq!(s[10], "12");
}

#[test]
fn raw_weekly_ccf_matches_pandas_on_the_bundled_data() {
    let (_, rows) = lags_csv(&["--pair", "shanghai_calls:scfi", "--raw"]);
    assert_eq!(rows.len(), GOLDEN_CALLS_SCFI.len());
    for (row, (lag, r, n, band)) in rows.iter().zip(GOLDEN_CALLS_SCFI) {
        assert_eq!(row[1].parse::<i64>().unwrap(), lag);
        assert_eq!(row[5].parse::<usize>().unwrap(), n, "lag {lag}");
        assert!(close(row[2].parse().unwrap(), r), "lag {lag}: {}", row[2]);
        assert!(
            close(row[4].parse().unwrap(), band),
            "lag {lag}: {}",
            row[4]
        );
    }
}

#[test]
fn default_pairs_in_every_format() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args(["lags", "--as-of", AS_OF]));
    assert_eq!(code, 0, "{err}");
    for pair in [
        "== pmi:shanghai_calls",
        "== pmi_new_export_orders:shanghai_calls",
        "== pmi:shanghai_teu",
        "== shanghai_calls:scfi",
        "== scfi:shanghai_calls",
        "== shanghai_calls:la_teu",
        "== shanghai_calls:la_loaded_imports",
    ] {
        assert!(out.contains(pair), "{pair} missing:\n{out}");
    }
    assert!(out.contains("-- lags") && out.contains("-- granger") && out.contains("-- summary"));
    // Thin pairs say so, with the numbers.
    assert!(
        out.contains("insufficient data: needs 24 overlapping periods, has 7"),
        "{out}"
    );
    assert!(err.contains("pmi:shanghai_teu: insufficient data"), "{err}");

    let (_, summary) = lags_csv(&["--section", "summary"]);
    assert_eq!(summary.len(), 7);
    let teu = summary.iter().find(|r| r[0] == "pmi:shanghai_teu").unwrap();
    assert_eq!(teu[8], "7"); // n: overlapping months
    assert!(teu[11].is_empty(), "no best lag on 7 months");
    assert!(teu[25].starts_with("insufficient data: needs 24 overlapping periods, has 7"));
    let verdicts = [
        "out-of-sample gain",
        "gain, not significant",
        "no out-of-sample gain",
        "not tested",
        "",
    ];
    assert!(summary.iter().all(|r| verdicts.contains(&r[24].as_str())));

    let (code, out, err) = run(portcast(store.path()).args([
        "lags",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "--pair",
        "pmi:shanghai_calls",
    ]));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["lags", "granger", "stability", "summary"] {
        assert!(v[key].is_array(), "{key}");
    }
    assert_eq!(v["lags"].as_array().unwrap().len(), 25);
    assert_eq!(v["summary"][0]["pair"], "pmi:shanghai_calls");
    let g = v["granger"].as_array().unwrap();
    assert_eq!(g[0]["order"], 1);
    assert!(g.iter().all(|r| r["p"].as_f64().unwrap() <= 1.0));
    let (_, stab) = lags_csv(&["--pair", "pmi:shanghai_calls", "--section", "stability"]);
    // 48 months (2020-01..2023-12), windows of 24 every 6 months ending at 2023-12.
    assert_eq!(stab.len(), 5);
    assert_eq!(
        (stab[4][1].as_str(), stab[4][2].as_str()),
        ("2022-01", "2023-12")
    );
    let (_, stab) = lags_csv(&[
        "--pair",
        "pmi:shanghai_calls",
        "--section",
        "stability",
        "--window",
        "36",
        "--step",
        "12",
    ]);
    assert_eq!(stab.len(), 2);
}

#[test]
fn usage_errors_exit_2() {
    let store = tempfile::tempdir().unwrap();
    for args in [
        vec!["lags", "--format", "csv", "--section", "all"],
        vec!["lags", "--pair", "pmi:nope"],
        vec!["lags", "--pair", "pmi"],
        vec!["lags", "--transform", "sqrt"],
    ] {
        let (code, _, err) = run(portcast(store.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

#[test]
fn as_of_limits_what_the_pairs_see() {
    // Vessel calls are known 9 days after the day; yoy growth starts 2020-01. By mid-2021 there
    // are 17 months of it: too few.
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "lags",
        "--pair",
        "pmi:shanghai_calls",
        "--as-of",
        "2021-06-15",
        "--format",
        "csv",
        "--section",
        "summary",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert_eq!(
        rows[0][5], "2021-05",
        "last month of calls known by 2021-06-15"
    );
    assert!(rows[0][25].starts_with("insufficient data: needs 24 overlapping periods, has 17"));
}

#[test]
fn config_pairs_and_cny_adjustment() {
    let store = tempfile::tempdir().unwrap();
    let cfg = store.path().join("portcast.toml");
    fs::write(
        &cfg,
        "[lags]\ntransform = \"logdiff\"\nmax_lag = 6\npairs = [{ x = \"pmi\", y = \"shanghai_calls\", freq = \"month\" }]\n",
    )
    .unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "lags",
        "--as-of",
        AS_OF,
        "--format",
        "csv",
        "--section",
        "summary",
        "--config",
        cfg.to_str().unwrap(),
        "--adjust",
        "cny",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r[0].as_str(), r[2].as_str(), r[3].as_str()),
        ("pmi:shanghai_calls", "logdiff", "cny")
    );
    assert_eq!(r[9], "6", "max_lag from the config");
    assert!(
        r[25].contains("shanghai_calls: Chinese New Year effect removed"),
        "{}",
        r[25]
    );
    assert!(
        !r[25].contains("pmi: Chinese New Year"),
        "PMI is not a volume"
    );
    // A typo in the table is a config error (exit 4) with a position.
    fs::write(&cfg, "[lags]\nmax_lags = 6\n").unwrap();
    let (code, _, err) =
        run(portcast(store.path()).args(["lags", "--config", cfg.to_str().unwrap()]));
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("line 2, column 1"), "{err}");
}

/// Parse `a` or `a..b`.
fn claimed(s: &str) -> (f64, f64) {
    match s.split_once("..") {
        Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
        None => {
            let v = s.parse().unwrap();
            (v, v)
        }
    }
}

/// Check every row's verdict against its own numbers, independently of the library: the rule
/// documented in the README (`n_min` 24 for correlations and leads, 5 for hit rates and events).
fn check_verdicts(rows: &[Vec<String>]) {
    let mut claims: Vec<u8> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    claims.dedup();
    assert_eq!(claims, (1..=10).collect::<Vec<u8>>());
    for r in rows {
        let claim: u8 = r[0].parse().unwrap();
        let (c0, c1) = claimed(&r[1]);
        let verdict = r[6].as_str();
        if verdict == "untestable" {
            assert!(r[2].is_empty() && r[3].is_empty(), "{r:?}");
            assert!(r[7].contains("would test it"), "{r:?}");
            continue;
        }
        let n: usize = r[3].parse().unwrap();
        let n_min = if matches!(claim, 5 | 6 | 8) { 5 } else { 24 };
        let interval = (r[4].parse::<f64>().ok(), r[5].parse::<f64>().ok());
        let Some((low, high)) = (match interval {
            (Some(l), Some(h)) => Some((l, h)),
            _ => None,
        }) else {
            assert_eq!(verdict, "inconclusive", "{r:?}");
            continue;
        };
        let disjoint = c1 < low || c0 > high;
        let is_lead = matches!(claim, 3) || (claim == 2 && r[1].contains(".."));
        let null_zero = matches!(claim, 2 | 4 | 7 | 8) && !is_lead;
        let excludes_zero = 0.0 < low || 0.0 > high;
        match verdict {
            "contradicted" => assert!(n >= n_min && disjoint, "{r:?}"),
            "supported" => {
                assert!(n >= n_min && !disjoint, "{r:?}");
                if null_zero {
                    assert!(excludes_zero, "{r:?}");
                }
            }
            "inconclusive" => {
                if n >= n_min {
                    assert!(!disjoint, "{r:?}");
                    if null_zero {
                        assert!(!excludes_zero, "{r:?}");
                    }
                }
            }
            other => panic!("unknown verdict {other}"),
        }
        if n < n_min {
            assert!(r[7].starts_with("insufficient data"), "{r:?}");
        }
    }
}

#[test]
fn audit_on_the_bundled_data() {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) =
        run(portcast(store.path()).args(["audit", "--as-of", AS_OF, "--format", "csv"]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header,
        [
            "claim", "claimed", "measured", "n", "low", "high", "verdict", "note"
        ]
    );
    check_verdicts(&rows);
    let verdict = |i: usize| rows[i][6].as_str();
    // 1, 9 and 10 have no data in portcast at all.
    for (i, r) in rows.iter().enumerate() {
        if matches!(r[0].as_str(), "1" | "9" | "10") {
            assert_eq!(verdict(i), "untestable");
        }
    }
    // Claim 7 on the LA proxy: the measured interval is the Fisher one at lag 1 month.
    let la = rows.iter().find(|r| r[0] == "7" && r[1] == "0.88").unwrap();
    assert!(la[7].contains("the verdict is on the proxy"), "{la:?}");
    // Claim 5: no month with new export orders above 54 in the bundled data.
    let c5 = rows.iter().find(|r| r[0] == "5").unwrap();
    assert_eq!((c5[3].as_str(), c5[6].as_str()), ("0", "inconclusive"));
    let (code, out, _) = run(portcast(store.path()).args(["audit", "--as-of", AS_OF]));
    assert_eq!(code, 0);
    assert!(out.starts_with("claim  claimed"));
}

/// Write `rows` after the last line of a copied snapshot file.
fn append(dir: &Path, file: &str, rows: &[String]) {
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(dir.join(file))
        .unwrap();
    for r in rows {
        writeln!(f, "{r}").unwrap();
    }
}

/// A data directory with more history: the bundled files plus SYNTHETIC rows (this test only;
/// every row's source says "synthetic test data"): PMI 2024, new export orders and new orders
/// 2023-02..2024-12, SCFI weekly 2021..2024, and official Shanghai monthly TEU 2021..2024 built so
/// that its yoy growth is 3 × the PMI's yoy growth one month earlier plus small noise:
/// `TEU_t = 4.2e6 · (PMI_{t−1}/50)^3 · (1 + 0.05·[Jul..Oct]) · (1 + 0.002·u_t)`, `u` from a fixed
/// LCG.
fn more_history() -> tempfile::TempDir {
    let dir = copy_of_data();
    let mut lcg: u64 = 7;
    let mut u = move || {
        lcg = lcg
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (lcg >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let src = "synthetic test data";
    // PMI: real to 2023-12 (read from the bundled file), synthetic 2024.
    let mut pmi: Vec<(String, f64)> = Vec::new();
    let mut r = csv::Reader::from_path(data_dir().join("pmi_nbs_monthly.csv")).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        pmi.push((rec[0].to_string(), rec[1].parse().unwrap()));
    }
    let mut rows = Vec::new();
    for m in 1..=12 {
        let v = 49.5 + 2.0 * ((m as f64) / 2.0).sin() + u();
        let v = (v * 10.0).round() / 10.0;
        rows.push(format!("2024-{m:02},{v},,{src}"));
        pmi.push((format!("2024-{m:02}"), v));
    }
    append(dir.path(), "pmi_nbs_monthly.csv", &rows);
    let pmi_of = |label: &str| {
        pmi.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| *v)
            .unwrap()
    };
    let mut rows = Vec::new();
    for (y, m) in (2023..=2024)
        .flat_map(|y| (1..=12).map(move |m| (y, m)))
        .skip(1)
    {
        let neo = 50.0 + 5.0 * ((m as f64) / 3.0 + y as f64).sin();
        let no = pmi_of(&format!("{y}-{m:02}")) + 1.5;
        rows.push(format!("{y}-{m:02},{neo:.1},,{no:.1},,{src},"));
    }
    append(dir.path(), "pmi_nbs_subindices_monthly.csv", &rows);
    let mut rows = Vec::new();
    let mut day = chrono::NaiveDate::from_ymd_opt(2021, 1, 8).unwrap();
    let mut i = 0.0;
    while day.year() <= 2024 {
        let v = 2000.0 + 800.0 * (i / 9.0f64).sin() + 50.0 * u();
        rows.push(format!("{day},{v:.2},{src},"));
        day += chrono::Duration::days(7);
        i += 1.0;
    }
    append(dir.path(), "scfi_weekly.csv", &rows);
    let mut rows = Vec::new();
    for (y, m) in (2021..=2024).flat_map(|y| (1..=12).map(move |m| (y, m))) {
        let prev = if m == 1 {
            format!("{}-12", y - 1)
        } else {
            format!("{y}-{:02}", m - 1)
        };
        let season = if (7..=10).contains(&m) { 1.05 } else { 1.0 };
        let teu = 4.2e6 * (pmi_of(&prev) / 50.0).powi(3) * season * (1.0 + 0.002 * u());
        rows.push(format!("{y}-{m:02},{},exact,,,,{src},", teu.round()));
    }
    append(dir.path(), "shanghai_teu_monthly.csv", &rows);
    dir
}

#[test]
fn audit_on_a_data_dir_with_more_history() {
    let data = more_history();
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "audit",
        "--as-of",
        "2025-06-30",
        "--format",
        "csv",
        "--data-dir",
        data.path().to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    check_verdicts(&rows);
    // With 36 months of official TEU growth, claim 3 is measured on TEU, not on the proxy, and
    // the synthetic one-month lead is found.
    let c3 = rows.iter().find(|r| r[0] == "3").unwrap();
    assert!(c3[7].contains("over official Shanghai TEU"), "{c3:?}");
    assert_eq!(
        (c3[2].as_str(), c3[6].as_str()),
        ("1", "supported"),
        "{c3:?}"
    );
    // Months above 4.4M exist now: claim 8 has events.
    let c8 = rows.iter().find(|r| r[0] == "8").unwrap();
    assert!(c8[3].parse::<usize>().unwrap() > 0, "{c8:?}");
    // The same data dir as of mid-2021 sees only five synthetic months: back to the proxy.
    let (_, out, _) = run(portcast(store.path()).args([
        "audit",
        "--as-of",
        "2021-06-30",
        "--format",
        "csv",
        "--data-dir",
        data.path().to_str().unwrap(),
    ]));
    let (_, early) = csv_rows(&out);
    let e3 = early.iter().find(|r| r[0] == "3").unwrap();
    assert!(e3[7].contains("vessel calls stand in"), "{e3:?}");
}
