//! PNG charts for the report: plain data in, a PNG file (and the plotted data as a table) out.
//!
//! One struct per chart kind, each implementing [`Chart`]:
//! - [`FanChart`]: history, official prints, forecast median and 50/80/95% bands (`fan`);
//! - [`CcfChart`]: cross-correlation bars by lag with the null band and the best lag (`ccf`);
//! - [`LineChart`]: named series over dates with optional interval bands, e.g. the rolling best
//!   lag or a nowcast against the official prints (`lines`);
//! - [`CdfChart`] and [`BucketChart`]: a market's predictive CDF with strikes and market prices,
//!   and bucket probabilities against market prices (`market`);
//! - [`ReliabilityChart`], [`PnlChart`], [`SkillChart`]: the backtest's reliability diagram,
//!   cumulative P&L with drawdowns shaded, and Brier skill by market (`backtest`).
//!
//! Every chart has a title, axes named with units, and a source line at the bottom, and is
//! 1200×700 px by default (readable on a laptop; the page links the full-size image for phones).
//! Non-finite values are skipped (a line breaks at a gap); a chart with nothing finite to show
//! is drawn with a "no data" note instead of failing, so one empty input never costs the report.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (`assets/fonts`), registered with
//! plotters exactly once ([`ensure_font`]), so no system font library is needed; plotters'
//! `ab_glyph` backend fails at run time if no font is registered, which is why every entry
//! point goes through [`ensure_font`]. Drawing happens in memory; the PNG is encoded with the
//! `png` crate (already in the tree through plotters) and written atomically.

mod backtest;
mod canvas;
mod ccf;
mod fan;
mod lines;
mod market;
mod scale;

pub use backtest::{Drawdown, drawdowns};
pub use backtest::{PnlChart, ReliabilityChart, ReliabilityPoint, SkillBar, SkillChart};
pub use ccf::{CcfBar, CcfChart};
pub use fan::{FAN_PROBABILITIES, FanChart, FanStep};
pub use lines::{Band, LineChart, RefLine, Series, SeriesStyle};
pub use market::{Bucket, BucketChart, CdfChart, Strike, empirical_cdf};
pub use scale::{format_short, format_tick};

use scale::{Scale, date_extent, day, extent, pad};

use std::error::Error as StdError;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::output::Table;

/// Default image size in pixels: wide enough for a laptop screen at full width.
pub const SIZE: (u32, u32) = (1200, 700);

/// The family name the embedded font is registered under (plotters' default family, so every
/// text style resolves to it).
pub const FONT_FAMILY: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Drawing or writing a chart failed.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the embedded chart font could not be registered")]
    Font,
    #[error("drawing the chart `{title}`: {message}")]
    Draw { title: String, message: String },
    #[error("encoding the chart `{title}` as PNG")]
    Encode {
        title: String,
        #[source]
        source: png::EncodingError,
    },
    #[error("writing {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Register the embedded font with plotters, once per process; later calls are free.
///
/// Every chart calls this before drawing: with plotters' `ab_glyph` text backend, drawing any
/// text before a font is registered is a run-time error, not a build error.
pub fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// What an axis measures and in which unit: `Axis::new("Shanghai throughput", "TEU")` is drawn
/// as "Shanghai throughput (TEU)".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Axis {
    pub name: String,
    /// Empty for a dimensionless quantity (a correlation, a probability).
    pub unit: String,
}

impl Axis {
    pub fn new(name: impl Into<String>, unit: impl Into<String>) -> Axis {
        Axis {
            name: name.into(),
            unit: unit.into(),
        }
    }

    /// The axis description drawn beside the axis.
    pub fn desc(&self) -> String {
        if self.unit.is_empty() {
            self.name.clone()
        } else {
            format!("{} ({})", self.name, self.unit)
        }
    }
}

/// The words on a chart: title, both axes, and the source line at the bottom
/// (e.g. "Source: IMF PortWatch; portcast forecast as of 2023-12-31").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    pub title: String,
    pub x: Axis,
    pub y: Axis,
    pub source: String,
}

impl Labels {
    pub fn new(title: impl Into<String>, x: Axis, y: Axis, source: impl Into<String>) -> Labels {
        Labels {
            title: title.into(),
            x,
            y,
            source: source.into(),
        }
    }
}

/// A chart: drawn to PNG, and its plotted data as a table (the CSV linked beside it).
pub trait Chart {
    fn labels(&self) -> &Labels;

    /// The chart as PNG bytes.
    fn png(&self) -> Result<Vec<u8>, ChartError>;

    /// The plotted data, one row per point, with units in the column names.
    fn table(&self) -> Table;

    /// Write the PNG to `path` atomically (temporary file in the same directory, then rename).
    fn write_png(&self, path: &Path) -> Result<(), ChartError> {
        let bytes = self.png()?;
        crate::fsutil::write_atomic(path, &bytes).map_err(|source| ChartError::Write {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Alternative text for the image on the page: the title and what the axes show.
    fn alt_text(&self) -> String {
        let l = self.labels();
        format!("{}: {} against {}", l.title, l.y.desc(), l.x.desc())
    }
}

// ---------------------------------------------------------------------------------------------
// Shared drawing machinery (private to the chart kinds).

type Coord = Cartesian2d<Ticked, Ticked>;
type Ctx<'a, 'b> = ChartContext<'a, canvas::Canvas<'b>, Coord>;
type Area<'b> = DrawingArea<canvas::Canvas<'b>, Shift>;
type DrawResult<T = ()> = Result<T, Box<dyn StdError>>;

/// A linear f64 axis whose grid lines and labels sit exactly at the ticks we chose (plotters'
/// own choice knows nothing of months or of our number format).
#[derive(Clone, Debug)]
struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        // Bounded, so a stray far-off value cannot send the rasteriser across millions of pixels.
        let t = ((v - self.lo) / (self.hi - self.lo)).clamp(-4.0, 5.0);
        limit.0 + (t * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl Scale {
    fn ticked(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
        }
    }
}

/// Colour-blind-safe colours (Okabe–Ito).
mod colour {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const SKY: RGBColor = RGBColor(86, 180, 233);
    pub const INK: RGBColor = RGBColor(40, 40, 40);
    pub const GREY: RGBColor = RGBColor(120, 120, 120);
    pub const GRID: RGBColor = RGBColor(226, 226, 226);
    pub const PALETTE: [RGBColor; 6] = [BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY];

    /// `c` mixed with white: `amount` 0 is white, 1 is `c` (an opaque tint, so stacked bands
    /// keep the colours their legend shows).
    pub fn tint(c: RGBColor, amount: f64) -> RGBColor {
        let mix = |v: u8| (255.0 - (255.0 - v as f64) * amount).round() as u8;
        RGBColor(mix(c.0), mix(c.1), mix(c.2))
    }
}

/// Marker shapes for points.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Circle,
    Diamond,
}

/// What a legend entry shows before its label.
#[derive(Clone, Copy, Debug)]
enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Fill(RGBColor),
    Point(RGBColor, Marker),
}

struct LegendItem {
    swatch: Swatch,
    label: String,
}

fn item(swatch: Swatch, label: impl Into<String>) -> LegendItem {
    LegendItem {
        swatch,
        label: label.into(),
    }
}

/// Everything a chart needs drawn around its data: the words, the legend, the two scales.
struct Frame<'l> {
    labels: &'l Labels,
    size: (u32, u32),
    legend: Vec<LegendItem>,
    x: Scale,
    y: Scale,
    /// `Some(note)`: nothing to plot; draw the note in place of the plot.
    empty: Option<String>,
    /// Pixels reserved left of the plot for the y tick labels and description (computed from
    /// the labels when `None`).
    y_label_area: Option<u32>,
    /// Draw vertical grid lines (off for bar charts over categories).
    x_grid: bool,
}

impl<'l> Frame<'l> {
    fn new(labels: &'l Labels, x: Scale, y: Scale) -> Frame<'l> {
        Frame {
            labels,
            size: SIZE,
            legend: Vec::new(),
            x,
            y,
            empty: None,
            y_label_area: None,
            x_grid: true,
        }
    }

    /// A frame for a chart with nothing to plot.
    fn empty(labels: &'l Labels, why: impl Into<String>) -> Frame<'l> {
        let mut f = Frame::new(
            labels,
            Scale::linear(0.0, 1.0, 5),
            Scale::linear(0.0, 1.0, 5),
        );
        f.empty = Some(why.into());
        f
    }
}

const TITLE_PX: u32 = 28;
const DESC_PX: u32 = 19;
const TICK_PX: u32 = 16;
const LEGEND_PX: u32 = 17;
const NOTE_PX: u32 = 16;
const SOURCE_PX: u32 = 15;

fn font(px: u32) -> TextStyle<'static> {
    TextStyle::from((FONT_FAMILY, px).into_font()).color(&colour::INK)
}

/// Draw the frame and, unless it is empty, the data through `plot`; return PNG bytes.
fn render(
    frame: Frame<'_>,
    plot: impl FnOnce(&mut Ctx<'_, '_>) -> DrawResult,
) -> Result<Vec<u8>, ChartError> {
    ensure_font()?;
    let (w, h) = frame.size;
    let mut buf = vec![255u8; w as usize * h as usize * 3];
    let title = frame.labels.title.clone();
    {
        let root = canvas::Canvas::new(&mut buf, (w, h)).into_drawing_area();
        draw(&root, &frame, plot)
            .and_then(|()| root.present().map_err(Into::into))
            .map_err(|e| ChartError::Draw {
                title: title.clone(),
                message: e.to_string(),
            })?;
    }
    encode_png(&buf, w, h, frame.labels)
}

fn encode_png(rgb: &[u8], w: u32, h: u32, labels: &Labels) -> Result<Vec<u8>, ChartError> {
    let err = |source| ChartError::Encode {
        title: labels.title.clone(),
        source,
    };
    let mut out = Vec::with_capacity(64 * 1024);
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Measured on the eight chart kinds (benches/bench.rs, release): fast deflate with
        // adaptive row filters draws and encodes a chart in about 3.5 ms at ~63 kB; the default
        // level takes ~20 ms for ~46 kB; fast without adaptive filters ~108 kB. A report holds
        // a dozen or more charts and the whole run has a one-second budget.
        enc.set_compression(png::Compression::Fast);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        // Provenance travels with the image when it is copied out of the report.
        let _ = enc.add_text_chunk("Title".to_string(), ascii_only(&labels.title));
        let _ = enc.add_text_chunk("Source".to_string(), ascii_only(&labels.source));
        let _ = enc.add_text_chunk("Software".to_string(), "portcast".to_string());
        let mut writer = enc.write_header().map_err(err)?;
        writer.write_image_data(rgb).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}

/// tEXt chunks are Latin-1; keep printable ASCII and replace the rest.
fn ascii_only(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn draw(
    root: &Area<'_>,
    frame: &Frame<'_>,
    plot: impl FnOnce(&mut Ctx<'_, '_>) -> DrawResult,
) -> DrawResult {
    root.fill(&WHITE)?;
    let (w, h) = frame.size;
    let title_h = 54u32;
    let footer_h = 34u32;

    let (top, rest) = root.split_vertically(title_h);
    let (text, px) = fit(&top, &frame.labels.title, TITLE_PX, 16, w - 40)?;
    top.draw_text(
        &text,
        &font(px).pos(Pos::new(HPos::Center, VPos::Center)),
        (w as i32 / 2, title_h as i32 / 2 + 2),
    )?;

    let (middle, footer) = rest.split_vertically(h - title_h - footer_h);
    let (source, px) = fit(&footer, &frame.labels.source, SOURCE_PX, 11, w - 32)?;
    footer.draw_text(
        &source,
        &font(px)
            .color(&colour::GREY)
            .pos(Pos::new(HPos::Left, VPos::Center)),
        (16, footer_h as i32 / 2),
    )?;

    let rows = legend_layout(&middle, &frame.legend, w - 120)?;
    let legend_h = if rows.is_empty() {
        0
    } else {
        rows.len() as u32 * 26 + 12
    };
    let (legend_area, plot_area) = middle.split_vertically(legend_h);
    draw_legend(&legend_area, &frame.legend, &rows)?;

    if let Some(note) = &frame.empty {
        let (pw, ph) = plot_area.dim_in_pixel();
        plot_area.draw(&Rectangle::new(
            [(60, 10), (pw as i32 - 30, ph as i32 - 10)],
            colour::GRID.stroke_width(1),
        ))?;
        plot_area.draw_text(
            note,
            &font(22)
                .color(&colour::GREY)
                .pos(Pos::new(HPos::Center, VPos::Center)),
            (pw as i32 / 2, ph as i32 / 2),
        )?;
        return Ok(());
    }

    let y_area = match frame.y_label_area {
        Some(px) => px,
        None => {
            let tick_style = font(TICK_PX);
            let mut widest = 0;
            for &t in &frame.y.ticks {
                widest = widest.max(
                    plot_area
                        .estimate_text_size(&frame.y.label(t), &tick_style)?
                        .0,
                );
            }
            widest + 52
        }
    };

    let x = &frame.x;
    let y = &frame.y;
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_left(8)
        .margin_right(34)
        .margin_top(8)
        .margin_bottom(4)
        .x_label_area_size(62)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x.ticked(), y.ticked())?;
    let x_fmt = |v: &f64| x.label(*v);
    let y_fmt = |v: &f64| y.label(*v);
    let mut mesh = chart.configure_mesh();
    mesh.x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(frame.labels.x.desc())
        .y_desc(frame.labels.y.desc())
        .label_style(font(TICK_PX))
        .axis_desc_style(font(DESC_PX))
        .bold_line_style(colour::GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(colour::GREY.stroke_width(1));
    if !frame.x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    plot(&mut chart)
}

/// `text` at the largest size from `max_px` down to `min_px` that fits `width`, shortened with
/// an ellipsis if even the smallest does not.
fn fit(
    area: &Area<'_>,
    text: &str,
    max_px: u32,
    min_px: u32,
    width: u32,
) -> DrawResult<(String, u32)> {
    let mut px = max_px;
    loop {
        if area.estimate_text_size(text, &font(px))?.0 <= width || px <= min_px {
            break;
        }
        px -= 1;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut keep = chars.len();
    let mut s = text.to_string();
    while keep > 1 && area.estimate_text_size(&s, &font(px))?.0 > width {
        keep -= 1;
        s = chars[..keep]
            .iter()
            .collect::<String>()
            .trim_end()
            .to_string()
            + "…";
    }
    Ok((s, px))
}

const SWATCH_W: i32 = 30;

/// Legend entries laid out in rows within `width`: (row, x offset) per item.
fn legend_layout(
    area: &Area<'_>,
    items: &[LegendItem],
    width: u32,
) -> DrawResult<Vec<Vec<(usize, i32)>>> {
    let mut rows: Vec<Vec<(usize, i32)>> = Vec::new();
    let mut x = 0i32;
    for (i, it) in items.iter().enumerate() {
        let tw = area.estimate_text_size(&it.label, &font(LEGEND_PX))?.0 as i32;
        let need = SWATCH_W + 8 + tw + 28;
        if rows.is_empty() || (x + need > width as i32 && x > 0) {
            rows.push(Vec::new());
            x = 0;
        }
        rows.last_mut().expect("a row").push((i, x));
        x += need;
    }
    Ok(rows)
}

fn draw_legend(area: &Area<'_>, items: &[LegendItem], rows: &[Vec<(usize, i32)>]) -> DrawResult {
    let left = 80;
    for (r, row) in rows.iter().enumerate() {
        let cy = 18 + r as i32 * 26;
        for &(i, dx) in row {
            let x = left + dx;
            let it = &items[i];
            match it.swatch {
                Swatch::Line(c) => {
                    area.draw(&PathElement::new(
                        vec![(x, cy), (x + SWATCH_W, cy)],
                        c.stroke_width(4),
                    ))?;
                }
                Swatch::Dashed(c) => {
                    for k in 0..3 {
                        let x0 = x + k * 12;
                        area.draw(&PathElement::new(
                            vec![(x0, cy), (x0 + 7, cy)],
                            c.stroke_width(4),
                        ))?;
                    }
                }
                Swatch::Fill(c) => {
                    area.draw(&Rectangle::new(
                        [(x, cy - 8), (x + SWATCH_W, cy + 8)],
                        c.filled(),
                    ))?;
                }
                Swatch::Point(c, m) => draw_marker_px(area, (x + SWATCH_W / 2, cy), m, c, 6)?,
            }
            area.draw_text(
                &it.label,
                &font(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center)),
                (x + SWATCH_W + 8, cy),
            )?;
        }
    }
    Ok(())
}

/// A marker at a pixel position of a plain drawing area (the legend).
fn draw_marker_px(area: &Area<'_>, at: (i32, i32), m: Marker, c: RGBColor, r: i32) -> DrawResult {
    match m {
        Marker::Circle => {
            area.draw(&Circle::new(at, r, c.filled()))?;
            area.draw(&Circle::new(at, r, WHITE.stroke_width(1)))?;
        }
        Marker::Diamond => {
            let (x, y) = at;
            let pts = vec![
                (x, y - r - 2),
                (x + r + 2, y),
                (x, y + r + 2),
                (x - r - 2, y),
            ];
            area.draw(&Polygon::new(pts.clone(), c.filled()))?;
        }
    }
    Ok(())
}

/// Markers at data coordinates.
fn draw_markers(
    chart: &mut Ctx<'_, '_>,
    points: &[(f64, f64)],
    m: Marker,
    c: RGBColor,
    r: i32,
) -> DrawResult {
    match m {
        Marker::Circle => {
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| EmptyElement::at(p) + Circle::new((0, 0), r, c.filled())),
            )?;
            chart.draw_series(
                points
                    .iter()
                    .map(|&p| EmptyElement::at(p) + Circle::new((0, 0), r, WHITE.stroke_width(1))),
            )?;
        }
        Marker::Diamond => {
            let s = r + 2;
            chart.draw_series(points.iter().map(|&p| {
                EmptyElement::at(p)
                    + Polygon::new(vec![(0, -s), (s, 0), (0, s), (-s, 0)], c.filled())
            }))?;
        }
    }
    Ok(())
}

/// A polyline broken at non-finite points: each finite run is drawn as its own path.
fn draw_line(
    chart: &mut Ctx<'_, '_>,
    points: &[(f64, f64)],
    style: ShapeStyle,
    dashed: bool,
) -> DrawResult {
    // plotters 0.3.7 truncates the offset of a thick line's inner vertices but rounds its ends,
    // so odd widths grow hooks at the ends of straight runs: lines here use even widths.
    // Repeated points (zero-length segments) are dropped for the same reason.
    let mut points = points.to_vec();
    points.dedup();
    for run in finite_runs(&points) {
        if run.len() == 1 {
            // A lone point between gaps would be invisible as a line.
            chart.draw_series(std::iter::once(Circle::new(
                run[0],
                3,
                style.color.filled(),
            )))?;
        } else if dashed {
            chart.draw_series(DashedLineSeries::new(run.iter().copied(), 10, 7, style))?;
        } else {
            chart.draw_series(LineSeries::new(run.iter().copied(), style))?;
        }
    }
    Ok(())
}

/// Maximal runs of consecutive points with both coordinates finite.
fn finite_runs(points: &[(f64, f64)]) -> Vec<&[(f64, f64)]> {
    points
        .split(|(x, y)| !x.is_finite() || !y.is_finite())
        .filter(|run| !run.is_empty())
        .collect()
}

/// A filled band between `lower` and `upper` over the same x values (non-finite points
/// break the band into pieces, as for lines).
fn draw_band(chart: &mut Ctx<'_, '_>, xs_lo_hi: &[(f64, f64, f64)], fill: RGBColor) -> DrawResult {
    let pts: Vec<(f64, f64, f64)> = xs_lo_hi.to_vec();
    for run in pts
        .split(|(x, l, h)| !x.is_finite() || !l.is_finite() || !h.is_finite())
        .filter(|r| r.len() >= 2)
    {
        let mut poly: Vec<(f64, f64)> = run.iter().map(|&(x, l, _)| (x, l)).collect();
        poly.extend(run.iter().rev().map(|&(x, _, h)| (x, h)));
        chart.draw_series(std::iter::once(Polygon::new(poly, fill.filled())))?;
    }
    Ok(())
}

/// The data range of the horizontal axis, `(start, end)`.
fn x_span(chart: &Ctx<'_, '_>) -> (f64, f64) {
    let r = chart.x_range();
    (r.start, r.end)
}

/// The data range of the vertical axis, `(start, end)`.
fn y_span(chart: &Ctx<'_, '_>) -> (f64, f64) {
    let r = chart.y_range();
    (r.start, r.end)
}

/// A thin horizontal line at zero across the whole plot.
fn draw_zero_line(chart: &mut Ctx<'_, '_>, c: RGBColor) -> DrawResult {
    let (x0, x1) = x_span(chart);
    chart.draw_series(LineSeries::new([(x0, 0.0), (x1, 0.0)], c.stroke_width(1)))?;
    Ok(())
}

/// A text annotation at a data coordinate, offset by `dx`, `dy` pixels.
fn annotate(
    chart: &mut Ctx<'_, '_>,
    at: (f64, f64),
    dx: i32,
    dy: i32,
    text: &str,
    pos: Pos,
    c: RGBColor,
) -> DrawResult {
    let style = font(NOTE_PX).color(&c).pos(pos);
    chart.draw_series(std::iter::once(
        EmptyElement::at(at) + Text::new(text.to_string(), (dx, dy), style),
    ))?;
    Ok(())
}

/// A note in the top-left corner of the plotting area.
fn corner_note(chart: &mut Ctx<'_, '_>, text: &str) -> DrawResult {
    let area = chart.plotting_area().strip_coord_spec();
    area.draw_text(
        text,
        &font(NOTE_PX).pos(Pos::new(HPos::Left, VPos::Top)),
        (10, 8),
    )?;
    Ok(())
}

/// A cell for a table: a finite number, or empty.
fn num(v: f64) -> crate::output::Cell {
    crate::output::Cell::from(v)
}

/// The chart-table column for a quantity with a unit (`history`, "TEU" → `history_teu`).
fn col(name: &str, unit: &str) -> String {
    crate::report::csv::column(name, unit)
}

#[cfg(test)]
pub(crate) mod tests;
