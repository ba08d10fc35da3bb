//! Drawing: reads the app's state and nothing else.
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, ConnState, Level, PaneId};
use super::keymap::{self, Command, Scope};
use super::panes;
use super::widgets::popup;

pub fn draw(frame: &mut Frame, app: &App) {
    let theme = &app.theme;
    let screen = super::layout::screen(frame.area(), app.pane, &app.layout);
    let (tabs, main, status) = (screen.tabs, screen.body, screen.status);
    let shown: Vec<PaneId> = screen.panes.iter().map(|p| p.0).collect();
    frame.render_widget(Paragraph::new(pane_bar(app, tabs.width, &shown)), tabs);

    // The pane without the keys (when two show) is drawn with plain borders.
    let blurred = (screen.panes.len() > 1).then(|| theme.blurred());
    for (pane, area) in &screen.panes {
        let theme = if *pane == app.pane { theme } else { blurred.as_ref().unwrap_or(theme) };
        draw_pane(frame, *area, app, *pane, theme);
    }
    *app.screen.borrow_mut() = screen;

    // Status bar: active profile (coloured by environment), connection state, last message, help key.
    let mut s: Vec<Span> = Vec::new();
    match &app.session {
        None => s.push(Span::styled(" no profile ", theme.status_bar())),
        Some(sess) => {
            s.push(Span::styled(format!(" {} ", sess.profile.name), theme.environment(sess.profile.environment)));
            let (text, style) = match &sess.state {
                ConnState::Connecting(_) => ("connecting…".to_string(), theme.warn()),
                ConnState::Connected(_) => ("connected".to_string(), theme.ok()),
                ConnState::Failed(e) => (format!("not connected: {}", e.class.title()), theme.danger()),
            };
            s.push(Span::styled(format!(" {text} "), style));
            // The SSH tunnel's state: read from the core's tunnel registry at each frame (no redraw of its own: a
            // drop shows at the next key or tick, and the next query rebuilds the tunnel anyway).
            if let Some(t) = crate::core::ssh::tunnel::state_of(&sess.profile) {
                use crate::core::ssh::tunnel::TunnelState;
                let style = match t {
                    TunnelState::Up { .. } => theme.ok(),
                    TunnelState::Connecting => theme.warn(),
                    TunnelState::Down { .. } => theme.danger(),
                };
                s.push(Span::styled(format!("{} ", t.label()), style));
            }
        }
    }
    let help = format!("{} help ", keymap::hint(Scope::Global, Command::Help));
    let [left, right] =
        Layout::horizontal([Constraint::Min(10), Constraint::Length(help.chars().count() as u16 + 1)]).areas(status);
    if let Some((level, msg)) = &app.message {
        let style = match level {
            Level::Info => theme.text(),
            Level::Warn => theme.warn(),
            Level::Error => theme.field_error(),
        };
        // Cut to the room left, with an ellipsis, so it never runs into the help hint (`L` shows it whole).
        let used: usize = s.iter().map(|x| x.width()).sum();
        let room = (left.width as usize).saturating_sub(used + 2);
        s.push(Span::styled(format!(" {}", super::widgets::fit_str(&crate::core::text::tilde_in(msg), room)), style));
    }
    frame.render_widget(Paragraph::new(Line::from(s)).style(theme.status_bar()), left);
    frame.render_widget(Paragraph::new(Line::styled(help, theme.key())).style(theme.status_bar()), right);

    if let Some(form) = &app.form {
        panes::profiles::form_view::render_form(frame, main, form, theme);
    }
    if let Some(d) = &app.dialog {
        popup::render_dialog(frame, main, d, theme);
    }
    if app.help {
        popup::render_help(frame, main, theme, app.pane, app.help_scroll);
    }
    if let Some(p) = &app.palette {
        crate::tui::widgets::palette::render(frame, main, theme, p);
    }
    if app.log_open {
        popup::render_messages(frame, main, theme, &app.messages, app.log_scroll);
    }
}

fn draw_pane(frame: &mut Frame, main: ratatui::layout::Rect, app: &App, pane: PaneId, theme: &super::theme::Theme) {
    let connected =
        || app.session.as_ref().filter(|s| matches!(s.state, ConnState::Connected(_))).map(|s| s.profile.name.as_str());
    match pane {
        PaneId::Profiles => panes::profiles::render(frame, main, app, theme),
        PaneId::Schema => panes::schema::view::render(frame, main, &app.schema, theme, connected()),
        PaneId::Migrations => {
            panes::migrations::render(frame, main, &app.migrations, theme, connected());
            if app.migrations.transfer.active() {
                panes::migrations::transfer_view::render(frame, main, &app.migrations.transfer, theme, connected());
            }
        }
        PaneId::Query => {
            let connected =
                app.session.as_ref().filter(|s| matches!(s.state, ConnState::Connected(_))).map(|s| &s.profile);
            panes::query::view::render(frame, main, &app.query, theme, connected)
        }
        PaneId::Sync => panes::sync::view::render(frame, main, &app.sync, theme),
    }
}

/// The pane bar, fitted to the width: the name and every pane's title when they fit (64 columns); else without
/// the name; else the active pane's title and the others' numbers, so no label is ever cut mid-word.
fn pane_bar(app: &App, width: u16, shown: &[PaneId]) -> Line<'static> {
    let theme = &app.theme;
    let full: Vec<String> = PaneId::ALL.iter().enumerate().map(|(i, p)| format!(" {} {} ", i + 1, p.title())).collect();
    let brand = " dbconsole ";
    let len = |v: &[String]| v.iter().map(|s| s.chars().count()).sum::<usize>();
    let (show_brand, labels) = if brand.len() + len(&full) <= width as usize {
        (true, full)
    } else if len(&full) <= width as usize {
        (false, full)
    } else {
        let short = PaneId::ALL
            .iter()
            .enumerate()
            .map(|(i, p)| if *p == app.pane { format!(" {} {} ", i + 1, p.title()) } else { format!(" {} ", i + 1) })
            .collect();
        (false, short)
    };
    let mut spans = Vec::new();
    let mut x = 0u16;
    if show_brand {
        spans.push(Span::styled(brand, theme.title()));
        x += brand.chars().count() as u16;
    }
    let mut ranges = app.tab_ranges.borrow_mut();
    ranges.clear();
    for (label, pane) in labels.into_iter().zip(PaneId::ALL.iter()) {
        let w = label.chars().count() as u16;
        ranges.push((x, x + w, *pane));
        x += w;
        // The pane beside the one with the keys is underlined: it is on screen too.
        let style = match theme.tab(*pane == app.pane) {
            s if *pane != app.pane && shown.contains(pane) => s.add_modifier(ratatui::style::Modifier::UNDERLINED),
            s => s,
        };
        spans.push(Span::styled(label, style));
    }
    Line::from(spans)
}
