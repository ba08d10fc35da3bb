//! Drawing the profile form over the panes.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::fields::Field;
use super::form::ProfileForm;
use crate::core::profile::Engine;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;
use crate::tui::widgets::popup::centered;

pub fn render_form(frame: &mut Frame, area: Rect, form: &ProfileForm, theme: &Theme) {
    let fields = form.visible();
    // Inside the pane's border (its corners would double up), with a blank margin around.
    let width = area.width.saturating_sub(4).min(76);
    // Each field is one line, plus one for its error when it has one.
    let rows: u16 = fields.iter().map(|f| 1 + u16::from(form.errors.contains_key(f))).sum();
    let height = (rows + 4).min(area.height.saturating_sub(2));
    let popup = centered(area, width, height);
    crate::tui::widgets::popup::clear_around(frame, popup, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(format!(" {} ", form.title()), theme.title()))
        .title_bottom(Line::from(vec![
            Span::styled(format!(" {} ", keymap::hint(Scope::Form, Command::NextField)), theme.key()),
            Span::styled("field ", theme.dim()),
            Span::styled(format!("{} ", keymap::hint(Scope::Form, Command::CycleNext)), theme.key()),
            Span::styled("choice ", theme.dim()),
            Span::styled(format!("{} ", keymap::hint(Scope::Form, Command::Save)), theme.key()),
            Span::styled("save ", theme.dim()),
            Span::styled(format!("{} ", keymap::hint(Scope::Form, Command::Cancel)), theme.key()),
            Span::styled("cancel ", theme.dim()),
        ]));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let focused = form.focused();
    let mut lines: Vec<Line> = Vec::new();
    let mut focus_line = 0;
    for f in &fields {
        if *f == focused {
            focus_line = lines.len();
        }
        let active = *f == focused;
        if *f == Field::Save {
            let style = if active { theme.field_active() } else { theme.key() };
            let status = if form.errors.is_empty() { "" } else { "  (fix the fields marked ✗ first)" };
            lines.push(Line::from(vec![Span::styled(" [ Save ] ", style), Span::styled(status, theme.field_error())]));
            continue;
        }
        let mark =
            if form.errors.contains_key(f) { Span::styled("✗ ", theme.field_error()) } else { Span::raw("  ") };
        let value = form.value(*f);
        let choice = !f.is_text();
        let shown = if choice {
            format!("‹ {value} ›")
        } else if active {
            format!("{value}▏")
        } else {
            value
        };
        lines.push(Line::from(vec![
            mark,
            Span::styled(
                format!(
                    "{:<16}",
                    if *f == Field::Path && form.engine == Engine::Duckdb { "DuckDB file" } else { f.label() }
                ),
                if active { theme.field_active() } else { theme.dim() },
            ),
            Span::raw(" "),
            Span::styled(shown, theme.text()),
        ]));
        if let Some(e) = form.errors.get(f) {
            lines.push(Line::styled(format!("    {e}"), theme.field_error()));
        }
    }
    let visible = inner.height as usize;
    let skip = (focus_line + 2).saturating_sub(visible);
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(Paragraph::new(fit(lines, inner.width)), inner);
}
