//! A careful reader of untrusted PDF and a writer of incremental updates (ISO 32000-1 §7.5.6),
//! enough to sign and verify (see [`crate::pades`]); not a renderer.
//!
//! - [`Document::parse`] reads the header, the cross-reference chain from the last `startxref`
//!   along /Prev (classic tables, xref streams with /W and /Index, hybrid files' /XRefStm),
//!   objects in the file and in object streams (FlateDecode with PNG predictors), streams whose
//!   /Length is direct or indirect, and the page tree. Every size, count and nesting depth is
//!   bounded by [`Limits`]; every failure is a [`PdfError`] that says what is wrong and where.
//! - [`Update`] appends new and changed objects, a new cross-reference section of the same kind
//!   as the newest one (table or stream) and a trailer with /Prev: the earlier bytes are never
//!   rewritten, so earlier signatures stay valid.

mod document;
mod filter;
mod object;
mod parse;
mod write;

pub use document::{Document, Page, XrefEntry, XrefKind, rectangle};
pub use filter::{decode, deflate};
pub use object::{Dict, ObjRef, Object, Stream, decode_text_string, text_string};
pub use write::{Update, Written, new_file, text_document};

/// Bounds on what a file may make the reader do.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest file read, in bytes.
    pub max_file_len: usize,
    /// The largest stream, raw or decoded, in bytes.
    pub max_stream_len: usize,
    /// The deepest nesting of arrays, dictionaries and page tree nodes.
    pub max_depth: usize,
    /// The most entries of one array or dictionary.
    pub max_container_len: usize,
    /// The most objects (cross-reference entries).
    pub max_objects: usize,
    /// The most cross-reference sections (revisions).
    pub max_revisions: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_len: 512 << 20,
            max_stream_len: 64 << 20,
            max_depth: 64,
            max_container_len: 1 << 20,
            max_objects: 4 << 20,
            max_revisions: 1024,
        }
    }
}

/// Why a PDF was not read or not written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    /// Not a PDF at all.
    #[error("not a PDF: {0}")]
    NotPdf(String),
    /// A PDF whose end is missing.
    #[error("the PDF is truncated: {0}")]
    Truncated(String),
    /// A PDF whose structure is broken; the message says what and where.
    #[error("the PDF is malformed: {0}")]
    Malformed(String),
    /// A PDF that goes beyond a [`Limits`] bound.
    #[error("the PDF exceeds a limit: {0}")]
    Limit(String),
    /// A PDF feature not handled (encryption, other filters).
    #[error("the PDF uses what is not supported: {0}")]
    Unsupported(String),
    /// A request that does not fit the document (a page that does not exist, …).
    #[error("{0}")]
    Invalid(String),
}

impl PdfError {
    pub(crate) fn malformed(msg: impl Into<String>) -> Self {
        Self::Malformed(msg.into())
    }
}
