//! One file per command family. Each command takes checked settings (`crate::settings`) and
//! writes its data to the given writer (stdout in the binary), its logs through `tracing`
//! (stderr). `crate::cli` names each command's argument type and calls it.

pub mod audit;
pub mod data;
pub mod fetch;
pub mod forecast;
pub mod lags;
pub mod landed;
pub mod markets;
pub mod run;
pub mod shell;
pub mod trade;
