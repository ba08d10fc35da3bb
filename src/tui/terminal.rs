//! The terminal guard: raw mode and the alternate screen on entry; restored on drop, on error and on panic.
use std::io::{Write, stdout};

use crossterm::{cursor, execute, terminal};

pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> std::io::Result<TerminalGuard> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            TerminalGuard::restore();
            prev(info);
        }));
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            stdout(),
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide,
            crossterm::event::EnableBracketedPaste
        )?;
        Ok(guard)
    }

    /// Safe to call more than once.
    pub fn restore() {
        let _ = terminal::disable_raw_mode();
        let mut out = stdout();
        let _ = execute!(out, crossterm::event::DisableBracketedPaste, terminal::LeaveAlternateScreen, cursor::Show);
        let _ = out.flush();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        TerminalGuard::restore();
    }
}
