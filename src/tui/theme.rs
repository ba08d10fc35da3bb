//! Semantic theme roles. The default theme is embedded; a user `theme.toml` is a partial patch over it, and a
//! broken one gives a warning while dbconsole starts on the defaults.
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::core::profile::Environment;

const DEFAULT: &str = include_str!("../../themes/default.toml");
/// Used instead of the default when NO_COLOR is set: reverse video, bold and underline, no colour.
const MONO: &str = include_str!("../../themes/mono.toml");

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

fn parse(text: &str) -> Result<BTreeMap<String, Style>, String> {
    let specs: BTreeMap<String, RoleSpec> = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (role, spec) in specs {
        if !ROLES.contains(&role.as_str()) {
            return Err(format!("unknown theme role `{role}` (known: {})", ROLES.join(", ")));
        }
        let mut s = Style::default();
        if let Some(fg) = &spec.fg {
            s = s.fg(Color::from_str(fg).map_err(|_| format!("{role}: unknown colour `{fg}`"))?);
        }
        if let Some(bg) = &spec.bg {
            s = s.bg(Color::from_str(bg).map_err(|_| format!("{role}: unknown colour `{bg}`"))?);
        }
        if spec.bold {
            s = s.add_modifier(Modifier::BOLD);
        }
        if spec.reverse {
            s = s.add_modifier(Modifier::REVERSED);
        }
        if spec.underline {
            s = s.add_modifier(Modifier::UNDERLINED);
        }
        out.insert(role, s);
    }
    Ok(out)
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

    /// The default theme (the monochrome one when NO_COLOR is set to anything) patched by the user's file, if
    /// any; a bad file gives the base theme and a warning.
    pub fn load(user: &Path) -> (Theme, Option<String>) {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme::load_with(user, no_color)
    }

    pub fn load_with(user: &Path, no_color: bool) -> (Theme, Option<String>) {
        let mut theme = if no_color { Theme::mono() } else { Theme::default() };
        match std::fs::read_to_string(user) {
            Err(_) => (theme, None),
            Ok(text) => match parse(&text) {
                Ok(patch) => {
                    theme.roles.extend(patch);
                    (theme, None)
                }
                Err(e) => (theme, Some(format!("{}: {e}; using the default theme", user.display()))),
            },
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
        for text in [DEFAULT, MONO] {
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
        let (t, w) = Theme::load(&f);
        assert!(w.is_none());
        assert_eq!(t.ok().fg, Some(Color::Rgb(0, 255, 0)));
        assert_eq!(t.danger(), Theme::default().danger());
        std::fs::write(&f, "ok = { fg = \"chartreuse-ish\" }\n").unwrap();
        let (t, w) = Theme::load(&f);
        assert!(w.unwrap().contains("unknown colour `chartreuse-ish`"));
        assert_eq!(t.ok(), Theme::default().ok());
    }
}
