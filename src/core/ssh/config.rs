//! The OpenSSH client configuration file (`~/.ssh/config`), read with OpenSSH's semantics for the keywords the
//! console uses.
//!
//! * Lines are `Keyword value`, `Keyword=value` or `Keyword = value`; keywords are case-insensitive; values may be
//!   quoted with `"` or `'`; `#` starts a comment at the start of a line or of a value token. Unknown keywords are
//!   ignored, and a known keyword with a value that cannot be what it expects is a [`ConfigError`] (OpenSSH refuses
//!   such files too, whichever block the line is in).
//! * `Host` patterns are matched against the alias as typed, **case-sensitively** (OpenSSH's `readconf.c` uses
//!   `match_pattern` on the command-line host before lowercasing it), with `*`, `?` and `!` negation.
//! * `Match` supports `all`, `host` and `originalhost` (each may be negated with `!`); `host` is matched against the
//!   `HostName` obtained so far (else the alias), `originalhost` against the alias, both case-insensitively with
//!   comma-separated pattern lists as OpenSSH does. Any other criterion (`exec`, `user`, `final`, …) makes the block
//!   never apply and adds a warning; it is never an error.
//! * For each keyword the first value obtained wins, scanning blocks in file order; `IdentityFile` accumulates.
//! * `Include` takes paths (`~` expanded, relative ones from the ssh directory) with `*`/`?` globs in the file-name
//!   component, expanded in sorted order, hidden files matched only by patterns starting with `.`. An `Include`
//!   inside a `Host`/`Match` block applies only when that block matches. Missing files are skipped; nesting deeper
//!   than 16 is an error.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// How deep `Include` may nest (OpenSSH's `READCONF_MAX_DEPTH`).
const MAX_INCLUDE_DEPTH: usize = 16;

/// A line of a configuration file that cannot be used, or a warning about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the line is in.
    pub file: PathBuf,
    /// The 1-based line number (0 when the whole file is concerned).
    pub line: usize,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The `StrictHostKeyChecking` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrictHostKeyChecking {
    /// `yes`: never add keys; refuse unknown and changed hosts.
    Yes,
    /// `no` or `off`: add unknown keys silently; still refuse changed ones.
    No,
    /// `ask`: ask the user about unknown keys.
    Ask,
    /// `accept-new`: add unknown keys silently, refuse changed ones.
    AcceptNew,
}

/// The settings that apply to one host alias, as far as the console uses them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSettings {
    /// `HostName`, with `%h` replaced by the alias and `%%` by `%`.
    pub host_name: Option<String>,
    /// `User`.
    pub user: Option<String>,
    /// `Port`.
    pub port: Option<u16>,
    /// Every `IdentityFile`, in order (these accumulate, unlike other keywords), unexpanded (see [`expand`]).
    pub identity_files: Vec<String>,
    /// `IdentitiesOnly`.
    pub identities_only: Option<bool>,
    /// `ProxyJump` as written; `"none"` is kept as `Some("none")` (see [`parse_jumps`]).
    pub proxy_jump: Option<String>,
    /// `ProxyCommand` as written. Never run: the console refuses a hop that needs one, saying to use ProxyJump.
    pub proxy_command: Option<String>,
    /// Keywords that change how host keys are trusted and that the console does not implement (RevokedHostKeys,
    /// KnownHostsCommand, HostKeyAlias), with their values: a hop they apply to is refused rather than checked
    /// with less than the user asked for.
    pub unsupported: Vec<(String, String)>,
    /// `UserKnownHostsFile`: the first line wins; it holds a space-separated list. Unexpanded.
    pub user_known_hosts_files: Vec<String>,
    /// `GlobalKnownHostsFile`: the first line wins; it holds a space-separated list. Unexpanded.
    pub global_known_hosts_files: Vec<String>,
    /// `StrictHostKeyChecking` (`off` is `No`).
    pub strict_host_key_checking: Option<StrictHostKeyChecking>,
    /// `ServerAliveInterval` in seconds.
    pub server_alive_interval: Option<u64>,
    /// `ServerAliveCountMax`.
    pub server_alive_count_max: Option<u32>,
    /// `ConnectTimeout` in seconds.
    pub connect_timeout: Option<u64>,
    /// `HashKnownHosts`.
    pub hash_known_hosts: Option<bool>,
}

/// A parsed configuration: its blocks in file order with `Include`s expanded in place.
#[derive(Debug, Clone, Default)]
pub struct SshConfig {
    /// Runs of settings with the conditions under which they apply, in file order.
    blocks: Vec<Block>,
    /// Every `Host`/`Match` line's condition; blocks refer to these by index.
    conditions: Vec<Condition>,
    /// Things that were skipped: unsupported `Match` criteria, unreadable included files.
    pub warnings: Vec<ConfigError>,
}

/// A run of settings that apply when all of its conditions hold (an included file's blocks carry the conditions of
/// the block the `Include` was in).
#[derive(Debug, Clone)]
struct Block {
    /// Indexes into [`SshConfig::conditions`].
    conditions: Vec<usize>,
    /// The settings, in file order.
    settings: Vec<Setting>,
}

/// What a `Host` or `Match` line requires.
#[derive(Debug, Clone)]
enum Condition {
    /// `Host` patterns, matched case-sensitively against the alias.
    Host(Vec<String>),
    /// `Match` criteria, all of which must hold.
    Match(Vec<Criterion>),
    /// A `Match` with a criterion we do not evaluate: never applies.
    Never,
}

/// One supported `Match` criterion.
#[derive(Debug, Clone)]
enum Criterion {
    /// `all` (or `!all`).
    All { negated: bool },
    /// `host PATTERNS`: against the host name obtained so far.
    Host { negated: bool, patterns: String },
    /// `originalhost PATTERNS`: against the alias as typed.
    OriginalHost { negated: bool, patterns: String },
}

/// One keyword line the console uses, with its value checked.
#[derive(Debug, Clone)]
enum Setting {
    HostName(String),
    User(String),
    Port(u16),
    IdentityFile(String),
    IdentitiesOnly(bool),
    ProxyJump(String),
    ProxyCommand(String),
    /// A keyword that changes how host keys are trusted, which the console does not implement (refused on use).
    Unsupported(&'static str, String),
    UserKnownHostsFiles(Vec<String>),
    GlobalKnownHostsFiles(Vec<String>),
    StrictHostKeyChecking(StrictHostKeyChecking),
    ServerAliveInterval(u64),
    ServerAliveCountMax(u32),
    ConnectTimeout(u64),
    HashKnownHosts(bool),
}

impl SshConfig {
    /// Parses the file at `path`; a missing file gives an empty config. `ssh_dir` is where relative Include paths are
    /// taken from (~/.ssh for the user's file).
    pub fn load(path: &Path, ssh_dir: &Path) -> Result<SshConfig, ConfigError> {
        match fs::read(path) {
            Ok(bytes) => SshConfig::parse(&String::from_utf8_lossy(&bytes), path, ssh_dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SshConfig::default()),
            Err(e) => Err(ConfigError { file: path.to_path_buf(), line: 0, message: format!("cannot read: {e}") }),
        }
    }

    /// Parses `text` as the contents of `file`. `ssh_dir` is where relative Include paths are taken from; `~` in
    /// Include paths is `$HOME` (or the parent of `ssh_dir` when `HOME` is unset).
    pub fn parse(text: &str, file: &Path, ssh_dir: &Path) -> Result<SshConfig, ConfigError> {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from)
            .or_else(|| ssh_dir.parent().map(Path::to_path_buf));
        parse_with_home(text, file, ssh_dir, home.as_deref())
    }

    /// The settings for `alias` (the name the user typed): first obtained value wins for each keyword, scanning blocks
    /// in file order.
    pub fn resolve(&self, alias: &str) -> HostSettings {
        let mut settings = HostSettings::default();
        // Each Host/Match line is evaluated once, when first reached, as OpenSSH does while reading the file.
        let mut evaluated: Vec<Option<bool>> = vec![None; self.conditions.len()];
        for block in &self.blocks {
            let mut applies = true;
            for &id in &block.conditions {
                let result = match evaluated.get(id).copied().flatten() {
                    Some(result) => result,
                    None => {
                        let result = self.conditions.get(id).is_some_and(|c| c.holds(alias, &settings));
                        if let Some(slot) = evaluated.get_mut(id) {
                            *slot = Some(result);
                        }
                        result
                    }
                };
                if !result {
                    applies = false;
                    break;
                }
            }
            if applies {
                for setting in &block.settings {
                    setting.apply(&mut settings, alias);
                }
            }
        }
        settings
    }
}

/// [`SshConfig::parse`] with an explicit home directory for `~` in Include paths.
fn parse_with_home(text: &str, file: &Path, ssh_dir: &Path, home: Option<&Path>) -> Result<SshConfig, ConfigError> {
    let mut parser = Parser { config: SshConfig::default(), ssh_dir, home };
    parser.parse_text(text, file, &[], 0)?;
    Ok(parser.config)
}

impl Condition {
    /// Whether this condition holds for `alias`, given the settings obtained so far.
    fn holds(&self, alias: &str, so_far: &HostSettings) -> bool {
        match self {
            Condition::Host(patterns) => host_patterns_match(patterns, alias),
            Condition::Never => false,
            Condition::Match(criteria) => criteria.iter().all(|criterion| match criterion {
                Criterion::All { negated } => !negated,
                Criterion::Host { negated, patterns } => {
                    let host = so_far.host_name.as_deref().unwrap_or(alias);
                    pattern_list_match(patterns, host) != *negated
                }
                Criterion::OriginalHost { negated, patterns } => pattern_list_match(patterns, alias) != *negated,
            }),
        }
    }
}

impl Setting {
    /// Records this setting unless the keyword already has a value (IdentityFile always adds).
    fn apply(&self, s: &mut HostSettings, alias: &str) {
        fn first<T: Clone>(slot: &mut Option<T>, value: &T) {
            if slot.is_none() {
                *slot = Some(value.clone());
            }
        }
        match self {
            Setting::HostName(v) => {
                if s.host_name.is_none() {
                    s.host_name = Some(expand_host_name(v, alias));
                }
            }
            Setting::User(v) => first(&mut s.user, v),
            Setting::Port(v) => first(&mut s.port, v),
            Setting::IdentityFile(v) => s.identity_files.push(v.clone()),
            Setting::IdentitiesOnly(v) => first(&mut s.identities_only, v),
            Setting::ProxyJump(v) => first(&mut s.proxy_jump, v),
            Setting::ProxyCommand(v) => first(&mut s.proxy_command, v),
            Setting::Unsupported(k, v) => {
                if !s.unsupported.iter().any(|(x, _)| x == k) {
                    s.unsupported.push(((*k).to_string(), v.clone()));
                }
            }
            Setting::UserKnownHostsFiles(v) => {
                if s.user_known_hosts_files.is_empty() {
                    s.user_known_hosts_files = v.clone();
                }
            }
            Setting::GlobalKnownHostsFiles(v) => {
                if s.global_known_hosts_files.is_empty() {
                    s.global_known_hosts_files = v.clone();
                }
            }
            Setting::StrictHostKeyChecking(v) => first(&mut s.strict_host_key_checking, v),
            Setting::ServerAliveInterval(v) => first(&mut s.server_alive_interval, v),
            Setting::ServerAliveCountMax(v) => first(&mut s.server_alive_count_max, v),
            Setting::ConnectTimeout(v) => first(&mut s.connect_timeout, v),
            Setting::HashKnownHosts(v) => first(&mut s.hash_known_hosts, v),
        }
    }
}

/// Replaces `%h` (the alias) and `%%` in a HostName value, as OpenSSH does; other `%` sequences are kept as written.
fn expand_host_name(value: &str, alias: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(alias),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// The state of one parse: the config being built and where Include paths are resolved.
struct Parser<'a> {
    /// What has been parsed so far.
    config: SshConfig,
    /// Base of relative Include paths.
    ssh_dir: &'a Path,
    /// What `~` stands for in Include paths, if known.
    home: Option<&'a Path>,
}

impl Parser<'_> {
    /// Parses one file's text; `outer` are the conditions of the block an Include of this file appeared in.
    fn parse_text(&mut self, text: &str, file: &Path, outer: &[usize], depth: usize) -> Result<(), ConfigError> {
        let mut current: Vec<usize> = outer.to_vec();
        self.start_block(&current);
        for (index, raw) in text.lines().enumerate() {
            let line = index.saturating_add(1);
            let error = |message: String| ConfigError { file: file.to_path_buf(), line, message };
            let Some((keyword, rest)) = split_keyword(raw) else {
                continue;
            };
            match keyword.to_ascii_lowercase().as_str() {
                "host" => {
                    let patterns = tokens(rest).map_err(error)?;
                    if patterns.is_empty() {
                        return Err(error("Host expects at least one pattern".to_string()));
                    }
                    current = self.push_condition(outer, Condition::Host(patterns));
                    self.start_block(&current);
                }
                "match" => {
                    let condition = self.parse_match(rest, file, line).map_err(error)?;
                    current = self.push_condition(outer, condition);
                    self.start_block(&current);
                }
                "include" => {
                    let paths = tokens(rest).map_err(error)?;
                    if paths.is_empty() {
                        return Err(error("Include expects at least one path".to_string()));
                    }
                    for pattern in &paths {
                        for path in self.include_paths(pattern) {
                            let bytes = match fs::read(&path) {
                                Ok(bytes) => bytes,
                                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                                Err(e) => {
                                    let message = format!("cannot read included file {}: {e}", path.display());
                                    self.config.warnings.push(error(message));
                                    continue;
                                }
                            };
                            if depth >= MAX_INCLUDE_DEPTH {
                                return Err(error(format!(
                                    "Include nested too deeply (more than {MAX_INCLUDE_DEPTH} levels)"
                                )));
                            }
                            self.parse_text(&String::from_utf8_lossy(&bytes), &path, &current, depth + 1)?;
                        }
                    }
                    // Lines after the Include belong to the block it was in.
                    self.start_block(&current);
                }
                other => {
                    if let Some(setting) = parse_setting(other, rest).map_err(error)?
                        && let Some(block) = self.config.blocks.last_mut()
                    {
                        block.settings.push(setting);
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts a new (empty) block with the given conditions.
    fn start_block(&mut self, conditions: &[usize]) {
        self.config.blocks.push(Block { conditions: conditions.to_vec(), settings: Vec::new() });
    }

    /// Records a Host/Match condition and returns the conditions of the block it starts.
    fn push_condition(&mut self, outer: &[usize], condition: Condition) -> Vec<usize> {
        self.config.conditions.push(condition);
        let mut conditions = outer.to_vec();
        conditions.push(self.config.conditions.len().saturating_sub(1));
        conditions
    }

    /// Parses a Match line's criteria; unsupported criteria give [`Condition::Never`] and a warning.
    fn parse_match(&mut self, rest: &str, file: &Path, line: usize) -> Result<Condition, String> {
        let args = tokens(rest)?;
        if args.is_empty() {
            return Err("Match expects criteria (all, host PATTERNS or originalhost PATTERNS)".to_string());
        }
        let mut criteria = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let lower = arg.to_ascii_lowercase();
            let (negated, name) = match lower.strip_prefix('!') {
                Some(name) => (true, name),
                None => (false, lower.as_str()),
            };
            match name {
                "all" => criteria.push(Criterion::All { negated }),
                "host" | "originalhost" => {
                    let patterns = args.next().ok_or_else(|| format!("Match {name} expects a pattern list"))?;
                    criteria.push(if name == "host" {
                        Criterion::Host { negated, patterns }
                    } else {
                        Criterion::OriginalHost { negated, patterns }
                    });
                }
                _ => {
                    let message =
                        format!("Match criterion `{}` is not supported; this block is never applied", printable(&arg));
                    self.config.warnings.push(ConfigError { file: file.to_path_buf(), line, message });
                    return Ok(Condition::Never);
                }
            }
        }
        Ok(Condition::Match(criteria))
    }

    /// The files an Include argument names: `~` expanded, relative to the ssh directory, file-name glob expanded.
    fn include_paths(&self, pattern: &str) -> Vec<PathBuf> {
        let expanded = match (pattern.strip_prefix('~'), self.home) {
            (Some(""), Some(home)) => home.to_path_buf(),
            (Some(rest), Some(home)) if rest.starts_with('/') => home.join(rest.trim_start_matches('/')),
            _ => PathBuf::from(pattern),
        };
        let path = if expanded.is_absolute() { expanded } else { self.ssh_dir.join(expanded) };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.contains(['*', '?']) {
            return vec![path];
        }
        let Some(dir) = path.parent() else {
            return Vec::new();
        };
        let Ok(listing) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = listing
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|candidate| {
                (name.starts_with('.') || !candidate.starts_with('.')) && wildcard_match(name, candidate, false)
            })
            .collect();
        names.sort();
        names.into_iter().map(|n| dir.join(n)).collect()
    }
}

/// Splits a line into its keyword and the rest (after whitespace and/or one `=`); `None` for blank and comment lines.
fn split_keyword(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find(|c: char| c.is_ascii_whitespace() || c == '=').unwrap_or(line.len());
    let (keyword, rest) = line.split_at(end);
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let rest = rest.strip_prefix('=').unwrap_or(rest);
    Some((keyword, rest.trim_start_matches(|c: char| c.is_ascii_whitespace())))
}

/// Splits a value into arguments as OpenSSH's `argv_split` does: whitespace separates, `"` and `'` quote (and are
/// removed), `\` escapes a quote, a backslash or whitespace, and an unquoted `#` starting an argument ends the line.
fn tokens(rest: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_token = false;
    let mut quote: Option<char> = None;
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (_, '\\') if chars.peek().is_some_and(|n| matches!(n, '"' | '\'' | '\\' | ' ' | '\t')) => {
                current.extend(chars.next());
                in_token = true;
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_token = true;
            }
            (None, c) if c.is_ascii_whitespace() => {
                if in_token {
                    out.push(std::mem::take(&mut current));
                    in_token = false;
                }
            }
            (None, '#') if !in_token => break,
            (None, c) => {
                current.push(c);
                in_token = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".to_string());
    }
    if in_token {
        out.push(current);
    }
    Ok(out)
}

/// Parses the value of a keyword we use; `Ok(None)` for keywords we ignore.
fn parse_setting(keyword: &str, rest: &str) -> Result<Option<Setting>, String> {
    let unsupported = match keyword {
        "revokedhostkeys" => Some("RevokedHostKeys"),
        "knownhostscommand" => Some("KnownHostsCommand"),
        "hostkeyalias" => Some("HostKeyAlias"),
        _ => None,
    };
    if keyword == "proxycommand" || unsupported.is_some() {
        // Kept whole (a ProxyCommand is a shell command line), never run or acted on: see HostSettings.
        let v = rest.trim().trim_start_matches('=').trim();
        if v.is_empty() {
            return Err(format!("{} expects a value", unsupported.unwrap_or("ProxyCommand")));
        }
        return Ok(Some(match unsupported {
            Some(k) => Setting::Unsupported(k, v.to_string()),
            None => Setting::ProxyCommand(v.to_string()),
        }));
    }
    let name = match keyword {
        "hostname" => "HostName",
        "user" => "User",
        "port" => "Port",
        "identityfile" => "IdentityFile",
        "identitiesonly" => "IdentitiesOnly",
        "proxyjump" => "ProxyJump",
        "userknownhostsfile" => "UserKnownHostsFile",
        "globalknownhostsfile" => "GlobalKnownHostsFile",
        "stricthostkeychecking" => "StrictHostKeyChecking",
        "serveraliveinterval" => "ServerAliveInterval",
        "serveralivecountmax" => "ServerAliveCountMax",
        "connecttimeout" => "ConnectTimeout",
        "hashknownhosts" => "HashKnownHosts",
        _ => return Ok(None),
    };
    let args = tokens(rest).map_err(|e| format!("{name}: {e}"))?;
    if args.is_empty() {
        return Err(format!("{name} expects a value"));
    }
    if matches!(keyword, "userknownhostsfile" | "globalknownhostsfile") {
        return Ok(Some(if keyword == "userknownhostsfile" {
            Setting::UserKnownHostsFiles(args)
        } else {
            Setting::GlobalKnownHostsFiles(args)
        }));
    }
    let mut args = args.into_iter();
    let value = args.next().unwrap_or_default();
    if let Some(extra) = args.next() {
        return Err(format!("{name} takes one value, found extra `{}`", printable(&extra)));
    }
    let shown = printable(&value);
    let setting = match keyword {
        "hostname" => Setting::HostName(value),
        "user" => Setting::User(value),
        "port" => match value.parse::<u16>() {
            Ok(port) if port > 0 && value.bytes().all(|b| b.is_ascii_digit()) => Setting::Port(port),
            _ => return Err(format!("Port expects a number 1..65535, got `{shown}`")),
        },
        "identityfile" => Setting::IdentityFile(value),
        "identitiesonly" => Setting::IdentitiesOnly(parse_flag(name, &value)?),
        "proxyjump" => Setting::ProxyJump(value),
        "stricthostkeychecking" => Setting::StrictHostKeyChecking(match value.to_ascii_lowercase().as_str() {
            "yes" | "true" => StrictHostKeyChecking::Yes,
            "no" | "false" | "off" => StrictHostKeyChecking::No,
            "ask" => StrictHostKeyChecking::Ask,
            "accept-new" => StrictHostKeyChecking::AcceptNew,
            _ => return Err(format!("StrictHostKeyChecking expects yes, no, ask, accept-new or off, got `{shown}`")),
        }),
        "serveraliveinterval" => Setting::ServerAliveInterval(parse_time(name, &value)?),
        "serveralivecountmax" => match value.parse::<u32>() {
            Ok(count) if value.bytes().all(|b| b.is_ascii_digit()) => Setting::ServerAliveCountMax(count),
            _ => return Err(format!("ServerAliveCountMax expects a whole number, got `{shown}`")),
        },
        "connecttimeout" => Setting::ConnectTimeout(parse_time(name, &value)?),
        _ => Setting::HashKnownHosts(parse_flag(name, &value)?),
    };
    Ok(Some(setting))
}

/// Parses `yes`/`no` (also `true`/`false`, any case, as OpenSSH accepts).
fn parse_flag(name: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!("{name} expects yes or no, got `{}`", printable(value))),
    }
}

/// Parses an OpenSSH time value: seconds, or a sequence like `1h30m` with units s, m, h, d, w (any case).
fn parse_time(name: &str, value: &str) -> Result<u64, String> {
    let bad = || format!("{name} expects a time such as 30, 30s, 5m or 1h30m, got `{}`", printable(value));
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in value.chars() {
        if let Some(digit) = c.to_digit(10) {
            let n = number.unwrap_or(0).checked_mul(10).and_then(|n| n.checked_add(u64::from(digit)));
            number = Some(n.ok_or_else(bad)?);
            continue;
        }
        let unit: u64 = match c.to_ascii_lowercase() {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n = number.take().ok_or_else(bad)?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
    }
    if value.is_empty() {
        return Err(bad());
    }
    match number {
        Some(n) => total.checked_add(n).ok_or_else(bad),
        None => Ok(total),
    }
}

/// Shortens and escapes text from a file so that it can be shown in a message.
fn printable(text: &str) -> String {
    text.chars().take(60).flat_map(char::escape_debug).collect()
}

/// `Host` line matching: each pattern case-sensitively against the alias; a matching `!pattern` excludes the block
/// whatever else matches.
fn host_patterns_match(patterns: &[String], alias: &str) -> bool {
    let mut positive = false;
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        if wildcard_match(pattern, alias, false) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// `Match host`/`originalhost` matching: a comma-separated list, case-insensitive, with `!` negation.
fn pattern_list_match(list: &str, host: &str) -> bool {
    let mut positive = false;
    for item in list.split(',') {
        let (negated, pattern) = match item.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        if wildcard_match(pattern, host, true) {
            if negated {
                return false;
            }
            positive = true;
        }
    }
    positive
}

/// Glob match with `*` (any run, possibly empty) and `?` (exactly one character); ASCII case-insensitive when
/// `fold_case`. Iterative with single-star backtracking: O(pattern × text) at worst, no recursion.
pub(super) fn wildcard_match(pattern: &str, text: &str, fold_case: bool) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| if fold_case { a.eq_ignore_ascii_case(&b) } else { a == b };
    let (mut p, mut t) = (0usize, 0usize);
    let mut backtrack: Option<(usize, usize)> = None;
    while let Some(&c) = text.get(t) {
        match pattern.get(p) {
            Some('*') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&pc) if pc == '?' || same(pc, c) => {
                p += 1;
                t += 1;
            }
            _ => match backtrack {
                Some((star, from)) => {
                    p = star + 1;
                    t = from + 1;
                    backtrack = Some((star, from + 1));
                }
                None => return false,
            },
        }
    }
    pattern.get(p..).is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

/// Expands `~` at the start and the tokens %h (host name), %p (port), %r (remote user), %u (local user), %d (home),
/// %n (alias as typed), %% in IdentityFile / UserKnownHostsFile values. Unknown tokens → Err naming the token.
///
/// `~` alone or followed by `/` is `home`; `~user` is refused (other users' homes are not looked up). Tokens are
/// expanded in the text after `~`, not in the home directory itself.
pub fn expand(
    value: &str,
    alias: &str,
    host: &str,
    port: u16,
    remote_user: &str,
    local_user: &str,
    home: &Path,
) -> Result<String, String> {
    let home_text = home.to_string_lossy();
    let (prefix, rest) = match value.strip_prefix('~') {
        None => (String::new(), value),
        Some("") => (home_text.to_string(), ""),
        Some(rest) if rest.starts_with('/') => (home_text.trim_end_matches('/').to_string(), rest),
        Some(_) => return Err(format!("cannot expand `{}`: only `~` and `~/` are supported", printable(value))),
    };
    let mut out = prefix;
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('h') => out.push_str(host),
            Some('p') => out.push_str(&port.to_string()),
            Some('r') => out.push_str(remote_user),
            Some('u') => out.push_str(local_user),
            Some('d') => out.push_str(&home_text),
            Some('n') => out.push_str(alias),
            Some('%') => out.push('%'),
            Some(other) => {
                return Err(format!("unknown token `%{}` in `{}`", other.escape_debug(), printable(value)));
            }
            None => return Err(format!("`%` at the end of `{}` (write `%%` for a percent sign)", printable(value))),
        }
    }
    Ok(out)
}

/// One jump host: (user, host, port), as returned by [`parse_jumps`] and [`parse_hop`].
pub type Hop = (Option<String>, String, Option<u16>);

/// Splits a ProxyJump value into (user, host, port) hops: a comma-separated list of `[user@]host[:port]` (IPv6 in
/// brackets) or `ssh://[user@]host[:port]` URIs. `none` gives no hops.
pub fn parse_jumps(value: &str) -> Result<Vec<Hop>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("empty ProxyJump value".to_string());
    }
    if value.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    value
        .split(',')
        .map(|hop| {
            let uri = hop.get(..6).filter(|scheme| scheme.eq_ignore_ascii_case("ssh://")).and(hop.get(6..));
            match uri {
                Some(rest) => {
                    let rest = rest.strip_suffix('/').unwrap_or(rest);
                    if rest.contains('/') {
                        return Err(format!("a path is not allowed in `{}`", printable(hop)));
                    }
                    if rest.contains(';') {
                        return Err(format!("connection parameters are not supported in `{}`", printable(hop)));
                    }
                    parse_hop(rest)
                }
                None => parse_hop(hop),
            }
        })
        .collect()
}

/// Parses a single `[user@]host[:port]` (IPv6 in brackets, e.g. `admin@[::1]:2222`; a bare IPv6 literal without a
/// port is accepted too), used for the profile's `ssh = ["user@bastion:22"]` entries.
pub fn parse_hop(s: &str) -> Result<Hop, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty host".to_string());
    }
    let (user, host_port) = match s.rsplit_once('@') {
        Some(("", _)) => return Err(format!("empty user name before `@` in `{}`", printable(s))),
        Some((user, host_port)) => (Some(user), host_port),
        None => (None, s),
    };
    if let Some(user) = user.filter(|u| u.chars().any(|c| c.is_whitespace() || c.is_control())) {
        return Err(format!("invalid user name `{}`", printable(user)));
    }
    let (host, port) = if let Some(inner) = host_port.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or_else(|| format!("missing `]` in `{}`", printable(s)))?;
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(parse_port(port)?),
                None => return Err(format!("unexpected `{}` after `]` in `{}`", printable(after), printable(s))),
            },
        };
        (host, port)
    } else if host_port.matches(':').count() > 1 {
        (host_port, None)
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(parse_port(port)?)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(format!("empty host in `{}`", printable(s)));
    }
    let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '/' | '@' | ',' | '[' | ']');
    if host.chars().any(bad) {
        return Err(format!("invalid host `{}`", printable(host)));
    }
    Ok((user.map(str::to_string), host.to_string(), port))
}

/// Parses a port number 1..65535.
fn parse_port(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("missing port after `:`".to_string());
    }
    match text.parse::<u16>() {
        Ok(0) => Err("port 0 is not allowed".to_string()),
        Ok(port) if text.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err(format!("bad port `{}`", printable(text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> SshConfig {
        SshConfig::parse(text, Path::new("/test/config"), Path::new("/nonexistent/.ssh")).expect("parses")
    }

    fn parse_err(text: &str) -> ConfigError {
        SshConfig::parse(text, Path::new("/test/config"), Path::new("/nonexistent/.ssh")).expect_err("must fail")
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn first_value_wins_and_host_star_defaults_last() {
        let c = parse(
            "# a comment\n\
             Host db\n  HostName db.internal\n  User alice\n  Port 2200\n\
             Host db other\n  HostName ignored\n  User bob\n  ServerAliveInterval 30\n\
             Host *\n  User default\n  Port 22\n  ConnectTimeout 10\n",
        );
        let db = c.resolve("db");
        assert_eq!(db.host_name.as_deref(), Some("db.internal"));
        assert_eq!(db.user.as_deref(), Some("alice"));
        assert_eq!(db.port, Some(2200));
        assert_eq!(db.server_alive_interval, Some(30));
        assert_eq!(db.connect_timeout, Some(10));
        let other = c.resolve("other");
        assert_eq!(other.host_name.as_deref(), Some("ignored"));
        assert_eq!(other.user.as_deref(), Some("bob"));
        assert_eq!(other.port, Some(22));
        let unknown = c.resolve("unknown");
        assert_eq!(unknown.host_name, None);
        assert_eq!(unknown.user.as_deref(), Some("default"));
        assert_eq!(unknown.server_alive_interval, None);
    }

    #[test]
    fn settings_before_any_host_apply_to_all() {
        let c = parse("User everyone\nHost x\n  User xuser\n");
        assert_eq!(c.resolve("x").user.as_deref(), Some("everyone"));
        assert_eq!(c.resolve("y").user.as_deref(), Some("everyone"));
    }

    #[test]
    fn identity_files_accumulate_in_order() {
        let c = parse("Host a\n  IdentityFile ~/.ssh/a\n  IdentityFile ~/.ssh/b\nHost *\n  IdentityFile ~/.ssh/all\n");
        assert_eq!(c.resolve("a").identity_files, strings(&["~/.ssh/a", "~/.ssh/b", "~/.ssh/all"]));
        assert_eq!(c.resolve("z").identity_files, strings(&["~/.ssh/all"]));
    }

    #[test]
    fn host_patterns_wildcards_negation_and_case() {
        let c = parse(
            "Host *.example.com !bad.example.com\n  User web\n\
             Host 10.0.0.?\n  User lan\n\
             Host Prod\n  User prod\n",
        );
        assert_eq!(c.resolve("a.example.com").user.as_deref(), Some("web"));
        assert_eq!(c.resolve("bad.example.com").user, None);
        assert_eq!(c.resolve("10.0.0.5").user.as_deref(), Some("lan"));
        assert_eq!(c.resolve("10.0.0.50").user, None);
        assert_eq!(c.resolve("Prod").user.as_deref(), Some("prod"));
        // OpenSSH matches Host patterns case-sensitively against the name as typed.
        assert_eq!(c.resolve("prod").user, None);
        // A negation alone never selects a block.
        let only_negated = parse("Host !foo\n  User x\n");
        assert_eq!(only_negated.resolve("bar").user, None);
    }

    #[test]
    fn equals_forms_quotes_and_comments() {
        let c = parse(
            "Host q\n\
             \tPort=2222\n\
             \tUser = bob\n\
             \thostname   =   h.example\n\
             \tIdentityFile \"/path with space/id\"\n\
             \tIdentityFile '/single quoted/id'\n\
             \tUserKnownHostsFile \"/a b/kh\" /c/kh2 # trailing comment\n\
             \tGlobalKnownHostsFile /etc/ssh/kh\n\
             \tSTRICTHOSTKEYCHECKING accept-new\n\
             \tSomeUnknownKeyword whatever \"unbalanced\n\
             \t# comment line\n\
             \tHashKnownHosts yes\n",
        );
        let q = c.resolve("q");
        assert_eq!(q.port, Some(2222));
        assert_eq!(q.user.as_deref(), Some("bob"));
        assert_eq!(q.host_name.as_deref(), Some("h.example"));
        assert_eq!(q.identity_files, strings(&["/path with space/id", "/single quoted/id"]));
        assert_eq!(q.user_known_hosts_files, strings(&["/a b/kh", "/c/kh2"]));
        assert_eq!(q.global_known_hosts_files, strings(&["/etc/ssh/kh"]));
        assert_eq!(q.strict_host_key_checking, Some(StrictHostKeyChecking::AcceptNew));
        assert_eq!(q.hash_known_hosts, Some(true));
    }

    #[test]
    fn known_hosts_files_first_line_wins() {
        let c = parse("Host a\n  UserKnownHostsFile /one /two\nHost *\n  UserKnownHostsFile /three\n");
        assert_eq!(c.resolve("a").user_known_hosts_files, strings(&["/one", "/two"]));
        assert_eq!(c.resolve("b").user_known_hosts_files, strings(&["/three"]));
    }

    #[test]
    fn value_kinds() {
        let c = parse(
            "Host a\n  StrictHostKeyChecking off\n  ServerAliveInterval 1m30s\n  ServerAliveCountMax 5\n\
             ConnectTimeout 2H\n  IdentitiesOnly No\n  ProxyJump none\n  HostName %h.internal\n\
             Host b\n  StrictHostKeyChecking ask\n  ProxyJump alice@bastion:2200,[::1]:22\n",
        );
        let a = c.resolve("a");
        assert_eq!(a.strict_host_key_checking, Some(StrictHostKeyChecking::No));
        assert_eq!(a.server_alive_interval, Some(90));
        assert_eq!(a.server_alive_count_max, Some(5));
        assert_eq!(a.connect_timeout, Some(7200));
        assert_eq!(a.identities_only, Some(false));
        assert_eq!(a.proxy_jump.as_deref(), Some("none"));
        assert_eq!(a.host_name.as_deref(), Some("a.internal"));
        let b = c.resolve("b");
        assert_eq!(b.strict_host_key_checking, Some(StrictHostKeyChecking::Ask));
        assert_eq!(b.proxy_jump.as_deref(), Some("alice@bastion:2200,[::1]:22"));
    }

    #[test]
    fn bad_values_name_file_and_line() {
        let e = parse_err("Host a\n  User x\n  Port abc\n");
        assert_eq!(e.to_string(), "/test/config:3: Port expects a number 1..65535, got `abc`");
        assert_eq!(parse_err("Port 0").line, 1);
        assert!(parse_err("Port 65536").message.contains("1..65535"));
        assert!(parse_err("Port +22").message.contains("1..65535"));
        assert!(parse_err("Host x\n\nIdentitiesOnly maybe").to_string().starts_with("/test/config:3: "));
        assert!(parse_err("HashKnownHosts 1").message.contains("expects yes or no"));
        assert!(parse_err("StrictHostKeyChecking sometimes").message.contains("accept-new"));
        assert!(parse_err("ServerAliveInterval soon").message.contains("expects a time"));
        assert!(parse_err("ServerAliveCountMax -1").message.contains("whole number"));
        assert!(parse_err("Port 22 23").message.contains("extra `23`"));
        assert!(parse_err("User").message.contains("expects a value"));
        assert!(parse_err("IdentityFile \"/unterminated").message.contains("unterminated quote"));
        assert!(parse_err("Host\n").message.contains("at least one pattern"));
        // Values are checked in blocks that do not apply too, as OpenSSH does.
        assert_eq!(parse_err("Host never\n  Port x\n").line, 2);
    }

    #[test]
    fn match_blocks() {
        let c = parse(
            "Host db\n  HostName db.internal\n\
             Match host *.internal\n  User internal\n\
             Match originalhost web !host *.internal\n  User webuser\n\
             Match exec \"true\"\n  User fromexec\n\
             Match user root\n  Port 1\n\
             Match all\n  Port 2222\n",
        );
        assert_eq!(c.warnings.len(), 2);
        assert_eq!(c.warnings.first().map(|w| w.line), Some(7));
        assert!(c.warnings.iter().all(|w| w.message.contains("not supported")));
        let db = c.resolve("db");
        assert_eq!(db.user.as_deref(), Some("internal"));
        assert_eq!(db.port, Some(2222));
        assert_eq!(c.resolve("x.INTERNAL").user.as_deref(), Some("internal"));
        assert_eq!(c.resolve("web").user.as_deref(), Some("webuser"));
        assert_eq!(c.resolve("other").user, None);
        assert_eq!(c.resolve("other").port, Some(2222));
        assert!(parse_err("Match host").message.contains("pattern list"));
        assert!(parse_err("Match").message.contains("criteria"));
        assert_eq!(parse("Match !all\n  User x\n").resolve("a").user, None);
    }

    /// Writes `files` (relative path, contents) under a fresh temporary `.ssh` directory.
    fn ssh_dir(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let ssh = dir.path().join(".ssh");
        for (name, text) in files {
            let path = ssh.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&path, text).expect("write");
        }
        (dir, ssh)
    }

    #[test]
    fn include_glob_from_ssh_dir_in_sorted_order() {
        let (_dir, ssh) = ssh_dir(&[
            ("config", "Include config.d/*.conf missing.conf\nHost *\n  User last\n"),
            ("config.d/20-b.conf", "Host b\n  User from20\nHost a\n  Port 20\n"),
            ("config.d/10-a.conf", "Host a\n  User from10\n  Port 10\n"),
            ("config.d/.hidden.conf", "Host a\n  User hidden\n"),
            ("config.d/notes.txt", "Host a\n  User txt\n"),
        ]);
        let c = SshConfig::load(&ssh.join("config"), &ssh).expect("loads");
        let a = c.resolve("a");
        assert_eq!(a.user.as_deref(), Some("from10"));
        assert_eq!(a.port, Some(10));
        assert_eq!(c.resolve("b").user.as_deref(), Some("from20"));
        assert_eq!(c.resolve("c").user.as_deref(), Some("last"));
    }

    #[test]
    fn include_inside_host_block_is_conditional() {
        let (_dir, ssh) = ssh_dir(&[
            ("config", "Host jump\n  Include ~/.ssh/jump.conf\n  Port 2222\nHost *\n  User fallback\n"),
            ("jump.conf", "User jumper\nHost other\n  User otheruser\n"),
        ]);
        let home = ssh.parent().map(Path::to_path_buf).expect("parent");
        let text = fs::read_to_string(ssh.join("config")).expect("read");
        let c = parse_with_home(&text, &ssh.join("config"), &ssh, Some(&home)).expect("parses");
        let jump = c.resolve("jump");
        assert_eq!(jump.user.as_deref(), Some("jumper"));
        assert_eq!(jump.port, Some(2222));
        // The included file's own Host block sits inside `Host jump`, so it never applies to `other`.
        assert_eq!(c.resolve("other").user.as_deref(), Some("fallback"));
        assert_eq!(c.resolve("other").port, None);
    }

    #[test]
    fn include_errors_name_the_included_file() {
        let (_dir, ssh) = ssh_dir(&[("config", "Include bad.conf\n"), ("bad.conf", "\nPort nope\n")]);
        let e = SshConfig::load(&ssh.join("config"), &ssh).expect_err("bad port");
        assert_eq!(e.file, ssh.join("bad.conf"));
        assert_eq!(e.line, 2);
    }

    #[test]
    fn self_include_is_a_depth_error_not_a_hang() {
        let (_dir, ssh) = ssh_dir(&[("config", "Host *\n  User u\nInclude config config\n")]);
        let e = SshConfig::load(&ssh.join("config"), &ssh).expect_err("too deep");
        assert!(e.message.contains("Include nested too deeply"), "{e}");
        assert_eq!(e.line, 3);
        // Sixteen levels of nesting are fine (config includes f0 … f14 includes f15, read at depth 16).
        let mut files: Vec<(String, String)> =
            (0..15).map(|i| (format!("f{i}"), format!("Include f{}\n", i + 1))).collect();
        files.push(("f15".to_string(), "User deep\n".to_string()));
        files.push(("config".to_string(), "Include f0\n".to_string()));
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (_dir2, ssh2) = ssh_dir(&refs);
        let deep = SshConfig::load(&ssh2.join("config"), &ssh2).expect("16 levels load");
        assert_eq!(deep.resolve("x").user.as_deref(), Some("deep"));
        // One more level is refused.
        let mut files: Vec<(String, String)> =
            (0..16).map(|i| (format!("f{i}"), format!("Include f{}\n", i + 1))).collect();
        files.push(("f16".to_string(), "User deep\n".to_string()));
        files.push(("config".to_string(), "Include f0\n".to_string()));
        let refs: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (_dir3, ssh3) = ssh_dir(&refs);
        let e = SshConfig::load(&ssh3.join("config"), &ssh3).expect_err("17 levels");
        assert_eq!(e.file, ssh3.join("f15"));
    }

    #[test]
    fn missing_config_is_empty() {
        let c = SshConfig::load(Path::new("/nonexistent/dir/config"), Path::new("/nonexistent/dir")).expect("ok");
        assert_eq!(c.resolve("x"), HostSettings::default());
    }

    #[test]
    fn expand_tokens() {
        let home = Path::new("/home/me");
        let x = |v: &str| expand(v, "db", "db.internal", 2222, "alice", "me", home);
        assert_eq!(x("~/.ssh/id_%r@%h").as_deref(), Ok("/home/me/.ssh/id_alice@db.internal"));
        assert_eq!(x("~").as_deref(), Ok("/home/me"));
        assert_eq!(x("%d/kh_%n_%p_%u_100%%").as_deref(), Ok("/home/me/kh_db_2222_me_100%"));
        assert_eq!(x("/plain/path").as_deref(), Ok("/plain/path"));
        assert!(x("%C").expect_err("unknown").contains("`%C`"));
        assert!(x("abc%").expect_err("trailing").contains("at the end"));
        assert!(x("~bob/x").is_err());
    }

    #[test]
    fn hops() {
        assert_eq!(parse_hop("bastion"), Ok((None, "bastion".to_string(), None)));
        assert_eq!(parse_hop("user@bastion:22"), Ok((Some("user".to_string()), "bastion".to_string(), Some(22))));
        assert_eq!(parse_hop("a@b@host"), Ok((Some("a@b".to_string()), "host".to_string(), None)));
        assert_eq!(parse_hop("[::1]:2222"), Ok((None, "::1".to_string(), Some(2222))));
        assert_eq!(parse_hop("me@[fe80::1]"), Ok((Some("me".to_string()), "fe80::1".to_string(), None)));
        assert_eq!(parse_hop("fe80::1"), Ok((None, "fe80::1".to_string(), None)));
        assert_eq!(parse_hop(""), Err("empty host".to_string()));
        assert!(parse_hop("user@").expect_err("empty").contains("empty host"));
        assert!(parse_hop("@host").expect_err("empty user").contains("empty user"));
        assert_eq!(parse_hop("host:x"), Err("bad port `x`".to_string()));
        assert_eq!(parse_hop("host:0"), Err("port 0 is not allowed".to_string()));
        assert_eq!(parse_hop("host:65536"), Err("bad port `65536`".to_string()));
        assert!(parse_hop("host:").expect_err("missing").contains("missing port"));
        assert!(parse_hop("[::1").expect_err("bracket").contains("missing `]`"));
        assert!(parse_hop("[::1]x").expect_err("junk").contains("unexpected"));
        assert!(parse_hop("a b").expect_err("space").contains("invalid host"));
    }

    #[test]
    fn jumps() {
        let hops = parse_jumps("alice@bastion:2200,[::1]:22,ssh://bob@inner.example:2022/,plain").expect("ok");
        assert_eq!(
            hops,
            vec![
                (Some("alice".to_string()), "bastion".to_string(), Some(2200)),
                (None, "::1".to_string(), Some(22)),
                (Some("bob".to_string()), "inner.example".to_string(), Some(2022)),
                (None, "plain".to_string(), None),
            ]
        );
        assert_eq!(parse_jumps("SSH://[2001:db8::1]:2"), Ok(vec![(None, "2001:db8::1".to_string(), Some(2))]));
        assert_eq!(parse_jumps("none"), Ok(Vec::new()));
        assert!(parse_jumps("").is_err());
        assert!(parse_jumps("a,,b").expect_err("empty hop").contains("empty host"));
        assert!(parse_jumps("ssh://host/path").expect_err("path").contains("path"));
        assert!(parse_jumps("a:99999").expect_err("port").contains("bad port"));
    }

    proptest! {
        #[test]
        fn parse_and_resolve_never_panic(text in "(?s).{0,2000}", alias in "(?s).{0,40}") {
            if let Ok(c) = SshConfig::parse(&text, Path::new("/t/config"), Path::new("/nonexistent/.ssh")) {
                let _ = c.resolve(&alias);
            }
        }

        #[test]
        fn keyword_shaped_lines_never_panic(
            keyword in prop::sample::select(vec![
                "Host", "Match", "Port", "User", "HostName", "IdentityFile", "ServerAliveInterval",
                "StrictHostKeyChecking", "ProxyJump", "UserKnownHostsFile", "ConnectTimeout", "ServerAliveCountMax",
            ]),
            sep in prop::sample::select(vec![" ", "=", " = ", "\t"]),
            value in "[\\x00-\\x7f\u{80}-\u{10ffff}]{0,80}",
            alias in "[a-z*?!.]{0,10}",
        ) {
            let text = format!("{keyword}{sep}{value}\n  User u\n{keyword}{sep}{value}\n");
            if let Ok(c) = SshConfig::parse(&text, Path::new("/t/config"), Path::new("/nonexistent/.ssh")) {
                let _ = c.resolve(&alias);
            }
        }

        #[test]
        fn hop_parsers_and_expand_never_panic(s in "(?s).{0,300}", port: u16) {
            let _ = parse_hop(&s);
            let _ = parse_jumps(&s);
            let _ = expand(&s, &s, "h", port, "r", "u", Path::new("/home/x"));
        }

        #[test]
        fn hop_roundtrip(user in "[a-z_][a-z0-9_.-]{0,15}", host in "[a-z0-9][a-z0-9.-]{0,30}", port in 1u16..) {
            let text = format!("{user}@{host}:{port}");
            prop_assert_eq!(parse_hop(&text), Ok((Some(user.clone()), host.clone(), Some(port))));
            let v6 = format!("{user}@[{host}::1]:{port}");
            prop_assert_eq!(parse_hop(&v6), Ok((Some(user), format!("{host}::1"), Some(port))));
        }
    }

    #[test]
    fn very_long_lines() {
        let long = "a".repeat(200_000);
        let text = format!("Host {long}\n  User {long}\nHost *{long}*\n  Port 22\n");
        let c = parse(&text);
        assert_eq!(c.resolve(&long).user.as_deref(), Some(long.as_str()));
        assert_eq!(c.resolve("a").port, None);
        let _ = wildcard_match(&"*a".repeat(200), &"a".repeat(5_000), true);
    }
}
