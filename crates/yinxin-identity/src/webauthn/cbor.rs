//! The few CBOR helpers the verifier needs, over `ciborium`'s `Value`.

use ciborium::Value;

/// Deepest nesting accepted. The structures read here are at most four levels deep (attestation
/// object → attStmt → x5c → certificate); extension maps get some room beyond that. A low limit
/// keeps hostile nesting from costing stack.
const MAX_DEPTH: usize = 16;

/// Decodes the one CBOR item at the start of `bytes`; returns it and the number of bytes it took.
///
/// `None` for anything that is not a complete, well-formed item. The reader is a slice, so the
/// count is exact: `ciborium` reads no further than the item (the authenticator data needs this,
/// as the credential key is followed by the extensions without a length).
pub(crate) fn decode_prefix(bytes: &[u8]) -> Option<(Value, usize)> {
    let mut rest = bytes;
    let value: Value = ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH).ok()?;
    let used = bytes.len().checked_sub(rest.len())?;
    Some((value, used))
}

/// Decodes `bytes` as exactly one CBOR item: `Err(true)` when it is followed by other bytes,
/// `Err(false)` when it is not well-formed.
pub(crate) fn decode_exact(bytes: &[u8]) -> Result<Value, bool> {
    let (value, used) = decode_prefix(bytes).ok_or(false)?;
    if used == bytes.len() {
        Ok(value)
    } else {
        Err(true)
    }
}

/// Most entries in a map read through [`unique_map`]: COSE keys, attestation objects and
/// statements have a handful; the bound keeps the pairwise duplicate check cheap.
const MAX_MAP_ENTRIES: usize = 32;

/// The entries of a map, refusing a map that has the same key twice (which CBOR allows to be
/// decoded but gives no meaning; two `alg` entries must not let two readers disagree) or more
/// than [`MAX_MAP_ENTRIES`] entries.
pub(crate) fn unique_map(value: &Value) -> Option<&[(Value, Value)]> {
    let entries = value.as_map()?;
    if entries.len() > MAX_MAP_ENTRIES {
        return None;
    }
    for (i, (key, _)) in entries.iter().enumerate() {
        if entries.iter().skip(i + 1).any(|(other, _)| other == key) {
            return None;
        }
    }
    Some(entries)
}

/// The value under the integer key `key`.
pub(crate) fn by_int(entries: &[(Value, Value)], key: i64) -> Option<&Value> {
    entries
        .iter()
        .find(|(k, _)| as_int(k) == Some(i128::from(key)))
        .map(|(_, v)| v)
}

/// The value under the text key `key`.
pub(crate) fn by_text<'v>(entries: &'v [(Value, Value)], key: &str) -> Option<&'v Value> {
    entries
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// An integer value, widened (CBOR integers span -2^64..2^64-1).
pub(crate) fn as_int(value: &Value) -> Option<i128> {
    value.as_integer().map(i128::from)
}
