//! Panes that later work fills. Until then each says in one line what it will hold — never fake data.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::PaneId;
use crate::tui::theme::Theme;

pub fn purpose(pane: PaneId) -> &'static str {
    match pane {
        PaneId::Sync => {
            "Sync status: incremental sync between two databases (lag, pending changes, throughput, conflicts, errors). Not built yet."
        }
        _ => "Not built yet.",
    }
}

pub fn render(frame: &mut Frame, area: Rect, theme: &Theme, pane: PaneId) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(format!(" {} ", pane.title()), theme.title()));
    let p = Paragraph::new(vec![Line::styled(purpose(pane), theme.dim())]).block(block).wrap(Wrap { trim: false });
    frame.render_widget(p, area);
}
