//! Stream filters needed to read the structure of a file (ISO 32000-1 §7.4): FlateDecode with
//! the PNG and TIFF predictors (§7.4.4.4), which xref and object streams use. Output is bounded
//! by [`Limits::max_stream_len`] (a small deflate stream can inflate to gigabytes).

use super::object::{Object, Stream};
use super::{Limits, PdfError};

/// The decoded bytes of `stream`.
pub fn decode(stream: &Stream, limits: &Limits) -> Result<Vec<u8>, PdfError> {
    let filters: Vec<Vec<u8>> = match stream.dict.get(b"Filter") {
        None => Vec::new(),
        Some(Object::Name(n)) => vec![n.clone()],
        Some(Object::Array(a)) => a
            .iter()
            .map(|o| o.as_name().map(<[u8]>::to_vec))
            .collect::<Option<_>>()
            .ok_or_else(|| PdfError::malformed("a /Filter array of non-names"))?,
        Some(_) => return Err(PdfError::malformed("a /Filter that is not a name")),
    };
    let parms: Vec<Option<&Object>> = match stream.dict.get(b"DecodeParms") {
        None => vec![None; filters.len()],
        Some(Object::Array(a)) => a.iter().map(Some).collect(),
        Some(o) => vec![Some(o)],
    };
    let mut data = stream.data.clone();
    for (i, f) in filters.iter().enumerate() {
        match f.as_slice() {
            b"FlateDecode" | b"Fl" => {
                data = inflate(&data, limits)?;
                if let Some(Some(p)) = parms.get(i) {
                    data = unpredict(data, p)?;
                }
            }
            other => {
                return Err(PdfError::Unsupported(format!(
                    "the stream filter /{} (only FlateDecode is read)",
                    String::from_utf8_lossy(other)
                )));
            }
        }
    }
    Ok(data)
}

fn inflate(data: &[u8], limits: &Limits) -> Result<Vec<u8>, PdfError> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
    decompress_to_vec_zlib_with_limit(data, limits.max_stream_len).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => PdfError::Limit(format!(
            "a stream that inflates beyond {} bytes",
            limits.max_stream_len
        )),
        _ => PdfError::malformed(format!(
            "a FlateDecode stream that does not inflate ({:?})",
            e.status
        )),
    })
}

/// Undoes a /Predictor (2: TIFF, 10-15: PNG per row).
fn unpredict(data: Vec<u8>, parms: &Object) -> Result<Vec<u8>, PdfError> {
    let Some(d) = parms.as_dict() else {
        return Ok(data);
    };
    let get = |k: &[u8], default: i64| d.get(k).and_then(Object::as_int).unwrap_or(default);
    let predictor = get(b"Predictor", 1);
    if predictor == 1 {
        return Ok(data);
    }
    let colors = get(b"Colors", 1);
    let bpc = get(b"BitsPerComponent", 8);
    let columns = get(b"Columns", 1);
    if !(1..=32).contains(&colors)
        || ![1, 2, 4, 8, 16].contains(&bpc)
        || !(1..=1 << 20).contains(&columns)
    {
        return Err(PdfError::malformed("predictor parameters out of range"));
    }
    let bpp = usize::try_from((colors * bpc + 7) / 8).unwrap_or(1).max(1);
    let row_len = usize::try_from((colors * bpc * columns + 7) / 8)
        .map_err(|_| PdfError::malformed("predictor row too long"))?;
    if predictor == 2 {
        if bpc != 8 {
            return Err(PdfError::Unsupported(
                "a TIFF predictor with other than 8 bits".into(),
            ));
        }
        let mut out = data;
        for row in out.chunks_mut(row_len) {
            for i in bpp..row.len() {
                let left = row.get(i - bpp).copied().unwrap_or(0);
                if let Some(b) = row.get_mut(i) {
                    *b = b.wrapping_add(left);
                }
            }
        }
        return Ok(out);
    }
    if !(10..=15).contains(&predictor) {
        return Err(PdfError::Unsupported(format!("the predictor {predictor}")));
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let (&kind, raw) = chunk
            .split_first()
            .ok_or_else(|| PdfError::malformed("an empty predictor row"))?;
        let mut row = raw.to_vec();
        row.resize(row_len, 0);
        for i in 0..row_len {
            let a = if i >= bpp {
                row.get(i - bpp).copied().unwrap_or(0)
            } else {
                0
            };
            let b = prev.get(i).copied().unwrap_or(0);
            let c = if i >= bpp {
                prev.get(i - bpp).copied().unwrap_or(0)
            } else {
                0
            };
            let add = match kind {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => {
                    return Err(PdfError::malformed(format!(
                        "a PNG predictor row of type {kind}"
                    )));
                }
            };
            if let Some(x) = row.get_mut(i) {
                *x = x.wrapping_add(add);
            }
        }
        out.extend_from_slice(&row);
        prev = row;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

/// zlib-deflates `data` (for the streams written: images, xref streams).
pub fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::object::Dict;

    #[test]
    fn inflates_with_png_up_predictor_and_bounds_output() {
        // Two rows of 3 bytes, PNG Up (type 2) on the second.
        let raw = [2u8, 1, 2, 3, 2, 1, 1, 1];
        let s = Stream {
            dict: Dict::new()
                .with(b"Filter", Object::name("FlateDecode"))
                .with(
                    b"DecodeParms",
                    Object::Dict(
                        Dict::new()
                            .with(b"Predictor", Object::Int(12))
                            .with(b"Columns", Object::Int(3)),
                    ),
                ),
            data: deflate(&raw),
        };
        assert_eq!(
            decode(&s, &Limits::default()).unwrap(),
            vec![1, 2, 3, 2, 3, 4]
        );
        let bomb = Stream {
            dict: Dict::new().with(b"Filter", Object::name("FlateDecode")),
            data: deflate(&vec![0u8; 1 << 20]),
        };
        let small = Limits {
            max_stream_len: 1000,
            ..Limits::default()
        };
        assert!(matches!(decode(&bomb, &small), Err(PdfError::Limit(_))));
        let lzw = Stream {
            dict: Dict::new().with(b"Filter", Object::name("LZWDecode")),
            data: vec![],
        };
        assert!(
            decode(&lzw, &small)
                .unwrap_err()
                .to_string()
                .contains("LZWDecode")
        );
    }
}
