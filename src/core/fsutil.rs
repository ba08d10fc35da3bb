//! Owner-only files and directories, written atomically so a crash never leaves half a file; locks for
//! read-modify-write; refusing what is not a regular file (a FIFO would block a read forever, a device never ends).
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};

/// How long an edit waits for another dbconsole holding the same file's lock.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// Creates `dir` (and parents) with mode 0700 where it does not exist yet.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    b.mode(0o700);
    b.create(dir)
}

/// Takes group and other permissions away from one of dbconsole's own directories that already exists (one made
/// by hand, or by an older version). Left alone: a directory another user owns, the home directory and `/`, in
/// case a `DBCONSOLE_*_DIR` variable points at one of those.
pub fn tighten_private_dir(dir: &Path) -> std::io::Result<()> {
    let Ok(meta) = std::fs::metadata(dir) else { return Ok(()) };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if !meta.is_dir() || dir.parent().is_none() || home.as_deref() == Some(dir) {
        return Ok(());
    }
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() == me && meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(meta.permissions().mode() & 0o7700))?;
        }
    }
    Ok(())
}

/// What a path holds when it is not a regular file, in words for an error message.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some(if t.is_dir() { "a directory" } else { "not a regular file" })
}

fn refuse(what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is {what}, not a regular file: replace it with a regular file (or a symlink to one)"),
    )
}

/// Reads a regular file's text. A FIFO, a device, a socket or a directory in its place is refused without reading:
/// it is opened non-blocking (so a FIFO with no writer does not hang the open) and checked before the first read.
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    let mut f = opts.open(path)?;
    if let Some(what) = not_regular(&f.metadata()?) {
        return Err(refuse(what));
    }
    let mut text = String::new();
    f.read_to_string(&mut text)?;
    Ok(text)
}

/// The file a write to `path` must replace: where a symlink (or a chain of them) leads, else `path` itself.
pub fn resolve_link(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(format!("{}: too many levels of symbolic links", path.display())))
}

/// Writes `bytes` to `path` with mode 0600: to a temporary sibling first, then renamed over the target. When `path`
/// is a symlink, the file it points to is replaced and the link stays. Anything but a regular file in the place is
/// refused.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let path = resolve_link(path)?;
    if let Ok(meta) = std::fs::metadata(&path)
        && let Some(what) = not_regular(&meta)
    {
        return Err(refuse(what));
    }
    if let Some(parent) = path.parent() {
        ensure_private_dir(parent)?;
    }
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Makes an empty file at `path`, mode 0600, when nothing is there (true when it made one). SQLite makes an
/// empty file a database at its first write (`migrate apply --create`, the form's "Create file").
pub fn create_empty_private(path: &Path) -> std::io::Result<bool> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    opts.mode(0o600);
    match opts.open(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// An exclusive lock on a file's `<name>.lock` sibling, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct FileLock {
    _file: std::fs::File,
}

/// Locks `path` for a read-modify-write: `flock` on `<path>.lock` (created 0600 beside the file a symlink leads
/// to), waiting up to 15 s for another dbconsole to finish its edit.
pub fn lock(path: &Path) -> std::io::Result<FileLock> {
    lock_within(path, LOCK_WAIT)
}

/// As `lock`, but gives up at once (WouldBlock) when another process holds it: for a lock held for a whole
/// run (the editor tabs' owner).
pub fn try_lock(path: &Path) -> std::io::Result<FileLock> {
    lock_within(path, Duration::ZERO)
}

fn lock_within(path: &Path, wait: Duration) -> std::io::Result<FileLock> {
    let target = resolve_link(path)?;
    if let Some(parent) = target.parent() {
        ensure_private_dir(parent)?;
    }
    let file_name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lock_path = target.with_file_name(format!("{file_name}.lock"));
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    let file = opts.open(&lock_path)?;
    wait_for_lock(&file, &lock_path, wait)?;
    Ok(FileLock { _file: file })
}

#[cfg(unix)]
fn wait_for_lock(file: &std::fs::File, lock_path: &Path, wait: Duration) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let start = Instant::now();
    loop {
        // SAFETY: the descriptor belongs to `file`, which outlives this call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::WouldBlock && e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
        if start.elapsed() >= wait {
            return Err(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!(
                    "another dbconsole has held {} for {} s; try again when it has finished",
                    lock_path.display(),
                    wait.as_secs()
                ),
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(not(unix))]
fn wait_for_lock(_file: &std::fs::File, _lock_path: &Path, _wait: Duration) -> std::io::Result<()> {
    Ok(())
}

/// The permission bits of a file (0 on platforms without them).
pub fn mode(path: &Path) -> std::io::Result<u32> {
    let meta = std::fs::metadata(path)?;
    #[cfg(unix)]
    return Ok(meta.permissions().mode() & 0o7777);
    #[cfg(not(unix))]
    {
        let _ = meta;
        Ok(0)
    }
}

/// True when nobody but the owner can read or write the file.
pub fn is_owner_only(path: &Path) -> std::io::Result<bool> {
    Ok(mode(path)? & 0o077 == 0)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("profiles.toml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_regular(&fifo).unwrap_err();
        assert!(e.to_string().contains("a FIFO (named pipe), not a regular file"), "{e}");
        let e = write_private(&fifo, b"x").unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(Path::new("/dev/zero")).unwrap_err();
        assert!(e.to_string().contains("a device"), "{e}");
        let e = read_regular(dir.path()).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    #[test]
    fn writing_through_a_symlink_keeps_the_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/target.toml"), "old").unwrap();
        let link = dir.path().join("link.toml");
        std::os::unix::fs::symlink("real/target.toml", &link).unwrap();
        write_private(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(dir.path().join("real/target.toml")).unwrap(), "new");
        assert_eq!(mode(&dir.path().join("real/target.toml")).unwrap(), 0o600);
    }

    #[test]
    fn tightening_leaves_home_alone() {
        let dir = tempfile::tempdir().unwrap();
        let own = dir.path().join("own");
        std::fs::create_dir(&own).unwrap();
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
        tighten_private_dir(&own).unwrap();
        assert_eq!(mode(&own).unwrap(), 0o700);
        tighten_private_dir(Path::new("/")).unwrap();
        assert_ne!(mode(Path::new("/")).unwrap() & 0o077, 0);
    }

    #[test]
    fn the_lock_file_is_owner_only_and_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("profiles.toml");
        let held = lock(&file).unwrap();
        let lock_path = dir.path().join("profiles.toml.lock");
        assert_eq!(mode(&lock_path).unwrap(), 0o600);
        let other = std::fs::File::open(&lock_path).unwrap();
        use std::os::fd::AsRawFd;
        // SAFETY: a descriptor owned by `other`.
        assert_ne!(unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
        drop(held);
        // SAFETY: as above.
        assert_eq!(unsafe { libc::flock(other.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    }
}
