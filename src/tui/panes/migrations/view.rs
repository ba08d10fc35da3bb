//! Drawing the migrations pane: the plan with statuses and lint, the selected migration's file and SQL, the
//! running gauge and log, the diff chooser.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use super::*;
use crate::core::migrate::{Severity, Status};
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

fn status_style(theme: &Theme, s: Status) -> ratatui::style::Style {
    match s {
        Status::Applied => theme.ok(),
        Status::Pending => theme.text(),
        Status::OutOfOrder | Status::Missing => theme.warn(),
        Status::Failed | Status::Drifted => theme.danger(),
    }
}

fn severity_style(theme: &Theme, s: Severity) -> ratatui::style::Style {
    match s {
        Severity::Danger => theme.danger(),
        Severity::Warning => theme.warn(),
        Severity::Info => theme.dim(),
    }
}

pub fn render(frame: &mut Frame, area: Rect, pane: &MigrationsPane, theme: &Theme, connected: Option<&str>) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" Migrations ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(profile) = connected else {
        let msg = "No active profile: connect one in the Profiles pane (1), then come back to plan its migrations.";
        frame.render_widget(Paragraph::new(Line::styled(msg, theme.dim())).wrap(Wrap { trim: false }), inner);
        return;
    };
    let bottom_height = match pane.run {
        RunState::Idle => 1,
        _ => 7.min(inner.height / 3).max(4),
    };
    let [head, body, bottom] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(bottom_height)]).areas(inner);
    let planned = match (&pane.load, &pane.planned) {
        (Load::Failed(e), _) => {
            let lines = vec![
                Line::styled(format!("{profile}: the migrations could not be planned"), theme.danger()),
                Line::styled(e.clone(), theme.text()),
                Line::raw(""),
                Line::styled(
                    format!(
                        "{} try again · the folder is the profile's `migrations`, else ./migrations",
                        keymap::hint(Scope::Migrations, Command::Refresh)
                    ),
                    theme.dim(),
                ),
            ];
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
            render_hints(frame, bottom, theme);
            return;
        }
        (Load::Loading(_), None) | (Load::Idle, None) => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("{profile}: reading the migrations folder and the applied state…"),
                    theme.dim(),
                )),
                head,
            );
            return;
        }
        (_, Some(p)) => p,
        (Load::Ready, None) => return,
    };
    let plan = &planned.plan;
    let count = |s| plan.count(s);
    let mut head_spans = vec![
        Span::styled(format!("{profile} "), theme.title()),
        Span::styled(format!("{} ", plan.dir.display()), theme.dim()),
        Span::styled(format!("{} applied", count(Status::Applied)), theme.ok()),
        Span::styled(format!(" · {} pending", count(Status::Pending) + count(Status::OutOfOrder)), theme.text()),
    ];
    for (s, label) in [(Status::Failed, "failed"), (Status::Drifted, "drifted"), (Status::Missing, "missing")] {
        if count(s) > 0 {
            head_spans.push(Span::styled(format!(" · {} {label}", count(s)), status_style(theme, s)));
        }
    }
    if !planned.findings.is_empty() {
        let danger = planned.findings.iter().filter(|f| f.severity == Severity::Danger).count();
        head_spans.push(Span::styled(
            format!(" · lint: {} ({danger} danger)", planned.findings.len()),
            if danger > 0 { theme.danger() } else { theme.warn() },
        ));
    }
    frame.render_widget(Paragraph::new(fit(Line::from(head_spans), head.width)), head);

    let [list_area, detail_area] =
        Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(58)]).areas(body);
    let items: Vec<ListItem> = plan
        .entries
        .iter()
        .map(|e| {
            let flag = if planned.findings.iter().any(|f| f.version == e.version && f.severity == Severity::Danger) {
                "!"
            } else {
                " "
            };
            ListItem::new(fit(
                Line::from(vec![
                    Span::styled(flag, theme.danger()),
                    Span::styled(format!("{:<8}", e.status.label()), status_style(theme, e.status)),
                    Span::styled(format!(" {} {}", e.version, e.description), theme.text()),
                ]),
                list_area.width.saturating_sub(1),
            ))
        })
        .collect();
    if items.is_empty() {
        let msg = format!(
            "No migration files in {}. Add `<version>_<description>.sql` files (sqlx's layout), then {}.",
            plan.dir.display(),
            keymap::hint(Scope::Migrations, Command::Refresh)
        );
        frame.render_widget(Paragraph::new(Line::styled(msg, theme.dim())).wrap(Wrap { trim: false }), list_area);
    } else {
        let mut state = ListState::default().with_selected(Some(pane.selected));
        let list = List::new(items)
            .block(Block::default().borders(Borders::RIGHT).border_style(theme.border(false)))
            .highlight_style(theme.selected());
        frame.render_stateful_widget(list, list_area, &mut state);
    }

    // Details of the selected migration: facts, its lint findings, its SQL.
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = plan.entries.get(pane.selected) {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", e.version), theme.title()),
            Span::styled(e.description.clone(), theme.text()),
            Span::styled(format!("  {}", e.status.label()), status_style(theme, e.status)),
        ]));
        if let Some(f) = &e.file {
            let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            lines.push(Line::styled(format!("{name}{}", if e.reversible { " (reversible)" } else { "" }), theme.dim()));
        }
        if let Some(n) = e.statements_completed {
            lines.push(Line::styled(
                format!("stopped part-way outside a transaction: {n} statement(s) ran and stay applied"),
                status_style(theme, e.status),
            ));
        }
        if let Some(on) = &e.installed_on {
            lines.push(Line::styled(format!("applied {on}"), theme.dim()));
        }
        for f in planned.findings.iter().filter(|f| f.version == e.version) {
            lines.push(Line::from(vec![
                Span::styled(format!("{} line {}: ", f.severity.label(), f.line), severity_style(theme, f.severity)),
                Span::styled(f.message.clone(), theme.text()),
            ]));
        }
        if let Some(m) = planned.folder.migrations.iter().find(|m| m.version == e.version) {
            lines.push(Line::raw(""));
            for (i, l) in m.up.sql.lines().enumerate() {
                let n = i + 1;
                let flagged = planned.findings.iter().any(|f| f.version == e.version && f.line == n);
                lines.push(Line::from(vec![
                    Span::styled(format!("{n:>3} "), if flagged { theme.danger() } else { theme.dim() }),
                    Span::styled(l.to_string(), theme.text()),
                ]));
            }
        } else if e.status == Status::Missing {
            lines.push(Line::styled("no file has this version any more", theme.warn()));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((pane.scroll, 0)),
        detail_area.inner(ratatui::layout::Margin { horizontal: 1, vertical: 0 }),
    );
    render_bottom(frame, bottom, theme, pane);
    if let Some(chooser) = &pane.chooser {
        chooser.render_popup(
            frame,
            body,
            theme,
            &format!("Give {profile} the schema of…"),
            "no other profile to compare with",
        );
    }
}

fn render_bottom(frame: &mut Frame, area: Rect, theme: &Theme, pane: &MigrationsPane) {
    match &pane.run {
        RunState::Idle => render_hints(frame, area, theme),
        RunState::Running { kind, index, total, current, statement, .. } => {
            let [gauge, log] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            let ratio = if *total == 0 {
                0.0
            } else {
                let within = if statement.1 == 0 { 0.0 } else { statement.0 as f64 / statement.1 as f64 };
                ((*index as f64 - 1.0 + within) / *total as f64).clamp(0.0, 1.0)
            };
            let label =
                format!("{} {index}/{total}: {current} (statement {}/{})", kind.verb(), statement.0, statement.1);
            frame.render_widget(Gauge::default().gauge_style(theme.ok()).ratio(ratio).label(label), gauge);
            render_log(frame, log, theme, pane);
        }
        RunState::Finished { kind, report } => {
            let lines = if report.failure.is_some() { 3 } else { 1 };
            let [result, log] = Layout::vertical([Constraint::Length(lines), Constraint::Min(0)]).areas(area);
            let line = match &report.failure {
                Some(f) => Line::styled(
                    format!(
                        "{} FAILED at {}:{} — {}{} · {}",
                        kind.verb(),
                        f.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                        f.line,
                        f.code.as_deref().map(|c| format!("[{c}] ")).unwrap_or_default(),
                        f.message,
                        f.state
                    ),
                    theme.danger(),
                ),
                None if report.done.is_empty() => Line::styled(format!("{}: nothing to do", kind.verb()), theme.text()),
                None => Line::styled(
                    format!(
                        "{}: {} migration(s) done{}",
                        kind.verb(),
                        report.done.len(),
                        if report.dry_run { " — dry run, nothing was changed" } else { "" }
                    ),
                    theme.ok(),
                ),
            };
            frame.render_widget(Paragraph::new(line).wrap(Wrap { trim: false }), result);
            render_log(frame, log, theme, pane);
        }
        RunState::Failed { kind, message } => {
            let p = Paragraph::new(Line::styled(format!("{}: {message}", kind.verb()), theme.danger()))
                .wrap(Wrap { trim: false });
            frame.render_widget(p, area);
        }
    }
}

fn render_log(frame: &mut Frame, area: Rect, theme: &Theme, pane: &MigrationsPane) {
    let h = area.height as usize;
    let start = pane.log.len().saturating_sub(h);
    let lines: Vec<Line> = pane.log[start..].iter().map(|l| Line::styled(l.clone(), theme.dim())).collect();
    frame.render_widget(Paragraph::new(fit(lines, area.width)), area);
}

fn render_hints(frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut spans = Vec::new();
    for (cmd, what) in [
        (Command::Refresh, "plan"),
        (Command::DryRun, "dry run"),
        (Command::Apply, "apply"),
        (Command::Revert, "revert last"),
        (Command::Diff, "diff"),
        (Command::DetailDown, "scroll SQL"),
    ] {
        spans.push(Span::styled(keymap::hint(Scope::Migrations, cmd), theme.key()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    frame.render_widget(Paragraph::new(fit(Line::from(spans), area.width)), area);
}
