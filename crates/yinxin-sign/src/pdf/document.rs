//! A PDF file read for signing and verification: the header, the cross-reference sections
//! (classic tables and xref streams, ISO 32000-1 §7.5.4, §7.5.8) followed along their /Prev
//! chain, object streams (§7.5.7), and the page tree (§7.7.3).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

use super::object::{Dict, ObjRef, Object, Stream};
use super::parse::{LengthResolver, Lexer};
use super::{Limits, PdfError};

/// Where an object is (ISO 32000-1 Table 18).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefEntry {
    /// Free (or deleted).
    Free,
    /// At a byte offset of the file, with its generation.
    InFile {
        /// Byte offset of `N G obj`.
        offset: usize,
        /// Generation.
        gen_: u16,
    },
    /// Object `index` of object stream `stream`.
    InStream {
        /// The object stream's number.
        stream: u32,
        /// The index inside it.
        index: u32,
    },
}

/// The kind of the newest cross-reference section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XrefKind {
    /// `xref` … `trailer` (§7.5.4).
    Table,
    /// A cross-reference stream (§7.5.8).
    Stream,
}

/// A parsed PDF file (the bytes are kept: an incremental update appends to them).
#[derive(Debug)]
pub struct Document<'a> {
    bytes: &'a [u8],
    limits: Limits,
    xref: BTreeMap<u32, XrefEntry>,
    trailer: Dict,
    startxref: usize,
    newest_kind: XrefKind,
    version: String,
    cache: RefCell<HashMap<u32, Object>>,
    object_streams: RefCell<HashMap<u32, Rc<ObjectStream>>>,
    resolving: RefCell<HashSet<u32>>,
}

/// A decoded object stream.
#[derive(Debug)]
struct ObjectStream {
    data: Vec<u8>,
    first: usize,
    header: Vec<(u64, u64)>,
}

/// A page: its object and the rectangle of its /MediaBox (inherited if need be).
#[derive(Clone, Debug)]
pub struct Page {
    /// The page object's reference.
    pub reference: ObjRef,
    /// The page dictionary.
    pub dict: Dict,
    /// `[llx lly urx ury]`.
    pub media_box: [f64; 4],
}

fn find_last(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

impl<'a> Document<'a> {
    /// Parses `bytes` with the default [`Limits`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, PdfError> {
        Self::parse_with(bytes, Limits::default())
    }

    /// Parses `bytes`: the header, the cross-reference chain from the last `startxref`, the
    /// trailer's /Root. Encrypted files are refused (signing them needs their keys).
    pub fn parse_with(bytes: &'a [u8], limits: Limits) -> Result<Self, PdfError> {
        if bytes.len() > limits.max_file_len {
            return Err(PdfError::Limit(format!(
                "a file of {} bytes (at most {} are read)",
                bytes.len(),
                limits.max_file_len
            )));
        }
        let head = bytes.get(..bytes.len().min(1024)).unwrap_or_default();
        let at = head
            .windows(5)
            .position(|w| w == b"%PDF-")
            .ok_or_else(|| PdfError::NotPdf("no %PDF- header in the first 1024 bytes".into()))?;
        let version: String = head
            .get(at + 5..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .map(|b| char::from(*b))
            .collect();
        if version.is_empty() {
            return Err(PdfError::NotPdf("the %PDF- header has no version".into()));
        }
        let tail_start = bytes.len().saturating_sub(2048);
        let tail = bytes.get(tail_start..).unwrap_or_default();
        if find_last(tail, b"%%EOF").is_none() {
            return Err(PdfError::Truncated(
                "no %%EOF marker at the end of the file".into(),
            ));
        }
        let sx = find_last(tail, b"startxref")
            .ok_or_else(|| PdfError::Truncated("no startxref near the end of the file".into()))?
            + tail_start;
        let mut lx = Lexer::new(bytes, sx + b"startxref".len(), &limits);
        let startxref = usize::try_from(lx.unsigned()?)
            .map_err(|_| PdfError::malformed("startxref out of range"))?;
        let mut doc = Document {
            bytes,
            limits,
            xref: BTreeMap::new(),
            trailer: Dict::new(),
            startxref,
            newest_kind: XrefKind::Table,
            version,
            cache: RefCell::new(HashMap::new()),
            object_streams: RefCell::new(HashMap::new()),
            resolving: RefCell::new(HashSet::new()),
        };
        doc.read_xref_chain(startxref)?;
        if doc.trailer.get(b"Encrypt").is_some() {
            return Err(PdfError::Unsupported(
                "the PDF is encrypted; decrypt it before signing".into(),
            ));
        }
        if !matches!(doc.trailer.get(b"Root"), Some(Object::Ref(_))) {
            return Err(PdfError::malformed("the trailer has no /Root reference"));
        }
        Ok(doc)
    }

    fn read_xref_chain(&mut self, first: usize) -> Result<(), PdfError> {
        let mut seen = HashSet::new();
        let mut next = Some(first);
        let mut newest = true;
        while let Some(offset) = next {
            if !seen.insert(offset) {
                return Err(PdfError::malformed(format!(
                    "the /Prev chain loops back to byte {offset}"
                )));
            }
            if seen.len() > self.limits.max_revisions {
                return Err(PdfError::Limit(format!(
                    "more than {} cross-reference sections",
                    self.limits.max_revisions
                )));
            }
            if offset >= self.bytes.len() {
                return Err(PdfError::malformed(format!(
                    "a cross-reference section at byte {offset}, past the end of the file ({} bytes)",
                    self.bytes.len()
                )));
            }
            let (trailer, kind) = self.read_xref_section(offset)?;
            // A hybrid file (§7.5.8.4): the table's trailer names an xref stream too.
            if let Some(Object::Int(stm)) = trailer.get(b"XRefStm") {
                let stm = usize::try_from(*stm)
                    .map_err(|_| PdfError::malformed("/XRefStm out of range"))?;
                if seen.insert(stm) {
                    self.read_xref_section(stm)?;
                }
            }
            next = match trailer.get(b"Prev") {
                None => None,
                Some(Object::Int(p)) => Some(
                    usize::try_from(*p).map_err(|_| PdfError::malformed("/Prev out of range"))?,
                ),
                Some(_) => return Err(PdfError::malformed("/Prev is not an integer")),
            };
            if newest {
                self.trailer = trailer;
                self.newest_kind = kind;
                newest = false;
            }
        }
        if self.xref.len() > self.limits.max_objects {
            return Err(PdfError::Limit(format!(
                "more than {} objects",
                self.limits.max_objects
            )));
        }
        Ok(())
    }

    /// Adds an entry unless a newer section already gave one.
    fn add_entry(&mut self, num: u32, e: XrefEntry) -> Result<(), PdfError> {
        if self.xref.len() >= self.limits.max_objects && !self.xref.contains_key(&num) {
            return Err(PdfError::Limit(format!(
                "more than {} objects",
                self.limits.max_objects
            )));
        }
        self.xref.entry(num).or_insert(e);
        Ok(())
    }

    fn check_offset(&self, offset: u64, num: u64) -> Result<usize, PdfError> {
        usize::try_from(offset)
            .ok()
            .filter(|o| *o < self.bytes.len())
            .ok_or_else(|| {
                PdfError::Malformed(format!(
                    "the cross-reference entry of object {num} points to byte {offset}, outside the file ({} bytes)",
                    self.bytes.len()
                ))
            })
    }

    fn read_xref_section(&mut self, offset: usize) -> Result<(Dict, XrefKind), PdfError> {
        let limits = self.limits.clone();
        let mut lx = Lexer::new(self.bytes, offset, &limits);
        if lx.at_keyword(b"xref") {
            lx.expect_keyword(b"xref")?;
            loop {
                if lx.at_keyword(b"trailer") {
                    lx.expect_keyword(b"trailer")?;
                    let Object::Dict(trailer) = lx.object(0)? else {
                        return Err(PdfError::malformed("the trailer is not a dictionary"));
                    };
                    return Ok((trailer, XrefKind::Table));
                }
                let start = lx.unsigned()?;
                let count = lx.unsigned()?;
                if count > limits.max_objects as u64 || start > u64::from(u32::MAX) - count {
                    return Err(PdfError::Limit(format!(
                        "a cross-reference subsection of {count} entries"
                    )));
                }
                for i in 0..count {
                    let off = lx.unsigned()?;
                    let gen_ = lx.unsigned()?;
                    let num = start + i;
                    let n = u32::try_from(num)
                        .map_err(|_| PdfError::malformed("object number out of range"))?;
                    let entry = if lx.at_keyword(b"n") {
                        lx.expect_keyword(b"n")?;
                        if off == 0 && num == 0 {
                            XrefEntry::Free
                        } else {
                            XrefEntry::InFile {
                                offset: self.check_offset(off, num)?,
                                gen_: u16::try_from(gen_)
                                    .map_err(|_| PdfError::malformed("generation out of range"))?,
                            }
                        }
                    } else {
                        lx.expect_keyword(b"f")?;
                        XrefEntry::Free
                    };
                    self.add_entry(n, entry)?;
                }
            }
        }
        // A cross-reference stream.
        let (_, obj) = lx.indirect_object(self).map_err(|e| match e {
            PdfError::Malformed(m) => {
                PdfError::Malformed(format!("no cross-reference section at byte {offset}: {m}"))
            }
            other => other,
        })?;
        let Object::Stream(stream) = obj else {
            return Err(PdfError::Malformed(format!(
                "the object at byte {offset} is not a cross-reference stream"
            )));
        };
        if !stream.dict.is_type(b"XRef") {
            return Err(PdfError::Malformed(format!(
                "the stream at byte {offset} is not a cross-reference stream (/Type /XRef)"
            )));
        }
        let data = super::filter::decode(&stream, &self.limits)?;
        let w: Vec<usize> = match stream.dict.get(b"W") {
            Some(Object::Array(a)) if a.len() == 3 => a
                .iter()
                .map(|o| {
                    o.as_int()
                        .and_then(|i| usize::try_from(i).ok())
                        .filter(|i| *i <= 8)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    PdfError::malformed("/W of an xref stream is not three small integers")
                })?,
            _ => return Err(PdfError::malformed("an xref stream without /W [a b c]")),
        };
        let (w0, w1, w2) = match w.as_slice() {
            [a, b, c] => (*a, *b, *c),
            _ => return Err(PdfError::malformed("/W")),
        };
        let row = w0 + w1 + w2;
        if row == 0 {
            return Err(PdfError::malformed("/W of an xref stream is all zero"));
        }
        let size = stream
            .dict
            .get(b"Size")
            .and_then(Object::as_int)
            .ok_or_else(|| PdfError::malformed("an xref stream without /Size"))?;
        let index: Vec<i64> = match stream.dict.get(b"Index") {
            None => vec![0, size],
            Some(Object::Array(a)) => a
                .iter()
                .map(Object::as_int)
                .collect::<Option<_>>()
                .ok_or_else(|| PdfError::malformed("/Index of an xref stream is not integers"))?,
            Some(_) => return Err(PdfError::malformed("/Index is not an array")),
        };
        if !index.len().is_multiple_of(2) {
            return Err(PdfError::malformed("/Index has an odd number of entries"));
        }
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (start, count) = match pair {
                [s, c] if *s >= 0 && *c >= 0 => (*s as u64, *c as u64),
                _ => return Err(PdfError::malformed("/Index has a negative entry")),
            };
            if count > limits.max_objects as u64 {
                return Err(PdfError::Limit(format!(
                    "an xref subsection of {count} entries"
                )));
            }
            for i in 0..count {
                let r = rows.next().ok_or_else(|| {
                    PdfError::malformed("an xref stream shorter than its /Index says")
                })?;
                let field = |from: usize, len: usize, default: u64| -> u64 {
                    if len == 0 {
                        return default;
                    }
                    r.get(from..from + len)
                        .unwrap_or_default()
                        .iter()
                        .fold(0u64, |acc, b| acc << 8 | u64::from(*b))
                };
                let t = field(0, w0, 1);
                let f2 = field(w0, w1, 0);
                let f3 = field(w0 + w1, w2, 0);
                let num = start + i;
                let n = u32::try_from(num)
                    .map_err(|_| PdfError::malformed("object number out of range"))?;
                let entry = match t {
                    0 => XrefEntry::Free,
                    1 => XrefEntry::InFile {
                        offset: self.check_offset(f2, num)?,
                        gen_: u16::try_from(f3)
                            .map_err(|_| PdfError::malformed("generation out of range"))?,
                    },
                    2 => XrefEntry::InStream {
                        stream: u32::try_from(f2).map_err(|_| {
                            PdfError::malformed("object stream number out of range")
                        })?,
                        index: u32::try_from(f3)
                            .map_err(|_| PdfError::malformed("object stream index out of range"))?,
                    },
                    // §7.5.8.3: unknown types are references to the null object.
                    _ => XrefEntry::Free,
                };
                self.add_entry(n, entry)?;
            }
        }
        let mut trailer = stream.dict;
        for k in [
            &b"Length"[..],
            b"Filter",
            b"DecodeParms",
            b"W",
            b"Index",
            b"Type",
        ] {
            trailer.0.retain(|(key, _)| key != k);
        }
        Ok((trailer, XrefKind::Stream))
    }

    /// The file's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The header's version (`1.7`).
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The newest trailer (of an xref stream: its dictionary less the stream's own keys).
    pub fn trailer(&self) -> &Dict {
        &self.trailer
    }

    /// The byte offset of the newest cross-reference section (the new /Prev of an update).
    pub fn startxref(&self) -> usize {
        self.startxref
    }

    /// The kind of the newest cross-reference section.
    pub fn xref_kind(&self) -> XrefKind {
        self.newest_kind
    }

    /// Every object number the cross-reference knows.
    pub fn entries(&self) -> &BTreeMap<u32, XrefEntry> {
        &self.xref
    }

    /// The next free object number: the trailer's /Size (at least one past every entry).
    pub fn size(&self) -> u32 {
        let from_trailer = self
            .trailer
            .get(b"Size")
            .and_then(Object::as_int)
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or(0);
        let from_xref = self
            .xref
            .keys()
            .next_back()
            .map_or(0, |n| n.saturating_add(1));
        from_trailer.max(from_xref)
    }

    /// The object `r` names (null if it is free or unknown, ISO 32000-1 §7.3.10).
    pub fn get(&self, r: ObjRef) -> Result<Object, PdfError> {
        if let Some(o) = self.cache.borrow().get(&r.num) {
            return Ok(o.clone());
        }
        // Reading one object can need others (an indirect /Length, an object stream): bounded,
        // so that a chain of them cannot exhaust the stack.
        if self.resolving.borrow().len() > self.limits.max_depth {
            return Err(PdfError::Limit(format!(
                "object {} needs a chain of more than {} objects to be read",
                r.num, self.limits.max_depth
            )));
        }
        if !self.resolving.borrow_mut().insert(r.num) {
            return Err(PdfError::Malformed(format!(
                "object {} refers to itself while being read",
                r.num
            )));
        }
        let result = self.load(r);
        self.resolving.borrow_mut().remove(&r.num);
        let obj = result?;
        self.cache.borrow_mut().insert(r.num, obj.clone());
        Ok(obj)
    }

    fn load(&self, r: ObjRef) -> Result<Object, PdfError> {
        match self.xref.get(&r.num) {
            None | Some(XrefEntry::Free) => Ok(Object::Null),
            Some(XrefEntry::InFile { offset, .. }) => {
                let mut lx = Lexer::new(self.bytes, *offset, &self.limits);
                let (found, obj) = lx.indirect_object(self).map_err(|e| match e {
                    PdfError::Malformed(m) => {
                        PdfError::Malformed(format!("object {} (at byte {offset}): {m}", r.num))
                    }
                    other => other,
                })?;
                if found.num != r.num {
                    return Err(PdfError::Malformed(format!(
                        "the cross-reference says object {} is at byte {offset}, but object {} is there",
                        r.num, found.num
                    )));
                }
                Ok(obj)
            }
            Some(XrefEntry::InStream { stream, index }) => {
                self.read_from_object_stream(*stream, r.num, *index)
            }
        }
    }

    fn read_from_object_stream(
        &self,
        stream_num: u32,
        num: u32,
        index: u32,
    ) -> Result<Object, PdfError> {
        let decoded = match self.object_streams.borrow().get(&stream_num) {
            Some(d) => Some(Rc::clone(d)),
            None => None,
        };
        let decoded = match decoded {
            Some(d) => d,
            None => {
                let Object::Stream(s) = self.get(ObjRef::new(stream_num))? else {
                    return Err(PdfError::Malformed(format!(
                        "object {num} is said to be in object {stream_num}, which is not a stream"
                    )));
                };
                let d = Rc::new(self.decode_object_stream(&s, num)?);
                self.object_streams
                    .borrow_mut()
                    .insert(stream_num, Rc::clone(&d));
                d
            }
        };
        let (data, first) = (&decoded.data, decoded.first);
        let offset = match decoded.header.get(index as usize) {
            Some((on, off)) if *on == u64::from(num) => Some(*off),
            Some((on, _)) => {
                return Err(PdfError::Malformed(format!(
                    "object stream entry {index} is object {on}, not {num}"
                )));
            }
            None => None,
        };
        let off = offset.ok_or_else(|| {
            PdfError::Malformed(format!(
                "object {num}: its object stream has no entry {index}"
            ))
        })?;
        let at = usize::try_from(off)
            .ok()
            .and_then(|o| o.checked_add(first))
            .filter(|p| *p < data.len())
            .ok_or_else(|| PdfError::malformed("an object stream offset past its end"))?;
        let mut lx = Lexer::new(data, at, &self.limits);
        // Lexer::object never yields a stream: streams exist only as indirect objects.
        let obj = lx.object(0)?;
        Ok(obj)
    }

    /// An object stream decoded once, its header (object number, offset) read once: each
    /// object asked for afterwards costs a lookup, not a decode (no quadratic work).
    fn decode_object_stream(&self, s: &Stream, num: u32) -> Result<ObjectStream, PdfError> {
        if !s.dict.is_type(b"ObjStm") {
            return Err(PdfError::Malformed(format!(
                "object {num} is said to be in a stream that is not an object stream"
            )));
        }
        let n = s.dict.get(b"N").and_then(Object::as_int).unwrap_or(-1);
        let first = s.dict.get(b"First").and_then(Object::as_int).unwrap_or(-1);
        let (n, first) = match (usize::try_from(n), usize::try_from(first)) {
            (Ok(n), Ok(f)) if n <= self.limits.max_objects => (n, f),
            _ => {
                return Err(PdfError::malformed(
                    "an object stream without valid /N and /First",
                ));
            }
        };
        let data = super::filter::decode(s, &self.limits)?;
        let mut header = Vec::with_capacity(n.min(data.len() / 4));
        {
            let mut lx = Lexer::new(&data, 0, &self.limits);
            for _ in 0..n {
                let on = lx.unsigned()?;
                let off = lx.unsigned()?;
                header.push((on, off));
            }
        }
        Ok(ObjectStream {
            data,
            first,
            header,
        })
    }

    /// `o` itself, or the object it refers to.
    pub fn resolve(&self, o: &Object) -> Result<Object, PdfError> {
        match o {
            Object::Ref(r) => self.get(*r),
            other => Ok(other.clone()),
        }
    }

    /// The decoded data of the stream `o` is or refers to (within the document's limits), or
    /// an error naming `what`.
    pub fn stream_data(&self, o: &Object, what: &str) -> Result<Vec<u8>, PdfError> {
        match self.resolve(o)? {
            Object::Stream(s) => super::filter::decode(&s, &self.limits),
            _ => Err(PdfError::Malformed(format!("{what} is not a stream"))),
        }
    }

    /// The dictionary `o` is or refers to, or an error naming `what`.
    pub fn dict(&self, o: &Object, what: &str) -> Result<Dict, PdfError> {
        match self.resolve(o)? {
            Object::Dict(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(PdfError::Malformed(format!("{what} is not a dictionary"))),
        }
    }

    /// The document catalog's reference.
    pub fn root_ref(&self) -> Result<ObjRef, PdfError> {
        match self.trailer.get(b"Root") {
            Some(Object::Ref(r)) => Ok(*r),
            _ => Err(PdfError::malformed("the trailer has no /Root reference")),
        }
    }

    /// The document catalog.
    pub fn catalog(&self) -> Result<Dict, PdfError> {
        let d = self.dict(&Object::Ref(self.root_ref()?), "the catalog (/Root)")?;
        Ok(d)
    }

    /// The pages in order (the page tree walked depth first, loops and depth bounded).
    pub fn pages(&self) -> Result<Vec<Page>, PdfError> {
        let catalog = self.catalog()?;
        let root = catalog
            .get(b"Pages")
            .ok_or_else(|| PdfError::malformed("the catalog has no /Pages"))?
            .clone();
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.walk_pages(&root, None, 0, &mut seen, &mut out)?;
        Ok(out)
    }

    fn walk_pages(
        &self,
        node: &Object,
        inherited_box: Option<[f64; 4]>,
        depth: usize,
        seen: &mut HashSet<u32>,
        out: &mut Vec<Page>,
    ) -> Result<(), PdfError> {
        if depth > self.limits.max_depth {
            return Err(PdfError::Limit("a page tree nested too deep".into()));
        }
        let Object::Ref(r) = node else {
            return Err(PdfError::malformed(
                "a page tree node that is not a reference",
            ));
        };
        if !seen.insert(r.num) {
            return Err(PdfError::malformed("the page tree has a loop"));
        }
        if out.len() > self.limits.max_objects {
            return Err(PdfError::Limit("too many pages".into()));
        }
        let d = self.dict(node, "a page tree node")?;
        let media_box = match d.get(b"MediaBox") {
            Some(o) => Some(rectangle(&self.resolve(o)?)?),
            None => inherited_box,
        };
        if d.is_type(b"Pages") {
            let kids = match d.get(b"Kids").map(|k| self.resolve(k)).transpose()? {
                Some(Object::Array(a)) => a,
                _ => return Err(PdfError::malformed("a /Pages node without /Kids")),
            };
            for k in &kids {
                self.walk_pages(k, media_box, depth + 1, seen, out)?;
            }
            Ok(())
        } else if d.is_type(b"Page") {
            out.push(Page {
                reference: *r,
                media_box: media_box
                    .ok_or_else(|| PdfError::malformed("a page without /MediaBox"))?,
                dict: d,
            });
            Ok(())
        } else {
            Err(PdfError::malformed(
                "a page tree node that is neither /Pages nor /Page",
            ))
        }
    }

    /// The ends of the revisions: the byte just after each `startxref N %%EOF` (and its end of
    /// line) in the file, in order. The last is normally the file's length.
    pub fn revision_ends(&self) -> Vec<usize> {
        let mut ends = Vec::new();
        let b = self.bytes;
        let mut i = 0;
        while let Some(p) = b
            .get(i..)
            .and_then(|rest| rest.windows(5).position(|w| w == b"%%EOF"))
        {
            let at = i + p;
            let mut end = at + 5;
            // A revision ends with `startxref N %%EOF`; a `%%EOF` elsewhere (inside a stream)
            // is not an end.
            let before = b.get(at.saturating_sub(40)..at).unwrap_or_default();
            if !before.windows(9).any(|w| w == b"startxref") {
                i = end;
                continue;
            }
            if b.get(end) == Some(&b'\r') {
                end += 1;
            }
            if b.get(end) == Some(&b'\n') {
                end += 1;
            }
            ends.push(end);
            i = end;
        }
        ends
    }
}

impl LengthResolver for Document<'_> {
    fn resolve_length(&self, r: ObjRef) -> Result<i64, PdfError> {
        self.get(r)?
            .as_int()
            .ok_or_else(|| PdfError::malformed("an indirect stream /Length that is not an integer"))
    }
}

/// A rectangle `[a b c d]` normalised to `[llx lly urx ury]`.
pub fn rectangle(o: &Object) -> Result<[f64; 4], PdfError> {
    let Object::Array(a) = o else {
        return Err(PdfError::malformed("a rectangle that is not an array"));
    };
    let n: Vec<f64> = a
        .iter()
        .map(Object::as_number)
        .collect::<Option<_>>()
        .ok_or_else(|| PdfError::malformed("a rectangle of non-numbers"))?;
    let [a, b, c, d] = n.as_slice() else {
        return Err(PdfError::malformed("a rectangle without four numbers"));
    };
    Ok([a.min(*c), b.min(*d), a.max(*c), b.max(*d)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{minimal_pdf, object_stream_pdf};

    #[test]
    fn reads_a_hand_written_pdf() {
        let pdf = minimal_pdf(3);
        let doc = Document::parse(&pdf).unwrap();
        assert_eq!(doc.version(), "1.7");
        assert_eq!(doc.xref_kind(), XrefKind::Table);
        assert_eq!(doc.size(), 10);
        let pages = doc.pages().unwrap();
        assert_eq!(pages.len(), 3);
        assert_eq!(pages[2].media_box, [0.0, 0.0, 595.0, 842.0]);
        let Object::Stream(s) = doc.get(ObjRef::new(5)).unwrap() else {
            panic!("a content stream")
        };
        assert!(s.data.starts_with(b"BT /F1 24 Tf"));
        assert_eq!(doc.revision_ends(), vec![pdf.len()]);
    }

    /// qpdf's object streams and xref stream (with its PNG predictor) read the same.
    #[test]
    fn reads_object_streams_and_xref_streams() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = object_stream_pdf(dir.path(), 2);
        let doc = Document::parse(&pdf).unwrap();
        assert_eq!(doc.xref_kind(), XrefKind::Stream);
        assert!(
            doc.entries()
                .values()
                .any(|e| matches!(e, XrefEntry::InStream { .. })),
            "qpdf put objects in object streams"
        );
        let pages = doc.pages().unwrap();
        assert_eq!(pages.len(), 2);
        assert!(doc.catalog().unwrap().is_type(b"Catalog"));
    }

    /// An indirect /Length, a /Prev chain (an update that changes an object), a hybrid-free
    /// file: the newest object wins.
    #[test]
    fn follows_prev_chains_and_indirect_lengths() {
        let mut pdf = minimal_pdf(1);
        let prev = {
            let doc = Document::parse(&pdf).unwrap();
            doc.startxref()
        };
        let o6 = pdf.len();
        pdf.extend_from_slice(b"6 0 obj\n5\nendobj\n");
        let o5 = pdf.len();
        pdf.extend_from_slice(b"5 0 obj\n<< /Length 6 0 R >>\nstream\nq Q Q\nendstream\nendobj\n");
        let x = pdf.len();
        pdf.extend_from_slice(
            format!(
                "xref\n5 2\n{o5:010} 00000 n\r\n{o6:010} 00000 n\r\ntrailer\n<< /Size 7 /Root 1 0 R /Prev {prev} >>\nstartxref\n{x}\n%%EOF\n"
            )
            .as_bytes(),
        );
        let doc = Document::parse(&pdf).unwrap();
        let Object::Stream(s) = doc.get(ObjRef::new(5)).unwrap() else {
            panic!()
        };
        assert_eq!(s.data, b"q Q Q");
        assert_eq!(doc.revision_ends().len(), 2);
        assert_eq!(doc.pages().unwrap().len(), 1);
    }

    /// A stream whose /Length is an object that is a stream whose /Length is … : bounded.
    #[test]
    fn a_chain_of_indirect_lengths_is_bounded() {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        let n = 200u32;
        for i in 1..=n {
            offsets.push(pdf.len());
            pdf.extend_from_slice(
                format!(
                    "{i} 0 obj\n<< /Length {} 0 R >>\nstream\nx\nendstream\nendobj\n",
                    i + 1
                )
                .as_bytes(),
            );
        }
        let x = pdf.len();
        pdf.extend_from_slice(format!("xref\n1 {n}\n").as_bytes());
        for o in offsets {
            pdf.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
        }
        pdf.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n",
                n + 1
            )
            .as_bytes(),
        );
        let doc = Document::parse(&pdf).unwrap();
        let e = doc.get(ObjRef::new(1)).unwrap_err();
        assert!(matches!(e, PdfError::Limit(_)), "{e}");
    }

    #[test]
    fn refuses_what_is_not_a_readable_pdf() {
        let pdf = minimal_pdf(1);
        let e = Document::parse(b"hello, this is plain text").unwrap_err();
        assert!(matches!(e, PdfError::NotPdf(_)), "{e}");
        let e = Document::parse(b"\x89PNG\r\n\x1a\n").unwrap_err();
        assert!(matches!(e, PdfError::NotPdf(_)), "{e}");
        // Truncated: the end (startxref, %%EOF) cut off.
        let e = Document::parse(&pdf[..pdf.len() / 2]).unwrap_err();
        assert!(matches!(e, PdfError::Truncated(_)), "{e}");
        // startxref past the end.
        let find = |hay: &[u8], n: &str| {
            hay.windows(n.len())
                .rposition(|w| w == n.as_bytes())
                .unwrap()
        };
        let replace = |from: &str, to: &str| {
            let at = pdf
                .windows(from.len())
                .position(|w| w == from.as_bytes())
                .unwrap();
            let mut v = pdf[..at].to_vec();
            v.extend_from_slice(to.as_bytes());
            v.extend_from_slice(&pdf[at + from.len()..]);
            v
        };
        let at = find(&pdf, "startxref\n") + 10;
        let mut bad = pdf[..at].to_vec();
        bad.extend_from_slice(b"999999\n%%EOF\n");
        let e = Document::parse(&bad).unwrap_err().to_string();
        assert!(e.contains("past the end of the file"), "{e}");
        // An xref entry pointing outside the file (same length, so the rest stays in place).
        let entry = |n: &str| format!("{:010} 00000 n", find(&pdf, n));
        let bad = replace(&entry("2 0 obj"), "0009999999 00000 n");
        let e = Document::parse(&bad).unwrap_err().to_string();
        assert!(
            e.contains("object 2 points to byte 9999999, outside the file"),
            "{e}"
        );
        // An xref entry pointing at the wrong object.
        let bad = replace(&entry("2 0 obj"), &entry("3 0 obj"));
        let doc = Document::parse(&bad).unwrap();
        let e = doc.pages().unwrap_err().to_string();
        assert!(e.contains("but object 3 is there"), "{e}");
        // Encrypted.
        let bad = replace(
            "/Root 1 0 R>>",
            "/Root 1 0 R /Encrypt << /Filter /Standard >>>>",
        );
        let e = Document::parse(&bad).unwrap_err();
        assert!(matches!(e, PdfError::Unsupported(_)), "{e}");
        // A /Prev loop.
        let x = find(&pdf, "\nxref\n") + 1;
        let bad = replace("/Root 1 0 R>>", &format!("/Root 1 0 R /Prev {x}>>"));
        let e = Document::parse(&bad).unwrap_err().to_string();
        assert!(e.contains("loops"), "{e}");
        // Too large for the limits.
        let small = Limits {
            max_file_len: 100,
            ..Limits::default()
        };
        assert!(matches!(
            Document::parse_with(&pdf, small),
            Err(PdfError::Limit(_))
        ));
    }
}
