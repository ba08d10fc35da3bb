//! Operators over characters and lines, and visual mode's keys.
use tui_textarea::TextArea;

use super::{Mode, Op, Outcome, Register, Vim, cursor, first_non_blank, jump, line_len};

impl Vim {
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
