//! PDF objects (ISO 32000-1 §7.3) and their serialisation.

use std::fmt::Write as _;

/// An indirect reference `N G R` (ISO 32000-1 §7.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjRef {
    /// Object number.
    pub num: u32,
    /// Generation number.
    pub gen_: u16,
}

impl ObjRef {
    /// `num 0 R`.
    pub fn new(num: u32) -> Self {
        Self { num, gen_: 0 }
    }
}

/// A dictionary: keys (name bytes, without the slash) in the order read or built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dict(pub Vec<(Vec<u8>, Object)>);

impl Dict {
    /// An empty dictionary.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The value of `key`, if present (the last one when a broken file repeats a key).
    pub fn get(&self, key: &[u8]) -> Option<&Object> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key` (replacing every earlier value of it).
    pub fn set(&mut self, key: &[u8], value: Object) {
        self.0.retain(|(k, _)| k != key);
        self.0.push((key.to_vec(), value));
    }

    /// Builder form of [`Dict::set`].
    pub fn with(mut self, key: &[u8], value: Object) -> Self {
        self.set(key, value);
        self
    }

    /// Whether `/Type` is `name`.
    pub fn is_type(&self, name: &[u8]) -> bool {
        matches!(self.get(b"Type"), Some(Object::Name(n)) if n == name)
    }
}

/// A stream: its dictionary and its raw (still encoded) bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Stream {
    /// The stream dictionary (`/Length` as written in the file).
    pub dict: Dict,
    /// The bytes between `stream` and `endstream`, exactly `/Length` of them.
    pub data: Vec<u8>,
}

/// A PDF object.
#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A string (literal or hexadecimal), its bytes.
    String(Vec<u8>),
    /// A name, its bytes without the slash (`#xx` decoded).
    Name(Vec<u8>),
    /// An array.
    Array(Vec<Object>),
    /// A dictionary.
    Dict(Dict),
    /// A stream (only as an indirect object).
    Stream(Stream),
    /// An indirect reference.
    Ref(ObjRef),
}

impl Object {
    /// A name object.
    pub fn name(n: &str) -> Self {
        Self::Name(n.as_bytes().to_vec())
    }

    /// A string object.
    pub fn string(s: &str) -> Self {
        Self::String(s.as_bytes().to_vec())
    }

    /// An array of numbers.
    pub fn reals(values: &[f64]) -> Self {
        Self::Array(values.iter().map(|v| Self::Real(*v)).collect())
    }

    /// The integer, if it is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Self::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The number (integer or real), if it is one.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Real(r) => Some(*r),
            _ => None,
        }
    }

    /// The dictionary (a stream's too), if it is one.
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Self::Dict(d) => Some(d),
            Self::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }

    /// The name's bytes, if it is one.
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Self::Name(n) => Some(n),
            _ => None,
        }
    }

    /// Writes the object in PDF syntax.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Null => out.extend_from_slice(b"null"),
            Self::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Self::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Self::Real(r) => out.extend_from_slice(format_real(*r).as_bytes()),
            Self::String(s) => write_literal_string(s, out),
            Self::Name(n) => write_name(n, out),
            Self::Array(a) => {
                out.push(b'[');
                for (i, o) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    o.write(out);
                }
                out.push(b']');
            }
            Self::Dict(d) => write_dict(d, out),
            Self::Stream(s) => {
                let mut dict = s.dict.clone();
                dict.set(b"Length", Self::Int(s.data.len() as i64));
                write_dict(&dict, out);
                out.extend_from_slice(b"\nstream\n");
                out.extend_from_slice(&s.data);
                out.extend_from_slice(b"\nendstream");
            }
            Self::Ref(r) => {
                out.extend_from_slice(format!("{} {} R", r.num, r.gen_).as_bytes());
            }
        }
    }

    /// The object in PDF syntax.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }
}

fn write_dict(d: &Dict, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<<");
    for (k, v) in &d.0 {
        write_name(k, out);
        out.push(b' ');
        v.write(out);
    }
    out.extend_from_slice(b">>");
}

/// Reals with at most 4 decimals, no exponent (ISO 32000-1 §7.3.3 has none).
fn format_real(r: f64) -> String {
    if !r.is_finite() {
        return "0".into();
    }
    let mut s = format!("{r:.4}");
    while s.contains('.') && (s.ends_with('0') || s.ends_with('.')) {
        s.pop();
    }
    if s == "-0" { "0".into() } else { s }
}

fn write_literal_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'(');
    for &b in s {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\n' => out.extend_from_slice(b"\\n"),
            _ => out.push(b),
        }
    }
    out.push(b')');
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_graphic() && !is_delimiter(b) && b != b'#' {
            out.push(b);
        } else {
            let mut s = String::new();
            let _ = write!(s, "#{b:02X}");
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// PDF delimiter characters (ISO 32000-1 §7.2.2).
pub(crate) fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// PDF white-space characters (ISO 32000-1 §7.2.2).
pub(crate) fn is_whitespace(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0c | b'\r' | b' ')
}

/// A text string (ISO 32000-1 §7.9.2.2): PDFDocEncoding when ASCII, else UTF-16BE with BOM.
pub fn text_string(s: &str) -> Object {
    if s.is_ascii() {
        return Object::String(s.as_bytes().to_vec());
    }
    let mut v = vec![0xfe, 0xff];
    for u in s.encode_utf16() {
        v.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(v)
}

/// Reads a text string back (UTF-16BE with BOM, UTF-8 with BOM, else bytes as Latin-1).
pub fn decode_text_string(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    if let Some(rest) = b.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter().map(|&c| char::from(c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_pdf_syntax() {
        let d = Dict::new()
            .with(b"Type", Object::name("Sig"))
            .with(b"A b", Object::string("x(y)\\"))
            .with(b"R", Object::Ref(ObjRef::new(7)))
            .with(b"N", Object::reals(&[0.5, 10.0, -0.0, 1.23456]));
        assert_eq!(
            Object::Dict(d).to_bytes(),
            b"<</Type /Sig/A#20b (x\\(y\\)\\\\)/R 7 0 R/N [0.5 10 0 1.2346]>>".to_vec()
        );
        assert_eq!(
            decode_text_string(&text_string("印信").to_bytes()[1..5]),
            "印"
        );
    }
}
