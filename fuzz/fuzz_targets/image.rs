//! The structural image check `yinxin_domain::image::inspect` (IDV-1) on arbitrary bytes.
//!
//! Checked for every input, under the default limits and under limits that allow anything:
//!
//! - no panic, and determinism;
//! - a refusal has a reason of `reason::ALL` (`length`, `format` or `syntax`) and a message that is
//!   one of `image::message::ALL` or names a limit — nothing read from the input;
//! - accepted ⇒ the format is the one the first bytes announce (the PNG signature, or FFD8 and a
//!   marker), the width and height are within the limits, and the answer is the same as without
//!   limits;
//! - the limits only add `length` refusals: accepted without limits and within them ⇒ accepted;
//! - accepted ⇒ one byte more, or one byte less, is refused (the end of an image is exact).
//!
//! A second part reads the first bytes as a size and the rest as pixels, encodes them with
//! `encode_png_gray`, and checks that `inspect` accepts the PNG with exactly that size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yinxin_domain::image::{
    ImageFormat, ImageInfo, ImageLimits, encode_png_gray, inspect, message,
};
use yinxin_domain::validate::{Invalid, reason};

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// Limits that refuse nothing.
const ANYTHING: ImageLimits = ImageLimits {
    max_bytes: usize::MAX,
    max_width: u32::MAX,
    max_height: u32::MAX,
    min_width: 0,
    min_height: 0,
};

fn assert_no_leak(invalid: &Invalid, limits: &ImageLimits) {
    assert!(
        [reason::LENGTH, reason::FORMAT, reason::SYNTAX].contains(&invalid.reason),
        "unexpected reason {:?}",
        invalid.reason
    );
    assert!(reason::ALL.contains(&invalid.reason));
    let text = invalid.message.as_str();
    let limit_messages = [
        message::too_many_bytes(limits.max_bytes),
        message::too_large(limits.max_width, limits.max_height),
        message::too_small(limits.min_width, limits.min_height),
    ];
    assert!(
        message::ALL.contains(&text) || limit_messages.iter().any(|m| m == text),
        "{text:?} is neither a fixed message nor a limit's"
    );
    // The reason goes with the kind of message.
    let is_limit = limit_messages.iter().any(|m| m == text) || text == message::EMPTY;
    assert_eq!(invalid.reason == reason::LENGTH, is_limit, "{text:?}");
    assert_eq!(
        invalid.reason == reason::FORMAT,
        text == message::NOT_PNG_OR_JPEG,
        "{text:?}"
    );
}

fn check_accepted(data: &[u8], info: &ImageInfo, limits: &ImageLimits) {
    match info.format {
        ImageFormat::Png => assert!(data.starts_with(&PNG_SIGNATURE)),
        ImageFormat::Jpeg => assert!(data.len() >= 4 && data[..3] == [0xFF, 0xD8, 0xFF]),
    }
    assert!(data.len() <= limits.max_bytes);
    assert!(
        (limits.min_width..=limits.max_width).contains(&info.width),
        "{info:?}"
    );
    assert!(
        (limits.min_height..=limits.max_height).contains(&info.height),
        "{info:?}"
    );
    assert!(info.width >= 1 && info.height >= 1, "{info:?}");
    if info.format == ImageFormat::Jpeg {
        assert!(info.width <= 0xFFFF && info.height <= 0xFFFF, "{info:?}");
        assert!(data.ends_with(&[0xFF, 0xD9]));
    } else {
        assert!(
            info.width <= 0x7FFF_FFFF && info.height <= 0x7FFF_FFFF,
            "{info:?}"
        );
        // The IEND chunk, with its fixed CRC, ends every PNG.
        assert!(data.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = ImageLimits::default();
    let limited = inspect(data, &limits);
    assert_eq!(inspect(data, &limits), limited, "not deterministic");
    let open = inspect(data, &ANYTHING);
    assert_eq!(inspect(data, &ANYTHING), open, "not deterministic");

    match &limited {
        Ok(info) => {
            check_accepted(data, info, &limits);
            assert_eq!(open.as_ref(), Ok(info), "limits changed the answer");
        }
        Err(invalid) => {
            assert_no_leak(invalid, &limits);
            if open.is_ok() {
                assert_eq!(invalid.reason, reason::LENGTH, "{invalid:?}");
            }
        }
    }
    match &open {
        Ok(info) => {
            check_accepted(data, info, &ANYTHING);
            let within = data.len() <= limits.max_bytes
                && (limits.min_width..=limits.max_width).contains(&info.width)
                && (limits.min_height..=limits.max_height).contains(&info.height);
            assert_eq!(limited.is_ok(), within, "{info:?}");
            let mut longer = data.to_vec();
            longer.push(0);
            assert!(inspect(&longer, &ANYTHING).is_err(), "a byte after the end");
            longer.truncate(data.len() - 1);
            assert!(inspect(&longer, &ANYTHING).is_err(), "the last byte cut");
        }
        Err(invalid) => assert_no_leak(invalid, &ANYTHING),
    }

    // The encoder's output is always accepted, with its size.
    if let [w, h, pixels @ ..] = data {
        let (width, height) = (u32::from(*w % 64) + 1, u32::from(*h % 64) + 1);
        let png = encode_png_gray(width, height, pixels);
        assert_eq!(
            inspect(&png, &ANYTHING),
            Ok(ImageInfo {
                format: ImageFormat::Png,
                width,
                height
            })
        );
    }
});
