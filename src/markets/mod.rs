//! Prediction-market contracts priced from a predictive distribution: the markets file
//! (`file`), trading rules (`rule`), binary thresholds, brackets, scalars and bucket sets
//! (`contract`), and fees, edge and fractional-Kelly sizing (`sizing`); a shipment's landed cost
//! under freight scenarios and its hedge with SCFI contracts (`freight`); the forecast sources of
//! pricing (`paths`) and the whole file priced at one date (`book`).

pub mod book;
pub mod contract;
pub mod file;
pub mod freight;
pub mod paths;
pub mod price;
pub mod rule;
pub mod sizing;
