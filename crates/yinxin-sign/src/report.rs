//! A typesetter for the reports the service writes and signs: evidence reports (出证, EVID-2;
//! docs/LEDGER.md) and, later, the subject's export (PRIV-14).
//!
//! A report is a list of [`Block`]s (a title, headings, paragraphs, label–value fields and
//! monospaced lines for hashes and serials) laid out on A4 pages with a footer and "page n of N",
//! plus [`Attachment`]s (the machine-readable proof bundles) embedded as PDF/A-3-style associated
//! files (ISO 32000-2 §14.13: /EmbeddedFiles name tree, /AF, /AFRelationship /Supplement).
//!
//! Chinese text needs a CJK font, and a court's reader must show the text as written, so the font
//! is **embedded**: a Type 0 font over a CIDFontType2 (ISO 32000-1 §9.7), Identity-H encoding,
//! subset to the glyphs used (`subsetter`; the whole AR PL UMing face is 21 MB) with the subset
//! tag in its name, /W widths, and a /ToUnicode CMap so that text can be searched and copied.
//! A character the font lacks is never dropped silently: it is written as `[U+XXXX]`, which the
//! reader can look up. The file has a classic cross-reference table; signing is an incremental
//! update by [`crate::pades`], so the report parses with [`crate::pdf::Document`] like any other
//! input.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId, name_id};

use crate::SignError;
use crate::pdf::{Dict, ObjRef, Object, Stream, deflate, new_file, text_string};

/// One piece of a report, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// The report's title, centred, large.
    Title(String),
    /// A section heading, ruled underneath; kept on the page of what follows it.
    Heading(String),
    /// Running text, wrapped to the page (a `\n` starts a new line).
    Paragraph(String),
    /// A label and its value side by side (the value wrapped in its column).
    Field {
        /// What the value is ("Signed at").
        label: String,
        /// The value.
        value: String,
    },
    /// Small text wrapped anywhere: hashes, serials, base64.
    Mono(String),
    /// Vertical space, in points.
    Space(f32),
}

/// A file embedded in the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    /// The file name (ASCII letters, digits, `.`, `-`, `_`); unique in the report.
    pub name: String,
    /// What it is, shown by readers beside the name.
    pub description: String,
    /// Its media type (`application/json`).
    pub mime: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A report to typeset.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The document title (/Info /Title, shown by readers).
    pub title: String,
    /// The language tag of the text (/Lang: `zh-CN`, `en`).
    pub language: String,
    /// The content.
    pub blocks: Vec<Block>,
    /// Files embedded in it.
    pub attachments: Vec<Attachment>,
    /// The footer line of every page (left).
    pub footer: String,
    /// The page label of every page (right), with `{n}` for the page and `{N}` for the count:
    /// `第 {n} 页，共 {N} 页`, `Page {n} of {N}`.
    pub page_label: String,
    /// When it was made (/Info /CreationDate).
    pub created: SystemTime,
}

/// The font reports are set in: one face of a TrueType file or collection, read once.
#[derive(Clone)]
pub struct ReportFont {
    data: Arc<Vec<u8>>,
    index: u32,
}

impl std::fmt::Debug for ReportFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportFont")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ReportFont {
    /// Reads face `index` of the font at `path`: it must have TrueType outlines (subsetting and
    /// CIDFontType2 need `glyf`) and every printable ASCII character (the `[U+XXXX]` fallback is
    /// written in them).
    pub fn load(path: &Path, index: u32) -> Result<Self, SignError> {
        let unusable =
            |why: String| SignError::Invalid(format!("report font {}: {why}", path.display()));
        let data = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
        let font = Self {
            data: Arc::new(data),
            index,
        };
        let face = font
            .face()
            .map_err(|_| unusable(format!("not a font, or no face {index}")))?;
        if face.tables().glyf.is_none() {
            return Err(unusable("no TrueType outlines (glyf table)".into()));
        }
        if let Some(c) = (' '..='~').find(|c| face.glyph_index(*c).is_none()) {
            return Err(unusable(format!("no glyph for {c:?}")));
        }
        Ok(font)
    }

    fn face(&self) -> Result<Face<'_>, ttf_parser::FaceParsingError> {
        Face::parse(&self.data, self.index)
    }
}

// A4 in points, and the type area.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN_X: f32 = 56.0;
const TOP: f32 = PAGE_H - 64.0;
const BOTTOM: f32 = 72.0;
const FOOTER_Y: f32 = 40.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const LABEL_W: f32 = 128.0;

const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 12.5;
const BODY_SIZE: f32 = 10.0;
const MONO_SIZE: f32 = 8.0;
const FOOTER_SIZE: f32 = 8.0;
const LEADING: f32 = 1.5;

/// What is drawn on a page.
#[derive(Debug)]
enum Mark {
    Text {
        x: f32,
        y: f32,
        size: f32,
        gray: bool,
        text: String,
    },
    Rule {
        y: f32,
    },
}

/// Widths of characters in the face, in points at a size.
struct Metrics<'f> {
    face: Face<'f>,
    per_em: f32,
}

impl Metrics<'_> {
    fn advance(&self, c: char, size: f32) -> f32 {
        let gid = self.face.glyph_index(c).unwrap_or(GlyphId(0));
        f32::from(self.face.glyph_hor_advance(gid).unwrap_or(0)) * size / self.per_em
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.advance(c, size)).sum()
    }

    /// `s` with tabs as spaces, other control characters dropped (but `\n`), and every
    /// character the font lacks written as `[U+XXXX]`.
    fn printable(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '\n' => out.push('\n'),
                '\t' => out.push(' '),
                c if c.is_control() => {}
                c if self.face.glyph_index(c).is_some() => out.push(c),
                c => {
                    let _ = write!(out, "[U+{:04X}]", u32::from(c));
                }
            }
        }
        out
    }

    /// The lines of `text` (already printable) at `size` within `max` points: breaks at spaces,
    /// beside CJK characters (not before closing punctuation), and anywhere when `anywhere` or
    /// when a word is longer than the line.
    fn wrap(&self, text: &str, size: f32, max: f32, anywhere: bool) -> Vec<String> {
        let mut out = Vec::new();
        for hard in text.split('\n') {
            let chars: Vec<char> = hard.chars().collect();
            if chars.is_empty() {
                out.push(String::new());
                continue;
            }
            let mut start = 0;
            while let Some(rest) = chars.get(start..).filter(|r| !r.is_empty()) {
                let mut width = 0.0;
                let mut taken = 0;
                let mut brk = None;
                for (k, &c) in rest.iter().enumerate() {
                    let w = self.advance(c, size);
                    if width + w > max && k > 0 {
                        break;
                    }
                    width += w;
                    taken = k + 1;
                    let next = rest.get(k + 1).copied();
                    if next.is_none_or(|n| may_break_between(c, n, anywhere)) {
                        brk = Some(k + 1);
                    }
                }
                let end = if taken == rest.len() {
                    taken
                } else {
                    brk.unwrap_or(taken)
                };
                let line: String = rest.iter().take(end).collect();
                out.push(line.trim_end().into());
                start += end;
                while chars.get(start) == Some(&' ') {
                    start += 1;
                }
            }
        }
        out
    }
}

fn is_cjk(c: char) -> bool {
    c >= '\u{2E80}'
}

/// Whether a line may end between `a` and `b`.
fn may_break_between(a: char, b: char, anywhere: bool) -> bool {
    const NO_START: &str = "，。、；：？！）》」』】〕…·,.;:?!)]}%";
    if NO_START.contains(b) {
        return false;
    }
    anywhere || a == ' ' || b == ' ' || a == '-' || a == '/' || is_cjk(a) || is_cjk(b)
}

/// Pages of marks, filled top to bottom.
struct Layout<'m, 'f> {
    m: &'m Metrics<'f>,
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl<'m, 'f> Layout<'m, 'f> {
    fn new(m: &'m Metrics<'f>) -> Self {
        Self {
            m,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    /// Room for `height` points more, on a new page when this one has not.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    /// One line of text whose baseline sits `size` below the current position.
    fn line(&mut self, x: f32, size: f32, gray: bool, text: String) {
        let step = size * LEADING;
        self.room(step);
        let y = self.y - size;
        if !text.is_empty() {
            self.mark(Mark::Text {
                x,
                y,
                size,
                gray,
                text,
            });
        }
        self.y -= step;
    }

    fn block(&mut self, block: &Block) {
        let m = self.m;
        match block {
            Block::Title(t) => {
                let t = m.printable(t);
                for line in m.wrap(&t, TITLE_SIZE, TEXT_W, false) {
                    let x = MARGIN_X + (TEXT_W - m.width(&line, TITLE_SIZE)).max(0.0) / 2.0;
                    self.line(x, TITLE_SIZE, false, line);
                }
                self.y -= TITLE_SIZE * 0.5;
            }
            Block::Heading(t) => {
                // The heading, its rule and two lines of what follows stay together.
                self.y -= HEADING_SIZE * 0.6;
                self.room(HEADING_SIZE * LEADING + 2.0 * BODY_SIZE * LEADING);
                let t = m.printable(t);
                for line in m.wrap(&t, HEADING_SIZE, TEXT_W, false) {
                    self.line(MARGIN_X, HEADING_SIZE, false, line);
                }
                let y = self.y + HEADING_SIZE * 0.25;
                self.mark(Mark::Rule { y });
                self.y -= BODY_SIZE * 0.4;
            }
            Block::Paragraph(t) => {
                let t = m.printable(t);
                for line in m.wrap(&t, BODY_SIZE, TEXT_W, false) {
                    self.line(MARGIN_X, BODY_SIZE, false, line);
                }
                self.y -= BODY_SIZE * 0.3;
            }
            Block::Field { label, value } => {
                let labels = m.wrap(&m.printable(label), BODY_SIZE, LABEL_W - 8.0, false);
                let values = m.wrap(&m.printable(value), BODY_SIZE, TEXT_W - LABEL_W, false);
                let rows = labels.len().max(values.len());
                for i in 0..rows {
                    self.room(BODY_SIZE * LEADING);
                    let y = self.y;
                    if let Some(l) = labels.get(i) {
                        self.line(MARGIN_X, BODY_SIZE, true, l.clone());
                        self.y = y;
                    }
                    let v = values.get(i).cloned().unwrap_or_default();
                    self.line(MARGIN_X + LABEL_W, BODY_SIZE, false, v);
                }
            }
            Block::Mono(t) => {
                let t = m.printable(t);
                for line in m.wrap(&t, MONO_SIZE, TEXT_W, true) {
                    self.line(MARGIN_X, MONO_SIZE, false, line);
                }
                self.y -= MONO_SIZE * 0.3;
            }
            Block::Space(points) => self.y -= points.clamp(0.0, PAGE_H),
        }
    }

    /// The footer and page label of every page.
    fn footers(&mut self, footer: &str, label: &str) {
        let m = self.m;
        let count = self.pages.len();
        let footer = m.printable(footer).replace('\n', " ");
        for (i, page) in self.pages.iter_mut().enumerate() {
            let label = m.printable(
                &label
                    .replace("{n}", &(i + 1).to_string())
                    .replace("{N}", &count.to_string()),
            );
            let label_w = m.width(&label, FOOTER_SIZE);
            let footer = m
                .wrap(&footer, FOOTER_SIZE, TEXT_W - label_w - 12.0, false)
                .into_iter()
                .next()
                .unwrap_or_default();
            page.push(Mark::Text {
                x: MARGIN_X,
                y: FOOTER_Y,
                size: FOOTER_SIZE,
                gray: true,
                text: footer,
            });
            page.push(Mark::Text {
                x: PAGE_W - MARGIN_X - label_w,
                y: FOOTER_Y,
                size: FOOTER_SIZE,
                gray: true,
                text: label,
            });
        }
    }
}

/// The glyphs used, renumbered for the subset, and the text each stands for.
struct GlyphSet {
    remapper: GlyphRemapper,
    unicode: BTreeMap<u16, char>,
}

impl GlyphSet {
    fn new() -> Self {
        Self {
            remapper: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
        }
    }

    /// `text` as Identity-H codes (the subset's glyph ids), hex.
    fn encode(&mut self, face: &Face<'_>, text: &str) -> String {
        let mut hex = String::with_capacity(text.len() * 4);
        for c in text.chars() {
            let gid = face.glyph_index(c).unwrap_or(GlyphId(0)).0;
            let cid = self.remapper.remap(gid);
            self.unicode.entry(cid).or_insert(c);
            let _ = write!(hex, "{cid:04X}");
        }
        hex
    }
}

/// Typesets `report` in `font`: a PDF 1.7 file ready to be signed.
pub fn render(report: &Report, font: &ReportFont) -> Result<Vec<u8>, SignError> {
    let face = font
        .face()
        .map_err(|e| SignError::Invalid(format!("report font: {e}")))?;
    let metrics = Metrics {
        per_em: f32::from(face.units_per_em()),
        face,
    };
    let mut attachments: Vec<&Attachment> = report.attachments.iter().collect();
    attachments.sort_by(|a, b| a.name.cmp(&b.name));
    for a in &attachments {
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
        if a.name.is_empty() || !a.name.chars().all(plain) {
            return Err(SignError::Invalid(format!(
                "attachment name {:?}: only ASCII letters, digits, '.', '-' and '_'",
                a.name
            )));
        }
    }
    for pair in attachments.windows(2) {
        if let [a, b] = pair
            && a.name == b.name
        {
            return Err(SignError::Invalid(format!(
                "attachment name {:?} appears twice",
                a.name
            )));
        }
    }

    let mut layout = Layout::new(&metrics);
    for block in &report.blocks {
        layout.block(block);
    }
    layout.footers(&report.footer, &report.page_label);
    let pages = layout.pages;

    let mut glyphs = GlyphSet::new();
    let contents: Vec<Vec<u8>> = pages
        .iter()
        .map(|marks| page_content(marks, &metrics.face, &mut glyphs))
        .collect();

    // Objects: 1 catalog, 2 pages, 3 Type 0 font, 4 CIDFont, 5 descriptor, 6 font file,
    // 7 ToUnicode, 8 info, then two per attachment (file, filespec), then two per page.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let first_attachment = 9u32;
    let first_page = first_attachment + 2 * attachments.len() as u32;
    let page_refs: Vec<Object> = (0..pages.len() as u32)
        .map(|i| Object::Ref(ObjRef::new(first_page + 2 * i)))
        .collect();
    let filespecs: Vec<ObjRef> = (0..attachments.len() as u32)
        .map(|i| ObjRef::new(first_attachment + 2 * i + 1))
        .collect();

    let mut catalog = Dict::new()
        .with(b"Type", Object::name("Catalog"))
        .with(b"Pages", Object::Ref(ObjRef::new(2)))
        .with(b"Lang", text_string(&report.language))
        .with(
            b"ViewerPreferences",
            Object::Dict(Dict::new().with(b"DisplayDocTitle", Object::Bool(true))),
        );
    if !attachments.is_empty() {
        let mut names = Vec::new();
        for (a, spec) in attachments.iter().zip(&filespecs) {
            names.push(text_string(&a.name));
            names.push(Object::Ref(*spec));
        }
        catalog.set(
            b"Names",
            Object::Dict(Dict::new().with(
                b"EmbeddedFiles",
                Object::Dict(Dict::new().with(b"Names", Object::Array(names))),
            )),
        );
        catalog.set(
            b"AF",
            Object::Array(filespecs.iter().map(|r| Object::Ref(*r)).collect()),
        );
        catalog.set(b"PageMode", Object::name("UseAttachments"));
    }
    objects.push(Object::Dict(catalog).to_bytes());
    objects.push(
        Object::Dict(
            Dict::new()
                .with(b"Type", Object::name("Pages"))
                .with(b"Kids", Object::Array(page_refs))
                .with(b"Count", Object::Int(pages.len() as i64)),
        )
        .to_bytes(),
    );
    objects.extend(font_objects(&metrics, font, &glyphs)?);
    objects.push(
        Object::Dict(
            Dict::new()
                .with(b"Title", text_string(&report.title))
                .with(b"Producer", Object::string("yinxin"))
                .with(
                    b"CreationDate",
                    Object::string(&crate::pades::pdf_date(report.created)),
                ),
        )
        .to_bytes(),
    );
    for (i, a) in attachments.iter().enumerate() {
        let file = ObjRef::new(first_attachment + 2 * i as u32);
        objects.push(
            Object::Stream(Stream {
                dict: Dict::new()
                    .with(b"Type", Object::name("EmbeddedFile"))
                    .with(b"Subtype", Object::name(&a.mime))
                    .with(b"Filter", Object::name("FlateDecode"))
                    .with(
                        b"Params",
                        Object::Dict(Dict::new().with(b"Size", Object::Int(a.data.len() as i64))),
                    ),
                data: deflate(&a.data),
            })
            .to_bytes(),
        );
        let ef = Dict::new()
            .with(b"F", Object::Ref(file))
            .with(b"UF", Object::Ref(file));
        objects.push(
            Object::Dict(
                Dict::new()
                    .with(b"Type", Object::name("Filespec"))
                    .with(b"F", Object::string(&a.name))
                    .with(b"UF", text_string(&a.name))
                    .with(b"Desc", text_string(&a.description))
                    .with(b"AFRelationship", Object::name("Supplement"))
                    .with(b"EF", Object::Dict(ef)),
            )
            .to_bytes(),
        );
    }
    for (i, content) in contents.into_iter().enumerate() {
        let resources = Dict::new().with(
            b"Font",
            Object::Dict(Dict::new().with(b"F1", Object::Ref(ObjRef::new(3)))),
        );
        objects.push(
            Object::Dict(
                Dict::new()
                    .with(b"Type", Object::name("Page"))
                    .with(b"Parent", Object::Ref(ObjRef::new(2)))
                    .with(
                        b"MediaBox",
                        Object::reals(&[0.0, 0.0, f64::from(PAGE_W), f64::from(PAGE_H)]),
                    )
                    .with(b"Resources", Object::Dict(resources))
                    .with(
                        b"Contents",
                        Object::Ref(ObjRef::new(first_page + 2 * i as u32 + 1)),
                    ),
            )
            .to_bytes(),
        );
        objects.push(
            Object::Stream(Stream {
                dict: Dict::new().with(b"Filter", Object::name("FlateDecode")),
                data: deflate(&content),
            })
            .to_bytes(),
        );
    }
    let info = Dict::new().with(b"Info", Object::Ref(ObjRef::new(8)));
    Ok(new_file(&objects, info))
}

/// A page's content stream: its text in font /F1 and its rules.
fn page_content(marks: &[Mark], face: &Face<'_>, glyphs: &mut GlyphSet) -> Vec<u8> {
    let mut s = String::new();
    for mark in marks {
        match mark {
            Mark::Text {
                x,
                y,
                size,
                gray,
                text,
            } => {
                let hex = glyphs.encode(face, text);
                let shade = if *gray { "0.35" } else { "0" };
                let _ = writeln!(
                    s,
                    "BT {shade} g /F1 {size:.2} Tf 1 0 0 1 {x:.2} {y:.2} Tm <{hex}> Tj ET"
                );
            }
            Mark::Rule { y } => {
                let _ = writeln!(
                    s,
                    "0.6 G 0.6 w {MARGIN_X:.2} {y:.2} m {:.2} {y:.2} l S",
                    PAGE_W - MARGIN_X
                );
            }
        }
    }
    s.into_bytes()
}

/// Objects 3 to 7: the Type 0 font, its CIDFontType2, the descriptor, the subset font file and
/// the ToUnicode CMap.
fn font_objects(
    m: &Metrics<'_>,
    font: &ReportFont,
    glyphs: &GlyphSet,
) -> Result<Vec<Vec<u8>>, SignError> {
    let face = &m.face;
    let subset = subsetter::subset(&font.data, font.index, &glyphs.remapper)
        .map_err(|e| SignError::Invalid(format!("report font cannot be subset: {e}")))?;
    let scale = 1000.0 / m.per_em;
    let units = |v: i16| Object::Int((f32::from(v) * scale).round() as i64);

    // A subset's name is a six-letter tag, '+', the PostScript name (ISO 32000-1 §9.6.4); the
    // tag is derived from the glyphs, so the same text gives the same file.
    let ps_name = face
        .names()
        .into_iter()
        .filter(|n| n.name_id == name_id::POST_SCRIPT_NAME)
        .find_map(|n| n.to_string())
        .filter(|n| !n.is_empty() && n.is_ascii())
        .unwrap_or_else(|| "YinxinReport".into())
        .replace(' ', "");
    let mut h: u32 = 0x811c_9dc5;
    for gid in glyphs.remapper.remapped_gids() {
        for b in gid.to_be_bytes() {
            h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
        }
    }
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect();
    let base_font = format!("{tag}+{ps_name}");

    let widths: Vec<Object> = glyphs
        .remapper
        .remapped_gids()
        .map(|gid| {
            let w = face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0);
            Object::Int((f32::from(w) * scale).round() as i64)
        })
        .collect();
    let bbox = face.global_bounding_box();
    let descriptor = Dict::new()
        .with(b"Type", Object::name("FontDescriptor"))
        .with(b"FontName", Object::name(&base_font))
        .with(b"Flags", Object::Int(4))
        .with(
            b"FontBBox",
            Object::Array(vec![
                units(bbox.x_min),
                units(bbox.y_min),
                units(bbox.x_max),
                units(bbox.y_max),
            ]),
        )
        .with(b"ItalicAngle", Object::Int(0))
        .with(b"Ascent", units(face.ascender()))
        .with(b"Descent", units(face.descender()))
        .with(
            b"CapHeight",
            units(face.capital_height().unwrap_or(face.ascender())),
        )
        .with(b"StemV", Object::Int(80))
        .with(b"FontFile2", Object::Ref(ObjRef::new(6)));
    let system_info = Dict::new()
        .with(b"Registry", Object::string("Adobe"))
        .with(b"Ordering", Object::string("Identity"))
        .with(b"Supplement", Object::Int(0));
    let cid_font = Dict::new()
        .with(b"Type", Object::name("Font"))
        .with(b"Subtype", Object::name("CIDFontType2"))
        .with(b"BaseFont", Object::name(&base_font))
        .with(b"CIDSystemInfo", Object::Dict(system_info))
        .with(b"FontDescriptor", Object::Ref(ObjRef::new(5)))
        .with(b"CIDToGIDMap", Object::name("Identity"))
        .with(
            b"W",
            Object::Array(vec![Object::Int(0), Object::Array(widths)]),
        );
    let type0 = Dict::new()
        .with(b"Type", Object::name("Font"))
        .with(b"Subtype", Object::name("Type0"))
        .with(b"BaseFont", Object::name(&base_font))
        .with(b"Encoding", Object::name("Identity-H"))
        .with(
            b"DescendantFonts",
            Object::Array(vec![Object::Ref(ObjRef::new(4))]),
        )
        .with(b"ToUnicode", Object::Ref(ObjRef::new(7)));
    let font_file = Stream {
        dict: Dict::new()
            .with(b"Filter", Object::name("FlateDecode"))
            .with(b"Length1", Object::Int(subset.len() as i64)),
        data: deflate(&subset),
    };
    let to_unicode = Stream {
        dict: Dict::new().with(b"Filter", Object::name("FlateDecode")),
        data: deflate(to_unicode_cmap(&glyphs.unicode).as_bytes()),
    };
    Ok(vec![
        Object::Dict(type0).to_bytes(),
        Object::Dict(cid_font).to_bytes(),
        Object::Dict(descriptor).to_bytes(),
        Object::Stream(font_file).to_bytes(),
        Object::Stream(to_unicode).to_bytes(),
    ])
}

/// The ToUnicode CMap (Adobe Technical Note #5411): each two-byte code to its character.
fn to_unicode_cmap(unicode: &BTreeMap<u16, char>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = unicode.iter().collect();
    for chunk in entries.chunks(100) {
        let _ = writeln!(s, "{} beginbfchar", chunk.len());
        for (cid, c) in chunk {
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(s, "<{cid:04X}> <{utf16}>");
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

/// The most attachments [`attachments`] reads, and the deepest name tree it walks.
const MAX_ATTACHMENTS: usize = 1000;
const MAX_NAME_TREE_DEPTH: usize = 8;

/// The files attached to a PDF (`/Names /EmbeddedFiles`, ISO 32000-1 §7.7.4, §7.11.4): each
/// name (the /UF file name, else /F, else the tree's key) and its decoded bytes, in the tree's
/// order. For reading an evidence report offline (`yinxin verify report`); the file is untrusted,
/// so the tree's depth and size are bounded and every stream is decoded within the parser's
/// limits. A file without attachments gives none.
pub fn attachments(pdf: &[u8]) -> Result<Vec<(String, Vec<u8>)>, SignError> {
    use crate::pdf::{Document, Limits, decode, decode_text_string};
    let doc = Document::parse(pdf)?;
    let catalog = doc.catalog()?;
    let Some(names) = catalog.get(b"Names") else {
        return Ok(Vec::new());
    };
    let names = doc.dict(names, "the catalog's /Names")?;
    let Some(tree) = names.get(b"EmbeddedFiles") else {
        return Ok(Vec::new());
    };
    let bad = |what: &str| SignError::Invalid(format!("attachments: {what}"));
    let limits = Limits::default();
    let mut out = Vec::new();
    let mut stack = vec![(doc.resolve(tree)?, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_NAME_TREE_DEPTH {
            return Err(bad("the name tree is too deep"));
        }
        let node = node
            .as_dict()
            .cloned()
            .ok_or_else(|| bad("a name tree node is not a dictionary"))?;
        if let Some(kids) = node.get(b"Kids") {
            let Object::Array(kids) = doc.resolve(kids)? else {
                return Err(bad("/Kids is not an array"));
            };
            for kid in kids.into_iter().rev() {
                stack.push((doc.resolve(&kid)?, depth + 1));
            }
        }
        let Some(pairs) = node.get(b"Names") else {
            continue;
        };
        let Object::Array(pairs) = doc.resolve(pairs)? else {
            return Err(bad("/Names is not an array"));
        };
        for pair in pairs.chunks(2) {
            let [key, spec] = pair else {
                return Err(bad("/Names has a key without a value"));
            };
            if out.len() >= MAX_ATTACHMENTS {
                return Err(bad("more than 1000 files"));
            }
            let spec = doc.dict(spec, "a file specification")?;
            let text = |k: &[u8]| match spec.get(k).map(|o| doc.resolve(o)) {
                Some(Ok(Object::String(b))) => Some(decode_text_string(&b)),
                _ => None,
            };
            let name = text(b"UF")
                .or_else(|| text(b"F"))
                .unwrap_or_else(|| match key {
                    Object::String(b) => decode_text_string(b),
                    _ => String::new(),
                });
            let ef = spec
                .get(b"EF")
                .ok_or_else(|| bad("a file specification without /EF"))?;
            let ef = doc.dict(ef, "/EF")?;
            let file = ef
                .get(b"UF")
                .or_else(|| ef.get(b"F"))
                .ok_or_else(|| bad("/EF without /F"))?;
            let Object::Stream(stream) = doc.resolve(file)? else {
                return Err(bad("an embedded file is not a stream"));
            };
            out.push((name, decode(&stream, &limits)?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::Document;
    use crate::testing::{assert_qpdf_check, run};

    fn font() -> ReportFont {
        ReportFont::load(&crate::image::FontConfig::default().ming, 0)
            .expect("scripts/ensure-fonts installs fonts-arphic-uming")
    }

    fn sample(paragraphs: usize) -> Report {
        let mut blocks = vec![
            Block::Title("电子签名出证报告 Evidence Report".into()),
            Block::Heading("一、签署信息".into()),
            Block::Field {
                label: "签署人".into(),
                value: "张三（个人）".into(),
            },
            Block::Field {
                label: "文件摘要 SHA-256".into(),
                value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            },
            Block::Mono("MEUCIQDx".repeat(40)),
            Block::Paragraph("罕见字：\u{1F600}。".into()),
        ];
        for i in 0..paragraphs {
            blocks.push(Block::Heading(format!("第 {} 节", i + 1)));
            blocks.push(Block::Paragraph(
                "本报告由印信电子认证服务生成，记录签署过程中的身份核验、意愿认证、文件摘要、\
                 证书与时间戳，以及证据日志中的包含证明。The proof bundles are attached. "
                    .repeat(3),
            ));
        }
        Report {
            title: "电子签名出证报告".into(),
            language: "zh-CN".into(),
            blocks,
            attachments: vec![Attachment {
                name: "proof-1.json".into(),
                description: "证据包 proof bundle".into(),
                mime: "application/json".into(),
                data: br#"{"leaf_index":1}"#.to_vec(),
            }],
            footer: "印信 yinxin 出证报告".into(),
            page_label: "第 {n} 页，共 {N} 页".into(),
            created: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_000_000),
        }
    }

    /// A three-page Chinese report: our parser reads it; qpdf finds it clean; pdffonts says the
    /// font is embedded and subset; pdftotext gets the Chinese text back (ToUnicode) with the
    /// page labels and the missing character as its code; pdfdetach lists and extracts the
    /// attachment byte for byte; and the file stays small.
    #[test]
    fn chinese_report_with_attachment_passes_outside_tools() {
        let dir = tempfile::tempdir().unwrap();
        let pdf = render(&sample(12), &font()).unwrap();
        assert!(pdf.len() < 200_000, "report is {} bytes", pdf.len());
        let doc = Document::parse(&pdf).unwrap();
        let pages = doc.pages().unwrap().len();
        assert!(pages >= 3, "{pages} pages");
        let path = dir.path().join("report.pdf");
        std::fs::write(&path, &pdf).unwrap();
        assert_qpdf_check(&path);

        let (ok, fonts) = run("pdffonts", &[&path]);
        assert!(ok, "{fonts}");
        let line = fonts.lines().find(|l| l.contains("CID TrueType")).unwrap();
        assert!(line.contains("Identity-H"), "{fonts}");
        assert!(
            line.split_whitespace().filter(|w| *w == "yes").count() >= 3,
            "emb, sub, uni: {fonts}"
        );

        let txt = dir.path().join("report.txt");
        let (ok, out) = run("pdftotext", &[path.as_os_str(), txt.as_os_str()]);
        assert!(ok, "{out}");
        let text = std::fs::read_to_string(&txt).unwrap();
        for want in [
            "电子签名出证报告",
            "一、签署信息",
            "张三（个人）",
            "9f86d081884c7d659a2feaa0c55ad015",
            "[U+1F600]",
            "The proof bundles are attached.",
            &format!("第 {pages} 页，共 {pages} 页"),
        ] {
            assert!(text.contains(want), "pdftotext lacks {want:?}: {text}");
        }

        let (ok, list) = run(
            "pdfdetach",
            &[std::ffi::OsStr::new("-list"), path.as_os_str()],
        );
        assert!(ok && list.contains("proof-1.json"), "{list}");
        let saved = dir.path().join("saved.json");
        let (ok, out) = run(
            "pdfdetach",
            &[
                std::ffi::OsStr::new("-save"),
                std::ffi::OsStr::new("1"),
                std::ffi::OsStr::new("-o"),
                saved.as_os_str(),
                path.as_os_str(),
            ],
        );
        assert!(ok, "{out}");
        assert_eq!(std::fs::read(&saved).unwrap(), br#"{"leaf_index":1}"#);
        // Our reader finds the same file, and none in a PDF without attachments.
        assert_eq!(
            attachments(&pdf).unwrap(),
            [("proof-1.json".to_owned(), br#"{"leaf_index":1}"#.to_vec())]
        );
        assert!(
            attachments(&crate::testing::minimal_pdf(1))
                .unwrap()
                .is_empty()
        );
    }

    /// The same report gives the same bytes (the subset tag comes from the glyphs).
    #[test]
    fn rendering_is_deterministic_and_refuses_bad_attachment_names() {
        let f = font();
        assert_eq!(
            render(&sample(1), &f).unwrap(),
            render(&sample(1), &f).unwrap()
        );
        let mut r = sample(0);
        r.attachments[0].name = "../证据.json".into();
        let err = render(&r, &f).unwrap_err().to_string();
        assert!(err.contains("attachment name"), "{err}");
        let mut r = sample(0);
        r.attachments.push(r.attachments[0].clone());
        assert!(render(&r, &f).unwrap_err().to_string().contains("twice"));
        let err = ReportFont::load(Path::new("/nonexistent.ttf"), 0).unwrap_err();
        assert!(err.to_string().contains("/nonexistent.ttf"), "{err}");
    }

    /// Lines break beside CJK characters and at spaces, never before closing punctuation, and
    /// a long hash breaks anywhere.
    #[test]
    fn wrapping() {
        let f = font();
        let m = Metrics {
            per_em: f32::from(f.face().unwrap().units_per_em()),
            face: f.face().unwrap(),
        };
        let lines = m.wrap("一二三四五，六七八", 10.0, 50.0, false);
        assert_eq!(lines, ["一二三四", "五，六七八"]);
        let lines = m.wrap(
            "alpha beta gamma",
            10.0,
            m.width("alpha beta", 10.0) + 1.0,
            false,
        );
        assert_eq!(lines, ["alpha beta", "gamma"]);
        let hash = "0123456789abcdef".repeat(8);
        let lines = m.wrap(&hash, 8.0, 100.0, true);
        assert!(lines.len() > 3 && lines.concat() == hash, "{lines:?}");
        assert!(lines.iter().all(|l| m.width(l, 8.0) <= 100.0));
        assert_eq!(m.printable("a\tb\u{7}c\u{1F600}"), "a bc[U+1F600]");
    }
}
