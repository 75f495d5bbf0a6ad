//! Command-line habits: shell completions and the man page from the clap definition, examples in
//! every command's help, `-v` raising the log level, `NO_COLOR` and `--color`, and `data export`.

use std::fs;

use crate::util::{csv_rows, portcast, run};

#[test]
fn completions_and_the_man_page_need_no_data_or_config() {
    let store = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "_portcast()"),
        ("zsh", "#compdef portcast"),
        ("fish", "complete -c portcast"),
    ] {
        // A broken config must not matter: nothing but the command line is read.
        let (code, out, err) = run(portcast(store.path())
            .env("PORTCAST_CONFIG", "/nonexistent/portcast.toml")
            .args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(
            out.contains("landed-cost"),
            "{shell}: subcommands are completed"
        );
    }
    let (code, out, err) = run(portcast(store.path()).arg("man"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH portcast"),
        "{out}"
    );
    assert!(out.contains("completions"));
}

#[test]
fn every_command_has_examples_in_its_help() {
    let store = tempfile::tempdir().unwrap();
    for cmd in [
        &["run"][..],
        &["price"],
        &["backtest"],
        &["quote"],
        &["modes"],
        &["landed-cost"],
        &["fetch"],
        &["lags"],
        &["audit"],
        &["forecast"],
        &["nowcast"],
        &["evaluate"],
        &["completions"],
        &["man"],
        &["data", "list"],
        &["data", "show"],
        &["data", "check"],
        &["data", "add"],
        &["data", "export"],
    ] {
        let (code, out, err) = run(portcast(store.path()).args(cmd).arg("--help"));
        assert_eq!(code, 0, "{cmd:?}: {err}");
        assert!(out.contains("Example"), "{cmd:?} has no examples:\n{out}");
        assert!(out.contains("portcast "), "{cmd:?}");
    }
}

#[test]
fn verbose_raises_the_level_and_colour_follows_no_color_and_the_flag() {
    let store = tempfile::tempdir().unwrap();
    let args = ["--as-of", "2023-12-31", "data", "check"];
    let (code, _, plain) = run(portcast(store.path()).args(args));
    assert_eq!(code, 0, "{plain}");
    let (_, _, verbose) = run(portcast(store.path()).arg("-v").args(args));
    assert!(!plain.contains("DEBUG"), "{plain}");
    assert!(
        verbose.contains("DEBUG"),
        "-v logs no more than the default:\n{verbose}"
    );
    let (_, _, quiet) = run(portcast(store.path()).arg("-q").args(args));
    assert!(quiet.is_empty(), "{quiet}");

    // stderr is not a terminal here: auto means no colour; --color always forces it, and
    // NO_COLOR does not override an explicit --color always; --color never wins over a terminal.
    let (_, _, auto) = run(portcast(store.path()).args(args));
    assert!(!auto.contains('\x1b'), "{auto:?}");
    let (_, _, always) = run(portcast(store.path())
        .env("NO_COLOR", "1")
        .args(["--color", "always"])
        .args(args));
    assert!(always.contains('\x1b'), "{always:?}");
    let (_, _, never) = run(portcast(store.path()).args(["--color", "never"]).args(args));
    assert!(!never.contains('\x1b'), "{never:?}");
    use portcast::settings::ColorChoice;
    assert!(ColorChoice::Auto.enabled(true, None));
    assert!(ColorChoice::Auto.enabled(true, Some("".as_ref())));
    assert!(!ColorChoice::Auto.enabled(true, Some("1".as_ref())));
    assert!(!ColorChoice::Never.enabled(true, None));
    assert!(ColorChoice::Always.enabled(false, Some("1".as_ref())));
}

/// `data export`: every stored figure with its `known_at`, revisions included, CSV by default;
/// `--as-of` keeps what was known by then; JSON on stdout with `-`; Parquet with its types.
#[test]
fn data_export_writes_the_vintage_table() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    // A revision of a bundled figure (LA December 2023), known later.
    let (code, _, err) = run(portcast(&store).args([
        "data",
        "add",
        "la_teu",
        "2023-12",
        "750000",
        "--known-at",
        "2024-03-01",
    ]));
    assert_eq!(code, 0, "{err}");
    let file = tmp.path().join("vintages.csv");
    let (code, _, err) =
        run(portcast(&store).args(["data", "export", "--output", file.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    let (header, rows) = csv_rows(&fs::read_to_string(&file).unwrap());
    assert_eq!(header, portcast::store::vintage::VINTAGE_COLUMNS);
    let la_dec: Vec<_> = rows
        .iter()
        .filter(|r| r[0] == "la_teu" && r[1] == "2023-12")
        .collect();
    assert_eq!(la_dec.len(), 2, "first print and revision: {la_dec:?}");
    assert_eq!(la_dec[0][3], "747335");
    assert_eq!(la_dec[0][6], "2024-01-20T00:00:00Z");
    assert_eq!(la_dec[1][3], "750000");
    assert!(
        rows.iter()
            .any(|r| r[0] == "portwatch.port1188.portcalls_container")
    );
    assert!(rows.len() > 5000, "{}", rows.len());
    let csv_len = rows.len();

    let (code, out, err) = run(portcast(&store).args([
        "--as-of",
        "2024-02-01",
        "--format",
        "json",
        "data",
        "export",
        "--series",
        "la_teu",
        "--output",
        "-",
    ]));
    assert_eq!(code, 0, "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert!(rows.iter().all(|r| r["series"] == "la_teu"));
    assert_eq!(
        rows.iter().filter(|r| r["period"] == "2023-12").count(),
        1,
        "the revision was not known on 2024-02-01"
    );
    let (code, _, err) =
        run(portcast(&store).args(["data", "export", "--series", "nope", "-o", "-"]));
    assert_eq!(code, 2, "{err}");

    // Parquet: the same rows and columns, typed (the notebook reads it back with polars).
    let parquet = tmp.path().join("vintages.parquet");
    let (code, _, err) = run(portcast(&store).args([
        "data",
        "export",
        "--format",
        "parquet",
        "--output",
        parquet.to_str().unwrap(),
    ]));
    assert_eq!(code, 0, "{err}");
    let bytes = fs::read(&parquet).unwrap();
    assert_eq!(
        (&bytes[..4], &bytes[bytes.len() - 4..]),
        (&b"PAR1"[..], &b"PAR1"[..])
    );
    let meta =
        polars_parquet::read::read_metadata(&mut std::io::Cursor::new(&bytes)).expect("metadata");
    assert_eq!(meta.num_rows, csv_len);
    let schema = polars_parquet::read::infer_schema(&meta).unwrap();
    let types: Vec<(String, String)> = schema
        .iter_values()
        .map(|f| (f.name.to_string(), format!("{:?}", f.dtype)))
        .collect();
    let names: Vec<&str> = types.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, portcast::store::vintage::VINTAGE_COLUMNS);
    assert_eq!(types[2].1, "Date32", "{types:?}");
    assert_eq!(types[3].1, "Float64", "{types:?}");
    assert!(types[6].1.starts_with("Timestamp"), "{types:?}");
    // Only `data export` takes the format: every other command refuses it (usage error).
    let (code, _, err) = run(portcast(&store).args(["data", "list", "--format", "parquet"]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("data export"), "{err}");
}
