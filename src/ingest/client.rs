//! The one HTTP client every live source goes through (reqwest + rustls on tokio).
//!
//! It owns the network policy so the sources do not have to: connect and total timeouts, a user
//! agent, retries with exponential backoff and jitter on connection errors, timeouts, HTTP 5xx and
//! 429 (honouring `Retry-After`, capped), a cap on the response size (the body is streamed and
//! reading stops as soon as it passes the cap, so a runaway or hostile server cannot exhaust
//! memory), and the bound on pages a paged query may take ([`HttpClient::max_pages`], enforced by
//! the sources that page). Every error names the URL it concerns.
//!
//! The parsers (`super::portwatch`, `super::dbnomics`, ...) never see this module: they take the
//! body bytes this client returns.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use thiserror::Error;

use super::parse_error::FormatError;
use super::parsed::body_start;

/// The client's limits; [`super::settings`] builds them from the `[sources]` config table.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// Time allowed for the TCP + TLS connection. The SCFI host is slow from abroad: under about
    /// 6 s its connections fail, so the default is 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body included.
    pub timeout: Duration,
    /// Retries after the first attempt (so `retries + 1` attempts at most).
    pub retries: u32,
    /// Backoff before the first retry; doubled each retry, jittered to 50–100 %.
    pub backoff: Duration,
    /// Longest wait before any retry; also caps a server's `Retry-After`.
    pub max_retry_wait: Duration,
    /// Largest body accepted (after gzip decoding).
    pub max_body_bytes: u64,
    /// Most pages one paged query may take before it is an error.
    pub max_pages: usize,
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_secs(1),
            max_retry_wait: Duration::from_secs(60),
            max_body_bytes: 64 * 1024 * 1024,
            max_pages: 100,
            user_agent: format!("portcast/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Why a request failed, after any retries. Each variant names the URL.
#[derive(Debug, Error)]
pub enum HttpError {
    #[error("cannot build the HTTP client")]
    Build(#[source] reqwest::Error),

    #[error("GET {url}: cannot connect (after {attempts} attempt(s))")]
    Connect {
        url: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error(
        "GET {url}: timed out (after {attempts} attempt(s); connect timeout {connect:?}, \
         total timeout {total:?})"
    )]
    Timeout {
        url: String,
        attempts: u32,
        connect: Duration,
        total: Duration,
    },

    #[error("GET {url}: HTTP {status} (after {attempts} attempt(s)); body starts with {start}")]
    Status {
        url: String,
        status: u16,
        attempts: u32,
        start: String,
    },

    #[error(
        "GET {url}: reading the body failed after {received} bytes (body cut off: the connection \
         closed early or the encoding is corrupt; after {attempts} attempt(s))"
    )]
    Body {
        url: String,
        attempts: u32,
        received: usize,
        #[source]
        source: reqwest::Error,
    },

    #[error("GET {url}: the request failed (after {attempts} attempt(s))")]
    Request {
        url: String,
        attempts: u32,
        #[source]
        source: reqwest::Error,
    },

    #[error(
        "GET {url}: the body is larger than the cap of {limit} bytes{}; not read further \
         (raise `max_body_bytes` under [sources] if this is expected)",
        .declared.map(|d| format!(" (Content-Length {d})")).unwrap_or_default()
    )]
    TooLarge {
        url: String,
        limit: u64,
        declared: Option<u64>,
    },

    #[error(
        "GET {url}: still more rows after {max} pages (the server keeps setting \
         `exceededTransferLimit`); stopped (raise `max_pages` under [sources] if this is expected)"
    )]
    TooManyPages { url: String, max: usize },

    #[error("GET {url}: the response is not in the expected format")]
    Format {
        url: String,
        #[source]
        source: Box<FormatError>,
    },

    #[error("`{url}` is not a valid URL: {message}")]
    Url { url: String, message: String },
}

impl HttpError {
    /// The HTTP status of a [`HttpError::Status`], else `None`.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A format error in the body fetched from `url`.
    pub fn format(url: &reqwest::Url, source: FormatError) -> Self {
        HttpError::Format {
            url: url.to_string(),
            source: Box::new(source),
        }
    }
}

/// The outcome of one attempt.
enum Attempt {
    /// Worth trying again (connection trouble, 5xx, 429), after at least `retry_after`.
    Transient {
        error: HttpError,
        retry_after: Option<Duration>,
    },
    /// Trying again would give the same answer (4xx, oversized body).
    Fatal(HttpError),
}

/// The shared HTTP client. Cheap to clone (reqwest's client is reference-counted).
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    config: ClientConfig,
}

impl HttpClient {
    pub fn new(config: ClientConfig) -> Result<Self, HttpError> {
        let inner = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .gzip(true)
            .build()
            .map_err(HttpError::Build)?;
        Ok(HttpClient { inner, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Most pages a paged query may take.
    pub fn max_pages(&self) -> usize {
        self.config.max_pages
    }

    /// GET `url` with extra `headers`, retrying transient failures; the whole body on HTTP 2xx.
    pub async fn get(
        &self,
        url: &reqwest::Url,
        headers: &[(&'static str, &str)],
    ) -> Result<Vec<u8>, HttpError> {
        let mut header_map = HeaderMap::new();
        for (name, value) in headers {
            let value = HeaderValue::from_str(value).map_err(|e| HttpError::Url {
                url: url.to_string(),
                message: format!("header {name}: {e}"),
            })?;
            header_map.insert(HeaderName::from_static(name), value);
        }
        let mut attempt = 1;
        loop {
            match self.attempt(url, &header_map, attempt).await {
                Ok(body) => return Ok(body),
                Err(Attempt::Fatal(error)) => return Err(error),
                Err(Attempt::Transient { error, .. }) if attempt > self.config.retries => {
                    return Err(error);
                }
                Err(Attempt::Transient { error, retry_after }) => {
                    let wait = self.backoff(attempt, retry_after);
                    tracing::warn!("{error}; retrying in {:.1} s", wait.as_secs_f64());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// The wait before retry number `attempt` (1-based): `backoff · 2^(attempt-1)` jittered to
    /// 50–100 % (so clients that failed together do not retry together), at least the server's
    /// `Retry-After`, at most `max_retry_wait`.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self
            .config
            .backoff
            .saturating_mul(1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX));
        let jittered = exponential.mul_f64(rand::random_range(0.5..=1.0));
        jittered
            .max(retry_after.unwrap_or_default())
            .min(self.config.max_retry_wait)
    }

    async fn attempt(
        &self,
        url: &reqwest::Url,
        headers: &HeaderMap,
        attempts: u32,
    ) -> Result<Vec<u8>, Attempt> {
        let url_text = url.to_string();
        let mut response = match self
            .inner
            .get(url.clone())
            .headers(headers.clone())
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                return Err(Attempt::Transient {
                    error: self.classify(url_text, attempts, e, None),
                    retry_after: None,
                });
            }
        };
        let status = response.status();
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            // A little of the body helps to tell a proxy's page from the service's own error.
            let mut start = Vec::new();
            while start.len() < 512 {
                match response.chunk().await {
                    Ok(Some(chunk)) => start.extend_from_slice(&chunk),
                    _ => break,
                }
            }
            let error = HttpError::Status {
                url: url_text,
                status: status.as_u16(),
                attempts,
                start: body_start(&start),
            };
            return Err(
                if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                    Attempt::Transient { error, retry_after }
                } else {
                    Attempt::Fatal(error)
                },
            );
        }
        let limit = self.config.max_body_bytes;
        if let Some(declared) = response.content_length()
            && declared > limit
        {
            return Err(Attempt::Fatal(HttpError::TooLarge {
                url: url_text,
                limit,
                declared: Some(declared),
            }));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > limit {
                        return Err(Attempt::Fatal(HttpError::TooLarge {
                            url: url_text,
                            limit,
                            declared: None,
                        }));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => {
                    return Err(Attempt::Transient {
                        error: self.classify(url_text, attempts, e, Some(body.len())),
                        retry_after: None,
                    });
                }
            }
        }
    }

    /// A reqwest error as an [`HttpError`]; `received` is `Some(bytes read)` once the body was
    /// being read.
    fn classify(
        &self,
        url: String,
        attempts: u32,
        e: reqwest::Error,
        received: Option<usize>,
    ) -> HttpError {
        let e = e.without_url();
        if e.is_timeout() {
            HttpError::Timeout {
                url,
                attempts,
                connect: self.config.connect_timeout,
                total: self.config.timeout,
            }
        } else if e.is_connect() {
            HttpError::Connect {
                url,
                attempts,
                source: e,
            }
        } else if received.is_some() || e.is_body() || e.is_decode() {
            HttpError::Body {
                url,
                attempts,
                received: received.unwrap_or(0),
                source: e,
            }
        } else {
            HttpError::Request {
                url,
                attempts,
                source: e,
            }
        }
    }
}

/// `Retry-After` as seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, chrono::Utc::now())
}

/// [`retry_after`] with the time it is read at (`now`) given, for tests.
fn retry_after_at(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(backoff_ms: u64, max_wait_ms: u64) -> HttpClient {
        HttpClient::new(ClientConfig {
            backoff: Duration::from_millis(backoff_ms),
            max_retry_wait: Duration::from_millis(max_wait_ms),
            ..ClientConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let c = client(100, 10_000);
        for attempt in 1..=4u32 {
            let full = 100.0 * f64::from(1u32 << (attempt - 1));
            for _ in 0..50 {
                let ms = c.backoff(attempt, None).as_secs_f64() * 1000.0;
                assert!(
                    ms >= full * 0.5 - 1e-6 && ms <= full + 1e-6,
                    "{attempt}: {ms}"
                );
            }
        }
        let capped = client(1000, 1500);
        assert_eq!(capped.backoff(5, None), Duration::from_millis(1500));
        assert_eq!(capped.backoff(40, None), Duration::from_millis(1500));
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let c = client(10, 5_000);
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn retry_after_forms() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        // Read at fixed times (no clock in the test): 30 s before the date, and after it (a
        // date in the past means "now").
        let at = |t: &str| {
            chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        assert_eq!(
            retry_after_at(&h, at("2015-10-21T07:27:30Z")),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after_at(&h, at("2015-10-21T07:29:00Z")),
            Some(Duration::ZERO)
        );
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }
}
