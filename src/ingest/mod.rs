//! Live sources. Each source's own response format is parsed by a pure function here (one file
//! per service), so the same parsers serve live fetches and the tests' mock servers.

pub mod dbnomics;
pub mod nbs;
pub mod parse_error;
pub mod parsed;
pub mod pola;
pub mod portwatch;
pub mod scfi;
