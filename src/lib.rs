//! portcast: container-port throughput, freight rates and the factory surveys that lead them, as
//! point-in-time series; lead-lag analysis, predictive distributions, and prices for
//! prediction-market contracts.
//!
//! Every result is a function of (the store, an as-of time, the config): the store keeps each
//! figure with the time it became known (`store`), analysis reads views of it as of a time
//! (`series::view`). See docs/ARCHITECTURE.md for the map of the modules.

pub mod analysis;
pub mod backtest;
pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod forecast;
pub mod freshness;
pub mod ingest;
pub mod limits;
pub mod markets;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod present;
pub mod progress;
pub mod report;
pub mod series;
pub mod settings;
pub mod store;
pub mod trade;
