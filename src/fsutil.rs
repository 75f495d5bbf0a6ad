//! The file-system mechanics every writer shares: atomic writes (a synced temporary file in the
//! same directory, then a rename) and the lock a writer of the store directory holds for the
//! whole of its run (`fetch`, `data add`, `run`): `std::fs::File::try_lock` on
//! `<store dir>/portcast.lock`. The operating system releases the lock when the process dies, so
//! a killed run never leaves a stale lock; the file is never deleted. Taking the lock removes
//! the temporaries a killed writer left.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file's name in the store (state) directory.
pub const LOCK_FILE: &str = "portcast.lock";

/// Another run holds the lock, or the lock file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The caller maps this to exit code 75 (`crate::exit::Exit::Locked`).
    #[error("another portcast run{} holds the lock {}", holder_text(*holder), path.display())]
    Held { path: PathBuf, holder: Option<u32> },
    #[error("opening the lock file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn holder_text(pid: Option<u32>) -> String {
    pid.map_or(String::new(), |p| format!(" (pid {p})"))
}

/// An exclusive lock on `<state dir>/portcast.lock`, held until dropped (or the process dies:
/// the operating system releases it, so a killed run never leaves a stale lock). The file is
/// never deleted — deleting it would let two runs lock two different files of the same name.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

impl RunLock {
    /// Take the lock without waiting: [`LockError::Held`] if another run (in this process or
    /// another) holds it.
    pub fn acquire(state_dir: &Path) -> Result<RunLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(state_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    holder: text.trim().parse().ok(),
                    path,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // Record the holder for the message a second run prints (informational only).
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = writeln!(file, "{}", std::process::id());
        let _ = file.flush();
        // The only writer now: temporary copies of the store a killed writer left are stale.
        remove_stale_temporaries(state_dir);
        Ok(RunLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Prefix of the temporary files [`write_atomic`] creates (`.portcast-write-XXXXXX`).
pub const TMP_PREFIX: &str = ".portcast-write-";

/// Remove temporary files a killed writer left in the store directory `dir` (each a full copy
/// of the store, never cleaned otherwise). Only called by a writer holding the store lock, so no
/// other write can be under way. Older versions named theirs `.tmpXXXXXX`: such a file is
/// removed only when it starts with the store file's header (a copy of the store).
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let ours = name.starts_with(TMP_PREFIX)
            || (name.starts_with(".tmp") && name.len() == 10 && starts_with_header(&e.path()));
        if ours {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// The header of the store's `observations.csv` (`crate::store::file::HEADER`, tested equal
/// there): an older version's temporary is removed only when it is a copy of the store.
pub const STORE_HEADER: &str = "series,period,value,unit,precision,source,known_at";

fn starts_with_header(path: &Path) -> bool {
    let mut head = [0u8; STORE_HEADER.len()];
    fs::File::open(path)
        .is_ok_and(|mut f| f.read_exact(&mut head).is_ok() && head == *STORE_HEADER.as_bytes())
}

/// Write `bytes` to `path` through a synced temporary file in the same directory and a rename,
/// with mode 0644 (a temporary file is created 0600).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(TMP_PREFIX)
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
