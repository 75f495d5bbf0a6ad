//! The claims audit as a table: `claim,claimed,measured,n,low,high,verdict,note`.

use crate::analysis::audit::AuditRow;
use crate::output::{Cell, Table};

/// The audit as a table.
pub fn table(rows: &[AuditRow]) -> Table {
    let mut t = Table::new([
        "claim", "claimed", "measured", "n", "low", "high", "verdict", "note",
    ]);
    for r in rows {
        let (measured, n, low, high) = match &r.measured {
            Some(m) => (
                Cell::from(m.value),
                Cell::from(m.n),
                Cell::from(m.low),
                Cell::from(m.high),
            ),
            None => (Cell::Null, Cell::Null, Cell::Null, Cell::Null),
        };
        t.push(vec![
            i64::from(r.claim).into(),
            r.claimed.label().into(),
            measured,
            n,
            low,
            high,
            r.verdict.as_str().into(),
            r.note.as_str().into(),
        ]);
    }
    t
}
