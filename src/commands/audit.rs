//! `portcast audit`: the trading guide's claims (docs/DOMAIN.md) against the data as of `--as-of`,
//! one row per claimed figure: `claim,claimed,measured,n,low,high,verdict,note`. The
//! measurements and the verdict rule live in `crate::analysis::audit`.

use std::io::Write;

use clap::Args;

use crate::analysis::audit::{AuditRow, audit};
use crate::exit::Exit;
use crate::output::{Cell, Table};
use crate::settings::Settings;
use crate::store::Store;

/// Flags of `portcast audit` (the global ones: `--as-of`, `--data-dir`, `--format`).
#[derive(Debug, Args)]
pub struct AuditArgs {}

/// `portcast audit`.
pub fn run(settings: &Settings, _args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let store = Store::open(&settings.location)?;
    let rows = audit(&store, settings.as_of)?;
    table(&rows).write(settings.format, out)?;
    Ok(Exit::Ok)
}

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
