//! The live PMI source: the NBS manufacturing PMI and its sub-indices from the DBnomics mirror,
//! with NBS's own easyquery service as the fallback when DBnomics fails.
//!
//! The codes and their series ids are [`super::nbs::PMI_SERIES`]; the formats are parsed by
//! [`super::dbnomics`] and [`super::nbs`]. DBnomics returns each series' whole history, so there
//! is nothing to narrow; easyquery is asked for the months from the incremental window's start.
//! A sub-index DBnomics does not have (HTTP 404; A0B0104 is UNVERIFIED in SOURCES-API.md) is
//! skipped with a note rather than failing the headline PMI.

use chrono::{Datelike, NaiveDate};

use super::client::HttpError;
use super::dbnomics;
use super::nbs::{self, PMI_SERIES};
use super::parsed::ParsedPoint;
use super::source::{BoxFuture, FetchContext, Fetched, Source, SourceError, SourceId, error_chain};

/// The headline code: without it the DBnomics fetch has failed.
const HEADLINE: &str = "A0B0101";

/// The first month NBS publishes the manufacturing PMI for.
const FIRST_MONTH: &str = "200501";

pub struct PmiSource;

impl Source for PmiSource {
    fn id(&self) -> SourceId {
        SourceId::Pmi
    }

    fn fetch<'a>(&'a self, ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async move {
            let primary = match from_dbnomics(ctx).await {
                Ok(fetched) => return Ok(fetched),
                Err(e) => e,
            };
            let primary_error = error_chain(&primary);
            tracing::warn!("pmi: DBnomics failed ({primary_error}); trying NBS easyquery");
            match from_easyquery(ctx).await {
                Ok(mut fetched) => {
                    fetched.notes.insert(
                        0,
                        format!(
                            "DBnomics failed ({primary_error}); used the NBS easyquery fallback"
                        ),
                    );
                    Ok(fetched)
                }
                Err(fallback) => Err(SourceError::BothFailed {
                    primary: "DBnomics",
                    primary_error,
                    fallback: "NBS easyquery",
                    fallback_error: error_chain(&fallback),
                }),
            }
        })
    }
}

async fn from_dbnomics(ctx: &FetchContext) -> Result<Fetched, SourceError> {
    let base = &ctx.endpoints.dbnomics;
    let mut points = Vec::new();
    let mut missing = Vec::new();
    for (code, series) in PMI_SERIES {
        let text = dbnomics::series_url(base, code);
        let url = parse_url(&text)?;
        ctx.progress
            .set_message(format!("DBnomics {code} ({series})"));
        match ctx
            .client
            .get(&url, &[("accept", "application/json")])
            .await
        {
            Ok(body) => points
                .extend(dbnomics::parse_series(&body).map_err(|e| HttpError::format(&url, e))?),
            Err(e) if e.status() == Some(404) && code != HEADLINE => {
                missing.push(format!("{code} ({series})"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut notes = Vec::new();
    if !missing.is_empty() {
        notes.push(format!(
            "DBnomics has no series {} (HTTP 404 at {}); skipped",
            missing.join(", "),
            dbnomics::series_url(base, "CODE")
        ));
    }
    Ok(Fetched {
        points,
        provenance: format!("NBS via DBnomics {base}{}", dbnomics::DATASET_PATH),
        notes,
    })
}

async fn from_easyquery(ctx: &FetchContext) -> Result<Fetched, SourceError> {
    let wanted = |id: &str| PMI_SERIES.iter().any(|(_, s)| *s == id);
    let from = ctx
        .window_start_where(wanted)
        .map_or(FIRST_MONTH.to_string(), yyyymm);
    let periods = format!("{from}-{}", yyyymm(ctx.today));
    let endpoint = format!("{}{}", ctx.endpoints.nbs, nbs::EASYQUERY_PATH);
    let url = reqwest::Url::parse_with_params(&endpoint, nbs::easyquery_params("A0B01", &periods))
        .map_err(|e| HttpError::Url {
            url: endpoint.clone(),
            message: e.to_string(),
        })?;
    ctx.progress.set_message(format!("NBS easyquery {periods}"));
    let body = ctx
        .client
        .get(&url, &[("accept", "application/json")])
        .await?;
    let all = nbs::parse_easyquery(&body).map_err(|e| HttpError::format(&url, e))?;
    // The A0B01 table has more indicators than portcast keeps (backlog, prices, ...).
    let points: Vec<ParsedPoint> = all.into_iter().filter(|p| wanted(&p.series)).collect();
    Ok(Fetched {
        points,
        provenance: format!("NBS easyquery {endpoint}"),
        notes: Vec::new(),
    })
}

fn yyyymm(date: NaiveDate) -> String {
    format!("{:04}{:02}", date.year(), date.month())
}

fn parse_url(text: &str) -> Result<reqwest::Url, HttpError> {
    reqwest::Url::parse(text).map_err(|e| HttpError::Url {
        url: text.to_string(),
        message: e.to_string(),
    })
}
