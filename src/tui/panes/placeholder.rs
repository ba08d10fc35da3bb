//! Panes that later work fills. Until then each says in one line what it will hold — never fake data.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::theme::Theme;

pub fn purpose(pane: usize) -> &'static str {
    match pane {
        1 => {
            "Schema browser: schemas, tables, views, columns, keys, indexes, foreign keys and DDL of the active profile. Not built yet."
        }
        2 => {
            "Migrations: versioned schema migrations and guided cross-engine data migration (plan, type mapping, preview, run, verify). Not built yet."
        }
        3 => {
            "Sync status: incremental sync between two databases (lag, pending changes, throughput, conflicts, errors). Not built yet."
        }
        _ => "Query editor and results grid for the active profile. Not built yet.",
    }
}

pub fn render(frame: &mut Frame, area: Rect, theme: &Theme, pane: usize, title: &str, draft: Option<&str>) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(format!(" {title} "), theme.title()));
    let mut lines = vec![Line::styled(purpose(pane), theme.dim())];
    if pane == 4
        && let Some(sql) = draft
    {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Statement prepared from the schema pane (it runs once the editor exists):",
            theme.text(),
        ));
        lines.extend(sql.lines().map(|l| Line::styled(l.to_string(), theme.text())));
    }
    let p = Paragraph::new(lines).block(block).wrap(Wrap { trim: false });
    frame.render_widget(p, area);
}
