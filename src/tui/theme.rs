//! Semantic theme roles. The built-in themes (dark — the default —, light, high-contrast, mono) are embedded; a user
//! `theme.toml` in the config dir picks one with `base = "light"` (or a theme of the user's own in the config dir's
//! `themes/NAME.toml`) and patches any role; `DBCONSOLE_THEME` picks the base too. NO_COLOR always means mono.
//! Colours are degraded to what the terminal shows (truecolor → 256 → 16, from COLORTERM and TERM). A missing or
//! broken file never stops start-up: a warning names the file and line, and the built-in theme is used.
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::core::profile::Environment;

pub use super::colour::{Depth, degrade};

const DEFAULT: &str = include_str!("../../themes/default.toml");
/// Used instead of the default when NO_COLOR is set: reverse video, bold and underline, no colour.
const MONO: &str = include_str!("../../themes/mono.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const HIGH_CONTRAST: &str = include_str!("../../themes/high-contrast.toml");

/// The built-in themes by name.
pub const BUILT_IN: [(&str, &str); 5] =
    [("dark", DEFAULT), ("default", DEFAULT), ("light", LIGHT), ("high-contrast", HIGH_CONTRAST), ("mono", MONO)];

/// The built-in theme after the one `current` is (dark → light → high-contrast → mono → dark), for this terminal.
pub fn next_built_in(current: &Theme) -> (&'static str, Theme) {
    const CYCLE: [&str; 4] = ["dark", "light", "high-contrast", "mono"];
    let depth = Depth::detect();
    let same = |name: &str| {
        Theme::built_in(name).is_some_and(|mut t| {
            t.degrade(depth);
            t.roles == current.roles
        })
    };
    let at = CYCLE.iter().position(|n| same(n));
    let next = CYCLE[at.map_or(0, |i| (i + 1) % CYCLE.len())];
    let mut t = Theme::built_in(next).unwrap_or_default();
    t.degrade(depth);
    (next, t)
}

/// The 1-based line of `text` where `key` is set (for messages about a role).
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    reverse: bool,
    #[serde(default)]
    underline: bool,
}

#[derive(Debug, Clone)]
pub struct Theme {
    roles: BTreeMap<String, Style>,
}

const ROLES: [&str; 23] = [
    "text",
    "dim",
    "border",
    "border_focused",
    "title",
    "tab",
    "tab_active",
    "selected",
    "key",
    "ok",
    "warn",
    "danger",
    "production",
    "staging",
    "development",
    "status_bar",
    "field_error",
    "field_active",
    "sql_keyword",
    "sql_string",
    "sql_number",
    "sql_comment",
    "null",
];

/// A theme file: its `base` (another theme's name), and its roles.
fn parse_file(text: &str) -> Result<(Option<String>, BTreeMap<String, Style>), String> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
    let base = match table.remove("base") {
        None => None,
        Some(toml::Value::String(b)) => Some(b),
        Some(_) => {
            return Err(format!("line {}: base must be a theme's name", line_of(text, "base").unwrap_or(0)));
        }
    };
    let at = |role: &str| line_of(text, role).map_or(String::new(), |n| format!("line {n}: "));
    let mut out = BTreeMap::new();
    for (role, value) in table {
        if !ROLES.contains(&role.as_str()) {
            return Err(format!("{}unknown theme role `{role}` (known: base, {})", at(&role), ROLES.join(", ")));
        }
        let spec: RoleSpec = value.try_into().map_err(|e: toml::de::Error| format!("{}{role}: {e}", at(&role)))?;
        let mut st = Style::default();
        if let Some(fg) = &spec.fg {
            st = st.fg(Color::from_str(fg).map_err(|_| format!("{}{role}: unknown colour `{fg}`", at(&role)))?);
        }
        if let Some(bg) = &spec.bg {
            st = st.bg(Color::from_str(bg).map_err(|_| format!("{}{role}: unknown colour `{bg}`", at(&role)))?);
        }
        if spec.bold {
            st = st.add_modifier(Modifier::BOLD);
        }
        if spec.reverse {
            st = st.add_modifier(Modifier::REVERSED);
        }
        if spec.underline {
            st = st.add_modifier(Modifier::UNDERLINED);
        }
        out.insert(role, st);
    }
    Ok((base, out))
}

fn parse(text: &str) -> Result<BTreeMap<String, Style>, String> {
    parse_file(text).map(|(_, roles)| roles)
}

impl Default for Theme {
    fn default() -> Self {
        #[allow(clippy::expect_used)]
        let roles = parse(DEFAULT).expect("the embedded theme is valid (tested)");
        Theme { roles }
    }
}

impl Theme {
    /// The monochrome theme (NO_COLOR).
    pub fn mono() -> Theme {
        #[allow(clippy::expect_used)]
        let roles = parse(MONO).expect("the embedded monochrome theme is valid (tested)");
        Theme { roles }
    }

    /// The built-in theme `name`, if there is one.
    pub fn built_in(name: &str) -> Option<Theme> {
        let text = BUILT_IN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, t)| *t)?;
        parse(text).ok().map(|roles| Theme { roles })
    }

    /// The theme the user asked for (see the module's words), for this terminal; a warning when something could not
    /// be used.
    pub fn load(user: &Path) -> (Theme, Option<String>) {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let chosen = std::env::var("DBCONSOLE_THEME").ok().filter(|v| !v.trim().is_empty());
        let (mut theme, warning) = Theme::load_from(user, no_color, chosen.as_deref());
        theme.degrade(Depth::detect());
        (theme, warning)
    }

    pub fn load_with(user: &Path, no_color: bool) -> (Theme, Option<String>) {
        Theme::load_from(user, no_color, None)
    }

    /// `user` is the config dir's theme.toml; its folder's `themes/NAME.toml` are the user's own themes.
    pub fn load_from(user: &Path, no_color: bool, chosen: Option<&str>) -> (Theme, Option<String>) {
        let dir = user.parent().map(|d| d.join("themes")).unwrap_or_default();
        let (base_from_file, patch, mut warning) = match std::fs::read_to_string(user) {
            Err(_) => (None, BTreeMap::new(), None),
            Ok(text) => match parse_file(&text) {
                Ok((b, p)) => (b, p, None),
                Err(e) => (None, BTreeMap::new(), Some(format!("{}: {e}; using the built-in theme", user.display()))),
            },
        };
        let name = chosen.map(str::to_string).or(base_from_file);
        let mut theme = Theme::default();
        if let Some(name) = name.filter(|_| !no_color) {
            let own = dir.join(format!("{name}.toml"));
            let valid_name = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
            if valid_name && own.is_file() {
                match std::fs::read_to_string(&own).map_err(|e| e.to_string()).and_then(|t| parse_file(&t)) {
                    Ok((inner_base, roles)) => {
                        if let Some(b) = inner_base.and_then(|b| Theme::built_in(&b)) {
                            theme = b;
                        }
                        theme.roles.extend(roles);
                    }
                    Err(e) => warning = Some(format!("{}: {e}; using the built-in theme", own.display())),
                }
            } else if let Some(t) = Theme::built_in(&name) {
                theme = t;
            } else {
                warning = Some(format!(
                    "theme `{name}` is neither built in (dark, light, high-contrast, mono) nor a file {}; using dark",
                    own.display()
                ));
            }
        }
        if no_color {
            theme = Theme::mono();
        }
        theme.roles.extend(patch);
        (theme, warning)
    }

    /// Every colour made one the terminal shows.
    pub fn degrade(&mut self, depth: Depth) {
        for st in self.roles.values_mut() {
            st.fg = st.fg.map(|c| degrade(c, depth));
            st.bg = st.bg.map(|c| degrade(c, depth));
        }
    }

    pub fn role(&self, name: &str) -> Style {
        self.roles.get(name).copied().unwrap_or_default()
    }

    pub fn text(&self) -> Style {
        self.role("text")
    }
    pub fn dim(&self) -> Style {
        self.role("dim")
    }
    /// This theme for a pane on screen without the keys: its border drawn as an unfocused one.
    pub fn blurred(&self) -> Theme {
        let mut t = self.clone();
        t.roles.insert("border_focused".into(), self.border(false));
        t
    }
    pub fn border(&self, focused: bool) -> Style {
        self.role(if focused { "border_focused" } else { "border" })
    }
    pub fn title(&self) -> Style {
        self.role("title")
    }
    pub fn tab(&self, active: bool) -> Style {
        self.role(if active { "tab_active" } else { "tab" })
    }
    pub fn selected(&self) -> Style {
        self.role("selected")
    }
    pub fn key(&self) -> Style {
        self.role("key")
    }
    pub fn ok(&self) -> Style {
        self.role("ok")
    }
    pub fn warn(&self) -> Style {
        self.role("warn")
    }
    pub fn danger(&self) -> Style {
        self.role("danger")
    }
    pub fn status_bar(&self) -> Style {
        self.role("status_bar")
    }
    pub fn field_error(&self) -> Style {
        self.role("field_error")
    }
    pub fn field_active(&self) -> Style {
        self.role("field_active")
    }
    pub fn sql_keyword(&self) -> Style {
        self.role("sql_keyword")
    }
    pub fn sql_string(&self) -> Style {
        self.role("sql_string")
    }
    pub fn sql_number(&self) -> Style {
        self.role("sql_number")
    }
    pub fn sql_comment(&self) -> Style {
        self.role("sql_comment")
    }
    /// NULL in the results grid (shown distinctly from an empty string).
    pub fn null(&self) -> Style {
        self.role("null")
    }
    pub fn environment(&self, env: Environment) -> Style {
        self.role(env.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_theme_defines_every_role() {
        for text in [DEFAULT, MONO, LIGHT, HIGH_CONTRAST] {
            let t = parse(text).unwrap();
            for r in ROLES {
                assert!(t.contains_key(r), "{r}");
            }
        }
    }

    #[test]
    fn the_default_uses_the_palette_and_mono_no_colour_at_all() {
        for s in parse(DEFAULT).unwrap().values() {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..)), "a 24-bit colour renders wrong without truecolor: {c:?}");
            }
        }
        let m = Theme::mono();
        for s in m.roles.values() {
            assert!(s.fg.is_none() && s.bg.is_none(), "{s:?}");
        }
        for marked in [m.selected(), m.tab(true), m.field_active(), m.status_bar()] {
            assert!(marked.add_modifier.contains(Modifier::REVERSED), "{marked:?}");
        }
        // NO_COLOR picks it; a user file still patches it.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("theme.toml");
        let (t, _) = Theme::load_with(&f, true);
        assert_eq!(t.selected(), m.selected());
        std::fs::write(&f, "title = { underline = true }\n").unwrap();
        let (t, w) = Theme::load_with(&f, true);
        assert!(w.is_none() && t.title().add_modifier.contains(Modifier::UNDERLINED));
    }

    #[test]
    fn user_patch_overrides_and_bad_file_warns() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("theme.toml");
        std::fs::write(&f, "ok = { fg = \"#00ff00\" }\n").unwrap();
        let (t, w) = Theme::load_with(&f, false);
        assert!(w.is_none());
        assert_eq!(t.ok().fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(t.danger(), Theme::default().danger());
        std::fs::write(&f, "ok = { fg = \"chartreuse-ish\" }\n").unwrap();
        let (t, w) = Theme::load_with(&f, false);
        let w = w.unwrap();
        assert!(w.contains("line 1: ok: unknown colour `chartreuse-ish`"), "{w}");
        assert_eq!(t.ok(), Theme::default().ok());
        std::fs::write(&f, "# mine\n\ntitel = { bold = true }\n").unwrap();
        let w = Theme::load_with(&f, false).1.unwrap();
        assert!(w.contains("line 3: unknown theme role `titel`"), "{w}");
        std::fs::write(&f, "ok = { fg = \"red\"\n").unwrap();
        let w = Theme::load_with(&f, false).1.unwrap();
        assert!(w.contains("line 1"), "{w}");
    }

    #[test]
    fn bases_built_in_and_the_users_own_and_no_color_wins() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("theme.toml");
        std::fs::write(&f, "base = \"light\"\nkey = { fg = \"red\" }\n").unwrap();
        let (t, w) = Theme::load_with(&f, false);
        assert!(w.is_none(), "{w:?}");
        assert_eq!(t.selected(), Theme::built_in("light").unwrap().selected());
        assert_eq!(t.key().fg, Some(Color::Red), "the file's roles patch its base");
        // The environment picks the base over the file's.
        let (t, _) = Theme::load_from(&f, false, Some("high-contrast"));
        assert_eq!(t.selected(), Theme::built_in("high-contrast").unwrap().selected());
        // A theme of the user's own, over a built-in base of its own.
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/solar.toml"), "base = \"light\"\ntitle = { fg = \"#b58900\" }\n")
            .unwrap();
        let (t, w) = Theme::load_from(&f, false, Some("solar"));
        assert!(w.is_none(), "{w:?}");
        assert_eq!(t.title().fg, Some(Color::Rgb(0xb5, 0x89, 0x00)));
        assert_eq!(t.selected(), Theme::built_in("light").unwrap().selected());
        // Unknown names and path tricks say so and fall back.
        for bad in ["nope", "../theme"] {
            let (t, w) = Theme::load_from(&f, false, Some(bad));
            assert!(w.unwrap().contains("neither built in"));
            assert_eq!(t.selected(), Theme::default().selected());
        }
        // NO_COLOR: mono, whatever is chosen.
        let (t, _) = Theme::load_from(&f, true, Some("light"));
        assert_eq!(t.selected(), Theme::mono().selected());
    }

    #[test]
    fn a_theme_degrades_every_role() {
        let mut t = Theme::default();
        t.roles.insert("ok".into(), Style::default().fg(Color::Rgb(0, 200, 0)));
        t.degrade(Depth::Ansi16);
        assert_eq!(t.ok().fg, Some(Color::Green));
    }

    #[test]
    fn ctrl_t_cycles_the_built_in_themes() {
        let mut t = Theme::default();
        t.degrade(Depth::detect());
        let mut names = Vec::new();
        for _ in 0..5 {
            let (name, next) = next_built_in(&t);
            names.push(name);
            t = next;
        }
        assert_eq!(names, ["light", "high-contrast", "mono", "dark", "light"]);
        let mut custom = Theme::default();
        custom.roles.insert("ok".into(), Style::default().fg(Color::Rgb(1, 2, 3)));
        assert_eq!(next_built_in(&custom).0, "dark");
    }

    proptest::proptest! {
        #[test]
        fn theme_files_never_panic(s in "(?s).{0,300}") {
            let _ = parse_file(&s);
        }

    }
}
