//! Prediction-market contracts priced from a predictive distribution: binary thresholds,
//! brackets, scalars and bucket sets (`contract`), and fees, edge and fractional-Kelly sizing
//! (`sizing`).

pub mod contract;
pub mod sizing;
