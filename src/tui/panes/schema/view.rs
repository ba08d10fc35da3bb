//! Drawing the schema pane: only the visible rows of the tree are built, so a 10,000-table catalog draws as fast
//! as a small one.
use crate::tui::widgets::fit;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{Count, Detail, Load, Row, SchemaPane, child_count};
use crate::core::catalog::{Catalog, Table, TableKind, ddl};
use crate::tui::keymap::{self, Command, Scope};
use crate::tui::theme::Theme;

/// The text of child line `k` of a table in the tree.
pub fn child_label(c: &Catalog, si: usize, ti: usize, k: usize) -> (String, &'static str) {
    let t = &c.schemas[si].tables[ti];
    let mut k = k;
    if k < t.columns.len() {
        let col = &t.columns[k];
        let mut s = format!("{} {}", col.name, col.data_type);
        if !col.nullable {
            s.push_str(" not null");
        }
        return (s, "column");
    }
    k -= t.columns.len();
    if let Some(pk) = &t.primary_key {
        if k == 0 {
            return (format!("PK ({})", pk.columns.join(", ")), "key");
        }
        k -= 1;
    }
    if k < t.unique_constraints.len() {
        return (format!("UNIQUE ({})", t.unique_constraints[k].columns.join(", ")), "key");
    }
    k -= t.unique_constraints.len();
    let idx: Vec<_> = t.indexes.iter().filter(|i| !i.constraint).collect();
    if k < idx.len() {
        return (format!("index {}", idx[k].name), "index");
    }
    k -= idx.len();
    if k < t.foreign_keys.len() {
        let fk = &t.foreign_keys[k];
        return (format!("FK ({}) → {}", fk.columns.join(", "), fk.referenced_table), "fk");
    }
    k -= t.foreign_keys.len();
    if k < t.checks.len() {
        return (format!("CHECK {}", t.checks[k].name.as_deref().unwrap_or("")), "check");
    }
    k -= t.checks.len();
    match t.triggers.get(k) {
        Some(tr) => (format!("trigger {}", tr.name), "trigger"),
        None => (String::new(), ""),
    }
}

use crate::core::catalog::describe::{self, bytes, count as human};

pub fn render(frame: &mut Frame, area: Rect, pane: &SchemaPane, theme: &Theme, connected: Option<&str>) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(" Schema ", theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [status, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(inner);
    let status_line = match (&pane.load, &pane.catalog) {
        (Load::Idle, _) => Line::styled(
            match connected {
                Some(p) => format!("{p}: press {} to read the catalog", keymap::hint(Scope::Schema, Command::Refresh)),
                None => "Connect a profile first (Enter in the Profiles pane).".to_string(),
            },
            theme.dim(),
        ),
        (Load::Loading { stage, .. }, _) => match pane.names_only {
            Some((n, t)) => Line::styled(
                format!("{} table(s)/view(s) listed in {} ms · reading {stage}…", human(n as i64), t.as_millis()),
                theme.warn(),
            ),
            None => Line::styled(format!("Reading the catalog… {stage}"), theme.warn()),
        },
        (Load::Failed { message }, _) => Line::from(vec![
            Span::styled(format!("Could not read the catalog: {message} "), theme.field_error()),
            Span::styled(format!("{} retry", keymap::hint(Scope::Schema, Command::Refresh)), theme.key()),
        ]),
        (Load::Loaded { elapsed }, Some(c)) => Line::styled(
            format!(
                "{} table(s)/view(s) in {} schema(s) · read in {} ms · {} {} · {}{}",
                human(c.table_count() as i64),
                c.schemas.len(),
                elapsed.as_millis(),
                c.engine,
                c.server_version,
                crate::core::text::tilde(&c.database),
                if c.warnings.is_empty() { String::new() } else { format!(" · ⚠ {}", c.warnings[0]) }
            ),
            theme.dim(),
        ),
        (Load::Loaded { .. }, None) => Line::raw(""),
    };
    frame.render_widget(Paragraph::new(fit(status_line, status.width)), status);
    let Some(c) = pane.catalog.clone() else { return };
    // Narrow and tall (beside another pane): the tree above the details; else the tree on the left.
    let [tree, detail] = if body.width < 64 && body.height >= 28 {
        Layout::vertical([Constraint::Percentage(50), Constraint::Min(5)]).areas(body)
    } else {
        let tree_w = (body.width * 2 / 5).clamp(24.min(body.width), 48);
        Layout::horizontal([Constraint::Length(tree_w), Constraint::Min(10)]).areas(body)
    };
    render_tree(frame, tree, pane, &c, theme);
    render_detail(frame, detail, pane, &c, theme);
}

fn render_tree(frame: &mut Frame, area: Rect, pane: &SchemaPane, c: &Catalog, theme: &Theme) {
    let show_filter = pane.filtering || !pane.filter.is_empty();
    let [list, filter] = Layout::vertical([Constraint::Min(1), Constraint::Length(u16::from(show_filter))]).areas(area);
    let height = list.height as usize;
    let offset = pane.scroll_into_view(height);
    pane.tree_area.set(list);
    let w = list.width as usize;
    let mut lines = Vec::with_capacity(height);
    for (i, row) in pane.rows.iter().enumerate().skip(offset).take(height) {
        let selected = i == pane.selected;
        let (text, style) = match *row {
            Row::Schema(si) => {
                let s = &c.schemas[si];
                let open = !pane.collapsed_schemas.contains(&si) || !pane.filter.is_empty();
                (format!("{} {} ({})", if open { "▾" } else { "▸" }, s.name, s.tables.len()), theme.title())
            }
            Row::Table(si, ti) => {
                let t = &c.schemas[si].tables[ti];
                let marker = if child_count(c, si, ti) == 0 {
                    " "
                } else if pane.expanded.contains(&(si, ti)) {
                    "▾"
                } else {
                    "▸"
                };
                let kind = match t.kind {
                    TableKind::Table => "",
                    TableKind::View => " (view)",
                    TableKind::MaterializedView => " (mat. view)",
                    TableKind::ForeignTable => " (foreign)",
                };
                (format!("  {marker} {}{kind}", t.name), theme.text())
            }
            Row::Child(si, ti, k) => {
                let (label, _) = child_label(c, si, ti, k);
                (format!("      {label}"), theme.dim())
            }
        };
        // Cut with an ellipsis where it does not fit; padded to the width so the selection is a whole bar.
        let style = if selected { theme.selected() } else { style };
        let mut line = fit(Line::styled(text, style), list.width).lines.remove(0);
        let pad = w.saturating_sub(line.width());
        line.spans.push(Span::styled(" ".repeat(pad), style));
        lines.push(line);
    }
    if pane.rows.is_empty() {
        lines.push(Line::styled(
            if pane.filter.is_empty() {
                "(no tables)".to_string()
            } else {
                format!("nothing matches `{}`", pane.filter)
            },
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(fit(lines, list.width)), list);
    if show_filter {
        let matches = pane.rows.iter().filter(|r| matches!(r, Row::Table(..))).count();
        let cursor = if pane.filtering { "▏" } else { "" };
        // Narrow: the end of what is typed stays in view (with the cursor), the count goes first.
        let typed: Vec<char> = format!("{}{cursor}", pane.filter).chars().collect();
        let count = format!("  {} match(es)", human(matches as i64));
        let room = usize::from(filter.width).saturating_sub(1);
        let (typed, count) = if typed.len() + count.chars().count() <= room {
            (typed.iter().collect::<String>(), count)
        } else {
            let keep = room.saturating_sub(1).min(typed.len());
            (format!("…{}", typed[typed.len() - keep..].iter().collect::<String>()), String::new())
        };
        frame.render_widget(
            Paragraph::new(fit(
                Line::from(vec![
                    Span::styled("/", theme.key()),
                    Span::styled(typed, theme.text()),
                    Span::styled(count, theme.dim()),
                ]),
                filter.width,
            )),
            filter,
        );
    }
}

/// Where the tree was drawn (its left edge).
fn tree_x(pane: &SchemaPane) -> u16 {
    pane.tree_area.get().x
}

fn render_detail(frame: &mut Frame, area: Rect, pane: &SchemaPane, c: &Catalog, theme: &Theme) {
    // A line between the tree and the details: on their left, or above them when they are below the tree.
    let side = if area.x == tree_x(pane) { Borders::TOP } else { Borders::LEFT };
    let block = Block::default().borders(side).border_style(theme.border(false));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some((si, ti)) = pane.selected_table() else {
        let mut lines = vec![Line::styled("Select a table or view.", theme.dim())];
        if let Some(Row::Schema(si)) = pane.rows.get(pane.selected) {
            let s = &c.schemas[*si];
            lines.push(Line::styled(
                format!(
                    "schema {}: {} tables/views, {} sequences, {} enum types, {} functions",
                    s.name,
                    s.tables.len(),
                    s.sequences.len(),
                    s.enums.len(),
                    s.functions.len()
                ),
                theme.text(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    };
    let s = &c.schemas[si];
    let t = &s.tables[ti];
    if pane.names_only.is_some() {
        let lines = vec![
            Line::styled(format!("{} {}.{}", t.kind.as_str(), s.name, t.name), theme.title()),
            Line::styled("Its columns, keys and indexes are being read…", theme.dim()),
        ];
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        return;
    }
    let mut lines: Vec<Line> = Vec::new();
    let mut head = format!("{} {}.{}", t.kind.as_str(), s.name, t.name);
    if let Some(r) = t.row_estimate {
        head.push_str(&format!(" · ~{} rows", human(r)));
    }
    if let Some(b) = t.size_bytes {
        head.push_str(&format!(" · {}", bytes(b)));
    }
    if let Some(e) = &t.storage_engine {
        head.push_str(&format!(" · {e}"));
    }
    if t.without_rowid {
        head.push_str(" · WITHOUT ROWID");
    }
    if t.strict {
        head.push_str(" · STRICT");
    }
    lines.push(Line::styled(head, theme.title()));
    match pane.counts.get(&(s.name.clone(), t.name.clone())) {
        Some(Count::Running(_)) => lines.push(Line::styled(
            format!("counting rows… ({} cancels)", keymap::hint(Scope::Schema, Command::CancelJob)),
            theme.warn(),
        )),
        Some(Count::Done { rows, ms }) => {
            lines.push(Line::styled(format!("{} rows exactly (counted in {ms:.0} ms)", human(*rows)), theme.ok()))
        }
        Some(Count::Failed(e)) => lines.push(Line::styled(format!("count failed: {e}"), theme.field_error())),
        None => {}
    }
    if let Some(cm) = &t.comment {
        lines.push(Line::styled(cm.clone(), theme.dim()));
    }
    let tabs = [
        (Detail::Columns, Command::ShowColumns, "columns"),
        (Detail::Indexes, Command::ShowIndexes, "keys & indexes"),
        (Detail::ForeignKeys, Command::ShowForeignKeys, "foreign keys"),
        (Detail::Ddl, Command::ShowDdl, "DDL"),
    ];
    let mut tab_spans = Vec::new();
    for (d, cmd, label) in tabs {
        tab_spans.push(Span::styled(keymap::hint(Scope::Schema, cmd), theme.key()));
        tab_spans.push(Span::styled(format!(" {label}  "), theme.tab(pane.detail == d)));
    }
    lines.push(Line::from(tab_spans));
    match pane.detail {
        Detail::Columns => columns(&mut lines, t, theme),
        Detail::Indexes => indexes(&mut lines, t, theme),
        Detail::ForeignKeys => {
            lines.push(Line::styled("references", theme.title()));
            if t.foreign_keys.is_empty() {
                lines.push(Line::styled("  (none)", theme.dim()));
            }
            for fk in &t.foreign_keys {
                lines.push(Line::styled(format!("  {}", describe::references(fk)), theme.text()));
            }
            lines.push(Line::styled("referenced by", theme.title()));
            let by = c.referenced_by(&s.name, &t.name);
            if by.is_empty() {
                lines.push(Line::styled("  (none)", theme.dim()));
            }
            for (rs, rt, fk) in by {
                lines.push(Line::styled(format!("  {}", describe::referenced_by(rs, rt, fk)), theme.text()));
            }
        }
        Detail::Ddl => {
            for l in ddl::object_ddl(c.engine, &s.name, t).lines() {
                lines.push(Line::styled(l.to_string(), theme.text()));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((pane.detail_scroll, 0)), inner);
}

fn columns(lines: &mut Vec<Line>, t: &Table, theme: &Theme) {
    let w = t.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(4).clamp(4, 28);
    let tw = t.columns.iter().map(|c| c.data_type.chars().count()).max().unwrap_or(4).clamp(4, 26);
    lines.push(Line::styled(format!("{:<w$} {:<tw$} null  default / extra", "name", "type"), theme.dim()));
    for c in &t.columns {
        let mut extra = describe::column_extras(c);
        if let Some(cm) = &c.comment {
            extra.push(format!("-- {cm}"));
        }
        let pk = t.primary_key.as_ref().is_some_and(|k| k.columns.contains(&c.name));
        lines.push(Line::from(vec![
            Span::styled(format!("{:<w$} ", c.name), if pk { theme.key() } else { theme.text() }),
            Span::styled(format!("{:<tw$} ", c.data_type), theme.text()),
            Span::styled(format!("{:<5} ", if c.nullable { "yes" } else { "no" }), theme.dim()),
            Span::styled(extra.join(" "), theme.dim()),
        ]));
    }
}

fn indexes(lines: &mut Vec<Line>, t: &Table, theme: &Theme) {
    let before = lines.len();
    let mut text = Vec::new();
    if let Some(pk) = &t.primary_key {
        text.push(describe::key("primary key", pk));
    }
    text.extend(t.unique_constraints.iter().map(|u| describe::key("unique", u)));
    text.extend(t.indexes.iter().map(describe::index));
    text.extend(t.checks.iter().map(describe::check));
    text.extend(t.triggers.iter().map(describe::trigger));
    lines.extend(text.into_iter().map(|l| Line::styled(l, theme.text())));
    if lines.len() == before {
        lines.push(Line::styled("(no keys, indexes, checks or triggers)", theme.dim()));
    }
}
