//! PDF export of chat transcripts.
//!
//! Operators download transcripts to archive them or hand them to customers, and
//! those chats are written in every script our visitors use. The built-in PDF base
//! fonts only cover Latin-1, so this module embeds real TrueType faces instead:
//! text is shaped with rustybuzz (Arabic joining, marks, kerning), reordered with
//! the Unicode bidi algorithm, and written as subset Type0/CIDFontType2 fonts with a
//! ToUnicode map so that copying text out of the PDF yields the original characters.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use rustybuzz::ttf_parser::GlyphId;
use rustybuzz::{Direction, UnicodeBuffer};
use subsetter::GlyphRemapper;
use unicode_bidi::ParagraphBidiInfo;

/// A transcript to print.
pub struct PdfTranscript {
    /// Heading printed at the top of the first page, e.g. "Chat transcript".
    pub title: String,
    /// Label/value pairs printed under the title (visitor, operators, channel, ...).
    pub header: Vec<(String, String)>,
    /// The messages, in chronological order.
    pub lines: Vec<PdfLine>,
}

/// One message (or system event) of a transcript.
pub struct PdfLine {
    /// Pre-formatted timestamp, e.g. "2026-12-02 11:40".
    pub time: String,
    /// Display name of the sender; empty for system lines.
    pub author: String,
    /// Message body; may contain newlines and any Unicode.
    pub text: String,
    /// A private note between operators: rendered with a coloured bar and a label.
    pub note: bool,
    /// A system event ("Olivia joined"): rendered smaller and grey, without author.
    pub system: bool,
}

impl PdfTranscript {
    /// A transcript as the PDF prints it: the text file's header and lines, times in UTC.
    pub fn of(transcript: &domain::transcript::Transcript) -> Self {
        use domain::transcript::LineKind;
        Self {
            title: "Chat transcript".to_owned(),
            header: transcript
                .header()
                .into_iter()
                .map(|(label, value)| (label.to_owned(), value))
                .collect(),
            lines: transcript
                .lines
                .iter()
                .map(|line| PdfLine {
                    time: line.at.utc_text(),
                    author: line.author.clone().unwrap_or_default(),
                    text: line.text.clone(),
                    note: line.kind == LineKind::Note,
                    system: line.kind == LineKind::Notice || line.author.is_none(),
                })
                .collect(),
        }
    }
}

struct FaceData {
    data: Vec<u8>,
    /// PostScript-safe name used for /BaseFont.
    name: String,
    bold: bool,
}

/// The faces found on this machine, loaded once at startup and shared.
///
/// Only raw font bytes are kept: parsing a face is cheap, so each [`render`] call
/// parses its own view, which keeps this type `Send + Sync` without locking.
pub struct PdfFonts {
    faces: Vec<FaceData>,
    /// Fallback chains (indices into `faces`), tried in order per character.
    regular: Vec<usize>,
    bold: Vec<usize>,
}

const MAX_DEPTH: usize = 8;
const MAX_FALLBACKS: usize = 2;

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    // Font directories are full of symlinks; never recurse through them (loops)
    // but do accept symlinked files.
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() && depth < MAX_DEPTH => walk(&path, depth + 1, out),
            Ok(t) if t.is_file() || (t.is_symlink() && path.is_file()) => out.push(path),
            _ => {}
        }
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a face if it is TrueType-flavoured: we embed as FontFile2, which cannot
/// carry CFF outlines, so OpenType/CFF files (e.g. most Noto CJK builds) are skipped.
fn read_face(path: &Path, bold: bool) -> Option<FaceData> {
    let data = std::fs::read(path).ok()?;
    let face = rustybuzz::ttf_parser::Face::parse(&data, 0).ok()?;
    face.tables().glyf?;
    let stem = path.file_stem()?.to_string_lossy();
    let name: String = stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Some(FaceData { data, name, bold })
}

impl PdfFonts {
    /// Looks for the fonts in these directories (searched recursively, e.g.
    /// /usr/share/fonts): a regular and bold sans for Latin/Cyrillic/Greek/Arabic/
    /// Hebrew (DejaVuSans.ttf, DejaVuSans-Bold.ttf), and fallbacks for CJK
    /// (DroidSansFallbackFull.ttf, or any NotoSansCJK / wqy TrueType if present).
    /// Errors (String message) if no primary face is found.
    ///
    /// # Errors
    ///
    /// Returns a message naming the searched directories when DejaVuSans.ttf is
    /// missing or unreadable; missing bold or CJK faces only reduce fidelity.
    pub fn load(dirs: &[PathBuf]) -> Result<PdfFonts, String> {
        let mut files = Vec::new();
        for d in dirs {
            walk(d, 0, &mut files);
        }
        // Sorting makes the choice deterministic when a font exists in several dirs.
        files.sort();
        let find = |name: &str| files.iter().find(|p| file_name(p) == name);
        let regular = find("DejaVuSans.ttf")
            .and_then(|p| read_face(p, false))
            .ok_or_else(|| format!("PDF fonts: DejaVuSans.ttf not found in {dirs:?}"))?;
        let mut faces = vec![regular];
        let bold_ix = find("DejaVuSans-Bold.ttf")
            .and_then(|p| read_face(p, true))
            .map(|f| {
                faces.push(f);
                faces.len() - 1
            });
        let mut candidates: Vec<&PathBuf> = find("DroidSansFallbackFull.ttf").into_iter().collect();
        candidates.extend(files.iter().filter(|p| {
            let n = file_name(p).to_ascii_lowercase();
            (n.contains("notosanscjk") || n.starts_with("wqy"))
                && (n.ends_with(".ttf") || n.ends_with(".ttc") || n.ends_with(".otf"))
        }));
        let mut fallbacks = Vec::new();
        // CJK faces are several MB each; two are plenty for coverage.
        for p in candidates {
            if fallbacks.len() >= MAX_FALLBACKS {
                break;
            }
            if let Some(f) = read_face(p, false) {
                faces.push(f);
                fallbacks.push(faces.len() - 1);
            }
        }
        let mut regular_chain = vec![0];
        regular_chain.extend(&fallbacks);
        let mut bold_chain = vec![bold_ix.unwrap_or(0)];
        bold_chain.extend(&fallbacks);
        Ok(PdfFonts {
            faces,
            regular: regular_chain,
            bold: bold_chain,
        })
    }

    /// Where Debian keeps fonts.
    #[must_use]
    pub fn default_dirs() -> Vec<PathBuf> {
        vec![
            PathBuf::from("/usr/share/fonts"),
            PathBuf::from("/usr/local/share/fonts"),
        ]
    }
}

// A4 in PDF points; the bottom limit leaves room for the page-number footer.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_H - MARGIN;
const BOTTOM: f32 = 64.0;
const FOOTER_Y: f32 = 32.0;
const BLACK: [f32; 3] = [0.0, 0.0, 0.0];
const GREY: [f32; 3] = [0.45, 0.45, 0.45];
const NOTE: [f32; 3] = [0.75, 0.45, 0.0];

#[derive(Clone, Copy)]
struct Style {
    size: f32,
    bold: bool,
    color: [f32; 3],
    indent: f32,
    bar: bool,
}

impl Style {
    fn new(size: f32, bold: bool, color: [f32; 3]) -> Self {
        Style {
            size,
            bold,
            color,
            indent: 0.0,
            bar: false,
        }
    }
    fn line_height(&self) -> f32 {
        self.size * 1.4
    }
}

/// A shaped glyph in font units; `start..end` is its cluster's text.
#[derive(Clone)]
struct Glyph {
    gid: u16,
    start: usize,
    end: usize,
    adv: i32,
    dx: i32,
    dy: i32,
}

/// Glyphs of one face, in visual order.
struct Run {
    face: usize,
    rtl: bool,
    glyphs: Vec<Glyph>,
}

/// A shaped, reordered output line; glyph ranges index into `text`.
struct Line {
    text: Rc<str>,
    width: f32,
    rtl: bool,
    runs: Vec<Run>,
}

/// Page content: filled rectangles (`[x, y, w, h]`) and lines at a baseline origin.
enum Op {
    Rect([f32; 4], [f32; 3]),
    Text(f32, f32, Style, Line),
}

struct Layout<'a> {
    fonts: &'a PdfFonts,
    faces: Vec<Option<rustybuzz::Face<'a>>>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

/// Marks, joiners, variation selectors and emoji modifiers must stay in the face
/// of their base character, or the cluster would be split across fonts.
fn is_continuation(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x200C | 0x200D | 0x20D0..=0x20FF | 0x3099 | 0x309A | 0xFE00..=0xFE0F
        | 0xFE20..=0xFE2F | 0x1F3FB..=0x1F3FF | 0xE0100..=0xE01EF)
}

/// Tabs become spaces and other control characters are dropped: fonts have no
/// glyphs for them, so they would only print as .notdef boxes.
fn clean(text: &str) -> String {
    let text = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', "    ");
    text.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a PdfFonts) -> Self {
        // Parsing per render (cheap: tables are read lazily) keeps PdfFonts free of
        // borrowed state, so it can be shared across threads without locks.
        let faces = fonts
            .faces
            .iter()
            .map(|f| rustybuzz::Face::from_slice(&f.data, 0))
            .collect();
        Layout {
            fonts,
            faces,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn upem(&self, face: usize) -> f32 {
        self.faces
            .get(face)
            .and_then(|f| f.as_ref())
            .map_or(1000.0, |f| f.units_per_em() as f32)
    }

    fn covers(&self, face: usize, c: char) -> bool {
        self.faces
            .get(face)
            .and_then(|f| f.as_ref())
            .and_then(|f| f.glyph_index(c))
            .is_some()
    }

    fn pick(&self, chain: &[usize], c: char, prev: Option<usize>) -> usize {
        let primary = chain.first().copied().unwrap_or(0);
        if let Some(p) = prev.filter(|_| is_continuation(c)) {
            return p;
        }
        // Uncovered characters go to the primary face: it draws .notdef and the
        // real text is preserved through /ActualText when emitting.
        chain
            .iter()
            .copied()
            .find(|&f| self.covers(f, c))
            .unwrap_or(primary)
    }

    /// Shapes one paragraph (no newlines) and breaks it into lines of at most `max_w`.
    fn shape_paragraph(&self, text: &str, st: &Style, max_w: f32) -> Vec<Line> {
        let shared: Rc<str> = Rc::from(text);
        if text.is_empty() {
            return vec![Line {
                text: shared,
                width: 0.0,
                rtl: false,
                runs: Vec::new(),
            }];
        }
        let chain = if st.bold {
            &self.fonts.bold
        } else {
            &self.fonts.regular
        };
        let bidi = ParagraphBidiInfo::new(text, None);
        // Segments of constant (bidi level, face), in logical order.
        let mut segs: Vec<(usize, usize, usize, bool)> = Vec::new();
        let mut prev = None;
        for (i, c) in text.char_indices() {
            let face = self.pick(chain, c, prev);
            prev = Some(face);
            let rtl = bidi.levels.get(i).is_some_and(|l| l.is_rtl());
            match segs.last_mut() {
                Some(s) if s.2 == face && s.3 == rtl => s.1 = i + c.len_utf8(),
                _ => segs.push((i, i + c.len_utf8(), face, rtl)),
            }
        }
        let mut shaped: Vec<(usize, usize, Run)> = Vec::new();
        let mut widths = vec![0.0f32; text.len() + 1];
        let mut breakable = vec![false; text.len() + 1];
        for (start, end, face, rtl) in segs {
            let glyphs = self.shape(text, start, end, face, rtl);
            let scale = st.size / self.upem(face);
            for g in &glyphs {
                if let Some(w) = widths.get_mut(g.start) {
                    *w += g.adv as f32 * scale;
                }
                if let Some(b) = breakable.get_mut(g.start) {
                    *b = true;
                }
            }
            shaped.push((start, end, Run { face, rtl, glyphs }));
        }
        let width_of = |r: &std::ops::Range<usize>| {
            widths.get(r.clone()).map_or(0.0, |w| w.iter().sum::<f32>())
        };
        let mut lines = Vec::new();
        for range in break_lines(text, &widths, &breakable, max_w) {
            let trimmed = range.start
                ..range.start + text.get(range.clone()).map_or(0, |s| s.trim_end().len());
            let mut runs = Vec::new();
            if !trimmed.is_empty() {
                let (levels, vis) = bidi.visual_runs(trimmed.clone());
                for vr in vis {
                    let rtl = levels.get(vr.start).is_some_and(|l| l.is_rtl());
                    let mut part: Vec<Run> = shaped
                        .iter()
                        .filter(|s| s.0 < vr.end && s.1 > vr.start)
                        .map(|(_, _, run)| Run {
                            glyphs: glyphs_in(run, &vr).to_vec(),
                            ..*run
                        })
                        .collect();
                    if rtl {
                        part.reverse();
                    }
                    runs.extend(part);
                }
            }
            let width = width_of(&trimmed);
            lines.push(Line {
                text: shared.clone(),
                width,
                rtl: bidi.paragraph_level.is_rtl(),
                runs,
            });
        }
        lines
    }

    fn shape(&self, text: &str, start: usize, end: usize, face: usize, rtl: bool) -> Vec<Glyph> {
        let (Some(Some(f)), Some(sub)) = (self.faces.get(face), text.get(start..end)) else {
            return Vec::new();
        };
        let mut buf = UnicodeBuffer::new();
        for (i, c) in sub.char_indices() {
            buf.add(c, (start + i) as u32);
        }
        buf.guess_segment_properties();
        buf.set_direction(if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        });
        let out = rustybuzz::shape(f, &[], buf);
        let mut starts: Vec<usize> = out
            .glyph_infos()
            .iter()
            .map(|g| g.cluster as usize)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        out.glyph_infos()
            .iter()
            .zip(out.glyph_positions())
            .map(|(info, pos)| {
                let s = info.cluster as usize;
                let next = starts.partition_point(|&x| x <= s);
                let e = starts.get(next).copied().unwrap_or(end);
                Glyph {
                    gid: info.glyph_id as u16,
                    start: s,
                    end: e,
                    adv: pos.x_advance,
                    dx: pos.x_offset,
                    dy: pos.y_offset,
                }
            })
            .collect()
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    fn need(&mut self, h: f32) {
        if self.y - h < BOTTOM && self.pages.last().is_some_and(|p| !p.is_empty()) {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(p) = self.pages.last_mut() {
            p.push(op);
        }
    }

    fn paragraph(&mut self, text: &str, st: Style) {
        let left = MARGIN + st.indent;
        let max_w = PAGE_W - MARGIN - left;
        for para in clean(text).split('\n') {
            for line in self.shape_paragraph(para, &st, max_w) {
                let lh = st.line_height();
                self.need(lh);
                if st.bar {
                    self.push(Op::Rect([MARGIN, self.y - lh, 3.0, lh], NOTE));
                }
                let x = if line.rtl {
                    PAGE_W - MARGIN - line.width
                } else {
                    left
                };
                let y = self.y - st.size;
                self.push(Op::Text(x, y, st, line));
                self.y -= lh;
            }
        }
    }
}

/// The glyphs of `run` whose cluster starts inside `range`. Clusters are
/// monotonic (rustybuzz's default cluster level), ascending for LTR and
/// descending for RTL, so a binary search keeps long paragraphs linear.
fn glyphs_in<'g>(run: &'g Run, range: &std::ops::Range<usize>) -> &'g [Glyph] {
    let g = &run.glyphs;
    let (lo, hi) = if run.rtl {
        (
            g.partition_point(|x| x.start >= range.end),
            g.partition_point(|x| x.start >= range.start),
        )
    } else {
        (
            g.partition_point(|x| x.start < range.start),
            g.partition_point(|x| x.start < range.end),
        )
    };
    g.get(lo..hi).unwrap_or_default()
}

/// Greedy line breaking over logical byte offsets: prefer the last space, and fall
/// back to any cluster boundary so CJK runs and long URLs still fit.
fn break_lines(
    text: &str,
    widths: &[f32],
    breakable: &[bool],
    max_w: f32,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut w) = (0usize, 0.0f32);
    let mut space: Option<(usize, f32)> = None;
    for (i, c) in text.char_indices() {
        let cw = widths.get(i).copied().unwrap_or(0.0);
        if c.is_whitespace() {
            // Trailing spaces may hang into the margin; they are trimmed on output.
            w += cw;
            space = Some((i + c.len_utf8(), w));
            continue;
        }
        if w + cw > max_w && i > start {
            if let Some((b, wb)) = space.filter(|s| s.0 > start) {
                out.push(start..b);
                start = b;
                w -= wb;
            }
            if w + cw > max_w && i > start && breakable.get(i).copied().unwrap_or(false) {
                out.push(start..i);
                start = i;
                w = 0.0;
            }
            space = None;
        }
        w += cw;
    }
    out.push(start..text.len());
    out
}

/// Renders the transcript: A4 pages, margins, wrapping long lines by width, page
/// breaks, page numbers "Page N of M" in the footer.
#[must_use]
pub fn render(doc: &PdfTranscript, fonts: &PdfFonts) -> Vec<u8> {
    let mut lay = Layout::new(fonts);
    lay.paragraph(&doc.title, Style::new(18.0, true, BLACK));
    lay.y -= 6.0;
    for (label, value) in &doc.header {
        lay.paragraph(
            &format!("{label}: {value}"),
            Style::new(10.0, false, [0.2, 0.2, 0.2]),
        );
    }
    lay.y -= 6.0;
    let rule_y = lay.y;
    lay.push(Op::Rect([MARGIN, rule_y, PAGE_W - 2.0 * MARGIN, 0.6], GREY));
    lay.y -= 12.0;
    for msg in &doc.lines {
        if msg.system {
            let text = if msg.time.is_empty() {
                msg.text.clone()
            } else {
                format!("{} · {}", msg.time, msg.text)
            };
            lay.paragraph(&text, Style::new(9.0, false, GREY));
            lay.y -= 6.0;
            continue;
        }
        let label = if msg.note { "Private note" } else { "" };
        let head = [msg.author.as_str(), msg.time.as_str(), label]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ");
        let (mut head_st, mut body_st) = (
            Style::new(10.0, true, BLACK),
            Style::new(10.5, false, BLACK),
        );
        if msg.note {
            head_st.color = NOTE;
            for st in [&mut head_st, &mut body_st] {
                st.indent = 9.0;
                st.bar = true;
            }
        }
        // Keep the heading on the same page as the first line of its message.
        lay.need(head_st.line_height() + body_st.line_height());
        lay.paragraph(&head, head_st);
        lay.paragraph(&msg.text, body_st);
        lay.y -= 8.0;
    }
    let total = lay.pages.len();
    let footer = Style::new(8.0, false, GREY);
    for n in 0..total {
        let text = format!("Page {} of {}", n + 1, total);
        let lines = lay.shape_paragraph(&text, &footer, f32::MAX);
        if let Some(p) = lay.pages.get_mut(n) {
            for line in lines {
                let x = (PAGE_W - line.width) / 2.0;
                p.push(Op::Text(x, FOOTER_Y, footer, line));
            }
        }
    }
    write_pdf(doc, &lay)
}

/// Per-face state gathered while writing content streams.
struct FontUse {
    remap: GlyphRemapper,
    /// Advance widths (PDF glyph space) indexed by the remapped glyph id.
    widths: Vec<f32>,
    to_unicode: HashMap<u16, String>,
}

enum Tj {
    Glyph(u16),
    Adjust(f32),
}

fn flush(c: &mut Content, items: &mut Vec<Tj>) {
    if items.is_empty() {
        return;
    }
    let mut op = c.show_positioned();
    let mut arr = op.items();
    let mut bytes = Vec::new();
    for it in items.drain(..) {
        match it {
            Tj::Glyph(g) => bytes.extend(g.to_be_bytes()),
            Tj::Adjust(a) if a.abs() > 0.01 => {
                if !bytes.is_empty() {
                    arr.show(Str(&bytes));
                    bytes.clear();
                }
                arr.adjust(a);
            }
            Tj::Adjust(_) => {}
        }
    }
    if !bytes.is_empty() {
        arr.show(Str(&bytes));
    }
}

fn font_name(face: usize) -> String {
    format!("F{face}")
}

/// What each glyph of a cluster should extract as: a lone glyph takes the whole
/// cluster (ligatures, Arabic contextual forms); in multi-glyph clusters a glyph
/// that is some character's cmap glyph takes that character, and the first
/// remaining glyph takes whatever is left. Empty means "no text of its own".
fn cluster_text(face: &rustybuzz::Face, cluster: &[Glyph], ctext: &str) -> Vec<String> {
    if cluster.len() == 1 {
        return vec![ctext.to_string()];
    }
    let mut chars: Vec<Option<char>> = ctext.chars().map(Some).collect();
    let mut wanted: Vec<String> = cluster
        .iter()
        .map(|g| {
            let own = chars
                .iter_mut()
                .find(|c| c.is_some_and(|ch| face.glyph_index(ch) == Some(GlyphId(g.gid))));
            own.and_then(Option::take)
                .map(String::from)
                .unwrap_or_default()
        })
        .collect();
    if let Some(w) = wanted.iter_mut().find(|w| w.is_empty()) {
        *w = chars.iter().flatten().collect();
    }
    wanted
}

/// Writes one run with TJ. Glyphs whose text cannot be expressed through the
/// font's ToUnicode map (.notdef, or a glyph already mapped to other text) are
/// wrapped in an /ActualText span so text extraction still yields the source.
fn emit_run(
    c: &mut Content,
    lay: &Layout,
    uses: &mut [Option<FontUse>],
    run: &Run,
    text: &str,
    size: f32,
) -> f32 {
    let (Some(Some(face)), Some(slot)) = (lay.faces.get(run.face), uses.get_mut(run.face)) else {
        return 0.0;
    };
    let k = 1000.0 / face.units_per_em() as f32;
    let hmtx = |gid: u16| face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0) as f32 * k;
    // The remapper pre-assigns .notdef as id 0, so fresh ids always equal widths.len().
    let fu = slot.get_or_insert_with(|| FontUse {
        remap: GlyphRemapper::new(),
        widths: vec![hmtx(0)],
        to_unicode: HashMap::new(),
    });
    let (mut items, mut rise, mut advance) = (Vec::new(), 0.0f32, 0.0f32);
    let mut i = 0;
    while let Some(first) = run.glyphs.get(i) {
        let n = run
            .glyphs
            .iter()
            .skip(i)
            .take_while(|g| g.start == first.start)
            .count();
        let cluster = run.glyphs.get(i..i + n).unwrap_or_default();
        let mut ctext = text
            .get(first.start..first.end)
            .unwrap_or_default()
            .to_string();
        // Extractors such as poppler rebuild RTL text by reversing the visually
        // ordered characters, which would also flip a multi-character cluster
        // such as the lam-alef ligature; storing it reversed makes it come out right.
        if run.rtl {
            ctext = ctext.chars().rev().collect();
        }
        let wanted = cluster_text(face, cluster, &ctext);
        let mut ok = true;
        let mut news = Vec::with_capacity(n);
        for (g, want) in cluster.iter().zip(&wanted) {
            let new = fu.remap.remap(g.gid);
            if new as usize == fu.widths.len() {
                fu.widths.push(hmtx(g.gid));
            }
            news.push(new);
            if g.gid == 0 || want.is_empty() {
                ok = false;
            } else {
                match fu.to_unicode.get(&new) {
                    Some(have) if have != want => ok = false,
                    Some(_) => {}
                    None => {
                        fu.to_unicode.insert(new, want.clone());
                    }
                }
            }
        }
        if !ok {
            flush(c, &mut items);
            c.begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(&ctext));
        }
        for (g, new) in cluster.iter().zip(news) {
            let dy = g.dy as f32 * size / face.units_per_em() as f32;
            if (dy - rise).abs() > 0.001 {
                flush(c, &mut items);
                c.set_rise(dy);
                rise = dy;
            }
            let w = fu.widths.get(new as usize).copied().unwrap_or(0.0);
            items.push(Tj::Adjust(-(g.dx as f32) * k));
            items.push(Tj::Glyph(new));
            items.push(Tj::Adjust(w - (g.adv - g.dx) as f32 * k));
            advance += g.adv as f32 * size / face.units_per_em() as f32;
        }
        if !ok {
            flush(c, &mut items);
            c.end_marked_content();
        }
        i += n;
    }
    flush(c, &mut items);
    if rise != 0.0 {
        c.set_rise(0.0);
    }
    advance
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

/// Six-letter subset tag; it only has to differ between subsets of one document,
/// but hashing the glyph set also keeps it stable for identical output.
fn subset_tag(face: usize, fu: &FontUse) -> String {
    let mut h: u32 = 0x811c_9dc5 ^ face as u32;
    for g in fu.remap.remapped_gids() {
        h = (h ^ g as u32).wrapping_mul(0x0100_0193);
    }
    (0..6)
        .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
        .collect()
}

fn system_info(ordering: &[u8]) -> SystemInfo<'_> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(ordering),
        supplement: 0,
    }
}

fn write_pdf(doc: &PdfTranscript, lay: &Layout) -> Vec<u8> {
    let mut uses: Vec<Option<FontUse>> = lay.faces.iter().map(|_| None).collect();
    let mut streams = Vec::new();
    for page in &lay.pages {
        let mut c = Content::new();
        for op in page {
            match op {
                Op::Rect([x, y, w, h], [r, g, b]) => {
                    c.set_fill_rgb(*r, *g, *b);
                    c.rect(*x, *y, *w, *h).fill_nonzero();
                }
                Op::Text(x, y, st, line) => {
                    let (size, [r, g, b]) = (&st.size, st.color);
                    c.set_fill_rgb(r, g, b);
                    c.begin_text();
                    let mut cx = *x;
                    for run in &line.runs {
                        c.set_font(Name(font_name(run.face).as_bytes()), *size);
                        c.set_text_matrix([1.0, 0.0, 0.0, 1.0, cx, *y]);
                        cx += emit_run(&mut c, lay, &mut uses, run, &line.text, *size);
                    }
                    c.end_text();
                }
            }
        }
        streams.push(deflate(&c.finish().into_vec()));
    }

    let mut pdf = Pdf::new();
    let mut alloc = Ref::new(1);
    let (catalog, tree, info) = (alloc.bump(), alloc.bump(), alloc.bump());
    pdf.catalog(catalog).pages(tree);
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .producer(TextStr("Switchboard"));

    let mut font_refs = Vec::new();
    for (ix, fu) in uses.iter().enumerate() {
        let (Some(fu), Some(data), Some(Some(face))) =
            (fu, lay.fonts.faces.get(ix), lay.faces.get(ix))
        else {
            continue;
        };
        // Subsetting the validated glyf faces should not fail; if it does, embed
        // the whole face and translate our remapped CIDs back through an explicit
        // CIDToGIDMap rather than produce a PDF with a missing font.
        let sub = subsetter::subset(&data.data, 0, &fu.remap).ok();
        let [type0, cid, desc, cmap, file, gid_map] = std::array::from_fn(|_| alloc.bump());
        font_refs.push((ix, type0));
        let base = match sub {
            Some(_) => format!("{}+{}", subset_tag(ix, fu), data.name),
            None => data.name.clone(),
        };
        let k = 1000.0 / face.units_per_em() as f32;
        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut cidf = pdf.cid_font(cid);
        cidf.subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(system_info(b"Identity"))
            .font_descriptor(desc)
            .default_width(fu.widths.first().copied().unwrap_or(0.0));
        if sub.is_some() {
            cidf.cid_to_gid_map_predefined(Name(b"Identity"));
        } else {
            cidf.cid_to_gid_map_stream(gid_map);
        }
        cidf.widths().consecutive(0, fu.widths.iter().copied());
        cidf.finish();
        if sub.is_none() {
            let map: Vec<u8> = fu
                .remap
                .remapped_gids()
                .flat_map(u16::to_be_bytes)
                .collect();
            pdf.stream(gid_map, &deflate(&map))
                .filter(Filter::FlateDecode);
        }
        let bb = face.global_bounding_box();
        let scale = |v: i16| v as f32 * k;
        // Symbolic: glyphs are addressed by id and cover far more than Adobe Latin.
        pdf.font_descriptor(desc)
            .name(Name(base.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                scale(bb.x_min),
                scale(bb.y_min),
                scale(bb.x_max),
                scale(bb.y_max),
            ))
            .italic_angle(0.0)
            .ascent(scale(face.ascender()))
            .descent(scale(face.descender()))
            .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
            .stem_v(if data.bold { 140.0 } else { 80.0 })
            .font_file2(file);
        let mut cmap_w = UnicodeCmap::new(Name(b"Custom"), system_info(b"UCS"));
        let mut pairs: Vec<_> = fu.to_unicode.iter().collect();
        pairs.sort();
        for (g, s) in pairs {
            cmap_w.pair_with_multiple(*g, s.chars());
        }
        pdf.cmap(cmap, &deflate(cmap_w.finish().as_slice()))
            .filter(Filter::FlateDecode);
        let font_file = sub.as_deref().unwrap_or(&data.data);
        pdf.stream(file, &deflate(font_file))
            .filter(Filter::FlateDecode);
    }

    let page_ids: Vec<(Ref, Ref)> = streams
        .iter()
        .map(|_| (alloc.bump(), alloc.bump()))
        .collect();
    pdf.pages(tree)
        .kids(page_ids.iter().map(|p| p.0))
        .count(page_ids.len() as i32);
    for ((page_id, content_id), data) in page_ids.iter().zip(&streams) {
        let mut page = pdf.page(*page_id);
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(*content_id);
        let mut res = page.resources();
        let mut fonts = res.fonts();
        for (ix, r) in &font_refs {
            fonts.pair(Name(font_name(*ix).as_bytes()), *r);
        }
        fonts.finish();
        res.finish();
        page.finish();
        pdf.stream(*content_id, data).filter(Filter::FlateDecode);
    }
    pdf.finish()
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use std::process::Command;

    fn fonts() -> PdfFonts {
        PdfFonts::load(&PdfFonts::default_dirs()).expect("DejaVu fonts are installed")
    }

    fn line(time: &str, author: &str, text: &str) -> PdfLine {
        PdfLine {
            time: time.into(),
            author: author.into(),
            text: text.into(),
            note: false,
            system: false,
        }
    }

    fn sample() -> PdfTranscript {
        let long = "This is a long paragraph that keeps going so the layout has to wrap it \
                    across many lines and eventually onto a second page. "
            .repeat(40);
        let mut note = line(
            "2026-12-02 11:44",
            "Olivia",
            "Customer is a VIP, offer the discount",
        );
        note.note = true;
        let mut joined = line("2026-12-02 11:40", "", "Olivia joined");
        joined.system = true;
        PdfTranscript {
            title: "Chat transcript".into(),
            header: vec![
                ("Visitor".into(), "Vera".into()),
                ("Channel".into(), "Website".into()),
            ],
            lines: vec![
                joined,
                line(
                    "2026-12-02 11:40",
                    "Vera",
                    "Ünïcödé àçcénts\nПривет, как дела?",
                ),
                line("2026-12-02 11:41", "Olivia", "مرحبا بك"),
                line("2026-12-02 11:41", "Vera", "Vera: مرحبا"),
                line("2026-12-02 11:41", "Olivia", "Price: 100 دولار"),
                line("2026-12-02 11:42", "Vera", "你好，世界 こんにちは"),
                line("2026-12-02 11:43", "Olivia", "Thanks 😀"),
                line(
                    "2026-12-02 11:43",
                    "Vera",
                    "No font has 🦄 or 🫠, still fine",
                ),
                line(
                    "2026-12-02 11:43",
                    "Vera",
                    "https://example.com/a/very/long/url/without/any/spaces/that/must/be/broken/inside/the/word/because/it/is/far/too/long/for/one/line",
                ),
                note,
                line("2026-12-02 11:45", "Vera", &long),
            ],
        }
    }

    fn write_tmp(name: &str, bytes: &[u8]) -> PathBuf {
        let path =
            std::env::temp_dir().join(format!("switchboard-pdf-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Runs a poppler tool, returning (stdout, stderr).
    fn tool(args: &[&str]) -> (String, String) {
        let out = Command::new(args[0])
            .args(&args[1..])
            .output()
            .expect(args[0]);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[test]
    fn unicode_transcript_extracts() {
        let fonts = fonts();
        let doc = sample();
        let t = std::time::Instant::now();
        let pdf = render(&doc, &fonts);
        eprintln!("render: {:?}, {} bytes", t.elapsed(), pdf.len());
        assert!(pdf.starts_with(b"%PDF-"));
        let path = write_tmp("unicode", &pdf);
        let p = path.to_str().unwrap();
        let (text, err) = tool(&["pdftotext", "-enc", "UTF-8", p, "-"]);
        assert!(err.trim().is_empty(), "pdftotext complained: {err}");
        for s in [
            "Chat transcript",
            "Visitor: Vera",
            "Ünïcödé àçcénts",
            "Привет, как дела?",
            "你好，世界",
            "こんにちは",
            "Thanks 😀",
            "No font has 🦄 or 🫠, still fine",
            "Private note",
            "Olivia joined",
            "Page 1 of 2",
            "Page 2 of 2",
        ] {
            assert!(text.contains(s), "missing {s:?}");
        }
        // PDF has no logical order: like every producer we draw glyphs left to
        // right in visual order. poppler's TextOutputDev (reorderText) finds
        // strong-RTL runs on a line, emits them reversed back into logical order
        // and, on a left-to-right page, wraps each run in U+202B RLE ... U+202C PDF.
        // So the correct extraction is the logical input plus those marks; drawing
        // in logical order instead would come out reversed.
        assert!(
            text.contains("\u{202B}مرحبا بك\u{202C}"),
            "Arabic paragraph not in logical order: {text}"
        );
        assert!(
            text.contains("Vera: \u{202B}مرحبا\u{202C}"),
            "mixed-direction line garbled: {text}"
        );
        // "دولار" contains the lam-alef ligature: one glyph for two letters.
        assert!(text.contains("Price: 100 \u{202B}دولار\u{202C}"), "{text}");
        let plain: String = text
            .chars()
            .filter(|c| !('\u{202A}'..='\u{202E}').contains(c))
            .collect();
        assert!(plain.contains("مرحبا بك") && plain.contains("Vera: مرحبا"));
        // Default mode is reading order; `-raw` keeps content-stream order, where
        // the words of the RTL paragraph appear in visual (left-to-right) order.
        let (raw, _) = tool(&["pdftotext", "-raw", "-enc", "UTF-8", p, "-"]);
        assert!(
            raw.contains("\u{202B}بك\u{202C} \u{202B}مرحبا\u{202C}"),
            "{raw}"
        );
        let (list, _) = tool(&["pdffonts", p]);
        eprintln!("{list}");
        let rows: Vec<&str> = list.lines().skip(2).collect();
        assert!(
            rows.len() >= 3,
            "expected regular, bold and CJK faces: {list}"
        );
        for row in rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            assert!(
                cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+',
                "not a subset: {row}"
            );
            assert_eq!(cols[1..4], ["CID", "TrueType", "Identity-H"], "{row}");
            assert_eq!(&cols[4..7], &["yes", "yes", "yes"], "emb/sub/uni: {row}");
        }
        if std::env::var_os("KEEP_PDF").is_none() {
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn ascii_only_skips_cjk_face() {
        let fonts = fonts();
        let doc = PdfTranscript {
            title: "Chat transcript".into(),
            header: vec![("Visitor".into(), "Vera".into())],
            lines: vec![line(
                "2026-12-02 11:40",
                "Vera",
                "Hello, I need help with my order.",
            )],
        };
        let pdf = render(&doc, &fonts);
        eprintln!("ascii pdf: {} bytes", pdf.len());
        assert!(pdf.starts_with(b"%PDF-"));
        let path = write_tmp("ascii", &pdf);
        let p = path.to_str().unwrap();
        let (list, _) = tool(&["pdffonts", p]);
        assert!(list.contains("DejaVuSans"), "{list}");
        assert!(
            !list.contains("DroidSans") && !list.contains("CJK") && !list.contains("wqy"),
            "{list}"
        );
        let (text, _) = tool(&["pdftotext", "-enc", "UTF-8", p, "-"]);
        assert!(
            text.contains("Hello, I need help with my order.") && text.contains("Page 1 of 1"),
            "{text}"
        );
        if std::env::var_os("KEEP_PDF").is_none() {
            std::fs::remove_file(&path).unwrap();
        }
    }

    #[test]
    fn wraps_and_breaks_inside_words() {
        let fonts = fonts();
        let lay = Layout::new(&fonts);
        let st = Style::new(10.0, false, BLACK);
        let cjk = "你好世界".repeat(30);
        let lines = lay.shape_paragraph(&cjk, &st, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| l.width <= 200.0 + 0.01));
        let words = lay.shape_paragraph("alpha beta gamma delta epsilon", &st, 60.0);
        assert!(words.len() > 1 && words.iter().all(|l| l.width <= 60.0));
    }

    #[test]
    fn arabic_is_shaped_right_to_left() {
        let fonts = fonts();
        let lay = Layout::new(&fonts);
        let word = "مرحبا";
        let glyphs = lay.shape(word, 0, word.len(), 0, true);
        let face = lay.faces[0].as_ref().unwrap();
        // Joined letters use contextual glyphs, not the isolated forms from cmap.
        let joined = glyphs.iter().filter(|g| {
            let c = word[g.start..].chars().next().unwrap();
            face.glyph_index(c) != Some(GlyphId(g.gid))
        });
        assert!(joined.count() >= 3);
        // Output is in visual order: the first logical letter is drawn last.
        assert_eq!(glyphs.last().unwrap().start, 0);
    }

    #[test]
    fn uncovered_characters_draw_notdef() {
        let fonts = fonts();
        let lay = Layout::new(&fonts);
        // The sample transcript relies on this: the unicorn exercises the
        // .notdef + /ActualText path, since DejaVu happens to cover 😀.
        assert!((0..fonts.faces.len()).all(|f| !lay.covers(f, '🦄')));
        let lines = lay.shape_paragraph("a🦄b", &Style::new(10.0, false, BLACK), 500.0);
        let gids: Vec<u16> = lines[0]
            .runs
            .iter()
            .flat_map(|r| r.glyphs.iter().map(|g| g.gid))
            .collect();
        assert_eq!(gids.len(), 3);
        assert_eq!(gids[1], 0);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let fonts = fonts();
        let texts = [
            String::new(),
            "\n\n\r\n\t\u{0}\u{1b}".into(),
            "a\u{2029}ب\u{2028}c".into(),
            "\u{0301}\u{200D}\u{FE0F}".into(),
            "x".repeat(5000),
            "🦄".repeat(300),
            "👩‍👩‍👧 👍🏽 🇩🇪".into(),
            "السعر 100 دولار (تقريبا) - ok".into(),
            "\u{202E}abc\u{202C} \u{2067}שלום\u{2069}".into(),
        ];
        let doc = PdfTranscript {
            title: String::new(),
            header: vec![(String::new(), String::new())],
            lines: texts.iter().map(|t| line("", t, t)).collect(),
        };
        assert!(render(&doc, &fonts).starts_with(b"%PDF-"));
        let empty = PdfTranscript {
            title: String::new(),
            header: vec![],
            lines: vec![],
        };
        assert!(render(&empty, &fonts).starts_with(b"%PDF-"));
    }

    #[test]
    fn missing_fonts_is_an_error() {
        assert!(PdfFonts::load(&[PathBuf::from("/nonexistent")]).is_err());
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PdfFonts>();
    }
}
