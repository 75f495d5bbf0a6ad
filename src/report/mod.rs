//! The report layer: plain data in, files out. `portcast run` computes lag tables, forecasts,
//! prices and backtest scores elsewhere, turns them into the plain structures of this module,
//! and gets PNG charts, CSV tables and one static `index.html`, written into a dated output
//! directory that only appears once complete.
//!
//! - [`chart`]: PNG charts (plotters, with the embedded DejaVu Sans font), one struct per kind,
//!   each able to give its plotted data back as a [`crate::output::Table`] for its CSV.
//! - [`csv`]: tables to CSV files, atomically, and the unit-in-column-name helper.
//! - [`html`]: the static index page (status, data freshness, markets, sections of figures).
//! - [`rundir`]: cron safety: the temporary-directory-then-rename output.
//!
//! Nothing here reads the store or knows a model: that keeps the report reproducible from its
//! inputs and lets tests draw synthetic data through exactly the code the real run uses.

pub mod chart;
pub mod csv;
pub mod html;
pub mod rundir;

use std::path::Path;

use chart::{Chart, ChartError};
use html::Figure;

/// Writing one chart and its table failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error(transparent)]
    Csv(#[from] csv::CsvError),
    /// A file stem that would leave the report directory or is not a plain name.
    #[error("`{0}` is not a plain file name (letters, digits, '-', '_', '.')")]
    BadStem(String),
}

/// Write `<dir>/<stem>.png` and `<dir>/<stem>.csv` (the chart's plotted data) and return the
/// [`Figure`] that shows them on the index page, with links relative to `dir`.
pub fn write_chart(
    dir: &Path,
    stem: &str,
    chart: &dyn Chart,
    caption: impl Into<String>,
) -> Result<Figure, ReportError> {
    if stem.is_empty()
        || stem.starts_with('.')
        || !stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(ReportError::BadStem(stem.to_string()));
    }
    let png = format!("{stem}.png");
    let csv_name = format!("{stem}.csv");
    chart.write_png(&dir.join(&png))?;
    csv::write_table(&dir.join(&csv_name), &chart.table())?;
    Ok(Figure {
        png,
        alt: chart.alt_text(),
        caption: caption.into(),
        csv: Some(csv_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chart::{Axis, Labels, SkillBar, SkillChart};

    fn chart() -> SkillChart {
        SkillChart {
            labels: Labels::new(
                "Skill (synthetic)",
                Axis::new("Brier skill score", ""),
                Axis::new("market", ""),
                "Source: synthetic test data",
            ),
            bars: vec![SkillBar {
                market: "m".into(),
                skill: 0.1,
                n: Some(3),
            }],
        }
    }

    #[test]
    fn writes_png_and_csv_and_returns_relative_links() {
        let dir = tempfile::tempdir().unwrap();
        let fig = write_chart(dir.path(), "backtest_skill", &chart(), "Skill").unwrap();
        assert_eq!(fig.png, "backtest_skill.png");
        assert_eq!(fig.csv.as_deref(), Some("backtest_skill.csv"));
        assert_eq!(fig.alt, "Skill (synthetic): Brier skill score by market");
        assert!(dir.path().join("backtest_skill.png").is_file());
        assert_eq!(
            std::fs::read_to_string(dir.path().join("backtest_skill.csv")).unwrap(),
            "market,brier_skill,n\nm,0.1,3\n"
        );
    }

    #[test]
    fn refuses_stems_that_are_not_plain_names() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", "../x", ".hidden", "a b", "a/b", "x\"y"] {
            assert!(
                matches!(
                    write_chart(dir.path(), bad, &chart(), ""),
                    Err(ReportError::BadStem(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
