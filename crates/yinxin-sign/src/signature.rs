//! A person's signature image (SIGN-2): the registered name written in a chosen style, strokes
//! drawn by hand, or a PNG drawn elsewhere and uploaded.
//!
//! Of hand-drawn strokes only the points' positions are taken, and only the rendered image is
//! kept: no timing, pressure or velocity (biometric data is never stored). An uploaded PNG is
//! checked by `yinxin_domain::image::inspect`, decoded and re-encoded, so nothing but its pixels
//! survives (no text chunks, no EXIF, no colour profile).

use yinxin_domain::image::{ImageFormat, ImageLimits, inspect};
use yinxin_domain::seal::SignatureStyle;

use crate::image::{
    Canvas, FontRole, Fonts, INK, ImageError, Placement, RenderedImage, decode_png, encode_rgba,
};

/// Pixel size of a styled name's characters.
pub const STYLE_SIZE: f32 = 96.0;
/// Most characters of a styled name.
pub const MAX_NAME_CHARS: usize = 32;
/// Largest drawing box, either side, in pixels.
pub const MAX_BOX: u32 = 2048;
/// Smallest drawing box, either side.
pub const MIN_BOX: u32 = 16;
/// Most strokes in a drawing.
pub const MAX_STROKES: usize = 256;
/// Most points in one stroke.
pub const MAX_POINTS_PER_STROKE: usize = 2048;
/// Most points in a whole drawing.
pub const MAX_POINTS: usize = 20_000;
/// Longest total length of all strokes' segments, in pixels (about 70 diagonals of the largest
/// box: far more than a signature, and it bounds the drawing work).
pub const MAX_INK_LENGTH: f32 = 200_000.0;
/// Pen widths accepted, in pixels.
pub const PEN_WIDTHS: std::ops::RangeInclusive<f32> = 1.0..=40.0;
/// Pen width when none is given.
pub const DEFAULT_PEN_WIDTH: f32 = 6.0;
/// The bounds of an uploaded signature PNG.
pub const UPLOAD_LIMITS: ImageLimits = ImageLimits {
    max_bytes: 2 * 1024 * 1024,
    max_width: MAX_BOX,
    max_height: MAX_BOX,
    min_width: MIN_BOX,
    min_height: MIN_BOX,
};

const PADDING: f32 = 16.0;

/// The name written in `style`, in black on a transparent background.
pub fn styled(
    fonts: &Fonts,
    style: SignatureStyle,
    name: &str,
) -> Result<RenderedImage, ImageError> {
    let chars: Vec<char> = name.trim().chars().collect();
    if chars.is_empty() {
        return Err(ImageError::invalid("name", "must not be empty"));
    }
    if chars.len() > MAX_NAME_CHARS {
        return Err(ImageError::invalid(
            "name",
            format!("a signature holds at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if let Some(i) = chars.iter().position(|c| c.is_control()) {
        return Err(ImageError::invalid(
            "name",
            format!("character {} is a control character", i + 1),
        ));
    }
    let font = fonts.get(match style {
        SignatureStyle::Kai => FontRole::Kai,
        SignatureStyle::Ming => FontRole::Ming,
    })?;
    font.check_covers(
        name.trim(),
        "name",
        &format!("style \"{}\"", style.as_str()),
    )?;

    let advances: Vec<f32> = chars.iter().map(|&c| font.advance(c, STYLE_SIZE)).collect();
    let line = font.line_height(STYLE_SIZE);
    let width = (advances.iter().sum::<f32>() + 2.0 * PADDING).ceil();
    let height = (line + 2.0 * PADDING).ceil();
    let mut canvas = Canvas::new(width as u32, height as u32);
    let mut x = PADDING;
    for (&c, &advance) in chars.iter().zip(&advances) {
        if !c.is_whitespace() {
            let glyph = font.glyph(c, STYLE_SIZE);
            glyph.draw(
                &mut canvas,
                Placement::upright(x + advance / 2.0, PADDING + line / 2.0),
                INK,
            );
        }
        x += advance;
    }
    canvas.finish()
}

/// Strokes drawn by hand in a box: each stroke a polyline of points (x, y) in pixels from the
/// box's top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawing {
    /// Box width in pixels.
    pub width: u32,
    /// Box height in pixels.
    pub height: u32,
    /// Pen width in pixels (default [`DEFAULT_PEN_WIDTH`]).
    pub pen_width: Option<f32>,
    /// The strokes.
    pub strokes: Vec<Vec<[f32; 2]>>,
}

impl Drawing {
    /// Refuses a drawing outside the limits, naming what is wrong.
    pub fn check(&self) -> Result<(), ImageError> {
        for (field, v) in [("width", self.width), ("height", self.height)] {
            if !(MIN_BOX..=MAX_BOX).contains(&v) {
                return Err(ImageError::invalid(
                    field,
                    format!("must be {MIN_BOX} to {MAX_BOX} pixels"),
                ));
            }
        }
        if let Some(w) = self.pen_width
            && !(w.is_finite() && PEN_WIDTHS.contains(&w))
        {
            return Err(ImageError::invalid(
                "pen_width",
                format!(
                    "must be {} to {} pixels",
                    PEN_WIDTHS.start(),
                    PEN_WIDTHS.end()
                ),
            ));
        }
        if self.strokes.is_empty() {
            return Err(ImageError::invalid(
                "strokes",
                "must hold at least one stroke",
            ));
        }
        if self.strokes.len() > MAX_STROKES {
            return Err(ImageError::invalid(
                "strokes",
                format!("at most {MAX_STROKES} strokes"),
            ));
        }
        let mut total = 0usize;
        for (i, stroke) in self.strokes.iter().enumerate() {
            if stroke.is_empty() {
                return Err(ImageError::invalid(
                    "strokes",
                    format!("stroke {i} has no points"),
                ));
            }
            if stroke.len() > MAX_POINTS_PER_STROKE {
                return Err(ImageError::invalid(
                    "strokes",
                    format!("stroke {i} has more than {MAX_POINTS_PER_STROKE} points"),
                ));
            }
            total += stroke.len();
            for (j, &[x, y]) in stroke.iter().enumerate() {
                let inside = x.is_finite()
                    && y.is_finite()
                    && (0.0..=self.width as f32).contains(&x)
                    && (0.0..=self.height as f32).contains(&y);
                if !inside {
                    return Err(ImageError::invalid(
                        "strokes",
                        format!(
                            "point {j} of stroke {i} is outside the {}x{} box (or not a number)",
                            self.width, self.height
                        ),
                    ));
                }
            }
        }
        let length: f32 = self
            .strokes
            .iter()
            .flat_map(|stroke| stroke.windows(2))
            .map(|pair| match pair {
                [[ax, ay], [bx, by]] => ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt(),
                _ => 0.0,
            })
            .sum();
        if length > MAX_INK_LENGTH {
            return Err(ImageError::invalid(
                "strokes",
                format!("the strokes are longer than {MAX_INK_LENGTH} pixels in all"),
            ));
        }
        if total > MAX_POINTS {
            return Err(ImageError::invalid(
                "strokes",
                format!("at most {MAX_POINTS} points in all"),
            ));
        }
        Ok(())
    }
}

/// The strokes rendered in black with round caps and joins, on a transparent image the size of
/// the box.
pub fn drawn(d: &Drawing) -> Result<RenderedImage, ImageError> {
    d.check()?;
    let radius = d.pen_width.unwrap_or(DEFAULT_PEN_WIDTH) / 2.0;
    let (w, h) = (d.width as usize, d.height as usize);
    // Coverage is the maximum over every segment, so overlapping segments do not darken joints.
    let mut coverage = vec![0f32; w * h];
    for stroke in &d.strokes {
        let segments: Vec<([f32; 2], [f32; 2])> = match stroke.as_slice() {
            [only] => vec![(*only, *only)],
            points => points
                .windows(2)
                .filter_map(|p| match p {
                    [a, b] => Some((*a, *b)),
                    _ => None,
                })
                .collect(),
        };
        for (a, b) in segments {
            capsule(&mut coverage, w, h, a, b, radius);
        }
    }
    let mut canvas = Canvas::new(d.width, d.height);
    for (i, &c) in coverage.iter().enumerate() {
        if c > 0.0 {
            canvas.blend((i % w) as i64, (i / w) as i64, INK, c);
        }
    }
    canvas.finish()
}

/// Raises `coverage` to that of the segment a-b thickened to `radius` (a capsule: round caps).
/// Each row visits only the span where the capsule can reach, so the work is about the
/// capsule's area, not its bounding box's.
fn capsule(coverage: &mut [f32], w: usize, h: usize, a: [f32; 2], b: [f32; 2], radius: f32) {
    let [ax, ay] = a;
    let [bx, by] = b;
    let reach = radius + 1.0;
    let y0 = (ay.min(by) - reach).floor().max(0.0) as usize;
    let y1 = ((ay.max(by) + reach).ceil() as usize).min(h);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    for y in y0..y1 {
        let py = y as f32 + 0.5;
        // The part of the segment within `reach` of this row, then its x extent plus `reach`:
        // every pixel of the row within `reach` of the segment lies in that span.
        let (t0, t1) = if dy.abs() < 1e-6 {
            if (ay - py).abs() > reach {
                continue;
            }
            (0.0, 1.0)
        } else {
            let ta = (py - reach - ay) / dy;
            let tb = (py + reach - ay) / dy;
            (ta.min(tb).max(0.0), ta.max(tb).min(1.0))
        };
        if t0 > t1 {
            continue;
        }
        let (xa, xb) = (ax + t0 * dx, ax + t1 * dx);
        let x0 = (xa.min(xb) - reach).floor().max(0.0) as usize;
        let x1 = ((xa.max(xb) + reach).ceil() as usize).min(w);
        for x in x0..x1 {
            let px = x as f32 + 0.5;
            let t = if len2 > 0.0 {
                (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (qx, qy) = (ax + t * dx - px, ay + t * dy - py);
            let d = (qx * qx + qy * qy).sqrt();
            let c = (radius + 0.5 - d).clamp(0.0, 1.0);
            if let Some(slot) = coverage.get_mut(y * w + x)
                && c > *slot
            {
                *slot = c;
            }
        }
    }
}

/// An uploaded hand-drawn signature: a PNG within [`UPLOAD_LIMITS`], with at least one visible
/// pixel, decoded and re-encoded (metadata dropped). `field` names the upload in a refusal.
pub fn uploaded(png: &[u8], field: &'static str) -> Result<RenderedImage, ImageError> {
    let info = inspect(png, &UPLOAD_LIMITS)
        .map_err(|invalid| ImageError::invalid(field, invalid.message))?;
    if info.format != ImageFormat::Png {
        return Err(ImageError::invalid(
            field,
            "must be a PNG image (a signature needs a transparent background)",
        ));
    }
    let (width, height, rgba) = decode_png(png, field)?;
    if !rgba
        .chunks_exact(4)
        .any(|p| p.get(3).is_some_and(|&a| a > 0))
    {
        return Err(ImageError::invalid(
            field,
            "the image is blank: every pixel is transparent",
        ));
    }
    let png = encode_rgba(width, height, &rgba)?;
    Ok(RenderedImage {
        width,
        height,
        rgba,
        png,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use crate::image::FontConfig;

    fn field_of(r: Result<RenderedImage, ImageError>) -> &'static str {
        match r {
            Err(ImageError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    fn ink(img: &RenderedImage) -> usize {
        img.rgba.chunks_exact(4).filter(|p| p[3] > 128).count()
    }

    #[test]
    fn a_styled_name_is_black_ink_on_transparency_and_deterministic() {
        let fonts = Fonts::new(FontConfig::default());
        let kai = styled(&fonts, SignatureStyle::Kai, "王小明").unwrap();
        // Three characters of about 96 px, plus padding.
        assert!(
            kai.width > 3 * 80 && kai.width < 3 * 110 + 40,
            "{}",
            kai.width
        );
        assert!(kai.height > 96 && kai.height < 96 + 80, "{}", kai.height);
        assert!(ink(&kai) > 2000);
        assert_eq!(kai.alpha(0, 0), 0);
        for p in kai.rgba.chunks_exact(4).filter(|p| p[3] > 0) {
            assert_eq!(&p[..3], &[0, 0, 0]);
        }
        // Each third of the width holds one character's ink.
        let third = kai.width / 3;
        for k in 0..3 {
            let mut n = 0;
            for y in 0..kai.height {
                for x in k * third..(k + 1) * third {
                    n += usize::from(kai.alpha(x, y) > 128);
                }
            }
            assert!(n > 300, "character {k}: {n}");
        }
        assert_eq!(
            styled(&fonts, SignatureStyle::Kai, "王小明").unwrap().png,
            kai.png
        );
        let ming = styled(&fonts, SignatureStyle::Ming, "王小明").unwrap();
        assert_ne!(ming.rgba, kai.rgba);
        // A name with the middle dot of transliterated names.
        styled(&fonts, SignatureStyle::Kai, "阿依古丽·买买提").unwrap();
    }

    #[test]
    fn a_styled_name_the_font_lacks_is_refused_by_position() {
        let fonts = Fonts::new(FontConfig::default());
        match styled(&fonts, SignatureStyle::Kai, "王\u{1F600}") {
            Err(ImageError::Invalid { field, message }) => {
                assert_eq!(field, "name");
                assert!(message.contains("character 2 (U+1F600)"), "{message}");
                assert!(message.contains("kai"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(field_of(styled(&fonts, SignatureStyle::Kai, "  ")), "name");
        assert_eq!(
            field_of(styled(&fonts, SignatureStyle::Kai, &"王".repeat(33))),
            "name"
        );
    }

    #[test]
    fn strokes_are_drawn_with_round_caps() {
        let d = Drawing {
            width: 200,
            height: 100,
            pen_width: Some(10.0),
            strokes: vec![vec![[20.0, 50.0], [180.0, 50.0]], vec![[100.0, 20.0]]],
        };
        let img = drawn(&d).unwrap();
        assert_eq!((img.width, img.height), (200, 100));
        // On the line, and on the round cap beyond its end point (but within the radius).
        assert_eq!(img.alpha(100, 50), 255);
        assert_eq!(img.alpha(16, 50), 255);
        assert_eq!(img.alpha(183, 50), 255);
        // Not beyond the cap, not above the line.
        assert_eq!(img.alpha(10, 50), 0);
        assert_eq!(img.alpha(100, 40), 0);
        // The dot of a one-point stroke.
        assert_eq!(img.alpha(100, 20), 255);
        assert_eq!(img.alpha(0, 0), 0);
        assert_eq!(drawn(&d).unwrap().png, img.png);
    }

    #[test]
    fn a_diagonal_is_drawn_along_its_length_and_nowhere_else() {
        let d = Drawing {
            width: 400,
            height: 400,
            pen_width: Some(4.0),
            strokes: vec![
                vec![[10.0, 10.0], [390.0, 390.0]],
                vec![[390.0, 10.0], [380.0, 390.0]],
            ],
        };
        let img = drawn(&d).unwrap();
        for k in [10, 100, 200, 300, 389] {
            assert_eq!(img.alpha(k, k), 255, "on the diagonal at {k}");
            assert_eq!(img.alpha(k, (k + 6).min(399)), 0, "beside it at {k}");
        }
        // The near-vertical stroke.
        assert_eq!(img.alpha(385, 200), 255);
        assert_eq!(img.alpha(375, 200), 0);
    }

    #[test]
    fn garbage_strokes_are_refused_naming_the_field() {
        let ok = Drawing {
            width: 100,
            height: 100,
            pen_width: None,
            strokes: vec![vec![[1.0, 1.0], [2.0, 2.0]]],
        };
        assert!(drawn(&ok).is_ok());
        let with = |f: &dyn Fn(&mut Drawing)| {
            let mut d = ok.clone();
            f(&mut d);
            field_of(drawn(&d))
        };
        assert_eq!(with(&|d| d.width = 0), "width");
        assert_eq!(with(&|d| d.height = 5000), "height");
        assert_eq!(with(&|d| d.pen_width = Some(f32::NAN)), "pen_width");
        assert_eq!(with(&|d| d.pen_width = Some(100.0)), "pen_width");
        assert_eq!(with(&|d| d.strokes.clear()), "strokes");
        assert_eq!(with(&|d| d.strokes.push(vec![])), "strokes");
        assert_eq!(with(&|d| d.strokes[0].push([101.0, 5.0])), "strokes");
        assert_eq!(with(&|d| d.strokes[0].push([5.0, -1.0])), "strokes");
        assert_eq!(
            with(&|d| d.strokes[0].push([f32::INFINITY, 5.0])),
            "strokes"
        );
        assert_eq!(
            with(&|d| d.strokes = vec![vec![[1.0, 1.0]]; MAX_STROKES + 1]),
            "strokes"
        );
        assert_eq!(
            with(&|d| d.strokes = vec![vec![[1.0, 1.0]; MAX_POINTS_PER_STROKE + 1]]),
            "strokes"
        );
        // Zigzags across the box, corner to corner, beyond the total ink length.
        let zigzag: Vec<[f32; 2]> = (0..2000)
            .map(|i| {
                if i % 2 == 0 {
                    [0.0, 0.0]
                } else {
                    [100.0, 100.0]
                }
            })
            .collect();
        assert_eq!(with(&|d| d.strokes = vec![zigzag.clone()]), "strokes");
    }

    #[test]
    fn an_uploaded_png_is_re_encoded_without_metadata() {
        let d = Drawing {
            width: 64,
            height: 32,
            pen_width: None,
            strokes: vec![vec![[5.0, 5.0], [60.0, 30.0]]],
        };
        let original = drawn(&d).unwrap();
        // Insert a tEXt chunk after IHDR (8 + 25 bytes): a comment that must not survive.
        let mut with_text = original.png[..33].to_vec();
        let data = b"Comment\0drawn by someone";
        with_text.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut chunk = b"tEXt".to_vec();
        chunk.extend_from_slice(data);
        with_text.extend_from_slice(&chunk);
        with_text.extend_from_slice(&crc(&chunk).to_be_bytes());
        with_text.extend_from_slice(&original.png[33..]);
        let img = uploaded(&with_text, "png").unwrap();
        assert_eq!(img.rgba, original.rgba);
        assert_eq!(img.png, original.png);
        assert!(!img.png.windows(4).any(|w| w == b"tEXt"));

        // A greyscale PNG from the domain encoder decodes too.
        let grey = yinxin_domain::image::encode_png_gray(20, 20, &[0; 400]);
        assert_eq!(uploaded(&grey, "png").unwrap().rgba[..4], [0, 0, 0, 255]);
    }

    #[test]
    fn uploads_that_are_not_signature_pngs_are_refused() {
        assert_eq!(field_of(uploaded(b"not an image", "png")), "png");
        let blank = encode_rgba(20, 20, &[0; 1600]).unwrap();
        match uploaded(&blank, "png") {
            Err(ImageError::Invalid { message, .. }) => assert!(message.contains("blank")),
            other => panic!("{other:?}"),
        }
        let tiny = encode_rgba(4, 4, &[255; 64]).unwrap();
        assert_eq!(field_of(uploaded(&tiny, "png")), "png");
        let mut truncated = encode_rgba(20, 20, &[255; 1600]).unwrap();
        truncated.truncate(truncated.len() - 20);
        assert_eq!(field_of(uploaded(&truncated, "png")), "png");
    }

    fn crc(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in bytes {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
}
