//! Documented limits on the work one input may ask for (README, "Limits"): a forecast holds
//! `paths × horizon` values per target at once, so an unbounded horizon (a target in 9999, a
//! ship date in 9999) or path count would exhaust memory. Inputs beyond these are refused up
//! front naming the flag or the file and key (exit 2); inside pricing and `run` the one market
//! that asks for too much fails alone.

/// Periods ahead of a forecast's origin: ten years of weeks.
pub const MAX_HORIZON: usize = 520;
/// Sample paths per forecast.
pub const MAX_PATHS: usize = 1_000_000;
/// Sample paths × horizon per forecast target (about 24 bytes each at the peak: ~150 MB).
pub const MAX_PATH_CELLS: usize = 6_000_000;

/// Steps of one backtest, counted per market and decision date (a step keeps its prices, scores
/// and any reason it was skipped: about 5 KB each at the peak, so about 500 MB). Ten years of
/// daily steps of the nine example markets are 32,900.
pub const MAX_BACKTEST_STEPS: usize = 100_000;

/// Sample values a backtest may keep for a threshold sweep (`--sweep threshold=…`): the sorted
/// samples of the model and both references at every step of every binary market, re-priced at
/// each threshold (8 bytes each: about 400 MB).
pub const MAX_KEPT_SAMPLES: usize = 50_000_000;

/// Rows of a sweep table (`backtest --sweep`: variants × the markets and strategies scored), each
/// about 1 KB at the peak with its printed line: about 200 MB.
pub const MAX_SWEEP_ROWS: usize = 200_000;

/// Bytes a data file (a snapshot CSV, the store's `observations.csv`) may have: a
/// 1,000,000-row PortWatch export is about 50 MB; reading takes about 25× the file at the peak.
pub const MAX_DATA_FILE_BYTES: u64 = 128 * 1024 * 1024;
/// Bytes a TOML input (markets file, shipment file, config) may have.
pub const MAX_TOML_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Read a whole input file of at most `cap` bytes. A directory, a device (`/dev/zero`), a FIFO
/// or a file over the cap is refused before it is read (and a file that grows past the cap
/// while being read stops at the cap), so no input can make portcast read until memory runs out.
pub fn read_capped(path: &std::path::Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let too_big = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than the limit of {cap} bytes (README, Limits)"),
        )
    };
    if meta.len() > cap {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text; invalid UTF-8 is an error naming the line.
pub fn read_text_capped(path: &std::path::Path, cap: u64) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, cap)?).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "line {}: not UTF-8 text (byte {at} is invalid)",
                line_of(e.as_bytes(), at)
            ),
        )
    })
}

/// The 1-based line of byte `offset` in `bytes` (for "not UTF-8" messages).
pub fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Which limit on the work of a forecast is exceeded ([`check_work`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    #[error("a horizon of {0} periods is over the limit of {MAX_HORIZON}")]
    Horizon(usize),
    #[error("{0} sample paths is over the limit of {MAX_PATHS}")]
    Paths(usize),
    #[error(
        "{paths} paths × {horizon} periods is over the limit of {MAX_PATH_CELLS} values per forecast"
    )]
    Cells { paths: usize, horizon: usize },
}

/// Whether a forecast of `horizon` periods on `paths` paths is within the limits; the error
/// says which limit (the caller names the flag or key).
pub fn check_work(horizon: usize, paths: usize) -> Result<(), WorkError> {
    if horizon > MAX_HORIZON {
        return Err(WorkError::Horizon(horizon));
    }
    if paths > MAX_PATHS {
        return Err(WorkError::Paths(paths));
    }
    if horizon.saturating_mul(paths) > MAX_PATH_CELLS {
        return Err(WorkError::Cells { paths, horizon });
    }
    Ok(())
}

/// The command-line check: `--paths` and `--horizon` (when the command has one).
pub fn check_flags(horizon: Option<usize>, paths: usize) -> Result<(), crate::exit::UsageError> {
    let flag = crate::exit::UsageError;
    if paths == 0 {
        return Err(flag("--paths must be at least 1".into()));
    }
    if paths > MAX_PATHS {
        return Err(flag(format!(
            "--paths {paths} is over the limit of {MAX_PATHS}"
        )));
    }
    if let Some(h) = horizon {
        if h == 0 {
            return Err(flag("--horizon must be at least 1".into()));
        }
        if h > MAX_HORIZON {
            return Err(flag(format!(
                "--horizon {h} is over the limit of {MAX_HORIZON} periods"
            )));
        }
        check_work(h, paths).map_err(|e| flag(format!("--paths {paths} --horizon {h}: {e}")))?;
    }
    Ok(())
}

/// A TOML error as "line L, column C: message" (the markets file, the shipment file, the
/// config).
pub fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refuse_what_would_exhaust_memory() {
        assert!(check_work(6, 10_000).is_ok());
        assert!(check_work(MAX_HORIZON, 10_000).is_ok());
        assert!(check_work(MAX_HORIZON + 1, 1).is_err());
        assert!(check_work(1, MAX_PATHS + 1).is_err());
        assert!(check_work(1000, 1_000_000).is_err());
        assert!(check_work(usize::MAX, usize::MAX).is_err());
        assert!(
            check_flags(Some(1_000_000), 10_000)
                .unwrap_err()
                .0
                .contains("--horizon")
        );
        assert!(
            check_flags(None, 1_000_000_000)
                .unwrap_err()
                .0
                .contains("--paths")
        );
        assert!(
            check_flags(Some(500), 100_000)
                .unwrap_err()
                .0
                .contains("--paths 100000 --horizon 500")
        );
    }
}
