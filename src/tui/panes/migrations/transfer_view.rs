//! Drawing the transfer view: the chooser, the compatibility report, the gauges, the result and the verify table.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use super::transfer::*;
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, v: &TransferView, theme: &Theme, from: Option<&str>) {
    frame.render_widget(Clear, area);
    let title = format!(" Transfer from {} ", from.unwrap_or("?"));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let hint = |pairs: &[(Command, &str)]| {
        let mut s = Vec::new();
        for (c, d) in pairs {
            s.push(Span::styled(format!(" {} ", keymap::hint(Scope::Migrations, *c)), theme.key()));
            s.push(Span::styled(d.to_string(), theme.dim()));
        }
        Line::from(s)
    };
    match &v.stage {
        Stage::Idle => {}
        Stage::Choosing(chooser) => {
            let mut lines = vec![Line::styled("Move this database's tables and data to:", theme.text())];
            lines.extend(chooser.lines(theme));
            lines.push(Line::raw(""));
            lines.push(hint(&[(Command::Confirm, "plan"), (Command::Cancel, "close")]));
            frame.render_widget(Paragraph::new(fit(lines, inner.width)), inner);
        }
        Stage::Planning(_) => frame.render_widget(
            Paragraph::new(Line::styled("reading the source and probing its data…", theme.warn())),
            inner,
        ),
        Stage::Planned => {
            let [body, keys] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
            let lines: Vec<Line> = v
                .report
                .lines()
                .map(|l| {
                    let st = if l.contains("LOSSY") || l.contains("NOT ") || l.trim_start().starts_with('!') {
                        theme.warn()
                    } else {
                        theme.text()
                    };
                    Line::styled(l.to_string(), st)
                })
                .collect();
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((v.scroll, 0)), body);
            frame.render_widget(
                Paragraph::new(hint(&[
                    (Command::Apply, "run"),
                    (Command::DetailDown, "scroll"),
                    (Command::Cancel, "close"),
                ])),
                keys,
            );
        }
        Stage::Running(_) | Stage::Ran(_) | Stage::Verifying(_) | Stage::Verified(_) => {
            let n = v.tables.len() as u16;
            let [head, gauges, tail] =
                Layout::vertical([Constraint::Length(1), Constraint::Length(n), Constraint::Min(1)]).areas(inner);
            // Overall: rows, bytes read, rows/s, ETA.
            let (done, total): (u64, u64) = v.tables.iter().fold((0, 0), |a, t| (a.0 + t.1, a.1 + t.2));
            let secs = v.load_secs.or(v.started.map(|s| s.elapsed().as_secs_f64())).unwrap_or(0.0).max(0.001);
            let rate = done as f64 / secs;
            let eta = if rate > 0.0 && total > done && matches!(v.stage, Stage::Running(_)) {
                format!(" · ETA {:.0} s", (total - done) as f64 / rate)
            } else {
                String::new()
            };
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(
                        "stage: {} · {done}/{total} rows · {:.1} MB read · {:.0} rows/s{eta}",
                        v.phase,
                        v.bytes as f64 / 1e6,
                        rate
                    ),
                    theme.text(),
                )),
                head,
            );
            for (i, (name, done, total, finished)) in v.tables.iter().enumerate() {
                let r = Rect::new(gauges.x, gauges.y + i as u16, gauges.width, 1);
                let ratio = if *total == 0 {
                    if *finished { 1.0 } else { 0.0 }
                } else {
                    (*done as f64 / *total as f64).min(1.0)
                };
                let g = Gauge::default()
                    .gauge_style(if *finished { theme.ok() } else { theme.warn() })
                    .ratio(ratio)
                    .label(format!("{name}: {done}/{total} rows"));
                frame.render_widget(g, r);
            }
            let mut lines = Vec::new();
            match &v.stage {
                Stage::Ran(Ok(r)) => {
                    let rows: u64 = r.tables.iter().map(|t| t.rows).sum();
                    let rejected: u64 = r.tables.iter().map(|t| t.rejected).sum();
                    if rejected > 0 || !r.failed_steps.is_empty() {
                        lines.push(Line::styled(
                            format!(
                                "finished with losses: {rows} rows in {:.1} s; the target does not hold everything",
                                r.seconds
                            ),
                            theme.danger(),
                        ));
                    } else {
                        lines.push(Line::styled(format!("done: {rows} rows in {:.1} s", r.seconds), theme.ok()));
                    }
                    if rejected > 0 {
                        lines.push(Line::styled(format!("{rejected} row(s) refused: see {}", r.rejects), theme.warn()));
                    }
                    for (what, e) in &r.failed_steps {
                        lines.push(Line::styled(
                            format!("not created: {what}: {}", e.lines().next().unwrap_or("")),
                            theme.warn(),
                        ));
                    }
                    lines.push(hint(&[(Command::Verify, "verify"), (Command::Cancel, "close")]));
                }
                Stage::Ran(Err(e)) => {
                    lines.push(Line::styled(format!("failed: {e}"), theme.danger()));
                    lines.push(Line::styled(
                        "the run is checkpointed: `dbconsole transfer run PLAN --resume` continues it",
                        theme.text(),
                    ));
                }
                Stage::Verifying(_) => {
                    lines.push(Line::styled("verifying: counts and checksums on both sides…", theme.warn()))
                }
                Stage::Verified(Ok(checks)) => {
                    for c in checks {
                        let st = if c.ok { theme.ok() } else { theme.danger() };
                        lines.push(Line::styled(
                            format!(
                                "{} {}: source {} rows, target {} rows",
                                if c.ok { "OK  " } else { "DIFF" },
                                c.table,
                                c.source_rows,
                                c.target_rows
                            ),
                            st,
                        ));
                    }
                }
                Stage::Verified(Err(e)) => lines.push(Line::styled(format!("verify failed: {e}"), theme.danger())),
                _ => {}
            }
            if matches!(v.stage, Stage::Running(_)) {
                for e in v.errors.iter().take(3) {
                    lines.push(Line::styled(e.lines().next().unwrap_or("").to_string(), theme.warn()));
                }
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), tail);
        }
    }
}
