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
mod object;
mod ops;
mod pane;
#[cfg(test)]
mod tests;
mod undo;

use motion::{Motion, apply};

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
    /// Ctrl-W j: leave the editor for the results.
    Leave,
    /// Esc in normal mode with nothing pending: stops a running query; else says how to leave the editor.
    Esc,
    /// `/` (forward) or `?` (back): the search prompt.
    Search(bool),
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
    /// The last f F t T (`;` and `,` repeat it).
    last_find: Option<Motion>,
    /// Undo steps, and the text when the current insert began.
    history: undo::History,
    insert_start: Option<undo::Snapshot>,
    /// The keys of the command being typed, of the last change, and whether `.` is replaying it.
    keys: Vec<KeyEvent>,
    last_change: Vec<KeyEvent>,
    replaying: bool,
    /// The editor buffer this state is about (its id).
    buffer: u64,
}

/// The prefix Ctrl-W leaves pending (a window command: `j` goes to the results).
const WINDOW: char = '\u{17}';

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
            .chain(self.prefix.map(|p| if p == WINDOW { "^W".to_string() } else { p.to_string() }))
            .collect();
        if !pending.is_empty() {
            s.push(' ');
            s.push_str(&pending);
        }
        s
    }

    /// The rows visual-line mode covers (for drawing), within the text.
    pub fn line_selection(&self, ta: &TextArea) -> Option<(usize, usize)> {
        let (row, _) = cursor(ta);
        let anchor = self.line_anchor.min(ta.lines().len().saturating_sub(1));
        (self.mode == Mode::VisualLine).then(|| (anchor.min(row), anchor.max(row)))
    }

    /// Keys now go to buffer `id`: when it is another one, normal mode and a fresh undo history (the register
    /// and the last change stay, as vim's do across buffers).
    pub fn use_buffer(&mut self, id: u64, ta: &mut TextArea<'static>) {
        if self.buffer != id {
            self.buffer = id;
            self.reset();
            self.mode = Mode::Normal;
            self.history = undo::History::default();
            self.insert_start = None;
            self.keys.clear();
            ta.cancel_selection();
        }
    }

    fn reset(&mut self) {
        self.count = None;
        self.op = None;
        self.prefix = None;
    }

    pub fn key(&mut self, ta: &mut TextArea<'static>, key: &KeyEvent) -> Outcome {
        // The keys of the command being typed, kept as the last change when it changes the text (`.` repeats).
        if !self.replaying {
            if self.mode == Mode::Normal && !self.pending() {
                self.keys.clear();
            }
            self.keys.push(*key);
        }
        if self.mode == Mode::Insert {
            return self.insert_key(ta, key);
        }
        if key.code == KeyCode::Char('.')
            && key.modifiers.is_empty()
            && self.mode == Mode::Normal
            && self.op.is_none()
            && self.prefix.is_none()
        {
            let n = self.count.take().unwrap_or(1);
            self.repeat(ta, n);
            return Outcome::Handled;
        }
        if matches!(key.code, KeyCode::Char('u')) && !key.modifiers.contains(KeyModifiers::CONTROL) && self.pending() {
            // `u` after an operator or a prefix is no undo: the pending command is dropped.
        } else if matches!(key.code, KeyCode::Char('u'))
            && !key.modifiers.contains(KeyModifiers::CONTROL)
            && self.mode == Mode::Normal
        {
            let n = self.count.take().unwrap_or(1);
            self.reset();
            self.history.undo(ta, n);
            return Outcome::Handled;
        } else if key.code == KeyCode::Char('r') && key.modifiers.contains(KeyModifiers::CONTROL) {
            let n = self.count.take().unwrap_or(1);
            self.reset();
            self.mode = Mode::Normal;
            ta.cancel_selection();
            self.history.redo(ta, n);
            return Outcome::Handled;
        }
        // One undo step per command: the text before it, kept when the command changed it (or, for one that
        // enters insert mode, when the insert ends).
        // Motions, counts and searches take no copy (a big file would be copied on every `j`).
        let before = self.may_change(key).then(|| undo::Snapshot::of(ta));
        let outcome = self.command(ta, key);
        if self.mode == Mode::Insert {
            self.insert_start = Some(before.unwrap_or_else(|| undo::Snapshot::of(ta)));
        } else {
            if let Some(before) = before
                && self.history.record(before, ta)
                && !self.pending()
                && !self.replaying
            {
                self.last_change = self.keys.clone();
            }
            // In normal mode the cursor rests on a character, not after the last.
            if self.mode == Mode::Normal {
                let (r, c) = cursor(ta);
                let len = line_len(ta, r);
                if c > 0 && c >= len {
                    jump(ta, r, len.saturating_sub(1));
                }
            }
        }
        outcome
    }

    /// `.`: the last change's keys again, `n` times (one undo step each, as typed).
    fn repeat(&mut self, ta: &mut TextArea<'static>, n: usize) {
        let keys = self.last_change.clone();
        self.replaying = true;
        for _ in 0..n {
            for k in &keys {
                if self.key(ta, k) == Outcome::Insert {
                    ta.input(*k);
                }
            }
        }
        self.replaying = false;
    }

    /// Whether `key`, in normal or visual mode, can change the text: motions, counts, searches, mode switches and
    /// prefixes waiting for a motion cannot (the test checks this on random keys and texts).
    pub(super) fn may_change(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // Ctrl-R (redo) runs whatever is pending.
        if self.op.is_some() || matches!(self.prefix, Some('r' | 'i' | 'a')) || ctrl && key.code == KeyCode::Char('r') {
            return true;
        }
        if self.prefix.is_some() || ctrl {
            return false;
        }
        match key.code {
            KeyCode::Char(c) => {
                !(c.is_ascii_digit()
                    || motion::motion_of(c, None).is_some()
                    || matches!(c, ';' | ',' | 'g' | 'f' | 'F' | 't' | 'T' | 'v' | 'V' | '/' | '?' | 'n' | 'N' | ':'))
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Up | KeyCode::Down | KeyCode::Home | KeyCode::End => false,
            KeyCode::Enter | KeyCode::Backspace | KeyCode::Esc => false,
            _ => true,
        }
    }

    fn pending(&self) -> bool {
        self.count.is_some() || self.op.is_some() || self.prefix.is_some()
    }

    /// Insert mode: Esc ends it (one undo step for all that was typed); vim's Ctrl keys; the rest is text.
    fn insert_key(&mut self, ta: &mut TextArea<'static>, key: &KeyEvent) -> Outcome {
        if key.code == KeyCode::Esc {
            self.mode = Mode::Normal;
            // A selection made in insert mode (Shift-arrows) would be taken by the next edit.
            ta.cancel_selection();
            if let Some(before) = self.insert_start.take()
                && self.history.record(before, ta)
                && !self.replaying
            {
                self.last_change = self.keys.clone();
            }
            let (r, c) = cursor(ta);
            jump(ta, r, c.saturating_sub(1));
            return Outcome::Handled;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            match key.code {
                KeyCode::Char('j') | KeyCode::Char('m') => ta.insert_newline(),
                KeyCode::Char('u') => {
                    ta.delete_line_by_head();
                }
                KeyCode::Char('w') => {
                    ta.delete_word();
                }
                KeyCode::Char('h') => {
                    ta.delete_char();
                }
                // The text area's own Emacs keys (Ctrl-K, Ctrl-D, Ctrl-A, Ctrl-N…) are not vim's: nothing.
                _ => {}
            }
            return Outcome::Handled;
        }
        Outcome::Insert
    }

    /// A key in normal or visual mode.
    fn command(&mut self, ta: &mut TextArea<'static>, key: &KeyEvent) -> Outcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // Only visual mode has a selection (one left from elsewhere would be taken by p, o, O).
        if self.mode == Mode::Normal {
            ta.cancel_selection();
        }
        if key.code == KeyCode::Esc {
            let busy = self.pending();
            self.reset();
            if matches!(self.mode, Mode::Visual | Mode::VisualLine) {
                self.mode = Mode::Normal;
                ta.cancel_selection();
                return Outcome::Handled;
            }
            return if busy { Outcome::Handled } else { Outcome::Esc };
        }
        // The second key of a prefix is read as it is (r⏎ splits the line, f⇥ finds a tab).
        if let Some(p) = self.prefix.take() {
            let c = match key.code {
                KeyCode::Char(c) if !ctrl || p == WINDOW => c,
                KeyCode::Enter => '\n',
                KeyCode::Tab => '\t',
                KeyCode::Down if p == WINDOW => 'j',
                _ => {
                    self.reset();
                    return Outcome::Handled;
                }
            };
            return self.second_key(ta, p, c);
        }
        if ctrl {
            // Ctrl-W then j (or w, or ↓): to the results, as vim moves between windows.
            if key.code == KeyCode::Char('w') {
                self.prefix = Some(WINDOW);
            } else {
                self.reset();
            }
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
        if let Some(d) = c.to_digit(10).filter(|d| *d > 0 || self.count.is_some()) {
            let n = self.count.unwrap_or(0).saturating_mul(10).saturating_add(d as usize).min(100_000);
            self.count = Some(n);
            return Outcome::Handled;
        }
        let typed = self.count;
        let n = self.count.take().unwrap_or(1);
        // After an operator or in visual mode, `i` and `a` start a text object (`diw`, `ci'`, `va(`).
        let objects = self.op.is_some() || matches!(self.mode, Mode::Visual | Mode::VisualLine);
        if matches!(c, 'g' | 'r' | 'f' | 'F' | 't' | 'T') || objects && matches!(c, 'i' | 'a') {
            // The count waits with the prefix.
            self.count = typed;
            self.prefix = Some(c);
            return Outcome::Handled;
        }
        if let Some(m) = self.motion_of(c, typed) {
            return self.motion(ta, m, n);
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

    /// A motion key: vim's own, or `;` / `,` repeating the last f F t T (`,` the other way).
    fn motion_of(&self, c: char, count: Option<usize>) -> Option<Motion> {
        match c {
            ';' | ',' => self.last_find.map(|m| match (c, m) {
                (',', Motion::Find(ch, forward, till)) => Motion::Find(ch, !forward, till),
                _ => m,
            }),
            _ => motion::motion_of(c, count),
        }
    }

    /// A click moved the cursor: visual mode and anything pending end.
    pub fn clicked(&mut self, ta: &mut TextArea<'static>) {
        self.reset();
        if matches!(self.mode, Mode::Visual | Mode::VisualLine) {
            self.mode = Mode::Normal;
            ta.cancel_selection();
        }
    }

    /// What visual mode covers, as a run takes it (from, to: exclusive): the character under the cursor included,
    /// whole lines in visual-line mode; None outside visual mode.
    pub fn selection(&self, ta: &TextArea) -> Option<((usize, usize), (usize, usize))> {
        if let Some((r1, r2)) = self.line_selection(ta) {
            return Some(((r1, 0), (r2, line_len(ta, r2))));
        }
        if self.mode != Mode::Visual {
            return None;
        }
        let (a, (r2, c2)) = ta.selection_range()?;
        Some((a, (r2, (c2 + 1).min(line_len(ta, r2)))))
    }

    fn second_key(&mut self, ta: &mut TextArea<'static>, p: char, c: char) -> Outcome {
        let typed = self.count;
        let n = self.count.take().unwrap_or(1);
        match p {
            WINDOW if matches!(c, 'j' | 'w' | 'W' | '\u{17}') => {
                self.reset();
                Outcome::Leave
            }
            'i' | 'a' => self.object(ta, p == 'a', c),
            'g' if c == 'g' => self.motion(ta, Motion::GotoLine(Some(typed.unwrap_or(1))), 1),
            'r' if self.mode == Mode::Normal && self.op.is_none() => {
                let (r, col) = cursor(ta);
                if col + n <= line_len(ta, r) {
                    jump(ta, r, col);
                    ta.start_selection();
                    jump(ta, r, col + n);
                    ta.cut();
                    if c == '\n' {
                        // r⏎ splits the line there (the replaced characters become one line break).
                        ta.insert_newline();
                    } else {
                        ta.insert_str(c.to_string().repeat(n));
                        jump(ta, r, col + n - 1);
                    }
                }
                Outcome::Handled
            }
            'f' | 'F' | 't' | 'T' => {
                let m = Motion::Find(c, matches!(p, 'f' | 't'), matches!(p, 't' | 'T'));
                self.last_find = Some(m);
                self.motion(ta, m, n)
            }
            _ => {
                self.reset();
                Outcome::Handled
            }
        }
    }
}
