//! Popups drawn over the panes: the profile form, dialogs and the help overlay.
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use secrecy::ExposeSecret;

use super::form::{Field, ProfileForm};
use crate::tui::app::Dialog;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

pub fn render_form(frame: &mut Frame, area: Rect, form: &ProfileForm, theme: &Theme) {
    let fields = form.visible();
    let width = area.width.min(76);
    // Each field is one line, plus one for its error when it has one.
    let rows: u16 = fields.iter().map(|f| 1 + u16::from(form.errors.contains_key(f))).sum();
    let height = (rows + 4).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
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
        let choice = !matches!(
            f,
            Field::Name
                | Field::Url
                | Field::Host
                | Field::Port
                | Field::Database
                | Field::User
                | Field::Path
                | Field::PasswordEnv
                | Field::PasswordCommand
                | Field::TlsRootCert
                | Field::TlsCert
                | Field::TlsKey
                | Field::MaxConnections
                | Field::ConnectTimeout
        );
        let shown = if choice {
            format!("‹ {value} ›")
        } else if active {
            format!("{value}▏")
        } else {
            value
        };
        lines.push(Line::from(vec![
            mark,
            Span::styled(format!("{:<16}", f.label()), if active { theme.field_active() } else { theme.dim() }),
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
    frame.render_widget(Paragraph::new(lines), inner);
}

pub fn render_dialog(frame: &mut Frame, area: Rect, dialog: &Dialog, theme: &Theme) {
    let (title, body): (String, Vec<Line>) = match dialog {
        Dialog::ConfirmDelete { name } => (
            " Delete profile ".into(),
            vec![
                Line::styled(format!("Delete profile `{name}` from the profiles file?"), theme.text()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                    Span::styled(" delete   ", theme.dim()),
                    Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                    Span::styled(" keep", theme.dim()),
                ]),
            ],
        ),
        Dialog::ConfirmQuery { profile, dangers, statements, .. } => {
            let mut body = vec![Line::styled(
                format!("Run {} statement(s) on `{}` ({})?", statements.len(), profile.name, profile.target()),
                theme.text(),
            )];
            if profile.environment == crate::core::profile::Environment::Production {
                body.push(Line::styled("This is a PRODUCTION profile.", theme.danger()));
            }
            for (line, what) in dangers {
                body.push(Line::styled(format!("line {line}: {what}"), theme.warn()));
            }
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                Span::styled(" run   ", theme.dim()),
                Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                Span::styled(" cancel", theme.dim()),
            ]));
            (" Destructive statement ".into(), body)
        }
        Dialog::ConfirmEdits { profile, plans } => {
            let mut body = vec![Line::styled(
                format!("Apply {} edit(s) on `{}` in one transaction?", plans.len(), profile.name),
                theme.text(),
            )];
            if profile.environment == crate::core::profile::Environment::Production {
                body.push(Line::styled("This is a PRODUCTION profile.", theme.danger()));
            }
            body.extend(plans.iter().take(12).map(|p| Line::styled(p.shown.clone(), theme.warn())));
            if plans.len() > 12 {
                body.push(Line::styled(format!("… and {} more", plans.len() - 12), theme.dim()));
            }
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                Span::styled(" apply   ", theme.dim()),
                Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                Span::styled(" cancel", theme.dim()),
            ]));
            (" Apply edits ".into(), body)
        }
        Dialog::ConfirmTransfer { to } => {
            let mut body = vec![Line::styled(
                format!("Create tables and load data into `{}` ({})?", to.name, to.target()),
                theme.text(),
            )];
            if to.environment == crate::core::profile::Environment::Production {
                body.push(Line::styled("This is a PRODUCTION profile.", theme.danger()));
            }
            body.push(Line::styled(
                "Nothing is written if a target table is refused by the plan's `existing` rule.",
                theme.dim(),
            ));
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                Span::styled(" run   ", theme.dim()),
                Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                Span::styled(" cancel", theme.dim()),
            ]));
            (" Transfer ".into(), body)
        }
        Dialog::ConfirmQuit => (
            " Transaction open ".into(),
            vec![
                Line::styled("A transaction is open in the query editor.", theme.text()),
                Line::styled("Quitting closes the connection: the server rolls the transaction back.", theme.warn()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                    Span::styled(" quit (roll back)   ", theme.dim()),
                    Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                    Span::styled(" stay", theme.dim()),
                ]),
            ],
        ),
        Dialog::ConfirmMigrations { profile, kind, count } => {
            let production = profile.environment == crate::core::profile::Environment::Production;
            let what = match kind {
                crate::tui::panes::migrations::RunKind::Revert => "Revert the last applied migration".to_string(),
                _ => format!("Apply {count} pending migration(s)"),
            };
            let mut body =
                vec![Line::styled(format!("{what} on `{}` ({})?", profile.name, profile.target()), theme.text())];
            if production {
                body.push(Line::styled("This is a PRODUCTION profile.", theme.danger()));
            }
            if profile.engine == crate::core::profile::Engine::Mysql {
                body.push(Line::styled(
                    "MySQL commits DDL implicitly: a failure part-way cannot be rolled back.",
                    theme.warn(),
                ));
            }
            body.push(Line::raw(""));
            body.push(Line::from(vec![
                Span::styled(keymap::hint(Scope::Dialog, Command::Confirm), theme.key()),
                Span::styled(" go   ", theme.dim()),
                Span::styled(keymap::hint(Scope::Dialog, Command::Deny), theme.key()),
                Span::styled(" cancel", theme.dim()),
            ]));
            (" Migrations ".into(), body)
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
    };
    let popup = centered(area, 64, body.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title()));
    frame.render_widget(Paragraph::new(body).block(block).wrap(Wrap { trim: false }), popup);
}

/// Help for what is on screen: the global keys and the current pane's (the profile form and dialogs with the
/// profiles pane). Scrolls with ↑/↓.
pub fn render_help(frame: &mut Frame, area: Rect, theme: &Theme, pane: usize, scroll: u16) {
    let mut lines: Vec<Line> = Vec::new();
    let scopes: &[Scope] = match pane {
        0 => &[Scope::Global, Scope::Profiles, Scope::Form, Scope::Dialog],
        1 => &[Scope::Global, Scope::Schema],
        2 => &[Scope::Global, Scope::Migrations, Scope::Dialog],
        4 => &[Scope::Global, Scope::QueryEditor, Scope::QueryGrid, Scope::Dialog],
        _ => &[Scope::Global],
    };
    for scope in scopes.iter().copied() {
        lines.push(Line::styled(scope.title(), theme.title()));
        for (keys, desc) in keymap::help_rows(scope) {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<12}"), theme.key()),
                Span::styled(desc, theme.text()),
            ]));
        }
    }
    let popup = centered(area, 78, area.height);
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" Keys — ↑↓ scroll, ? or Esc close ", theme.title()));
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), popup);
}
