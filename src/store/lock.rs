//! The lock a writer of the store holds for the whole of its run (`fetch`, `data add`, `run`):
//! `std::fs::File::try_lock` on `<store dir>/portcast.lock`. The operating system releases it
//! when the process dies, so a killed run never leaves a stale lock; the file is never deleted.

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
        super::file::remove_stale_temporaries(state_dir);
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
