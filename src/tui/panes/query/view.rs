//! Draws the query pane: tabs, editor, run status, error, results grid, prompt, and the completion, inspector and
//! history popups.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Focus, Prompt, QueryPane, RunState};
use crate::core::profile::{Engine, Environment, Profile};
use crate::core::query::{Kind, TxnState};
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn status_line<'a>(q: &QueryPane, theme: &Theme) -> Line<'a> {
    let mut s: Vec<Span> = Vec::new();
    // Vim mode: the mode (and what is being typed) first, as vim shows it.
    if let Some(v) = q.vim.as_ref().filter(|_| q.focus == Focus::Editor) {
        let style = match v.mode {
            super::vim::Mode::Normal => theme.tab(true),
            super::vim::Mode::Insert => theme.warn(),
            _ => theme.selected(),
        };
        s.push(Span::styled(format!(" {} ", v.status()), style));
    }
    match &q.run {
        RunState::Running { started, index, total, .. } => {
            let rows = q.result.as_ref().map_or(0, |r| r.len());
            s.push(Span::styled(
                format!(
                    " running statement {index}/{total} · {:.1} s · {} rows so far · {} cancels ",
                    started.elapsed().as_secs_f64(),
                    thousands(rows as u64),
                    keymap::hint(Scope::QueryEditor, Command::Cancel)
                ),
                theme.warn(),
            ));
        }
        RunState::Paused { .. } => {
            let rows = q.result.as_ref().map_or(0, |r| r.len());
            s.push(Span::styled(
                format!(
                    " {} rows (row cap) · {} fetches more ",
                    thousands(rows as u64),
                    keymap::hint(Scope::QueryGrid, Command::More)
                ),
                theme.warn(),
            ));
        }
        RunState::Idle => {
            if let Some(sum) = &q.summary {
                let what = if q.result.as_ref().is_some_and(|r| !r.explain) && sum.rows > 0 || sum.affected == 0 {
                    format!("{} row{}", thousands(sum.rows), if sum.rows == 1 { "" } else { "s" })
                } else {
                    format!("{} row{} affected", thousands(sum.affected), if sum.affected == 1 { "" } else { "s" })
                };
                let stmts =
                    if sum.statements > 1 { format!(" · {} statements", sum.statements) } else { String::new() };
                let stopped = if sum.stopped { " · rest discarded" } else { "" };
                s.push(Span::styled(
                    format!(" {} · {what} · {:.1} ms{stmts}{stopped} ", sum.verb, sum.elapsed.as_secs_f64() * 1000.0),
                    theme.ok(),
                ));
            }
        }
    }
    // Where the cursor is in the result, and which of the run's result sets this is.
    if let Some(b) = q.browse.as_ref().filter(|_| !matches!(q.run, RunState::Running { .. })) {
        let row = q.result.as_ref().map_or(0, |r| r.row);
        let order = match &b.spec.order {
            Some((c, desc)) => format!("by {c}{}", if *desc { " desc" } else { "" }),
            None if b.spec.key.is_empty() => "no primary key".into(),
            None => "key order".into(),
        };
        let filter = b.spec.filter.as_ref().map_or(String::new(), |f| format!(" · where {f}"));
        s.push(Span::styled(
            format!(
                " {} · page {} · row {} · {order}{filter} ",
                b.spec.table,
                thousands(b.page() as u64 + 1),
                thousands((b.first_row() + row + 1) as u64)
            ),
            theme.key(),
        ));
    } else if let Some(r) = q.result.as_ref().filter(|r| !r.is_empty())
        && !matches!(q.run, RunState::Running { .. })
    {
        s.push(Span::styled(
            format!(" row {} / {} ", thousands(r.row as u64 + 1), thousands(r.len() as u64)),
            theme.text(),
        ));
    }
    if q.set_count() > 1 {
        s.push(Span::styled(
            format!(
                " result {} of {} ({}/{}) ",
                q.set_index + 1,
                q.set_count(),
                keymap::hint(Scope::QueryGrid, Command::PrevSet),
                keymap::hint(Scope::QueryGrid, Command::NextSet)
            ),
            theme.key(),
        ));
    }
    if !q.notices.is_empty() {
        let last = q.notices.last().map(|n| format!("{}: {}", n.level, n.message)).unwrap_or_default();
        s.push(Span::styled(format!(" {} notice(s) · {last} ", q.notices.len()), theme.warn()));
    }
    match q.txn {
        TxnState::Open => s.push(Span::styled(" TRANSACTION OPEN ", theme.tab(true))),
        TxnState::Failed => s.push(Span::styled(" TRANSACTION FAILED: ROLLBACK ", theme.danger())),
        TxnState::Idle => {}
    }
    Line::from(s)
}

pub fn render(frame: &mut Frame, area: Rect, q: &QueryPane, theme: &Theme, profile: Option<&Profile>) {
    let engine = profile.map_or(Engine::Sqlite, |p| p.engine);
    let mut title = vec![Span::styled(" Query ", theme.title())];
    match profile {
        Some(p) => {
            // The badges always show: the profile's name is what gets cut when the pane is narrow.
            let mut badges = Vec::new();
            if p.environment == Environment::Production {
                badges.push(Span::styled(" PRODUCTION ", theme.environment(p.environment)));
            }
            if p.read_only {
                badges.push(Span::styled(" read-only ", theme.ok()));
            }
            let used: usize = 8 + badges.iter().map(Span::width).sum::<usize>();
            let room = area.width.saturating_sub(2 + u16::try_from(used).unwrap_or(u16::MAX));
            let name = fit(Line::raw(format!("· {} ({}) ", p.name, p.engine)), room).lines.remove(0);
            title.push(Span::styled(name.to_string(), theme.text()));
            title.extend(badges);
        }
        None => title.push(Span::styled("· not connected ", theme.warn())),
    }
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let error_h = q.error.as_ref().map_or(0, |e| 1 + e.error.detail.is_some() as u16 + e.error.hint.is_some() as u16);
    let avail = inner.height.saturating_sub(3 + error_h);
    let result_rows = q.result.as_ref().map(|r| r.len());
    let editor_h = super::split::editor_rows(q.split, avail, q.buffer().area.lines().len(), result_rows);
    let [tabs, editor, status, error, grid, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(editor_h),
        Constraint::Length(1),
        Constraint::Length(error_h),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    q.editor_area.set(editor);
    q.grid_area.set(grid);

    // Tabs.
    let mut spans = Vec::new();
    for (i, b) in q.tabs.iter().enumerate() {
        spans.push(Span::styled(format!(" {} {} ", i + 1, b.title()), theme.tab(i == q.tab)));
    }
    frame.render_widget(Paragraph::new(fit(Line::from(spans), tabs.width)), tabs);

    let error_at = q.error.as_ref().and_then(|e| e.at).filter(|(t, _, _)| *t == q.tab).map(|(_, r, c)| (r, c));
    let focused = q.focus == Focus::Editor;
    let marks = super::editor::Marks { focused, error_at, vim: q.vim.as_ref() };
    super::editor::render(frame, editor, q.buffer(), engine, theme, marks);
    frame.render_widget(Paragraph::new(fit(status_line(q, theme), status.width)).style(theme.status_bar()), status);

    if let Some(e) = &q.error {
        let head = match &e.error.code {
            // Line 0: not from the editor (the table browser's page).
            Some(c) if e.line == 0 => format!("ERROR {c}: {}", e.error.message),
            None if e.line == 0 => format!("ERROR: {}", e.error.message),
            Some(c) => format!("ERROR {c} (line {}): {}", e.line, e.error.message),
            None => format!("ERROR (line {}): {}", e.line, e.error.message),
        };
        let mut lines = vec![Line::styled(head, theme.field_error())];
        if let Some(d) = &e.error.detail {
            lines.push(Line::styled(format!("DETAIL: {d}"), theme.text()));
        }
        if let Some(h) = &e.error.hint {
            lines.push(Line::styled(format!("HINT: {h}"), theme.text()));
        }
        frame.render_widget(Paragraph::new(fit(lines, error.width)), error);
    }

    match &q.result {
        Some(r) => super::grid::render(frame, grid, r, theme, q.focus == Focus::Grid, q),
        None => {
            let hint = format!(
                "Type SQL above; {} runs the statement under the cursor, {} the whole buffer, {} leaves the editor \
                 (then {} for every key).",
                keymap::hint(Scope::QueryEditor, Command::Run),
                keymap::hint(Scope::QueryEditor, Command::RunAll),
                keymap::hint(Scope::QueryEditor, Command::Cancel),
                keymap::hint(Scope::Global, Command::Help),
            );
            frame.render_widget(Paragraph::new(Line::styled(hint, theme.dim())).wrap(Wrap { trim: true }), grid);
        }
    }

    // Bottom line: the prompt, or where the keys are.
    let line = match &q.prompt {
        Some(Prompt::Export { format, path }) => Line::from(vec![
            Span::styled(format!(" export as {format:?} (Tab: format) to: "), theme.key()),
            Span::styled(format!("{path}█"), theme.field_active()),
        ]),
        Some(
            p @ (Prompt::Open(s) | Prompt::SaveAs(s) | Prompt::Search(s) | Prompt::Find(s) | Prompt::BrowseFilter(s)),
        ) => Line::from(vec![
            Span::styled(format!(" {}: ", p.label()), theme.key()),
            Span::styled(format!("{s}█"), theme.field_active()),
        ]),
        Some(Prompt::EditCell(s)) => Line::from(vec![
            Span::styled(" new value (Enter stages, C-n NULL, Esc cancels): ", theme.key()),
            Span::styled(format!("{s}█"), theme.field_active()),
        ]),
        Some(Prompt::Insert { col, input, .. }) => {
            let name = q.result.as_ref().and_then(|r| r.columns.get(*col)).map(|c| c.name.clone()).unwrap_or_default();
            Line::from(vec![
                Span::styled(format!(" new row · {name} (empty: default, C-n: NULL): "), theme.key()),
                Span::styled(format!("{input}█"), theme.field_active()),
            ])
        }
        Some(Prompt::History { filter, .. }) => Line::from(vec![
            Span::styled(" history filter: ", theme.key()),
            Span::styled(format!("{filter}█"), theme.field_active()),
        ]),
        None if !q.staged.is_empty() => Line::styled(
            format!(
                " {} staged edit(s) · {} show SQL · {} apply · {} undo",
                q.staged.len(),
                keymap::hint(Scope::QueryGrid, Command::PreviewEdits),
                keymap::hint(Scope::QueryGrid, Command::ApplyEdits),
                keymap::hint(Scope::QueryGrid, Command::UndoEdit),
            ),
            theme.warn(),
        ),
        None if q.close_armed() => Line::styled(" unsaved changes: press w again to close the tab", theme.warn()),
        None => match q.focus {
            Focus::Editor => Line::styled(
                format!(
                    " {} run · {} all · {} explain · {} complete · {} results/keys",
                    keymap::hint(Scope::QueryEditor, Command::Run),
                    keymap::hint(Scope::QueryEditor, Command::RunAll),
                    keymap::hint(Scope::QueryEditor, Command::Explain),
                    keymap::hint(Scope::QueryEditor, Command::Complete),
                    // In vim mode Esc is vim's: Ctrl-W j leaves the editor.
                    if q.vim.is_some() {
                        "C-w j".to_string()
                    } else {
                        keymap::hint(Scope::QueryEditor, Command::Cancel)
                    },
                ),
                theme.dim(),
            ),
            Focus::Grid if q.browse.is_some() => Line::styled(
                format!(
                    " {}/{} pages · {} filter · {} sort · {} find · {} edit · {} delete · {} apply · {} editor",
                    keymap::hint(Scope::QueryGrid, Command::PrevSet),
                    keymap::hint(Scope::QueryGrid, Command::NextSet),
                    keymap::hint(Scope::QueryGrid, Command::BrowseFilter),
                    keymap::hint(Scope::QueryGrid, Command::Sort),
                    keymap::hint(Scope::QueryGrid, Command::Find),
                    keymap::hint(Scope::QueryGrid, Command::ChangeCell),
                    keymap::hint(Scope::QueryGrid, Command::DeleteRow),
                    keymap::hint(Scope::QueryGrid, Command::ApplyEdits),
                    keymap::hint(Scope::QueryGrid, Command::Editor),
                ),
                theme.dim(),
            ),
            Focus::Grid => Line::styled(
                format!(
                    " {} editor · {} inspect · {} copy · {} export · {} history · {} tab · {} open · {} save",
                    keymap::hint(Scope::QueryGrid, Command::Editor),
                    keymap::hint(Scope::QueryGrid, Command::Inspect),
                    keymap::hint(Scope::QueryGrid, Command::CopyCell),
                    keymap::hint(Scope::QueryGrid, Command::Export),
                    keymap::hint(Scope::QueryGrid, Command::History),
                    keymap::hint(Scope::QueryGrid, Command::NewTab),
                    keymap::hint(Scope::QueryGrid, Command::OpenFile),
                    keymap::hint(Scope::QueryGrid, Command::Save),
                ),
                theme.dim(),
            ),
        },
    };
    frame.render_widget(Paragraph::new(fit(line, bottom.width)), bottom);

    // Completion list under the cursor.
    if let Some(c) = &q.completion {
        let b = q.buffer();
        let tui_textarea::DataCursor(row, col) = b.area.cursor();
        let gutter = b.area.lines().len().to_string().len() as u16 + 1;
        let x = editor.x + gutter + (col.saturating_sub(b.left.get())) as u16;
        let y = editor.y + (row.saturating_sub(b.top.get())) as u16 + 1;
        let h = (c.items.len() as u16).min(8);
        let w = c.items.iter().map(|i| i.text.chars().count() + i.kind.len() + 3).max().unwrap_or(10) as u16;
        let popup = Rect::new(x.min(area.right().saturating_sub(w + 2)), y, w + 2, h + 2).intersection(area);
        let first = c.selected.saturating_sub(h as usize - 1);
        let lines: Vec<Line> = c
            .items
            .iter()
            .enumerate()
            .skip(first)
            .take(h as usize)
            .map(|(i, it)| {
                let st = if i == c.selected { theme.selected() } else { theme.text() };
                Line::from(vec![Span::styled(it.text.clone(), st), Span::styled(format!(" {}", it.kind), theme.dim())])
            })
            .collect();
        frame.render_widget(Clear, popup);
        frame.render_widget(Paragraph::new(lines).block(Block::default().borders(Borders::ALL)), popup);
    }

    // Cell inspector.
    if q.inspector
        && let Some(r) = &q.result
    {
        let col = r.columns.get(r.col);
        let value = r.cell(r.row, r.col);
        let text = match &value {
            None => "NULL".to_string(),
            Some(s) if col.is_some_and(|c| c.kind == Kind::Json) || s.starts_with('{') || s.starts_with('[') => {
                serde_json::from_str::<serde_json::Value>(s)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or_else(|| s.clone())
            }
            Some(s) => s.clone(),
        };
        let title = format!(
            " row {} · {} ({}) · {} chars · Esc closes ",
            r.row + 1,
            col.map(|c| c.name.as_str()).unwrap_or(""),
            col.map(|c| c.type_name.as_str()).unwrap_or(""),
            value.as_ref().map_or(0, |v| v.chars().count())
        );
        let popup = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), area.height.saturating_sub(4));
        frame.render_widget(Clear, popup);
        let style = if value.is_none() { theme.null() } else { theme.text() };
        frame.render_widget(
            Paragraph::new(text)
                .style(style)
                .wrap(Wrap { trim: false })
                .block(Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(title)),
            popup,
        );
    }

    // The SQL staged edits will run.
    if q.preview
        && let Some(Ok(t)) = &q.edit
    {
        let popup = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), area.height.saturating_sub(5));
        let mut lines: Vec<Line> = vec![Line::styled(
            "-- one transaction (a savepoint inside an open one); each must change one row",
            theme.dim(),
        )];
        lines.extend(q.staged.iter().map(|c| Line::styled(t.plan(c).shown, theme.text())));
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(format!(
                    " Staged edits · {} apply · any other key closes ",
                    keymap::hint(Scope::QueryGrid, Command::ApplyEdits)
                )),
            ),
            popup,
        );
    }

    // History list.
    if let Some(Prompt::History { selected, .. }) = &q.prompt {
        let popup = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), area.height.saturating_sub(5));
        let h = popup.height.saturating_sub(2) as usize;
        let first = selected.saturating_sub(h.saturating_sub(1));
        let lines: Vec<Line> = q
            .history
            .iter()
            .enumerate()
            .skip(first)
            .take(h)
            .map(|(i, e)| {
                let st = if i == *selected {
                    theme.selected()
                } else if e.ok {
                    theme.text()
                } else {
                    theme.field_error()
                };
                let when = e.executed_at.get(..16).unwrap_or(&e.executed_at).replace('T', " ");
                Line::from(vec![
                    Span::styled(format!("{when} "), theme.dim()),
                    Span::styled(e.sql.replace('\n', " "), st),
                ])
            })
            .collect();
        frame.render_widget(Clear, popup);
        let empty = if q.history.is_empty() { vec![Line::styled("no statements yet", theme.dim())] } else { lines };
        let empty = fit(empty, popup.width.saturating_sub(2));
        frame.render_widget(
            Paragraph::new(empty).block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(theme.border(true))
                    .title(" History (newest first) · Enter opens · Esc closes "),
            ),
            popup,
        );
    }
}
