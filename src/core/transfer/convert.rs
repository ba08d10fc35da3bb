//! Turning a source value (its text, and its storage class where the source has one) into the text the target
//! reads for a column's cast. A value that cannot be converted is refused with the reason (it goes to the reject
//! file), never silently changed.
use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use super::typemap::Cast;
use crate::core::profile::Engine;

/// A source value's storage class (SQLite's; other engines' values are text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Null,
    Int,
    Real,
    Text,
    Blob,
    /// Text that is not valid UTF-8 (its bytes carried as hex).
    BadText,
}

/// Parses the common ways a date and time is written; a value without an offset is UTC.
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let t = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let t2 = t.replacen('T', " ", 1);
    for f in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(d) = DateTime::parse_from_str(&t2, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = t2.strip_suffix('Z').unwrap_or(&t2).trim_end();
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, f) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(naive, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

fn two(b: &[u8], i: usize) -> Option<u32> {
    let (x, y) = (*b.get(i)?, *b.get(i + 1)?);
    (x.is_ascii_digit() && y.is_ascii_digit()).then(|| u32::from(x - b'0') * 10 + u32::from(y - b'0'))
}

/// An ISO 8601 date-time the target reads exactly as `parse_timestamp` does, checked byte by byte (digits, ranges,
/// the day in its month): `YYYY-MM-DD HH:MM[:SS[.fff]]`, `T` allowed toward PostgreSQL, and toward a
/// timestamptz an offset (`Z`, `±HH`, `±HH:MM`). PostgreSQL reads it in the load session's UTC.
fn iso_fast(v: &str, dst: Engine, zone_ok: bool) -> bool {
    let b = v.as_bytes();
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' {
        return false;
    }
    let sep_ok = b[10] == b' ' || (b[10] == b'T' && dst == Engine::Postgres);
    let year = match (two(b, 0), two(b, 2)) {
        (Some(h), Some(l)) => h * 100 + l,
        _ => return false,
    };
    let (Some(mo), Some(d), Some(h), Some(mi)) = (two(b, 5), two(b, 8), two(b, 11), two(b, 14)) else { return false };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !sep_ok || !(1..=12).contains(&mo) || d == 0 || d > days[(mo - 1) as usize] || h > 23 || mi > 59 || year == 0 {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        match two(b, i + 1) {
            Some(s) if s <= 59 => i += 3,
            _ => return false,
        }
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start || i - start > 6 {
                return false;
            }
        }
    }
    let rest = &b[i..];
    if rest.is_empty() {
        return true;
    }
    if !zone_ok || dst != Engine::Postgres {
        return false;
    }
    match rest {
        [b'Z'] => true,
        [s, ..] if *s == b'+' || *s == b'-' => {
            let z = &rest[1..];
            match z.len() {
                2 => two(z, 0).is_some_and(|x| x <= 14),
                5 => z[2] == b':' && two(z, 0).is_some_and(|x| x <= 14) && two(z, 3).is_some_and(|x| x <= 59),
                _ => false,
            }
        }
        _ => false,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    crate::core::query::render::hex_into(&mut s, bytes);
    s
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if [8, 13, 18, 23].contains(&i) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// The target's text for a value (None: NULL). `Err` is the reason it is refused.
pub fn convert<'a>(cast: Cast, class: Class, v: &'a str, dst: Engine) -> Result<Option<Cow<'a, str>>, String> {
    if class == Class::Null {
        return Ok(None);
    }
    if class == Class::BadText && cast != Cast::Bytes {
        return Err(format!("text that is not valid UTF-8 (bytes {})", short(v)));
    }
    if dst == Engine::Postgres && cast != Cast::Bytes && class != Class::Blob && v.contains('\0') {
        return Err(format!("a NUL character, which PostgreSQL text cannot hold ({})", short(v).escape_debug()));
    }
    let owned = |s: String| Ok(Some(Cow::Owned(s)));
    match cast {
        Cast::AsIs | Cast::Time => Ok(Some(Cow::Borrowed(v))),
        Cast::Text => Ok(Some(Cow::Borrowed(v))),
        Cast::Int => {
            let t = v.trim();
            if t.parse::<i128>().is_ok() {
                return Ok(Some(Cow::Borrowed(t)));
            }
            match t.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => owned(format!("{}", f as i64)),
                _ => Err(format!("not an integer: {}", short(v))),
            }
        }
        Cast::Float | Cast::Decimal => {
            let t = v.trim();
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() || (dst == Engine::Postgres && cast == Cast::Float) => {
                    Ok(Some(Cow::Borrowed(t)))
                }
                _ if dst == Engine::Postgres && cast == Cast::Float && matches!(t, "Inf" | "-Inf") => {
                    owned(t.replace("Inf", "Infinity"))
                }
                _ => Err(format!("not a number: {}", short(v))),
            }
        }
        Cast::Bool => {
            let b = match v.trim().to_ascii_lowercase().as_str() {
                // MySQL BIT(1) as its client shows it: b'1'.
                "1" | "t" | "true" | "yes" | "y" | "on" | "b'1'" => true,
                "0" | "f" | "false" | "no" | "n" | "off" | "b'0'" => false,
                _ => return Err(format!("not a boolean: {}", short(v))),
            };
            Ok(Some(Cow::Borrowed(match (dst, b) {
                (Engine::Postgres, true) => "t",
                (Engine::Postgres, false) => "f",
                (_, true) => "1",
                (_, false) => "0",
            })))
        }
        Cast::Timestamptz | Cast::Timestamp if iso_fast(v, dst, cast == Cast::Timestamptz) => {
            Ok(Some(Cow::Borrowed(v)))
        }
        Cast::Timestamptz | Cast::Timestamp => match parse_timestamp(v) {
            Some(d) => owned(match (dst, cast) {
                (Engine::Postgres, Cast::Timestamptz) => d.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
                _ => d.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            }),
            None => Err(format!("not a date and time: {}", short(v))),
        },
        Cast::Date => match parse_timestamp(v) {
            Some(d) => owned(d.format("%Y-%m-%d").to_string()),
            None => Err(format!("not a date: {}", short(v))),
        },
        Cast::ZeroDateNull => {
            if v.starts_with("0000-00-00") {
                Ok(None)
            } else {
                Ok(Some(Cow::Borrowed(v)))
            }
        }
        Cast::Json => match serde_json::from_str::<serde::de::IgnoredAny>(v) {
            Ok(_) => Ok(Some(Cow::Borrowed(v))),
            Err(e) => Err(format!("not valid JSON ({e}): {}", short(v))),
        },
        Cast::Uuid => {
            if is_uuid(v.trim()) {
                Ok(Some(Cow::Borrowed(v.trim())))
            } else {
                Err(format!("not a UUID: {}", short(v)))
            }
        }
        Cast::Bytes => match class {
            Class::Blob | Class::BadText => Ok(Some(Cow::Borrowed(v))),
            _ => owned(hex(v.as_bytes())),
        },
    }
}

fn short(v: &str) -> String {
    let s: String = v.chars().take(60).collect();
    if s.len() < v.len() { format!("{s:?}…") } else { format!("{s:?}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_common_forms() {
        for (s, want) in [
            ("2024-01-02 03:04:05", "2024-01-02 03:04:05.000000+00"),
            ("2024-01-02T03:04:05Z", "2024-01-02 03:04:05.000000+00"),
            ("2024-01-02T03:04:05.123+02:00", "2024-01-02 01:04:05.123000+00"),
            ("2024-01-02 03:04:05.5-0130", "2024-01-02 04:34:05.500000+00"),
            ("2024-01-02 03:04", "2024-01-02 03:04:00.000000+00"),
            ("2024-01-02", "2024-01-02 00:00:00.000000+00"),
        ] {
            // The parser's reading (what MySQL gets; PostgreSQL reads ISO text itself, in UTC).
            let d = parse_timestamp(s).unwrap();
            assert_eq!(d.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(), want, "{s}");
        }
        assert!(convert(Cast::Timestamptz, Class::Text, "yesterday", Engine::Postgres).is_err());
        assert!(convert(Cast::Timestamptz, Class::Text, "2024-13-01", Engine::Postgres).is_err());
    }

    #[test]
    fn iso_text_passes_through_only_when_exact() {
        let pg = |s: &str| iso_fast(s, Engine::Postgres, true);
        for ok in [
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05Z",
            "2024-02-29 00:00",
            "2024-01-02 03:04:05.123456+02:00",
            "2024-01-02 03:04:05-05",
        ] {
            assert!(pg(ok), "{ok}");
        }
        for bad in [
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-01-02 24:00:00",
            "2024-01-02",
            "2024-01-02 03:04:05.1234567",
            "2024-01-02 03:04:05 UTC",
            "0000-01-01 00:00:00",
        ] {
            assert!(!pg(bad), "{bad}");
        }
        assert!(!iso_fast("2024-01-02T03:04:05", Engine::Mysql, false));
        assert!(!iso_fast("2024-01-02 03:04:05Z", Engine::Postgres, false));
        // What does not pass through is still converted (or refused) by the parser.
        assert_eq!(
            convert(Cast::Timestamptz, Class::Text, "2024-01-02", Engine::Postgres).unwrap().as_deref(),
            Some("2024-01-02 00:00:00.000000+00")
        );
        assert!(convert(Cast::Timestamptz, Class::Text, "2023-02-29 00:00:00", Engine::Postgres).is_err());
    }

    #[test]
    fn casts_refuse_what_does_not_fit() {
        let c = |cast, class, v| convert(cast, class, v, Engine::Postgres).map(|x| x.map(|c| c.into_owned()));
        assert_eq!(c(Cast::Bool, Class::Int, "1"), Ok(Some("t".into())));
        assert!(c(Cast::Bool, Class::Int, "2").is_err());
        assert_eq!(c(Cast::Int, Class::Real, "3.0"), Ok(Some("3".into())));
        assert!(c(Cast::Int, Class::Text, "abc").unwrap_err().contains("not an integer"));
        assert!(c(Cast::Json, Class::Text, "{bad").is_err());
        assert_eq!(
            c(Cast::Uuid, Class::Text, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"),
            Ok(Some("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11".into()))
        );
        assert!(c(Cast::Uuid, Class::Text, "nope").is_err());
        assert_eq!(c(Cast::Bytes, Class::Text, "hi"), Ok(Some("\\x6869".into())));
        assert!(c(Cast::Text, Class::Text, "a\0b").unwrap_err().contains("NUL"));
        assert_eq!(c(Cast::Bytes, Class::Text, "a\0"), Ok(Some("\\x6100".into())));
        assert_eq!(c(Cast::ZeroDateNull, Class::Text, "0000-00-00 00:00:00"), Ok(None));
        assert_eq!(c(Cast::AsIs, Class::Null, ""), Ok(None));
    }
}
