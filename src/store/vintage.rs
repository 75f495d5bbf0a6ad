//! The store's vintage table — every stored figure with the time it became known, revisions
//! included — and polars frames of it and of any series view, for use downstream of the library
//! (`portcast data export` writes the same table as CSV or JSON).
//!
//! Derived series (`shanghai_calls`) are computed in views and are not in the vintage table;
//! their components are.

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::{Store, StoreError};
use crate::model::{Frequency, Observation};
use crate::output::Table;

/// The vintage table's columns, in order: `period_start` is the first day of the period,
/// `known_at` the instant (UTC) the figure became public.
pub const VINTAGE_COLUMNS: [&str; 8] = [
    "series",
    "period",
    "period_start",
    "value",
    "unit",
    "precision",
    "known_at",
    "source",
];

/// Errors of the frame helpers.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Polars(#[from] PolarsError),
}

impl Store {
    /// Every stored figure of `series` (all stored series when empty), known by `known_by` when
    /// given, ordered by series, period and `known_at`: the first row of a period is its first
    /// print, later rows its revisions.
    pub fn vintages(
        &self,
        series: &[String],
        known_by: Option<DateTime<Utc>>,
    ) -> Vec<&Observation> {
        self.series
            .iter()
            .filter(|(id, _)| series.is_empty() || series.iter().any(|s| s.as_str() == &***id))
            .flat_map(|(_, obs)| obs.iter())
            .filter(|o| known_by.is_none_or(|t| o.known_at <= t))
            .collect()
    }

    /// The vintage table ([`VINTAGE_COLUMNS`]) as a polars frame: `period_start` a date,
    /// `known_at` a datetime in UTC (without a time-zone tag, as in
    /// [`crate::series::view::SeriesView::to_frame`]), `value` f64, the rest strings.
    pub fn vintage_frame(
        &self,
        series: &[String],
        known_by: Option<DateTime<Utc>>,
    ) -> PolarsResult<DataFrame> {
        let obs = self.vintages(series, known_by);
        let known_at: Vec<_> = obs.iter().map(|o| o.known_at.naive_utc()).collect();
        DataFrame::new_infer_height(vec![
            Column::new(
                "series".into(),
                obs.iter().map(|o| o.series.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "period".into(),
                obs.iter().map(|o| o.period.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "period_start".into(),
                obs.iter().map(|o| o.period.start()).collect::<Vec<_>>(),
            ),
            Column::new(
                "value".into(),
                obs.iter().map(|o| o.value).collect::<Vec<_>>(),
            ),
            Column::new(
                "unit".into(),
                obs.iter().map(|o| o.unit.to_string()).collect::<Vec<_>>(),
            ),
            Column::new(
                "precision".into(),
                obs.iter().map(|o| o.precision.as_str()).collect::<Vec<_>>(),
            ),
            Column::new("known_at".into(), known_at),
            Column::new(
                "source".into(),
                obs.iter().map(|o| o.source.to_string()).collect::<Vec<_>>(),
            ),
        ])
    }

    /// The vintage table as a [`Table`] (for CSV and JSON): `known_at` in RFC 3339 UTC with
    /// seconds, numbers with every digit.
    pub fn vintage_table(&self, series: &[String], known_by: Option<DateTime<Utc>>) -> Table {
        let mut t = Table::new(VINTAGE_COLUMNS);
        for o in self.vintages(series, known_by) {
            t.push(vec![
                o.series.as_ref().into(),
                o.period.to_string().into(),
                o.period.start().format("%Y-%m-%d").to_string().into(),
                o.value.into(),
                o.unit.as_ref().into(),
                o.precision.as_str().into(),
                o.known_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    .into(),
                o.source.as_ref().into(),
            ]);
        }
        t
    }

    /// A series as known at `as_of` (aggregated to `freq` when given) as a polars frame:
    /// [`crate::series::view::SeriesView::to_frame`]'s columns.
    pub fn view_frame(
        &self,
        id: &str,
        as_of: DateTime<Utc>,
        freq: Option<Frequency>,
    ) -> Result<DataFrame, FrameError> {
        Ok(self.view_at(id, as_of, freq)?.to_frame()?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::NaiveDate;

    use super::*;
    use crate::model::{Period, Precision, start_of_day};

    /// Synthetic: one figure and its revision, and one figure of another series.
    fn store() -> Store {
        let obs = |series: &str, month: u32, value: f64, known: (i32, u32, u32)| Observation {
            series: Arc::from(series),
            period: Period::containing(
                NaiveDate::from_ymd_opt(2024, month, 1).unwrap(),
                Frequency::Month,
            ),
            value,
            unit: Arc::from("TEU"),
            precision: Precision::Exact,
            source: Arc::from("test"),
            known_at: start_of_day(NaiveDate::from_ymd_opt(known.0, known.1, known.2).unwrap()),
        };
        Store::from_observations(vec![
            obs("la_teu", 1, 800_000.0, (2024, 3, 1)),
            obs("la_teu", 1, 810_000.0, (2024, 2, 20)),
            obs("pmi", 1, 50.0, (2024, 1, 31)),
        ])
    }

    #[test]
    fn the_vintage_table_keeps_revisions_in_order_and_filters_by_known_at() {
        let s = store();
        let all = s.vintage_table(&[], None);
        assert_eq!(all.columns, VINTAGE_COLUMNS);
        assert_eq!(all.rows.len(), 3);
        let la = s.vintages(&["la_teu".into()], None);
        assert_eq!(
            la.iter().map(|o| o.value).collect::<Vec<_>>(),
            [810_000.0, 800_000.0]
        );
        let early = s.vintages(
            &[],
            Some(start_of_day(NaiveDate::from_ymd_opt(2024, 2, 25).unwrap())),
        );
        assert_eq!(early.len(), 2);
        let mut out = Vec::new();
        all.write(crate::output::Format::Csv, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("la_teu,2024-01,2024-01-01,810000,TEU,exact,2024-02-20T00:00:00Z,test"),
            "{text}"
        );
    }

    #[test]
    fn the_vintage_frame_has_typed_columns() {
        let df = store().vintage_frame(&[], None).unwrap();
        assert_eq!(df.height(), 3);
        assert_eq!(df.column("value").unwrap().dtype(), &DataType::Float64);
        assert_eq!(df.column("period_start").unwrap().dtype(), &DataType::Date);
        assert!(matches!(
            df.column("known_at").unwrap().dtype(),
            DataType::Datetime(_, None)
        ));
    }
}
