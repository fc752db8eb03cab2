//! The object syntax of PDF (ISO 32000-1 §7.2, §7.3) over untrusted bytes: every read is
//! bounds-checked, nesting is limited, numbers are range-checked.

use super::object::{Dict, ObjRef, Object, Stream, is_delimiter, is_whitespace};
use super::{Limits, PdfError};

/// A cursor over the bytes of a file (or of a decoded object stream).
#[derive(Debug)]
pub(crate) struct Lexer<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pos: usize,
    limits: &'a Limits,
}

/// How a stream's `/Length` is found when it is an indirect reference.
pub(crate) trait LengthResolver {
    fn resolve_length(&self, r: ObjRef) -> Result<i64, PdfError>;
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize, limits: &'a Limits) -> Self {
        Self { data, pos, limits }
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn err(&self, what: &str) -> PdfError {
        PdfError::Malformed(format!("{what} at byte {}", self.pos))
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_whitespace(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Whether the next token is exactly `kw` (followed by a delimiter, white space or the end).
    pub(crate) fn at_keyword(&mut self, kw: &[u8]) -> bool {
        self.skip_ws();
        let end = self.pos + kw.len();
        self.data.get(self.pos..end) == Some(kw)
            && self
                .data
                .get(end)
                .is_none_or(|b| is_whitespace(*b) || is_delimiter(*b))
    }

    /// Consumes keyword `kw` or fails naming it.
    pub(crate) fn expect_keyword(&mut self, kw: &[u8]) -> Result<(), PdfError> {
        if self.at_keyword(kw) {
            self.pos += kw.len();
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", String::from_utf8_lossy(kw))))
        }
    }

    /// A regular-character token (a number or keyword), as bytes.
    fn token(&mut self) -> &'a [u8] {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if is_whitespace(b) || is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        self.data.get(start..self.pos).unwrap_or_default()
    }

    /// A non-negative integer token.
    pub(crate) fn unsigned(&mut self) -> Result<u64, PdfError> {
        self.skip_ws();
        let t = self.token();
        if t.is_empty() || t.len() > 19 || !t.iter().all(u8::is_ascii_digit) {
            return Err(self.err("expected a non-negative integer"));
        }
        std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.err("expected a non-negative integer"))
    }

    /// `N G obj` at the cursor: returns the reference.
    pub(crate) fn object_header(&mut self) -> Result<ObjRef, PdfError> {
        let num = self.unsigned()?;
        let gen_ = self.unsigned()?;
        self.expect_keyword(b"obj")?;
        Ok(ObjRef {
            num: u32::try_from(num).map_err(|_| self.err("object number out of range"))?,
            gen_: u16::try_from(gen_).map_err(|_| self.err("generation number out of range"))?,
        })
    }

    /// An indirect object `N G obj … endobj` at the cursor (streams read with `resolver`).
    pub(crate) fn indirect_object(
        &mut self,
        resolver: &dyn LengthResolver,
    ) -> Result<(ObjRef, Object), PdfError> {
        let r = self.object_header()?;
        let obj = self.object(0)?;
        let obj = if self.at_keyword(b"stream") {
            let Object::Dict(dict) = obj else {
                return Err(self.err("`stream` after something that is not a dictionary"));
            };
            self.pos += b"stream".len();
            // ISO 32000-1 §7.3.8.1: `stream` is followed by CRLF or LF (a lone CR tolerated).
            match (self.peek(), self.data.get(self.pos + 1).copied()) {
                (Some(b'\r'), Some(b'\n')) => self.pos += 2,
                (Some(b'\n'), _) | (Some(b'\r'), _) => self.pos += 1,
                _ => return Err(self.err("`stream` not followed by an end of line")),
            }
            let len = match dict.get(b"Length") {
                Some(Object::Int(n)) => *n,
                Some(Object::Ref(lr)) => resolver.resolve_length(*lr)?,
                _ => return Err(self.err("a stream without an integer /Length")),
            };
            let len = usize::try_from(len).map_err(|_| self.err("a negative stream /Length"))?;
            if len > self.limits.max_stream_len {
                return Err(PdfError::Limit(format!(
                    "a stream of {len} bytes (at most {} are read)",
                    self.limits.max_stream_len
                )));
            }
            let end = self
                .pos
                .checked_add(len)
                .filter(|e| *e <= self.data.len())
                .ok_or_else(|| self.err("a stream /Length past the end of the file"))?;
            let data = self.data.get(self.pos..end).unwrap_or_default().to_vec();
            self.pos = end;
            self.expect_keyword(b"endstream")
                .map_err(|_| self.err("a stream whose /Length does not end at `endstream`"))?;
            Object::Stream(Stream { dict, data })
        } else {
            obj
        };
        self.expect_keyword(b"endobj")?;
        Ok((r, obj))
    }

    /// One direct object (or an indirect reference) at the cursor; `depth` is the nesting.
    pub(crate) fn object(&mut self, depth: usize) -> Result<Object, PdfError> {
        if depth > self.limits.max_depth {
            return Err(PdfError::Limit(format!(
                "arrays and dictionaries nested deeper than {}",
                self.limits.max_depth
            )));
        }
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(self.err("the data ends where an object was expected"));
        };
        match b {
            b'/' => {
                self.pos += 1;
                Ok(Object::Name(self.name()?))
            }
            b'(' => self.literal_string(),
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                let mut dict = Dict::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        Some(b'>') if self.data.get(self.pos + 1) == Some(&b'>') => {
                            self.pos += 2;
                            return Ok(Object::Dict(dict));
                        }
                        Some(b'/') => {
                            self.pos += 1;
                            let key = self.name()?;
                            let value = self.object(depth + 1)?;
                            // ISO 32000-1 §7.3.7: a null value is the same as no entry.
                            if value != Object::Null {
                                dict.0.push((key, value));
                            }
                            if dict.0.len() > self.limits.max_container_len {
                                return Err(PdfError::Limit("a dictionary too large".into()));
                            }
                        }
                        _ => return Err(self.err("a dictionary key that is not a name")),
                    }
                }
            }
            b'<' => self.hex_string(),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                    if items.len() > self.limits.max_container_len {
                        return Err(PdfError::Limit("an array too large".into()));
                    }
                }
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number_or_ref(),
            _ => {
                let start = self.pos;
                let t = self.token();
                match t {
                    b"true" => Ok(Object::Bool(true)),
                    b"false" => Ok(Object::Bool(false)),
                    b"null" => Ok(Object::Null),
                    _ => {
                        self.pos = start;
                        Err(self.err("an unexpected token"))
                    }
                }
            }
        }
    }

    fn number(&mut self) -> Result<Object, PdfError> {
        let t = self.token();
        let s = std::str::from_utf8(t).map_err(|_| self.err("a malformed number"))?;
        if t.contains(&b'.') {
            if s.len() > 64 {
                return Err(self.err("a malformed number"));
            }
            let body = s.trim_start_matches(['+', '-']);
            if body.is_empty()
                || body.contains(['+', '-', 'e', 'E'])
                || body.matches('.').count() > 1
            {
                return Err(self.err("a malformed number"));
            }
            s.parse::<f64>()
                .map(Object::Real)
                .map_err(|_| self.err("a malformed number"))
        } else {
            s.parse::<i64>()
                .map(Object::Int)
                .map_err(|_| self.err("a malformed or out-of-range integer"))
        }
    }

    /// A number, or `N G R` when two unsigned integers and `R` follow.
    fn number_or_ref(&mut self) -> Result<Object, PdfError> {
        let first = self.number()?;
        if let Object::Int(n) = first
            && n >= 0
        {
            let save = self.pos;
            self.skip_ws();
            if matches!(self.peek(), Some(b'0'..=b'9')) {
                let g = self.token();
                if g.iter().all(u8::is_ascii_digit) && self.at_keyword(b"R") {
                    let gen_ = std::str::from_utf8(g)
                        .ok()
                        .and_then(|s| s.parse::<u16>().ok());
                    if let (Ok(num), Some(gen_)) = (u32::try_from(n), gen_) {
                        self.pos += 1;
                        return Ok(Object::Ref(ObjRef { num, gen_ }));
                    }
                }
            }
            self.pos = save;
        }
        Ok(first)
    }

    fn name(&mut self) -> Result<Vec<u8>, PdfError> {
        let raw = self.token();
        let mut out = Vec::with_capacity(raw.len());
        let mut i = raw.iter();
        while let Some(&b) = i.next() {
            if b == b'#' {
                let hi = i.next().and_then(|c| hex_value(*c));
                let lo = i.next().and_then(|c| hex_value(*c));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(self.err("a name with a malformed #xx escape")),
                }
            } else {
                out.push(b);
            }
        }
        Ok(out)
    }

    fn literal_string(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut nesting = 0usize;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("a string that does not end"));
            };
            self.pos += 1;
            match b {
                b'(' => {
                    nesting += 1;
                    out.push(b);
                }
                b')' if nesting == 0 => return Ok(Object::String(out)),
                b')' => {
                    nesting -= 1;
                    out.push(b);
                }
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("a string that does not end"));
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
    }

    fn hex_string(&mut self) -> Result<Object, PdfError> {
        self.pos += 1;
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err("a hexadecimal string that does not end"));
            };
            self.pos += 1;
            if b == b'>' {
                if let Some(h) = high {
                    out.push(h << 4);
                }
                return Ok(Object::String(out));
            }
            if is_whitespace(b) {
                continue;
            }
            let v = hex_value(b).ok_or_else(|| self.err("a non-hexadecimal digit in a string"))?;
            match high.take() {
                None => high = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
    }
}

pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Object, PdfError> {
        let limits = Limits::default();
        Lexer::new(s, 0, &limits).object(0)
    }

    #[test]
    fn reads_the_object_syntax() {
        let o = parse(
            b"<< /A [1 -2 +3.5 .5 (a\\(b\\)\\101) <41 42 4> /N#20x 3 0 R true null] /B << >> >>",
        )
        .unwrap();
        let d = o.as_dict().unwrap();
        let Some(Object::Array(a)) = d.get(b"A") else {
            panic!()
        };
        assert_eq!(
            a,
            &vec![
                Object::Int(1),
                Object::Int(-2),
                Object::Real(3.5),
                Object::Real(0.5),
                Object::String(b"a(b)A".to_vec()),
                Object::String(b"AB@".to_vec()),
                Object::Name(b"N x".to_vec()),
                Object::Ref(ObjRef::new(3)),
                Object::Bool(true),
                Object::Null,
            ]
        );
        assert!(d.get(b"B").is_some());
    }

    #[test]
    fn refuses_malformed_and_deep_input() {
        for bad in [
            &b"<< /A"[..],
            b"(unterminated",
            b"<4G>",
            b"[1 2",
            b"<< 1 2 >>",
            b"99999999999999999999",
            b"1.2.3",
            b"--1",
            b"/#zz",
            b"endobj",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = "[".repeat(1000);
        let e = parse(deep.as_bytes()).unwrap_err();
        assert!(matches!(e, PdfError::Limit(_)), "{e}");
    }
}
