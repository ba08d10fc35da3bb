//! The terminal UI: a thin front over `core`. One path from key to screen: event → Action → `App::update` →
//! Effects (run by the runner, results back as Actions) → draw when something changed.
pub mod action;
pub mod app;
pub mod colour;
pub mod draw;
pub mod effect;
pub mod keymap;
pub mod layout;
pub mod panes;

pub mod settings;
pub mod terminal;
pub mod theme;
pub mod widgets;

use std::time::Instant;

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::core::paths::Paths;
use crate::core::profile::{Profile, ProfileSet};

pub struct Options {
    pub paths: Paths,
    pub set: ProfileSet,
    pub adhoc: Option<Profile>,
    pub profile: Option<String>,
    /// Exit right after the first frame is drawn, printing how long that took (the startup benchmark uses it).
    pub first_frame_exit: bool,
    /// The query pane's row cap (0: none).
    pub row_cap: usize,
    pub started: Instant,
}

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let (theme, theme_warning) = theme::Theme::load(&opts.paths.config_dir.join("theme.toml"));
    let mut app = app::App::new(theme, opts.set, opts.adhoc);
    app.query.cap = opts.row_cap;
    app.recent = effect::files::load_recent(&opts.paths.palette_recent());
    let drafts_file = opts.paths.drafts_file();
    // Held until the end: this dbconsole keeps the editor tabs (None: another one does).
    let drafts_owner = crate::core::drafts::own(&drafts_file);
    let mut keep_drafts = drafts_owner.is_some();
    if !keep_drafts {
        app.query.drafts_kept = false;
        app.message = Some((
            app::Level::Warn,
            "another dbconsole keeps the editor tabs: this one's are not kept (quitting asks about them)".into(),
        ));
    } else {
        match crate::core::drafts::load(&drafts_file) {
            crate::core::drafts::Loaded::None => {}
            crate::core::drafts::Loaded::Drafts(d) => app.query.restore(d),
            crate::core::drafts::Loaded::SetAside { why, moved_to } => {
                let kept = match &moved_to {
                    Some(p) => format!("; kept as {}", p.display()),
                    None => {
                        // It could not be moved: it is not written over either.
                        keep_drafts = false;
                        app.query.drafts_kept = false;
                        "; left as it is, and this run's tabs are not kept".to_string()
                    }
                };
                app.message = Some((app::Level::Warn, format!("editor tabs not restored: {why}{kept}")));
            }
        }
    }
    if let Some(w) = theme_warning {
        app.message = Some((app::Level::Warn, w));
    }
    // keymap.toml over the default keys; each problem (with its line) goes to the message log (L).
    let (bindings, keymap_problems) = keymap::load(&opts.paths.config_dir.join("keymap.toml"));
    keymap::install(bindings);
    if !keymap_problems.is_empty() {
        let time = chrono::Local::now().format("%H:%M:%S").to_string();
        for p in &keymap_problems {
            app.messages.push_back((time.clone(), app::Level::Warn, p.clone()));
        }
        app.message = Some((
            app::Level::Warn,
            format!("keymap.toml: {} problem(s), L lists them — {}", keymap_problems.len(), keymap_problems[0]),
        ));
    }
    let (settings, settings_problems) = settings::load(&opts.paths.config_dir.join("settings.toml"));
    if !settings_problems.is_empty() {
        let time = chrono::Local::now().format("%H:%M:%S").to_string();
        for p in &settings_problems {
            app.messages.push_back((time.clone(), app::Level::Warn, p.clone()));
        }
        app.message = Some((app::Level::Warn, settings_problems[0].clone()));
    }
    if settings.vim {
        app.query.vim = Some(panes::query::vim::Vim::default());
    }
    let guard = terminal::TerminalGuard::enter_with_mouse(settings.mouse)?;
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    // No `term.clear()`: it asks the terminal for the cursor position, a round trip (slow over SSH, and a hang on a
    // terminal that does not answer). The guard cleared the alternate screen already.
    term.draw(|f| draw::draw(f, &app))?;
    if opts.first_frame_exit {
        drop(term);
        drop(guard);
        println!("first frame after {:.2} ms", opts.started.elapsed().as_secs_f64() * 1000.0);
        return Ok(());
    }
    tracing::info!(ms = opts.started.elapsed().as_secs_f64() * 1000.0, "first frame drawn");

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = effect::Runner::new(tx, opts.paths.profiles_file(), opts.paths.demo_db(), opts.paths.state_db());
    let mut effects = app.start(opts.profile.as_deref());
    let mut events = EventStream::new();
    // SIGTERM, SIGHUP (a closed SSH session), SIGINT and SIGQUIT (`kill -INT`/`-QUIT`; in raw mode Ctrl-C and
    // Ctrl-\ arrive as keys instead) end the loop like `q`, so the terminal is restored.
    let mut signals = Signals::new()?;
    'main: loop {
        for e in effects.drain(..) {
            if matches!(e, effect::Effect::Suspend) {
                if keep_drafts && let Err(e) = crate::core::drafts::save(&drafts_file, &app.query.drafts()) {
                    tracing::warn!(file = %drafts_file.display(), error = %e, "cannot keep the editor tabs");
                }
                terminal::suspend()?;
                term.clear()?; // everything is drawn again after `fg`
                continue;
            }
            if !runner.run(e) {
                break 'main;
            }
        }
        term.draw(|f| draw::draw(f, &app))?;
        // Block until something happens: no timers, no polling, so an idle dbconsole uses no CPU. Only while a
        // query runs does a 4 Hz tick keep its elapsed time on screen current, and while the sync pane is on
        // screen a 1 Hz one keeps its status (read every two seconds) current.
        let every = app.tick_every();
        let tick = async {
            match every {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending::<()>().await,
            }
        };
        let action = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind != KeyEventKind::Release => action::Action::Key(k),
                Some(Ok(Event::Resize(..))) => action::Action::Tick,
                Some(Ok(Event::Paste(text))) => action::Action::Paste(text),
                // Moves without a button draw nothing new.
                Some(Ok(Event::Mouse(m))) if m.kind == crossterm::event::MouseEventKind::Moved => continue,
                Some(Ok(Event::Mouse(m))) => action::Action::Mouse(m),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(a) = rx.recv() => a,
            _ = tick => action::Action::Tick,
            _ = signals.recv() => break,
        };
        effects = app.update(action);
        // Take everything else that is already waiting before drawing again.
        while let Ok(a) = rx.try_recv() {
            effects.extend(app.update(a));
        }
    }
    // The editor's tabs come back at the next start, however the loop ended (q, a signal, a closed terminal).
    if keep_drafts && let Err(e) = crate::core::drafts::save(&drafts_file, &app.query.drafts()) {
        tracing::warn!(file = %drafts_file.display(), error = %e, "cannot keep the editor tabs");
    }
    drop(drafts_owner);
    runner.stop_sync_runners();
    let pools: Vec<_> = runner.pools.lock().map(|mut m| m.drain().map(|(_, p)| p).collect()).unwrap_or_default();
    for p in pools {
        p.close().await;
    }
    drop(term);
    drop(guard);
    Ok(())
}

/// The signals that end the TUI the way `q` does.
struct Signals(Vec<tokio::signal::unix::Signal>);

impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [SignalKind::terminate(), SignalKind::hangup(), SignalKind::interrupt(), SignalKind::quit()];
        Ok(Signals(kinds.into_iter().map(signal).collect::<std::io::Result<_>>()?))
    }

    /// Waits for any of them.
    async fn recv(&mut self) {
        let waits = self.0.iter_mut().map(|s| Box::pin(s.recv()));
        futures_util::future::select_all(waits).await;
    }
}
