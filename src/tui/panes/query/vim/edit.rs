//! Normal mode's own commands: entering insert and visual mode, x X D C s S r J, p P, u, search and the palette.
use tui_textarea::TextArea;

use super::{Mode, Op, Outcome, Vim, cursor, first_non_blank, jump, line_len};

impl Vim {
    pub(super) fn normal_key(&mut self, ta: &mut TextArea<'static>, c: char, n: usize) -> Outcome {
        let (r, col) = cursor(ta);
        let len = line_len(ta, r);
        match c {
            'i' => return self.insert(),
            'a' => {
                jump(ta, r, (col + 1).min(len));
                return self.insert();
            }
            'I' => {
                jump(ta, r, first_non_blank(ta, r));
                return self.insert();
            }
            'A' => {
                jump(ta, r, len);
                return self.insert();
            }
            'o' => {
                jump(ta, r, len);
                ta.insert_newline();
                return self.insert();
            }
            'O' => {
                jump(ta, r, 0);
                ta.insert_newline();
                jump(ta, r, 0);
                return self.insert();
            }
            'v' => self.enter_visual(ta, Mode::Visual),
            'V' => self.enter_visual(ta, Mode::VisualLine),
            'x' if len > 0 => {
                self.chars_op(ta, Op::Delete, (r, col), (r, (col + n).min(len)));
                let len = line_len(ta, r);
                if col >= len && len > 0 {
                    jump(ta, r, len - 1);
                }
            }
            'X' if col > 0 => {
                self.chars_op(ta, Op::Delete, (r, col.saturating_sub(n)), (r, col));
            }
            'D' => {
                self.chars_op(ta, Op::Delete, (r, col), (r, len));
                jump(ta, r, col.saturating_sub(1));
            }
            'C' => return self.chars_op(ta, Op::Change, (r, col), (r, len)),
            's' => return self.chars_op(ta, Op::Change, (r, col), (r, (col + n).min(len))),
            'S' => {
                self.lines_op(ta, Op::Change, r, (r + n - 1).min(ta.lines().len() - 1));
                return Outcome::Handled;
            }
            'J' => {
                for _ in 0..n.max(2) - 1 {
                    let (r, _) = cursor(ta);
                    if r + 1 >= ta.lines().len() {
                        break;
                    }
                    let end = line_len(ta, r);
                    let next_indent = first_non_blank(ta, r + 1);
                    jump(ta, r, end);
                    ta.start_selection();
                    jump(ta, r + 1, next_indent);
                    ta.cut();
                    ta.insert_char(' ');
                    jump(ta, r, end);
                }
            }
            'p' | 'P' => self.put(ta, c == 'p', n),
            '/' => return Outcome::Search(true),
            '?' => return Outcome::Search(false),
            'n' => return Outcome::SearchAgain(true),
            'N' => return Outcome::SearchAgain(false),
            ':' => return Outcome::Palette,
            _ => {}
        }
        Outcome::Handled
    }

    /// p / P: the register after / before the cursor (whole lines below / above).
    fn put(&mut self, ta: &mut TextArea<'static>, after: bool, n: usize) {
        let reg = self.register.clone();
        if reg.text.is_empty() && !reg.lines {
            return;
        }
        let text = vec![reg.text.as_str(); n].join(if reg.lines { "\n" } else { "" });
        let (r, col) = cursor(ta);
        if reg.lines {
            if after {
                jump(ta, r, line_len(ta, r));
                ta.insert_newline();
                ta.insert_str(&text);
                jump(ta, r + 1, first_non_blank(ta, r + 1));
            } else {
                jump(ta, r, 0);
                ta.insert_str(format!("{text}\n"));
                jump(ta, r, first_non_blank(ta, r));
            }
        } else {
            let at = if after && line_len(ta, r) > 0 { col + 1 } else { col };
            jump(ta, r, at);
            ta.insert_str(&text);
            let (r2, c2) = cursor(ta);
            jump(ta, r2, c2.saturating_sub(1));
        }
    }
}
