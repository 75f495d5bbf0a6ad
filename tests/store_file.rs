//! The store file (`observations.csv`) pinned byte for byte: the writer's output for a fixed set of
//! observations (millisecond and microsecond `known_at`, a shortest-round-trip decimal, tiny and
//! huge values, a negative zero, quotes, commas, a newline and non-ASCII text in `source`)
//! against fixed bytes, and a compatibility fixture written by the writer of December 2026
//! (`tests/fixtures/store-v1/observations.csv`) that every later version must load unchanged.
//!
//! A deliberate change of the format must keep reading the fixture (it is what users' stores
//! hold); the fixed bytes below may then change, with a note in the README's data model section.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use portcast::model::{Observation, Period, Precision};
use portcast::series::catalog::ReleaseLags;
use portcast::store::{DataDir, Store, StoreLocation, file};

use crate::util::{portcast, run};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn obs(
    series: &str,
    period: &str,
    value: f64,
    unit: &str,
    precision: Precision,
    source: &str,
    known_at: &str,
) -> Observation {
    Observation {
        series: Arc::from(series),
        period: Period::parse_any(period).unwrap(),
        value,
        unit: Arc::from(unit),
        precision,
        source: Arc::from(source),
        known_at: at(known_at),
    }
}

/// The fixed observations: every kind of period, every precision and the edge cases of the
/// number and time formats.
fn fixed() -> Vec<Observation> {
    use Precision::*;
    vec![
        obs(
            "shanghai_teu",
            "2024-10",
            4_300_000.0,
            "TEU",
            LowerBound,
            "SIPG press release, \"exceeded 4.3 million\"",
            "2024-11-15T00:00:00Z",
        ),
        // A revision a millisecond later, and one with microseconds.
        obs(
            "shanghai_teu",
            "2024-10",
            4_312_345.5,
            "TEU",
            Exact,
            "fetched from https://example.invalid/a?b=1&c=2",
            "2024-11-15T00:00:00.001Z",
        ),
        obs(
            "shanghai_teu",
            "2024-10",
            4_312_346.0,
            "TEU",
            Rounded,
            "上海港 SIPG",
            "2024-11-20T08:30:15.123456Z",
        ),
        // A weekly print keyed by its day; 0.1 + 0.2 is not 0.3.
        obs(
            "scfi",
            "2024-01-05",
            0.1 + 0.2,
            "index points (2009-10-16 = 1000)",
            Exact,
            "two\nlines",
            "2024-01-05T09:30:00.120Z",
        ),
        obs(
            "pmi",
            "2024-01",
            49.2,
            "index (50 = no change)",
            Exact,
            "",
            "2024-01-31T00:00:00Z",
        ),
        obs(
            "pmi",
            "2024-02",
            -0.0,
            "index (50 = no change)",
            UpperBound,
            "negative zero",
            "2024-02-29T23:59:59.999Z",
        ),
        obs(
            "pmi",
            "2024-03",
            1e-7,
            "index (50 = no change)",
            Exact,
            "tiny",
            "2024-03-31T00:00:00Z",
        ),
        // The largest plausible TEU figure (a value beyond a series' plausible range, such as
        // 1e21, is refused on load since the plausibility checks).
        obs(
            "la_teu",
            "2024-04",
            999_999_999.0,
            "TEU",
            Exact,
            "huge",
            "2024-05-20T00:00:00Z",
        ),
        obs(
            "shanghai_teu_annual",
            "2023",
            49_158_000.0,
            "TEU",
            LowerBound,
            "over 49.158 million",
            "2024-01-20T00:00:00Z",
        ),
        obs(
            "shanghai_calls",
            "2024-02-29",
            0.0,
            "calls",
            Exact,
            "leap day, no calls",
            "2024-03-09T00:00:00Z",
        ),
    ]
}

/// What the writer of December 2026 wrote for [`fixed`], byte for byte.
const FIXED_BYTES: &str = "series,period,value,unit,precision,source,known_at
shanghai_teu,2024-10,4300000,TEU,lower-bound,\"SIPG press release, \"\"exceeded 4.3 million\"\"\",2024-11-15T00:00:00Z
shanghai_teu,2024-10,4312345.5,TEU,exact,fetched from https://example.invalid/a?b=1&c=2,2024-11-15T00:00:00.001Z
shanghai_teu,2024-10,4312346,TEU,rounded,上海港 SIPG,2024-11-20T08:30:15.123456Z
scfi,2024-01-05,0.30000000000000004,index points (2009-10-16 = 1000),exact,\"two
lines\",2024-01-05T09:30:00.120Z
pmi,2024-01,49.2,index (50 = no change),exact,,2024-01-31T00:00:00Z
pmi,2024-02,-0,index (50 = no change),upper-bound,negative zero,2024-02-29T23:59:59.999Z
pmi,2024-03,0.0000001,index (50 = no change),exact,tiny,2024-03-31T00:00:00Z
la_teu,2024-04,999999999,TEU,exact,huge,2024-05-20T00:00:00Z
shanghai_teu_annual,2023,49158000,TEU,lower-bound,over 49.158 million,2024-01-20T00:00:00Z
shanghai_calls,2024-02-29,0,calls,exact,\"leap day, no calls\",2024-03-09T00:00:00Z
";

/// The compatibility fixture: a store file written by this writer in December 2026.
fn fixture_dir() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/store-v1"
    ))
}

/// Bit-for-bit equality (so `-0` and `0` differ), field by field.
fn assert_same(got: &[Observation], want: &[Observation]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w);
        assert_eq!(g.value.to_bits(), w.value.to_bits(), "{}", w.source);
    }
}

#[test]
fn the_writer_writes_fixed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let rows = fixed();
    // Two appends: the header is written once, rows follow in order.
    file::append(dir.path(), &rows[..3]).unwrap();
    file::append(dir.path(), &rows[3..]).unwrap();
    let bytes = std::fs::read(file::path_in(dir.path())).unwrap();
    assert_eq!(String::from_utf8(bytes).unwrap(), FIXED_BYTES);
    // And reads back as exactly what was written.
    let (back, problems) = file::read(dir.path());
    assert!(problems.is_empty(), "{problems:?}");
    assert_same(&back, &rows);
}

#[test]
fn the_december_2026_store_file_still_loads() {
    let bytes = std::fs::read_to_string(fixture_dir().join(file::FILE_NAME)).unwrap();
    assert_eq!(
        bytes, FIXED_BYTES,
        "the committed fixture must never change"
    );
    let (back, problems) = file::read(fixture_dir());
    assert!(problems.is_empty(), "{problems:?}");
    assert_same(&back, &fixed());
    // Through the whole store, beside the bundled snapshot: the as-of view sees each revision
    // from its own millisecond.
    let store = Store::open(&StoreLocation {
        data_dir: DataDir::Embedded,
        store_dir: Some(fixture_dir().to_path_buf()),
        lags: ReleaseLags::default(),
    })
    .unwrap();
    let oct = Period::month(2024, 10).unwrap();
    let value_at = |t: &str| {
        store
            .view("shanghai_teu", at(t))
            .unwrap()
            .points
            .iter()
            .find(|p| p.period == oct)
            .map(|p| p.value)
    };
    assert_eq!(value_at("2024-11-14T23:59:59.999Z"), None);
    assert_eq!(value_at("2024-11-15T00:00:00Z"), Some(4_300_000.0));
    assert_eq!(value_at("2024-11-15T00:00:00.001Z"), Some(4_312_345.5));
    assert_eq!(value_at("2024-11-20T08:30:15.123456Z"), Some(4_312_346.0));
}

#[test]
fn data_add_appends_the_fixed_row_format() {
    // The command line's writer is the same writer: a hand-entered figure with its known_at.
    let store = tempfile::tempdir().unwrap();
    let (code, _, err) = run(portcast(store.path()).args([
        "data",
        "add",
        "la_teu",
        "2024-01",
        "812,345",
        "--precision",
        "rounded",
        "--known-at",
        "2024-02-20",
        "--source",
        "press, \"prelim\"",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(store.path().join(file::FILE_NAME)).unwrap(),
        "series,period,value,unit,precision,source,known_at\n\
         la_teu,2024-01,812345,TEU,rounded,\"press, \"\"prelim\"\"\",2024-02-20T00:00:00Z\n"
    );
}
