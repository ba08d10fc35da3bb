//! Operators: a motion's range (or the motion alone), over characters and lines; visual mode's keys.
use tui_textarea::TextArea;

use super::{Mode, Motion, Op, Outcome, Register, Vim, apply, cursor, first_non_blank, jump, line_len};

impl Vim {
    /// A motion: moves the cursor, or gives a waiting operator its range.
    pub(super) fn motion(&mut self, ta: &mut TextArea<'static>, m: Motion, n: usize) -> Outcome {
        let Some((op, k)) = self.op.take() else {
            apply(ta, m, n, false);
            // In normal mode the cursor rests on a character, not after the last.
            if self.mode == Mode::Normal {
                let (r, c) = cursor(ta);
                if c > 0 && c >= line_len(ta, r) {
                    jump(ta, r, line_len(ta, r) - 1);
                }
            }
            return Outcome::Handled;
        };
        let n = n * k;
        let start = cursor(ta);
        // `cw` changes to the end of the word, as vim does (a one-letter word: that letter, not the next word).
        if op == Op::Change && matches!(m, Motion::WordForward | Motion::BigWordForward) && n == 1 {
            let line: Vec<char> = ta.lines()[start.0].chars().collect();
            if let Some(&ch) = line.get(start.1).filter(|c| !c.is_whitespace()) {
                let word = |c: char| c.is_alphanumeric() || c == '_';
                let same = |c: char| !c.is_whitespace() && (m == Motion::BigWordForward || word(c) == word(ch));
                let end = (start.1..line.len()).take_while(|&i| same(line[i])).last().unwrap_or(start.1);
                return self.chars_op(ta, op, start, (start.0, end + 1));
            }
        }
        let m = if op == Op::Change && m == Motion::WordForward { Motion::WordEnd } else { m };
        let m = if op == Op::Change && m == Motion::BigWordForward { Motion::BigWordEnd } else { m };
        apply(ta, m, n, true);
        let end = cursor(ta);
        if m.linewise() {
            self.lines_op(ta, op, start.0.min(end.0), start.0.max(end.0));
            return if op == Op::Change { self.insert() } else { Outcome::Handled };
        }
        let (a, mut b) = (start.min(end), start.max(end));
        if m.inclusive() && (end >= start || m == Motion::Bracket) {
            b.1 = (b.1 + 1).min(line_len(ta, b.0));
        }
        // `dw` over a line's last word stops at that line's end, not at the next line's first word.
        if matches!(m, Motion::WordForward | Motion::BigWordForward) && b.0 > a.0 && b.1 <= first_non_blank(ta, b.0) {
            b = (b.0 - 1, line_len(ta, b.0 - 1));
        }
        // Vim's rule for exclusive motions that end at the start of a later line: from the line's first non-blank
        // they take whole lines; else they stop at the end of the line before (`dw` on a line's last word).
        if !m.inclusive() && b.1 == 0 && b.0 > a.0 {
            if a.1 <= first_non_blank(ta, a.0) {
                self.lines_op(ta, op, a.0, b.0 - 1);
                return if op == Op::Change { self.insert() } else { Outcome::Handled };
            }
            b = (b.0 - 1, line_len(ta, b.0 - 1));
        }
        self.chars_op(ta, op, a, b)
    }

    pub(super) fn insert(&mut self) -> Outcome {
        self.mode = Mode::Insert;
        Outcome::Handled
    }
    /// An operator over the characters from `a` to before `b`.
    pub(super) fn chars_op(
        &mut self,
        ta: &mut TextArea<'static>,
        op: Op,
        a: (usize, usize),
        b: (usize, usize),
    ) -> Outcome {
        if a == b {
            jump(ta, a.0, a.1);
            return if op == Op::Change { self.insert() } else { Outcome::Handled };
        }
        jump(ta, a.0, a.1);
        ta.start_selection();
        jump(ta, b.0, b.1);
        if op == Op::Yank {
            ta.copy();
            ta.cancel_selection();
            jump(ta, a.0, a.1);
        } else {
            ta.cut();
        }
        self.register = Register { text: ta.yank_text(), lines: false };
        if op == Op::Change { self.insert() } else { Outcome::Handled }
    }

    /// An operator over whole lines `r1..=r2`.
    pub(super) fn lines_op(&mut self, ta: &mut TextArea<'static>, op: Op, r1: usize, r2: usize) {
        let n = ta.lines().len();
        let r2 = r2.min(n - 1);
        self.register = Register { text: ta.lines()[r1..=r2].join("\n"), lines: true };
        match op {
            Op::Yank => {
                let col = cursor(ta).1;
                jump(ta, r1, col);
            }
            Op::Change => {
                let indent = first_non_blank(ta, r1);
                jump(ta, r1, indent);
                ta.start_selection();
                jump(ta, r2, line_len(ta, r2));
                ta.cut();
                self.mode = Mode::Insert;
            }
            Op::Delete => {
                if r2 + 1 < n {
                    jump(ta, r1, 0);
                    ta.start_selection();
                    jump(ta, r2 + 1, 0);
                } else if r1 > 0 {
                    jump(ta, r1 - 1, line_len(ta, r1 - 1));
                    ta.start_selection();
                    jump(ta, r2, line_len(ta, r2));
                } else {
                    jump(ta, 0, 0);
                    ta.start_selection();
                    jump(ta, r2, line_len(ta, r2));
                }
                ta.cut();
                let row = r1.min(ta.lines().len() - 1);
                jump(ta, row, first_non_blank(ta, row));
            }
        }
    }

    pub(super) fn visual_key(&mut self, ta: &mut TextArea<'static>, c: char) -> Outcome {
        let op = match c {
            'd' | 'x' => Op::Delete,
            'c' | 's' => Op::Change,
            'y' => Op::Yank,
            'v' | 'V' => {
                let to = if c == 'v' { Mode::Visual } else { Mode::VisualLine };
                if self.mode == to {
                    self.mode = Mode::Normal;
                    ta.cancel_selection();
                } else {
                    self.enter_visual(ta, to);
                }
                return Outcome::Handled;
            }
            ':' => return Outcome::Palette,
            _ => return Outcome::Handled,
        };
        let line = self.line_selection(ta);
        let range = ta.selection_range();
        ta.cancel_selection();
        self.mode = Mode::Normal;
        if let Some((r1, r2)) = line {
            self.lines_op(ta, op, r1, r2);
            return if op == Op::Change { self.insert() } else { Outcome::Handled };
        }
        match range {
            // Visual mode takes the character under the cursor too.
            Some((a, b)) => {
                let b = (b.0, (b.1 + 1).min(line_len(ta, b.0)));
                self.chars_op(ta, op, a, b)
            }
            None => Outcome::Handled,
        }
    }

    pub(super) fn enter_visual(&mut self, ta: &mut TextArea<'static>, mode: Mode) {
        ta.cancel_selection();
        self.mode = mode;
        if mode == Mode::Visual {
            ta.start_selection();
        } else {
            self.line_anchor = cursor(ta).0;
        }
    }
}
