//! Text objects after an operator or in visual mode: `iw`/`aw` (a word, with its blanks), `iW`/`aW`, quotes
//! (`i'` `a'` `i"` `a"` `` i` ``), brackets (`i(` `a(` `ib`, `i[`, `i{` `iB`, `i<`), across lines for brackets.
use tui_textarea::TextArea;

use super::{Mode, Outcome, Vim, cursor, jump, line_len};

/// Positions in the text as (row, column), with the line breaks between.
pub(super) fn cells(ta: &TextArea) -> Vec<(usize, usize, char)> {
    let mut out = Vec::new();
    for (row, line) in ta.lines().iter().enumerate() {
        out.extend(line.chars().enumerate().map(|(col, ch)| (row, col, ch)));
        out.push((row, line.chars().count(), '\n'));
    }
    out
}

/// The range (from, to: exclusive) of object `c` around the cursor; `around` for `a`, else `i`.
fn range(ta: &TextArea, around: bool, c: char) -> Option<((usize, usize), (usize, usize))> {
    let (r, col) = cursor(ta);
    let line: Vec<char> = ta.lines()[r].chars().collect();
    match c {
        'w' | 'W' => {
            if line.is_empty() {
                return None;
            }
            let col = col.min(line.len() - 1);
            let class = |ch: char| {
                if ch.is_whitespace() {
                    0
                } else if c == 'W' || ch.is_alphanumeric() || ch == '_' {
                    1
                } else {
                    2
                }
            };
            let k = class(line[col]);
            let mut a = col;
            while a > 0 && class(line[a - 1]) == k {
                a -= 1;
            }
            let mut b = col + 1;
            while b < line.len() && class(line[b]) == k {
                b += 1;
            }
            if around && k != 0 {
                // The blanks after the word, or else those before it.
                let mut e = b;
                while e < line.len() && line[e].is_whitespace() {
                    e += 1;
                }
                if e > b {
                    b = e;
                } else {
                    while a > 0 && line[a - 1].is_whitespace() {
                        a -= 1;
                    }
                }
            }
            Some(((r, a), (r, b)))
        }
        '\'' | '"' | '`' => {
            // Quotes pair up from the start of the line: the pair around the cursor, else the next one.
            let quotes: Vec<usize> = line.iter().enumerate().filter(|(_, ch)| **ch == c).map(|(i, _)| i).collect();
            let pair = quotes
                .chunks_exact(2)
                .find(|p| p[0] <= col && col <= p[1])
                .or_else(|| quotes.chunks_exact(2).find(|p| p[0] > col))?;
            let (a, b) = (pair[0], pair[1]);
            Some(if around { ((r, a), (r, b + 1)) } else { ((r, a + 1), (r, b)) })
        }
        _ => {
            let (open, close) = match c {
                '(' | ')' | 'b' => ('(', ')'),
                '[' | ']' => ('[', ']'),
                '{' | '}' | 'B' => ('{', '}'),
                '<' | '>' => ('<', '>'),
                _ => return None,
            };
            let cells = cells(ta);
            let at = cells.iter().position(|&(rr, cc, _)| (rr, cc) == (r, col))?;
            // The unmatched opening bracket at or before the cursor, then its match.
            let mut depth = 0usize;
            let mut start = None;
            for k in (0..=at).rev() {
                let ch = cells[k].2;
                if ch == close && k != at {
                    depth += 1;
                } else if ch == open {
                    if depth == 0 {
                        start = Some(k);
                        break;
                    }
                    depth -= 1;
                }
            }
            let start = start?;
            let mut depth = 0usize;
            let mut end = None;
            for (k, cell) in cells.iter().enumerate().skip(start + 1) {
                if cell.2 == open {
                    depth += 1;
                } else if cell.2 == close {
                    if depth == 0 {
                        end = Some(k);
                        break;
                    }
                    depth -= 1;
                }
            }
            let end = end?;
            let pos = |k: usize| (cells[k].0, cells[k].1);
            Some(if around { (pos(start), pos(end + 1)) } else { (pos(start + 1), pos(end)) })
        }
    }
}

impl Vim {
    /// `i`/`a` then `c`: the waiting operator over the object, or in visual mode the selection becomes it.
    pub(super) fn object(&mut self, ta: &mut TextArea<'static>, around: bool, c: char) -> Outcome {
        let op = self.op.take();
        let Some((a, b)) = range(ta, around, c) else {
            self.reset();
            return Outcome::Handled;
        };
        match op {
            Some((op, _)) => self.chars_op(ta, op, a, b),
            None if matches!(self.mode, Mode::Visual | Mode::VisualLine) => {
                self.mode = Mode::Visual;
                ta.cancel_selection();
                jump(ta, a.0, a.1);
                ta.start_selection();
                // Visual mode's end is the last character taken (drawn and used inclusively).
                let last = match b {
                    (row, col) if col > 0 => (row, col - 1),
                    (row, _) if row > a.0 => (row - 1, line_len(ta, row - 1)),
                    _ => a,
                };
                jump(ta, last.0, last.1.min(line_len(ta, last.0)));
                Outcome::Handled
            }
            None => Outcome::Handled,
        }
    }
}
