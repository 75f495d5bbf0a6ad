//! Checked settings for `portcast fetch`, built from the config file's `[sources]` table
//! ([`SourcesConfig`]) and the environment.
//!
//! Each service has a base URL that replaces the scheme, host and path prefix in front of the
//! service's own path (the table in [`Endpoints`] and the README). `PORTCAST_<SERVICE>_URL`
//! overrides the config's `<service>_url`, which overrides the real service. Tests and users behind
//! a mirror point the client elsewhere this way; the request path that follows is always the real
//! service's, so a mock that imitates the documented service works unchanged.

use std::time::Duration;

use serde::Deserialize;

use super::client::ClientConfig;

/// The `[sources]` table: where and how `portcast fetch` reaches the live sources. Every key is
/// optional; [`IngestSettings`] checks the values and applies the defaults and the
/// `PORTCAST_*_URL` environment variables (which override the base URLs given here).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SourcesConfig {
    /// Replaces `https://services9.arcgis.com/weJ1QsnbMYJlCHdG/arcgis/rest/services`.
    pub portwatch_url: Option<String>,
    /// Replaces `https://api.db.nomics.world/v22`.
    pub dbnomics_url: Option<String>,
    /// Replaces `https://data.stats.gov.cn`.
    pub nbs_url: Option<String>,
    /// Replaces `https://en.sse.net.cn`.
    pub scfi_url: Option<String>,
    /// Replaces `https://www.portoflosangeles.org`.
    pub pola_url: Option<String>,
    /// PortWatch port ids to fetch (default port1188, port2027, port664).
    pub ports: Option<Vec<String>>,
    /// Seconds to wait for a TCP + TLS connection (default 10; the SCFI host needs at least 6).
    pub connect_timeout_secs: Option<f64>,
    /// Seconds one whole request may take, body included (default 60).
    pub timeout_secs: Option<f64>,
    /// Retries after a connection error, a timeout, HTTP 5xx or 429 (default 3).
    pub retries: Option<u32>,
    /// First backoff before a retry, in milliseconds; doubled each retry, with jitter (default 1000).
    pub backoff_ms: Option<u64>,
    /// Longest wait before a retry, in seconds, also capping `Retry-After` (default 60).
    pub max_retry_wait_secs: Option<f64>,
    /// Largest response body accepted, in bytes (default 64 MiB).
    pub max_body_bytes: Option<u64>,
    /// Most pages one paged query may take (default 100: 100,000 PortWatch rows).
    pub max_pages: Option<usize>,
    /// Days before the last stored period to fetch again, to catch revisions (default 28).
    pub overlap_days: Option<i64>,
}

/// A `[sources]` value or a `PORTCAST_*_URL` variable that cannot be used (exit 4, like the
/// config file's other errors).
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    #[error("environment variable {var}: {error}")]
    Env {
        var: &'static str,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: UrlError,
    },
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("config [sources] {0}")]
    Sources(SourcesConfigError),
}

/// A value of the `[sources]` table that cannot be used; the message names the key.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SourcesConfigError {
    #[error("{key}: {error}")]
    Url {
        key: &'static str,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: UrlError,
    },
    #[error("{key}: {value} is not a number of seconds in (0, 86400]")]
    Seconds { key: &'static str, value: f64 },
    #[error("retries: {0} is more than 20")]
    Retries(u32),
    #[error("max_body_bytes: must be positive")]
    MaxBodyBytes,
    #[error("max_pages: must be positive")]
    MaxPages,
    #[error("overlap_days: {0} is not in 0..=3660")]
    OverlapDays(i64),
    #[error("ports: the list is empty")]
    NoPorts,
    #[error("ports: `{0}` is not a PortWatch port id such as port1188")]
    BadPort(String),
}

/// A base URL (config or environment) that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`{text}` is not a URL: {reason}")]
    NotAUrl { text: String, reason: String },
    #[error("`{0}`: only http and https URLs are supported")]
    Scheme(String),
    #[error("`{0}`: give the base URL only (scheme, host and path prefix), without `?` or `#`")]
    QueryOrFragment(String),
}

/// The ArcGIS services directory the layer lives in (what `PORTCAST_PORTWATCH_URL` replaces).
pub const PORTWATCH_URL: &str =
    "https://services9.arcgis.com/weJ1QsnbMYJlCHdG/arcgis/rest/services";
/// The DBnomics API root (what `PORTCAST_DBNOMICS_URL` replaces).
pub const DBNOMICS_URL: &str = "https://api.db.nomics.world/v22";
/// The NBS data site (what `PORTCAST_NBS_URL` replaces).
pub const NBS_URL: &str = "https://data.stats.gov.cn";
/// The Shanghai Shipping Exchange's English site (what `PORTCAST_SCFI_URL` replaces).
pub const SCFI_URL: &str = "https://en.sse.net.cn";
/// The Port of Los Angeles site (what `PORTCAST_POLA_URL` replaces).
pub const POLA_URL: &str = "https://www.portoflosangeles.org";

/// PortWatch ports fetched by default: Shanghai, Yangshan, Los Angeles–Long Beach.
pub const DEFAULT_PORTS: [&str; 3] = ["port1188", "port2027", "port664"];

/// Default overlap window, in days: PortWatch revises back data in its weekly updates.
pub const DEFAULT_OVERLAP_DAYS: i64 = 28;

/// Base URLs, without a trailing slash. What each replaces, and the path that follows it:
///
/// | field | default (replaced part) | path appended |
/// |---|---|---|
/// | `portwatch` | `https://services9.arcgis.com/weJ1QsnbMYJlCHdG/arcgis/rest/services` | `/Daily_Ports_Data/FeatureServer/0/query?where=…` |
/// | `dbnomics` | `https://api.db.nomics.world/v22` | `/series/NBS/M_A0B01/A0B0101?observations=1` |
/// | `nbs` | `https://data.stats.gov.cn` | `/easyquery.htm?m=QueryData&…` |
/// | `scfi` | `https://en.sse.net.cn` | `/currentIndex?indexName=scfi` |
/// | `pola` | `https://www.portoflosangeles.org` | `/business/statistics/container-statistics/historical-teu-statistics-YYYY` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    pub portwatch: String,
    pub dbnomics: String,
    pub nbs: String,
    pub scfi: String,
    pub pola: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            portwatch: PORTWATCH_URL.to_string(),
            dbnomics: DBNOMICS_URL.to_string(),
            nbs: NBS_URL.to_string(),
            scfi: SCFI_URL.to_string(),
            pola: POLA_URL.to_string(),
        }
    }
}

/// Everything `fetch` needs besides the store and the command line.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestSettings {
    pub endpoints: Endpoints,
    pub client: ClientConfig,
    pub ports: Vec<String>,
    pub overlap_days: i64,
}

/// The environment variable of each base URL, and the config key it overrides.
pub const URL_VARS: [(&str, &str); 5] = [
    ("PORTCAST_PORTWATCH_URL", "portwatch_url"),
    ("PORTCAST_DBNOMICS_URL", "dbnomics_url"),
    ("PORTCAST_NBS_URL", "nbs_url"),
    ("PORTCAST_SCFI_URL", "scfi_url"),
    ("PORTCAST_POLA_URL", "pola_url"),
];

impl IngestSettings {
    /// Settings from the `[sources]` table and the environment (`env` looks a variable up; the
    /// binary passes `std::env::var`, tests a map).
    pub fn new(
        config: &SourcesConfig,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<IngestSettings, SourcesError> {
        check_sources_config(config).map_err(SourcesError::Sources)?;
        let pick = |(var, key): (&'static str, &'static str),
                    configured: &Option<String>,
                    default: &str| {
            match env(var).filter(|v| !v.trim().is_empty()) {
                Some(value) => {
                    check_base_url(&value).map_err(|error| SourcesError::Env { var, error })
                }
                None => match configured {
                    Some(value) => check_base_url(value).map_err(|error| {
                        SourcesError::Sources(SourcesConfigError::Url { key, error })
                    }),
                    None => Ok(default.to_string()),
                },
            }
        };
        let d = Endpoints::default();
        let endpoints = Endpoints {
            portwatch: pick(URL_VARS[0], &config.portwatch_url, &d.portwatch)?,
            dbnomics: pick(URL_VARS[1], &config.dbnomics_url, &d.dbnomics)?,
            nbs: pick(URL_VARS[2], &config.nbs_url, &d.nbs)?,
            scfi: pick(URL_VARS[3], &config.scfi_url, &d.scfi)?,
            pola: pick(URL_VARS[4], &config.pola_url, &d.pola)?,
        };
        let base = ClientConfig::default();
        let seconds =
            |value: Option<f64>, default: Duration| value.map_or(default, Duration::from_secs_f64);
        let client = ClientConfig {
            connect_timeout: seconds(config.connect_timeout_secs, base.connect_timeout),
            timeout: seconds(config.timeout_secs, base.timeout),
            retries: config.retries.unwrap_or(base.retries),
            backoff: config
                .backoff_ms
                .map_or(base.backoff, Duration::from_millis),
            max_retry_wait: seconds(config.max_retry_wait_secs, base.max_retry_wait),
            max_body_bytes: config.max_body_bytes.unwrap_or(base.max_body_bytes),
            max_pages: config.max_pages.unwrap_or(base.max_pages),
            user_agent: base.user_agent,
        };
        Ok(IngestSettings {
            endpoints,
            client,
            ports: config
                .ports
                .clone()
                .unwrap_or_else(|| DEFAULT_PORTS.iter().map(|p| p.to_string()).collect()),
            overlap_days: config.overlap_days.unwrap_or(DEFAULT_OVERLAP_DAYS),
        })
    }

    /// Settings from the config and the process environment.
    pub fn from_env(config: &SourcesConfig) -> Result<IngestSettings, SourcesError> {
        Self::new(config, &|var| std::env::var(var).ok())
    }
}

/// Check the values of a `[sources]` table; the error names the key. Called when the config
/// file is read (so a bad value is reported with the file's name before any command runs).
pub fn check_sources_config(config: &SourcesConfig) -> Result<(), SourcesConfigError> {
    let urls = [
        ("portwatch_url", &config.portwatch_url),
        ("dbnomics_url", &config.dbnomics_url),
        ("nbs_url", &config.nbs_url),
        ("scfi_url", &config.scfi_url),
        ("pola_url", &config.pola_url),
    ];
    for (key, value) in urls {
        if let Some(value) = value {
            check_base_url(value).map_err(|error| SourcesConfigError::Url { key, error })?;
        }
    }
    let seconds = [
        ("connect_timeout_secs", config.connect_timeout_secs),
        ("timeout_secs", config.timeout_secs),
        ("max_retry_wait_secs", config.max_retry_wait_secs),
    ];
    for (key, value) in seconds {
        if let Some(s) = value
            && !(s.is_finite() && s > 0.0 && s <= 86_400.0)
        {
            return Err(SourcesConfigError::Seconds { key, value: s });
        }
    }
    if let Some(r) = config.retries
        && r > 20
    {
        return Err(SourcesConfigError::Retries(r));
    }
    if config.max_body_bytes == Some(0) {
        return Err(SourcesConfigError::MaxBodyBytes);
    }
    if config.max_pages == Some(0) {
        return Err(SourcesConfigError::MaxPages);
    }
    if let Some(d) = config.overlap_days
        && !(0..=3660).contains(&d)
    {
        return Err(SourcesConfigError::OverlapDays(d));
    }
    if let Some(ports) = &config.ports {
        if ports.is_empty() {
            return Err(SourcesConfigError::NoPorts);
        }
        for port in ports {
            if port.is_empty()
                || !port
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(SourcesConfigError::BadPort(port.clone()));
            }
        }
    }
    Ok(())
}

/// An absolute http(s) URL without query or fragment, trailing slashes removed.
fn check_base_url(text: &str) -> Result<String, UrlError> {
    let trimmed = text.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|e| UrlError::NotAUrl {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Scheme(text.to_string()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::QueryOrFragment(text.to_string()));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults_are_the_real_services() {
        let s = IngestSettings::new(&SourcesConfig::default(), &env(&[])).unwrap();
        assert_eq!(s.endpoints, Endpoints::default());
        assert_eq!(
            s.endpoints.portwatch,
            "https://services9.arcgis.com/weJ1QsnbMYJlCHdG/arcgis/rest/services"
        );
        assert_eq!(s.ports, ["port1188", "port2027", "port664"]);
        assert_eq!(s.client, ClientConfig::default());
        assert!(s.client.connect_timeout >= Duration::from_secs(6));
    }

    #[test]
    fn environment_overrides_config_overrides_default() {
        let config = SourcesConfig {
            scfi_url: Some("http://mirror.example/sse/".into()),
            pola_url: Some("http://mirror.example/pola".into()),
            ..Default::default()
        };
        let s = IngestSettings::new(
            &config,
            &env(&[("PORTCAST_POLA_URL", "http://127.0.0.1:9999")]),
        )
        .unwrap();
        assert_eq!(s.endpoints.scfi, "http://mirror.example/sse");
        assert_eq!(s.endpoints.pola, "http://127.0.0.1:9999");
        assert_eq!(s.endpoints.nbs, "https://data.stats.gov.cn");
    }

    #[test]
    fn bad_values_are_named() {
        let err = IngestSettings::new(
            &SourcesConfig::default(),
            &env(&[("PORTCAST_SCFI_URL", "ftp://x")]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("environment variable PORTCAST_SCFI_URL: `ftp://x`"),
            "{err}"
        );
        let err = IngestSettings::new(
            &SourcesConfig {
                dbnomics_url: Some("not a url".into()),
                ..Default::default()
            },
            &env(&[]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("dbnomics_url"), "{err}");
        for config in [
            SourcesConfig {
                timeout_secs: Some(-1.0),
                ..Default::default()
            },
            SourcesConfig {
                ports: Some(vec!["port 1".into()]),
                ..Default::default()
            },
            SourcesConfig {
                max_pages: Some(0),
                ..Default::default()
            },
        ] {
            assert!(IngestSettings::new(&config, &env(&[])).is_err());
        }
    }
}
