//! Vim's motions: where each takes the cursor, and how operators treat them (whole lines, the last character).
use tui_textarea::{CursorMove, TextArea};

use super::{cursor, first_non_blank, jump, line_len};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Motion {
    Left,
    Right,
    Up,
    Down,
    WordForward,
    WordBack,
    WordEnd,
    /// W B E: words separated by blanks only (`count(*)` is one).
    BigWordForward,
    BigWordBack,
    BigWordEnd,
    LineStart,
    FirstNonBlank,
    LineEnd,
    /// `gg` / `G` with a count: that line (1-based); `G` alone: the last.
    GotoLine(Option<usize>),
    ParagraphForward,
    ParagraphBack,
    /// %: the matching bracket.
    Bracket,
    /// f F t T: the character, forward, stop before it.
    Find(char, bool, bool),
}

impl Motion {
    /// Operators take whole lines over these.
    pub(super) fn linewise(self) -> bool {
        matches!(self, Motion::Up | Motion::Down | Motion::GotoLine(_))
    }
    /// The character the motion ends on is part of what an operator takes.
    pub(super) fn inclusive(self) -> bool {
        matches!(
            self,
            Motion::WordEnd | Motion::BigWordEnd | Motion::LineEnd | Motion::Bracket | Motion::Find(_, true, _)
        )
    }
}

pub(super) fn motion_of(c: char, count: Option<usize>) -> Option<Motion> {
    Some(match c {
        'h' => Motion::Left,
        'l' | ' ' => Motion::Right,
        'k' | '-' => Motion::Up,
        'j' | '+' => Motion::Down,
        'w' => Motion::WordForward,
        'b' => Motion::WordBack,
        'e' => Motion::WordEnd,
        'W' => Motion::BigWordForward,
        'B' => Motion::BigWordBack,
        'E' => Motion::BigWordEnd,
        '0' => Motion::LineStart,
        '^' | '_' => Motion::FirstNonBlank,
        '$' => Motion::LineEnd,
        'G' => Motion::GotoLine(count),
        '}' => Motion::ParagraphForward,
        '{' => Motion::ParagraphBack,
        '%' => Motion::Bracket,
        _ => return None,
    })
}

/// Moves the cursor by `m`, `n` times. For an operator (`op`), `l` may go past the last character.
pub(super) fn apply(ta: &mut TextArea<'static>, m: Motion, n: usize, op: bool) {
    let (r, c) = cursor(ta);
    let last = ta.lines().len() - 1;
    match m {
        Motion::Left => jump(ta, r, c.saturating_sub(n)),
        Motion::Right => {
            let len = line_len(ta, r);
            let max = if op { len } else { len.saturating_sub(1) };
            jump(ta, r, (c + n).min(max));
        }
        Motion::Up => jump(ta, r.saturating_sub(n), c),
        Motion::Down => jump(ta, (r + n).min(last), c),
        Motion::LineStart => jump(ta, r, 0),
        Motion::Bracket => {
            if let Some((row, col)) = bracket_match(ta) {
                jump(ta, row, col);
            }
        }
        Motion::FirstNonBlank => jump(ta, r, first_non_blank(ta, r)),
        Motion::LineEnd => {
            let row = (r + n - 1).min(last);
            let len = line_len(ta, row);
            jump(ta, row, if op { len.saturating_sub(1) } else { len });
        }
        Motion::GotoLine(line) => {
            let row = line.map_or(last, |l| l.saturating_sub(1).min(last));
            jump(ta, row, first_non_blank(ta, row));
        }
        Motion::Find(ch, forward, till) => {
            let chars: Vec<char> = ta.lines()[r].chars().collect();
            let mut at = c;
            for _ in 0..n {
                let found = if forward {
                    (at + 1..chars.len()).find(|&i| chars[i] == ch)
                } else {
                    (0..at).rev().find(|&i| chars[i] == ch)
                };
                match found {
                    Some(i) => at = i,
                    None => return,
                }
            }
            let at = match (till, forward) {
                (true, true) => at - 1,
                (true, false) => at + 1,
                _ => at,
            };
            jump(ta, r, at);
        }
        Motion::WordForward | Motion::WordBack | Motion::WordEnd => {
            let mv = match m {
                Motion::WordForward => CursorMove::WordForward,
                Motion::WordBack => CursorMove::WordBack,
                _ => CursorMove::WordEnd,
            };
            for _ in 0..n {
                ta.move_cursor(mv);
                // Onto the next line: its first word, past the indentation (an empty line is a word).
                let (row, col) = cursor(ta);
                let indent = first_non_blank(ta, row);
                if m == Motion::WordForward && col < indent && indent < line_len(ta, row) {
                    jump(ta, row, indent);
                }
            }
        }
        Motion::BigWordForward | Motion::BigWordBack | Motion::BigWordEnd => {
            let mut at = (r, c);
            for _ in 0..n {
                at = big_word(ta, at, m);
            }
            jump(ta, at.0, at.1);
        }
        // { }: to the blank line before / after the paragraph (the first / last line when there is none).
        Motion::ParagraphForward | Motion::ParagraphBack => {
            let blank = |row: usize| ta.lines()[row].trim().is_empty();
            let mut row = r;
            for _ in 0..n {
                row = if m == Motion::ParagraphForward {
                    let mut x = row;
                    while x < last && blank(x) {
                        x += 1;
                    }
                    while x < last && !blank(x) {
                        x += 1;
                    }
                    x
                } else {
                    let mut x = row;
                    while x > 0 && blank(x) {
                        x -= 1;
                    }
                    while x > 0 && !blank(x) {
                        x -= 1;
                    }
                    x
                };
            }
            let col = if m == Motion::ParagraphForward && row == last && !blank(row) { line_len(ta, row) } else { 0 };
            jump(ta, row, col);
        }
    }
}

/// W, B, E from `at`: the next WORD's start, the previous one's start, the next end (WORDs are runs of non-blanks).
fn big_word(ta: &TextArea, at: (usize, usize), m: Motion) -> (usize, usize) {
    // The text as (row, col, char) with a blank between lines.
    let lines = ta.lines();
    let mut cells: Vec<(usize, usize, char)> = Vec::new();
    for (row, line) in lines.iter().enumerate() {
        cells.extend(line.chars().enumerate().map(|(col, ch)| (row, col, ch)));
        cells.push((row, line.chars().count(), '\n'));
    }
    let Some(i) = cells.iter().position(|&(r, c, _)| (r, c) >= at) else { return at };
    let blank = |k: usize| cells[k].2.is_whitespace();
    let n = cells.len();
    let k = match m {
        Motion::BigWordForward => {
            let mut k = i;
            while k < n && !blank(k) {
                k += 1;
            }
            while k < n && blank(k) {
                k += 1;
            }
            k.min(n - 1)
        }
        Motion::BigWordEnd => {
            let mut k = i + 1;
            while k < n && blank(k) {
                k += 1;
            }
            while k + 1 < n && !blank(k + 1) {
                k += 1;
            }
            k.min(n - 1)
        }
        _ => {
            let mut k = i;
            while k > 0 && blank(k - 1) {
                k -= 1;
            }
            k = k.saturating_sub(1);
            while k > 0 && blank(k) {
                k -= 1;
            }
            while k > 0 && !blank(k - 1) {
                k -= 1;
            }
            k
        }
    };
    (cells[k].0, cells[k].1)
}

/// `%`: where the match of the bracket under the cursor (or the next one on the line) is, across lines.
pub(super) fn bracket_match(ta: &TextArea) -> Option<(usize, usize)> {
    let (r, col) = cursor(ta);
    let cells = super::object::cells(ta);
    let at = cells.iter().position(|&(rr, cc, _)| (rr, cc) == (r, col))?;
    let from = (at..cells.len())
        .take_while(|&k| cells[k].0 == r)
        .find(|&k| matches!(cells[k].2, '(' | ')' | '[' | ']' | '{' | '}'))?;
    let ch = cells[from].2;
    let (open, close, forward) = match ch {
        '(' => ('(', ')', true),
        '[' => ('[', ']', true),
        '{' => ('{', '}', true),
        ')' => ('(', ')', false),
        ']' => ('[', ']', false),
        _ => ('{', '}', false),
    };
    let mut depth = 0usize;
    let order: Box<dyn Iterator<Item = usize>> =
        if forward { Box::new(from + 1..cells.len()) } else { Box::new((0..from).rev()) };
    let (same, other) = if forward { (open, close) } else { (close, open) };
    for k in order {
        if cells[k].2 == same {
            depth += 1;
        } else if cells[k].2 == other {
            if depth == 0 {
                return Some((cells[k].0, cells[k].1));
            }
            depth -= 1;
        }
    }
    None
}
