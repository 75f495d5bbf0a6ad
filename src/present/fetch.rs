//! A fetch's summary table: one row per source with its counts and message.

use crate::ingest::fetch::{FetchReport, SourceReport, Status};
use crate::output::Table;

/// One row per source: `source, status, new, revised, unchanged, message` (the error of a failed
/// source, else its notes).
pub fn summary_table(report: &FetchReport) -> Table {
    let mut table = Table::new(["source", "status", "new", "revised", "unchanged", "message"]);
    for s in &report.sources {
        table.push(vec![
            s.source.as_str().into(),
            s.status.as_str().into(),
            s.new.into(),
            s.revised.into(),
            s.unchanged.into(),
            message(s).into(),
        ]);
    }
    table
}

fn message(s: &SourceReport) -> String {
    match (&s.error, s.status) {
        (Some(e), _) => e.clone(),
        (None, Status::Failed) => "failed".into(),
        (None, _) => s.notes.join("; "),
    }
}
