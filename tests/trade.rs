//! `portcast quote` and `portcast modes` on the textbook examples of issue 8, to the cent. The
//! expected figures are the textbook answers (hand-checked in the comments).

use crate::util::{csv_rows, portcast, run};

/// Run `portcast <args> --format csv` and return its rows as (item, value) pairs.
fn sheet(args: &[&str]) -> Vec<(String, String)> {
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args(args).args(["--format", "csv"]));
    assert_eq!(code, 0, "{args:?}: {err}");
    csv_rows(&out)
        .1
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

fn value(rows: &[(String, String)], item: &str) -> String {
    rows.iter()
        .find(|r| r.0 == item)
        .unwrap_or_else(|| panic!("no row `{item}` in {rows:?}"))
        .1
        .clone()
}

#[test]
fn cif_new_york_to_fob() {
    // FOB = 1000 × (1 − 1.1 × 0.0095) − 88 = 1000 × 0.98955 − 88 = 901.55
    let rows = sheet(&[
        "quote",
        "--price",
        "1000",
        "--term",
        "CIF",
        "--to",
        "FOB",
        "--freight",
        "88",
        "--insurance-rate",
        "0.0095",
    ]);
    assert_eq!(value(&rows, "price FOB"), "901.55");
}

#[test]
fn three_soybean_offers() {
    // C: 150 × (1 − 1.2 × 0.015) − 20 = 150 × 0.982 − 20 = 127.30; B: 140 − 20 = 120.
    let store = tempfile::tempdir().unwrap();
    let (code, out, err) = run(portcast(store.path()).args([
        "quote",
        "--offer",
        "100:FOB",
        "--offer",
        "140:CFR",
        "--offer",
        "150:CIF",
        "--freight",
        "20",
        "--insurance-rate",
        "0.015",
        "--markup",
        "0.2",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    let fob: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        fob,
        [
            ("A", "100", "false"),
            ("B", "120", "false"),
            ("C", "127.3", "true")
        ]
    );
}

#[test]
fn commission_discount_and_currency() {
    // 850 / 0.95 = 894.736… → 894.74
    assert_eq!(
        value(
            &sheet(&["quote", "--price", "850", "--commission", "0.05"]),
            "FOBC5%"
        ),
        "894.74"
    );
    // 1000 × 0.95 = 950
    assert_eq!(
        value(
            &sheet(&["quote", "--price", "1000", "--discount", "0.05"]),
            "net of 5% discount"
        ),
        "950"
    );
    // 3000 / 6.6118 = 453.734… → 453.73
    let rows = sheet(&[
        "quote",
        "--price",
        "1",
        "--home-price",
        "3000",
        "--fx-bid",
        "661.18",
        "--fx-per-hundred",
    ]);
    assert_eq!(value(&rows, "foreign quote for home price"), "453.73");
    // 5000 × 6.6383 = 33191.50
    let rows = sheet(&[
        "quote",
        "--price",
        "5000",
        "--fx-ask",
        "663.83",
        "--fx-per-hundred",
    ]);
    assert_eq!(
        value(&rows, "importer pays for FOB, home currency"),
        "33191.5"
    );
}

#[test]
fn export_profit_rate_and_fx_conversion_cost() {
    // FOB = 200 − 40 = 160; 160 × 7.80 = 1248; (1248 − 1250) / 1250 = −0.16%; 1250 / 160 = 7.8125
    let rows = sheet(&[
        "quote",
        "--price",
        "200",
        "--term",
        "CFR",
        "--freight",
        "40",
        "--fx-bid",
        "7.80",
        "--total-cost",
        "1250",
    ]);
    assert_eq!(value(&rows, "export profit rate (%)"), "-0.16");
    assert_eq!(
        value(&rows, "FX conversion cost (home per foreign unit)"),
        "7.8125"
    );
}

#[test]
fn light_bulky_goods_are_charged_on_volume() {
    let store = tempfile::tempdir().unwrap();
    // 4 m³ = 4,000,000 cm³ / 6000 = 666.67 kg chargeable, against 50 kg actual.
    let (code, out, err) = run(portcast(store.path()).args([
        "modes",
        "--units",
        "100",
        "--weight-kg",
        "50",
        "--volume-m3",
        "4",
        "--air-rate",
        "7",
        "--format",
        "csv",
    ]));
    assert_eq!(code, 0, "{err}");
    let (_, rows) = csv_rows(&out);
    assert_eq!(rows[0][..3], ["air", "666.67 kg", "true"]);
    // 1,000 items of 0.3 kg by air at USD 7 and 8 per kg: 2,100 and 2,400, i.e. 2.1 and 2.4 per unit.
    for (rate, total, per_unit) in [("7", "2100", "2.1"), ("8", "2400", "2.4")] {
        let (_, out, _) = run(portcast(store.path()).args([
            "modes",
            "--units",
            "1000",
            "--weight-kg",
            "300",
            "--volume-m3",
            "0.5",
            "--air-rate",
            rate,
            "--format",
            "csv",
        ]));
        let (_, rows) = csv_rows(&out);
        assert_eq!(rows[0][1..5], ["300.00 kg", "false", total, per_unit]);
    }
}

#[test]
fn out_of_range_inputs_are_clear_errors() {
    let store = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            vec!["quote", "--price", "1000", "--insurance-rate", "1.2"],
            "insurance_rate must be a fraction in [0, 1), got 1.2",
        ),
        (
            vec!["quote", "--price", "-5"],
            "price must not be negative, got -5",
        ),
        (
            vec!["quote", "--price", "100", "--commission", "1"],
            "commission_rate must be a fraction in [0, 1), got 1",
        ),
        (
            vec![
                "modes",
                "--units",
                "10",
                "--weight-kg",
                "5",
                "--volume-m3",
                "1",
            ],
            "give --air-rate, --lcl-rate or --fcl-rate",
        ),
    ] {
        let (code, _, err) = run(portcast(store.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
