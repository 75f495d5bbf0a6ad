//! Polars frames as Apache Parquet files, for `portcast data export --format parquet`.
//!
//! Written by polars' own Parquet writer (`polars-parquet`, the crate behind polars'
//! `ParquetWriter`) used directly, without compression: polars' `parquet` feature switches on
//! every codec (zstd and lz4 as C builds, brotli, gzip, snappy) and the streaming engine, which
//! cost more build time than a table of a few thousand rows is worth (README, "Build profile").
//! The file is Parquet 2.0 data pages, plain/dictionary encoded by column type, with min/max
//! statistics and the Arrow schema in its metadata, so polars, pandas (pyarrow), DuckDB and R read
//! it with its types: dates as dates, `known_at` as a timestamp in milliseconds (UTC, without a
//! time-zone tag, as in [`crate::store::Store::vintage_frame`]).

use std::io::Write;

use polars::prelude::{CompatLevel, DataFrame, PolarsResult, SchemaExt};
use polars_parquet::write::{
    CompressionOptions, FileWriter, StatisticsOptions, Version, WriteOptions, get_dtype_encoding,
    row_group_iter, to_parquet_schema,
};

/// Write `frame` to `out` as one Parquet file (a row group per chunk of the frame, one after
/// [`DataFrame::rechunk_mut`]); returns the file's size in bytes.
pub fn write_frame(frame: &mut DataFrame, out: &mut dyn Write) -> PolarsResult<u64> {
    frame.rechunk_mut();
    let schema = frame.schema().to_arrow(CompatLevel::newest());
    let parquet_schema = to_parquet_schema(&schema)?;
    let options = WriteOptions {
        statistics: StatisticsOptions::full(),
        compression: CompressionOptions::Uncompressed,
        version: Version::V2,
        data_page_size: None,
    };
    let mut writer =
        FileWriter::new_with_parquet_schema(out, schema.clone(), parquet_schema.clone(), options);
    for batch in frame.iter_chunks(CompatLevel::newest(), false) {
        let rows = batch.len() as u64;
        let encodings = schema
            .iter_values()
            .map(|f| get_dtype_encoding(&f.dtype))
            .collect();
        writer.write(
            rows,
            row_group_iter(batch, encodings, parquet_schema.fields().to_vec(), options),
        )?;
    }
    writer.end(None)
}
