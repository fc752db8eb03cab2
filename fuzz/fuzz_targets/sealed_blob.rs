//! The sealed-blob format (`yinxin_privacy::vault::{seal_with_data_key, open_with_data_key}`).
//!
//! Input byte 0 selects the mode (low bit):
//!
//! - even — *foreign blob*: the rest of the input is a blob. Opening it with the fixed key, subject
//!   and field must not panic and must fail: nothing was ever sealed under that key and place (the
//!   seed corpus holds real blobs sealed under another key or for another subject/field, which
//!   must fail too).
//! - odd — *round trip*: bit 1 picks the cipher (AES-256-GCM / SM4-GCM), byte 1 is an XOR mask
//!   (0 is taken as 0x80), bytes 2..18 the subject id, byte 18 the field-name length `L`, the next
//!   `L` bytes the field name (lossy UTF-8), the rest the plaintext. Checked: the blob has the
//!   documented layout and length; it opens to exactly the plaintext; it does not open under
//!   another key, subject or field; XOR-ing the mask into any one byte, truncating it or appending
//!   a byte makes it fail; two seals of the same value use different nonces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uuid::Uuid;
use yinxin_domain::SubjectId;
use yinxin_privacy::Cipher;
use yinxin_privacy::vault::{open_with_data_key, seal_with_data_key};

/// The key of the round trips and of the foreign-blob check.
const KEY: [u8; 32] = [0x42; 32];
/// Another key: nothing sealed under it opens under `KEY`.
const OTHER_KEY: [u8; 32] = [0x43; 32];
/// Subject and field of the foreign-blob check.
const FOREIGN_SUBJECT: u128 = 0x0123_4567_89ab_4def_8123_4567_89ab_cdef;
const FOREIGN_FIELD: &str = "person.mobile";
/// Version byte + cipher id + 96-bit nonce, then ciphertext || 128-bit tag.
const HEADER_LEN: usize = 14;
const OVERHEAD: usize = HEADER_LEN + 16;
/// Above this blob length the single-byte alterations are sampled instead of exhaustive.
const EXHAUSTIVE_UP_TO: usize = 512;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        foreign(rest);
    } else {
        round_trip(mode, rest);
    }
});

fn foreign(blob: &[u8]) {
    let subject = SubjectId::from(Uuid::from_u128(FOREIGN_SUBJECT));
    assert!(
        open_with_data_key(&KEY, subject, FOREIGN_FIELD, blob).is_none(),
        "a blob nobody sealed under this key/subject/field opened: {blob:02x?}"
    );
}

fn round_trip(mode: u8, rest: &[u8]) {
    let cipher = if mode & 2 == 0 {
        Cipher::Aes256Gcm
    } else {
        Cipher::Sm4Gcm
    };
    let (mask, rest) = match rest.split_first() {
        Some((&0, r)) => (0x80, r),
        Some((&m, r)) => (m, r),
        None => (0x80, rest),
    };
    let mut id = [0u8; 16];
    let n = rest.len().min(16);
    id[..n].copy_from_slice(&rest[..n]);
    let rest = &rest[n..];
    let subject = SubjectId::from(Uuid::from_bytes(id));
    let (field_len, rest) = match rest.split_first() {
        Some((&l, r)) => (usize::from(l).min(r.len()), r),
        None => (0, rest),
    };
    let field = String::from_utf8_lossy(&rest[..field_len]).into_owned();
    let plaintext = &rest[field_len..];

    let blob = seal_with_data_key(cipher, &KEY, subject, &field, plaintext);

    // Documented layout: [1][cipher id][nonce 12][ciphertext || tag 16].
    assert_eq!(blob.len(), plaintext.len() + OVERHEAD, "blob length");
    assert_eq!(blob[0], 1, "format version");
    let expected_id = match cipher {
        Cipher::Aes256Gcm => 1,
        Cipher::Sm4Gcm => 2,
    };
    assert_eq!(blob[1], expected_id, "cipher id");
    if plaintext.len() >= 12 {
        assert!(
            !blob.windows(plaintext.len()).any(|w| w == plaintext),
            "plaintext visible in the blob"
        );
    }

    // Round trip.
    let opened = open_with_data_key(&KEY, subject, &field, &blob).expect("own blob must open");
    assert_eq!(opened.as_slice(), plaintext, "round trip changed the value");

    // Fresh nonce per seal.
    let again = seal_with_data_key(cipher, &KEY, subject, &field, plaintext);
    assert_ne!(blob[2..HEADER_LEN], again[2..HEADER_LEN], "nonce reused");

    // Wrong key, subject or field.
    assert!(open_with_data_key(&OTHER_KEY, subject, &field, &blob).is_none());
    let mut other_id = id;
    other_id[15] ^= 1;
    let other_subject = SubjectId::from(Uuid::from_bytes(other_id));
    assert!(open_with_data_key(&KEY, other_subject, &field, &blob).is_none());
    assert!(open_with_data_key(&KEY, subject, &format!("{field}x"), &blob).is_none());
    if let Some((last, _)) = field.char_indices().next_back() {
        assert!(open_with_data_key(&KEY, subject, &field[..last], &blob).is_none());
    }

    // Any single altered byte.
    let positions: Vec<usize> = if blob.len() <= EXHAUSTIVE_UP_TO {
        (0..blob.len()).collect()
    } else {
        let step = blob.len() / 64;
        (0..HEADER_LEN)
            .chain((HEADER_LEN..blob.len()).step_by(step))
            .chain(blob.len() - 16..blob.len())
            .collect()
    };
    let mut altered = blob.clone();
    for i in positions {
        altered[i] ^= mask;
        assert!(
            open_with_data_key(&KEY, subject, &field, &altered).is_none(),
            "byte {i} ^ {mask:#04x} accepted ({cipher:?})"
        );
        altered[i] ^= mask;
    }

    // Truncated or extended.
    for cut in [
        0,
        1,
        HEADER_LEN - 1,
        HEADER_LEN,
        OVERHEAD - 1,
        blob.len() - 1,
    ] {
        assert!(
            open_with_data_key(&KEY, subject, &field, &blob[..cut.min(blob.len() - 1)]).is_none(),
            "truncation to {cut} accepted"
        );
    }
    let mut longer = blob.clone();
    longer.push(mask);
    assert!(
        open_with_data_key(&KEY, subject, &field, &longer).is_none(),
        "extension accepted"
    );
}
