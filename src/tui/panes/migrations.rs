//! Migrations pane: the guided flow for versioned migrations of the active profile — plan (statuses and lint
//! findings) → preview each step's SQL → dry run or apply (asks first) → live progress → result; revert the last.
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use crate::core::migrate::{Event, RunReport, Severity, Status};
use crate::tui::action::JobId;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Apply,
    DryRun,
    Revert,
}

impl RunKind {
    pub fn verb(self) -> &'static str {
        match self {
            RunKind::Apply => "apply",
            RunKind::DryRun => "dry run",
            RunKind::Revert => "revert",
        }
    }
}

#[derive(Debug, Default)]
pub enum Load {
    #[default]
    Idle,
    Loading(JobId),
    Ready,
    Failed(String),
}

#[derive(Debug, Default)]
pub enum RunState {
    #[default]
    Idle,
    Running {
        job: JobId,
        kind: RunKind,
        index: usize,
        total: usize,
        current: String,
        statement: (usize, usize),
    },
    Finished {
        kind: RunKind,
        report: Box<RunReport>,
    },
    Failed {
        kind: RunKind,
        message: String,
    },
}

/// What the pane asks the app to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    None,
    Plan,
    Run(RunKind),
    /// Open the chooser of the profile whose schema to diff against.
    ChooseDiff,
    /// Diff against the chooser's entry `usize`.
    Diff(usize),
    /// Open the transfer view's target chooser.
    ChooseTransfer,
    Transfer(crate::tui::panes::transfer::Request),
    /// Stop the running apply, dry run or revert (its connection closes: the server rolls back the migration in
    /// progress, as after a kill).
    Cancel,
}

/// What a plan load brings back: the core's review of the folder.
pub type Planned = crate::core::migrate::Review;

#[derive(Debug, Default)]
pub struct MigrationsPane {
    pub profile: Option<String>,
    pub load: Load,
    pub planned: Option<Planned>,
    pub selected: usize,
    pub scroll: u16,
    pub run: RunState,
    /// Progress lines of the current or last run.
    pub log: Vec<String>,
    /// The diff chooser: profile names (not the active one) and the cursor.
    pub chooser: Option<(Vec<String>, usize)>,
    /// A diff being written.
    pub diffing: Option<JobId>,
    /// The transfer view (`T`).
    pub transfer: crate::tui::panes::transfer::TransferView,
}

impl MigrationsPane {
    pub fn running(&self) -> bool {
        matches!(self.run, RunState::Running { .. })
    }

    pub fn pending(&self) -> usize {
        self.planned
            .as_ref()
            .map(|p| p.plan.entries.iter().filter(|e| matches!(e.status, Status::Pending | Status::OutOfOrder)).count())
            .unwrap_or(0)
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Request {
        if self.transfer.active() {
            return match self.transfer.handle_key(key) {
                crate::tui::panes::transfer::Request::None => Request::None,
                r => Request::Transfer(r),
            };
        }
        if let Some((names, at)) = &mut self.chooser {
            match keymap::lookup(Scope::Migrations, key) {
                Some(Command::Down) => *at = (*at + 1).min(names.len().saturating_sub(1)),
                Some(Command::Up) => *at = at.saturating_sub(1),
                Some(Command::Confirm) if !names.is_empty() => {
                    let i = *at;
                    return Request::Diff(i);
                }
                Some(Command::Cancel) => self.chooser = None,
                _ => {}
            }
            return Request::None;
        }
        let n = self.planned.as_ref().map(|p| p.plan.entries.len()).unwrap_or(0);
        match keymap::lookup(Scope::Migrations, key) {
            Some(Command::Down) if n > 0 => {
                self.selected = (self.selected + 1).min(n - 1);
                self.scroll = 0;
            }
            Some(Command::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.scroll = 0;
            }
            Some(Command::Top) => self.selected = 0,
            Some(Command::Bottom) => self.selected = n.saturating_sub(1),
            Some(Command::DetailDown) => self.scroll = self.scroll.saturating_add(5),
            Some(Command::DetailUp) => self.scroll = self.scroll.saturating_sub(5),
            Some(Command::Refresh) if !self.running() => return Request::Plan,
            Some(Command::DryRun) if !self.running() => return Request::Run(RunKind::DryRun),
            Some(Command::Apply) if !self.running() => return Request::Run(RunKind::Apply),
            Some(Command::Revert) if !self.running() => return Request::Run(RunKind::Revert),
            Some(Command::Diff) if !self.running() && self.diffing.is_none() => return Request::ChooseDiff,
            Some(Command::Transfer) if !self.running() => return Request::ChooseTransfer,
            Some(Command::Cancel) if self.running() => return Request::Cancel,
            _ => {}
        }
        Request::None
    }

    pub fn set_planned(&mut self, p: Planned) {
        self.selected = p
            .plan
            .entries
            .iter()
            .position(|e| e.status != Status::Applied)
            .unwrap_or(p.plan.entries.len().saturating_sub(1));
        self.planned = Some(p);
        self.load = Load::Ready;
        self.scroll = 0;
    }

    pub fn on_event(&mut self, job: JobId, e: Event) {
        let RunState::Running { job: j, index, total, current, statement, .. } = &mut self.run else { return };
        if *j != job {
            return;
        }
        match e {
            Event::LockWaiting { holder } => self.log.push(format!("waiting for the migration lock: {holder}")),
            Event::Locked => self.log.push("lock taken".into()),
            Event::Start { version, description, index: i, total: t, statements } => {
                (*index, *total, *current) = (i, t, format!("{version} {description}"));
                *statement = (0, statements);
                self.log.push(format!("[{i}/{t}] {version} {description} …"));
            }
            Event::Statement { index: i, total: t, .. } => *statement = (i, t),
            Event::Done { version, ms } => self.log.push(format!("      {version} done in {ms:.1} ms")),
            Event::Note { message } => self.log.push(message),
        }
    }
}

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
    frame.render_widget(Paragraph::new(Line::from(head_spans)), head);

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
            ListItem::new(Line::from(vec![
                Span::styled(flag, theme.danger()),
                Span::styled(format!("{:<8}", e.status.label()), status_style(theme, e.status)),
                Span::styled(format!(" {} {}", e.version, e.description), theme.text()),
            ]))
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
    if let Some((names, at)) = &pane.chooser {
        render_chooser(frame, body, theme, profile, names, *at);
    }
}

fn render_chooser(frame: &mut Frame, area: Rect, theme: &Theme, profile: &str, names: &[String], at: usize) {
    let h = (names.len() as u16 + 4).min(area.height);
    let w = 60.min(area.width);
    let r = Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h };
    frame.render_widget(ratatui::widgets::Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(format!(" Give {profile} the schema of… "), theme.title()));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if names.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled("no other profile to compare with", theme.dim())), inner);
        return;
    }
    let items: Vec<ListItem> = names.iter().map(|n| ListItem::new(Line::styled(n.clone(), theme.text()))).collect();
    let mut state = ListState::default().with_selected(Some(at));
    frame.render_stateful_widget(List::new(items).highlight_style(theme.selected()), inner, &mut state);
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
    frame.render_widget(Paragraph::new(lines), area);
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
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
