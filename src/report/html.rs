//! The report's one static page, `index.html`, built from plain data: the run's status, data
//! freshness per source, the markets table, then sections of charts (each linking its CSV) and
//! tables.
//!
//! The page works offline and from anywhere: no scripts, no external CSS, fonts or images; every
//! link is relative (checked: [`HtmlError::NotRelative`]) and percent-encoded; every string is
//! HTML-escaped. A Content-Security-Policy forbids loading anything but the report's own files.
//! Layout is one max-width column: images scale to the width, wide tables scroll sideways in
//! their own box, so the page reads on a laptop and on a phone. Each image links to the
//! full-size PNG for zooming on a small screen.

use std::fmt::Write as _;
use std::path::Path;

use crate::output::{Cell, Table};

/// A link that is not a relative path inside the report.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("`{0}` is not a relative link (the report must work from any directory, offline)")]
    NotRelative(String),
    #[error("writing {}", path.display())]
    Write {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Overall outcome of the run, shown at the top of the page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RunState {
    /// Everything fetched (or offline by request) and computed.
    #[default]
    Ok,
    /// Some source failed; the report is built on stored data.
    Degraded,
    /// Parts of the report could not be computed.
    Failed,
    /// Computed, but some source's newest figure is overdue (see [`Page::stale`]).
    Stale,
}

impl RunState {
    fn word(self) -> &'static str {
        match self {
            RunState::Ok => "OK",
            RunState::Degraded => "Degraded",
            RunState::Failed => "Failed",
            RunState::Stale => "Stale data",
        }
    }

    fn class(self) -> &'static str {
        match self {
            RunState::Ok => "ok",
            RunState::Degraded => "degraded",
            RunState::Failed => "failed",
            RunState::Stale => "stale",
        }
    }
}

/// What happened to one source in this run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SourceState {
    /// Fetched (new figures or none due).
    #[default]
    Ok,
    /// Not fetched on purpose (`--offline`, not due yet).
    Skipped,
    /// Fetching failed; older stored figures were used.
    Failed,
}

impl SourceState {
    fn word(self) -> &'static str {
        match self {
            SourceState::Ok => "ok",
            SourceState::Skipped => "skipped",
            SourceState::Failed => "failed",
        }
    }
}

/// One row of the data-freshness table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceRow {
    /// e.g. "IMF PortWatch (Shanghai, Yangshan, LA–Long Beach)".
    pub source: String,
    pub state: SourceState,
    /// e.g. "12 new figures", "offline", "HTTP 503 after 3 attempts".
    pub detail: String,
    /// Newest period the store holds as of the report, e.g. "2024-10-27".
    pub latest_period: Option<String>,
    /// When that figure became known, e.g. "2024-11-05".
    pub known_at: Option<String>,
    /// Whether the data are current at the as-of date, e.g. "fresh" or "stale: 2.9 years old".
    pub freshness: Option<String>,
}

/// A chart on the page: PNG and CSV as links relative to the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figure {
    pub png: String,
    pub alt: String,
    pub caption: String,
    pub csv: Option<String>,
}

/// A table on the page, with its CSV if one was written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableBlock {
    pub caption: String,
    pub table: Table,
    pub csv: Option<String>,
}

/// A section of the page: a heading, some paragraphs, figures, then tables.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Section {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub figures: Vec<Figure>,
    pub tables: Vec<TableBlock>,
}

/// Everything on the page.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// e.g. "portcast report".
    pub title: String,
    /// The as-of date the report was computed for.
    pub as_of: String,
    /// When the run happened (RFC 3339), if the caller wants it shown.
    pub generated: Option<String>,
    /// A prominent warning under the title (e.g. "Synthetic data: layout demonstration").
    pub notice: Option<String>,
    /// One line per stale source (which, how old, what to run): the page's first block.
    pub stale: Vec<String>,
    pub state: RunState,
    /// One line on the status: what failed, or "all sources fetched".
    pub status_message: String,
    pub sources: Vec<SourceRow>,
    pub markets: Option<TableBlock>,
    pub sections: Vec<Section>,
    /// Links to other files of the report (summary.json, tables), as (label, relative path).
    pub files: Vec<(String, String)>,
    /// Closing lines: data citations, licence notes.
    pub footer: Vec<String>,
}

/// Escape text for HTML element content and double-quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A relative link, percent-encoded for an `href`/`src` (then safe in an attribute as is).
/// Refuses absolute paths, URLs with a scheme, protocol-relative and Windows paths, so the
/// page never reaches outside its directory tree or onto the network.
pub fn relative_href(path: &str) -> Result<String, HtmlError> {
    let bad = || HtmlError::NotRelative(path.to_string());
    if path.is_empty() || path.starts_with('/') || path.contains('\\') {
        return Err(bad());
    }
    // "name:" before any '/' is a scheme (http:, file:, data:, javascript:) or a drive letter.
    let first = path.split('/').next().unwrap_or_default();
    if first.contains(':') {
        return Err(bad());
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Ok(out)
}

/// An id for a section anchor: lowercase letters, digits and '-'.
fn slug(s: &str, used: &mut Vec<String>) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let base = format!("s-{}", out.trim_end_matches('-'));
    let mut id = base.clone();
    let mut k = 2;
    while used.contains(&id) {
        id = format!("{base}-{k}");
        k += 1;
    }
    used.push(id.clone());
    id
}

/// A cell as page text: large numbers with thousands separators, small ones with up to four
/// decimals (the CSV keeps every digit).
fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Str(s) => s.clone(),
        Cell::Int(v) => group_thousands(&v.to_string()),
        Cell::Num(v) if !v.is_finite() => String::new(),
        Cell::Num(v) if v.abs() >= 10_000.0 => group_thousands(&format!("{v:.0}")),
        Cell::Num(v) => crate::output::format_decimals(*v, 4),
        Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Cell::Null => String::new(),
    }
}

fn group_thousands(digits: &str) -> String {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

const CSS: &str = "
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#222;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.6em 0 .5em;border-bottom:1px solid #ddd;padding-bottom:.2em}
.meta{color:#555;margin:0}
.notice{background:#fff4d6;border:1px solid #e0b000;padding:.6em .8em;border-radius:6px;font-weight:600}
.status{padding:.6em .8em;border-radius:6px;border:1px solid}
.status.ok{background:#e8f5ee;border-color:#0a7d4f}
.status.degraded{background:#fff4d6;border-color:#b07d00}
.status.stale{background:#fff4d6;border-color:#b07d00}
.status.failed{background:#fde8e4;border-color:#b3261e}
nav ul{padding-left:1.2em;margin:.3em 0}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5em 0 1em;border:1px solid #ddd;border-radius:6px;background:#fff}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;padding:.4em .6em;font-weight:600}
th,td{padding:.35em .6em;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
th{background:#f0f0f0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed td{background:#fde8e4}
tr.skipped td{color:#666}
figure{margin:1em 0 1.6em;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
figure img{display:block;width:100%;height:auto}
figcaption{font-size:.92rem;color:#444;margin-top:.4em;overflow-wrap:anywhere}
a{color:#0b5cad}
footer{margin-top:2.5em;color:#555;font-size:.88rem;border-top:1px solid #ddd;padding-top:.6em}
.hint{display:none;color:#555;font-size:.9rem}
@media (max-width:600px){main{padding:10px}h1{font-size:1.3rem}table{font-size:.85rem}.hint{display:block}}
";

/// The page as HTML text.
pub fn render(page: &Page) -> Result<String, HtmlError> {
    let mut h = String::with_capacity(16 * 1024);
    let title = if page.as_of.is_empty() {
        page.title.clone()
    } else {
        format!("{} — as of {}", page.title, page.as_of)
    };
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Only the report's own images and the inline style may load: no network, no scripts.
    h.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'\">\n",
    );
    // An empty icon, so browsers do not ask the server for /favicon.ico.
    h.push_str("<link rel=\"icon\" href=\"data:,\">\n");
    let _ = writeln!(h, "<title>{}</title>", escape(&title));
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>\n<main>");

    let _ = writeln!(h, "<header>\n<h1>{}</h1>", escape(&page.title));
    let mut meta = Vec::new();
    if !page.as_of.is_empty() {
        meta.push(format!("As of <strong>{}</strong>", escape(&page.as_of)));
    }
    if let Some(g) = &page.generated {
        meta.push(format!("generated {}", escape(g)));
    }
    if !meta.is_empty() {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", meta.join(" · "));
    }
    h.push_str("</header>\n");
    if !page.stale.is_empty() {
        h.push_str("<section id=\"stale\" class=\"notice\" role=\"alert\" aria-label=\"Stale data\"><strong>Stale data: these sources are behind the as-of date, so the forecasts and prices that use them are not current.</strong><ul>\n");
        for line in &page.stale {
            let _ = writeln!(h, "<li>{}</li>", escape(line));
        }
        h.push_str("</ul></section>\n");
    }
    if let Some(n) = &page.notice {
        let _ = writeln!(h, "<p class=\"notice\" role=\"note\">{}</p>", escape(n));
    }

    let _ = writeln!(
        h,
        "<section id=\"status\" class=\"status {}\" aria-label=\"Run status\"><strong>Run status: {}</strong>{}{}</section>",
        page.state.class(),
        page.state.word(),
        if page.status_message.is_empty() {
            ""
        } else {
            " — "
        },
        escape(&page.status_message)
    );

    // Contents.
    let mut used = Vec::new();
    let ids: Vec<String> = page
        .sections
        .iter()
        .map(|s| slug(&s.title, &mut used))
        .collect();
    h.push_str("<nav aria-label=\"Contents\"><h2>Contents</h2><ul>\n");
    h.push_str("<li><a href=\"#sources\">Data freshness</a></li>\n");
    if page.markets.is_some() {
        h.push_str("<li><a href=\"#markets\">Markets</a></li>\n");
    }
    for (s, id) in page.sections.iter().zip(&ids) {
        let _ = writeln!(h, "<li><a href=\"#{id}\">{}</a></li>", escape(&s.title));
    }
    if !page.files.is_empty() {
        h.push_str("<li><a href=\"#files\">Files</a></li>\n");
    }
    h.push_str("</ul></nav>\n");
    h.push_str("<p class=\"hint\">Tap a chart to open it at full size.</p>\n");

    // Data freshness.
    h.push_str("<section id=\"sources\">\n<h2>Data freshness</h2>\n");
    if page.sources.is_empty() {
        h.push_str("<p>No sources reported.</p>\n");
    } else {
        h.push_str("<div class=\"table-wrap\"><table>\n<thead><tr><th>source</th><th>fetch</th><th>detail</th><th>latest period</th><th>known since</th><th>data</th></tr></thead>\n<tbody>\n");
        for s in &page.sources {
            let _ = writeln!(
                h,
                "<tr class=\"{w}\"><td>{}</td><td>{w}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&s.source),
                escape(&s.detail),
                escape(s.latest_period.as_deref().unwrap_or("—")),
                escape(s.known_at.as_deref().unwrap_or("—")),
                escape(s.freshness.as_deref().unwrap_or("—")),
                w = s.state.word(),
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
    }
    h.push_str("</section>\n");

    if let Some(m) = &page.markets {
        h.push_str("<section id=\"markets\">\n<h2>Markets</h2>\n");
        table_block(&mut h, m)?;
        h.push_str("</section>\n");
    }

    for (s, id) in page.sections.iter().zip(&ids) {
        let _ = writeln!(h, "<section id=\"{id}\">\n<h2>{}</h2>", escape(&s.title));
        for p in &s.paragraphs {
            let _ = writeln!(h, "<p>{}</p>", escape(p));
        }
        for f in &s.figures {
            let png = relative_href(&f.png)?;
            let _ = write!(
                h,
                "<figure>\n<a href=\"{png}\"><img src=\"{png}\" alt=\"{}\" width=\"1200\" height=\"700\"></a>\n<figcaption>{}",
                escape(&f.alt),
                escape(&f.caption)
            );
            if let Some(csv) = &f.csv {
                let _ = write!(h, " <a href=\"{}\">Data (CSV)</a>", relative_href(csv)?);
            }
            h.push_str("</figcaption>\n</figure>\n");
        }
        for t in &s.tables {
            table_block(&mut h, t)?;
        }
        h.push_str("</section>\n");
    }

    if !page.files.is_empty() {
        h.push_str("<section id=\"files\">\n<h2>Files</h2>\n<ul>\n");
        for (label, path) in &page.files {
            let _ = writeln!(
                h,
                "<li><a href=\"{}\">{}</a></li>",
                relative_href(path)?,
                escape(label)
            );
        }
        h.push_str("</ul>\n</section>\n");
    }

    if !page.footer.is_empty() {
        h.push_str("<footer>\n");
        for line in &page.footer {
            let _ = writeln!(h, "<p>{}</p>", escape(line));
        }
        h.push_str("</footer>\n");
    }
    h.push_str("</main>\n</body>\n</html>\n");
    Ok(h)
}

fn table_block(h: &mut String, t: &TableBlock) -> Result<(), HtmlError> {
    h.push_str("<div class=\"table-wrap\"><table>\n");
    if !t.caption.is_empty() || t.csv.is_some() {
        let _ = write!(h, "<caption>{}", escape(&t.caption));
        if let Some(csv) = &t.csv {
            let _ = write!(h, " <a href=\"{}\">CSV</a>", relative_href(csv)?);
        }
        h.push_str("</caption>\n");
    }
    h.push_str("<thead><tr>");
    for (i, c) in t.table.columns.iter().enumerate() {
        // A column of numbers gets a right-aligned header, over its right-aligned cells.
        let numeric = t.table.rows.iter().any(|r| is_num(r.get(i)))
            && t.table
                .rows
                .iter()
                .all(|r| is_num(r.get(i)) || matches!(r.get(i), Some(Cell::Null)));
        let class = if numeric { " class=\"num\"" } else { "" };
        let _ = write!(h, "<th{class}>{}</th>", escape(c));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.table.rows {
        h.push_str("<tr>");
        for c in row {
            let class = if matches!(c, Cell::Num(_) | Cell::Int(_)) {
                " class=\"num\""
            } else {
                ""
            };
            let _ = write!(h, "<td{class}>{}</td>", escape(&cell_text(c)));
        }
        h.push_str("</tr>\n");
    }
    if t.table.rows.is_empty() {
        let _ = writeln!(
            h,
            "<tr><td colspan=\"{}\">No rows.</td></tr>",
            t.table.columns.len().max(1)
        );
    }
    h.push_str("</tbody>\n</table></div>\n");
    Ok(())
}

fn is_num(c: Option<&Cell>) -> bool {
    matches!(c, Some(Cell::Num(_) | Cell::Int(_)))
}

/// Render `page` and write it to `path` atomically.
pub fn write(path: &Path, page: &Page) -> Result<(), HtmlError> {
    let html = render(page)?;
    crate::fsutil::write_atomic(path, html.as_bytes()).map_err(|source| HtmlError::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Page {
        let mut markets = Table::new(["market", "fair_price", "price", "edge"]);
        markets.push(vec![
            "Shanghai > 4.3M TEU <Nov>".into(),
            Cell::Num(0.6234567),
            Cell::Num(0.55),
            Cell::Num(0.0734567),
        ]);
        Page {
            title: "portcast report".into(),
            as_of: "2024-11-30".into(),
            generated: Some("2024-12-01T06:00:00Z".into()),
            notice: Some("Synthetic data & <test>".into()),
            stale: vec!["SCFI: the newest figure is <old>".into()],
            state: RunState::Degraded,
            status_message: "SCFI failed: \"timeout\"".into(),
            sources: vec![
                SourceRow {
                    source: "IMF PortWatch".into(),
                    state: SourceState::Ok,
                    detail: "12 new figures".into(),
                    latest_period: Some("2024-11-24".into()),
                    known_at: Some("2024-11-26".into()),
                    freshness: Some("fresh".into()),
                },
                SourceRow {
                    source: "SCFI".into(),
                    state: SourceState::Failed,
                    detail: "HTTP 503 <after 3 tries>".into(),
                    latest_period: None,
                    known_at: None,
                    freshness: None,
                },
            ],
            markets: Some(TableBlock {
                caption: "Fair prices".into(),
                table: markets,
                csv: Some("markets.csv".into()),
            }),
            sections: vec![
                Section {
                    title: "Forecasts".into(),
                    paragraphs: vec!["Median & 50/80/95% bands.".into()],
                    figures: vec![Figure {
                        png: "fan shanghai.png".into(),
                        alt: "Fan \"chart\"".into(),
                        caption: "Shanghai <TEU>".into(),
                        csv: Some("fan shanghai.csv".into()),
                    }],
                    tables: vec![],
                },
                Section {
                    title: "Forecasts".into(),
                    ..Section::default()
                },
            ],
            files: vec![("summary.json".into(), "summary.json".into())],
            footer: vec!["Sources: Kpler; UN Global Platform; IMF PortWatch".into()],
        }
    }

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            escape(r#"<a href="x">Tom & 'Jerry'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("4.3M TEU — 上海"), "4.3M TEU — 上海");
    }

    #[test]
    fn no_raw_user_text_reaches_the_page() {
        let html = render(&page()).unwrap();
        for raw in [
            "<test>",
            "<Nov>",
            "<after 3 tries>",
            "<TEU>",
            "\"timeout\"",
            "Fan \"chart\"",
            "<old>",
        ] {
            assert!(!html.contains(raw), "unescaped {raw}");
        }
        assert!(html.contains("Synthetic data &amp; &lt;test&gt;"));
        assert!(html.contains("alt=\"Fan &quot;chart&quot;\""));
    }

    #[test]
    fn structure_of_the_page() {
        let html = render(&page()).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<meta name=\"viewport\""));
        assert!(html.contains("class=\"status degraded\""));
        assert!(html.contains("Run status: Degraded"));
        // Sources table: the failed one is marked.
        assert!(html.contains("<tr class=\"failed\"><td>SCFI</td><td>failed</td>"));
        assert!(html.contains("<td>—</td>"));
        // Markets: numbers right-aligned and rounded for reading.
        assert!(html.contains("<td class=\"num\">0.6235</td>"));
        assert!(html.contains("<th>market</th><th class=\"num\">fair_price</th>"));
        assert!(html.contains("<a href=\"markets.csv\">CSV</a>"));
        // Figure: image linked to itself, CSV linked, spaces percent-encoded.
        assert!(html.contains("<a href=\"fan%20shanghai.png\"><img src=\"fan%20shanghai.png\""));
        assert!(html.contains("<a href=\"fan%20shanghai.csv\">Data (CSV)</a>"));
        // Two sections with one title get distinct anchors, both in the contents.
        assert!(html.contains("<section id=\"s-forecasts\">"));
        assert!(html.contains("<section id=\"s-forecasts-2\">"));
        assert!(html.contains("href=\"#s-forecasts-2\""));
        // Stale data is the first block after the title, before the run status.
        let stale = html.find("id=\"stale\"").expect("stale block");
        assert!(stale < html.find("id=\"status\"").unwrap());
        assert!(html.contains("<li>SCFI: the newest figure is &lt;old&gt;</li>"));
        // Order: status, freshness, markets, sections, files, footer.
        let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
        assert!(at("id=\"status\"") < at("id=\"sources\""));
        assert!(at("id=\"sources\"") < at("id=\"markets\""));
        assert!(at("id=\"markets\"") < at("id=\"s-forecasts\""));
        assert!(at("id=\"s-forecasts\"") < at("id=\"files\""));
        assert!(at("id=\"files\"") < at("<footer>"));
        // The empty data: icon must be allowed by the policy (else a console error in Chromium).
        assert!(html.contains("<link rel=\"icon\" href=\"data:,\">"));
        assert!(html.contains("img-src 'self' data:;"));
        // Nothing from the network, no scripts.
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script"));
        // Balanced tags for the elements we open.
        for tag in ["section", "table", "figure", "div", "ul", "tr"] {
            let open = html.matches(&format!("<{tag}>")).count()
                + html.matches(&format!("<{tag} ")).count();
            let close = html.matches(&format!("</{tag}>")).count();
            assert_eq!(open, close, "<{tag}> balanced");
        }
    }

    #[test]
    fn refuses_links_out_of_the_report() {
        for bad in [
            "/etc/passwd",
            "http://example.com/x.png",
            "https:x.png",
            "javascript:alert(1)",
            "data:image/png;base64,AAAA",
            "//host/x.png",
            "C:\\x.png",
            "",
        ] {
            assert!(relative_href(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(relative_href("a/b-c_d.png").unwrap(), "a/b-c_d.png");
        assert_eq!(
            relative_href("../2024-11-29/index.html").unwrap(),
            "../2024-11-29/index.html"
        );
        assert_eq!(
            relative_href("x\"><script>.png").unwrap(),
            "x%22%3E%3Cscript%3E.png"
        );
        assert_eq!(relative_href("q?a=1#f").unwrap(), "q%3Fa%3D1%23f");
        let mut p = page();
        p.sections[0].figures[0].png = "https://example.com/x.png".into();
        assert!(matches!(render(&p), Err(HtmlError::NotRelative(_))));
    }

    #[test]
    fn numbers_for_reading() {
        assert_eq!(cell_text(&Cell::Num(4_312_345.4)), "4,312,345");
        assert_eq!(cell_text(&Cell::Num(-12_000.0)), "-12,000");
        assert_eq!(cell_text(&Cell::Num(0.1)), "0.1");
        assert_eq!(cell_text(&Cell::Num(-0.00001)), "0");
        assert_eq!(cell_text(&Cell::Int(1234)), "1,234");
        assert_eq!(cell_text(&Cell::Num(f64::NAN)), "");
        assert_eq!(cell_text(&Cell::Bool(true)), "yes");
    }

    #[test]
    fn empty_page_still_renders() {
        let html = render(&Page::default()).unwrap();
        assert!(html.contains("Run status: OK"));
        assert!(html.contains("No sources reported."));
    }

    #[test]
    fn writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("index.html");
        write(&path, &page()).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("portcast report")
        );
    }
}
