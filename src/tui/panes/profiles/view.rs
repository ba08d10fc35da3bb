//! Drawing the profiles pane: the list, the selected profile's details, its last connection test.
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use super::TestState;
use crate::core::profile::{Engine, Origin, Profile};
use crate::tui::app::App;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

fn env_badge(p: &Profile, theme: &Theme) -> Span<'static> {
    let text = match p.environment {
        crate::core::profile::Environment::Production => " PROD ",
        crate::core::profile::Environment::Staging => " stage ",
        crate::core::profile::Environment::Development => " dev ",
    };
    Span::styled(text, theme.environment(p.environment))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The list as wide as its longest entry (and its title), within 20 columns and two fifths of the width (48 at
    // most); the details get the rest.
    let lines = list_lines(app, theme);
    let longest = lines.iter().map(Line::width).max().unwrap_or(0).max(title(app).chars().count()) as u16;
    let list_w = (longest + 3).clamp(20, (area.width * 2 / 5).clamp(20, 48));
    let [list_area, detail_area] = Layout::horizontal([Constraint::Length(list_w), Constraint::Min(20)]).areas(area);
    render_list(frame, list_area, app, theme, lines);
    render_details(frame, detail_area, app, theme);
}

fn title(app: &App) -> String {
    let n = app.all().len();
    match app.set.problems.len() {
        0 => format!(" Profiles ({n}) "),
        k => format!(" Profiles ({n}) · {k} problem(s) "),
    }
}

fn render_list(frame: &mut Frame, area: Rect, app: &App, theme: &Theme, lines: Vec<Line<'static>>) {
    let all = app.all();
    let room = area.width.saturating_sub(2);
    let items: Vec<ListItem> = lines.into_iter().map(|l| ListItem::new(crate::tui::widgets::fit(l, room))).collect();
    let title = title(app);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title()));
    let list = List::new(items).block(block).highlight_style(theme.selected());
    let mut state = ListState::default();
    if !all.is_empty() {
        state.select(Some(app.profiles.selected.min(all.len() - 1)));
    }
    frame.render_stateful_widget(list, area, &mut state);
    app.profiles.list_area.set(area.inner(ratatui::layout::Margin { horizontal: 1, vertical: 1 }));
    app.profiles.list_offset.set(state.offset());
}

/// One line per profile: the active one marked, name, engine, environment, warnings.
fn list_lines(app: &App, theme: &Theme) -> Vec<Line<'static>> {
    let all = app.all();
    let active = app.session.as_ref().map(|s| s.profile.name.as_str());
    all.iter()
        .map(|p| {
            let marker = if Some(p.name.as_str()) == active { "● " } else { "  " };
            let mut spans = vec![
                Span::raw(marker),
                Span::styled(p.name.clone(), if p.is_production() { theme.danger() } else { theme.text() }),
            ];
            spans.push(Span::styled(format!(" {}", short_engine(p.engine)), theme.dim()));
            spans.push(Span::raw(" "));
            spans.push(env_badge(p, theme));
            if p.stores_plain_password() {
                spans.push(Span::styled(" pw!", theme.warn()));
            }
            match &p.origin {
                Origin::Imported(_) => spans.push(Span::styled(" (found)", theme.warn())),
                Origin::AdHoc => spans.push(Span::styled(" (url)", theme.dim())),
                _ => {}
            }
            Line::from(spans)
        })
        .collect()
}

fn short_engine(e: Engine) -> &'static str {
    match e {
        Engine::Postgres => "pg",
        Engine::Mysql => "my",
        Engine::Sqlite => "lite",
        Engine::Duckdb => "duck",
    }
}

fn kv<'a>(k: &'a str, v: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{k:<12}"), theme.dim()), Span::styled(v, theme.text())])
}

fn render_details(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(false));
    let mut lines: Vec<Line> = Vec::new();
    for p in app.set.problems.iter().take(3) {
        lines.push(Line::styled(format!("⚠ {p}"), theme.field_error()));
    }
    match app.selected() {
        None => {
            lines.push(Line::styled("No profiles yet.", theme.text()));
            lines.push(Line::from(vec![
                Span::styled("Press ", theme.dim()),
                Span::styled(keymap::hint(Scope::Profiles, Command::Add), theme.key()),
                Span::styled(" to add one.", theme.dim()),
            ]));
        }
        Some(p) => {
            let mut title = vec![Span::styled(p.name.clone(), theme.title()), Span::raw("  "), env_badge(p, theme)];
            if p.is_production() {
                title.push(Span::styled("  writes ask first", theme.danger()));
            }
            lines.push(Line::from(title));
            lines.push(kv("Engine", p.engine.to_string(), theme));
            lines.push(kv("Target", p.shown_target(), theme));
            if let Some(d) = &p.direct {
                let pooled = if p.pooler {
                    "the target above is the pooler (queries, schema)"
                } else {
                    "queries and schema use the target above"
                };
                lines.push(kv("Direct", format!("{} · migrations, transfers; {pooled}", d.target()), theme));
            }
            if p.engine != Engine::Sqlite {
                lines.push(kv("Password", p.describe_password(), theme));
                lines.push(kv("TLS", tls_line(p), theme));
            }
            let mut flags = vec![];
            if p.read_only {
                flags.push("read-only".to_string());
            }
            flags.push(format!("pool {}..{}", p.pool.min_connections, p.pool.max_connections));
            flags.push(format!("timeout {} s", p.pool.connect_timeout_secs));
            lines.push(kv("Settings", flags.join(", "), theme));
            lines.push(kv(
                "From",
                match &p.origin {
                    Origin::File { line } => format!("profiles file, line {line}"),
                    Origin::Demo => "built-in demo".into(),
                    Origin::AdHoc => "command-line URL (not saved)".into(),
                    Origin::Imported(src) => format!("{src} (not saved)"),
                },
                theme,
            ));
            if p.stores_plain_password() {
                lines.push(Line::styled("⚠ stores a plain-text password in the profiles file", theme.warn()));
            }
            lines.push(Line::raw(""));
            // The session on this profile, before any test result: connected is already a passed test.
            let connected = app
                .session
                .as_ref()
                .filter(|s| s.profile.name == p.name && matches!(s.state, crate::tui::app::ConnState::Connected(_)));
            match (app.profiles.tests.get(&p.name), connected) {
                (None, Some(_)) => lines.push(Line::from(vec![
                    Span::styled("Connected. ", theme.ok()),
                    Span::styled(keymap::hint(Scope::Profiles, Command::Test), theme.key()),
                    Span::styled(" tests the connection step by step.", theme.dim()),
                ])),
                (test, _) => test_lines(&mut lines, test, theme),
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(hints(theme));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

fn tls_line(p: &Profile) -> String {
    let mut s = p.tls.effective_mode().as_str().to_string();
    if p.tls.mode.is_none() {
        s.push_str(" (default)");
    }
    if let Some(ca) = &p.tls.root_cert {
        s.push_str(&format!(", CA {}", ca.display()));
    }
    if p.tls.client_cert.is_some() {
        s.push_str(", client cert");
    }
    s
}

fn test_lines(lines: &mut Vec<Line>, test: Option<&TestState>, theme: &Theme) {
    let Some(t) = test else {
        lines.push(Line::from(vec![
            Span::styled("Not tested. Press ", theme.dim()),
            Span::styled(keymap::hint(Scope::Profiles, Command::Test), theme.key()),
            Span::styled(" to test the connection step by step.", theme.dim()),
        ]));
        return;
    };
    let heading = match &t.report {
        None => Line::styled("Testing…", theme.warn()),
        Some(r) if r.ok => Line::styled("Connection test: OK", theme.ok()),
        Some(r) => Line::styled(
            format!("Connection test: FAILED — {}", r.class.map(|c| c.title()).unwrap_or("failed")),
            theme.danger(),
        ),
    };
    lines.push(heading);
    for s in &t.steps {
        let (mark, style): (&str, Style) = if s.ok { ("✓", theme.ok()) } else { ("✗", theme.danger()) };
        lines.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(format!("{:<16}", s.title()), theme.text()),
            Span::styled(format!("{:>9.1} ms  ", s.elapsed_ms), theme.dim()),
            Span::styled(crate::core::text::tilde_in(&s.detail).into_owned(), theme.dim()),
        ]));
    }
    if let Some(r) = &t.report {
        if r.ok {
            let mut server = format!(
                "{} {}",
                r.server_product.as_deref().unwrap_or("?"),
                r.server_version.as_deref().unwrap_or("?")
            );
            if let Some(u) = &r.current_user {
                server.push_str(&format!(" · user {u}"));
            }
            if let Some(d) = &r.current_database {
                server.push_str(&format!(" · db {}", crate::core::text::tilde(d)));
            }
            lines.push(Line::styled(server, theme.text()));
            let mut facts = Vec::new();
            if let Some(tls) = r.tls {
                facts.push(if tls { "TLS in use".to_string() } else { "no TLS".to_string() });
            }
            if let Some(l) = r.latency_ms {
                facts.push(format!("round trip {l:.2} ms"));
            }
            if let (Some(can), Some(why)) = (r.role_can_write, &r.role_privileges) {
                facts.push(format!("role can write: {} ({why})", if can { "yes" } else { "no" }));
            }
            if !r.extensions.is_empty() {
                facts.push(format!(
                    "extensions: {}",
                    r.extensions.iter().map(|e| format!("{} {}", e.name, e.version)).collect::<Vec<_>>().join(", ")
                ));
            }
            lines.push(Line::styled(facts.join(" · "), theme.dim()));
        } else {
            lines.push(Line::styled(crate::core::text::tilde_in(&r.message).into_owned(), theme.field_error()));
            if !r.hint.is_empty() {
                lines.push(Line::from(vec![
                    Span::styled("Check: ", theme.key()),
                    Span::styled(r.hint.clone(), theme.text()),
                ]));
            }
        }
    }
}

fn hints(theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (cmd, label) in [
        (Command::Test, "test"),
        (Command::Connect, "connect"),
        (Command::Add, "add"),
        (Command::Edit, "edit"),
        (Command::Duplicate, "copy"),
        (Command::Delete, "delete"),
        (Command::Import, "import"),
    ] {
        let keys = keymap::hint(Scope::Profiles, cmd);
        let first = keys.split('/').next().unwrap_or("").to_string();
        spans.push(Span::styled(first, theme.key()));
        spans.push(Span::styled(format!(" {label}  "), theme.dim()));
    }
    Line::from(spans)
}
