//! Colour depth: what the terminal shows (truecolor, 256 colours, the 16 ANSI ones, from COLORTERM and TERM),
//! and each colour brought down to the nearest one it can show.
use ratatui::style::Color;

/// How many colours the terminal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    TrueColor,
    Indexed256,
    Ansi16,
}

impl Depth {
    /// From COLORTERM (truecolor / 24bit) and TERM (`*-256color`).
    pub fn detect() -> Depth {
        let colorterm = std::env::var("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        let term = std::env::var("TERM").unwrap_or_default().to_ascii_lowercase();
        Depth::from_env(&colorterm, &term)
    }

    pub fn from_env(colorterm: &str, term: &str) -> Depth {
        if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            Depth::TrueColor
        } else if term.contains("256color") || term.contains("direct") {
            Depth::Indexed256
        } else {
            Depth::Ansi16
        }
    }
}

/// The 16 ANSI colours with the RGB values xterm gives them, for the nearest match.
const ANSI16: [(Color, (u8, u8, u8)); 16] = [
    (Color::Black, (0, 0, 0)),
    (Color::Red, (205, 0, 0)),
    (Color::Green, (0, 205, 0)),
    (Color::Yellow, (205, 205, 0)),
    (Color::Blue, (0, 0, 238)),
    (Color::Magenta, (205, 0, 205)),
    (Color::Cyan, (0, 205, 205)),
    (Color::Gray, (229, 229, 229)),
    (Color::DarkGray, (127, 127, 127)),
    (Color::LightRed, (255, 0, 0)),
    (Color::LightGreen, (0, 255, 0)),
    (Color::LightYellow, (255, 255, 0)),
    (Color::LightBlue, (92, 92, 255)),
    (Color::LightMagenta, (255, 0, 255)),
    (Color::LightCyan, (0, 255, 255)),
    (Color::White, (255, 255, 255)),
];

fn dist(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).unsigned_abs();
    d(a.0, b.0).pow(2) + d(a.1, b.1).pow(2) + d(a.2, b.2).pow(2)
}

/// The RGB value of a 256-colour index (xterm's palette).
fn indexed_rgb(n: u8) -> (u8, u8, u8) {
    match n {
        0..=15 => ANSI16[n as usize].1,
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            (level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let g = 8 + (n - 232) * 10;
            (g, g, g)
        }
    }
}

/// The nearest 256-colour index: the 6×6×6 cube or the grey ramp, whichever is closer.
fn to_256(rgb: (u8, u8, u8)) -> u8 {
    let step = |v: u8| {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let cube = 16 + 36 * step(rgb.0) + 6 * step(rgb.1) + step(rgb.2);
    let avg = ((u32::from(rgb.0) + u32::from(rgb.1) + u32::from(rgb.2)) / 3) as u8;
    let grey = if avg < 8 {
        16
    } else if avg > 238 {
        231
    } else {
        232 + (avg - 8) / 10
    };
    if dist(indexed_rgb(grey), rgb) < dist(indexed_rgb(cube), rgb) { grey } else { cube }
}

fn to_16(rgb: (u8, u8, u8)) -> Color {
    ANSI16.iter().min_by_key(|(_, c)| dist(*c, rgb)).map(|(c, _)| *c).unwrap_or(Color::Reset)
}

/// A colour the terminal can show at `depth`.
pub fn degrade(c: Color, depth: Depth) -> Color {
    match (c, depth) {
        (Color::Rgb(r, g, b), Depth::Indexed256) => Color::Indexed(to_256((r, g, b))),
        (Color::Rgb(r, g, b), Depth::Ansi16) => to_16((r, g, b)),
        (Color::Indexed(n), Depth::Ansi16) if n >= 16 => to_16(indexed_rgb(n)),
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_degrade_to_the_terminals_depth() {
        assert_eq!(Depth::from_env("truecolor", "xterm"), Depth::TrueColor);
        assert_eq!(Depth::from_env("", "screen-256color"), Depth::Indexed256);
        assert_eq!(Depth::from_env("", "linux"), Depth::Ansi16);
        assert_eq!(degrade(Color::Rgb(255, 0, 0), Depth::Indexed256), Color::Indexed(196));
        assert_eq!(degrade(Color::Rgb(128, 128, 128), Depth::Indexed256), Color::Indexed(244));
        assert_eq!(degrade(Color::Rgb(250, 10, 10), Depth::Ansi16), Color::LightRed);
        assert_eq!(degrade(Color::Rgb(0, 0, 0), Depth::Ansi16), Color::Black);
        assert_eq!(degrade(Color::Indexed(196), Depth::Ansi16), Color::LightRed);
        assert_eq!(degrade(Color::Blue, Depth::Ansi16), Color::Blue);
        assert_eq!(degrade(Color::Rgb(1, 2, 3), Depth::TrueColor), Color::Rgb(1, 2, 3));
    }

    proptest::proptest! {

    #[test]
    fn every_rgb_degrades_to_a_palette_colour(r in 0u8.., g in 0u8.., b in 0u8..) {
        proptest::prop_assert!(matches!(degrade(Color::Rgb(r, g, b), Depth::Indexed256), Color::Indexed(16..)));
        proptest::prop_assert!(!matches!(degrade(Color::Rgb(r, g, b), Depth::Ansi16), Color::Rgb(..) | Color::Indexed(_)));
    }    }
}
