//! [`FormatError`]: what every ingest parser returns when a response body is not in the format it
//! expects.
//!
//! Each message names the source ("PortWatch page", "SCFI", ...), says what was expected and what
//! was found, and hints at the likely cause (a cut-off body, schema drift, a changed page layout).
//! Errors met while reading a format documented from one second-hand source only are wrapped in
//! [`FormatError::Unverified`], whose message says so.

use thiserror::Error;

/// A response body that does not match the documented format of its source.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    /// The body is not JSON at all, or is cut short.
    #[error(
        "{context}: body is not valid JSON ({detail}); body starts with {start} (truncated or not JSON?)"
    )]
    NotJson {
        context: &'static str,
        detail: String,
        start: String,
    },

    /// The server answered (typically with HTTP 200) with an error object instead of data.
    #[error("{context}: the server returned an error instead of data: code {code}: {message}")]
    Remote {
        context: &'static str,
        code: String,
        message: String,
    },

    /// A status field holds something other than its success value.
    #[error("{context}: {field} {found} (expected {expected})")]
    Status {
        context: &'static str,
        field: &'static str,
        found: String,
        expected: &'static str,
    },

    /// A field the format requires is absent.
    #[error("{context}: field `{field}` missing in {location} (schema drift?)")]
    Missing {
        context: &'static str,
        field: String,
        location: String,
    },

    /// A field is present but holds something unusable.
    #[error("{context}: field `{field}` in {location} is {found}, expected {expected}")]
    Invalid {
        context: &'static str,
        field: String,
        location: String,
        found: String,
        expected: String,
    },

    /// An HTML page no longer has the expected structure.
    #[error("{context}: {detail} (layout changed?)")]
    Layout {
        context: &'static str,
        detail: String,
    },

    /// An error met while reading a format documented from one second-hand source only.
    #[error(
        "{inner} [note: the format of {what} is UNVERIFIED (documented from one second-hand \
         source, never seen in a captured response); the real format may differ]"
    )]
    Unverified {
        what: &'static str,
        inner: Box<FormatError>,
    },
}

impl FormatError {
    pub(super) fn missing(
        context: &'static str,
        field: impl Into<String>,
        location: impl Into<String>,
    ) -> Self {
        FormatError::Missing {
            context,
            field: field.into(),
            location: location.into(),
        }
    }

    pub(super) fn invalid(
        context: &'static str,
        field: impl Into<String>,
        location: impl Into<String>,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        FormatError::Invalid {
            context,
            field: field.into(),
            location: location.into(),
            found: found.into(),
            expected: expected.into(),
        }
    }

    pub(super) fn layout(context: &'static str, detail: impl Into<String>) -> Self {
        FormatError::Layout {
            context,
            detail: detail.into(),
        }
    }

    /// Mark this error as met in a format that is documented but UNVERIFIED.
    pub fn unverified(self, what: &'static str) -> Self {
        match self {
            already @ FormatError::Unverified { .. } => already,
            inner => FormatError::Unverified {
                what,
                inner: Box::new(inner),
            },
        }
    }

    /// True when the error concerns a format marked UNVERIFIED in the source documentation.
    pub fn is_unverified(&self) -> bool {
        matches!(self, FormatError::Unverified { .. })
    }
}
