//! Defence in depth for the logging rule (docs/LOGGING.md): a log writer that masks anything shaped
//! like a mainland mobile number, a resident identity number or an e-mail address before the line
//! leaves the process. The primary protection is that PI never reaches a log call (`Sensitive<T>`,
//! route templates); this catches the careless line that slips past review.

use std::borrow::Cow;
use std::io::{self, Write};

use tracing_subscriber::fmt::MakeWriter;

const MASK: &str = "[redacted]";

/// `line` with PI-shaped tokens replaced by `[redacted]`.
pub fn redact(line: &str) -> Cow<'_, str> {
    let bytes = line.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let boundary = |i: usize| bytes.get(i).is_none_or(|b| !b.is_ascii_alphanumeric());
    let mut i = 0;
    while i < bytes.len() {
        let starts_token = i == 0 || boundary(i - 1);
        if starts_token && bytes.get(i).is_some_and(u8::is_ascii_digit) {
            let mut j = i;
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            let digits = j - i;
            // 17 digits and a check character X: a resident identity number.
            if digits == 17 && matches!(bytes.get(j), Some(b'X' | b'x')) {
                j += 1;
            }
            let len = j - i;
            let mobile = len == 11 && bytes.get(i) == Some(&b'1');
            let id_number = len == 18 || (len == 15 && digits == 15);
            if (mobile || id_number) && boundary(j) {
                spans.push((i, j));
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    for (at, _) in line.match_indices('@') {
        let local = line
            .get(..at)
            .unwrap_or("")
            .bytes()
            .rev()
            .take_while(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(b))
            .count();
        let domain = line
            .get(at + 1..)
            .unwrap_or("")
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || b".-".contains(b))
            .count();
        let dom = line.get(at + 1..at + 1 + domain).unwrap_or("");
        if local > 0 && dom.contains('.') && !dom.ends_with('.') {
            spans.push((at - local, at + 1 + domain));
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(line);
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(line.len());
    let mut pos = 0;
    for (s, e) in spans {
        if s < pos {
            pos = pos.max(e);
            continue;
        }
        out.push_str(line.get(pos..s).unwrap_or(""));
        out.push_str(MASK);
        pos = e;
    }
    out.push_str(line.get(pos..).unwrap_or(""));
    Cow::Owned(out)
}

/// A `MakeWriter` whose writers buffer one event and write it, redacted, when dropped.
#[derive(Debug, Clone)]
pub struct Redacting<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.0.make_writer(),
            buf: Vec::new(),
        }
    }
}

/// One event's buffer (see [`Redacting`]).
#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buf);
        let _ = self.inner.write_all(redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn masks_pi_shapes() {
        assert_eq!(redact("mobile=13812345678 ok"), "mobile=[redacted] ok");
        assert_eq!(redact("id 11010519491231002X."), "id [redacted].");
        assert_eq!(redact("id=110105194912310021"), "id=[redacted]");
        assert_eq!(redact("old id 110105491231002"), "old id [redacted]");
        assert_eq!(
            redact(r#"{"to":"li.lei+x@mail.example.cn","n":1}"#),
            r#"{"to":"[redacted]","n":1}"#
        );
        assert_eq!(
            redact("a 13812345678 b a@b.cn"),
            "a [redacted] b [redacted]"
        );
    }

    #[test]
    fn leaves_ids_times_and_numbers_alone() {
        for s in [
            "id=393d952a-69ba-46f1-8859-67c622659256 latency_us=146",
            "2026-11-22T13:55:44.633107Z",
            "fingerprint e77d584154b378309670c8fa65975e4c",
            "status=200 bytes=12345678901234",
            "abc13812345678",
            "user@localhost",
        ] {
            assert_eq!(redact(s), s);
        }
    }
}
