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

/// Why a key may never arrive as itself: terminals (and tmux) send Ctrl with Enter, Tab, Backspace, Esc, digits and
/// most punctuation as the plain key or not at all, and Ctrl-I, Ctrl-M, Ctrl-[ as Tab, Enter, Esc.
fn unsendable(code: KeyCode, mods: KeyModifiers) -> Option<String> {
    if !mods.contains(KeyModifiers::CONTROL) {
        return None;
    }
    match code {
        K::Enter | K::Tab | K::BackTab | K::Backspace | K::Esc => {
            Some("is sent as the key without Ctrl by most terminals and by tmux".into())
        }
        K::Char('i') => Some("arrives as Tab in a terminal".into()),
        K::Char('m') => Some("arrives as Enter in a terminal".into()),
        K::Char('[') => Some("arrives as Esc in a terminal".into()),
        K::Char(c) if c.is_ascii_lowercase() || matches!(c, ' ' | '@' | '\\' | ']' | '^' | '_') => None,
        K::Char(_) => Some("is not sent by most terminals (Ctrl works with letters)".into()),
        _ => None,
    }
}

/// The line of `key` inside `[section]` of a TOML text (1-based; 0 when not found).
fn line_of(lines: &std::collections::HashMap<(String, String), usize>, section: &str, key: &str) -> usize {
    lines.get(&(section.to_string(), key.to_string())).copied().unwrap_or(0)
}

/// Where each `[section]` (key "") and each `key` inside one starts, read once (a big file is read in one pass).
fn line_index(text: &str) -> std::collections::HashMap<(String, String), usize> {
    let mut out = std::collections::HashMap::new();
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        // A comment after the header or the key does not count.
        let t = line.split('#').next().unwrap_or("").trim();
        if let Some(name) = t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
            current = name.trim().trim_matches('"').to_string();
            out.entry((current.clone(), String::new())).or_insert(i + 1);
            continue;
        }
        if let Some((k, _)) = t.split_once('=') {
            out.entry((current.clone(), k.trim().trim_matches('"').to_string())).or_insert(i + 1);
        }
    }
    out
}

/// Reads `keymap.toml` over the defaults: each `[scope]` table names actions and the keys that replace their
/// default keys in that scope (`run = ["F5", "C-g", "r"]`, or one key as a string). Returns the bindings and the
/// problems, each with its line: unknown scopes, actions and key names, and conflicts (the file's binding wins
/// over a default one; between two of the file's, the first). A file that is missing gives the defaults; one
/// that is not TOML gives the defaults and says why.
pub fn load(path: &std::path::Path) -> (Vec<Binding>, Vec<String>) {
    let defaults = BINDINGS.to_vec();
    // Only a regular file: a FIFO or a device would block start-up.
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
    {
        return (defaults, vec![format!("{}: not a regular file; the default keys apply", path.display())]);
    }
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
            let line = e.span().map_or(0, |s| text.get(..s.start).map_or(0, |b| b.matches('\n').count() + 1));
            return (defaults, vec![format!("{line}: {}; the default keys apply", e.message())]);
        }
    };
    let mut out = defaults;
    let mut problems = Vec::new();
    // (scope, key) → the line of the file's binding that holds it.
    let mut taken: Vec<(Scope, KeyCode, KeyModifiers, usize, Command)> = Vec::new();
    // In the file's order (the table is sorted by name): the first of two bindings of one key wins.
    let index = line_index(text);
    let section_line = |name: &str| line_of(&index, name, "");
    let mut sections: Vec<(&String, &toml::Value)> = table.iter().collect();
    // [global] first: pane bindings are checked against the global keys as the file leaves them.
    sections.sort_by_key(|(name, _)| (name.as_str() != "global", section_line(name)));
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
        entries.sort_by_key(|(action, _)| line_of(&index, section, action));
        for (action, keys) in entries {
            let line = line_of(&index, section, action);
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
                toml::Value::Array(a) if a.is_empty() => {
                    problems.push(format!(
                        "{line}: {action}: an empty list unbinds nothing (every action keeps a key): the defaults stay"
                    ));
                    continue;
                }
                toml::Value::Array(a) => {
                    if a.iter().any(|v| !v.is_str()) {
                        problems.push(format!("{line}: {action}: keys are strings (\"5\", not 5); others skipped"));
                    }
                    a.iter().filter_map(|v| v.as_str()).collect()
                }
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
                let ctrl = mods.contains(KeyModifiers::CONTROL);
                if ctrl && matches!(code, K::Char('c') | K::Char('z')) && command != Command::Quit {
                    problems.push(format!(
                        "{line}: {action}: C-c (stop or quit) and C-z (suspend) are dbconsole's own; not bound"
                    ));
                    continue;
                }
                // Global keys are read before a pane's (outside the editor, forms and dialogs): a pane binding on
                // one would never be reached.
                let reads_global_first =
                    !matches!(scope, Scope::Global | Scope::Form | Scope::Dialog | Scope::QueryEditor);
                if reads_global_first
                    && let Some(g) = out.iter().find(|b| b.scope == Scope::Global && b.code == code && b.mods == mods)
                {
                    problems.push(format!(
                        "{line}: `{}` in [{section}] is the global {} key, which is read first: not bound (rebind \
                         the global one in [global] to free it)",
                        key_label(code, mods),
                        g.command.name()
                    ));
                    continue;
                }
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
            // The new keys take the place of the old ones (the help lists them in the same order as before).
            let mut at = out.iter().position(|b| b.scope == scope && b.command == command).unwrap_or(usize::MAX);
            out.retain(|b| !(b.scope == scope && b.command == command));
            for (code, mods) in accepted {
                if let Some(why) = unsendable(code, mods) {
                    problems.push(format!("{line}: {action}: `{}` {why}; bind another key too", key_label(code, mods)));
                }
                if scope == Scope::Global {
                    for b in out.iter().filter(|b| {
                        b.code == code
                            && b.mods == mods
                            && !matches!(b.scope, Scope::Global | Scope::Form | Scope::Dialog | Scope::QueryEditor)
                    }) {
                        problems.push(format!(
                            "{line}: `{}` for the global {} is read before [{}] {}, which no longer gets it",
                            key_label(code, mods),
                            command.name(),
                            b.scope.name(),
                            b.command.name()
                        ));
                    }
                }
                if let Some(old) = out.iter().position(|b| b.scope == scope && b.code == code && b.mods == mods) {
                    problems.push(format!(
                        "{line}: `{}` in [{section}] was {}; now {} (that default is dropped)",
                        key_label(code, mods),
                        out[old].command.name(),
                        command.name()
                    ));
                    out.remove(old);
                    if old < at {
                        at -= 1;
                    }
                }
                taken.push((scope, code, mods, line, command));
                let b = Binding { scope, code, mods, command, desc };
                if at < out.len() {
                    out.insert(at, b);
                    at += 1;
                } else {
                    out.push(b);
                }
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

    #[test]
    fn keys_the_global_scope_reads_first_are_refused_in_panes_and_said() {
        let (b, p) = apply("[profiles]\ntest = \"q\"\n", BINDINGS.to_vec());
        assert!(p[0].contains("`q` in [profiles] is the global quit key"), "{p:?}");
        assert!(b.iter().any(|x| x.scope == S::Profiles && x.command == C::Test && x.code == K::Char('t')));
        // Freed in [global] (wherever it stands in the file), the pane gets it.
        let (b, p) = apply("[profiles]\ntest = \"q\"\n[global]\nquit = \"Q\"\n", BINDINGS.to_vec());
        assert!(p.is_empty(), "{p:?}");
        assert!(b.iter().any(|x| x.scope == S::Profiles && x.command == C::Test && x.code == K::Char('q')));
        let (_, p) = apply("[global]\nmessages = \"t\"\n", BINDINGS.to_vec());
        assert!(p.iter().any(|x| x.contains("read before [profiles] test")), "{p:?}");
        let (_, p) = apply("[query_grid]\nrun = \"C-c\"\n", BINDINGS.to_vec());
        assert!(p[0].contains("dbconsole's own"), "{p:?}");
        let (b, p) = apply("[global]\nquit = []\n", BINDINGS.to_vec());
        assert!(p[0].contains("empty list"), "{p:?}");
        assert!(b.iter().any(|x| x.command == C::Quit));
        let (_, p) = apply("[global]\nquit = [\"Q\", 5]\n", BINDINGS.to_vec());
        assert!(p[0].contains("keys are strings"), "{p:?}");
        // Lines: a header with a comment, and a TOML error at the start of a line.
        let (_, p) = apply("# x\n[profiles]  # mine\nbogus = \"x\"\n", BINDINGS.to_vec());
        assert!(p[0].starts_with("3:"), "{p:?}");
        let (_, p) = apply("[global]\n= \"x\"\n", BINDINGS.to_vec());
        assert!(p[0].starts_with("2:"), "{p:?}");
    }

    #[test]
    fn keys_terminals_do_not_send_are_said_and_rebound_actions_keep_their_place() {
        let (b, p) = apply("[query_editor]\nrun = [\"C-Enter\", \"F9\"]\nrun_all = \"C-1\"\n", BINDINGS.to_vec());
        assert!(p[0].starts_with("2: run: `C-Enter` is sent as the key without Ctrl"), "{p:?}");
        assert!(p[1].starts_with("3: run_all: `C-1` is not sent by most terminals"), "{p:?}");
        assert_eq!(p.len(), 2, "{p:?}");
        // Bound all the same (some terminals with extended keys do send them).
        assert!(b.iter().any(|x| x.command == C::RunAll && x.code == K::Char('1')));
        let (_, p) = apply("[profiles]\ntest = [\"C-i\", \"C-y\", \"C-]\"]\n", BINDINGS.to_vec());
        assert!(p.len() == 1 && p[0].contains("`C-i` arrives as Tab"), "{p:?}");
        // The rebound action stays where its defaults were (the help's order).
        let order = |b: &[Binding]| -> Vec<Command> {
            let mut v: Vec<Command> = Vec::new();
            for x in b.iter().filter(|x| x.scope == S::Profiles) {
                if !v.contains(&x.command) {
                    v.push(x.command);
                }
            }
            v
        };
        let (b, p) = apply("[profiles]\ntest = \"T\"\n", BINDINGS.to_vec());
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(order(&b), order(BINDINGS));
        // Also when the new key was another action's default (that one is dropped).
        let (b, _) = apply("[profiles]\ntest = \"e\"\n", BINDINGS.to_vec());
        let mut expect = order(BINDINGS);
        if !b.iter().any(|x| x.scope == S::Profiles && x.command == C::Edit) {
            expect.retain(|c| *c != C::Edit);
        }
        assert_eq!(order(&b), expect);
    }

    #[test]
    fn a_big_keymap_file_reads_in_one_pass() {
        let mut text = String::from("[global]\n");
        for i in 0..5000 {
            text.push_str(&format!("nope_{i} = \"x\"\n"));
        }
        let (_, p) = apply(&text, BINDINGS.to_vec());
        assert_eq!(p.len(), 5000);
        assert!(p[4999].starts_with("5001:"), "{}", p[4999]);
    }

    #[test]
    fn a_fifo_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("keymap.toml");
        let c = std::ffi::CString::new(f.to_str().unwrap()).unwrap();
        // SAFETY: a NUL-terminated path and a mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (b, p) = load(&f);
        assert_eq!(b.len(), BINDINGS.len());
        assert!(p[0].contains("not a regular file"), "{p:?}");
        let (s, p) = crate::tui::settings::load(&f);
        assert!(s.mouse && p[0].contains("not a regular file"), "{p:?}");
    }

    proptest::proptest! {
        #[test]
        fn any_keymap_text_gives_bindings_without_panic(text in "\\PC{0,120}") {
            let _ = apply(&text, BINDINGS.to_vec());
            let _ = parse_key(&text);
        }
    }
}
