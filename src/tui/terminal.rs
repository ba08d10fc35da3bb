//! The terminal guard: raw mode and the alternate screen on entry; restored on drop, on error and on panic.
use std::io::{Write, stdout};

use crossterm::{cursor, execute, terminal};

pub struct TerminalGuard;

/// Mouse reporting is on (settings.toml `mouse = false` leaves the terminal's own text selection alone).
static MOUSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl TerminalGuard {
    pub fn enter_with_mouse(mouse: bool) -> std::io::Result<TerminalGuard> {
        MOUSE.store(mouse, std::sync::atomic::Ordering::SeqCst);
        TerminalGuard::enter()
    }

    pub fn enter() -> std::io::Result<TerminalGuard> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            TerminalGuard::restore();
            prev(info);
        }));
        let guard = TerminalGuard;
        TerminalGuard::reenter()?;
        Ok(guard)
    }

    /// Raw mode, the alternate screen (cleared), no cursor, bracketed paste: at start and after a suspend.
    fn reenter() -> std::io::Result<()> {
        terminal::enable_raw_mode()?;
        execute!(
            stdout(),
            terminal::EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide,
            crossterm::event::EnableBracketedPaste
        )?;
        if MOUSE.load(std::sync::atomic::Ordering::SeqCst) {
            execute!(stdout(), crossterm::event::EnableMouseCapture)?;
        }
        Ok(())
    }

    /// Safe to call more than once.
    pub fn restore() {
        let _ = terminal::disable_raw_mode();
        let mut out = stdout();
        if MOUSE.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = execute!(out, crossterm::event::DisableMouseCapture);
        }
        let _ = execute!(out, crossterm::event::DisableBracketedPaste, terminal::LeaveAlternateScreen, cursor::Show);
        let _ = out.flush();
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        TerminalGuard::restore();
    }
}

/// Ctrl-Z: the terminal is given back and the process stops itself (SIGTSTP, so the shell's job control takes
/// over); when it is continued (`fg`, SIGCONT) the TUI takes the terminal again.
pub fn suspend() -> std::io::Result<()> {
    TerminalGuard::restore();
    // SAFETY: raising a signal on our own process; SIGTSTP's default action stops it until SIGCONT.
    unsafe { libc::raise(libc::SIGTSTP) };
    TerminalGuard::reenter()
}
