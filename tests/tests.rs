//! The one integration-test binary (each extra binary would link polars again): the command line
//! end to end on the bundled data and on broken inputs.

mod util;

mod backtest;
mod data;
mod forecast;
mod ingest;
mod lags;
mod landed;
mod partial;
mod report;
mod run;
mod trade;
