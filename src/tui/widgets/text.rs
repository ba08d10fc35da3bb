//! Lines fitted to a width: a line longer than the room is cut at a character boundary and ends in `…` (in the
//! style of the text it cut), so nothing on screen is cut without a sign of it.
use ratatui::text::{Line, Span, Text};

/// `text` in at most `width` columns (display width: a CJK character takes two), an ellipsis marking a cut.
pub fn fit_str(text: &str, width: usize) -> String {
    let mut line = Line::raw(text);
    fit_line(&mut line, width);
    line.to_string()
}

/// Each line of `text` cut to `width` columns, an ellipsis marking a cut.
pub fn fit<'a>(text: impl Into<Text<'a>>, width: u16) -> Text<'a> {
    let mut text = text.into();
    for line in &mut text.lines {
        fit_line(line, width as usize);
    }
    text
}

fn fit_line(line: &mut Line<'_>, width: usize) {
    if line.width() <= width {
        return;
    }
    if width == 0 {
        line.spans.clear();
        return;
    }
    let mut used = 0;
    let mut spans: Vec<Span> = Vec::new();
    for span in line.spans.drain(..) {
        let w = span.width();
        if used + w < width {
            used += w;
            spans.push(span);
            continue;
        }
        // This span holds the cut: keep what fits before the ellipsis.
        let mut kept = String::new();
        let mut buf = [0u8; 4];
        for c in span.content.chars() {
            let cw = Span::raw(&*c.encode_utf8(&mut buf)).width();
            if used + cw + 1 > width {
                break;
            }
            used += cw;
            kept.push(c);
        }
        kept.push('…');
        spans.push(Span::styled(kept, span.style));
        break;
    }
    line.spans = spans;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ratatui::style::Style;

    #[test]
    fn cuts_with_an_ellipsis_in_the_cut_text_s_style() {
        let l = Line::from(vec![Span::raw("abc "), Span::styled("défghi", Style::new().bold())]);
        let t = fit(l.clone(), 8);
        assert_eq!(t.lines[0].to_string(), "abc déf…");
        assert_eq!(t.lines[0].spans[1].style, Style::new().bold());
        assert_eq!(fit(l.clone(), 10).lines[0].to_string(), "abc défghi");
        assert_eq!(fit(l.clone(), 4).lines[0].to_string(), "abc…");
        assert_eq!(fit(l.clone(), 1).lines[0].to_string(), "…");
        assert_eq!(fit(l, 0).lines[0].to_string(), "");
        // Wide characters are never split.
        assert_eq!(fit(Line::raw("李小龙李"), 6).lines[0].to_string(), "李小…");
    }

    proptest! {
        #[test]
        fn never_wider_than_the_room(s in "\\PC{0,40}", t in "\\PC{0,40}", w in 0u16..60) {
            let out = fit(Line::from(vec![Span::raw(s.clone()), Span::raw(t.clone())]), w);
            let width = out.lines[0].width();
            prop_assert!(width <= w as usize);
            let whole = Line::from(vec![Span::raw(s), Span::raw(t)]);
            if whole.width() <= w as usize {
                prop_assert_eq!(out.lines[0].to_string(), whole.to_string());
            } else if w > 0 {
                prop_assert!(out.lines[0].to_string().ends_with('…'));
            }
        }
    }
}
