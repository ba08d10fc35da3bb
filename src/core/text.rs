//! Text from a database on a terminal: control characters are made visible, so that a value cannot move the
//! cursor, change colours, retitle the window or clear the screen (an ESC sequence stored in a row), while printable
//! text in any script (é, 漢) is kept as it is. The CLI's tables and listings and the TUI's grid show the same form.
use std::borrow::Cow;
use std::fmt::Write as _;

/// What happens to line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// Kept: multi-line text printed as lines (`\r` is still escaped: it would overwrite the line).
    Keep,
    /// `↵` and `→`, for one cell on one line (a CR LF pair is one `↵`).
    Arrows,
}

/// $HOME without its trailing `/`, read once (paths are shown on every frame).
fn home() -> &'static str {
    static HOME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOME.get_or_init(|| std::env::var("HOME").unwrap_or_default().trim_end_matches('/').to_string())
}

/// A path as a person reads it: under the home directory it starts with `~/` (shorter, and a screenshot or a
/// screen shared does not show the account's home).
pub fn tilde(path: &str) -> Cow<'_, str> {
    let home = home();
    match path.strip_prefix(home) {
        Some(rest) if !home.is_empty() && rest.starts_with('/') => Cow::Owned(format!("~{rest}")),
        _ => Cow::Borrowed(path),
    }
}

/// [`tilde`] for every path under the home directory inside a text (a message naming a file).
pub fn tilde_in(text: &str) -> Cow<'_, str> {
    let home = home();
    if home.is_empty() || !text.contains(&format!("{home}/")) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.replace(&format!("{home}/"), "~/"))
}

/// Multi-line text for a terminal: every control character but newline and tab as an escape — `\x1b` for ESC,
/// `\x07` for BEL, `\x00` for NUL, `\x0d` for CR, `\u{9b}` for the C1 controls. Borrowed when nothing needs it.
pub fn escape_control(s: &str) -> Cow<'_, str> {
    escape(s, Breaks::Keep)
}

/// One cell on one line (a grid, a text table): newline as `↵`, tab as `→`, other control characters escaped as
/// [`escape_control`] does.
pub fn one_line(s: &str) -> Cow<'_, str> {
    escape(s, Breaks::Arrows)
}

fn escape(s: &str, breaks: Breaks) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, breaks) {
            (c, _) if !c.is_control() => out.push(c),
            ('\n' | '\t', Breaks::Keep) => out.push(c),
            ('\n', Breaks::Arrows) => out.push('↵'),
            ('\t', Breaks::Arrows) => out.push('→'),
            ('\r', Breaks::Arrows) if chars.peek() == Some(&'\n') => {}
            (c, _) => push_escape(&mut out, c),
        }
    }
    Cow::Owned(out)
}

fn push_escape(out: &mut String, c: char) {
    let n = c as u32;
    if n < 0x80 {
        let _ = write!(out, "\\x{n:02x}");
    } else {
        let _ = write!(out, "\\u{{{n:x}}}");
    }
}

/// A duration for people: `850 ms`, `2.3 s`, `14 min`, `3.5 h`.
pub fn human_ms(ms: i64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 120_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else if ms < 7_200_000 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{:.1} h", ms as f64 / 3_600_000.0)
    }
}

/// A size for people: `512 kB`, `3.1 MB`.
pub fn human_bytes(b: i64) -> String {
    if b < 1024 * 1024 { format!("{} kB", b / 1024) } else { format!("{:.1} MB", b as f64 / 1048576.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_becomes_a_tilde() {
        let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
        assert_eq!(tilde(&format!("{home}/x/demo.sqlite")), "~/x/demo.sqlite");
        assert_eq!(tilde(&format!("{home}x/other")), format!("{home}x/other"), "a sibling directory stays");
        assert_eq!(tilde("/srv/app.db"), "/srv/app.db");
    }

    #[test]
    fn control_characters_are_escaped_and_printable_text_kept() {
        let hostile = "a\u{1b}]0;pwned\u{7}\u{1b}[2Jb\0c\rd é 漢\u{9b}31m";
        let shown = one_line(hostile);
        assert_eq!(shown, "a\\x1b]0;pwned\\x07\\x1b[2Jb\\x00c\\x0dd é 漢\\u{9b}31m");
        assert!(!shown.chars().any(char::is_control));
        assert_eq!(escape_control(hostile), shown);
    }

    #[test]
    fn line_breaks() {
        assert_eq!(one_line("a\r\nb\tc\nd"), "a↵b→c↵d");
        assert_eq!(escape_control("a\r\nb\tc\nd"), "a\\x0d\nb\tc\nd");
        assert!(matches!(one_line("plain é 漢"), Cow::Borrowed(_)));
    }
}
