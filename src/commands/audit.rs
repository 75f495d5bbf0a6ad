//! `portcast audit`: the trading guide's claims (docs/DOMAIN.md) against the data as of `--as-of`,
//! one row per claimed figure: `claim,claimed,measured,n,low,high,verdict,note`. The
//! measurements and the verdict rule live in `crate::analysis::audit`.

use std::io::Write;

use clap::Args;

use crate::analysis::audit::audit;
use crate::exit::Exit;
use crate::present::audit::table;
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
