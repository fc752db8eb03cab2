//! Enterprise seal images (SIGN-3), in the usual forms of Chinese electronic seals.
//!
//! A round seal (official, contract, finance, HR): a red ring, a five-pointed star in the centre,
//! the enterprise's name along the upper arc with each character turned to face outwards, the
//! seal type below the star (none on the official seal), and the 13-digit anti-counterfeit code
//! along the lower rim. The legal representative's seal is square: a red frame around the name
//! and 印 (之印 after an even number of characters), read in columns from the right.
//!
//! Pure and deterministic: the same font, name, category and code give the same pixels and PNG.

use std::f32::consts::PI;

use yinxin_domain::seal::SealCategory;

use crate::image::{
    Canvas, FontRole, Fonts, ImageError, LoadedFont, Placement, RenderedImage, SEAL_RED,
    star_points,
};

/// Side of a round seal's image in pixels.
pub const ROUND_SIZE: u32 = 400;
/// Outer radius of the ring.
pub const RING_OUTER: f32 = 194.0;
/// Inner radius of the ring.
pub const RING_INNER: f32 = 182.0;
/// Radius of the star's points.
pub const STAR_RADIUS: f32 = 58.0;
/// Most characters a round seal's name may have (smaller ones would not be legible).
pub const MAX_NAME_CHARS: usize = 27;
/// Most characters of a legal representative's name on the square seal.
pub const MAX_PERSON_NAME_CHARS: usize = 6;
/// Digits of the anti-counterfeit code.
pub const CODE_DIGITS: usize = 13;

/// Height of the square seal; its width grows with the number of columns.
const CELL: f32 = 130.0;
const FRAME: f32 = 12.0;
const MARGIN: f32 = 10.0;

/// A seal for `category`: `name` is the enterprise's registered name for a round seal, the legal
/// representative's name for [`SealCategory::LegalRepresentative`]. `code` (13 digits) is
/// printed on round seals and not used on the square one.
pub fn render(
    fonts: &Fonts,
    category: SealCategory,
    name: &str,
    code: &str,
) -> Result<RenderedImage, ImageError> {
    let font = fonts.get(FontRole::Seal)?;
    match category {
        SealCategory::LegalRepresentative => square_seal(&font, name),
        _ => round_seal(&font, name, category, code),
    }
}

fn check_text(name: &str, field: &'static str, max: usize) -> Result<Vec<char>, ImageError> {
    let chars: Vec<char> = name.chars().collect();
    if chars.is_empty() {
        return Err(ImageError::invalid(field, "must not be empty"));
    }
    if chars.len() > max {
        return Err(ImageError::invalid(
            field,
            format!(
                "a seal holds at most {max} characters; this name has {}",
                chars.len()
            ),
        ));
    }
    if let Some(i) = chars
        .iter()
        .position(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ImageError::invalid(
            field,
            format!(
                "character {} is a space or control character, which a seal cannot carry",
                i + 1
            ),
        ));
    }
    Ok(chars)
}

/// A round seal of `category` for the enterprise `name`, with the anti-counterfeit `code`.
pub fn round_seal(
    font: &LoadedFont,
    name: &str,
    category: SealCategory,
    code: &str,
) -> Result<RenderedImage, ImageError> {
    let chars = check_text(name, "name", MAX_NAME_CHARS)?;
    font.check_covers(name, "name", "the seal font")?;
    if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ImageError::invalid(
            "anti_counterfeit_code",
            format!("must be {CODE_DIGITS} digits"),
        ));
    }

    let mut canvas = Canvas::new(ROUND_SIZE, ROUND_SIZE);
    let c = ROUND_SIZE as f32 / 2.0;
    canvas.ring(c, c, RING_INNER, RING_OUTER, SEAL_RED);
    canvas.polygon(&star_points(c, c, STAR_RADIUS), SEAL_RED);

    // The name along the upper arc, centred on the top, at most 240 degrees of it, the
    // characters facing outwards and a little narrow, as seal script is cut.
    let n = chars.len() as f32;
    let arc_budget = 608.0;
    let size = (arc_budget / n * 0.9).clamp(20.0, 58.0);
    let radius = RING_INNER - 6.0 - size / 2.0;
    let step = (size * 1.05 / radius).min(4.0 * PI / 3.0 / n.max(1.0));
    let first = -step * (n - 1.0) / 2.0;
    for (i, &ch) in chars.iter().enumerate() {
        let angle = first + step * i as f32;
        let glyph = font.glyph(ch, size).emboldened(size / 36.0);
        glyph.draw(
            &mut canvas,
            Placement {
                cx: c + radius * angle.sin(),
                cy: c - radius * angle.cos(),
                angle,
                sx: 0.85,
                sy: 1.0,
            },
            SEAL_RED,
        );
    }

    // The seal type below the star.
    if let Some(text) = category.type_text() {
        let size = 34.0;
        let chars: Vec<char> = text.chars().collect();
        let advance = size * 0.95;
        let left = c - advance * chars.len() as f32 / 2.0;
        for (i, &ch) in chars.iter().enumerate() {
            let glyph = font.glyph(ch, size).emboldened(1.0);
            let mut at = Placement::upright(left + advance * (i as f32 + 0.5), c + 100.0);
            at.sx = 0.9;
            glyph.draw(&mut canvas, at, SEAL_RED);
        }
    }

    // The anti-counterfeit code along the lower rim, read left to right, tops towards the centre.
    let size = 15.0;
    let radius = RING_INNER - 4.0 - size / 2.0;
    let step = size * 0.7 / radius;
    let first = -step * (CODE_DIGITS as f32 - 1.0) / 2.0;
    for (i, ch) in code.chars().enumerate() {
        let along = first + step * i as f32;
        let glyph = font.glyph(ch, size);
        glyph.draw(
            &mut canvas,
            Placement {
                cx: c + radius * along.sin(),
                cy: c + radius * along.cos(),
                angle: -along,
                sx: 1.0,
                sy: 1.0,
            },
            SEAL_RED,
        );
    }

    canvas.finish()
}

/// The legal representative's square seal: `name` and 印 (之印 after an even number of
/// characters), two characters a column, columns from the right.
pub fn square_seal(font: &LoadedFont, name: &str) -> Result<RenderedImage, ImageError> {
    let mut chars = check_text(name, "legal_representative_name", MAX_PERSON_NAME_CHARS)?;
    font.check_covers(name, "legal_representative_name", "the seal font")?;
    if chars.len() % 2 == 0 {
        chars.push('之');
    }
    chars.push('印');
    let columns = chars.len().div_ceil(2);
    let inset = FRAME + MARGIN;
    let width = columns as f32 * CELL + 2.0 * inset;
    let height = 2.0 * CELL + 2.0 * inset;
    let mut canvas = Canvas::new(width as u32, height as u32);
    canvas.frame(0.0, 0.0, width, height, FRAME, SEAL_RED);

    let size = CELL;
    for (i, &ch) in chars.iter().enumerate() {
        let column = i / 2;
        let row = i % 2;
        let cx = width - inset - CELL * (column as f32 + 0.5);
        let cy = inset + CELL * (row as f32 + 0.5);
        let glyph = font.glyph(ch, size).emboldened(4.0);
        // Each character fills its cell, as seal characters do.
        let sx = CELL * 0.94 / glyph.em_width.max(1.0);
        let sy = CELL * 0.94 / glyph.em_height.max(1.0);
        glyph.draw(
            &mut canvas,
            Placement {
                cx,
                cy,
                angle: 0.0,
                sx,
                sy,
            },
            SEAL_RED,
        );
    }
    canvas.finish()
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

    const CODE: &str = "1234567890123";

    fn fonts() -> Fonts {
        Fonts::new(FontConfig::default())
    }

    fn is_red(p: [u8; 4]) -> bool {
        p[3] > 128 && p[0] > 150 && p[1] < 80 && p[2] < 80
    }

    /// Share of opaque red pixels on the circle of `radius` (sampled every half degree).
    fn red_share_on_circle(img: &RenderedImage, radius: f32, from: f32, to: f32) -> f32 {
        let c = img.width as f32 / 2.0;
        let samples = ((to - from) * 2.0) as usize;
        let red = (0..samples)
            .filter(|i| {
                let a = (from + *i as f32 / 2.0).to_radians();
                let x = c + radius * a.sin();
                let y = c - radius * a.cos();
                img.pixel(x as u32, y as u32).is_some_and(is_red)
            })
            .count();
        red as f32 / samples as f32
    }

    fn opaque_in(img: &RenderedImage, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
        let mut n = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                if img.alpha(x, y) > 128 {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn a_contract_seal_has_ring_star_arc_text_type_and_code() {
        let img = render(
            &fonts(),
            SealCategory::Contract,
            "北京印信电子认证有限公司",
            CODE,
        )
        .unwrap();
        assert_eq!((img.width, img.height), (ROUND_SIZE, ROUND_SIZE));
        assert_eq!(img.rgba.len(), (ROUND_SIZE * ROUND_SIZE * 4) as usize);

        // The ring: every sample on the mid-ring circle is red; just outside and just inside
        // the ring (where no text reaches, near the top gap-free band) nothing is.
        let mid = (RING_INNER + RING_OUTER) / 2.0;
        assert_eq!(red_share_on_circle(&img, mid, 0.0, 360.0), 1.0);
        assert_eq!(red_share_on_circle(&img, RING_OUTER + 3.0, 0.0, 360.0), 0.0);
        // Corners (outside the circle) are fully transparent.
        for (x, y) in [(0, 0), (399, 0), (0, 399), (399, 399), (20, 20), (380, 380)] {
            assert_eq!(img.alpha(x, y), 0, "({x},{y})");
        }

        // The star: its centre and the points' tips are red; between two points is not.
        let c = 200;
        assert!(is_red(img.pixel(c, c).unwrap()));
        assert!(is_red(img.pixel(c, c - STAR_RADIUS as u32 + 6).unwrap()));
        let between = 36f32.to_radians();
        let (bx, by) = (
            200.0 + (STAR_RADIUS - 8.0) * between.sin(),
            200.0 - (STAR_RADIUS - 8.0) * between.cos(),
        );
        assert_eq!(
            img.alpha(bx as u32, by as u32),
            0,
            "between two points of the star"
        );

        // The name: ink on the text circle across the upper arc, none on the same circle where
        // the name does not reach (the bottom quarter, outside the code's digits).
        let text_band = opaque_in(&img, 60, 20, 340, 90);
        assert!(text_band > 2000, "name ink along the top: {text_band}");
        let name_circle = RING_INNER - 6.0 - 22.0;
        let upper = red_share_on_circle(&img, name_circle, -100.0, 100.0);
        assert!(upper > 0.15, "upper arc ink share {upper}");

        // The seal type below the star, and the code along the lower rim.
        let type_ink = opaque_in(&img, 115, 283, 285, 318);
        assert!(type_ink > 800, "seal type ink: {type_ink}");
        let code_ink = opaque_in(&img, 140, 355, 260, 182 + 200);
        assert!(code_ink > 150, "code ink: {code_ink}");
        // Between the star and the seal type, nothing.
        assert_eq!(opaque_in(&img, 150, 262, 250, 278), 0);
    }

    #[test]
    fn the_official_seal_has_no_type_text() {
        let img = render(
            &fonts(),
            SealCategory::Official,
            "北京印信电子认证有限公司",
            CODE,
        )
        .unwrap();
        assert_eq!(opaque_in(&img, 115, 283, 285, 318), 0);
        let finance = render(
            &fonts(),
            SealCategory::Finance,
            "北京印信电子认证有限公司",
            CODE,
        )
        .unwrap();
        assert_ne!(finance.rgba, img.rgba);
    }

    #[test]
    fn the_same_input_gives_the_same_png_and_another_code_another() {
        let f = fonts();
        let a = render(&f, SealCategory::Hr, "上海测试科技有限公司", CODE).unwrap();
        let b = render(&f, SealCategory::Hr, "上海测试科技有限公司", CODE).unwrap();
        assert_eq!(a.png, b.png);
        let c = render(
            &f,
            SealCategory::Hr,
            "上海测试科技有限公司",
            "9999999999999",
        )
        .unwrap();
        assert_ne!(a.png, c.png);
    }

    #[test]
    fn the_legal_representatives_seal_is_a_square_frame_around_the_name() {
        let img = render(&fonts(), SealCategory::LegalRepresentative, "张三丰", CODE).unwrap();
        // 张三丰印: two columns of two.
        assert_eq!((img.width, img.height), (304, 304));
        for (x, y) in [(3, 3), (150, 3), (300, 300), (3, 150), (300, 150)] {
            assert!(is_red(img.pixel(x, y).unwrap()), "frame at ({x},{y})");
        }
        // Each of the four cells carries ink.
        for (x0, y0) in [(22, 22), (152, 22), (22, 152), (152, 152)] {
            assert!(opaque_in(&img, x0, y0, x0 + 130, y0 + 130) > 1500);
        }
        // Two characters: 李四之印, the same size; five: six characters, three columns.
        let two = render(&fonts(), SealCategory::LegalRepresentative, "李四", CODE).unwrap();
        assert_eq!((two.width, two.height), (304, 304));
        let five = render(
            &fonts(),
            SealCategory::LegalRepresentative,
            "欧阳娜娜美",
            CODE,
        )
        .unwrap();
        assert_eq!((five.width, five.height), (434, 304));
    }

    #[test]
    fn refusals_name_the_field() {
        let f = fonts();
        let cases: [(SealCategory, &str, &str, &str); 6] = [
            (SealCategory::Official, "", CODE, "name"),
            (SealCategory::Official, "北京 印信", CODE, "name"),
            (SealCategory::Official, &"字".repeat(28), CODE, "name"),
            (
                SealCategory::Official,
                "北京印信",
                "12345",
                "anti_counterfeit_code",
            ),
            (SealCategory::Official, "北京\u{10FFFD}印信", CODE, "name"),
            (
                SealCategory::LegalRepresentative,
                "一二三四五六七",
                CODE,
                "legal_representative_name",
            ),
        ];
        for (cat, name, code, field) in cases {
            match render(&f, cat, name, code) {
                Err(ImageError::Invalid {
                    field: got,
                    message,
                }) => {
                    assert_eq!(got, field, "{name}: {message}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        let Err(ImageError::Invalid { message, .. }) =
            render(&f, SealCategory::Official, "北京\u{10FFFD}印信", CODE)
        else {
            panic!()
        };
        assert!(message.contains("character 3 (U+10FFFD)"), "{message}");
    }
}
