//! Draws an editor buffer with SQL highlighting (the core lexer, over the whole buffer so strings and comments that
//! span lines colour right), line numbers, the cursor, the selection, and the server's error position.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use std::path::PathBuf;

use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};
use crate::tui::theme::Theme;
use tui_textarea::TextArea;

fn style_of(kind: Tok, text: &str, theme: &Theme) -> Style {
    match kind {
        Tok::Word if crate::core::sql::keywords::is_keyword(text) => theme.sql_keyword(),
        Tok::String => theme.sql_string(),
        Tok::Number => theme.sql_number(),
        Tok::Comment => theme.sql_comment(),
        Tok::Param => theme.key(),
        _ => theme.text(),
    }
}

/// Per line, the style of each character.
fn styles(b: &Buffer, engine: Engine, theme: &Theme) -> Vec<Vec<Style>> {
    let text = b.text();
    let mut out: Vec<Vec<Style>> = b.area.lines().iter().map(|l| vec![theme.text(); l.chars().count()]).collect();
    let mut line = 0;
    let mut col = 0;
    let mut pos = 0;
    for t in tokens(&text, engine) {
        let style = style_of(t.kind, t.text(&text), theme);
        for ch in text[pos..t.end].chars() {
            if ch == '\n' {
                line += 1;
                col = 0;
                continue;
            }
            if let Some(cell) = out.get_mut(line).and_then(|l| l.get_mut(col)) {
                *cell = style;
            }
            col += 1;
        }
        pos = t.end;
    }
    out
}

/// What the editor shows besides the text: the cursor (when it has the keys), the server's error position (row,
/// column), vim's visual selection.
pub struct Marks<'a> {
    pub focused: bool,
    pub error_at: Option<(usize, usize)>,
    pub vim: Option<&'a super::vim::Vim>,
}

/// Draws `b` in `area`.
pub fn render(frame: &mut Frame, area: Rect, b: &Buffer, engine: Engine, theme: &Theme, marks: Marks) {
    let Marks { focused, error_at, vim } = marks;
    let lines = b.area.lines();
    let gutter = (lines.len().to_string().len() + 1) as u16;
    let h = area.height as usize;
    let w = area.width.saturating_sub(gutter + 1) as usize;
    if h == 0 || w == 0 {
        return;
    }
    let tui_textarea::DataCursor(crow, ccol) = b.area.cursor();
    // Keep the cursor in view.
    let mut top = b.top.get();
    if crow < top {
        top = crow;
    } else if crow >= top + h {
        top = crow + 1 - h;
    }
    // No empty rows below the text while lines above it are out of view (after the editor grew).
    top = top.min(lines.len().saturating_sub(h));
    b.top.set(top);
    let mut left = b.left.get();
    if ccol < left {
        left = ccol;
    } else if ccol >= left + w {
        left = ccol + 1 - w;
    }
    b.left.set(left);
    let styles = styles(b, engine, theme);
    // Vim's visual modes: whole lines, or the characters with the one under the cursor.
    let lines_sel = vim.and_then(|v| v.line_selection(&b.area));
    let inclusive = vim.is_some_and(|v| v.mode == super::vim::Mode::Visual);
    let selection = b.area.selection_range();
    let in_selection = |r: usize, c: usize| match (lines_sel, selection) {
        (Some((r1, r2)), _) => r >= r1 && r <= r2,
        (None, Some(((r1, c1), (r2, c2)))) => {
            (r, c) >= (r1, c1) && ((r, c) < (r2, c2) || inclusive && (r, c) == (r2, c2))
        }
        (None, None) => false,
    };
    let mut out = Vec::with_capacity(h);
    for (r, line) in lines.iter().enumerate().skip(top).take(h) {
        let mut spans = vec![Span::styled(format!("{:>width$} ", r + 1, width = gutter as usize - 1), theme.dim())];
        let chars: Vec<char> = line.chars().collect();
        let mut run = String::new();
        let mut run_style = Style::default();
        for c in left..(left + w).min(chars.len() + 1) {
            let ch = chars.get(c).copied().unwrap_or(' ');
            let mut st = styles.get(r).and_then(|l| l.get(c)).copied().unwrap_or(theme.text());
            if in_selection(r, c) {
                st = theme.selected();
            }
            if error_at == Some((r, c)) {
                st = theme.danger().add_modifier(Modifier::UNDERLINED | Modifier::REVERSED);
            }
            if focused && r == crow && c == ccol {
                // In a selection (reverse video already) the cursor is the cell that is not reversed, underlined.
                st = if in_selection(r, c) {
                    theme.text().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
                } else {
                    st.add_modifier(Modifier::REVERSED)
                };
            }
            if st != run_style && !run.is_empty() {
                spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = st;
            run.push(if ch == '\t' { ' ' } else { ch });
        }
        if !run.is_empty() {
            spans.push(Span::styled(run, run_style));
        }
        out.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(out), area);
}

/// One editor tab: its text, its file, and the text when last opened or saved.
pub struct Buffer {
    pub area: TextArea<'static>,
    pub path: Option<PathBuf>,
    /// Text when last opened or saved (dirty when different).
    pub saved: String,
    /// First visible line and column of the editor view (kept in view of the cursor while drawing).
    pub top: std::cell::Cell<usize>,
    pub left: std::cell::Cell<usize>,
    /// Unique while dbconsole runs: vim mode's undo history and mode belong to one buffer.
    pub id: u64,
}

impl Buffer {
    pub fn new(text: &str, path: Option<PathBuf>) -> Buffer {
        let lines: Vec<String> =
            if text.is_empty() { vec![String::new()] } else { text.lines().map(str::to_string).collect() };
        let mut area = TextArea::new(lines);
        area.set_max_histories(200);
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Buffer { area, path, saved: text.to_string(), top: Default::default(), left: Default::default(), id }
    }
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }
    pub fn dirty(&self) -> bool {
        self.text().trim_end() != self.saved.trim_end()
    }
    pub fn title(&self) -> String {
        let name = self
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "untitled".into());
        if self.dirty() { format!("{name}*") } else { name }
    }
    /// Byte offset in `text()` of the cursor.
    pub fn cursor_offset(&self) -> usize {
        let tui_textarea::DataCursor(row, col) = self.area.cursor();
        let lines = self.area.lines();
        let mut off = 0;
        for l in &lines[..row.min(lines.len())] {
            off += l.len() + 1;
        }
        let line = lines.get(row).map(String::as_str).unwrap_or("");
        off + line.char_indices().nth(col).map_or(line.len(), |(b, _)| b)
    }
    /// (row, char column) of a byte offset in `text()`.
    pub fn position_of(&self, offset: usize) -> (usize, usize) {
        let mut rest = offset;
        for (i, l) in self.area.lines().iter().enumerate() {
            if rest <= l.len() {
                return (i, l[..rest.min(l.len())].chars().count());
            }
            rest -= l.len() + 1;
        }
        (self.area.lines().len().saturating_sub(1), 0)
    }
    /// The selected text, with its byte offset.
    /// The selected text and its byte offset: the text area's selection, or vim's visual one (`vim`).
    pub fn selection(&self, vim: Option<&super::vim::Vim>) -> Option<(usize, String)> {
        let ((r1, c1), (r2, c2)) = match vim {
            Some(v) if matches!(v.mode, super::vim::Mode::Visual | super::vim::Mode::VisualLine) => {
                v.selection(&self.area)?
            }
            _ => self.area.selection_range()?,
        };
        let lines = self.area.lines();
        let byte = |r: usize, c: usize| {
            let l = &lines[r];
            l.char_indices().nth(c).map_or(l.len(), |(b, _)| b)
        };
        if r2 >= lines.len() || r1 > r2 {
            return None;
        }
        let mut start = 0;
        for l in &lines[..r1] {
            start += l.len() + 1;
        }
        start += byte(r1, c1);
        let mut end = 0;
        for l in &lines[..r2] {
            end += l.len() + 1;
        }
        end += byte(r2, c2);
        let text = self.text();
        let sel = text.get(start..end)?.to_string();
        if sel.trim().is_empty() { None } else { Some((start, sel)) }
    }
}
