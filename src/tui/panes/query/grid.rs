//! The results grid: draws only the cells on screen (so a frame costs the same for ten rows or ten million), a
//! frozen header, column widths from the data, horizontal scrolling that follows the selected cell, NULL shown
//! distinctly from an empty string, numbers right-aligned.
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::ResultView;
use crate::tui::theme::Theme;

const NULL: &str = "NULL";

/// Rows `a..=b` as tab-separated text with a header line (for the clipboard).
pub fn tsv(r: &ResultView, a: usize, b: usize) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut out = r.columns.iter().map(|c| clean(&c.name)).collect::<Vec<_>>().join("\t");
    out.push('\n');
    if let Ok(rows) = r.rows.read() {
        for row in a..=b.min(rows.len().saturating_sub(1)) {
            let cells: Vec<String> =
                (0..r.columns.len()).map(|c| rows.get(r.phys(row), c).map(clean).unwrap_or_default()).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
    out
}

fn put(buf: &mut Buffer, x: u16, y: u16, width: u16, text: &str, style: Style, right: bool) {
    if width == 0 {
        return;
    }
    // Control characters shown as the CLI's table shows them (`↵`, `→`, `\x1b`); cut by display width (a CJK
    // character takes two columns) with an ellipsis.
    let text = crate::core::text::one_line(text).to_string();
    let line = crate::tui::widgets::fit(ratatui::text::Line::raw(text), width).lines.remove(0);
    let n = u16::try_from(line.width()).unwrap_or(width);
    let shown = line.to_string();
    let pad = width - n.min(width);
    let x0 = if right { x + pad } else { x };
    buf.set_stringn(x0, y, &shown, width as usize, style);
}

/// Draws the grid into `area` and keeps the selected cell visible (adjusting `top`/`left`).
pub fn render(frame: &mut Frame, area: Rect, view: &ResultView, theme: &Theme, focused: bool, pane: &super::QueryPane) {
    let staged = !pane.staged.is_empty();
    // No room (a terminal a few rows high): the header would land outside the buffer.
    if area.height == 0 || area.width == 0 {
        return;
    }
    let Ok(rows) = view.rows.read() else { return };
    let len = rows.len();
    let body_h = area.height.saturating_sub(1) as usize;
    let mut top = view.top.get();
    if view.row < top {
        top = view.row;
    } else if body_h > 0 && view.row >= top + body_h {
        top = view.row + 1 - body_h;
    }
    // Columns from `left`, so that the selected column is fully visible.
    let mut left = view.left.get().min(view.col);
    let fits = |l: usize| {
        let mut x = 0u32;
        for c in l..=view.col {
            x += view.widths.get(c).copied().unwrap_or(4) as u32 + 1;
        }
        x <= area.width as u32
    };
    while left < view.col && !fits(left) {
        left += 1;
    }
    // Wider than when it scrolled: columns on the left come back while everything from them on fits.
    let all_fit_from = |l: usize| {
        view.widths.get(l..).unwrap_or(&[]).iter().map(|w| u32::from(*w) + 1).sum::<u32>() <= area.width as u32 + 1
    };
    while left > 0 && all_fit_from(left - 1) {
        left -= 1;
    }
    let buf = frame.buffer_mut();
    let header = theme.title().add_modifier(Modifier::UNDERLINED);
    let selected_rows = view.anchor.map(|a| (a.min(view.row), a.max(view.row)));
    let mut x = area.x;
    for c in left..view.columns.len() {
        if x >= area.right() {
            break;
        }
        let w = view.widths[c].min(area.right() - x);
        let col = &view.columns[c];
        let right = col.kind.right_aligned();
        let name = match view.sort {
            Some((s, desc)) if s == c => format!("{}{}", col.name, if desc { "▼" } else { "▲" }),
            _ => col.name.clone(),
        };
        put(buf, x, area.y, w, &name, header, false);
        for (i, r) in (top..len).take(body_h).enumerate() {
            let y = area.y + 1 + i as u16;
            let mut style = theme.text();
            let edited = if staged { pane.staged_cell(r, c) } else { None };
            let cell = match &edited {
                Some(v) => v.as_deref(),
                None => rows.get(view.phys(r), c),
            };
            let text = match cell {
                None => {
                    style = theme.null();
                    NULL
                }
                Some(s) => s,
            };
            if edited.is_some() {
                style = theme.warn().add_modifier(Modifier::ITALIC);
            }
            if staged && pane.staged_delete(r) {
                style = theme.danger().add_modifier(Modifier::CROSSED_OUT);
            }
            if selected_rows.is_some_and(|(a, b)| r >= a && r <= b) {
                style = theme.selected();
            }
            // The row with the cursor is a bar in the selection's style while the grid has the keys (reverse
            // video in the monochrome theme), its cell standing out in it; without the keys, bold.
            if r == view.row {
                if focused {
                    style = theme.selected();
                }
                style = style.add_modifier(Modifier::BOLD);
                if c == view.col && focused {
                    style = theme.field_active().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
                } else if c == view.col {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
            }
            let first_line = text.split('\n').next().unwrap_or("");
            let shown = if first_line.len() < text.len() { format!("{first_line}↵") } else { first_line.to_string() };
            put(buf, x, y, w, &shown, style, right && cell.is_some());
            // The row bar runs through the gap after the cell too.
            if r == view.row && focused && x + w < area.right() {
                buf.set_string(x + w, y, " ", theme.selected());
            }
        }
        x = x.saturating_add(w + 1);
    }
    view.top.set(top);
    view.left.set(left);
}
