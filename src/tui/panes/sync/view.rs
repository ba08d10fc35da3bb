//! Drawing the sync pane: the links, the selected link's tables, sides and sparklines, the conflict queue and
//! the steps of adding a link. Fits 80x24: the link list takes what it needs (at most a third), the details the
//! rest, lines cut rather than wrapped.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline, Wrap};

use super::{Add, LinkView, SyncPane};
use crate::core::sync::Policy;
use crate::core::text::one_line;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;
use crate::tui::widgets::popup::{centered, clear_around};

use crate::core::text::human_ms as fmt_ms;

fn state_style(theme: &Theme, state: &str) -> ratatui::style::Style {
    match state {
        "live" => theme.ok(),
        "catching_up" | "paused" => theme.warn(),
        _ => theme.danger(),
    }
}

fn hint(theme: &Theme, pairs: &[(Command, &str)]) -> Line<'static> {
    let mut s = Vec::new();
    for (c, d) in pairs {
        s.push(Span::styled(format!("{} ", keymap::hint(Scope::Sync, *c)), theme.key()));
        s.push(Span::styled(format!("{d}  "), theme.dim()));
    }
    Line::from(s)
}

/// One line of `s` in `w` columns (control characters shown, an ellipsis marking a cut).
fn cut(s: &str, w: usize) -> String {
    crate::tui::widgets::fit_str(&one_line(s), w)
}

fn runner_text(pane: &SyncPane, l: &LinkView) -> String {
    if pane.background.contains(&l.status.name) {
        "here".into()
    } else {
        match &l.status.runner {
            Some(r) => format!("elsewhere ({r})"),
            None => "none".into(),
        }
    }
}

pub fn render(frame: &mut Frame, area: Rect, pane: &SyncPane, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" Sync ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(e) = &pane.error {
        frame.render_widget(
            Paragraph::new(Line::styled(format!("sync status: {e}"), theme.danger())).wrap(Wrap { trim: false }),
            inner,
        );
    } else if !pane.loaded {
        frame.render_widget(Paragraph::new(fit(Line::styled("reading the links…", theme.dim()), inner.width)), inner);
    } else if pane.links.is_empty() {
        let lines = vec![
            Line::styled("No sync links yet.", theme.text()),
            Line::raw(""),
            Line::styled(
                "A link keeps a target database in step with a source (one-way), or both with each other \
                 (two-way, with a conflict policy): triggers record each change, a runner applies them in \
                 batches, and this pane shows lag, pending changes, throughput, conflicts and errors.",
                theme.dim(),
            ),
            Line::raw(""),
            hint(theme, &[(Command::Add, "add a link")]),
            Line::styled("From a shell: dbconsole sync add NAME --from A --to B [--two-way]", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    } else {
        render_links(frame, inner, pane, theme);
    }
    if pane.conflicts_open
        && let Some(l) = pane.current()
    {
        render_conflicts(frame, area, pane, l, theme);
    }
    if let Some(add) = &pane.add {
        render_add(frame, area, add, theme);
    }
}

fn render_links(frame: &mut Frame, area: Rect, pane: &SyncPane, theme: &Theme) {
    let list_h = (pane.links.len() as u16 + 1).min(area.height / 3).max(2);
    let [list, details, keys] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let w = list.width as usize;
    let mut lines = vec![Line::styled(
        cut(&format!("  {:<14} {:<12} {:>9} {:>8} {:>7} {:>4}", "link", "state", "pending", "lag", "/s", "conf"), w),
        theme.dim(),
    )];
    let first = pane.selected.saturating_sub(list_h.saturating_sub(2) as usize);
    for (i, l) in pane.links.iter().enumerate().skip(first).take(list_h.saturating_sub(1) as usize) {
        let s = &l.status;
        let pending =
            if s.two_way { format!("{}/{}", s.pending.fwd, s.pending.back) } else { s.pending.fwd.to_string() };
        let marker = if i == pane.selected { "▶ " } else { "  " };
        let row = format!(
            "{marker}{:<14} {:<12} {:>9} {:>8} {:>7.1} {:>4}",
            cut(&s.name, 14),
            s.state,
            pending,
            fmt_ms(s.lag_ms),
            s.throughput,
            s.conflicts_waiting
        );
        let style = if i == pane.selected { theme.selected() } else { state_style(theme, &s.state) };
        lines.push(Line::styled(cut(&row, w), style));
    }
    frame.render_widget(Paragraph::new(fit(lines, list.width)), list);
    if let Some(l) = pane.current() {
        render_details(frame, details, pane, l, theme);
    }
    let busy = pane.busy.as_ref().map(|(_, what)| format!("{what}…  ")).unwrap_or_default();
    let mut k = hint(
        theme,
        &[
            (Command::Add, "add"),
            (Command::Pause, "pause"),
            (Command::Run, "run once"),
            (Command::Background, "background"),
            (Command::Conflicts, "conflicts"),
            (Command::Delete, "remove"),
        ],
    );
    if !busy.is_empty() {
        k.spans.insert(0, Span::styled(busy, theme.warn()));
    }
    frame.render_widget(Paragraph::new(fit(k, keys.width)), keys);
}

fn render_details(frame: &mut Frame, area: Rect, pane: &SyncPane, l: &LinkView, theme: &Theme) {
    let s = &l.status;
    let w = area.width as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(
            cut(&format!("{} {} {} ", s.source, if s.two_way { "⇄" } else { "→" }, s.target), w / 2),
            theme.title(),
        ),
        Span::styled(if s.two_way { format!("two-way, {}  ", s.policy) } else { "one-way  ".to_string() }, theme.dim()),
        Span::styled(format!("runner: {}", runner_text(pane, l)), theme.dim()),
    ])];
    let applied_at = s.last_apply_at.as_deref().map(|t| t.replace('T', " ")).unwrap_or_else(|| "never".into());
    lines.push(Line::styled(
        cut(&format!("applied {} in all, last at {}", s.applied_total, applied_at.trim_end_matches('Z')), w),
        theme.text(),
    ));
    // Sparklines: a label and the last minutes' samples.
    let spark_rows = if area.height >= 12 { 2 } else { 0 };
    let header_h = lines.len() as u16;
    let tables_y = header_h + spark_rows;
    frame.render_widget(Paragraph::new(lines), Rect { height: header_h.min(area.height), ..area });
    if spark_rows > 0 {
        let label_w = 12u16.min(area.width);
        let spark_w = area.width.saturating_sub(label_w) as usize;
        let take = |f: &dyn Fn(&(i64, i64, i64)) -> u64| -> Vec<u64> {
            let v: Vec<u64> = l.samples.iter().map(f).collect();
            v[v.len().saturating_sub(spark_w)..].to_vec()
        };
        let lag = take(&|x| x.2.max(0) as u64);
        let thr = take(&|x| x.1.max(0) as u64);
        for (i, (label, data, style)) in
            [("lag", lag, theme.warn()), ("applied", thr, theme.ok())].into_iter().enumerate()
        {
            let y = area.y + header_h + i as u16;
            if y >= area.bottom() {
                break;
            }
            let max = data.iter().copied().max().unwrap_or(0);
            let shown = if label == "lag" { fmt_ms(max as i64) } else { max.to_string() };
            frame.render_widget(
                Paragraph::new(Line::styled(cut(&format!("{label} ≤{shown}"), label_w as usize), theme.dim())),
                Rect { x: area.x, y, width: label_w, height: 1 },
            );
            if data.is_empty() {
                frame.render_widget(
                    Paragraph::new(Line::styled("no samples yet (a runner records them)", theme.dim())),
                    Rect { x: area.x + label_w, y, width: area.width - label_w, height: 1 },
                );
            } else {
                frame.render_widget(
                    Sparkline::default().data(&data).style(style),
                    Rect { x: area.x + label_w, y, width: area.width - label_w, height: 1 },
                );
            }
        }
    }
    let rest = Rect { y: area.y + tables_y.min(area.height), height: area.height.saturating_sub(tables_y), ..area };
    let mut lines = vec![Line::styled(
        cut(
            &format!(
                "{:<18} {:<12} {:>9} {:>8} {:>9} {:>6} {:>4}",
                "table", "state", "pending", "lag", "applied", "/s", "conf"
            ),
            w,
        ),
        theme.dim(),
    )];
    for t in &s.tables {
        let pending =
            if s.two_way { format!("{}/{}", t.pending.fwd, t.pending.back) } else { t.pending.fwd.to_string() };
        lines.push(Line::styled(
            cut(
                &format!(
                    "{:<18} {:<12} {:>9} {:>8} {:>9} {:>6.1} {:>4}",
                    cut(&t.table, 18),
                    t.state,
                    pending,
                    fmt_ms(t.lag_ms),
                    t.applied_total,
                    pane.rates.get(&(s.name.clone(), t.table.clone())).copied().unwrap_or(0.0),
                    t.conflicts_waiting
                ),
                w,
            ),
            state_style(theme, &t.state),
        ));
        if let Some(e) = &t.last_error {
            lines.push(Line::styled(cut(&format!("  {e}"), w), theme.danger()));
        }
    }
    if let Some(n) = &s.native {
        lines.push(Line::styled(cut(&n.summary(), w), theme.dim()));
    }
    for side in &s.sides {
        let text = if !side.reachable {
            format!("{}: unreachable — {}", side.label, side.error.as_deref().unwrap_or(""))
        } else {
            let log = match (side.log_rows, side.log_oldest_age_ms) {
                (Some(n), Some(age)) if n > 0 => format!(", change log {n} rows, oldest {}", fmt_ms(age)),
                (Some(_), _) => ", change log empty".into(),
                _ => String::new(),
            };
            format!("{}: round trip {:.1} ms{log}", side.label, side.round_trip_ms.unwrap_or(0.0))
        };
        lines.push(Line::styled(cut(&text, w), if side.reachable { theme.dim() } else { theme.danger() }));
    }
    if let Some(e) = &s.last_error {
        let at = s.last_error_at.as_deref().map(|t| format!(" ({})", t.replace('T', " "))).unwrap_or_default();
        lines.push(Line::styled(cut(&format!("last error{at}: {e}"), w), theme.danger()));
    }
    if let Some(n) = &s.next_retry_at
        && s.state == "offline"
    {
        lines.push(Line::styled(cut(&format!("next retry at {}", n.replace('T', " ")), w), theme.warn()));
    }
    frame.render_widget(Paragraph::new(fit(lines, rest.width)), rest);
}

fn pretty_row(row: Option<&str>) -> Vec<String> {
    match row {
        None => vec!["(unchanged here)".into()],
        Some("null") => vec!["(deleted)".into()],
        Some(text) => match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
            Ok(m) => m
                .iter()
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}: {}", one_line(s)),
                    serde_json::Value::Null => format!("{k}: NULL"),
                    other => format!("{k}: {other}"),
                })
                .collect(),
            Err(_) => vec![one_line(text).into_owned()],
        },
    }
}

fn render_conflicts(frame: &mut Frame, area: Rect, pane: &SyncPane, l: &LinkView, theme: &Theme) {
    let popup = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(2));
    clear_around(frame, popup, area);
    let block = Block::default().borders(Borders::ALL).border_style(theme.border(true)).title(Line::styled(
        format!(" Conflicts of {} ({} waiting) ", l.status.name, l.conflicts.len()),
        theme.title(),
    ));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let list_h = (l.conflicts.len() as u16).min(inner.height / 3).max(1);
    let [list, body, keys] =
        Layout::vertical([Constraint::Length(list_h), Constraint::Min(2), Constraint::Length(1)]).areas(inner);
    let w = list.width as usize;
    let lines: Vec<Line> = l
        .conflicts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Line::styled(
                cut(
                    &format!(
                        "{}#{} {} key {}  {}",
                        if i == pane.conflict_at { "▶ " } else { "  " },
                        c.id,
                        c.table,
                        c.key,
                        c.detected_at.replace('T', " ")
                    ),
                    w,
                ),
                if i == pane.conflict_at { theme.selected() } else { theme.text() },
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(fit(lines, list.width)), list);
    if let Some(c) = l.conflicts.get(pane.conflict_at) {
        let base = match c.base_row.as_deref() {
            Some(b) => pretty_row(Some(b)),
            None => vec!["(none: the row was inserted on both sides)".to_string()],
        };
        let base_h = (base.len() as u16 + 1).min(body.height / 2);
        let [sides, base_area] = Layout::vertical([Constraint::Min(2), Constraint::Length(base_h)]).areas(body);
        let [left, right] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(sides);
        for (rect, title, row) in [
            (left, format!("source ({})", l.status.source), c.source_row.as_deref()),
            (right, format!("target ({})", l.status.target), c.target_row.as_deref()),
        ] {
            let cw = rect.width.saturating_sub(1) as usize;
            let mut lines = vec![Line::styled(cut(&title, cw), theme.title())];
            // Lines that differ from the base stand out: what each side changed.
            lines.extend(pretty_row(row).into_iter().map(|s| {
                let style = if base.contains(&s) { theme.text() } else { theme.warn() };
                Line::styled(cut(&s, cw), style)
            }));
            frame.render_widget(Paragraph::new(fit(lines, rect.width)), rect);
        }
        let mut lines = vec![Line::styled("base (the row before both changes):", theme.dim())];
        lines.extend(base.iter().map(|s| Line::styled(cut(s, base_area.width as usize), theme.dim())));
        frame.render_widget(Paragraph::new(fit(lines, base_area.width)), base_area);
    }
    frame.render_widget(
        Paragraph::new(hint(
            theme,
            &[(Command::TakeSource, "take source"), (Command::TakeTarget, "take target"), (Command::Cancel, "close")],
        )),
        keys,
    );
}

fn render_add(frame: &mut Frame, area: Rect, add: &Add, theme: &Theme) {
    match add {
        Add::Source(ch) => ch.render_popup(frame, area, theme, "Sync from (source)", "no profiles: add one in pane 1"),
        Add::Target { from, chooser } => chooser.render_popup(
            frame,
            area,
            theme,
            &format!("Sync {from} to (target)"),
            "no other profile: add one in pane 1",
        ),
        Add::Options { from, to, two_way, policy } => {
            let popup = centered(area, 64.min(area.width.saturating_sub(4)), 10.min(area.height.saturating_sub(2)));
            clear_around(frame, popup, area);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(Line::styled(format!(" New link {from} → {to} "), theme.title()));
            let mut lines = vec![
                Line::from(vec![
                    Span::styled("direction  ", theme.dim()),
                    Span::styled(
                        if *two_way { "two-way (both sides write)" } else { "one-way (source → target)" },
                        theme.field_active(),
                    ),
                ]),
                Line::from(vec![
                    Span::styled("conflicts  ", theme.dim()),
                    Span::styled(
                        if *two_way {
                            format!("◀ {} ▶", Policy::ALL[*policy].as_str())
                        } else {
                            "— (one-way)".into()
                        },
                        if *two_way { theme.field_active() } else { theme.dim() },
                    ),
                ]),
                Line::styled("tables     every table with a primary key", theme.dim()),
                Line::styled("           (the CLI's --tables picks some)", theme.dim()),
                Line::raw(""),
            ];
            lines.push(hint(theme, &[(Command::Select, "direction"), (Command::CycleNext, "policy")]));
            lines.push(hint(theme, &[(Command::Confirm, "see what it creates"), (Command::Cancel, "cancel")]));
            frame.render_widget(Paragraph::new(lines).block(block), popup);
        }
        Add::Preparing { .. } | Add::Creating { .. } => {
            let text = if matches!(add, Add::Preparing { .. }) {
                "reading both sides and planning…"
            } else {
                "creating: capture, then the initial copy…"
            };
            let popup = centered(area, 50.min(area.width.saturating_sub(4)), 3);
            clear_around(frame, popup, area);
            let block = Block::default().borders(Borders::ALL).border_style(theme.border(true));
            frame.render_widget(Paragraph::new(Line::styled(text, theme.warn())).block(block), popup);
        }
        Add::Preview { setup, text, scroll, tables, at } => {
            let popup = centered(area, area.width.saturating_sub(4), area.height.saturating_sub(2));
            clear_around(frame, popup, area);
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(Line::styled(" What the link will create ", theme.title()));
            let inner = block.inner(popup);
            frame.render_widget(block, popup);
            let list_h = (tables.len() as u16 + 1).min(inner.height / 3).max(2);
            let [list, body, keys] =
                Layout::vertical([Constraint::Length(list_h), Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            let chosen = tables.iter().filter(|t| t.1).count();
            let changed = tables.iter().filter(|t| t.1).map(|t| &t.0).ne(setup.link.tables.iter());
            let mut lines = vec![Line::styled(
                format!(
                    "tables ({chosen} of {}){}",
                    tables.len(),
                    if changed { " — Enter plans again for this choice" } else { "" }
                ),
                theme.dim(),
            )];
            let first = at.saturating_sub(list_h.saturating_sub(2) as usize);
            for (i, (t, on)) in tables.iter().enumerate().skip(first).take(list_h.saturating_sub(1) as usize) {
                lines.push(Line::styled(
                    cut(
                        &format!("{} [{}] {t}", if i == *at { "▶" } else { " " }, if *on { "x" } else { " " }),
                        list.width as usize,
                    ),
                    if i == *at { theme.selected() } else { theme.text() },
                ));
            }
            frame.render_widget(Paragraph::new(fit(lines, list.width)), list);
            let lines: Vec<Line> =
                text.iter().map(|l| Line::styled(cut(l, body.width as usize), theme.text())).collect();
            frame.render_widget(Paragraph::new(lines).scroll((*scroll, 0)), body);
            let enter = if changed { "plan again" } else { "create it" };
            frame.render_widget(
                Paragraph::new(hint(
                    theme,
                    &[
                        (Command::Confirm, enter),
                        (Command::Select, "table"),
                        (Command::PageDown, "scroll"),
                        (Command::Cancel, "cancel"),
                    ],
                )),
                keys,
            );
        }
    }
}
