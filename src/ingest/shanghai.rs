//! Official Shanghai monthly TEU: there is no API (figures come from the port operator's and the
//! Ministry of Transport's monthly releases), so this source fetches nothing and says so. The
//! series is kept current with `portcast data add` or a user-maintained snapshot (`--data-dir`).

use super::source::{BoxFuture, FetchContext, Fetched, Source, SourceError, SourceId};

pub struct ShanghaiTeu;

impl Source for ShanghaiTeu {
    fn id(&self) -> SourceId {
        SourceId::Shanghai
    }

    fn fetch<'a>(&'a self, _ctx: &'a FetchContext) -> BoxFuture<'a, Result<Fetched, SourceError>> {
        Box::pin(async { Ok(Fetched::default()) })
    }

    fn manual_note(&self) -> Option<&'static str> {
        Some(
            "official Shanghai monthly TEU has no API: nothing to fetch; add each release with \
             `portcast data add shanghai_teu YYYY-MM VALUE` (or keep a snapshot CSV via --data-dir)",
        )
    }
}
