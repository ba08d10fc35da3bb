//! The query editor's optional vim mode (off by default; `vim = true` in settings.toml, or the palette's "vim
//! mode"). Normal, insert, visual and visual-line modes; motions h j k l w b e W B E 0 ^ $ gg G { } f F t T with
//! counts; operators d c y with a motion, doubled for lines (dd cc yy) or over a visual selection; x X D C s S r J
//! p P u Ctrl-R; i a I A o O; / n N search; `:` the command palette. Esc leaves insert and visual mode; in normal
//! mode it leaves the editor, as Esc does without vim mode. Not here: registers other than the one, marks, the
//! dot repeat, text objects (`iw`), macros; an undo takes back one edit of the text area, not one whole insert.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_textarea::{CursorMove, DataCursor, TextArea};

mod edit;
mod motion;
mod pane;
#[cfg(test)]
mod tests;

use motion::{Motion, apply, motion_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    Insert,
    Visual,
    VisualLine,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Normal => "NORMAL",
            Mode::Insert => "INSERT",
            Mode::Visual => "VISUAL",
            Mode::VisualLine => "V-LINE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Delete,
    Change,
    Yank,
}

impl Op {
    fn key(self) -> char {
        match self {
            Op::Delete => 'd',
            Op::Change => 'c',
            Op::Yank => 'y',
        }
    }
}

/// What the pane does after a key in vim mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done here (the text, cursor or mode changed, or the key was part of a command still being typed).
    Handled,
    /// Insert mode: the key is text for the editor as without vim mode.
    Insert,
    /// Esc in normal mode with nothing pending: leave the editor.
    Leave,
    /// `/`: the search prompt.
    Search,
    /// `n` / `N`: the last search again, forward or back.
    SearchAgain(bool),
    /// `:`: the command palette.
    Palette,
}

/// What yanks and deletes keep (one register), and whether it is whole lines.
#[derive(Debug, Clone, Default)]
struct Register {
    text: String,
    lines: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Vim {
    pub mode: Mode,
    count: Option<usize>,
    /// An operator waiting for its motion, with the count typed before it.
    op: Option<(Op, usize)>,
    /// g, r, f, F, t, T: waiting for their second key.
    prefix: Option<char>,
    register: Register,
    /// The row visual-line mode started on.
    line_anchor: usize,
}

fn cursor(ta: &TextArea) -> (usize, usize) {
    let DataCursor(r, c) = ta.cursor();
    (r, c)
}

fn line_len(ta: &TextArea, row: usize) -> usize {
    ta.lines().get(row).map_or(0, |l| l.chars().count())
}

fn jump(ta: &mut TextArea, row: usize, col: usize) {
    let row = row.min(ta.lines().len().saturating_sub(1));
    let col = col.min(line_len(ta, row));
    ta.move_cursor(CursorMove::Jump(u16::try_from(row).unwrap_or(u16::MAX), u16::try_from(col).unwrap_or(u16::MAX)));
}

fn first_non_blank(ta: &TextArea, row: usize) -> usize {
    ta.lines().get(row).map_or(0, |l| l.chars().take_while(|c| c.is_whitespace()).count())
}

impl Vim {
    /// What the frame shows: the mode and what is being typed (`2d`, `g`).
    pub fn status(&self) -> String {
        let mut s = self.mode.label().to_string();
        let pending: String = self
            .op
            .map(|(o, n)| if n > 1 { format!("{n}{}", o.key()) } else { o.key().to_string() })
            .into_iter()
            .chain(self.count.map(|n| n.to_string()))
            .chain(self.prefix.map(String::from))
            .collect();
        if !pending.is_empty() {
            s.push(' ');
            s.push_str(&pending);
        }
        s
    }

    /// The rows visual-line mode covers (for drawing).
    pub fn line_selection(&self, ta: &TextArea) -> Option<(usize, usize)> {
        let (row, _) = cursor(ta);
        (self.mode == Mode::VisualLine).then(|| (self.line_anchor.min(row), self.line_anchor.max(row)))
    }

    fn reset(&mut self) {
        self.count = None;
        self.op = None;
        self.prefix = None;
    }

    pub fn key(&mut self, ta: &mut TextArea<'static>, key: &KeyEvent) -> Outcome {
        if self.mode == Mode::Insert {
            if key.code == KeyCode::Esc {
                self.mode = Mode::Normal;
                let (r, c) = cursor(ta);
                jump(ta, r, c.saturating_sub(1));
                return Outcome::Handled;
            }
            return Outcome::Insert;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc {
            let busy = self.count.is_some() || self.op.is_some() || self.prefix.is_some();
            self.reset();
            if matches!(self.mode, Mode::Visual | Mode::VisualLine) {
                self.mode = Mode::Normal;
                ta.cancel_selection();
                return Outcome::Handled;
            }
            return if busy { Outcome::Handled } else { Outcome::Leave };
        }
        if ctrl {
            if key.code == KeyCode::Char('r') {
                for _ in 0..self.count.take().unwrap_or(1) {
                    ta.redo();
                }
            }
            self.reset();
            return Outcome::Handled;
        }
        let c = match key.code {
            KeyCode::Char(c) => c,
            KeyCode::Left | KeyCode::Backspace => 'h',
            KeyCode::Right => 'l',
            KeyCode::Up => 'k',
            KeyCode::Down | KeyCode::Enter => 'j',
            KeyCode::Home => '0',
            KeyCode::End => '$',
            KeyCode::Delete => 'x',
            _ => {
                self.reset();
                return Outcome::Handled;
            }
        };
        if let Some(p) = self.prefix.take() {
            return self.second_key(ta, p, c);
        }
        if let Some(d) = c.to_digit(10).filter(|d| *d > 0 || self.count.is_some()) {
            let n = self.count.unwrap_or(0).saturating_mul(10).saturating_add(d as usize).min(100_000);
            self.count = Some(n);
            return Outcome::Handled;
        }
        let typed = self.count;
        let n = self.count.take().unwrap_or(1);
        if let Some(m) = motion_of(c, typed) {
            return self.motion(ta, m, n);
        }
        match c {
            'g' | 'r' | 'f' | 'F' | 't' | 'T' => {
                // The count waits with the prefix.
                self.count = typed;
                self.prefix = Some(c);
                return Outcome::Handled;
            }
            _ => {}
        }
        if matches!(self.mode, Mode::Visual | Mode::VisualLine) {
            return self.visual_key(ta, c);
        }
        if let Some(op) = match c {
            'd' => Some(Op::Delete),
            'c' => Some(Op::Change),
            'y' => Some(Op::Yank),
            _ => None,
        } {
            match self.op.take() {
                // dd, cc, yy: lines from this one.
                Some((o, k)) if o == op => {
                    let (r, _) = cursor(ta);
                    let last = (r + n * k - 1).min(ta.lines().len() - 1);
                    self.lines_op(ta, op, r, last);
                }
                Some(_) => {}
                None => self.op = Some((op, n)),
            }
            return Outcome::Handled;
        }
        self.op = None;
        self.normal_key(ta, c, n)
    }

    fn second_key(&mut self, ta: &mut TextArea<'static>, p: char, c: char) -> Outcome {
        let typed = self.count;
        let n = self.count.take().unwrap_or(1);
        match p {
            'g' if c == 'g' => self.motion(ta, Motion::GotoLine(Some(typed.unwrap_or(1))), 1),
            'r' if self.mode == Mode::Normal && self.op.is_none() => {
                let (r, col) = cursor(ta);
                if col + n <= line_len(ta, r) {
                    jump(ta, r, col);
                    ta.start_selection();
                    jump(ta, r, col + n);
                    ta.cut();
                    ta.insert_str(c.to_string().repeat(n));
                    jump(ta, r, col + n - 1);
                }
                Outcome::Handled
            }
            'f' | 'F' | 't' | 'T' => {
                self.motion(ta, Motion::Find(c, matches!(p, 'f' | 't'), matches!(p, 't' | 'T')), n)
            }
            _ => {
                self.reset();
                Outcome::Handled
            }
        }
    }

    /// A motion: moves the cursor, or gives a waiting operator its range.
    fn motion(&mut self, ta: &mut TextArea<'static>, m: Motion, n: usize) -> Outcome {
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
        // `cw` changes to the end of the word, as vim does.
        let m = if op == Op::Change && m == Motion::WordForward { Motion::WordEnd } else { m };
        apply(ta, m, n, true);
        let end = cursor(ta);
        if m.linewise() {
            self.lines_op(ta, op, start.0.min(end.0), start.0.max(end.0));
            return if op == Op::Change { self.insert() } else { Outcome::Handled };
        }
        let (a, mut b) = (start.min(end), start.max(end));
        if m.inclusive() && end >= start {
            b.1 = (b.1 + 1).min(line_len(ta, b.0));
        }
        // `dw` on a line's last word stops at the end of the line.
        if m == Motion::WordForward && b.0 > a.0 && n == 1 {
            b = (a.0, line_len(ta, a.0));
        }
        self.chars_op(ta, op, a, b)
    }

    fn insert(&mut self) -> Outcome {
        self.mode = Mode::Insert;
        Outcome::Handled
    }

    /// An operator over the characters from `a` to before `b`.
    fn chars_op(&mut self, ta: &mut TextArea<'static>, op: Op, a: (usize, usize), b: (usize, usize)) -> Outcome {
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
    fn lines_op(&mut self, ta: &mut TextArea<'static>, op: Op, r1: usize, r2: usize) {
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

    fn visual_key(&mut self, ta: &mut TextArea<'static>, c: char) -> Outcome {
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

    fn enter_visual(&mut self, ta: &mut TextArea<'static>, mode: Mode) {
        ta.cancel_selection();
        self.mode = mode;
        if mode == Mode::Visual {
            ta.start_selection();
        } else {
            self.line_anchor = cursor(ta).0;
        }
    }
}
