//! The markets file: what a user watches, as TOML (`data/markets.example.toml` is the worked
//! example). Each `[[market]]` names a target (a series, its grid and a period — absolute, a
//! rolling horizon, or "any period within N"), a settlement source, the contract, and optionally a
//! market price, fees, a Kelly fraction, a trading rule and historical prices for backtests.
//!
//! Everything is checked when the file is read: unknown keys (`deny_unknown_fields`), unknown
//! series, malformed periods, contract terms (via `contract.rs`), bucket sets that do not cover the
//! line exactly once, prices outside (0, 1), rules that do not parse. Every error names the file,
//! the line and column, and the market. Pricing lives in `price.rs`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

use super::contract::{Bucket, BucketSet, Contract, ContractError, Strike};
use super::rule::{Rule, RuleError};
use super::sizing::{DEFAULT_FEE_COEFFICIENT, DEFAULT_KELLY_MULTIPLIER};
use crate::model::{Frequency, Period, PeriodParseError};
use crate::series::catalog;

#[derive(Debug, Error)]
pub enum MarketsFileError {
    #[error("cannot read markets file {path}: {error}")]
    Read {
        path: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: std::io::Error,
    },
    #[error("markets file {path}: {message}")]
    Invalid { path: String, message: String },
    #[error("markets file {path}: line {line}: market `{id}`: {error}")]
    Market {
        path: String,
        line: usize,
        id: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: Box<MarketError>,
    },
}

/// What is wrong with one market of the file (the file's error adds its line and id).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum MarketError {
    #[error("`id` must be non-empty without spaces")]
    BadId,
    #[error("unknown series `{0}` (see `portcast data list`)")]
    UnknownSeries(String),
    #[error("a basket needs components")]
    NoComponents,
    #[error("missing `series`")]
    MissingSeries,
    #[error("`{series}` is {period} data and cannot settle by {freq}")]
    Grid {
        series: String,
        period: Frequency,
        freq: Frequency,
    },
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("target: {0}")]
    Target(PeriodParseError),
    #[error(
        "give exactly one of `target = \"PERIOD\"`, `horizon = N` (N ≥ 1) or `within = N` (N ≥ 1)"
    )]
    TargetForm,
    #[error(
        "`{key} = {n}` is over the limit of {max} periods ahead",
        max = crate::limits::MAX_HORIZON
    )]
    TooFar { key: &'static str, n: usize },
    #[error("a binary contract needs exactly one of `k` or `k_change` (> −1)")]
    Strike,
    #[error(transparent)]
    Contract(#[from] ContractError),
    #[error("a basket takes its series from `components`, not `series`")]
    BasketSeries,
    #[error("component `{0}`: weight must be > 0")]
    Weight(String),
    #[error("component `{series}` baseline: {error}")]
    Baseline {
        series: String,
        /// Not `source`: the message already ends with it (printed once, not twice).
        error: PeriodParseError,
    },
    #[error(
        "component `{0}`: give one of `baseline = \"year_ago\"|\"PERIOD\"` or `baseline_value = X` (> 0)"
    )]
    BaselineForm(String),
    #[error("basket weights must sum to 1, got {0}")]
    WeightSum(f64),
    #[error("`within` needs a binary contract on one series (the event holds in any period)")]
    Within,
    #[error("price must be in (0, 1), got {0}")]
    Price(f64),
    #[error("{prices} prices for {buckets} buckets")]
    PriceCount { prices: usize, buckets: usize },
    #[error("bucket price must be in (0, 1), got {0}")]
    BucketPrice(f64),
    #[error("`prices` is for bucket sets; use `price` for one contract")]
    PricesNotBuckets,
    #[error("a bucket set takes `prices = [...]`, one per bucket")]
    BucketsNeedPrices,
    #[error("fee_coefficient must be in [0, 1], got {0}")]
    Fee(f64),
    #[error("kelly_fraction must be in [0, 1], got {0}")]
    Kelly(f64),
    #[error("contracts must be at least 1")]
    NoContracts,
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("when: {0}")]
    Rule(RuleError),
    /// Not `source`: the message already ends with it (printed once, not twice).
    #[error("price_history: {0}")]
    PriceHistoryPeriod(PeriodParseError),
    #[error("price_history {label}: price must be in (0, 1), got {price}")]
    PriceHistory { label: String, price: f64 },
}

/// A checked market.
#[derive(Clone, Debug, PartialEq)]
pub struct Market {
    pub id: String,
    pub question: String,
    pub settlement: String,
    /// The grid the contract settles on (a month, an ISO week, ...).
    pub freq: Frequency,
    pub target: Target,
    pub kind: MarketKind,
    /// The market's YES price now (binary, bracket, scalar; basket).
    pub price: Option<f64>,
    /// Prices per bucket now (bucket sets), in bucket order.
    pub bucket_prices: Option<Vec<f64>>,
    pub fee_coefficient: f64,
    pub kelly_fraction: f64,
    /// Order size the fee is computed for (fees round up per order).
    pub contracts: u64,
    /// A trading rule for the `rules` backtest strategy.
    pub rule: Option<Rule>,
    /// Historical YES prices by as-of period label, the reference for the `model` strategy.
    pub price_history: BTreeMap<Period, f64>,
    /// Line of the `[[market]]` entry, for messages.
    pub line: usize,
}

/// Which period(s) settle the market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// One fixed period.
    Period(Period),
    /// The period `n` steps after the one containing the as-of date (rolls forward in a backtest).
    Horizon(u32),
    /// The event holds in any of the `n` periods after the one containing the as-of date.
    Within(u32),
}

/// What the market pays on.
#[derive(Clone, Debug, PartialEq)]
pub enum MarketKind {
    /// A contract on one series' value. `relative_k`: a binary strike given as a change on the
    /// last value known at the as-of date (`k = last × (1 + change)`).
    Single {
        series: String,
        contract: Contract,
        relative_k: Option<f64>,
    },
    Buckets {
        series: String,
        set: BucketSet,
    },
    /// A contract on a weighted composite of normalised components.
    Basket {
        components: Vec<Component>,
        contract: Contract,
    },
}

impl MarketKind {
    /// Every series the market reads.
    pub fn series(&self) -> Vec<&str> {
        match self {
            MarketKind::Single { series, .. } | MarketKind::Buckets { series, .. } => vec![series],
            MarketKind::Basket { components, .. } => {
                components.iter().map(|c| c.series.as_str()).collect()
            }
        }
    }
}

/// One component of a basket: `weight × value / baseline`.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    pub series: String,
    pub weight: f64,
    pub baseline: Baseline,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Baseline {
    /// A fixed number in the series' unit.
    Value(f64),
    /// The known value of this period.
    Period(Period),
    /// The same period one year earlier (year-on-year normalisation).
    YearAgo,
}

// ---- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default, rename = "market")]
    markets: Vec<Spanned<RawMarket>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    fee_coefficient: Option<f64>,
    kelly_fraction: Option<f64>,
    contracts: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMarket {
    id: String,
    question: String,
    #[serde(default)]
    series: Option<String>,
    #[serde(default)]
    freq: Option<Frequency>,
    #[serde(default)]
    target: Option<String>,
    #[serde(default)]
    horizon: Option<u32>,
    #[serde(default)]
    within: Option<u32>,
    settlement: String,
    contract: RawContract,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    prices: Option<Vec<f64>>,
    #[serde(default)]
    fee_coefficient: Option<f64>,
    #[serde(default)]
    kelly_fraction: Option<f64>,
    #[serde(default)]
    contracts: Option<u64>,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    price_history: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawContract {
    Binary {
        strike: Strike,
        #[serde(default)]
        k: Option<f64>,
        #[serde(default)]
        k_change: Option<f64>,
    },
    Bracket {
        a: f64,
        b: f64,
    },
    Scalar {
        lower: f64,
        upper: f64,
    },
    Buckets {
        #[serde(default)]
        step: f64,
        buckets: Vec<RawBucket>,
    },
    Basket {
        components: Vec<RawComponent>,
        payout: RawPayout,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBucket {
    name: String,
    #[serde(default)]
    lower: Option<f64>,
    #[serde(default)]
    upper: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    series: String,
    weight: f64,
    /// `"year_ago"` or a period label.
    #[serde(default)]
    baseline: Option<String>,
    #[serde(default)]
    baseline_value: Option<f64>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawPayout {
    Binary { strike: Strike, k: f64 },
    Scalar { lower: f64, upper: f64 },
}

/// Read and check a markets file.
pub fn read(path: &Path) -> Result<Vec<Market>, MarketsFileError> {
    let text = crate::limits::read_text_capped(path, crate::limits::MAX_TOML_FILE_BYTES).map_err(
        |error| MarketsFileError::Read {
            path: path.display().to_string(),
            error,
        },
    )?;
    parse(&path.display().to_string(), &text)
}

/// Parse and check the text of a markets file named `label` in messages.
pub fn parse(label: &str, text: &str) -> Result<Vec<Market>, MarketsFileError> {
    let invalid = |message: String| MarketsFileError::Invalid {
        path: label.to_string(),
        message,
    };
    let raw: RawFile =
        toml::from_str(text).map_err(|e| invalid(crate::limits::describe_toml_error(text, &e)))?;
    let defaults = &raw.defaults;
    let mut markets = Vec::with_capacity(raw.markets.len());
    let mut ids = std::collections::HashSet::new();
    for spanned in raw.markets {
        let line = text[..spanned.span().start.min(text.len())]
            .matches('\n')
            .count()
            + 1;
        let m = spanned.into_inner();
        let id = m.id.clone();
        let market = check(m, defaults, line).map_err(|error| MarketsFileError::Market {
            path: label.to_string(),
            line,
            id,
            error: Box::new(error),
        })?;
        if !ids.insert(market.id.clone()) {
            return Err(invalid(format!(
                "line {line}: market id `{}` is used twice",
                market.id
            )));
        }
        markets.push(market);
    }
    if markets.is_empty() {
        return Err(invalid("no [[market]] entries".into()));
    }
    Ok(markets)
}

fn check(m: RawMarket, d: &RawDefaults, line: usize) -> Result<Market, MarketError> {
    if m.id.trim().is_empty() || m.id.contains(char::is_whitespace) {
        return Err(MarketError::BadId);
    }
    let known_series = |id: &str| -> Result<crate::series::catalog::SeriesSpec, MarketError> {
        catalog::spec(id).ok_or_else(|| MarketError::UnknownSeries(id.to_string()))
    };
    // The market's grid: given, or the cadence of its (first) series.
    let first_series = match (&m.series, &m.contract) {
        (Some(s), _) => s.clone(),
        (None, RawContract::Basket { components, .. }) => components
            .first()
            .map(|c| c.series.clone())
            .ok_or(MarketError::NoComponents)?,
        (None, _) => return Err(MarketError::MissingSeries),
    };
    let spec = known_series(&first_series)?;
    let freq = m.freq.unwrap_or(spec.cadence);
    if freq < spec.period && freq != spec.cadence {
        return Err(MarketError::Grid {
            series: first_series,
            period: spec.period,
            freq,
        });
    }
    let target = match (&m.target, m.horizon, m.within) {
        (Some(p), None, None) => {
            Target::Period(Period::parse(p, freq).map_err(MarketError::Target)?)
        }
        (None, Some(h), None) if h >= 1 => Target::Horizon(h),
        (None, None, Some(w)) if w >= 1 => Target::Within(w),
        _ => return Err(MarketError::TargetForm),
    };
    // The documented limit on how far a forecast reaches (src/limits.rs).
    if let Target::Horizon(n) | Target::Within(n) = target
        && n as usize > crate::limits::MAX_HORIZON
    {
        let key = if m.horizon.is_some() {
            "horizon"
        } else {
            "within"
        };
        return Err(MarketError::TooFar { key, n: n as usize });
    }
    let kind = match m.contract {
        RawContract::Binary {
            strike,
            k,
            k_change,
        } => {
            let (k, relative_k) = match (k, k_change) {
                (Some(k), None) => (k, None),
                (None, Some(c)) if c > -1.0 && c.is_finite() => (f64::NAN, Some(c)),
                _ => {
                    return Err(MarketError::Strike);
                }
            };
            let contract = Contract::Binary { strike, k };
            if relative_k.is_none() {
                contract.validate()?;
            }
            MarketKind::Single {
                series: first_series.clone(),
                contract,
                relative_k,
            }
        }
        RawContract::Bracket { a, b } => single(&first_series, Contract::Bracket { a, b })?,
        RawContract::Scalar { lower, upper } => {
            single(&first_series, Contract::Scalar { lower, upper })?
        }
        RawContract::Buckets { step, buckets } => {
            let list = buckets
                .into_iter()
                .map(|b| {
                    (
                        b.name,
                        Bucket {
                            lower: b.lower,
                            upper: b.upper,
                        },
                    )
                })
                .collect();
            let set = BucketSet::new(list, step)?;
            MarketKind::Buckets {
                series: first_series.clone(),
                set,
            }
        }
        RawContract::Basket { components, payout } => {
            if m.series.is_some() {
                return Err(MarketError::BasketSeries);
            }
            let mut out = Vec::new();
            for c in components {
                let cspec = known_series(&c.series)?;
                if !(c.weight.is_finite() && c.weight > 0.0) {
                    return Err(MarketError::Weight(c.series));
                }
                let baseline = match (c.baseline.as_deref(), c.baseline_value) {
                    (Some("year_ago"), None) => Baseline::YearAgo,
                    (Some(p), None) => {
                        Baseline::Period(Period::parse(p, freq.max(cspec.period)).map_err(
                            |error| MarketError::Baseline {
                                series: c.series.clone(),
                                error,
                            },
                        )?)
                    }
                    (None, Some(v)) if v.is_finite() && v > 0.0 => Baseline::Value(v),
                    _ => {
                        return Err(MarketError::BaselineForm(c.series));
                    }
                };
                out.push(Component {
                    series: c.series,
                    weight: c.weight,
                    baseline,
                });
            }
            let total: f64 = out.iter().map(|c| c.weight).sum();
            if (total - 1.0).abs() > 1e-9 {
                return Err(MarketError::WeightSum(total));
            }
            let contract = match payout {
                RawPayout::Binary { strike, k } => Contract::Binary { strike, k },
                RawPayout::Scalar { lower, upper } => Contract::Scalar { lower, upper },
            };
            contract.validate()?;
            MarketKind::Basket {
                components: out,
                contract,
            }
        }
    };
    if matches!(target, Target::Within(_))
        && !matches!(
            kind,
            MarketKind::Single {
                contract: Contract::Binary { .. },
                ..
            }
        )
    {
        return Err(MarketError::Within);
    }
    let price_ok = |p: f64| p > 0.0 && p < 1.0;
    if let Some(p) = m.price
        && !price_ok(p)
    {
        return Err(MarketError::Price(p));
    }
    let bucket_prices = match (&kind, m.prices) {
        (MarketKind::Buckets { set, .. }, Some(prices)) => {
            if prices.len() != set.buckets().len() {
                return Err(MarketError::PriceCount {
                    prices: prices.len(),
                    buckets: set.buckets().len(),
                });
            }
            if let Some(p) = prices.iter().find(|p| !price_ok(**p)) {
                return Err(MarketError::BucketPrice(*p));
            }
            Some(prices)
        }
        (MarketKind::Buckets { .. }, None) => None,
        (_, Some(_)) => {
            return Err(MarketError::PricesNotBuckets);
        }
        (_, None) => None,
    };
    if matches!(kind, MarketKind::Buckets { .. }) && m.price.is_some() {
        return Err(MarketError::BucketsNeedPrices);
    }
    let fee_coefficient = m
        .fee_coefficient
        .or(d.fee_coefficient)
        .unwrap_or(DEFAULT_FEE_COEFFICIENT);
    if !(0.0..=1.0).contains(&fee_coefficient) {
        return Err(MarketError::Fee(fee_coefficient));
    }
    let kelly_fraction = m
        .kelly_fraction
        .or(d.kelly_fraction)
        .unwrap_or(DEFAULT_KELLY_MULTIPLIER);
    if !(0.0..=1.0).contains(&kelly_fraction) {
        return Err(MarketError::Kelly(kelly_fraction));
    }
    let contracts = m.contracts.or(d.contracts).unwrap_or(100);
    if contracts == 0 {
        return Err(MarketError::NoContracts);
    }
    let rule = m
        .when
        .as_deref()
        .map(Rule::parse)
        .transpose()
        .map_err(MarketError::Rule)?;
    let mut price_history = BTreeMap::new();
    for (label, p) in m.price_history {
        let period = Period::parse(&label, freq).map_err(MarketError::PriceHistoryPeriod)?;
        if !price_ok(p) {
            return Err(MarketError::PriceHistory { label, price: p });
        }
        price_history.insert(period, p);
    }
    Ok(Market {
        id: m.id,
        question: m.question,
        settlement: m.settlement,
        freq,
        target,
        kind,
        price: m.price,
        bucket_prices,
        fee_coefficient,
        kelly_fraction,
        contracts,
        rule,
        price_history,
        line,
    })
}

fn single(series: &str, contract: Contract) -> Result<MarketKind, MarketError> {
    contract.validate()?;
    Ok(MarketKind::Single {
        series: series.to_string(),
        contract,
        relative_k: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"
[[market]]
id = "sh-nov"
question = "Shanghai above 4.3M TEU in November 2024?"
series = "shanghai_teu"
target = "2024-11"
settlement = "SIPG monthly release"
contract = { type = "binary", strike = "greater", k = 4.3e6 }
price = 0.55
"#;

    #[test]
    fn the_example_file_is_valid() {
        let markets = parse(
            "data/markets.example.toml",
            include_str!("../../data/markets.example.toml"),
        )
        .unwrap();
        assert_eq!(markets.len(), 9);
        assert!(
            markets
                .iter()
                .any(|m| matches!(m.kind, MarketKind::Basket { .. }))
        );
        assert_eq!(markets.iter().filter(|m| m.rule.is_some()).count(), 2);
    }

    #[test]
    fn a_binary_market_with_defaults() {
        let m = &parse("m.toml", ONE).unwrap()[0];
        assert_eq!(m.freq, Frequency::Month);
        assert_eq!(m.target, Target::Period(Period::month(2024, 11).unwrap()));
        assert_eq!(m.fee_coefficient, 0.07);
        assert_eq!(m.kelly_fraction, 0.25);
        assert_eq!(m.line, 2);
    }

    #[test]
    fn unknown_keys_and_bad_terms_are_located() {
        let err = parse("m.toml", &ONE.replace("price = 0.55", "prise = 0.55"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 9, column 1") && err.contains("unknown field `prise`"),
            "{err}"
        );
        let err = parse("m.toml", &ONE.replace("0.55", "1.5"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2: market `sh-nov`: price must be in (0, 1)"),
            "{err}"
        );
        let err = parse("m.toml", &ONE.replace("shanghai_teu", "shanghai"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown series `shanghai`"), "{err}");
        let err = parse(
            "m.toml",
            &ONE.replace("target = \"2024-11\"", "target = \"2024-W47\""),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("target:"), "{err}");
    }

    #[test]
    fn bucket_sets_must_tile_the_line() {
        let text = r#"
[[market]]
id = "calls-week"
question = "Shanghai container calls next week"
series = "shanghai_calls"
freq = "week"
horizon = 1
settlement = "IMF PortWatch"
contract = { type = "buckets", step = 1, buckets = [
  { name = "<200", upper = 199 },
  { name = "200-249", lower = 200, upper = 249 },
  { name = ">=250", lower = 251 },
] }
"#;
        let err = parse("m.toml", text).unwrap_err().to_string();
        assert!(err.contains("gap between buckets"), "{err}");
        let ok = parse("m.toml", &text.replace("lower = 251", "lower = 250")).unwrap();
        assert!(matches!(ok[0].kind, MarketKind::Buckets { .. }));
        assert_eq!(ok[0].target, Target::Horizon(1));
    }

    #[test]
    fn baskets_check_weights_and_baselines() {
        let text = r#"
[[market]]
id = "basket"
question = "Trade basket up on the year?"
freq = "month"
horizon = 2
settlement = "official prints"
contract = { type = "basket", payout = { type = "binary", strike = "greater", k = 1.0 }, components = [
  { series = "shanghai_calls", weight = 0.6, baseline = "year_ago" },
  { series = "la_teu", weight = 0.4, baseline_value = 800000 },
] }
"#;
        let m = parse("m.toml", text).unwrap();
        assert!(
            matches!(&m[0].kind, MarketKind::Basket { components, .. } if components.len() == 2)
        );
        let err = parse("m.toml", &text.replace("0.6", "0.5"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("weights must sum to 1"), "{err}");
    }
}
