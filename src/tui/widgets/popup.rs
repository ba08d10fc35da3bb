//! Popups drawn over the panes: the profile form, dialogs and the help overlay.
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use secrecy::ExposeSecret;

use crate::tui::app::{Dialog, PaneId, Tone};
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

/// Blanks `popup` and a one-cell margin around it, inside the pane's border (`area` is the pane with its border,
/// which stays), so the pane's text does not show right beside an overlay's border.
pub fn clear_around(frame: &mut Frame, popup: Rect, area: Rect) {
    let x = popup.x.saturating_sub(1).max(area.x + 1);
    let y = popup.y.saturating_sub(1).max(area.y + 1);
    let right = (popup.right() + 1).min(area.right().saturating_sub(1));
    let bottom = (popup.bottom() + 1).min(area.bottom().saturating_sub(1));
    frame.render_widget(Clear, Rect::new(x, y, right.saturating_sub(x), bottom.saturating_sub(y)));
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

pub fn render_dialog(frame: &mut Frame, area: Rect, dialog: &Dialog, theme: &Theme) {
    let (title, body): (String, Vec<Line>) = match dialog {
        Dialog::Confirm(c) => {
            let mut body: Vec<Line> = c
                .lines
                .iter()
                .map(|(tone, text)| {
                    let style = match tone {
                        Tone::Text => theme.text(),
                        Tone::Warn => theme.warn(),
                        Tone::Danger => theme.danger(),
                        Tone::Dim => theme.dim(),
                    };
                    Line::styled(text.clone(), style)
                })
                .collect();
            body.push(Line::raw(""));
            match &c.typed {
                Some(t) => {
                    body.push(Line::from(vec![
                        Span::styled(format!("Type {} to {}: ", t.expected, c.yes), theme.text()),
                        Span::styled(format!("{}▏", t.input), theme.text()),
                    ]));
                    body.push(Line::from(vec![
                        Span::styled("Enter", theme.key()),
                        Span::styled(format!(" {}   ", c.yes), theme.dim()),
                        Span::styled("Esc", theme.key()),
                        Span::styled(format!(" {}", c.no), theme.dim()),
                    ]));
                }
                None => body.push(Line::from(vec![
                    Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                    Span::styled(format!(" {}   ", c.yes), theme.dim()),
                    Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                    Span::styled(format!(" {}", c.no), theme.dim()),
                ])),
            }
            (c.title.clone(), body)
        }
        Dialog::Password { profile, reason, input, .. } => (
            format!(" Password for {profile} "),
            vec![
                Line::styled(reason.clone(), theme.dim()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("Password: ", theme.text()),
                    // Never the password: one dot per character typed.
                    Span::styled("•".repeat(input.expose_secret().chars().count()), theme.text()),
                    Span::styled("▏", theme.text()),
                ]),
                Line::raw(""),
                Line::styled("Enter connect · Esc cancel · kept in memory only", theme.dim()),
            ],
        ),
        Dialog::Ssh(d) => ssh_dialog(d, theme),
    };
    // Long lines wrap: the box is as tall as the wrapped text, so the keys line at the bottom always shows.
    let inner = 64u16.min(area.width).saturating_sub(2).max(1) as usize;
    let rows: usize = body.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let popup = centered(area, 64, u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2));
    clear_around(frame, popup, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(body).block(block).wrap(Wrap { trim: false }), popup);
}

/// An SSH route's question: the host key with its fingerprint, or a masked passphrase / password input.
fn ssh_dialog(d: &crate::tui::app::SshDialog, theme: &Theme) -> (String, Vec<Line<'static>>) {
    use crate::core::ssh::{SshAsk, hostport};
    let key = |k: &str, what: &str| {
        vec![Span::styled(k.to_string(), theme.key()), Span::styled(format!(" {what}   "), theme.dim())]
    };
    match &d.ask {
        SshAsk::HostKey(k) => (
            format!(" Unknown SSH host key — {} ", d.profile),
            vec![
                Line::styled(format!("The host key of {} is not known.", hostport(&k.host, k.port)), theme.warn()),
                Line::raw(""),
                Line::styled(format!("{} key fingerprint:", k.algorithm), theme.text()),
                Line::styled(k.fingerprint.clone(), theme.title()),
                Line::raw(""),
                Line::styled("Check it with the server's administrator before accepting.", theme.dim()),
                Line::styled(format!("Save writes it to {}.", k.save_to.display()), theme.dim()),
                Line::raw(""),
                Line::from(
                    crate::tui::app::HOST_KEY_CHOICES
                        .iter()
                        .enumerate()
                        .flat_map(|(i, c)| {
                            let style = if i == d.choice { theme.selected() } else { theme.dim() };
                            // A mark as well as the style: readable with NO_COLOR.
                            let mark = if i == d.choice { "▸" } else { " " };
                            [Span::styled(format!("{mark}[ {c} ]"), style), Span::raw(" ")]
                        })
                        .collect::<Vec<_>>(),
                ),
                Line::from([key("←/→", "choose"), key("Enter", "answer"), key("Esc", "refuse")].concat()),
            ],
        ),
        SshAsk::Passphrase(_) | SshAsk::Password(_) => {
            let (title, what) = if let SshAsk::Passphrase(f) = &d.ask {
                (format!(" SSH key passphrase — {} ", d.profile), format!("Passphrase for {}", f.display()))
            } else if let SshAsk::Password(w) = &d.ask {
                (format!(" SSH password — {} ", d.profile), format!("Password for {w}"))
            } else {
                (String::new(), String::new())
            };
            let mut body = vec![Line::styled(what, theme.text())];
            if let Some(n) = &d.note {
                body.push(Line::styled(n.clone(), theme.warn()));
            }
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled("> ", theme.text()),
                Span::styled("•".repeat(d.input.expose_secret().chars().count()), theme.text()),
                Span::styled("▏", theme.text()),
            ]));
            body.push(Line::raw(""));
            body.push(Line::styled("Enter connect · Esc cancel · kept in memory only", theme.dim()));
            (title, body)
        }
    }
}

/// Help for what is on screen: the global keys and the current pane's (the profile form and dialogs with the
/// profiles pane). Scrolls with ↑/↓.
/// The key scopes the help shows on `pane`.
fn help_scopes(pane: PaneId) -> &'static [Scope] {
    match pane {
        PaneId::Profiles => &[Scope::Global, Scope::Profiles, Scope::Form, Scope::Dialog],
        PaneId::Schema => &[Scope::Global, Scope::Schema],
        PaneId::Migrations => &[Scope::Global, Scope::Migrations, Scope::Dialog],
        PaneId::Query => &[Scope::Global, Scope::QueryEditor, Scope::QueryGrid, Scope::Dialog],
        PaneId::Sync => &[Scope::Global, Scope::Sync, Scope::Dialog],
    }
}

/// Vim mode's keys (the query pane's help shows them: vim mode is switched there).
const VIM_HELP: [(&str, &str); 9] = [
    ("V", "(in the results) vim mode on or off; settings.toml: vim = true"),
    ("i a I A o O", "insert mode (Esc: normal mode); v V visual, visual-line"),
    ("h j k l w b e", "motions, W B E by blanks, 0 ^ $, gg G, { }, f F t T ; , — with counts"),
    ("d c y", "operators: with a motion (d2w, c$), doubled (dd, 3yy), a text object (diw, ci', da()"),
    ("x X D C s S", "delete or change characters and to the line's end"),
    ("r J p P", "replace, join lines, put after / before"),
    ("u C-r .", "undo (a whole insert is one step), redo, repeat the last change"),
    ("/ ? n N %", "search on, back, next, previous; the matching bracket; `:` the palette (:w :q :N)"),
    ("C-w j", "to the results (Esc stays in the editor in vim mode)"),
];

/// The help's lines for `pane`: each scope's keys, and vim mode's in the query pane.
fn help_rows(pane: PaneId) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = help_scopes(pane)
        .iter()
        .map(|s| (s.title().to_string(), keymap::help_rows(*s).into_iter().map(|(k, d)| (k, d.to_string())).collect()))
        .collect();
    if pane == PaneId::Query {
        let rows = VIM_HELP.iter().map(|(k, d)| (k.to_string(), d.to_string())).collect();
        out.push(("Query editor in vim mode".to_string(), rows));
    }
    out
}

/// How many lines the help has on `pane` (its scroll stops at its end).
pub fn help_len(pane: PaneId) -> u16 {
    help_rows(pane).iter().map(|(_, rows)| 1 + rows.len()).sum::<usize>() as u16
}

pub fn render_help(frame: &mut Frame, area: Rect, theme: &Theme, pane: PaneId, scroll: u16) {
    let sections = help_rows(pane);
    // The keys' column as wide as its longest entry (24 at most), one blank before the words.
    let key_w = sections.iter().flat_map(|(_, r)| r.iter().map(|(k, _)| k.chars().count())).max().unwrap_or(0).min(24);
    let mut lines: Vec<Line> = Vec::new();
    let mut widest = 0;
    for (title, rows) in sections {
        lines.push(Line::styled(title, theme.title()));
        for (keys, desc) in rows {
            let line = Line::from(vec![
                Span::styled(format!("  {keys:<key_w$} "), theme.key()),
                Span::styled(desc, theme.text()),
            ]);
            widest = widest.max(line.width());
            lines.push(line);
        }
    }
    // Inside the pane's border, not on it (its corners would double up); as wide as the longest line allows.
    let want = (widest as u16 + 2).clamp(78, 140);
    let popup = centered(area, want.min(area.width.saturating_sub(4)), area.height.saturating_sub(4));
    clear_around(frame, popup, area);
    let title = format!(
        " Keys — ↑↓ PgUp PgDn Home End scroll, {} or Esc close ",
        crate::tui::keymap::hint(crate::tui::keymap::Scope::Global, crate::tui::keymap::Command::Help)
    );
    let title = super::fit(Line::styled(title, theme.title()), popup.width.saturating_sub(2)).lines.remove(0);
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(title);
    // Scrolled no further than the last page.
    let last = (lines.len() as u16).saturating_sub(popup.height.saturating_sub(2));
    let lines = super::fit(lines, popup.width.saturating_sub(2));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll.min(last), 0)), popup);
}

/// The message log: the last messages, newest first, with their time.
pub fn render_messages(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    messages: &std::collections::VecDeque<(String, crate::tui::app::Level, String)>,
    scroll: u16,
) {
    use crate::tui::app::Level;
    let lines: Vec<Line> = if messages.is_empty() {
        vec![Line::styled("no messages yet", theme.dim())]
    } else {
        messages
            .iter()
            .rev()
            .map(|(time, level, text)| {
                let style = match level {
                    Level::Info => theme.text(),
                    Level::Warn => theme.warn(),
                    Level::Error => theme.field_error(),
                };
                Line::from(vec![
                    Span::styled(format!("{time} "), theme.dim()),
                    Span::styled(crate::core::text::tilde_in(text).into_owned(), style),
                ])
            })
            .collect()
    };
    // Inside the pane's border, not on it (its corners would double up).
    let popup = centered(area, 78.min(area.width.saturating_sub(4)), area.height.saturating_sub(4));
    clear_around(frame, popup, area);
    let title = format!(
        " Messages — newest first · ↑↓ PgUp PgDn scroll · Esc or {} close ",
        crate::tui::keymap::hint(crate::tui::keymap::Scope::Global, crate::tui::keymap::Command::Messages)
    );
    let title = super::fit(Line::styled(title, theme.title()), popup.width.saturating_sub(2)).lines.remove(0);
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(title);
    // Scrolled no further than the last page (a line wraps into as many rows as its width takes).
    let inner = usize::from(popup.width.saturating_sub(2)).max(1);
    let total: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let last = (total as u16).saturating_sub(popup.height.saturating_sub(2));
    let p = Paragraph::new(lines).block(block).wrap(Wrap { trim: false });
    frame.render_widget(p.scroll((scroll.min(last), 0)), popup);
}
