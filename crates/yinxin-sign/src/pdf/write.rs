//! Incremental updates (ISO 32000-1 §7.5.6): new and changed objects appended after the
//! original bytes, then a cross-reference section for them and a trailer whose /Prev is the
//! previous section. The original bytes are copied unchanged.

use std::collections::{BTreeMap, HashMap};

use super::document::{Document, XrefEntry, XrefKind};
use super::object::{Dict, ObjRef, Object, Stream};
use super::{PdfError, filter};

/// An incremental update being built over a [`Document`].
#[derive(Debug)]
pub struct Update<'d, 'a> {
    doc: &'d Document<'a>,
    next: u32,
    objects: BTreeMap<u32, (u16, Vec<u8>)>,
    root: Option<ObjRef>,
}

/// The bytes of an updated file, with where each object written starts.
#[derive(Debug)]
pub struct Written {
    /// The whole file: the original bytes, then the update.
    pub bytes: Vec<u8>,
    /// For each object written: the offset of the first byte after `N G obj\n`.
    pub body_offsets: HashMap<u32, usize>,
}

impl<'d, 'a> Update<'d, 'a> {
    /// An empty update of `doc`.
    pub fn new(doc: &'d Document<'a>) -> Self {
        Self {
            doc,
            next: doc.size(),
            objects: BTreeMap::new(),
            root: None,
        }
    }

    /// A new object number.
    pub fn allocate(&mut self) -> ObjRef {
        let r = ObjRef::new(self.next);
        self.next = self.next.saturating_add(1);
        r
    }

    /// Writes `obj` as object `r` (new, or replacing the document's).
    pub fn put(&mut self, r: ObjRef, obj: &Object) {
        self.put_raw(r, obj.to_bytes());
    }

    /// Writes `body` (the bytes between `obj` and `endobj`) as object `r`.
    pub fn put_raw(&mut self, r: ObjRef, body: Vec<u8>) {
        let gen_ = match self.doc.entries().get(&r.num) {
            Some(XrefEntry::InFile { gen_, .. }) => *gen_,
            _ => r.gen_,
        };
        self.objects.insert(r.num, (gen_, body));
    }

    /// Makes `r` the new /Root (normally the catalog stays where it is).
    pub fn set_root(&mut self, r: ObjRef) {
        self.root = Some(r);
    }

    /// The original bytes followed by the update.
    pub fn finish(self) -> Result<Written, PdfError> {
        let original = self.doc.bytes();
        let mut out = Vec::with_capacity(original.len() + 4096);
        out.extend_from_slice(original);
        if !out.ends_with(b"\n") && !out.ends_with(b"\r") {
            out.push(b'\n');
        }
        let mut offsets: BTreeMap<u32, (u16, usize)> = BTreeMap::new();
        let mut body_offsets = HashMap::new();
        for (num, (gen_, body)) in &self.objects {
            offsets.insert(*num, (*gen_, out.len()));
            out.extend_from_slice(format!("{num} {gen_} obj\n").as_bytes());
            body_offsets.insert(*num, out.len());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let old = self.doc.trailer();
        let mut trailer = Dict::new();
        for key in [&b"Root"[..], b"Info", b"ID"] {
            if let Some(v) = old.get(key) {
                trailer.set(key, v.clone());
            }
        }
        if let Some(r) = self.root {
            trailer.set(b"Root", Object::Ref(r));
        }
        trailer.set(b"Prev", Object::Int(self.doc.startxref() as i64));
        let xref_at = out.len();
        match self.doc.xref_kind() {
            XrefKind::Table => {
                trailer.set(b"Size", Object::Int(i64::from(self.next)));
                out.extend_from_slice(b"xref\n");
                for run in runs(&offsets) {
                    let first = run.first().map_or(0, |(n, _)| *n);
                    out.extend_from_slice(format!("{first} {}\n", run.len()).as_bytes());
                    for (_, (gen_, off)) in run {
                        out.extend_from_slice(format!("{off:010} {gen_:05} n\r\n").as_bytes());
                    }
                }
                out.extend_from_slice(b"trailer\n");
                Object::Dict(trailer).write(&mut out);
                out.push(b'\n');
            }
            XrefKind::Stream => {
                let own = self.next;
                offsets.insert(own, (0, xref_at));
                trailer.set(b"Size", Object::Int(i64::from(own) + 1));
                let mut index = Vec::new();
                let mut data = Vec::new();
                for run in runs(&offsets) {
                    index.push(Object::Int(i64::from(run.first().map_or(0, |(n, _)| *n))));
                    index.push(Object::Int(run.len() as i64));
                    for (_, (gen_, off)) in run {
                        let off = u32::try_from(off).map_err(|_| {
                            PdfError::Limit("an update past 4 GiB cannot be indexed".into())
                        })?;
                        data.push(1);
                        data.extend_from_slice(&off.to_be_bytes());
                        data.extend_from_slice(&gen_.to_be_bytes());
                    }
                }
                let mut dict = trailer
                    .with(b"Type", Object::name("XRef"))
                    .with(
                        b"W",
                        Object::Array(vec![Object::Int(1), Object::Int(4), Object::Int(2)]),
                    )
                    .with(b"Index", Object::Array(index));
                dict.set(b"Filter", Object::name("FlateDecode"));
                let stream = Object::Stream(Stream {
                    dict,
                    data: filter::deflate(&data),
                });
                out.extend_from_slice(format!("{own} 0 obj\n").as_bytes());
                stream.write(&mut out);
                out.extend_from_slice(b"\nendobj\n");
            }
        }
        out.extend_from_slice(format!("startxref\n{xref_at}\n%%EOF\n").as_bytes());
        Ok(Written {
            bytes: out,
            body_offsets,
        })
    }
}

/// The entries grouped into runs of consecutive object numbers.
fn runs(offsets: &BTreeMap<u32, (u16, usize)>) -> Vec<Vec<(u32, (u16, usize))>> {
    let mut out: Vec<Vec<(u32, (u16, usize))>> = Vec::new();
    for (n, v) in offsets {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|(last, _)| last + 1 == *n) => run.push((*n, *v)),
            _ => out.push(vec![(*n, *v)]),
        }
    }
    out
}

/// A new PDF of A4 pages, one per content stream in `pages` (operators as written, Helvetica as
/// font `/F1`), with a classic xref table: for generated documents (reports, notices) and test
/// files. The content streams are written as given, uncompressed.
pub fn text_document(pages: &[String]) -> Vec<u8> {
    let n = pages.len();
    let mut objects: Vec<String> = Vec::with_capacity(3 + 2 * n);
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {n} /MediaBox [0 0 595 842] >>",
        kids.join(" ")
    ));
    objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into());
    for (i, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
            5 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    let objects: Vec<Vec<u8>> = objects.into_iter().map(String::into_bytes).collect();
    new_file(&objects, Dict::new())
}

/// A new PDF 1.7 file of `objects` (each the bytes between `obj` and `endobj`), numbered from 1
/// in order, with a classic cross-reference table and a trailer of /Size, /Root (object 1) and
/// the entries of `trailer`.
pub fn new_file(objects: &[Vec<u8>], trailer: Dict) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    let mut dict = Dict::new()
        .with(b"Size", Object::Int(objects.len() as i64 + 1))
        .with(b"Root", Object::Ref(ObjRef::new(1)));
    for (k, v) in trailer.0 {
        dict.set(&k, v);
    }
    out.extend_from_slice(b"trailer\n");
    Object::Dict(dict).write(&mut out);
    out.extend_from_slice(format!("\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}
