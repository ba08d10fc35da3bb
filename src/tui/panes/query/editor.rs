//! Draws an editor buffer with SQL highlighting (the core lexer, over the whole buffer so strings and comments that
//! span lines colour right), line numbers, the cursor, the selection, and the server's error position.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Buffer;
use crate::core::profile::Engine;
use crate::core::sql::lex::{Tok, tokens};
use crate::tui::theme::Theme;

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

/// Draws `b` in `area`; `error_at` is a (row, column) to mark.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    b: &Buffer,
    engine: Engine,
    theme: &Theme,
    focused: bool,
    error_at: Option<(usize, usize)>,
) {
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
    b.top.set(top);
    let mut left = b.left.get();
    if ccol < left {
        left = ccol;
    } else if ccol >= left + w {
        left = ccol + 1 - w;
    }
    b.left.set(left);
    let styles = styles(b, engine, theme);
    let selection = b.area.selection_range();
    let in_selection = |r: usize, c: usize| match selection {
        Some(((r1, c1), (r2, c2))) => (r, c) >= (r1, c1) && (r, c) < (r2, c2),
        None => false,
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
                st = st.add_modifier(Modifier::REVERSED);
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
