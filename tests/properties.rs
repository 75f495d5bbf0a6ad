//! Property-based tests (issue 14) over the inputs a user or a server controls: the snapshot CSV
//! loaders, the store file, the markets and shipment parsers. Any byte string gives `Ok` or
//! problems that name the file (and a line inside it), never a panic; appending to the store
//! never changes a byte already stored. Inputs are random bytes and random edits of the real
//! files (most random bytes fail at the header; edits reach the row checks). Each property runs
//! a bounded number of cases so `cargo test` stays quick.

use portcast::markets::file as markets;
use portcast::series::catalog::ReleaseLags;
use portcast::store::bundle::{self, FILES};
use portcast::store::file;
use portcast::trade::landed::Shipment;
use proptest::prelude::*;

const CASES: u32 = 128;

/// An edit of a text: replace, insert or delete bytes at a position (a fraction of the length).
#[derive(Clone, Debug)]
enum Edit {
    Replace(f64, Vec<u8>),
    Insert(f64, Vec<u8>),
    Delete(f64, usize),
    Truncate(f64),
}

/// Bytes that matter to the parsers: separators, quotes, line ends, digits, signs, letters,
/// a BOM byte, invalid UTF-8.
fn nasty_byte() -> impl Strategy<Value = u8> + Clone {
    prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        Just(b' '),
        Just(b'-'),
        Just(b'.'),
        Just(b'e'),
        Just(b'='),
        Just(b'['),
        Just(b']'),
        Just(0xef),
        Just(0xff),
        (b'0'..=b'9'),
        any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = || prop::collection::vec(nasty_byte(), 1..8);
    prop_oneof![
        (0.0..1.0f64, bytes()).prop_map(|(at, b)| Edit::Replace(at, b)),
        (0.0..1.0f64, bytes()).prop_map(|(at, b)| Edit::Insert(at, b)),
        (0.0..1.0f64, 1..40usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        (0.0..1.0f64).prop_map(Edit::Truncate),
    ]
}

fn apply(text: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = text.to_vec();
    for e in edits {
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match e {
            Edit::Replace(f, new) => {
                let i = at(*f, b.len());
                let end = (i + new.len()).min(b.len());
                b.splice(i..end, new.iter().copied());
            }
            Edit::Insert(f, new) => {
                let i = at(*f, b.len());
                b.splice(i..i, new.iter().copied());
            }
            Edit::Delete(f, n) => {
                let i = at(*f, b.len());
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Edit::Truncate(f) => b.truncate(at(*f, b.len())),
        }
    }
    b
}

/// Either random bytes or a few edits of `base`.
fn input(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        prop::collection::vec(edit(), 1..4).prop_map(move |e| apply(base.as_bytes(), &e)),
    ]
}

/// Every problem names the file, and a line inside it (or the file as a whole).
fn assert_located(problems: &[portcast::store::Problem], label: &str, text: &str) {
    let lines = text.lines().count().max(1) as u64 + 1;
    for p in problems {
        assert_eq!(p.file, label, "{p}");
        if let Some(l) = p.line {
            assert!((1..=lines).contains(&l), "line {l} of {lines}: {p}");
        }
        assert!(!p.message.is_empty());
    }
}

/// The store's first 40 lines (a small, real store file).
fn store_sample() -> &'static str {
    "series,period,value,unit,precision,source,known_at\n\
     shanghai_teu,2024-10,4300000,TEU,lower-bound,\"SIPG: exceeded 4.3 million\",2024-11-15T00:00:00Z\n\
     shanghai_teu,2024-10,4312345,TEU,exact,SIPG,2024-11-20T00:00:00Z\n\
     pmi,2024-11,50.3,index (50 = no change),exact,NBS via DBnomics,2024-11-30T00:00:00Z\n\
     portwatch.port1188.portcalls,2024-11-01,97,calls,exact,IMF PortWatch,2024-11-10T00:00:00Z\n\
     scfi,2024-11-29,2160.8,index points (2009-10-16 = 1000),exact,SSE,2024-11-29T00:00:00Z\n"
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: CASES,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every snapshot loader: `Ok` (no problem) or located problems, never a panic.
    #[test]
    fn snapshot_loaders_never_panic(which in 0..FILES.len(), seed in any::<u64>(), raw in prop::collection::vec(edit(), 1..4)) {
        let f = &FILES[which];
        let bytes = if seed % 5 == 0 {
            seed.to_le_bytes().repeat((seed % 50) as usize)
        } else {
            apply(f.text.as_bytes(), &raw)
        };
        // The loaders take text: what is not UTF-8 is refused before them (tested elsewhere).
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let label = format!("edited/{}", f.name);
        let (mut out, mut problems) = (Vec::new(), Vec::new());
        bundle::load_file(f.name, &label, &text, &ReleaseLags::default(), &mut out, &mut problems);
        assert_located(&problems, &label, &text);
        for o in &out {
            prop_assert!(o.value.is_finite());
        }
    }

    /// The store file: `Ok` or located problems; a file that loads keeps every row.
    #[test]
    fn store_file_parses_or_names_the_line(bytes in input(store_sample())) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let obs = file::parse_checked("s/observations.csv", &text, &mut problems, &mut warnings);
        assert_located(&problems, "s/observations.csv", &text);
        assert_located(&warnings, "s/observations.csv", &text);
        if problems.is_empty() {
            let rows = text.lines().skip(1).filter(|l| !l.is_empty()).count();
            prop_assert!(obs.len() <= rows);
        }
    }

    /// Appending to a store file that loads only adds bytes at its end: nothing stored is lost
    /// or rewritten, and the new row reads back. (The store files are the sample's rows with
    /// random values and times, so that every case loads.)
    #[test]
    fn appending_never_rewrites_the_store(
        rows in prop::collection::vec((0..5usize, 1.0..90.0f64, 0..3000i64), 0..12),
        value in 0.0..90.0f64,
    ) {
        let mut p = Vec::new();
        let sample = file::parse("x", store_sample(), &mut p);
        let mut text = String::from(file::HEADER);
        text.push('\n');
        for (i, v, days) in &rows {
            let mut o = sample[*i].clone();
            o.value = v.round();
            o.known_at += chrono::Duration::days(*days) + chrono::Duration::milliseconds(*days);
            text.push_str(&file::to_row(&o));
        }
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let before = file::parse_checked("x", &text, &mut problems, &mut warnings);
        prop_assert!(problems.is_empty(), "{problems:?}");
        let dir = tempfile::tempdir().unwrap();
        let path = file::path_in(dir.path());
        std::fs::write(&path, &text).unwrap();
        let mut o = sample[3].clone();
        o.value = value;
        o.known_at += chrono::Duration::days(4000);
        file::append(dir.path(), std::slice::from_ref(&o)).unwrap();
        let after = std::fs::read(&path).unwrap();
        prop_assert!(after.starts_with(text.as_bytes()));
        let (back, p) = file::read(dir.path());
        prop_assert!(p.is_empty(), "{p:?}");
        prop_assert_eq!(back.len(), before.len() + 1);
        prop_assert_eq!(back.last(), Some(&o));
    }

    /// The markets file: `Ok` or an error naming the file, never a panic.
    #[test]
    fn markets_parser_never_panics(bytes in input(include_str!("../data/markets.example.toml"))) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match markets::parse("m.toml", &text) {
            Ok(ms) => prop_assert!(!ms.is_empty()),
            Err(e) => prop_assert!(e.to_string().starts_with("markets file m.toml:"), "{e}"),
        }
    }

    /// The shipment file: `Ok` or an error naming the file, never a panic.
    #[test]
    fn shipment_parser_never_panics(bytes in input(include_str!("../data/shipment.example.toml"))) {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Err(e) = Shipment::parse("s.toml", &text) {
            prop_assert!(e.to_string().starts_with("shipment file s.toml:"), "{e}");
        }
    }
}
