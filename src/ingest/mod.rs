//! Live sources. Each source's own response format is parsed by a pure function here (one file
//! per service), so the same parsers serve live fetches and the tests' mock servers.
//!
//! - `client`: the one HTTP client (timeouts, retries with backoff, size cap, page bound);
//! - `source`: the [`Source`](source::Source) trait and what a fetch returns;
//! - one file per service, each with its parser and its `Source`: `portwatch`, `pmi` (over
//!   `dbnomics` with `nbs` as fallback), `scfi`, `pola`, and `shanghai` (no API: nothing to fetch);
//! - `fetch`: the run — sources concurrently, figures classified new / revised / unchanged and
//!   written to the store point-in-time, each source failing on its own;
//! - `settings`: base URLs, ports and limits from the `[sources]` config and `PORTCAST_*_URL`.

pub mod client;
pub mod dbnomics;
pub mod fetch;
pub mod nbs;
pub mod parse_error;
pub mod parsed;
pub mod pmi;
pub mod pola;
pub mod portwatch;
pub mod scfi;
pub mod settings;
pub mod shanghai;
pub mod source;
