//! Vim's undo: one step per command, an insert (with the change that began it) as one step, as vim does — not the
//! text area's own history, which records every typed character.
use tui_textarea::TextArea;

use super::{cursor, jump};

/// Steps kept (each holds the text before it).
const STEPS: usize = 100;

#[derive(Debug, Clone)]
pub struct Snapshot {
    lines: Vec<String>,
    cursor: (usize, usize),
}

impl Snapshot {
    pub fn of(ta: &TextArea) -> Snapshot {
        Snapshot { lines: ta.lines().to_vec(), cursor: cursor(ta) }
    }

    fn restore(self, ta: &mut TextArea<'static>) {
        let mut fresh = TextArea::new(self.lines);
        fresh.set_max_histories(200);
        *ta = fresh;
        jump(ta, self.cursor.0, self.cursor.1);
    }
}

#[derive(Debug, Clone, Default)]
pub struct History {
    undo: Vec<Snapshot>,
    redo: Vec<Snapshot>,
}

impl History {
    /// A command ran from `before`: a step when it changed the text (true then).
    pub fn record(&mut self, before: Snapshot, ta: &TextArea) -> bool {
        if before.lines.as_slice() == ta.lines() {
            return false;
        }
        self.undo.push(before);
        if self.undo.len() > STEPS {
            self.undo.remove(0);
        }
        self.redo.clear();
        true
    }

    pub fn undo(&mut self, ta: &mut TextArea<'static>, n: usize) {
        for _ in 0..n {
            let Some(s) = self.undo.pop() else { return };
            self.redo.push(Snapshot::of(ta));
            s.restore(ta);
        }
    }

    pub fn redo(&mut self, ta: &mut TextArea<'static>, n: usize) {
        for _ in 0..n {
            let Some(s) = self.redo.pop() else { return };
            self.undo.push(Snapshot::of(ta));
            s.restore(ta);
        }
    }
}
