//! CSV files of the report: every chart's data and every command's table, written atomically
//! with a header row, through the same [`Table`] the commands print (`crate::output`), so a
//! report's CSV reads exactly like `portcast … --format csv`.
//!
//! Units belong in column names (`median_teu`, `fair_price_usd`): [`column`] builds such names
//! in one consistent form, so the notebooks can select columns without guessing.

use std::path::{Path, PathBuf};

use crate::output::{Format, Table};

/// Writing a CSV file failed.
#[derive(Debug, thiserror::Error)]
#[error("writing {}", path.display())]
pub struct CsvError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// Write `table` as CSV (header row, then one line per row) to `path`, atomically: a reader
/// (or a crash) never sees half a file.
pub fn write_table(path: &Path, table: &Table) -> Result<(), CsvError> {
    let err = |source| CsvError {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    table.write(Format::Csv, &mut bytes).map_err(err)?;
    crate::fsutil::write_atomic(path, &bytes).map_err(err)
}

/// A column name carrying its unit, in snake case: `column("fair price", "USD")` →
/// `fair_price_usd`, `column("median", "TEU")` → `median_teu`, `column("probability", "")` →
/// `probability`. Anything but ASCII letters and digits becomes one `_`; `%` becomes `pct`.
pub fn column(name: &str, unit: &str) -> String {
    let words = if unit.trim().is_empty() {
        name.to_string()
    } else {
        format!("{name} {unit}")
    };
    let mut out = String::with_capacity(words.len());
    for c in words.replace('%', " pct ").chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Cell;

    #[test]
    fn column_names_carry_units() {
        assert_eq!(column("fair price", "USD"), "fair_price_usd");
        assert_eq!(column("median", "TEU"), "median_teu");
        assert_eq!(column("probability", ""), "probability");
        assert_eq!(column("edge", "%"), "edge_pct");
        assert_eq!(column("SCFI (USWC)", "USD/FEU"), "scfi_uswc_usd_feu");
        assert_eq!(column("  q0.975 ", "TEU"), "q0_975_teu");
    }

    #[test]
    fn writes_header_and_rows_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let mut t = Table::new(["date", "value_teu"]);
        t.push(vec!["2024-01-01".into(), Cell::from(4_300_000.0)]);
        t.push(vec!["2024-02-01".into(), Cell::from(f64::NAN)]);
        write_table(&path, &t).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "date,value_teu\n2024-01-01,4300000\n2024-02-01,\n"
        );
        // Only the file itself: no temporary left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Rewriting replaces the file.
        write_table(&path, &Table::new(["x"])).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n");
    }

    #[test]
    fn error_names_the_file() {
        let err = write_table(Path::new("/nonexistent-dir/x.csv"), &Table::new(["x"])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.csv"), "{err}");
    }
}
