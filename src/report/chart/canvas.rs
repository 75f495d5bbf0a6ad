//! The drawing backend of every chart: plotters' in-memory bitmap, with text drawn here.
//!
//! plotters 0.3.7's `ab_glyph` text path places each glyph without its left side bearing, so
//! digits come out unevenly spaced ("Jan 2 021"). [`Canvas`] passes every shape through to
//! [`BitMapBackend`] and rasterises text itself with the same embedded font, at the glyph's
//! true position, with kerning, anchors and the 90° rotations plotters uses for y-axis titles.
//! The font stays registered with plotters too ([`super::ensure_font`]): plotters still
//! measures some text through its own font table.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};

use std::sync::OnceLock;

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(super::FONT).expect("the embedded font parses"))
}

/// Text geometry at a pixel size: the layout box is the advance width by the cap height, so
/// `VPos::Center` centres capitals and digits on the anchor (descenders hang below the box).
struct Layout {
    width: i32,
    cap: i32,
}

fn layout(text: &str, size: f64) -> Layout {
    let f = font().as_scaled(scale(size));
    let mut width = 0.0f32;
    let mut prev = None;
    for c in text.chars() {
        let id = f.glyph_id(c);
        if let Some(p) = prev {
            width += f.kern(p, id);
        }
        width += f.h_advance(id);
        prev = Some(id);
    }
    Layout {
        width: width.ceil() as i32,
        cap: cap_height(size),
    }
}

/// plotters' text sizes are font sizes in pixels (roughly the em); ab_glyph scales by the
/// ascent-to-descent height, which for DejaVu Sans is 1.164 em.
fn scale(size: f64) -> PxScale {
    PxScale::from((size * 1.164) as f32)
}

fn cap_height(size: f64) -> i32 {
    let f = font().as_scaled(scale(size));
    f.outline_glyph(f.scaled_glyph('H'))
        .map_or((size * 0.73) as i32, |g| {
            g.px_bounds().height().round() as i32
        })
}

/// plotters' bitmap backend with correctly spaced text.
pub(super) struct Canvas<'a> {
    inner: BitMapBackend<'a>,
}

impl<'a> Canvas<'a> {
    pub(super) fn new(buf: &'a mut [u8], size: (u32, u32)) -> Canvas<'a> {
        Canvas {
            inner: BitMapBackend::with_buffer(buf, size),
        }
    }
}

type BitMapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;
type Result<T = ()> = std::result::Result<T, DrawingErrorKind<BitMapError>>;

impl DrawingBackend for Canvas<'_> {
    type ErrorType = BitMapError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<T: BackendTextStyle>(&self, text: &str, style: &T) -> Result<(u32, u32)> {
        let l = layout(text, style.size());
        Ok((l.width.max(0) as u32, l.cap.max(0) as u32))
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let size = style.size();
        let l = layout(text, size);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0,
            HPos::Center => -l.width / 2,
            HPos::Right => -l.width,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0,
            VPos::Center => -l.cap / 2,
            VPos::Bottom => -l.cap,
        };
        let trans: FontTransform = style.transform();
        let (w, h) = self.get_size();
        let f = font().as_scaled(scale(size));
        // Baseline at the cap height below the box top, so the box holds the capitals.
        let baseline = l.cap as f32;
        let mut caret = 0.0f32;
        let mut prev = None;
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                caret += f.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(scale(size), point(caret, baseline));
            caret += f.h_advance(id);
            if let Some(outline) = font().outline_glyph(glyph) {
                let b = outline.px_bounds();
                let (bx, by) = (b.min.x as i32, b.min.y as i32);
                outline.draw(|gx, gy, cov| {
                    if cov > 0.0 {
                        pixels.push((bx + gx as i32, by + gy as i32, cov.min(1.0)));
                    }
                });
            }
        }
        for (x, y, cov) in pixels {
            let (x, y) = trans.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                let c = BackendColor {
                    alpha: color.alpha * cov as f64,
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), c)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_evenly_spaced() {
        // DejaVu Sans digits share one advance width, so "2021" is exactly four of them, and the
        // layout box is as tall as a capital.
        assert_eq!(layout("2021", 20.0).width, layout("0000", 20.0).width);
        let cap = layout("H", 20.0).cap;
        assert!((13..=16).contains(&cap), "cap height {cap} at 20 px");
    }
}
