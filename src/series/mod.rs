//! Series: the catalog of ids and what they mean, and views of a series at one as-of time and
//! frequency (`view`), which are what analysis code reads.

pub mod catalog;
pub mod view;
