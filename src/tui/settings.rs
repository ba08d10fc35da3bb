//! `settings.toml` in the config dir: the TUI's few switches. A missing file gives the defaults; a problem is
//! named with its line and the default stands.
/// The TUI's switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Clicks and the wheel (on by default); `mouse = false` leaves the terminal's own text selection alone.
    pub mouse: bool,
    /// Vim mode in the query editor (off by default; `V` in the results or the palette switches it live).
    pub vim: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { mouse: true, vim: false }
    }
}

pub fn load(path: &std::path::Path) -> (Settings, Vec<String>) {
    // Only a regular file: a FIFO or a device would block start-up.
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
    {
        return (Settings::default(), vec![format!("{}: not a regular file; the defaults apply", path.display())]);
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let (s, problems) = parse(&text);
            (s, problems.into_iter().map(|p| format!("{}:{p}", path.display())).collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Settings::default(), Vec::new()),
        Err(e) => (Settings::default(), vec![format!("{}: {e}; the defaults apply", path.display())]),
    }
}

/// The settings in `text`; problems start with their line.
pub fn parse(text: &str) -> (Settings, Vec<String>) {
    let mut s = Settings::default();
    let line = |key: &str| {
        text.lines()
            .position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim().trim_matches('"') == key))
            .map_or(0, |i| i + 1)
    };
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let at = e.span().map_or(0, |sp| text.get(..sp.start).map_or(0, |b| b.matches('\n').count() + 1));
            return (s, vec![format!("{at}: {}; the defaults apply", e.message())]);
        }
    };
    let mut problems = Vec::new();
    for (k, v) in &table {
        match (k.as_str(), v) {
            ("mouse", toml::Value::Boolean(b)) => s.mouse = *b,
            ("mouse", _) => problems.push(format!("{}: mouse = true or false", line(k))),
            ("vim", toml::Value::Boolean(b)) => s.vim = *b,
            ("vim", _) => problems.push(format!("{}: vim = true or false", line(k))),
            _ => problems.push(format!("{}: unknown setting `{}` (known: mouse, vim)", line(k), k.escape_debug())),
        }
    }
    // In the file's order (the table is sorted by name).
    problems.sort_by_key(|p: &String| p.split(':').next().and_then(|n| n.parse::<usize>().ok()).unwrap_or(0));
    (s, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_their_problems() {
        assert_eq!(parse("").0, Settings { mouse: true, vim: false });
        assert_eq!(parse("mouse = false\nvim = true\n").0, Settings { mouse: false, vim: true });
        let (s, p) = parse("# x\nmouse = \"no\"\ncolour = 1\nvim = 1\n");
        assert!(s.mouse && !s.vim);
        assert_eq!(
            p,
            ["2: mouse = true or false", "3: unknown setting `colour` (known: mouse, vim)", "4: vim = true or false"]
        );
        assert!(parse("mouse = \n").1[0].starts_with("1:"));
    }
}
