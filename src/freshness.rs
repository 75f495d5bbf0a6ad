//! Is the data current? Per live source, the newest figure known at the as-of time against when
//! the next one was due: a source whose next figure is overdue by more than [`GRACE_DAYS`] is
//! **stale**, and `portcast run` says so first (page, `summary.json`, exit code 6).
//!
//! The next figure of a source is due at the end of the publication period after its newest
//! figure's period, plus the series' release lag (config `[release_lag_days]`): PMI for December
//! is followed by January's on 31 January; a PortWatch day in week W is followed by the rest of
//! the week, due nine days after its Sunday; a Friday SCFI print by the next week's. A week of
//! grace absorbs a skipped holiday print or a release a few days late, so a cron run on data
//! that is current stays silent.
//!
//! A source may publish its figures in more than one series: the Port of Shanghai's official
//! throughput comes as monthly figures, year-to-date figures and calendar-year totals, and the
//! nowcast reads all three (each print pins the months it covers). Such a source is as current as
//! the **newest period any of its prints covers**: a year-to-date figure for November covers
//! January to November, a calendar-year total covers its December. Its next figure is the month
//! after that, due a release lag after the month ends. So official totals for 2023 known in
//! January 2024 make the source current until February's release of January 2024 is overdue,
//! while months inside 2023 that were only ever printed as part of the year stay the nowcast's job
//! (its chart and leave-one-out error show how well it does). A print a source never made cannot
//! make it current: a store whose newest official figure is for 2022 is stale all through the
//! next year, whatever else it holds.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::model::{Frequency, Period};
use crate::series::catalog::ReleaseLags;
use crate::store::Store;

/// Days past the due date before a source counts as stale.
pub const GRACE_DAYS: i64 = 7;

/// A live source and the series that shows how current it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceSpec {
    /// The fetch id (`portcast fetch`), or `shanghai` for the hand-entered official TEU.
    pub id: &'static str,
    pub label: &'static str,
    /// The series whose newest figure stands for the source.
    pub series: &'static str,
    /// Further series of the same releases whose prints count as well: each covers the months
    /// up to the end of its period (a year-to-date figure, a calendar-year total).
    pub also: &'static [&'static str],
    /// How often the source publishes (PortWatch publishes its daily counts weekly).
    pub cadence: Frequency,
    /// What brings it up to date: a command.
    pub remedy: &'static str,
    /// Said after the command, e.g. where a hand-entered figure comes from.
    pub remedy_note: &'static str,
}

/// The sources of the report's data-freshness table, in its order.
pub const SOURCES: &[SourceSpec] = &[
    SourceSpec {
        id: "portwatch",
        label: "IMF PortWatch daily port calls (Shanghai + Yangshan)",
        series: "shanghai_calls",
        also: &[],
        cadence: Frequency::Week,
        remedy: "portcast fetch",
        remedy_note: "",
    },
    SourceSpec {
        id: "pmi",
        label: "NBS manufacturing PMI (DBnomics / NBS)",
        series: "pmi",
        also: &[],
        cadence: Frequency::Month,
        remedy: "portcast fetch",
        remedy_note: "",
    },
    SourceSpec {
        id: "scfi",
        label: "SCFI composite (Shanghai Shipping Exchange)",
        series: "scfi",
        also: &[],
        cadence: Frequency::Week,
        remedy: "portcast fetch",
        remedy_note: "",
    },
    SourceSpec {
        id: "pola",
        label: "Port of Los Angeles monthly TEU",
        series: "la_teu",
        also: &[],
        cadence: Frequency::Month,
        remedy: "portcast fetch",
        remedy_note: "",
    },
    SourceSpec {
        id: "shanghai",
        label: "Port of Shanghai official TEU: monthly, year-to-date and annual prints (entered by hand)",
        series: "shanghai_teu",
        also: &["shanghai_teu_ytd", "shanghai_teu_annual"],
        cadence: Frequency::Month,
        remedy: "portcast data add shanghai_teu YYYY-MM VALUE",
        remedy_note: " with the figure of the SIPG / Ministry of Transport release (there is no API)",
    },
];

/// How current one source is at an as-of time.
#[derive(Clone, Debug, PartialEq)]
pub struct Freshness {
    pub source: &'static SourceSpec,
    /// The newest period with a figure known at the as-of time, and when it became known.
    pub latest: Option<(Period, DateTime<Utc>)>,
    /// The series of that figure: [`SourceSpec::series`] or one of [`SourceSpec::also`].
    pub latest_series: Option<&'static str>,
    /// When the figure after it was due (end of the next publication period + release lag).
    pub next_due: Option<NaiveDate>,
    /// Days from the end of the newest period to the as-of date.
    pub age_days: Option<i64>,
    /// Days from `next_due` to the as-of date (negative: not due yet).
    pub overdue_days: Option<i64>,
    /// Overdue by more than [`GRACE_DAYS`], or no figure at all.
    pub stale: bool,
}

impl Freshness {
    /// "stale", "fresh" or "no data".
    pub fn word(&self) -> &'static str {
        match (&self.latest, self.stale) {
            (None, _) => "no data",
            (_, true) => "stale",
            (_, false) => "fresh",
        }
    }

    /// One sentence for a stale source: which, how old, what was due, what to run.
    pub fn message(&self) -> String {
        let s = self.source;
        match (&self.latest, self.age_days, self.next_due) {
            (Some((p, _)), Some(age), Some(due)) => format!(
                "{}: the newest figure is for {p}{}, {} old; the next was due {due} ({} overdue). Run `{}`{}.",
                s.label,
                self.latest_series
                    .filter(|&id| id != s.series)
                    .map_or(String::new(), |id| format!(" ({id})")),
                human_days(age),
                human_days(self.overdue_days.unwrap_or(0)),
                s.remedy,
                s.remedy_note
            ),
            _ => format!(
                "{}: no figure in the store. Run `{}`{}.",
                s.label, s.remedy, s.remedy_note
            ),
        }
    }
}

/// "12 days", "3 months", "2.9 years".
pub fn human_days(days: i64) -> String {
    let d = days.max(0);
    if d < 62 {
        format!("{d} day{}", if d == 1 { "" } else { "s" })
    } else if d < 730 {
        format!("{} months", (d as f64 / 30.44).round() as i64)
    } else {
        format!("{:.1} years", d as f64 / 365.25)
    }
}

/// Freshness of one source at `as_of`.
pub fn assess_source(
    store: &Store,
    lags: &ReleaseLags,
    source: &'static SourceSpec,
    as_of: DateTime<Utc>,
) -> Freshness {
    // The newest print of each of the source's series; the one reaching furthest wins (the
    // source's own series on a tie: a December figure over the year's total).
    let mut latest: Option<(Period, DateTime<Utc>, &'static str)> = None;
    for &series in std::iter::once(&source.series).chain(source.also) {
        let newest = store
            .view(series, as_of)
            .ok()
            .and_then(|v| v.points.last().map(|p| (p.period, p.known_at)));
        if let Some((p, k)) = newest
            && latest.is_none_or(|(q, _, _)| p.end() > q.end())
        {
            latest = Some((p, k, series));
        }
    }
    let lag = crate::series::catalog::spec(source.series).map_or(0, |spec| lags.lag_days(&spec));
    let today = as_of.date_naive();
    let Some((period, known_at, latest_series)) = latest else {
        return Freshness {
            source,
            latest: None,
            latest_series: None,
            next_due: None,
            age_days: None,
            overdue_days: None,
            stale: true,
        };
    };
    let next = Period::containing(period.end() + Duration::days(1), source.cadence);
    let due = next.end() + Duration::days(lag);
    let overdue = (today - due).num_days();
    Freshness {
        source,
        latest: Some((period, known_at)),
        latest_series: Some(latest_series),
        next_due: Some(due),
        age_days: Some((today - period.end()).num_days()),
        overdue_days: Some(overdue),
        stale: overdue > GRACE_DAYS,
    }
}

/// Freshness of every source of [`SOURCES`] at `as_of`.
pub fn assess(store: &Store, lags: &ReleaseLags, as_of: DateTime<Utc>) -> Vec<Freshness> {
    SOURCES
        .iter()
        .map(|s| assess_source(store, lags, s, as_of))
        .collect()
}

/// When a market's target figure is awaited rather than forecast: the figure of `target` was
/// due (end of the period + the release lag of `lag_days`) more than [`GRACE_DAYS`] before
/// `as_of` and is not known. Returns the due date.
pub fn awaited_since(target: Period, lag_days: i64, as_of: DateTime<Utc>) -> Option<NaiveDate> {
    let due = target.end() + Duration::days(lag_days);
    ((as_of.date_naive() - due).num_days() > GRACE_DAYS).then_some(due)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Observation, Precision, end_of_day, start_of_day};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn pmi_store(months: &[(i32, u32)]) -> Store {
        // Synthetic PMI figures, each known on its month's last day (lag 0).
        Store::from_observations(
            months
                .iter()
                .map(|&(y, m)| {
                    let period = Period::containing(
                        NaiveDate::from_ymd_opt(y, m, 1).unwrap(),
                        Frequency::Month,
                    );
                    Observation {
                        series: Arc::from("pmi"),
                        period,
                        value: 50.0,
                        unit: Arc::from("index"),
                        precision: Precision::Exact,
                        source: Arc::from("test"),
                        known_at: start_of_day(period.end()),
                    }
                })
                .collect(),
        )
    }

    fn date(s: &str) -> DateTime<Utc> {
        end_of_day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    #[test]
    fn a_monthly_source_is_fresh_until_a_week_after_the_next_figure_was_due() {
        let store = pmi_store(&[(2023, 11), (2023, 12)]);
        let lags = ReleaseLags::new(BTreeMap::new());
        let pmi = &SOURCES[1];
        let f = assess_source(&store, &lags, pmi, date("2024-02-07"));
        assert_eq!(f.next_due, NaiveDate::from_ymd_opt(2024, 1, 31));
        assert_eq!(f.overdue_days, Some(7));
        assert!(!f.stale, "{f:?}");
        let f = assess_source(&store, &lags, pmi, date("2024-02-08"));
        assert!(f.stale);
        assert_eq!(f.age_days, Some(39));
        assert!(f.message().contains("2023-12"), "{}", f.message());
        assert!(f.message().contains("portcast fetch"), "{}", f.message());
        // As of a date before December's figure was known, November's is the newest: fresh.
        let f = assess_source(&store, &lags, pmi, date("2023-12-30"));
        assert_eq!(f.latest.unwrap().0.to_string(), "2023-11");
        assert!(!f.stale);
    }

    #[test]
    fn a_config_lag_moves_the_due_date_and_no_data_is_stale() {
        let store = pmi_store(&[(2023, 12)]);
        let lags = ReleaseLags::new(BTreeMap::from([("pmi".to_string(), 10)]));
        let f = assess_source(&store, &lags, &SOURCES[1], date("2024-02-15"));
        assert_eq!(f.next_due, NaiveDate::from_ymd_opt(2024, 2, 10));
        assert!(!f.stale);
        let f = assess_source(&store, &lags, &SOURCES[2], date("2024-02-15"));
        assert!(f.stale);
        assert_eq!(f.word(), "no data");
    }

    /// Synthetic official Shanghai prints: (series, period, known on).
    fn shanghai_store(prints: &[(&str, Period, &str)]) -> Store {
        Store::from_observations(
            prints
                .iter()
                .map(|&(series, period, known)| Observation {
                    series: Arc::from(series),
                    period,
                    value: 1.0,
                    unit: Arc::from("TEU"),
                    precision: Precision::Exact,
                    source: Arc::from("test"),
                    known_at: start_of_day(NaiveDate::parse_from_str(known, "%Y-%m-%d").unwrap()),
                })
                .collect(),
        )
    }

    #[test]
    fn an_official_total_counts_for_the_months_it_covers_and_no_further() {
        let lags = ReleaseLags::new(BTreeMap::new());
        let shanghai = SOURCES.iter().find(|s| s.id == "shanghai").unwrap();
        let m = |y, mo| Period::month(y, mo).unwrap();
        // Monthly prints end 2020-10 (as in the bundle); the 2022 total became known in January
        // 2023, the 2023 total on 2024-01-20.
        let store = shanghai_store(&[
            ("shanghai_teu", m(2020, 10), "2020-11-20"),
            ("shanghai_teu_annual", Period::Year(2022), "2023-01-20"),
            ("shanghai_teu_annual", Period::Year(2023), "2024-01-20"),
        ]);
        // As of 2024-01-20 the 2023 total covers December 2023: January 2024's figure is due
        // 2024-02-20 (lag 20 days).
        let f = assess_source(&store, &lags, shanghai, date("2024-01-20"));
        assert_eq!(f.latest.unwrap().0, Period::Year(2023));
        assert_eq!(f.latest_series, Some("shanghai_teu_annual"));
        assert_eq!(f.next_due, NaiveDate::from_ymd_opt(2024, 2, 20));
        assert_eq!(f.age_days, Some(20));
        assert!(!f.stale, "{f:?}");
        // As of 2023-12-31 the newest print is the 2022 total: the months of 2023 were due
        // from 2023-02-20 on, so the source is stale, and says which print it has.
        let f = assess_source(&store, &lags, shanghai, date("2023-12-31"));
        assert_eq!(f.latest.unwrap().0, Period::Year(2022));
        assert_eq!(f.next_due, NaiveDate::from_ymd_opt(2023, 2, 20));
        assert!(f.stale);
        assert!(
            f.message().contains("for 2022 (shanghai_teu_annual)"),
            "{}",
            f.message()
        );
        // A year-to-date figure for November covers January to November; a monthly figure for
        // the same month wins the tie and is named without a series.
        let store = shanghai_store(&[
            ("shanghai_teu_annual", Period::Year(2022), "2023-01-20"),
            ("shanghai_teu_ytd", m(2023, 11), "2023-12-20"),
            ("shanghai_teu", m(2023, 11), "2023-12-20"),
        ]);
        let f = assess_source(&store, &lags, shanghai, date("2023-12-31"));
        assert_eq!(f.latest.unwrap().0, m(2023, 11));
        assert_eq!(f.latest_series, Some("shanghai_teu"));
        assert_eq!(f.next_due, NaiveDate::from_ymd_opt(2024, 1, 20));
        assert!(!f.stale);
    }

    #[test]
    fn a_target_long_past_its_release_is_awaited() {
        let jan = Period::containing(
            NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            Frequency::Month,
        );
        assert_eq!(awaited_since(jan, 20, date("2024-02-27")), None);
        assert_eq!(
            awaited_since(jan, 20, date("2024-02-28")),
            NaiveDate::from_ymd_opt(2024, 2, 20)
        );
        assert_eq!(human_days(1), "1 day");
        assert_eq!(human_days(90), "3 months");
        assert_eq!(human_days(1066), "2.9 years");
    }
}
