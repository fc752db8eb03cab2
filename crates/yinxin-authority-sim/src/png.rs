//! The simulator's "face engine": reads the 8-bit greyscale PNGs with stored zlib blocks that
//! `yinxin_domain::image::encode_png_gray` writes, and scores how alike two of them are.
//!
//! Only that form is read (colour type 0, bit depth 8, no interlace, deflate stored blocks, filter
//! type 0 on every row); anything else is "cannot decode", which scores 0. The score is the
//! Pearson correlation of the pixels, clamped to 0..=1 and scaled to 0..=100, so a photo and a
//! noisy copy of it score high and two unrelated patterns score near 0.

/// A decoded greyscale image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gray {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels, one byte each.
    pub pixels: Vec<u8>,
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Decodes the PNG form described above; `None` for anything else.
pub fn decode(bytes: &[u8]) -> Option<Gray> {
    let mut rest = bytes.strip_prefix(&SIGNATURE)?;
    let mut header = None;
    let mut idat = Vec::new();
    loop {
        let (length, tail) = rest.split_first_chunk::<4>()?;
        let length = usize::try_from(u32::from_be_bytes(*length)).ok()?;
        let (kind, tail) = tail.split_first_chunk::<4>()?;
        let data = tail.get(..length)?;
        // The CRC (4 bytes) follows; `image::inspect` checks it, this reader does not need to.
        rest = tail.get(length.checked_add(4)?..)?;
        match kind {
            b"IHDR" => header = Some(data),
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
    }
    let header = header?;
    let (width, header) = header.split_first_chunk::<4>()?;
    let (height, header) = header.split_first_chunk::<4>()?;
    let (width, height) = (u32::from_be_bytes(*width), u32::from_be_bytes(*height));
    // Bit depth 8, colour type 0, compression 0, filter 0, interlace 0.
    if header != [8, 0, 0, 0, 0] || width == 0 || height == 0 || width > 4096 || height > 4096 {
        return None;
    }
    let raw = inflate_stored(&idat)?;
    let row = usize::try_from(width).ok()?;
    let rows = usize::try_from(height).ok()?;
    if raw.len() != rows.checked_mul(row.checked_add(1)?)? {
        return None;
    }
    let mut pixels = Vec::with_capacity(row * rows);
    for line in raw.chunks(row + 1) {
        let (filter, line) = line.split_first()?;
        if *filter != 0 {
            return None;
        }
        pixels.extend_from_slice(line);
    }
    Some(Gray {
        width,
        height,
        pixels,
    })
}

/// The data of a zlib stream made only of stored blocks (RFC 1950 header, RFC 1951 §3.2.4).
fn inflate_stored(zlib: &[u8]) -> Option<Vec<u8>> {
    let ([cmf, flg], mut rest) = zlib.split_first_chunk::<2>().map(|(h, r)| (*h, r))?;
    if cmf & 0x0F != 8 || (u16::from(cmf) << 8 | u16::from(flg)) % 31 != 0 || flg & 0x20 != 0 {
        return None;
    }
    let mut out = Vec::new();
    loop {
        let (header, tail) = rest.split_first()?;
        // BFINAL in bit 0, BTYPE 00 (stored) in bits 1-2, then padding to the byte boundary,
        // which is how a stored-only stream is written (the padding is zero in ours).
        if header & !1 != 0 {
            return None;
        }
        let (len, tail) = tail.split_first_chunk::<2>()?;
        let (nlen, tail) = tail.split_first_chunk::<2>()?;
        let len = u16::from_le_bytes(*len);
        if len != !u16::from_le_bytes(*nlen) {
            return None;
        }
        let len = usize::from(len);
        out.extend_from_slice(tail.get(..len)?);
        rest = tail.get(len..)?;
        if header & 1 == 1 {
            return Some(out);
        }
    }
}

/// How alike two images are, 0.00 to 100.00 (two decimals, as the provider reports `Sim`).
/// Images that cannot be decoded, or of different sizes, score 0.
pub fn similarity(a: &[u8], b: &[u8]) -> f64 {
    let (Some(a), Some(b)) = (decode(a), decode(b)) else {
        return 0.0;
    };
    if a.width != b.width || a.height != b.height {
        return 0.0;
    }
    let n = a.pixels.len() as f64;
    let mean = |p: &[u8]| p.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let (ma, mb) = (mean(&a.pixels), mean(&b.pixels));
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.pixels.iter().zip(&b.pixels) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        cov += dx * dy;
        va += dx * dx;
        vb += dy * dy;
    }
    if va == 0.0 || vb == 0.0 {
        return 0.0;
    }
    let r = (cov / (va.sqrt() * vb.sqrt())).clamp(0.0, 1.0);
    (r * 10_000.0).round() / 100.0
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use yinxin_domain::image::encode_png_gray;

    use super::*;

    #[test]
    fn reads_what_the_domain_encoder_writes() {
        let pixels: Vec<u8> = (0..=255u8).cycle().take(300 * 250).collect();
        let png = encode_png_gray(300, 250, &pixels);
        let gray = decode(&png).unwrap();
        assert_eq!((gray.width, gray.height), (300, 250));
        assert_eq!(gray.pixels, pixels);
        assert!(decode(&png[..png.len() - 20]).is_none());
        assert!(decode(b"\xff\xd8\xff\xe0 not a png").is_none());
    }

    #[test]
    fn similarity_scores_copies_high_and_strangers_low() {
        let a: Vec<u8> = (0..48 * 48).map(|i: u32| (i * 37 % 251) as u8).collect();
        let noisy: Vec<u8> = a
            .iter()
            .enumerate()
            .map(|(i, &v)| v.saturating_add((i * 13 % 17) as u8))
            .collect();
        let other: Vec<u8> = (0..48 * 48).map(|i: u32| (i * 91 % 241) as u8).collect();
        let (pa, pn, po) = (
            encode_png_gray(48, 48, &a),
            encode_png_gray(48, 48, &noisy),
            encode_png_gray(48, 48, &other),
        );
        assert_eq!(similarity(&pa, &pa), 100.0);
        assert!(similarity(&pa, &pn) >= 90.0);
        assert!(similarity(&pa, &po) < 70.0);
        assert_eq!(similarity(&pa, b"garbage"), 0.0);
        assert_eq!(similarity(&pa, &encode_png_gray(47, 48, &a)), 0.0);
        assert_eq!(
            similarity(&pa, &encode_png_gray(48, 48, &[7; 48 * 48])),
            0.0
        );
    }
}
