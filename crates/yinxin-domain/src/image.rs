//! The structural check of an uploaded image (IDV-1(c) document photos and faces, IDV-2 business
//! licences), and a small PNG encoder for synthetic images.
//!
//! An image a user uploads is untrusted bytes. Before it is sealed, or sent to a verification
//! provider, [`inspect`] checks that it is a well-formed PNG or JPEG within [`ImageLimits`], so
//! that a malformed or oversized file is answered at once with a message naming what is wrong,
//! and never reaches a provider's decoder. The check reads the container structure only — PNG
//! chunks with their CRC-32, JPEG marker segments and the extent of the entropy-coded data — and
//! does not decode pixels; it allocates nothing but the message of a refusal.
//!
//! Sources: PNG — W3C "Portable Network Graphics (PNG) Specification (Third Edition)" (2025),
//! the same format as ISO/IEC 15948:2004; zlib — RFC 1950; JPEG — ITU-T T.81 | ISO/IEC 10918-1,
//! Annex B (compressed data formats).
//!
//! Refusals are [`Invalid`] values like those of [`crate::validate`]: reason `length` (empty, too
//! many bytes, too few or too many pixels), `format` (neither PNG nor JPEG) or `syntax` (a
//! malformed structure), and a message that is one of [`message::ALL`] or names a limit — never
//! anything read from the image.

use crate::validate::{Invalid, reason};

/// The image formats accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// PNG (ISO/IEC 15948).
    Png,
    /// JPEG (ISO/IEC 10918-1), in a JFIF or Exif file or bare.
    Jpeg,
}

impl ImageFormat {
    /// The media type (`image/png`, `image/jpeg`).
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }
}

/// What [`inspect`] found in an image it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageInfo {
    /// The format, from the file's structure (not from a file name or a declared media type).
    pub format: ImageFormat,
    /// Width in pixels, as the header states it.
    pub width: u32,
    /// Height in pixels, as the header states it.
    pub height: u32,
}

/// The bounds an image must be within (both ends inclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageLimits {
    /// Largest file size in bytes.
    pub max_bytes: usize,
    /// Largest width in pixels.
    pub max_width: u32,
    /// Largest height in pixels.
    pub max_height: u32,
    /// Smallest width in pixels.
    pub min_width: u32,
    /// Smallest height in pixels.
    pub min_height: u32,
}

impl Default for ImageLimits {
    /// 4 MiB, 16x16 to 8192x8192 pixels.
    fn default() -> Self {
        Self {
            max_bytes: 4 * 1024 * 1024,
            max_width: 8192,
            max_height: 8192,
            min_width: 16,
            min_height: 16,
        }
    }
}

/// Every refusal message of [`inspect`]: fixed text, or a limit of [`ImageLimits`] in words.
/// None carries anything read from the image (an image of a face or a document is personal
/// information, and refusal messages travel to responses and logs).
pub mod message {
    /// No bytes at all.
    pub const EMPTY: &str = "the image is empty";
    /// Neither signature.
    pub const NOT_PNG_OR_JPEG: &str = "the file is not a PNG or JPEG image";
    /// The PNG ends early.
    pub const PNG_TRUNCATED: &str =
        "the PNG image is truncated: it ends inside a chunk or before its IEND chunk";
    /// A chunk length or type outside the format.
    pub const PNG_CHUNK: &str = "the PNG image has a malformed chunk: a length above 2^31-1, a \
        type that is not four ASCII letters, or data in its IEND chunk";
    /// A CRC-32 that does not match.
    pub const PNG_CHECKSUM: &str =
        "a chunk of the PNG image does not match its CRC-32 checksum: the file is damaged";
    /// IHDR missing, not first or not valid.
    pub const PNG_HEADER: &str = "the PNG image does not start with a valid IHDR chunk (13 bytes: \
        a width and height of 1 to 2^31-1, a bit depth its colour type allows, and the \
        compression, filter and interlace methods the PNG specification defines)";
    /// A critical chunk a decoder cannot skip.
    pub const PNG_CRITICAL_CHUNK: &str = "the PNG image has a second IHDR chunk, or a critical \
        chunk the PNG specification does not define";
    /// PLTE wrong.
    pub const PNG_PALETTE: &str = "the palette (PLTE chunk) of the PNG image is missing, \
        repeated, after the image data, not allowed for its colour type, or of a wrong length";
    /// IDAT missing or not a zlib stream.
    pub const PNG_DATA: &str = "the image data of the PNG image is missing or malformed: its IDAT \
        chunks must be consecutive and begin with a zlib header";
    /// Bytes after IEND.
    pub const PNG_TRAILING: &str = "the PNG image has data after its IEND chunk";
    /// The JPEG ends early.
    pub const JPEG_TRUNCATED: &str = "the JPEG image is truncated: it ends inside a marker \
        segment or before its end-of-image marker (FFD9)";
    /// A marker that cannot be where it is.
    pub const JPEG_MARKER: &str =
        "the JPEG image has a malformed, misplaced or unsupported marker segment";
    /// No frame header, or a wrong one.
    pub const JPEG_FRAME: &str = "the JPEG image has no valid frame header (one SOF marker before \
        the first scan, with a non-zero width and height, and a precision, components and \
        sampling factors the JPEG standard allows)";
    /// No scan, or a wrong scan header.
    pub const JPEG_SCAN: &str =
        "the JPEG image has no scan, or a malformed scan header (SOS marker)";
    /// Bytes after EOI.
    pub const JPEG_TRAILING: &str = "the JPEG image has data after its end-of-image marker (FFD9)";

    /// Every fixed message.
    pub const ALL: [&str; 15] = [
        EMPTY,
        NOT_PNG_OR_JPEG,
        PNG_TRUNCATED,
        PNG_CHUNK,
        PNG_CHECKSUM,
        PNG_HEADER,
        PNG_CRITICAL_CHUNK,
        PNG_PALETTE,
        PNG_DATA,
        PNG_TRAILING,
        JPEG_TRUNCATED,
        JPEG_MARKER,
        JPEG_FRAME,
        JPEG_SCAN,
        JPEG_TRAILING,
    ];

    /// A file of more than `max_bytes` bytes: "the file is larger than 4 MiB".
    pub fn too_many_bytes(max_bytes: usize) -> String {
        const KIB: usize = 1024;
        const MIB: usize = 1024 * 1024;
        let size = match max_bytes {
            n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
            n if n >= KIB && n % KIB == 0 => format!("{} KiB", n / KIB),
            n => format!("{n} bytes"),
        };
        format!("the file is larger than {size}")
    }

    /// Wider than `max_width` or higher than `max_height` pixels.
    pub fn too_large(max_width: u32, max_height: u32) -> String {
        format!("the image is larger than {max_width}x{max_height} pixels")
    }

    /// Narrower than `min_width` or lower than `min_height` pixels.
    pub fn too_small(min_width: u32, min_height: u32) -> String {
        format!("the image is smaller than {min_width}x{min_height} pixels")
    }
}

fn refuse(reason: &'static str, message: &str) -> Invalid {
    Invalid {
        reason,
        message: message.to_owned(),
    }
}

fn syntax(message: &str) -> Invalid {
    refuse(reason::SYNTAX, message)
}

/// Checks that `bytes` are one well-formed PNG or JPEG image within `limits`, and returns its
/// format and size.
///
/// Refused (reason, in the order checked): no bytes or more than `limits.max_bytes` (`length`);
/// neither the PNG signature nor a JPEG start-of-image marker first (`format`); a malformed
/// structure, including anything after the end of the image (`syntax`; the sections below say
/// what is checked); a width or height outside the limits (`length`).
///
/// Pure and total: any input gives an answer, never a panic; the time taken is linear in the
/// length of the input.
///
/// # PNG
///
/// The 8-byte signature; then chunks, each with a length of at most 2^31-1 that stays within the
/// file, a type of four ASCII letters and a CRC-32 that matches; IHDR first, of 13 bytes, with a
/// non-zero width and height, a bit depth allowed for the colour type (greyscale 1, 2, 4, 8, 16;
/// truecolour 8, 16; indexed 1, 2, 4, 8; greyscale with alpha 8, 16; truecolour with alpha 8,
/// 16), compression and filter method 0 and interlace method 0 or 1; exactly one PLTE before the
/// image data for indexed colour, at most one for truecolour, none for greyscale, with 1 to
/// 2^bit-depth (at most 256) entries of 3 bytes; no critical chunk other than IHDR, PLTE, IDAT,
/// IEND (ancillary chunks are allowed anywhere after IHDR); at least one IDAT, all of them
/// consecutive, their data beginning with a zlib header (RFC 1950: deflate, a window of at most
/// 32 KiB, no preset dictionary, FCHECK right); an empty IEND last, and nothing after it.
///
/// # JPEG
///
/// The start-of-image marker FFD8; then marker segments, each length within the file, with any
/// number of fill bytes FF before a marker and the standalone markers RST0-RST7 and TEM skipped;
/// exactly one frame header (SOF0-3, 5-7, 9-11, 13-15) before the first scan, with a precision
/// the process allows (baseline 8; extended and progressive 8 or 12; lossless 2 to 16), a
/// non-zero height and width, 1 to 255 components (at most 4 for progressive) of distinct
/// identifiers with sampling factors 1 to 4 and quantization table 0 to 3; tables (DHT, DQT,
/// DAC), DRI, APPn and COM segments anywhere, DNL only after a scan; at least one scan, each
/// header naming 1 to 4 components of the frame, followed by entropy-coded data that ends at a
/// marker (FF00 stuffing and RSTn allowed inside); the end-of-image marker FFD9 last, and nothing
/// after it. Hierarchical files (DHP, EXP), reserved markers and a second SOI are refused.
pub fn inspect(bytes: &[u8], limits: &ImageLimits) -> Result<ImageInfo, Invalid> {
    if bytes.is_empty() {
        return Err(refuse(reason::LENGTH, message::EMPTY));
    }
    if bytes.len() > limits.max_bytes {
        return Err(refuse(
            reason::LENGTH,
            &message::too_many_bytes(limits.max_bytes),
        ));
    }
    let (format, (width, height)) = if bytes.starts_with(&PNG_SIGNATURE) {
        (ImageFormat::Png, png(bytes)?)
    } else if PNG_SIGNATURE.starts_with(bytes) {
        // A PNG cut within its signature.
        return Err(syntax(message::PNG_TRUNCATED));
    } else if bytes.starts_with(&[0xFF, SOI]) {
        (ImageFormat::Jpeg, jpeg(bytes)?)
    } else if bytes == [0xFF] {
        return Err(syntax(message::JPEG_TRUNCATED));
    } else {
        return Err(refuse(reason::FORMAT, message::NOT_PNG_OR_JPEG));
    };
    if width > limits.max_width || height > limits.max_height {
        return Err(refuse(
            reason::LENGTH,
            &message::too_large(limits.max_width, limits.max_height),
        ));
    }
    if width < limits.min_width || height < limits.min_height {
        return Err(refuse(
            reason::LENGTH,
            &message::too_small(limits.min_width, limits.min_height),
        ));
    }
    Ok(ImageInfo {
        format,
        width,
        height,
    })
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

// ---------------------------------------------------------------------------------------------
// PNG
// ---------------------------------------------------------------------------------------------

/// The PNG signature.
const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// The largest chunk length (and width, and height) PNG allows: 2^31-1.
const PNG_MAX: u32 = 0x7FFF_FFFF;

/// The CRC-32 of PNG (and zlib, Ethernet, ...): polynomial 0xEDB88320 (reflected), initial value
/// and final XOR all ones.
const CRC_TABLE: [u32; 256] = crc_table();

// Evaluated at compile time only: an index out of range would fail the build, never a run.
#[allow(clippy::indexing_slicing)]
const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

/// The CRC-32 of the concatenation of `parts`.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for part in parts {
        for &byte in *part {
            let entry = CRC_TABLE
                .get(usize::from(crc as u8 ^ byte))
                .copied()
                .unwrap_or_default();
            crc = entry ^ (crc >> 8);
        }
    }
    crc ^ 0xFFFF_FFFF
}

/// One chunk: its type and its data (length and CRC checked).
struct Chunk<'a> {
    kind: [u8; 4],
    data: &'a [u8],
}

impl Chunk<'_> {
    /// Critical chunks have an upper-case first letter: a decoder must understand them.
    fn is_critical(&self) -> bool {
        self.kind[0].is_ascii_uppercase()
    }
}

/// The chunk at the start of `rest`, and what follows it.
fn next_chunk(rest: &[u8]) -> Result<(Chunk<'_>, &[u8]), Invalid> {
    let length = be_u32(rest, 0).ok_or_else(|| syntax(message::PNG_TRUNCATED))?;
    if length > PNG_MAX {
        return Err(syntax(message::PNG_CHUNK));
    }
    let data_end = usize::try_from(length)
        .ok()
        .and_then(|n| n.checked_add(8))
        .ok_or_else(|| syntax(message::PNG_CHUNK))?;
    let (kind, data, crc) = match (
        rest.get(4..8),
        rest.get(8..data_end),
        be_u32(rest, data_end),
    ) {
        (Some(kind), Some(data), Some(crc)) => (kind, data, crc),
        _ => return Err(syntax(message::PNG_TRUNCATED)),
    };
    let kind: [u8; 4] = kind
        .try_into()
        .map_err(|_| syntax(message::PNG_TRUNCATED))?;
    if !kind.iter().all(u8::is_ascii_alphabetic) {
        return Err(syntax(message::PNG_CHUNK));
    }
    if crc32(&[&kind, data]) != crc {
        return Err(syntax(message::PNG_CHECKSUM));
    }
    let after = rest.get(data_end + 4..).unwrap_or_default();
    Ok((Chunk { kind, data }, after))
}

/// What IHDR says that later chunks depend on.
struct PngHeader {
    width: u32,
    height: u32,
    bit_depth: u8,
    colour_type: u8,
}

fn png_header(data: &[u8]) -> Option<PngHeader> {
    let &[
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        _,
        bit_depth,
        colour_type,
        compression,
        filter,
        interlace,
    ] = data
    else {
        return None;
    };
    let width = be_u32(data, 0)?;
    let height = be_u32(data, 4)?;
    let depth_allowed = match colour_type {
        0 => matches!(bit_depth, 1 | 2 | 4 | 8 | 16),
        3 => matches!(bit_depth, 1 | 2 | 4 | 8),
        2 | 4 | 6 => matches!(bit_depth, 8 | 16),
        _ => false,
    };
    let ok = (1..=PNG_MAX).contains(&width)
        && (1..=PNG_MAX).contains(&height)
        && depth_allowed
        && compression == 0
        && filter == 0
        && matches!(interlace, 0 | 1);
    ok.then_some(PngHeader {
        width,
        height,
        bit_depth,
        colour_type,
    })
}

/// Where the IDAT chunks are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ImageData {
    NotYet,
    /// In the run of consecutive IDAT chunks.
    Running,
    /// After it: another IDAT is an error.
    Ended,
}

/// The width and height of a well-formed PNG (`bytes` starts with the signature).
fn png(bytes: &[u8]) -> Result<(u32, u32), Invalid> {
    let mut rest = bytes.get(PNG_SIGNATURE.len()..).unwrap_or_default();

    let (first, after) = next_chunk(rest)?;
    rest = after;
    if &first.kind != b"IHDR" {
        return Err(syntax(message::PNG_HEADER));
    }
    let header = png_header(first.data).ok_or_else(|| syntax(message::PNG_HEADER))?;

    let mut palette = false;
    let mut data = ImageData::NotYet;
    // The first two bytes of the zlib stream (which an IDAT of 0 or 1 bytes may split).
    let mut zlib_header = [0u8; 2];
    let mut zlib_seen = 0usize;
    loop {
        if rest.is_empty() {
            return Err(syntax(message::PNG_TRUNCATED));
        }
        let (chunk, after) = next_chunk(rest)?;
        rest = after;
        if data == ImageData::Running && &chunk.kind != b"IDAT" {
            data = ImageData::Ended;
        }
        match &chunk.kind {
            b"IDAT" => {
                if data == ImageData::Ended {
                    return Err(syntax(message::PNG_DATA));
                }
                if data == ImageData::NotYet && header.colour_type == 3 && !palette {
                    return Err(syntax(message::PNG_PALETTE));
                }
                data = ImageData::Running;
                for &byte in chunk.data.iter().take(2usize.saturating_sub(zlib_seen)) {
                    if let Some(slot) = zlib_header.get_mut(zlib_seen) {
                        *slot = byte;
                    }
                    zlib_seen += 1;
                }
            }
            b"PLTE" => {
                let entries = chunk.data.len() / 3;
                let most = match header.colour_type {
                    3 => 1usize << header.bit_depth,
                    _ => 256,
                };
                let ok = !palette
                    && data == ImageData::NotYet
                    && matches!(header.colour_type, 2 | 3 | 6)
                    && chunk.data.len() % 3 == 0
                    && (1..=most).contains(&entries);
                if !ok {
                    return Err(syntax(message::PNG_PALETTE));
                }
                palette = true;
            }
            b"IEND" => {
                if !chunk.data.is_empty() {
                    return Err(syntax(message::PNG_CHUNK));
                }
                if data == ImageData::NotYet || zlib_seen < 2 || !is_zlib_header(zlib_header) {
                    return Err(syntax(message::PNG_DATA));
                }
                if !rest.is_empty() {
                    return Err(syntax(message::PNG_TRAILING));
                }
                return Ok((header.width, header.height));
            }
            _ if chunk.is_critical() => return Err(syntax(message::PNG_CRITICAL_CHUNK)),
            _ => {}
        }
    }
}

/// RFC 1950 CMF and FLG as PNG requires them: compression method 8 (deflate) with a window of at
/// most 32 KiB, no preset dictionary, and the check bits making CMF·256 + FLG a multiple of 31.
fn is_zlib_header([cmf, flg]: [u8; 2]) -> bool {
    cmf & 0x0F == 8
        && cmf >> 4 <= 7
        && flg & 0x20 == 0
        && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0
}

// ---------------------------------------------------------------------------------------------
// JPEG
// ---------------------------------------------------------------------------------------------

/// Start of image.
const SOI: u8 = 0xD8;
/// End of image.
const EOI: u8 = 0xD9;
/// Start of scan.
const SOS: u8 = 0xDA;
/// Define number of lines.
const DNL: u8 = 0xDC;
/// Define restart interval.
const DRI: u8 = 0xDD;
/// Temporary private use in arithmetic coding: standalone.
const TEM: u8 = 0x01;

/// Whether `marker` is a frame header (SOFn): 0xC0-0xCF except DHT (C4), JPG (C8) and DAC (CC).
fn is_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF)
}

/// Whether the process of frame `marker` allows a sample precision of `bits` (T.81 B.2.2).
fn precision_allowed(marker: u8, bits: u8) -> bool {
    match marker {
        // Baseline sequential DCT.
        0xC0 => bits == 8,
        // Lossless (Huffman or arithmetic, differential or not).
        0xC3 | 0xC7 | 0xCB | 0xCF => (2..=16).contains(&bits),
        // Extended sequential and progressive DCT.
        _ => bits == 8 || bits == 12,
    }
}

fn is_progressive(marker: u8) -> bool {
    matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE)
}

/// The components a frame declares, as a set of their identifiers.
struct Components([bool; 256]);

impl Components {
    fn contains(&self, id: u8) -> bool {
        self.0.get(usize::from(id)).copied().unwrap_or(false)
    }

    /// Adds `id`; false if it was there already.
    fn insert(&mut self, id: u8) -> bool {
        match self.0.get_mut(usize::from(id)) {
            Some(present) if !*present => {
                *present = true;
                true
            }
            _ => false,
        }
    }
}

/// A frame header's height and width (T.81 B.2.2), and its components.
fn frame_header(marker: u8, data: &[u8]) -> Option<(u32, u32, Components)> {
    let (&[precision, _, _, _, _, count], specs) = data.split_first_chunk::<6>()?;
    let height = be_u16(data, 1)?;
    let width = be_u16(data, 3)?;
    let most = if is_progressive(marker) { 4 } else { 255 };
    if !precision_allowed(marker, precision)
        || height == 0
        || width == 0
        || !(1..=most).contains(&count)
        || specs.len() != 3 * usize::from(count)
    {
        return None;
    }
    let mut components = Components([false; 256]);
    for spec in specs.chunks_exact(3) {
        let &[id, sampling, table] = spec else {
            return None;
        };
        let (h, v) = (sampling >> 4, sampling & 0x0F);
        if !components.insert(id) || !(1..=4).contains(&h) || !(1..=4).contains(&v) || table > 3 {
            return None;
        }
    }
    Some((u32::from(height), u32::from(width), components))
}

/// Whether a scan header (T.81 B.2.3) is well formed for the frame's `components`.
fn scan_header_ok(data: &[u8], components: &Components) -> bool {
    let Some((&count, rest)) = data.split_first() else {
        return false;
    };
    // Ns component selectors with their table selectors, then Ss, Se, Ah/Al.
    if !(1..=4).contains(&count) || rest.len() != 2 * usize::from(count) + 3 {
        return false;
    }
    rest.chunks_exact(2)
        .take(usize::from(count))
        .all(|spec| spec.first().is_some_and(|&id| components.contains(id)))
}

/// The marker code at `at` after its fill bytes, and the position after it.
fn marker_at(bytes: &[u8], at: usize) -> Result<(u8, usize), Invalid> {
    match bytes.get(at) {
        Some(0xFF) => {}
        Some(_) => return Err(syntax(message::JPEG_MARKER)),
        None => return Err(syntax(message::JPEG_TRUNCATED)),
    }
    let mut at = at + 1;
    loop {
        match bytes.get(at) {
            Some(0xFF) => at += 1,
            // FF00 is a stuffed byte, only in entropy-coded data.
            Some(0x00) => return Err(syntax(message::JPEG_MARKER)),
            Some(&code) => return Ok((code, at + 1)),
            None => return Err(syntax(message::JPEG_TRUNCATED)),
        }
    }
}

/// The end of the entropy-coded data starting at `at`: the position of the marker after it.
fn entropy_coded_end(bytes: &[u8], mut at: usize) -> Result<usize, Invalid> {
    loop {
        let rest = bytes.get(at..).unwrap_or_default();
        let ff = rest
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or_else(|| syntax(message::JPEG_TRUNCATED))?;
        at += ff;
        match bytes.get(at + 1) {
            // Stuffing, and restart markers, belong to the entropy-coded data.
            Some(0x00 | 0xD0..=0xD7) => at += 2,
            Some(_) => return Ok(at),
            None => return Err(syntax(message::JPEG_TRUNCATED)),
        }
    }
}

/// The width and height of a well-formed JPEG (`bytes` starts with FFD8).
fn jpeg(bytes: &[u8]) -> Result<(u32, u32), Invalid> {
    let mut at = 2;
    let mut frame: Option<(u32, u32, Components)> = None;
    let mut scanned = false;
    loop {
        let (marker, after) = marker_at(bytes, at)?;
        at = after;
        match marker {
            EOI => {
                let Some((height, width, _)) = frame.filter(|_| scanned) else {
                    return Err(syntax(message::JPEG_SCAN));
                };
                if at != bytes.len() {
                    return Err(syntax(message::JPEG_TRAILING));
                }
                return Ok((width, height));
            }
            0xD0..=0xD7 | TEM => continue,
            // Segments: frame and scan headers, DNL, DRI; DHT, DAC, DQT, APP0-APP15, COM.
            _ if is_frame(marker) => {}
            SOS | DNL | DRI | 0xC4 | 0xCC | 0xDB | 0xE0..=0xEF | 0xFE => {}
            // A second SOI, hierarchical files (DHP, EXP), JPG and JPGn extensions, reserved.
            _ => return Err(syntax(message::JPEG_MARKER)),
        }
        // Every other marker begins a segment: a length (counting itself) and data.
        let length = be_u16(bytes, at).ok_or_else(|| syntax(message::JPEG_TRUNCATED))?;
        let end = at + usize::from(length);
        if length < 2 {
            return Err(syntax(message::JPEG_MARKER));
        }
        let data = bytes
            .get(at + 2..end)
            .ok_or_else(|| syntax(message::JPEG_TRUNCATED))?;
        at = end;
        match marker {
            _ if is_frame(marker) => {
                if frame.is_some() {
                    return Err(syntax(message::JPEG_FRAME));
                }
                frame =
                    Some(frame_header(marker, data).ok_or_else(|| syntax(message::JPEG_FRAME))?);
            }
            SOS => {
                let Some((_, _, components)) = &frame else {
                    return Err(syntax(message::JPEG_FRAME));
                };
                if !scan_header_ok(data, components) {
                    return Err(syntax(message::JPEG_SCAN));
                }
                at = entropy_coded_end(bytes, at)?;
                scanned = true;
            }
            // DRI (restart interval) and DNL (number of lines) have two bytes; DNL comes after
            // the first scan only.
            DRI | DNL if data.len() != 2 || (marker == DNL && !scanned) => {
                return Err(syntax(message::JPEG_MARKER));
            }
            // Tables, application data and comments are not interpreted.
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A PNG encoder for synthetic images
// ---------------------------------------------------------------------------------------------

/// Adler-32 (RFC 1950 §8.2).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 bytes is the longest run whose sums cannot overflow a u32 before reduction.
    let (mut a, mut b) = (1u32, 0u32);
    for run in data.chunks(5552) {
        for &byte in run {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    b << 16 | a
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    // Encoder input is ours, but a chunk longer than PNG allows is cut rather than mis-sized.
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX).min(PNG_MAX);
    let data = data.get(..length as usize).unwrap_or(data);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// An 8-bit greyscale PNG of `width` x `height` pixels: `pixels` row by row, top to bottom, one
/// byte a pixel (0 black, 255 white). Pixels missing from `pixels` are black; bytes beyond
/// `width * height` are ignored.
///
/// Uncompressed (zlib stored blocks), so the file is about `width * height` bytes: meant for
/// synthetic images (a provider simulator's document photos, tests), not for storage. A width or
/// height of 0 gives a file [`inspect`] refuses, as PNG does not allow it. [`inspect`] accepts
/// every other output whose size is within its limits.
pub fn encode_png_gray(width: u32, height: u32, pixels: &[u8]) -> Vec<u8> {
    let row = width as usize;
    let rows = height as usize;
    // Each scanline: filter type 0 (None), then the row.
    let mut raw = Vec::with_capacity(rows.saturating_mul(row.saturating_add(1)));
    for y in 0..rows {
        raw.push(0);
        let start = y.saturating_mul(row);
        let given = pixels.get(start..).unwrap_or_default();
        let take = given.len().min(row);
        raw.extend_from_slice(given.get(..take).unwrap_or_default());
        raw.resize(raw.len() + (row - take), 0);
    }

    // zlib (RFC 1950): CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (no dictionary, check bits);
    // then deflate stored blocks (RFC 1951 §3.2.4) of at most 65535 bytes; then Adler-32.
    let mut zlib = Vec::with_capacity(raw.len() + raw.len() / 65_535 * 5 + 11);
    zlib.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        zlib.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        zlib.push(u8::from(last));
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let [w0, w1, w2, w3] = width.to_be_bytes();
    let [h0, h1, h2, h3] = height.to_be_bytes();
    // Bit depth 8, colour type 0 (greyscale), compression 0, filter 0, no interlace.
    let ihdr = [w0, w1, w2, w3, h0, h1, h2, h3, 8, 0, 0, 0, 0];

    let mut png = Vec::with_capacity(zlib.len() + 57);
    png.extend_from_slice(&PNG_SIGNATURE);
    push_chunk(&mut png, b"IHDR", &ihdr);
    push_chunk(&mut png, b"IDAT", &zlib);
    push_chunk(&mut png, b"IEND", &[]);
    png
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    const PERMISSIVE: ImageLimits = ImageLimits {
        max_bytes: usize::MAX,
        max_width: u32::MAX,
        max_height: u32::MAX,
        min_width: 0,
        min_height: 0,
    };

    fn accepted(bytes: &[u8]) -> ImageInfo {
        inspect(bytes, &ImageLimits::default()).expect("accepted")
    }

    fn refused(bytes: &[u8]) -> Invalid {
        inspect(bytes, &PERMISSIVE).expect_err("refused")
    }

    /// The refusal, which must be a syntax error with `message`.
    fn assert_syntax(bytes: &[u8], message: &str) {
        let invalid = refused(bytes);
        assert_eq!(
            (invalid.reason, invalid.message.as_str()),
            (reason::SYNTAX, message)
        );
    }

    // --- PNG construction ----------------------------------------------------------------------

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        push_chunk(&mut out, kind, data);
        out
    }

    fn ihdr(width: u32, height: u32, bit_depth: u8, colour_type: u8, interlace: u8) -> Vec<u8> {
        let mut data = Vec::new();
        data.extend_from_slice(&width.to_be_bytes());
        data.extend_from_slice(&height.to_be_bytes());
        data.extend_from_slice(&[bit_depth, colour_type, 0, 0, interlace]);
        chunk(b"IHDR", &data)
    }

    /// A zlib stream with one stored block of `raw` (no compression).
    fn zlib_stored(raw: &[u8]) -> Vec<u8> {
        let len = u16::try_from(raw.len()).unwrap();
        let mut z = vec![0x78, 0x01, 0x01];
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(raw);
        z.extend_from_slice(&adler32(raw).to_be_bytes());
        z
    }

    fn png_of(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut png = PNG_SIGNATURE.to_vec();
        for c in chunks {
            png.extend_from_slice(c);
        }
        png
    }

    fn iend() -> Vec<u8> {
        chunk(b"IEND", &[])
    }

    /// A 16x16 truecolour (RGB, 8-bit) PNG: 16 scanlines of a filter byte and 48 bytes.
    fn rgb_png() -> Vec<u8> {
        let raw: Vec<u8> = (0..16)
            .flat_map(|y| std::iter::once(0).chain((0..48).map(move |x| (x * 5 + y) as u8)))
            .collect();
        png_of(&[
            ihdr(16, 16, 8, 2, 0),
            chunk(b"IDAT", &zlib_stored(&raw)),
            iend(),
        ])
    }

    /// A 16x20 indexed-colour PNG with a 4-entry palette, 2 bits a pixel, ancillary chunks around.
    fn indexed_png() -> Vec<u8> {
        let raw: Vec<u8> = (0..20)
            .flat_map(|_| [0u8, 0x1B, 0xE4, 0x1B, 0xE4])
            .collect();
        png_of(&[
            ihdr(16, 20, 2, 3, 0),
            chunk(b"gAMA", &45_455u32.to_be_bytes()),
            chunk(b"PLTE", &[0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]),
            chunk(b"tRNS", &[0]),
            chunk(b"IDAT", &zlib_stored(&raw)),
            chunk(b"tEXt", b"Comment\0synthetic"),
            iend(),
        ])
    }

    // --- CRC-32 and Adler-32 -------------------------------------------------------------------

    #[test]
    fn checksums_give_their_published_check_values() {
        // The check value of CRC-32/ISO-HDLC and the CRC of every PNG's IEND chunk.
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"", b"56789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
        assert_eq!(crc32(&[]), 0);
        // RFC 1950's example of Adler-32 (Wikipedia) and its initial value.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
        // Long runs of 0xFF, where an unreduced sum would overflow: agree with a plain reduction
        // after every byte.
        let long = vec![0xFF; 100_000];
        let (mut a, mut b) = (1u64, 0u64);
        for &byte in &long {
            a = (a + u64::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(u64::from(adler32(&long)), b << 16 | a);
    }

    // --- PNG accepted --------------------------------------------------------------------------

    #[test]
    fn well_formed_pngs_are_accepted() {
        assert_eq!(
            accepted(&rgb_png()),
            ImageInfo {
                format: ImageFormat::Png,
                width: 16,
                height: 16
            }
        );
        assert_eq!(
            accepted(&indexed_png()),
            ImageInfo {
                format: ImageFormat::Png,
                width: 16,
                height: 20
            }
        );
        // Every bit depth of every colour type PNG allows (the data is not decoded, so one
        // zlib stream does for all), interlaced or not.
        let z = chunk(b"IDAT", &zlib_stored(&[0; 32]));
        let plte = chunk(b"PLTE", &[0; 6]);
        for (colour_type, depths) in [
            (0u8, &[1u8, 2, 4, 8, 16][..]),
            (2, &[8, 16]),
            (3, &[1, 2, 4, 8]),
            (4, &[8, 16]),
            (6, &[8, 16]),
        ] {
            for &depth in depths {
                for interlace in [0, 1] {
                    let mut chunks = vec![ihdr(16, 16, depth, colour_type, interlace)];
                    if colour_type == 3 {
                        chunks.push(plte.clone());
                    }
                    chunks.extend([z.clone(), iend()]);
                    assert_eq!(
                        accepted(&png_of(&chunks)).width,
                        16,
                        "{colour_type}/{depth}"
                    );
                }
            }
        }
        // A suggested palette in truecolour; the zlib stream split over IDATs, one of them empty,
        // the header split over two; an unknown ancillary chunk.
        let stream = zlib_stored(&[0; 40]);
        let png = png_of(&[
            ihdr(16, 16, 8, 6, 0),
            chunk(b"PLTE", &[1, 2, 3]),
            chunk(b"IDAT", &[]),
            chunk(b"IDAT", &stream[..1]),
            chunk(b"IDAT", &stream[1..10]),
            chunk(b"IDAT", &stream[10..]),
            chunk(b"yiXn", b"ancillary, private, safe to copy"),
            iend(),
        ]);
        assert_eq!(accepted(&png).height, 16);
    }

    // --- PNG refused ---------------------------------------------------------------------------

    #[test]
    fn every_truncation_of_a_png_is_refused() {
        for png in [rgb_png(), indexed_png(), encode_png_gray(16, 16, &[7; 256])] {
            assert!(inspect(&png, &PERMISSIVE).is_ok());
            assert_eq!(refused(&[]).reason, reason::LENGTH);
            for n in 1..png.len() {
                let invalid = refused(&png[..n]);
                assert_eq!(invalid.reason, reason::SYNTAX, "{n}");
                assert_eq!(invalid.message, message::PNG_TRUNCATED, "{n}");
            }
        }
    }

    #[test]
    fn every_single_bit_flip_of_a_png_is_refused() {
        for png in [rgb_png(), indexed_png()] {
            for i in 0..png.len() {
                for bit in 0..8 {
                    let mut damaged = png.clone();
                    damaged[i] ^= 1 << bit;
                    assert!(
                        inspect(&damaged, &PERMISSIVE).is_err(),
                        "bit {bit} of byte {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_wrong_crc_is_refused_in_every_chunk() {
        let png = indexed_png();
        // Walk the chunks and damage each one's CRC in turn.
        let mut at = 8;
        let mut chunks = 0;
        while at < png.len() {
            let length = be_u32(&png, at).unwrap() as usize;
            let crc_at = at + 8 + length;
            let mut damaged = png.clone();
            damaged[crc_at + 3] ^= 0x01;
            assert_syntax(&damaged, message::PNG_CHECKSUM);
            at = crc_at + 4;
            chunks += 1;
        }
        assert_eq!(chunks, 7);
    }

    #[test]
    fn png_structure_refusals() {
        let z = chunk(b"IDAT", &zlib_stored(&[0; 17]));
        let header = ihdr(16, 16, 8, 0, 0);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "no IEND",
                png_of(&[header.clone(), z.clone()]),
                message::PNG_TRUNCATED,
            ),
            (
                "signature only",
                PNG_SIGNATURE.to_vec(),
                message::PNG_TRUNCATED,
            ),
            (
                "trailing byte",
                [png_of(&[header.clone(), z.clone(), iend()]), vec![0]].concat(),
                message::PNG_TRAILING,
            ),
            (
                "chunk after IEND",
                png_of(&[header.clone(), z.clone(), iend(), iend()]),
                message::PNG_TRAILING,
            ),
            (
                "IEND with data",
                png_of(&[header.clone(), z.clone(), chunk(b"IEND", &[0])]),
                message::PNG_CHUNK,
            ),
            (
                "no IDAT",
                png_of(&[header.clone(), iend()]),
                message::PNG_DATA,
            ),
            (
                "IDATs not consecutive",
                png_of(&[
                    header.clone(),
                    z.clone(),
                    chunk(b"tEXt", b"a\0b"),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_DATA,
            ),
            (
                "IDAT of one byte",
                png_of(&[header.clone(), chunk(b"IDAT", &[0x78]), iend()]),
                message::PNG_DATA,
            ),
            (
                "IDAT not zlib (stored block without the zlib header)",
                png_of(&[
                    header.clone(),
                    chunk(b"IDAT", &zlib_stored(&[0; 17])[2..]),
                    iend(),
                ]),
                message::PNG_DATA,
            ),
            (
                "zlib with a preset dictionary",
                png_of(&[header.clone(), chunk(b"IDAT", &[0x78, 0x20, 0, 0]), iend()]),
                message::PNG_DATA,
            ),
            (
                "zlib with a 64 KiB window",
                png_of(&[header.clone(), chunk(b"IDAT", &[0x88, 0x1C, 0, 0]), iend()]),
                message::PNG_DATA,
            ),
            (
                "zlib with wrong check bits",
                png_of(&[header.clone(), chunk(b"IDAT", &[0x78, 0x9D, 0, 0]), iend()]),
                message::PNG_DATA,
            ),
            (
                "IHDR not first",
                png_of(&[chunk(b"tEXt", b"a\0b"), header.clone(), z.clone(), iend()]),
                message::PNG_HEADER,
            ),
            (
                "IDAT first",
                png_of(&[z.clone(), iend()]),
                message::PNG_HEADER,
            ),
            (
                "IHDR of 12 bytes",
                png_of(&[
                    chunk(b"IHDR", &[0, 0, 0, 16, 0, 0, 0, 16, 8, 0, 0, 0]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_HEADER,
            ),
            (
                "two IHDR",
                png_of(&[header.clone(), header.clone(), z.clone(), iend()]),
                message::PNG_CRITICAL_CHUNK,
            ),
            (
                "unknown critical chunk",
                png_of(&[header.clone(), chunk(b"YIXN", &[]), z.clone(), iend()]),
                message::PNG_CRITICAL_CHUNK,
            ),
            (
                "chunk type with a digit",
                png_of(&[header.clone(), chunk(b"tEX1", &[]), z.clone(), iend()]),
                message::PNG_CHUNK,
            ),
            (
                "chunk length 2^31",
                [
                    png_of(std::slice::from_ref(&header)),
                    0x8000_0000u32.to_be_bytes().to_vec(),
                    b"IDAT".to_vec(),
                ]
                .concat(),
                message::PNG_CHUNK,
            ),
            (
                "chunk length past the end",
                [
                    png_of(std::slice::from_ref(&header)),
                    0x7FFF_FFFFu32.to_be_bytes().to_vec(),
                    b"IDAT".to_vec(),
                    vec![0; 64],
                ]
                .concat(),
                message::PNG_TRUNCATED,
            ),
            (
                "indexed colour without PLTE",
                png_of(&[ihdr(16, 16, 8, 3, 0), z.clone(), iend()]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE in greyscale",
                png_of(&[header.clone(), chunk(b"PLTE", &[0; 3]), z.clone(), iend()]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE in greyscale with alpha",
                png_of(&[
                    ihdr(16, 16, 8, 4, 0),
                    chunk(b"PLTE", &[0; 3]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE after IDAT",
                png_of(&[
                    ihdr(16, 16, 8, 2, 0),
                    z.clone(),
                    chunk(b"PLTE", &[0; 3]),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "two PLTE",
                png_of(&[
                    ihdr(16, 16, 8, 3, 0),
                    chunk(b"PLTE", &[0; 3]),
                    chunk(b"PLTE", &[0; 3]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE of 4 bytes",
                png_of(&[
                    ihdr(16, 16, 8, 3, 0),
                    chunk(b"PLTE", &[0; 4]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "empty PLTE",
                png_of(&[
                    ihdr(16, 16, 8, 3, 0),
                    chunk(b"PLTE", &[]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE of 5 entries at 2 bits a pixel",
                png_of(&[
                    ihdr(16, 16, 2, 3, 0),
                    chunk(b"PLTE", &[0; 15]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
            (
                "PLTE of 257 entries",
                png_of(&[
                    ihdr(16, 16, 8, 2, 0),
                    chunk(b"PLTE", &[0; 771]),
                    z.clone(),
                    iend(),
                ]),
                message::PNG_PALETTE,
            ),
        ];
        for (what, png, expected) in cases {
            let invalid = refused(&png);
            assert_eq!(
                (invalid.reason, invalid.message.as_str()),
                (reason::SYNTAX, expected),
                "{what}"
            );
        }
        // A palette of exactly 2^depth entries is fine.
        let png = png_of(&[
            ihdr(16, 16, 2, 3, 0),
            chunk(b"PLTE", &[0; 12]),
            z.clone(),
            iend(),
        ]);
        assert!(inspect(&png, &PERMISSIVE).is_ok());
    }

    #[test]
    fn png_headers_outside_the_specification_are_refused() {
        let z = chunk(b"IDAT", &zlib_stored(&[0; 17]));
        let with_header = |data: [u8; 13]| png_of(&[chunk(b"IHDR", &data), z.clone(), iend()]);
        let good = [0, 0, 0, 16, 0, 0, 0, 16, 8, 0, 0, 0, 0];
        assert!(inspect(&with_header(good), &PERMISSIVE).is_ok());
        let mut bad = Vec::new();
        // Zero and over 2^31-1 width or height.
        for (at, value) in [(0, 0u32), (4, 0), (0, 0x8000_0000), (4, 0xFFFF_FFFF)] {
            let mut h = good;
            h[at..at + 4].copy_from_slice(&value.to_be_bytes());
            bad.push(h);
        }
        // Bit depths a colour type does not allow, and undefined colour types.
        for (depth, colour) in [
            (3, 0),
            (0, 0),
            (32, 0),
            (1, 2),
            (4, 2),
            (16, 3),
            (4, 4),
            (2, 6),
            (8, 1),
            (8, 5),
            (8, 7),
        ] {
            let mut h = good;
            h[8] = depth;
            h[9] = colour;
            bad.push(h);
        }
        // Compression, filter and interlace methods PNG does not define.
        for (at, value) in [(10, 1), (11, 1), (12, 2), (12, 0xFF)] {
            let mut h = good;
            h[at] = value;
            bad.push(h);
        }
        for h in bad {
            assert_syntax(&with_header(h), message::PNG_HEADER);
        }
        // The largest width PNG allows is well-formed; the limits refuse it.
        let mut h = good;
        h[0..4].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
        let png = with_header(h);
        assert_eq!(inspect(&png, &PERMISSIVE).unwrap().width, 0x7FFF_FFFF);
        let invalid = inspect(&png, &ImageLimits::default()).unwrap_err();
        assert_eq!(invalid.reason, reason::LENGTH);
        assert_eq!(invalid.message, "the image is larger than 8192x8192 pixels");
    }

    // --- JPEG construction ---------------------------------------------------------------------

    fn segment(marker: u8, data: &[u8]) -> Vec<u8> {
        let length = u16::try_from(data.len() + 2).unwrap();
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&length.to_be_bytes());
        s.extend_from_slice(data);
        s
    }

    fn app0_jfif() -> Vec<u8> {
        segment(0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    }

    /// Quantization table 0: 64 ones.
    fn dqt() -> Vec<u8> {
        segment(0xDB, &[[0u8].as_slice(), &[1; 64]].concat())
    }

    /// One Huffman table of `class` (0 DC, 1 AC) and id 0 with a single code of length 1, "0",
    /// for symbol 0: DC difference 0, or end of block.
    fn dht(class: u8) -> Vec<u8> {
        let mut data = vec![class << 4, 1];
        data.extend_from_slice(&[0; 15]);
        data.push(0);
        segment(0xC4, &data)
    }

    fn sof(marker: u8, precision: u8, height: u16, width: u16, components: &[[u8; 3]]) -> Vec<u8> {
        let mut data = vec![precision];
        data.extend_from_slice(&height.to_be_bytes());
        data.extend_from_slice(&width.to_be_bytes());
        data.push(u8::try_from(components.len()).unwrap());
        for c in components {
            data.extend_from_slice(c);
        }
        segment(marker, &data)
    }

    fn grey_sof(height: u16, width: u16) -> Vec<u8> {
        sof(0xC0, 8, height, width, &[[1, 0x11, 0]])
    }

    /// A scan header for component 1 with tables 0/0 over the whole spectrum.
    fn sos() -> Vec<u8> {
        segment(0xDA, &[1, 1, 0x00, 0, 63, 0])
    }

    const EOI_MARKER: [u8; 2] = [0xFF, 0xD9];

    /// A baseline 16x16 greyscale JPEG, decodable: 4 blocks, each DC difference 0 ("0") and end
    /// of block ("0"), 8 bits in all: one byte 0x00 of entropy-coded data. A flat grey square.
    fn grey_jpeg() -> Vec<u8> {
        [
            vec![0xFF, 0xD8],
            app0_jfif(),
            dqt(),
            grey_sof(16, 16),
            dht(0),
            dht(1),
            sos(),
            vec![0x00],
            EOI_MARKER.to_vec(),
        ]
        .concat()
    }

    fn jpeg_of(parts: &[Vec<u8>]) -> Vec<u8> {
        [vec![0xFF, 0xD8]]
            .iter()
            .chain(parts)
            .flatten()
            .copied()
            .collect()
    }

    // --- JPEG accepted -------------------------------------------------------------------------

    #[test]
    fn well_formed_jpegs_are_accepted() {
        assert_eq!(
            accepted(&grey_jpeg()),
            ImageInfo {
                format: ImageFormat::Jpeg,
                width: 16,
                height: 16
            }
        );
        // Width and height from the frame header (not the JFIF density), in that order.
        let wide = jpeg_of(&[
            dqt(),
            grey_sof(17, 640),
            dht(0),
            dht(1),
            sos(),
            vec![0x00],
            EOI_MARKER.to_vec(),
        ]);
        assert_eq!(
            accepted(&wide),
            ImageInfo {
                format: ImageFormat::Jpeg,
                width: 640,
                height: 17
            }
        );

        // Fill bytes before markers, a comment and an Exif APP1, a restart interval; stuffing and
        // restart markers in the entropy-coded data, fill bytes before EOI.
        let busy = jpeg_of(&[
            vec![0xFF, 0xFF],
            segment(0xE1, b"Exif\0\0MM\0*"),
            segment(0xFE, b"synthetic"),
            vec![0xFF, 0xFF, 0xFF],
            dqt(),
            segment(0xDD, &[0, 1]),
            grey_sof(16, 16),
            dht(0),
            dht(1),
            sos(),
            vec![
                0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD1, 0xFF, 0x00,
            ],
            vec![0xFF, 0xFF, 0xFF, 0xD9],
        ]);
        assert_eq!(accepted(&busy).width, 16);

        // Progressive: three components, two scans with a table between, DNL after the first,
        // standalone RST and TEM between segments.
        let components = [[1, 0x22, 0], [2, 0x11, 1], [3, 0x11, 1]];
        let progressive = jpeg_of(&[
            dqt(),
            sof(0xC2, 8, 32, 48, &components),
            dht(0),
            segment(0xDA, &[3, 1, 0, 2, 0, 3, 0, 0, 0, 0x01]),
            vec![0xAB, 0xCD],
            segment(0xDC, &[0, 32]),
            dht(1),
            vec![0xFF, 0xD3, 0xFF, 0x01],
            segment(0xDA, &[1, 2, 0x00, 1, 63, 0x00]),
            vec![0xEF],
            EOI_MARKER.to_vec(),
        ]);
        assert_eq!(
            accepted(&progressive),
            ImageInfo {
                format: ImageFormat::Jpeg,
                width: 48,
                height: 32
            }
        );

        // Every frame marker with a precision its process allows.
        for (marker, precision) in [
            (0xC0, 8),
            (0xC1, 12),
            (0xC2, 12),
            (0xC3, 16),
            (0xC3, 2),
            (0xC5, 8),
            (0xC6, 8),
            (0xC7, 8),
            (0xC9, 8),
            (0xCA, 12),
            (0xCB, 12),
            (0xCD, 8),
            (0xCE, 8),
            (0xCF, 8),
        ] {
            let jpeg = jpeg_of(&[
                sof(marker, precision, 16, 16, &[[1, 0x11, 0]]),
                sos(),
                vec![0],
                EOI_MARKER.to_vec(),
            ]);
            assert_eq!(accepted(&jpeg).height, 16, "{marker:02X}/{precision}");
        }
    }

    // --- JPEG refused --------------------------------------------------------------------------

    #[test]
    fn every_truncation_of_a_jpeg_is_refused() {
        let jpeg = grey_jpeg();
        for n in 1..jpeg.len() {
            let invalid = refused(&jpeg[..n]);
            assert_eq!(invalid.reason, reason::SYNTAX, "{n}");
            assert_eq!(invalid.message, message::JPEG_TRUNCATED, "{n}");
        }
    }

    #[test]
    fn jpeg_structure_refusals() {
        let tables = [dqt(), dht(0), dht(1)].concat();
        let scan = [sos(), vec![0x00]].concat();
        let eoi = EOI_MARKER.to_vec();
        let frame = grey_sof(16, 16);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "no SOF",
                jpeg_of(&[tables.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_FRAME,
            ),
            (
                "no scan",
                jpeg_of(&[tables.clone(), frame.clone(), eoi.clone()]),
                message::JPEG_SCAN,
            ),
            (
                "SOI EOI",
                jpeg_of(std::slice::from_ref(&eoi)),
                message::JPEG_SCAN,
            ),
            (
                "no EOI",
                jpeg_of(&[frame.clone(), tables.clone(), scan.clone()]),
                message::JPEG_TRUNCATED,
            ),
            (
                "EOI cut",
                jpeg_of(&[frame.clone(), tables.clone(), scan.clone(), vec![0xFF]]),
                message::JPEG_TRUNCATED,
            ),
            (
                "trailing byte",
                jpeg_of(&[
                    frame.clone(),
                    tables.clone(),
                    scan.clone(),
                    eoi.clone(),
                    vec![0],
                ]),
                message::JPEG_TRAILING,
            ),
            (
                "trailing zero padding",
                jpeg_of(&[frame.clone(), scan.clone(), eoi.clone(), vec![0; 16]]),
                message::JPEG_TRAILING,
            ),
            (
                "a second image",
                [grey_jpeg(), grey_jpeg()].concat(),
                message::JPEG_TRAILING,
            ),
            (
                "two frames",
                jpeg_of(&[frame.clone(), frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_FRAME,
            ),
            (
                "frame after the scan",
                jpeg_of(&[frame.clone(), scan.clone(), frame.clone(), eoi.clone()]),
                message::JPEG_FRAME,
            ),
            (
                "height 0 (DNL)",
                jpeg_of(&[
                    grey_sof(0, 16),
                    scan.clone(),
                    segment(0xDC, &[0, 16]),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "width 0",
                jpeg_of(&[grey_sof(16, 0), scan.clone(), eoi.clone()]),
                message::JPEG_FRAME,
            ),
            (
                "baseline of 12 bits",
                jpeg_of(&[
                    sof(0xC0, 12, 16, 16, &[[1, 0x11, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "extended of 10 bits",
                jpeg_of(&[
                    sof(0xC1, 10, 16, 16, &[[1, 0x11, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "lossless of 1 bit",
                jpeg_of(&[
                    sof(0xC3, 1, 16, 16, &[[1, 0x11, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "no components",
                jpeg_of(&[sof(0xC0, 8, 16, 16, &[]), scan.clone(), eoi.clone()]),
                message::JPEG_FRAME,
            ),
            (
                "progressive with 5 components",
                jpeg_of(&[
                    sof(
                        0xC2,
                        8,
                        16,
                        16,
                        &[
                            [1, 0x11, 0],
                            [2, 0x11, 0],
                            [3, 0x11, 0],
                            [4, 0x11, 0],
                            [5, 0x11, 0],
                        ],
                    ),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "component twice",
                jpeg_of(&[
                    sof(0xC0, 8, 16, 16, &[[1, 0x11, 0], [1, 0x11, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "sampling factor 0",
                jpeg_of(&[
                    sof(0xC0, 8, 16, 16, &[[1, 0x01, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "sampling factor 5",
                jpeg_of(&[
                    sof(0xC0, 8, 16, 16, &[[1, 0x15, 0]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "quantization table 4",
                jpeg_of(&[
                    sof(0xC0, 8, 16, 16, &[[1, 0x11, 4]]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "SOF length disagreeing with its components",
                jpeg_of(&[
                    segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0, 0]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_FRAME,
            ),
            (
                "scan of a component not in the frame",
                jpeg_of(&[
                    frame.clone(),
                    segment(0xDA, &[1, 2, 0, 0, 63, 0]),
                    vec![0],
                    eoi.clone(),
                ]),
                message::JPEG_SCAN,
            ),
            (
                "scan of no components",
                jpeg_of(&[
                    frame.clone(),
                    segment(0xDA, &[0, 0, 63, 0]),
                    vec![0],
                    eoi.clone(),
                ]),
                message::JPEG_SCAN,
            ),
            (
                "scan header length wrong",
                jpeg_of(&[
                    frame.clone(),
                    segment(0xDA, &[1, 1, 0, 0, 63]),
                    vec![0],
                    eoi.clone(),
                ]),
                message::JPEG_SCAN,
            ),
            (
                "second SOI",
                jpeg_of(&[vec![0xFF, 0xD8], frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "garbage between segments",
                jpeg_of(&[frame.clone(), vec![0x00], scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "FF00 outside a scan",
                jpeg_of(&[vec![0xFF, 0x00], frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "segment length 1",
                jpeg_of(&[
                    vec![0xFF, 0xFE, 0x00, 0x01],
                    frame.clone(),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_MARKER,
            ),
            (
                "segment past the end",
                jpeg_of(&[vec![0xFF, 0xFE, 0xFF, 0xFF, 0x00]]),
                message::JPEG_TRUNCATED,
            ),
            (
                "reserved JPG marker",
                jpeg_of(&[segment(0xC8, &[]), frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "JPGn extension",
                jpeg_of(&[segment(0xF0, &[]), frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "reserved marker 02",
                jpeg_of(&[segment(0x02, &[]), frame.clone(), scan.clone(), eoi.clone()]),
                message::JPEG_MARKER,
            ),
            (
                "hierarchical DHP",
                jpeg_of(&[
                    segment(0xDE, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]),
                    frame.clone(),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_MARKER,
            ),
            (
                "DNL before a scan",
                jpeg_of(&[
                    frame.clone(),
                    segment(0xDC, &[0, 16]),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_MARKER,
            ),
            (
                "DRI of 3 bytes",
                jpeg_of(&[
                    segment(0xDD, &[0, 0, 1]),
                    frame.clone(),
                    scan.clone(),
                    eoi.clone(),
                ]),
                message::JPEG_MARKER,
            ),
        ];
        for (what, jpeg, expected) in cases {
            let invalid = refused(&jpeg);
            assert_eq!(
                (invalid.reason, invalid.message.as_str()),
                (reason::SYNTAX, expected),
                "{what}"
            );
        }
    }

    // --- Neither, and the limits ---------------------------------------------------------------

    #[test]
    fn other_formats_are_refused() {
        for (what, bytes) in [
            ("GIF", b"GIF89a\x10\x00\x10\x00\x80\x00\x00".to_vec()),
            ("GIF87a", b"GIF87a".to_vec()),
            (
                "WebP",
                b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00".to_vec(),
            ),
            (
                "BMP",
                b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00".to_vec(),
            ),
            ("TIFF", b"II*\x00\x08\x00\x00\x00".to_vec()),
            ("HEIC", b"\x00\x00\x00\x18ftypheic".to_vec()),
            ("PDF", b"%PDF-1.7\n".to_vec()),
            ("text", b"not an image".to_vec()),
            ("NUL", vec![0]),
            ("PNG signature with CR LF changed to LF", {
                let mut png = rgb_png();
                png.remove(4);
                png
            }),
            ("JPEG without its SOI", grey_jpeg()[2..].to_vec()),
            ("FF then something else", vec![0xFF, 0xD9]),
        ] {
            let invalid = refused(&bytes);
            assert_eq!(
                (invalid.reason, invalid.message.as_str()),
                (reason::FORMAT, message::NOT_PNG_OR_JPEG),
                "{what}"
            );
        }
        let empty = refused(&[]);
        assert_eq!(
            (empty.reason, empty.message.as_str()),
            (reason::LENGTH, message::EMPTY)
        );
    }

    #[test]
    fn limits_are_inclusive_and_checked() {
        let defaults = ImageLimits::default();
        assert_eq!(
            defaults,
            ImageLimits {
                max_bytes: 4 * 1024 * 1024,
                max_width: 8192,
                max_height: 8192,
                min_width: 16,
                min_height: 16
            }
        );
        let length = |bytes: &[u8], limits: &ImageLimits| {
            let invalid = inspect(bytes, limits).unwrap_err();
            assert_eq!(invalid.reason, reason::LENGTH);
            invalid.message
        };
        // Dimensions, each side alone, at and beyond the bounds.
        for (w, h) in [(16, 16), (8192, 16), (16, 8192)] {
            assert!(
                inspect(&encode_png_gray(w, h, &[]), &defaults).is_ok(),
                "{w}x{h}"
            );
        }
        for (w, h) in [(8193, 16), (16, 8193)] {
            let png = encode_png_gray(w, h, &[]);
            assert_eq!(
                length(&png, &defaults),
                "the image is larger than 8192x8192 pixels"
            );
            assert!(inspect(&png, &PERMISSIVE).is_ok());
        }
        for (w, h) in [(15, 16), (16, 15), (1, 1)] {
            let png = encode_png_gray(w, h, &[]);
            assert_eq!(
                length(&png, &defaults),
                "the image is smaller than 16x16 pixels"
            );
        }
        let jpeg = jpeg_of(&[grey_sof(9000, 16), sos(), vec![0], EOI_MARKER.to_vec()]);
        assert_eq!(
            length(&jpeg, &defaults),
            "the image is larger than 8192x8192 pixels"
        );
        let jpeg = jpeg_of(&[grey_sof(16, 8), sos(), vec![0], EOI_MARKER.to_vec()]);
        assert_eq!(
            length(&jpeg, &defaults),
            "the image is smaller than 16x16 pixels"
        );

        // Bytes: the bound is allowed, one more is not; checked before the structure.
        let png = encode_png_gray(16, 16, &[]);
        let at = ImageLimits {
            max_bytes: png.len(),
            ..defaults
        };
        assert!(inspect(&png, &at).is_ok());
        let below = ImageLimits {
            max_bytes: png.len() - 1,
            ..defaults
        };
        assert_eq!(
            length(&png, &below),
            format!("the file is larger than {} bytes", png.len() - 1)
        );
        assert_eq!(
            length(
                &[0; 5000],
                &ImageLimits {
                    max_bytes: 4096,
                    ..defaults
                }
            ),
            "the file is larger than 4 KiB"
        );
        assert_eq!(
            length(&vec![0; (4 << 20) + 1], &defaults),
            "the file is larger than 4 MiB"
        );
        assert_eq!(
            message::too_many_bytes(0),
            "the file is larger than 0 bytes"
        );
        assert_eq!(
            message::too_many_bytes(1536 * 1024),
            "the file is larger than 1536 KiB"
        );
    }

    #[test]
    fn messages_are_fixed_distinct_and_carry_no_image_content() {
        let distinct: std::collections::BTreeSet<_> = message::ALL.iter().collect();
        assert_eq!(distinct.len(), message::ALL.len());
        // Every refusal above came with a fixed message or a limit message; spot-check that a
        // refusal of bytes containing text never repeats it.
        let png = png_of(&[
            ihdr(16, 16, 8, 0, 0),
            chunk(b"tEXt", b"Name\0Zhang San 11010519491231002X"),
            chunk(b"YIXN", b"11010519491231002X"),
            iend(),
        ]);
        let invalid = refused(&png);
        assert!(message::ALL.contains(&invalid.message.as_str()));
        assert!(!invalid.message.contains("1101"));
        for text in message::ALL {
            assert!(
                !text.is_empty() && text.starts_with(|c: char| c.is_ascii_lowercase()),
                "{text}"
            );
        }
    }

    // --- The encoder ---------------------------------------------------------------------------

    /// The pixels of a PNG written by `encode_png_gray`, read back independently of the encoder:
    /// the chunks by hand, the zlib stream as stored blocks (RFC 1951 §3.2.4), the Adler-32
    /// recomputed the plain way, the filter byte of every scanline 0.
    fn decode_stored_gray(png: &[u8]) -> (u32, u32, Vec<u8>) {
        assert_eq!(&png[..8], &PNG_SIGNATURE);
        let mut at = 8;
        let mut header = None;
        let mut stream = Vec::new();
        while at < png.len() {
            let length = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + length];
            match kind {
                b"IHDR" => header = Some(data.to_vec()),
                b"IDAT" => stream.extend_from_slice(data),
                _ => {}
            }
            at += 12 + length;
        }
        let header = header.unwrap();
        let width = u32::from_be_bytes(header[0..4].try_into().unwrap());
        let height = u32::from_be_bytes(header[4..8].try_into().unwrap());
        assert_eq!(&header[8..], &[8, 0, 0, 0, 0]);
        assert_eq!((u16::from(stream[0]) << 8 | u16::from(stream[1])) % 31, 0);
        let mut raw = Vec::new();
        let mut p = 2;
        loop {
            let last = stream[p] & 1 == 1;
            assert_eq!(stream[p] >> 1, 0, "stored block");
            let len = usize::from(u16::from_le_bytes([stream[p + 1], stream[p + 2]]));
            let nlen = u16::from_le_bytes([stream[p + 3], stream[p + 4]]);
            assert_eq!(usize::from(!nlen), len);
            raw.extend_from_slice(&stream[p + 5..p + 5 + len]);
            p += 5 + len;
            if last {
                break;
            }
        }
        let (mut a, mut b) = (1u32, 0u32);
        for &byte in &raw {
            a = (a + u32::from(byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        assert_eq!(&stream[p..], &(b << 16 | a).to_be_bytes());
        let row = width as usize + 1;
        assert_eq!(raw.len(), row * height as usize);
        let mut pixels = Vec::new();
        for line in raw.chunks(row) {
            assert_eq!(line[0], 0, "filter type None");
            pixels.extend_from_slice(&line[1..]);
        }
        (width, height, pixels)
    }

    #[test]
    fn encoded_pngs_are_accepted_and_hold_their_pixels() {
        // 300x300 and 1x70000 need two and three stored blocks.
        for (width, height) in [(16, 16), (17, 31), (300, 300), (1, 70_000), (8192, 16)] {
            let pixels: Vec<u8> = (0..width * height).map(|i| (i * 7 % 251) as u8).collect();
            let png = encode_png_gray(width, height, &pixels);
            assert_eq!(
                inspect(&png, &PERMISSIVE).unwrap(),
                ImageInfo {
                    format: ImageFormat::Png,
                    width,
                    height
                },
                "{width}x{height}"
            );
            assert_eq!(
                decode_stored_gray(&png),
                (width, height, pixels),
                "{width}x{height}"
            );
        }
        // Missing pixels are black; extra bytes are ignored.
        let (_, _, short) = decode_stored_gray(&encode_png_gray(16, 16, &[9; 10]));
        assert_eq!(short, [vec![9; 10], vec![0; 246]].concat());
        let (_, _, long) = decode_stored_gray(&encode_png_gray(16, 16, &[5; 1000]));
        assert_eq!(long, vec![5; 256]);
        // The same input, the same bytes.
        assert_eq!(
            encode_png_gray(20, 20, &[1, 2, 3]),
            encode_png_gray(20, 20, &[1, 2, 3])
        );
        // Zero-sized: PNG does not allow it, and inspect says so.
        for (w, h) in [(0, 16), (16, 0), (0, 0)] {
            assert_syntax(&encode_png_gray(w, h, &[]), message::PNG_HEADER);
        }
    }
}
