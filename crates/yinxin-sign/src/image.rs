//! What the signature and seal images (SIGN-2, SIGN-3) are drawn on: an RGBA canvas with a
//! transparent background, anti-aliased shapes, glyphs placed at any angle, PNG encoding and
//! decoding, and the fonts, read from files the setup installed (never fetched at run time).
//!
//! Everything here is deterministic: the same input gives the same pixels and the same PNG bytes.

use std::f32::consts::PI;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};

/// Why an image could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The input is wrong; `field` names it and `message` says what to fix.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field at fault.
        field: &'static str,
        /// What is wrong with it, in words the user can act on.
        message: String,
    },
    /// A font file is missing or unreadable: a setup fault, not the user's.
    #[error("font {path}: {reason}")]
    FontUnavailable {
        /// The configured path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The PNG encoder failed (out of memory, in practice).
    #[error("encoding the PNG: {0}")]
    Encode(String),
}

impl ImageError {
    /// An input refusal.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// A colour without alpha.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The red of seals: #D00.
pub const SEAL_RED: Rgb = Rgb(0xDD, 0x00, 0x00);
/// The ink of signatures: black.
pub const INK: Rgb = Rgb(0, 0, 0);

/// An image as made: RGBA pixels (8 bits a channel, not premultiplied, row by row from the top)
/// and the same pixels as a PNG file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub rgba: Vec<u8>,
    /// The PNG file (IHDR, IDAT, IEND only: no metadata).
    pub png: Vec<u8>,
}

impl RenderedImage {
    /// The alpha of the pixel at (`x`, `y`); 0 outside the image.
    pub fn alpha(&self, x: u32, y: u32) -> u8 {
        self.pixel(x, y).map_or(0, |[_, _, _, a]| a)
    }

    /// The RGBA of the pixel at (`x`, `y`), if inside.
    pub fn pixel(&self, x: u32, y: u32) -> Option<[u8; 4]> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        match self.rgba.get(i..i + 4) {
            Some(&[r, g, b, a]) => Some([r, g, b, a]),
            _ => None,
        }
    }
}

/// A transparent canvas that shapes and glyphs are drawn on in one colour at a time, by coverage
/// (0.0 to 1.0 of a pixel).
#[derive(Clone, Debug)]
pub(crate) struct Canvas {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

impl Canvas {
    /// A fully transparent canvas.
    pub(crate) fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            rgba: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Blends `color` over the pixel at (`x`, `y`) with `coverage`.
    pub(crate) fn blend(&mut self, x: i64, y: i64, color: Rgb, coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(self.width) || y >= i64::from(self.height) {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        if a <= 0.0 {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 4;
        let Some(px) = self.rgba.get_mut(i..i + 4) else {
            return;
        };
        let dst_a = f32::from(px.get(3).copied().unwrap_or(0)) / 255.0;
        let out_a = a + dst_a * (1.0 - a);
        let Rgb(r, g, b) = color;
        for (slot, src) in px.iter_mut().zip([r, g, b]) {
            let mixed = (f32::from(src) * a + f32::from(*slot) * dst_a * (1.0 - a)) / out_a;
            *slot = to_u8(mixed);
        }
        if let Some(alpha) = px.get_mut(3) {
            *alpha = to_u8(out_a * 255.0);
        }
    }

    /// A ring centred at (`cx`, `cy`) between radii `inner` and `outer`, anti-aliased.
    pub(crate) fn ring(&mut self, cx: f32, cy: f32, inner: f32, outer: f32, color: Rgb) {
        let (x0, x1) = span(cx - outer - 1.0, cx + outer + 1.0);
        let (y0, y1) = span(cy - outer - 1.0, cy + outer + 1.0);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
                let cov = (0.5 + (d - inner).min(outer - d)).clamp(0.0, 1.0);
                self.blend(x, y, color, cov);
            }
        }
    }

    /// A rectangle outline `width` pixels wide inside the box from (`x0`, `y0`) to (`x1`, `y1`).
    pub(crate) fn frame(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, width: f32, color: Rgb) {
        let (px0, px1) = span(x0, x1);
        let (py0, py1) = span(y0, y1);
        for y in py0..=py1 {
            for x in px0..=px1 {
                let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
                // Distance inwards from the nearest outer edge: inside the frame when 0..width.
                let inward = (fx - x0).min(x1 - fx).min(fy - y0).min(y1 - fy);
                let cov = (0.5 + inward.min(width - inward)).clamp(0.0, 1.0);
                self.blend(x, y, color, cov);
            }
        }
    }

    /// A filled polygon, anti-aliased by 4x4 supersampling (even-odd rule).
    pub(crate) fn polygon(&mut self, points: &[(f32, f32)], color: Rgb) {
        let Some(&(first_x, first_y)) = points.first() else {
            return;
        };
        let (mut min_x, mut max_x, mut min_y, mut max_y) = (first_x, first_x, first_y, first_y);
        for &(x, y) in points {
            min_x = min_x.min(x);
            max_x = max_x.max(x);
            min_y = min_y.min(y);
            max_y = max_y.max(y);
        }
        let (x0, x1) = span(min_x, max_x);
        let (y0, y1) = span(min_y, max_y);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let mut inside = 0u32;
                for sy in 0..4 {
                    for sx in 0..4 {
                        let px = x as f32 + (sx as f32 + 0.5) / 4.0;
                        let py = y as f32 + (sy as f32 + 0.5) / 4.0;
                        if contains(points, px, py) {
                            inside += 1;
                        }
                    }
                }
                self.blend(x, y, color, inside as f32 / 16.0);
            }
        }
    }

    /// The finished image, with its PNG.
    pub(crate) fn finish(self) -> Result<RenderedImage, ImageError> {
        let png = encode_rgba(self.width, self.height, &self.rgba)?;
        Ok(RenderedImage {
            width: self.width,
            height: self.height,
            rgba: self.rgba,
            png,
        })
    }
}

fn to_u8(v: f32) -> u8 {
    // Clamped first, so the cast cannot truncate.
    v.round().clamp(0.0, 255.0) as u8
}

/// The whole pixels from `a` to `b`.
fn span(a: f32, b: f32) -> (i64, i64) {
    (a.floor() as i64, b.ceil() as i64)
}

/// Even-odd point-in-polygon test.
fn contains(points: &[(f32, f32)], x: f32, y: f32) -> bool {
    let mut inside = false;
    let mut prev = points.last().copied().unwrap_or((0.0, 0.0));
    for &(px, py) in points {
        let (qx, qy) = prev;
        if (py > y) != (qy > y) && x < (qx - px) * (y - py) / (qy - py) + px {
            inside = !inside;
        }
        prev = (px, py);
    }
    inside
}

/// The outline of a five-pointed star centred at (`cx`, `cy`), one point straight up.
pub(crate) fn star_points(cx: f32, cy: f32, outer: f32) -> Vec<(f32, f32)> {
    // The inner radius of a regular pentagram: outer * sin(18°) / sin(126°).
    let inner = outer * (PI / 10.0).sin() / (7.0 * PI / 10.0).sin();
    (0..10)
        .map(|i| {
            let r = if i % 2 == 0 { outer } else { inner };
            let angle = i as f32 * PI / 5.0;
            (cx + r * angle.sin(), cy - r * angle.cos())
        })
        .collect()
}

/// A glyph rasterized upright: coverage over its ink box, and where that box sits in the glyph's
/// em square (origin at the em square's top-left corner).
#[derive(Clone, Debug)]
pub(crate) struct GlyphBitmap {
    width: usize,
    height: usize,
    coverage: Vec<f32>,
    left: f32,
    top: f32,
    /// The em square: advance by ascent - descent.
    pub(crate) em_width: f32,
    pub(crate) em_height: f32,
}

impl GlyphBitmap {
    fn at(&self, x: i64, y: i64) -> f32 {
        if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
            return 0.0;
        }
        self.coverage
            .get(y as usize * self.width + x as usize)
            .copied()
            .unwrap_or(0.0)
    }

    /// The glyph with its strokes thickened by `radius` pixels on every side (a maximum over a
    /// disc), as seal characters are cut heavier than type.
    pub(crate) fn emboldened(self, radius: f32) -> Self {
        let r = radius.max(0.0).ceil() as usize;
        if r == 0 {
            return self;
        }
        let (w, h) = (self.width + 2 * r, self.height + 2 * r);
        let ri = r as i64;
        let offsets: Vec<(i64, i64)> = (-ri..=ri)
            .flat_map(|dy| (-ri..=ri).map(move |dx| (dx, dy)))
            .filter(|&(dx, dy)| ((dx * dx + dy * dy) as f32) <= radius * radius + 0.01)
            .collect();
        let mut coverage = vec![0.0; w * h];
        for (i, slot) in coverage.iter_mut().enumerate() {
            let (x, y) = ((i % w) as i64 - ri, (i / w) as i64 - ri);
            *slot = offsets
                .iter()
                .map(|&(dx, dy)| self.at(x + dx, y + dy))
                .fold(0.0, f32::max);
        }
        Self {
            width: w,
            height: h,
            coverage,
            left: self.left - r as f32,
            top: self.top - r as f32,
            em_width: self.em_width,
            em_height: self.em_height,
        }
    }

    /// Bilinear coverage at a point of the em square.
    fn sample(&self, ex: f32, ey: f32) -> f32 {
        let bx = ex - self.left - 0.5;
        let by = ey - self.top - 0.5;
        let (x0, y0) = (bx.floor(), by.floor());
        let (fx, fy) = (bx - x0, by - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let top = self.at(x0, y0) * (1.0 - fx) + self.at(x0 + 1, y0) * fx;
        let bottom = self.at(x0, y0 + 1) * (1.0 - fx) + self.at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// Draws the glyph with its em square's centre at (`cx`, `cy`), turned clockwise by
    /// `angle` radians, stretched by `sx` across and `sy` down.
    pub(crate) fn draw(&self, canvas: &mut Canvas, placement: Placement, color: Rgb) {
        let Placement {
            cx,
            cy,
            angle,
            sx,
            sy,
        } = placement;
        let (sin, cos) = angle.sin_cos();
        let reach = ((self.em_width * sx).powi(2) + (self.em_height * sy).powi(2)).sqrt() / 2.0;
        let (x0, x1) = span(cx - reach - 1.0, cx + reach + 1.0);
        let (y0, y1) = span(cy - reach - 1.0, cy + reach + 1.0);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let dx = x as f32 + 0.5 - cx;
                let dy = y as f32 + 0.5 - cy;
                // Undo the rotation, then the stretch, into em-square coordinates.
                let lx = (dx * cos + dy * sin) / sx + self.em_width / 2.0;
                let ly = (-dx * sin + dy * cos) / sy + self.em_height / 2.0;
                let cov = self.sample(lx, ly);
                if cov > 0.0 {
                    canvas.blend(x, y, color, cov);
                }
            }
        }
    }
}

/// Where and how a glyph is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placement {
    /// Centre of the em square on the canvas.
    pub(crate) cx: f32,
    pub(crate) cy: f32,
    /// Clockwise rotation in radians.
    pub(crate) angle: f32,
    /// Horizontal and vertical stretch.
    pub(crate) sx: f32,
    pub(crate) sy: f32,
}

impl Placement {
    /// Upright and unstretched at (`cx`, `cy`).
    pub(crate) fn upright(cx: f32, cy: f32) -> Self {
        Self {
            cx,
            cy,
            angle: 0.0,
            sx: 1.0,
            sy: 1.0,
        }
    }
}

/// A font read from a file (TrueType, OpenType or a collection with a face index).
#[derive(Clone)]
pub struct LoadedFont {
    font: Arc<FontVec>,
}

impl std::fmt::Debug for LoadedFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoadedFont")
    }
}

impl LoadedFont {
    /// Reads face `index` of the font file at `path`.
    pub fn load(path: &Path, index: u32) -> Result<Self, ImageError> {
        let unavailable = |reason: String| ImageError::FontUnavailable {
            path: path.display().to_string(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| unavailable(e.to_string()))?;
        let font = FontVec::try_from_vec_and_index(data, index)
            .map_err(|_| unavailable(format!("not a font, or no face {index}")))?;
        Ok(Self {
            font: Arc::new(font),
        })
    }

    /// Whether the font has a glyph for `c`.
    pub fn has(&self, c: char) -> bool {
        self.font.glyph_id(c).0 != 0
    }

    /// The first character of `text` the font has no glyph for, refused as `field` with its
    /// position and code point (not the text itself, which may be a person's name).
    pub fn check_covers(
        &self,
        text: &str,
        field: &'static str,
        style: &str,
    ) -> Result<(), ImageError> {
        for (i, c) in text.chars().enumerate() {
            if !c.is_whitespace() && !self.has(c) {
                return Err(ImageError::invalid(
                    field,
                    format!(
                        "character {} (U+{:04X}) is not in the font of {style}; use another \
                         style or the characters of the registered name",
                        i + 1,
                        u32::from(c)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The advance of `c` at `size` pixels.
    pub(crate) fn advance(&self, c: char, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        scaled.h_advance(self.font.glyph_id(c))
    }

    /// Ascent minus descent at `size` pixels (the em square's height).
    pub(crate) fn line_height(&self, size: f32) -> f32 {
        let scaled = self.font.as_scaled(PxScale::from(size));
        scaled.ascent() - scaled.descent()
    }

    /// `c` rasterized at `size` pixels.
    pub(crate) fn glyph(&self, c: char, size: f32) -> GlyphBitmap {
        let scaled = self.font.as_scaled(PxScale::from(size));
        let id = self.font.glyph_id(c);
        let em_width = scaled.h_advance(id);
        let em_height = scaled.ascent() - scaled.descent();
        let glyph = id.with_scale_and_position(size, point(0.0, scaled.ascent()));
        let Some(outline) = self.font.outline_glyph(glyph) else {
            return GlyphBitmap {
                width: 0,
                height: 0,
                coverage: Vec::new(),
                left: 0.0,
                top: 0.0,
                em_width,
                em_height,
            };
        };
        let bounds = outline.px_bounds();
        let width = bounds.width().max(0.0) as usize;
        let height = bounds.height().max(0.0) as usize;
        let mut coverage = vec![0.0; width * height];
        outline.draw(|x, y, c| {
            if let Some(slot) = coverage.get_mut(y as usize * width + x as usize) {
                *slot = c;
            }
        });
        GlyphBitmap {
            width,
            height,
            coverage,
            left: bounds.min.x,
            top: bounds.min.y,
            em_width,
            em_height,
        }
    }
}

/// Where the fonts are. The defaults are the files of Debian's packages `fonts-arphic-ukai`,
/// `fonts-arphic-uming` and `fonts-wqy-zenhei`, which the setup installs (scripts/test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FontConfig {
    /// The handwriting-like 楷书 font of the `kai` signature style (AR PL UKai).
    pub kai: PathBuf,
    /// The 明体 (Song/Ming) font of the `ming` signature style (AR PL UMing).
    pub ming: PathBuf,
    /// The bold sans-serif (黑体) font of seals (WenQuanYi Zen Hei).
    pub seal: PathBuf,
}

impl Default for FontConfig {
    fn default() -> Self {
        Self {
            kai: PathBuf::from("/usr/share/fonts/truetype/arphic/ukai.ttc"),
            ming: PathBuf::from("/usr/share/fonts/truetype/arphic/uming.ttc"),
            seal: PathBuf::from("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
        }
    }
}

/// Which font of a [`Fonts`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FontRole {
    /// The `kai` signature style.
    Kai,
    /// The `ming` signature style.
    Ming,
    /// Seals.
    Seal,
}

/// The fonts of [`FontConfig`], each read on first use and kept (a CJK font file is 16-21 MB, so
/// it is read once, not per image). A font that fails to load is tried again next time.
#[derive(Debug, Default)]
pub struct Fonts {
    config: FontConfig,
    loaded: Mutex<[Option<LoadedFont>; 3]>,
    report: Mutex<Option<crate::report::ReportFont>>,
}

impl Fonts {
    /// Fonts at the configured paths, none read yet.
    pub fn new(config: FontConfig) -> Self {
        Self {
            config,
            loaded: Mutex::new([None, None, None]),
            report: Mutex::new(None),
        }
    }

    /// The font reports are set in (the `ming` face, AR PL UMing CN), read now if not yet.
    pub fn report(&self) -> Result<crate::report::ReportFont, crate::SignError> {
        let mut slot = self
            .report
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(font) = slot.as_ref() {
            return Ok(font.clone());
        }
        let font = crate::report::ReportFont::load(&self.config.ming, 0)?;
        *slot = Some(font.clone());
        Ok(font)
    }

    /// The configured paths.
    pub fn config(&self) -> &FontConfig {
        &self.config
    }

    /// The font for `role`, read now if not yet.
    pub fn get(&self, role: FontRole) -> Result<LoadedFont, ImageError> {
        let (slot, path) = match role {
            FontRole::Kai => (0, &self.config.kai),
            FontRole::Ming => (1, &self.config.ming),
            FontRole::Seal => (2, &self.config.seal),
        };
        let mut loaded = self
            .loaded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(Some(font)) = loaded.get(slot) {
            return Ok(font.clone());
        }
        let font = LoadedFont::load(path, 0)?;
        if let Some(s) = loaded.get_mut(slot) {
            *s = Some(font.clone());
        }
        Ok(font)
    }
}

/// An RGBA PNG of `width` x `height` from `rgba` (4 bytes a pixel): only IHDR, IDAT and IEND.
pub fn encode_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder
        .write_header()
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    writer
        .write_image_data(rgba)
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    writer
        .finish()
        .map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a PNG already checked by `yinxin_domain::image::inspect` into RGBA pixels, whatever
/// its colour type and depth (palette, grey, 16-bit are converted). `field` names the upload in
/// a refusal.
pub fn decode_png(bytes: &[u8], field: &'static str) -> Result<(u32, u32, Vec<u8>), ImageError> {
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits {
            bytes: 64 * 1024 * 1024,
        },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let undecodable = |e: png::DecodingError| {
        ImageError::invalid(field, format!("the PNG image cannot be decoded: {e}"))
    };
    let mut reader = decoder.read_info().map_err(undecodable)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ImageError::invalid(field, "the PNG image is too large to decode"))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(undecodable)?;
    let (w, h) = (info.width as usize, info.height as usize);
    let mut rgba = Vec::with_capacity(w * h * 4);
    for row in buf.chunks(info.line_size).take(h) {
        match info.color_type {
            png::ColorType::Rgba => rgba.extend_from_slice(row.get(..w * 4).unwrap_or(row)),
            png::ColorType::Rgb => {
                for p in row.chunks_exact(3).take(w) {
                    rgba.extend_from_slice(p);
                    rgba.push(255);
                }
            }
            png::ColorType::Grayscale => {
                for &g in row.iter().take(w) {
                    rgba.extend_from_slice(&[g, g, g, 255]);
                }
            }
            png::ColorType::GrayscaleAlpha => {
                for p in row.chunks_exact(2).take(w) {
                    if let &[g, a] = p {
                        rgba.extend_from_slice(&[g, g, g, a]);
                    }
                }
            }
            png::ColorType::Indexed => {
                return Err(ImageError::invalid(
                    field,
                    "the PNG image's palette could not be expanded",
                ));
            }
        }
    }
    if rgba.len() != w * h * 4 {
        return Err(ImageError::invalid(
            field,
            "the PNG image data is incomplete",
        ));
    }
    Ok((info.width, info.height, rgba))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_png_round_trips_and_carries_no_metadata() {
        let mut c = Canvas::new(20, 16);
        c.ring(10.0, 5.0, 2.0, 4.0, SEAL_RED);
        let img = c.finish().unwrap();
        let (w, h, rgba) = decode_png(&img.png, "image").unwrap();
        assert_eq!((w, h), (20, 16));
        assert_eq!(rgba, img.rgba);
        let info =
            yinxin_domain::image::inspect(&img.png, &yinxin_domain::image::ImageLimits::default())
                .unwrap();
        assert_eq!((info.width, info.height), (20, 16));
        // Chunks: IHDR, IDAT (one or more), IEND and nothing else.
        let mut at = 8;
        while at < img.png.len() {
            let len = u32::from_be_bytes(img.png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &img.png[at + 4..at + 8];
            assert!(
                [b"IHDR", b"IDAT", b"IEND"].iter().any(|k| k == &kind),
                "{:?}",
                String::from_utf8_lossy(kind)
            );
            at += 12 + len;
        }
    }

    #[test]
    fn the_star_has_ten_corners_and_is_filled_at_its_centre() {
        let pts = star_points(50.0, 50.0, 40.0);
        assert_eq!(pts.len(), 10);
        assert!((pts[0].0 - 50.0).abs() < 1e-4 && (pts[0].1 - 10.0).abs() < 1e-4);
        assert!(contains(&pts, 50.0, 50.0));
        assert!(!contains(&pts, 5.0, 5.0));
    }

    #[test]
    fn a_missing_font_is_a_setup_fault_naming_the_path() {
        let fonts = Fonts::new(FontConfig {
            kai: "/nonexistent/kai.ttf".into(),
            ..FontConfig::default()
        });
        match fonts.get(FontRole::Kai) {
            Err(ImageError::FontUnavailable { path, .. }) => {
                assert_eq!(path, "/nonexistent/kai.ttf")
            }
            other => panic!("{other:?}"),
        }
    }
}
