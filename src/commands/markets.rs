//! `portcast price` and `portcast backtest`: the markets file priced from the forecast at the
//! as-of date, and the same pricing replayed at past as-of dates with first-print settlement.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate};
use clap::{Args, ValueEnum};

use crate::analysis::distribution::DEFAULT_PATHS;
use crate::backtest::engine::{self, Replay, Sources};
use crate::backtest::evaluate::{self, Scores, Strategy, Sweep, Trade, Variant};
use crate::exit::{Exit, UsageError};
use crate::forecast::{ForecastConfig, ModelChoice, ModelKind};
use crate::markets::file::{self, Market};
use crate::markets::paths::ForecastPaths;
use crate::markets::price::{self, PricedMarket};
use crate::markets::sizing::Side;
use crate::model::Frequency;
use crate::output::{Cell, Table};
use crate::settings::Settings;
use crate::store::Store;

/// The example markets file, used when neither `--markets` nor the config names one.
pub const EXAMPLE_MARKETS: &str = include_str!("../../data/markets.example.toml");

/// Flags shared by `price` and `backtest`.
#[derive(Debug, Args, Clone)]
pub struct MarketsArgs {
    /// Markets file (TOML). Default: the config's `markets_file`, else the bundled example
    /// (data/markets.example.toml).
    #[arg(long, value_name = "FILE")]
    pub markets: Option<PathBuf>,
    /// Seed of the forecast's sample paths (same seed, same prices).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Sample paths per forecast.
    #[arg(long, default_value_t = DEFAULT_PATHS)]
    pub paths: usize,
}

/// Read the markets named by the flags or the config, or the bundled example.
pub fn load_markets(settings: &Settings, args: &MarketsArgs) -> anyhow::Result<Vec<Market>> {
    crate::limits::check_flags(None, args.paths)?;
    match args
        .markets
        .clone()
        .or_else(|| settings.config.markets_file.clone())
    {
        Some(path) => Ok(file::read(&path)?),
        None => Ok(file::parse(
            "data/markets.example.toml (bundled)",
            EXAMPLE_MARKETS,
        )?),
    }
}

/// What the forecast sources of a pricing or a backtest are made from: the `[forecast]` config,
/// sample paths and seed. Plain data (`Send + Sync`), so each worker thread of a backtest makes
/// its own [`ForecastSources`] (whose memo is single-threaded) from one spec.
#[derive(Clone, Debug)]
pub struct ForecastSpec {
    pub cfg: ForecastConfig,
    pub n_paths: usize,
    pub seed: u64,
}

impl ForecastSpec {
    pub fn new(settings: &Settings, n_paths: usize, seed: u64) -> Self {
        ForecastSpec {
            cfg: settings.config.forecast.clone(),
            n_paths,
            seed,
        }
    }

    /// Fresh sources: the model and the two references, sharing their training data. The
    /// references are the plain period models: they ignore the published days of the period in
    /// progress, so a score against them includes what those days are worth.
    pub fn sources(&self) -> ForecastSources {
        let model =
            ForecastPaths::new(self.cfg.clone(), ModelChoice::Auto, self.n_paths, self.seed);
        ForecastSources {
            climatology: model
                .with_model(ModelChoice::Named(ModelKind::Climatology))
                .without_known_days(),
            seasonal_naive: model
                .with_model(ModelChoice::Named(ModelKind::SeasonalNaive))
                .without_known_days(),
            model,
        }
    }
}

/// The forecast sources: the model, and the two references.
pub struct ForecastSources {
    pub model: ForecastPaths,
    pub climatology: ForecastPaths,
    pub seasonal_naive: ForecastPaths,
}

impl ForecastSources {
    /// The three sources share their training data (one nowcast per series and date).
    pub fn new(settings: &Settings, n_paths: usize, seed: u64) -> Self {
        ForecastSpec::new(settings, n_paths, seed).sources()
    }

    /// Forget every memoised forecast.
    pub fn clear(&self) {
        self.model.clear();
        self.climatology.clear();
        self.seasonal_naive.clear();
    }

    pub fn sources(&self) -> Sources<'_> {
        Sources {
            model: &self.model,
            climatology: &self.climatology,
            seasonal_naive: &self.seasonal_naive,
        }
    }
}

/// `portcast price`.
#[derive(Debug, Args)]
pub struct PriceArgs {
    #[command(flatten)]
    pub markets: MarketsArgs,
}

pub fn price(settings: &Settings, args: &PriceArgs, out: &mut dyn Write) -> anyhow::Result<Exit> {
    let markets = load_markets(settings, &args.markets)?;
    let store = Store::open(&settings.location)?;
    let sources = ForecastSources::new(settings, args.markets.paths, args.markets.seed);
    let lags = &settings.location.lags;
    let (priced, failures, awaiting) =
        price_all(&store, &sources.model, &markets, lags, settings.as_of);
    price_table(&priced, &awaiting).write(settings.format, out)?;
    for (id, e) in &failures {
        tracing::error!(
            "market `{id}`: not priced: {}",
            in_file(settings, &args.markets, e)
        );
    }
    Ok(if failures.is_empty() {
        Exit::Ok
    } else if failures
        .iter()
        .any(|(_, e)| matches!(e, price::PriceError::TooFar { .. }))
    {
        // A target beyond the documented limits is a bad input, like a bad argument.
        Exit::Usage
    } else {
        Exit::Failure
    })
}

/// A pricing error, prefixed with the markets file when it is about the file's content (a
/// target beyond the limits names its line and key; this names the file).
pub fn in_file(settings: &Settings, args: &MarketsArgs, e: &price::PriceError) -> String {
    match e {
        price::PriceError::TooFar { .. } => {
            let file = args
                .markets
                .clone()
                .or_else(|| settings.config.markets_file.clone())
                .map_or("data/markets.example.toml (bundled)".to_string(), |p| {
                    p.display().to_string()
                });
            format!("{file}: {e}")
        }
        _ => e.to_string(),
    }
}

/// A market whose target figure was due long ago (more than a week past its release lag) and
/// is not in the store: it is awaiting its figure, not a live market, so it gets no edge, side
/// or stake (its `fair` is only the model's guess at a figure already published somewhere).
#[derive(Clone, Debug, PartialEq)]
pub struct Awaiting {
    pub market: String,
    pub target: crate::model::Period,
    /// When the figure was due (end of the period + release lag).
    pub due: NaiveDate,
    /// Days from `due` to the as-of date.
    pub overdue_days: i64,
}

impl Awaiting {
    /// The `status` cell: "awaiting figure of 2024-01 (due 2024-02-20, 2.8 years ago)".
    pub fn status(&self) -> String {
        format!(
            "awaiting figure of {} (due {}, {} ago)",
            self.target,
            self.due,
            crate::freshness::human_days(self.overdue_days)
        )
    }
}

/// Price every market; a market that cannot be priced is reported, not fatal. A market whose
/// target figure is long overdue is returned in the third list, its rows stripped of edge, fee,
/// side and stake.
pub fn price_all(
    store: &Store,
    source: &ForecastPaths,
    markets: &[Market],
    lags: &crate::series::catalog::ReleaseLags,
    as_of: chrono::DateTime<chrono::Utc>,
) -> (
    Vec<PricedMarket>,
    Vec<(String, price::PriceError)>,
    Vec<Awaiting>,
) {
    let mut priced = Vec::new();
    let mut failures = Vec::new();
    let mut awaiting = Vec::new();
    for m in markets {
        match price::price_market(store, source, m, as_of) {
            Ok(mut p) => {
                // A rolling target counts from the last figure known: when a series has not been
                // updated, its target's figure may be long overdue. Then the market is awaiting
                // its figure (which may well be public already), not a market to trade on.
                let lag = m
                    .kind
                    .series()
                    .iter()
                    .filter_map(|s| crate::series::catalog::spec(s))
                    .map(|spec| lags.lag_days(&spec))
                    .max()
                    .unwrap_or(0);
                if let Some(t) = p.rows.first().and_then(|r| r.target.last().copied())
                    && let Some(due) = crate::freshness::awaited_since(t, lag, as_of)
                {
                    let a = Awaiting {
                        market: m.id.clone(),
                        target: t,
                        due,
                        overdue_days: (as_of.date_naive() - due).num_days(),
                    };
                    tracing::warn!(
                        "market `{}`: {}; not priced as a live market: the data of {} need `portcast fetch` (or `portcast data add`)",
                        m.id,
                        a.status(),
                        m.kind.series().join(", ")
                    );
                    for r in &mut p.rows {
                        r.edge = None;
                        r.fee = None;
                        r.edge_after_fees = None;
                        r.side = None;
                        r.kelly_fraction = None;
                    }
                    awaiting.push(a);
                }
                if let Some(o) = p.overround {
                    tracing::info!(
                        "market `{}`: the bucket prices' overround is {:+.4}",
                        m.id,
                        o
                    );
                }
                priced.push(p);
            }
            // A market whose figure is published is settled: reported with its payout, not
            // as a failure (it would fail every cron run until the file is edited).
            Err(price::PriceError::AlreadyKnown { target, value, .. }) => {
                match price::settled_market(store, m, target, value, as_of) {
                    Ok(p) => {
                        tracing::info!(
                            "market `{}`: settled: {target} is published ({}), payout {}",
                            m.id,
                            crate::output::format_number(value),
                            p.rows
                                .iter()
                                .map(|r| crate::output::format_number(r.fair))
                                .collect::<Vec<_>>()
                                .join(", ")
                        );
                        priced.push(p);
                    }
                    Err(e) => failures.push((m.id.clone(), e)),
                }
            }
            Err(e) => failures.push((m.id.clone(), e)),
        }
    }
    (priced, failures, awaiting)
}

/// The columns of `portcast price` and the report's `markets.csv`. Prices, edges and fees are
/// per contract, as a share of its payout (a contract pays 1): hence `_per_payout`.
pub const PRICE_COLUMNS: [&str; 11] = [
    "market",
    "contract",
    "target",
    "fair_per_payout",
    "price_per_payout",
    "edge_per_payout",
    "fee_per_payout",
    "edge_after_fees_per_payout",
    "side",
    "kelly_fraction",
    "status",
];

/// One row per contract: [`PRICE_COLUMNS`]; `status` is `live`, `settled` (its figure is
/// published: `fair` is the payout) or why the market is awaiting its figure.
pub fn price_table(priced: &[PricedMarket], awaiting: &[Awaiting]) -> Table {
    let mut t = Table::new(PRICE_COLUMNS);
    for p in priced {
        let status = match p.settled {
            Some(_) => "settled".to_string(),
            None => awaiting
                .iter()
                .find(|a| a.market == p.market)
                .map_or_else(|| "live".to_string(), Awaiting::status),
        };
        for r in &p.rows {
            t.push(vec![
                r.market.as_str().into(),
                r.contract.as_str().into(),
                target_label(&r.target).into(),
                r.fair.into(),
                r.price.into(),
                r.edge.into(),
                r.fee.into(),
                r.edge_after_fees.into(),
                r.side.map(side_name).into(),
                r.kelly_fraction.into(),
                status.as_str().into(),
            ]);
        }
    }
    t
}

/// `2024-01`, or `2024-01..2024-02` for a `within` market's span.
pub fn target_label(target: &[crate::model::Period]) -> String {
    match (target.first(), target.last()) {
        (Some(a), Some(b)) if a != b => format!("{a}..{b}"),
        (Some(a), _) => a.to_string(),
        _ => String::new(),
    }
}

pub fn side_name(s: Side) -> &'static str {
    match s {
        Side::Yes => "yes",
        Side::No => "no",
        Side::None => "none",
    }
}

/// Strategies to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StrategyArg {
    Model,
    Rules,
    All,
}

/// Which table to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BacktestSection {
    /// Scores per market and strategy, and overall.
    Scores,
    /// Every trade.
    Trades,
    /// Reliability table per strategy (all markets' binary events).
    Reliability,
    /// Every replayed step: fair prices, references, outcome.
    Steps,
    /// Steps that could not be priced, and why.
    Skipped,
}

/// `portcast backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub markets: MarketsArgs,
    /// First as-of date. Default: three years before --to.
    #[arg(long, value_name = "DATE")]
    pub from: Option<NaiveDate>,
    /// Last as-of date. Default: --as-of, or the last date any figure became known, if earlier.
    #[arg(long, value_name = "DATE")]
    pub to: Option<NaiveDate>,
    #[arg(long, value_enum, default_value = "all")]
    pub strategy: StrategyArg,
    /// Only these markets (ids; repeat or comma-separate).
    #[arg(long = "market", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Price only the steps whose target has been printed by the as-of date (the others are
    /// listed as skipped): the scores are the same, the steps table shorter, the replay faster.
    #[arg(long)]
    pub settled_only: bool,
    /// Evaluate every variant, e.g. `threshold=4.0e6..4.6e6:0.05e6`, `kelly=0.1..0.5:0.1`,
    /// `min_edge=0..0.1:0.01`, `rule.pmi=50..54:0.5`; repeat for a grid. Ranked by P&L.
    #[arg(long, value_name = "NAME=LO..HI:STEP")]
    pub sweep: Vec<String>,
    /// Table to print (table and CSV formats; JSON prints every section).
    #[arg(long, value_enum, default_value = "scores")]
    pub section: BacktestSection,
    /// Decision dates on this grid (from --from: every day, every 7 days, every month) instead
    /// of one per market period: `--step day` replays a monthly market at each publication day
    /// of its month, so the scores show what the days already published are worth.
    #[arg(long, value_enum)]
    pub step: Option<StepArg>,
}

/// The grid of a backtest's decision dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StepArg {
    Day,
    Week,
    Month,
}

impl From<StepArg> for Frequency {
    fn from(s: StepArg) -> Self {
        match s {
            StepArg::Day => Frequency::Day,
            StepArg::Week => Frequency::Week,
            StepArg::Month => Frequency::Month,
        }
    }
}

/// A finished backtest: per market the replay, and per strategy the trades and scores.
pub struct BacktestRun {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub replays: Vec<(Market, Replay)>,
    pub results: Vec<(Strategy, Vec<Trade>, Vec<Scores>)>,
}

/// The default window: three years ending at the as-of date or at the last date anything
/// became known, whichever is earlier (so the bundled snapshot backtests over its last years).
pub fn default_window(
    store: &Store,
    as_of: chrono::DateTime<chrono::Utc>,
) -> (NaiveDate, NaiveDate) {
    let last_known = store
        .last_known_at(as_of)
        .map_or(as_of.date_naive(), |t| t.date_naive());
    let to = last_known.min(as_of.date_naive());
    let from = NaiveDate::from_ymd_opt(to.year() - 3, to.month(), to.day().min(28))
        .unwrap_or(to - Duration::days(3 * 365));
    (from, to)
}

/// The dates a backtest replays and how its steps settle.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Steps settle on first prints known by this time (the run's as-of time).
    pub settle_by: chrono::DateTime<chrono::Utc>,
    /// Replay only the steps whose target has a first print by `settle_by`; the others are
    /// listed as skipped, unpriced. A summary that scores forecasts against outcomes needs
    /// nothing else, and pricing a step that can never be scored is most of the work when a
    /// series has stopped updating.
    pub settled_only: bool,
    /// The grid of decision dates; `None`: each market's own period (one date per period).
    pub step: Option<Frequency>,
}

/// Replay and evaluate `markets` over the window's dates.
pub fn run_backtest(
    store: &Store,
    spec: &ForecastSpec,
    markets: &[Market],
    window: &Window,
    strategies: &[Strategy],
) -> anyhow::Result<BacktestRun> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    run_backtest_on(store, spec, markets, window, strategies, workers)
}

/// [`run_backtest`] on `workers` threads (the result is the same for any number).
pub fn run_backtest_on(
    store: &Store,
    spec: &ForecastSpec,
    markets: &[Market],
    window: &Window,
    strategies: &[Strategy],
    workers: usize,
) -> anyhow::Result<BacktestRun> {
    let Window {
        from,
        to,
        settle_by,
        settled_only,
        step,
    } = *window;
    // Date by date, every market stepping on that date: markets on one series share its
    // forecasts at the date (memoised per series, grid and as-of time), and the memo starts
    // empty at each date. Each (series, grid, as-of) is asked for by the markets in file order,
    // as a market-by-market replay would, so the paths and the results are the same. Dates are
    // independent of each other, so they are split into contiguous runs replayed on parallel
    // threads (one per core) and joined back in date order: the result does not depend on the
    // number of threads.
    let mut by_date: std::collections::BTreeMap<NaiveDate, Vec<usize>> = Default::default();
    for (i, m) in markets.iter().enumerate() {
        for date in engine::step_dates(from, to, step.unwrap_or(m.freq)) {
            by_date.entry(date).or_default().push(i);
        }
    }
    let dates: Vec<(NaiveDate, Vec<usize>)> = by_date.into_iter().collect();
    let workers = workers.clamp(1, dates.len().max(1));
    let replay_dates = |chunk: &[(NaiveDate, Vec<usize>)]| {
        let sources = spec.sources();
        let mut steps: Vec<(usize, Replay)> = Vec::new();
        for (date, indices) in chunk {
            for &i in indices {
                let step = engine::replay(
                    store,
                    &markets[i],
                    &sources.sources(),
                    &[*date],
                    settle_by,
                    settled_only,
                    |_, _| {},
                )?;
                steps.push((i, step));
            }
            sources.clear();
        }
        Ok::<_, crate::store::StoreError>(steps)
    };
    let chunk_len = dates.len().div_ceil(workers).max(1);
    let chunks: Vec<Result<Vec<(usize, Replay)>, _>> = if workers <= 1 {
        vec![replay_dates(&dates)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = dates
                .chunks(chunk_len)
                .map(|chunk| scope.spawn(move || replay_dates(chunk)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("backtest worker panicked"))
                .collect()
        })
    };
    let mut replays: Vec<(Market, Replay)> = markets
        .iter()
        .map(|m| (m.clone(), Replay::default()))
        .collect();
    for chunk in chunks {
        for (i, step) in chunk? {
            let replay = &mut replays[i].1;
            replay.rows.extend(step.rows);
            replay.skipped.extend(step.skipped);
        }
    }
    let mut results = Vec::new();
    for &s in strategies {
        let mut trades = Vec::new();
        let mut scores = Vec::new();
        for (m, r) in &replays {
            if s == Strategy::Rules && m.rule.is_none() {
                continue;
            }
            let (t, sc) = evaluate::evaluate(m, &r.rows, s, &Variant::default());
            trades.extend(t);
            scores.push(sc);
        }
        results.push((s, trades, scores));
    }
    Ok(BacktestRun {
        from,
        to,
        replays,
        results,
    })
}

pub fn backtest(
    settings: &Settings,
    args: &BacktestArgs,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let mut markets = load_markets(settings, &args.markets)?;
    if !args.only.is_empty() {
        for id in &args.only {
            if !markets.iter().any(|m| &m.id == id) {
                return Err(UsageError(format!("no market `{id}` in the markets file")).into());
            }
        }
        markets.retain(|m| args.only.contains(&m.id));
    }
    let sweeps = args
        .sweep
        .iter()
        .map(|s| Sweep::parse(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(UsageError)?;
    let store = Store::open(&settings.location)?;
    let (dfrom, dto) = default_window(&store, settings.as_of);
    let to = args.to.unwrap_or(dto);
    let from = args.from.unwrap_or(dfrom.min(to));
    if from > to {
        return Err(UsageError(format!("--from {from} is after --to {to}")).into());
    }
    if to > settings.as_of.date_naive() {
        return Err(UsageError(format!(
            "--to {to} is after the as-of date {}: a backtest only replays the past",
            settings.as_of.date_naive()
        ))
        .into());
    }
    let strategies: Vec<Strategy> = match args.strategy {
        StrategyArg::Model => vec![Strategy::Model],
        StrategyArg::Rules => vec![Strategy::Rules],
        StrategyArg::All => vec![Strategy::Model, Strategy::Rules],
    };
    let spec = ForecastSpec::new(settings, args.markets.paths, args.markets.seed);
    tracing::info!("backtest {from} .. {to}: {} market(s)", markets.len());
    let window = Window {
        from,
        to,
        settle_by: settings.as_of,
        settled_only: args.settled_only,
        step: args.step.map(Into::into),
    };
    let run = run_backtest(&store, &spec, &markets, &window, &strategies)
        .context("replaying the markets")?;
    if !sweeps.is_empty() {
        sweep_table(&run, &sweeps, &strategies).write(settings.format, out)?;
        return Ok(Exit::Ok);
    }
    if settings.format == crate::output::Format::Json {
        let json = serde_json::json!({
            "from": from.to_string(),
            "to": to.to_string(),
            "scores": table_json(&scores_table(&run)),
            "trades": table_json(&trades_table(&run)),
            "reliability": table_json(&reliability_table(&run)),
            "steps": table_json(&steps_table(&run)),
            "skipped": table_json(&skipped_table(&run)),
        });
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(Exit::Ok);
    }
    let table = match args.section {
        BacktestSection::Scores => scores_table(&run),
        BacktestSection::Trades => trades_table(&run),
        BacktestSection::Reliability => reliability_table(&run),
        BacktestSection::Steps => steps_table(&run),
        BacktestSection::Skipped => skipped_table(&run),
    };
    table.write(settings.format, out)?;
    Ok(Exit::Ok)
}

fn table_json(t: &Table) -> serde_json::Value {
    let mut buf = Vec::new();
    t.write(crate::output::Format::Json, &mut buf)
        .expect("in-memory JSON");
    serde_json::from_slice(&buf).expect("valid JSON")
}

/// Per market and strategy, then an overall row per strategy (all markets pooled).
pub fn scores_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "market",
        "strategy",
        "n",
        "brier",
        "log_score",
        "bss_climatology",
        "bss_seasonal_naive",
        "bss_market",
        "crps",
        "trades",
        "hit_rate",
        "pnl_after_fees_payouts",
        "max_drawdown_payouts",
    ]);
    for (strategy, trades, scores) in &run.results {
        for s in scores {
            t.push(score_row(s));
        }
        // Pooled: every settled event of every market.
        let pooled = pooled_scores(run, *strategy, trades);
        t.push(score_row(&pooled));
    }
    t
}

fn score_row(s: &Scores) -> Vec<Cell> {
    vec![
        s.market.as_str().into(),
        s.strategy.as_str().into(),
        s.n.into(),
        s.brier.into(),
        s.log_score.into(),
        s.bss_climatology.into(),
        s.bss_seasonal_naive.into(),
        s.bss_market.into(),
        s.crps.into(),
        s.trades.into(),
        s.hit_rate.into(),
        s.pnl.into(),
        s.max_drawdown.into(),
    ]
}

/// All markets' settled rows scored together (CRPS is left out: units differ by market).
pub fn pooled_scores(run: &BacktestRun, strategy: Strategy, trades: &[Trade]) -> Scores {
    let mut all_rows = Vec::new();
    for (m, r) in &run.replays {
        if strategy == Strategy::Rules && m.rule.is_none() {
            continue;
        }
        all_rows.extend(r.rows.iter().map(|row| {
            let mut row = row.clone();
            row.crps = None;
            row
        }));
    }
    let pseudo = run.replays.first().map(|(m, _)| m.clone());
    let mut scores = match pseudo {
        Some(m) => {
            evaluate::evaluate(
                &m,
                &all_rows,
                Strategy::Model,
                &Variant {
                    min_edge: Some(f64::INFINITY),
                    ..Variant::default()
                },
            )
            .1
        }
        None => Scores::default(),
    };
    scores.market = "ALL".into();
    scores.strategy = strategy.as_str().into();
    let pnl: Vec<f64> = trades.iter().map(|t| t.pnl).collect();
    scores.trades = trades.len();
    scores.pnl = pnl.iter().fold(0.0, |a, b| a + b);
    scores.hit_rate = crate::analysis::score::hit_rate(&pnl).ok();
    scores.max_drawdown = crate::analysis::score::max_drawdown(&pnl).unwrap_or(0.0);
    scores
}

pub fn trades_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "strategy",
        "as_of",
        "market",
        "contract",
        "side",
        "price",
        "reference",
        "fair",
        "payout",
        "fee",
        "pnl",
        "kelly_fraction",
    ]);
    for (strategy, trades, _) in &run.results {
        for tr in trades {
            t.push(vec![
                strategy.as_str().into(),
                tr.as_of.as_str().into(),
                tr.market.as_str().into(),
                tr.contract.as_str().into(),
                tr.side.into(),
                tr.price.into(),
                tr.reference.into(),
                tr.fair.into(),
                tr.payout.into(),
                tr.fee.into(),
                tr.pnl.into(),
                tr.stake_fraction.into(),
            ]);
        }
    }
    t
}

pub fn reliability_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "strategy",
        "bin_low",
        "bin_high",
        "n",
        "mean_predicted",
        "observed",
        "low_90",
        "high_90",
    ]);
    for (strategy, trades, _) in &run.results {
        if *strategy != Strategy::Model {
            continue; // the model's probabilities do not depend on the strategy
        }
        let pooled = pooled_scores(run, *strategy, trades);
        for b in &pooled.reliability {
            t.push(vec![
                "model".into(),
                b.lower.into(),
                b.upper.into(),
                b.count.into(),
                b.mean_predicted.into(),
                b.observed_frequency.into(),
                b.interval_low.into(),
                b.interval_high.into(),
            ]);
        }
    }
    t
}

pub fn steps_table(run: &BacktestRun) -> Table {
    let mut t = Table::new([
        "as_of",
        "market",
        "contract",
        "target",
        "fair_model",
        "fair_climatology",
        "fair_seasonal_naive",
        "market_price",
        "rule_holds",
        "outcome",
        "value",
        "crps",
    ]);
    for (_, r) in &run.replays {
        for s in &r.rows {
            t.push(vec![
                s.as_of.to_string().into(),
                s.market.as_str().into(),
                s.contract.as_str().into(),
                s.target
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into(),
                s.fair_model.into(),
                s.fair_climatology.into(),
                s.fair_seasonal_naive.into(),
                s.market_price.into(),
                s.rule_holds.into(),
                s.outcome.into(),
                s.value.into(),
                s.crps.into(),
            ]);
        }
    }
    t
}

pub fn skipped_table(run: &BacktestRun) -> Table {
    let mut t = Table::new(["as_of", "market", "reason"]);
    for (_, r) in &run.replays {
        for s in &r.skipped {
            t.push(vec![
                s.as_of.to_string().into(),
                s.market.as_str().into(),
                s.reason.as_str().into(),
            ]);
        }
    }
    t
}

/// Every variant of the sweeps on every market, ranked by P&L after fees, with the number of
/// variants tried beside each (a best-of-many result needs that caveat).
pub fn sweep_table(run: &BacktestRun, sweeps: &[Sweep], strategies: &[Strategy]) -> Table {
    let variants = evaluate::variants(sweeps);
    let mut rows: Vec<(f64, Vec<Cell>)> = Vec::new();
    for (m, r) in &run.replays {
        for &s in strategies {
            if s == Strategy::Rules && m.rule.is_none() {
                continue;
            }
            for v in &variants {
                let (_, sc) = evaluate::evaluate(m, &r.rows, s, v);
                rows.push((
                    sc.pnl,
                    vec![
                        m.id.as_str().into(),
                        s.as_str().into(),
                        v.describe().into(),
                        sc.n.into(),
                        sc.brier.into(),
                        sc.trades.into(),
                        sc.hit_rate.into(),
                        sc.pnl.into(),
                        sc.max_drawdown.into(),
                        sc.kelly_bankroll.into(),
                        variants.len().into(),
                    ],
                ));
            }
        }
    }
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut t = Table::new([
        "market",
        "strategy",
        "variant",
        "n",
        "brier",
        "trades",
        "hit_rate",
        "pnl_after_fees_payouts",
        "max_drawdown_payouts",
        "kelly_bankroll",
        "variants_tried",
    ]);
    for (rank, (_, mut row)) in rows.into_iter().enumerate() {
        row.insert(0, (rank + 1).into());
        t.rows.push(row);
    }
    t.columns.insert(0, "rank".into());
    t
}
