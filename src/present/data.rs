//! The store's contents as a table: one row per series with its span, count and missing periods.

use chrono::{DateTime, Utc};

use crate::output::{Cell, Table};
use crate::store::{Store, StoreError};

/// The `data list` table (also used by the report).
pub fn list_table(store: &Store, as_of: DateTime<Utc>) -> Result<Table, StoreError> {
    let mut table = Table::new([
        "series",
        "frequency",
        "unit",
        "first",
        "last",
        "count",
        "missing",
    ]);
    for id in store.series_ids() {
        let view = store.view(&id, as_of)?;
        let (first, last) = match (view.points.first(), view.points.last()) {
            (Some(f), Some(l)) => (
                Cell::from(f.period.to_string()),
                Cell::from(l.period.to_string()),
            ),
            _ => (Cell::Null, Cell::Null),
        };
        let missing = view.missing_periods(view.spec.cadence).len();
        table.push(vec![
            id.as_str().into(),
            view.spec.cadence.as_str().into(),
            view.spec.unit.as_str().into(),
            first,
            last,
            view.points.len().into(),
            missing.into(),
        ]);
    }
    Ok(table)
}
