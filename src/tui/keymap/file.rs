//! keymap.toml: the user's keys over the defaults, every problem named with its line.
use crossterm::event::{KeyCode, KeyModifiers};

use super::{BINDINGS, Binding, Command, Scope, key_label};

use KeyCode as K;

impl Command {
    /// The action's name in keymap.toml and the palette: `next_pane`, `explain_analyze`, `pane_3`.
    pub fn name(self) -> String {
        if let Command::GoPane(i) = self {
            return format!("pane_{}", i + 1);
        }
        let debug = format!("{self:?}");
        let mut out = String::new();
        for (i, c) in debug.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// A key as written in keymap.toml: `q`, `G`, `C-g` (also `Ctrl-g`, `ctrl+g`), `M-x` / `Alt-x`, `S-Tab`, `F5`,
/// `Enter`, `Esc`, `Tab`, `Space`, `Backspace`, `Del`, `Ins`, `Home`, `End`, `PgUp`, `PgDn`, `Up`/`↑` and the
/// other arrows.
pub fn parse_key(text: &str) -> Result<(KeyCode, KeyModifiers), String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("an empty key".into());
    }
    let mut mods = KeyModifiers::NONE;
    let mut shift = false;
    loop {
        let lower = rest.to_ascii_lowercase();
        let prefix = ["c-", "ctrl-", "ctrl+", "control-", "m-", "alt-", "alt+", "meta-", "s-", "shift-", "shift+"]
            .iter()
            .find(|p| lower.starts_with(**p) && rest.len() > p.len());
        let Some(p) = prefix else { break };
        match p.chars().next() {
            Some('c') => mods |= KeyModifiers::CONTROL,
            Some('m') | Some('a') => mods |= KeyModifiers::ALT,
            _ => shift = true,
        }
        rest = &rest[p.len()..];
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" | "return" | "ret" => K::Enter,
        "esc" | "escape" => K::Esc,
        "tab" if shift => K::BackTab,
        "tab" => K::Tab,
        "backtab" => K::BackTab,
        "space" | "spc" => K::Char(' '),
        "backspace" | "bs" => K::Backspace,
        "del" | "delete" => K::Delete,
        "ins" | "insert" => K::Insert,
        "home" => K::Home,
        "end" => K::End,
        "pgup" | "pageup" => K::PageUp,
        "pgdn" | "pagedown" => K::PageDown,
        "up" | "↑" => K::Up,
        "down" | "↓" => K::Down,
        "left" | "←" => K::Left,
        "right" | "→" => K::Right,
        f if f.len() >= 2 && f.starts_with('f') && f[1..].bytes().all(|b| b.is_ascii_digit()) => {
            let n: u8 = f[1..].parse().map_err(|_| format!("`{text}`: no such function key"))?;
            if !(1..=24).contains(&n) {
                return Err(format!("`{text}`: function keys go from F1 to F24"));
            }
            K::F(n)
        }
        _ => {
            let mut chars = rest.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) if !c.is_control() => {
                    let c = if shift { c.to_uppercase().next().unwrap_or(c) } else { c };
                    // Terminals send Ctrl with a letter as the lower-case letter.
                    K::Char(if mods.contains(KeyModifiers::CONTROL) { c.to_ascii_lowercase() } else { c })
                }
                _ => {
                    return Err(format!(
                        "`{}`: not a key name (a character, C-x, M-x, S-Tab, F1–F24, Enter, Esc, Tab, Space, \
                         Backspace, Del, Ins, Home, End, PgUp, PgDn, Up, Down, Left, Right)",
                        text.escape_debug()
                    ));
                }
            }
        }
    };
    Ok((code, mods))
}

/// The line of `key` inside `[section]` of a TOML text (1-based; 0 when not found).
fn line_of(text: &str, section: &str, key: &str) -> usize {
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            current = name.trim().trim_matches('"').to_string();
            continue;
        }
        let k = t.split('=').next().unwrap_or("").trim().trim_matches('"');
        if current == section && k == key {
            return i + 1;
        }
    }
    0
}

/// Reads `keymap.toml` over the defaults: each `[scope]` table names actions and the keys that replace their
/// default keys in that scope (`run = ["F5", "C-g", "r"]`, or one key as a string). Returns the bindings and the
/// problems, each with its line: unknown scopes, actions and key names, and conflicts (the file's binding wins
/// over a default one; between two of the file's, the first). A file that is missing gives the defaults; one
/// that is not TOML gives the defaults and says why.
pub fn load(path: &std::path::Path) -> (Vec<Binding>, Vec<String>) {
    let defaults = BINDINGS.to_vec();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (defaults, Vec::new()),
        Err(e) => return (defaults, vec![format!("{}: {e}; the default keys apply", path.display())]),
    };
    let (bindings, problems) = apply(&text, defaults);
    let shown = path.display().to_string();
    (bindings, problems.into_iter().map(|p| format!("{shown}:{p}")).collect())
}

/// The keymap text over `defaults` (see [`load`]); problems start with their line number.
pub fn apply(text: &str, defaults: Vec<Binding>) -> (Vec<Binding>, Vec<String>) {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].lines().count().max(1));
            return (defaults, vec![format!("{line}: {}; the default keys apply", e.message())]);
        }
    };
    let mut out = defaults;
    let mut problems = Vec::new();
    // (scope, key) → the line of the file's binding that holds it.
    let mut taken: Vec<(Scope, KeyCode, KeyModifiers, usize, Command)> = Vec::new();
    // In the file's order (the table is sorted by name): the first of two bindings of one key wins.
    let section_line = |name: &str| text.lines().position(|l| l.trim() == format!("[{name}]")).map_or(0, |i| i + 1);
    let mut sections: Vec<(&String, &toml::Value)> = table.iter().collect();
    sections.sort_by_key(|(name, _)| section_line(name));
    for (section, value) in sections {
        let Some(scope) = Scope::ALL.iter().copied().find(|s| s.name() == section) else {
            let names: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
            problems.push(format!(
                "{}: unknown section [{}] (sections: {})",
                section_line(section),
                section.escape_debug(),
                names.join(", ")
            ));
            continue;
        };
        let Some(actions) = value.as_table() else {
            problems.push(format!("{}: [{section}] must be a table of action = keys", section_line(section)));
            continue;
        };
        let mut entries: Vec<(&String, &toml::Value)> = actions.iter().collect();
        entries.sort_by_key(|(action, _)| line_of(text, section, action));
        for (action, keys) in entries {
            let line = line_of(text, section, action);
            let mut known: Vec<Command> = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.scope == scope) {
                if !known.contains(&b.command) {
                    known.push(b.command);
                }
            }
            let Some(command) = known.iter().copied().find(|c| c.name() == *action) else {
                let names: Vec<String> = known.iter().map(|c| c.name()).collect();
                problems.push(format!(
                    "{line}: [{section}] has no action `{}` (its actions: {})",
                    action.escape_debug(),
                    names.join(", ")
                ));
                continue;
            };
            let list: Vec<&str> = match keys {
                toml::Value::String(k) => vec![k.as_str()],
                toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                _ => {
                    problems.push(format!("{line}: {action}: give a key as a string, or several as a list"));
                    continue;
                }
            };
            let mut parsed = Vec::new();
            for k in list {
                match parse_key(k) {
                    Ok(x) => parsed.push(x),
                    Err(e) => problems.push(format!("{line}: {action}: {e}")),
                }
            }
            if parsed.is_empty() {
                continue;
            }
            let desc = BINDINGS.iter().find(|b| b.scope == scope && b.command == command).map_or("", |b| b.desc);
            // Keys another of the file's bindings holds stay there; with none left, the defaults stay.
            let mut accepted = Vec::new();
            for (code, mods) in parsed {
                match taken.iter().find(|t| t.0 == scope && t.1 == code && t.2 == mods) {
                    Some(t) => problems.push(format!(
                        "{line}: `{}` in [{section}] is already {} (line {}): kept there",
                        key_label(code, mods),
                        t.4.name(),
                        t.3
                    )),
                    None => accepted.push((code, mods)),
                }
            }
            if accepted.is_empty() {
                continue;
            }
            out.retain(|b| !(b.scope == scope && b.command == command));
            for (code, mods) in accepted {
                if let Some(old) = out.iter().position(|b| b.scope == scope && b.code == code && b.mods == mods) {
                    problems.push(format!(
                        "{line}: `{}` in [{section}] was {}; now {} (that default is dropped)",
                        key_label(code, mods),
                        out[old].command.name(),
                        command.name()
                    ));
                    out.remove(old);
                }
                taken.push((scope, code, mods, line, command));
                out.push(Binding { scope, code, mods, command, desc });
            }
        }
    }
    (out, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Command as C;
    use Scope as S;

    #[test]
    fn key_names() {
        let k = |s: &str| parse_key(s).unwrap();
        assert_eq!(k("q"), (K::Char('q'), KeyModifiers::NONE));
        assert_eq!(k("C-g"), (K::Char('g'), KeyModifiers::CONTROL));
        assert_eq!(k("Ctrl+G"), (K::Char('g'), KeyModifiers::CONTROL));
        assert_eq!(k("M-x"), (K::Char('x'), KeyModifiers::ALT));
        assert_eq!(k("S-Tab"), (K::BackTab, KeyModifiers::NONE));
        assert_eq!(k("S-a"), (K::Char('A'), KeyModifiers::NONE));
        assert_eq!(k("F12"), (K::F(12), KeyModifiers::NONE));
        assert_eq!(k("pgdn"), (K::PageDown, KeyModifiers::NONE));
        assert_eq!(k("-"), (K::Char('-'), KeyModifiers::NONE));
        assert_eq!(k("C--"), (K::Char('-'), KeyModifiers::CONTROL));
        assert_eq!(k("ü"), (K::Char('ü'), KeyModifiers::NONE));
        for bad in ["", "F0", "F99", "Ctrl-", "foo", "\u{1b}", "a\0"] {
            assert!(parse_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_keymap_file_rebinds_and_reports_with_lines() {
        let text = "[profiles]\ntest = \"T\"\n\n[query_grid]\nrun = [\"z\", \"F5\"]\nexport = \"z\"\nbogus = \"x\"\nsort = \"Hyper-q\"\n\n[nowhere]\nx = \"y\"\n";
        let (b, problems) = apply(text, BINDINGS.to_vec());
        let find = |scope: Scope, code: KeyCode| {
            b.iter().find(|x| x.scope == scope && x.code == code && x.mods.is_empty()).map(|x| x.command)
        };
        assert_eq!(find(S::Profiles, K::Char('T')), Some(C::Test));
        assert_eq!(find(S::Profiles, K::Char('t')), None, "the default key of a rebound action is gone");
        assert_eq!(find(S::QueryGrid, K::Char('z')), Some(C::Run));
        assert_eq!(find(S::QueryGrid, K::Char('r')), None);
        assert_eq!(find(S::QueryGrid, K::Char('x')), Some(C::Export), "export's default stays: its new key was taken");
        let all = problems.join("\n");
        assert!(all.contains("6: `z` in [query_grid] is already run (line 5)"), "{all}");
        assert!(all.contains("7: [query_grid] has no action `bogus`"), "{all}");
        assert!(all.contains("8: sort: `Hyper-q`: not a key name"), "{all}");
        assert!(all.contains("10: unknown section [nowhere]"), "{all}");
        // A default taken by the file's binding is dropped and said.
        let (b, problems) = apply("[query_grid]\nrun = \"x\"\n", BINDINGS.to_vec());
        assert!(problems[0].contains("`x` in [query_grid] was export; now run"), "{problems:?}");
        assert_eq!(b.iter().filter(|x| x.scope == S::QueryGrid && x.code == K::Char('x')).count(), 1);
        // Not TOML: the defaults, and the line.
        let (b, problems) = apply("[global]\nquit = [\n", BINDINGS.to_vec());
        assert_eq!(b.len(), BINDINGS.len());
        assert!(problems[0].starts_with("2:") || problems[0].starts_with("3:"), "{problems:?}");
    }

    proptest::proptest! {
        #[test]
        fn any_keymap_text_gives_bindings_without_panic(text in "\\PC{0,120}") {
            let _ = apply(&text, BINDINGS.to_vec());
            let _ = parse_key(&text);
        }
    }
}
