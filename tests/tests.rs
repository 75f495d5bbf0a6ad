//! The one integration-test binary (each extra binary would link polars again): the command line
//! end to end on the bundled data and on broken inputs.

mod util;

mod backtest;
mod cli;
mod data;
mod forecast;
mod hostile;
mod ingest;
mod lags;
mod landed;
mod layers;
mod partial;
mod properties;
mod report;
mod run;
mod snapshot;
mod spread;
mod store_file;
mod trade;
