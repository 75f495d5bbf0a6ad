//! Cron safety: a report directory that appears only when complete ([`OutputDir`]); one run at a
//! time is the store lock's job (`crate::fsutil::RunLock`, which `run` holds throughout).
//!
//! Layout under the output directory `<out>`:
//! ```text
//! <out>/2024-11-30/          a complete report (index.html, PNGs, CSVs, summary.json)
//! <out>/latest -> 2024-11-30 a relative symlink to the newest complete report
//! <out>/.portcast-tmp-…      a report being written (or left by a killed run)
//! ```
//! A report is written into a fresh temporary directory inside `<out>` (same file system, so
//! the final step is a rename) and [`OutputDir::commit`] then:
//! 1. renames an existing `<out>/<date>` aside (`.portcast-old-<date>-…`), renames the new
//!    directory to `<out>/<date>`, and removes the old one;
//! 2. points `latest` at it by creating a symlink under a temporary name and renaming it over
//!    `latest` (rename is atomic, so a reader always sees the old or the new target).
//!
//! A run killed at any point leaves `latest` on the previous complete report and never a
//! half-written dated directory. The next [`OutputDir::create`] cleans up what a killed run
//! left: temporary directories and symlinks are removed, and an old report set aside whose
//! replacement never arrived is put back. The cleanup assumes one writer per `<out>` at a
//! time, which is what `crate::fsutil::RunLock` (held for the whole run) guarantees.
//!
//! `latest` follows the newest *date*: reproducing an older report with `--as-of` writes its
//! dated directory but leaves `latest` on the newer one.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

const TMP_PREFIX: &str = ".portcast-tmp-";
const OLD_PREFIX: &str = ".portcast-old-";
const LINK_PREFIX: &str = ".portcast-latest-";
/// The name of the symlink to the newest complete report.
pub const LATEST: &str = "latest";

/// Preparing or publishing a report directory failed.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    #[error("{what} {}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} exists and is not a symlink; refusing to replace it", path.display())]
    LatestNotSymlink { path: PathBuf },
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> RunDirError + 'a {
    move |source| RunDirError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

/// A report being written: files go into [`OutputDir::path`], which becomes
/// `<out>/<YYYY-MM-DD>` on [`OutputDir::commit`]. Dropped without a commit, the temporary
/// directory is removed and nothing visible changes.
#[derive(Debug)]
pub struct OutputDir {
    out: PathBuf,
    date: NaiveDate,
    tmp: PathBuf,
    committed: bool,
}

/// What [`OutputDir::commit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// `<out>/<YYYY-MM-DD>`.
    pub dir: PathBuf,
    /// Whether `latest` now points at it (not when a newer dated report exists).
    pub latest_updated: bool,
    /// An existing report of the same date was replaced.
    pub replaced: bool,
}

impl OutputDir {
    /// Start a report for `date` under `out` (created if missing), after cleaning up what an
    /// interrupted run left there. Call it while holding the store lock (`crate::fsutil::RunLock`).
    pub fn create(out: &Path, date: NaiveDate) -> Result<OutputDir, RunDirError> {
        fs::create_dir_all(out).map_err(io_err("creating the output directory", out))?;
        cleanup(out)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{TMP_PREFIX}{date}-"))
            .tempdir_in(out)
            .map_err(io_err("creating a temporary directory in", out))?
            // Kept by path: removal is ours (on drop without commit, or by the next cleanup).
            .keep();
        #[cfg(unix)]
        {
            // tempdir() creates 0700; a published report is readable like any other output.
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))
                .map_err(io_err("setting permissions of", &tmp))?;
        }
        Ok(OutputDir {
            out: out.to_path_buf(),
            date,
            tmp,
            committed: false,
        })
    }

    /// Where to write the report's files now.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The directory the report will have once committed.
    pub fn final_dir(&self) -> PathBuf {
        self.out.join(self.date.format("%Y-%m-%d").to_string())
    }

    /// Publish the report: rename it to `<out>/<date>` (replacing a same-date report) and point
    /// `latest` at it unless a newer dated report is already `latest`.
    pub fn commit(mut self) -> Result<Committed, RunDirError> {
        sync_dir(&self.tmp);
        let dest = self.final_dir();
        let name = dest
            .file_name()
            .expect("a date is a file name")
            .to_string_lossy()
            .into_owned();
        let mut replaced = false;
        // A same-date rerun: swap the new report and the old one in one atomic step where the
        // system can, so `latest` (pointing at `<date>`) never dangles, not even between two
        // renames; the old report, now under the temporary name, is then removed.
        if fs::symlink_metadata(&dest).is_ok() && exchange(&self.tmp, &dest).is_ok() {
            self.committed = true;
            sync_dir(&self.out);
            if killed_here() {
                return Err(simulated_kill());
            }
            let _ = fs::remove_dir_all(&self.tmp);
            replaced = true;
        }
        let aside = if self.committed {
            None
        } else if fs::symlink_metadata(&dest).is_ok() {
            let aside = unique_name(&self.out, &format!("{OLD_PREFIX}{name}-"));
            fs::rename(&dest, &aside).map_err(io_err("moving aside the old report", &dest))?;
            replaced = true;
            if killed_here() {
                self.committed = true; // a killed process removes nothing
                return Err(simulated_kill());
            }
            Some(aside)
        } else {
            None
        };
        if !self.committed
            && let Err(e) = fs::rename(&self.tmp, &dest)
        {
            // Put the old report back, so the failure leaves things as they were.
            if let Some(aside) = &aside {
                let _ = fs::rename(aside, &dest);
            }
            return Err(io_err("publishing the report as", &dest)(e));
        }
        self.committed = true;
        sync_dir(&self.out);
        if let Some(aside) = aside {
            let _ = fs::remove_dir_all(&aside);
        }

        let latest_updated = match current_latest(&self.out) {
            Some(current) if current > self.date => false,
            _ => {
                point_latest(&self.out, &name)?;
                true
            }
        };
        sync_dir(&self.out);
        Ok(Committed {
            dir: dest,
            latest_updated,
            replaced,
        })
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// The date `latest` points at, if it is a symlink to an existing dated report.
fn current_latest(out: &Path) -> Option<NaiveDate> {
    let link = out.join(LATEST);
    let target = fs::read_link(&link).ok()?;
    if !link.is_dir() {
        return None; // dangling: whatever it named is gone
    }
    let name = target.file_name()?.to_str()?;
    NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()
}

/// Atomically make `<out>/latest` a symlink to `name` (relative, so `<out>` can move).
fn point_latest(out: &Path, name: &str) -> Result<(), RunDirError> {
    let latest = out.join(LATEST);
    if let Ok(meta) = fs::symlink_metadata(&latest)
        && !meta.file_type().is_symlink()
    {
        return Err(RunDirError::LatestNotSymlink { path: latest });
    }
    let tmp = unique_name(out, LINK_PREFIX);
    make_link(name, &tmp).map_err(io_err("creating the symlink", &tmp))?;
    fs::rename(&tmp, &latest).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err("pointing at the new report:", &latest)(e)
    })
}

#[cfg(test)]
thread_local! {
    /// Tests: make `commit` stop, as a kill would, right after the old report left `<date>`.
    static KILL_IN_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn killed_here() -> bool {
    KILL_IN_COMMIT.with(|k| k.get())
}

#[cfg(not(test))]
fn killed_here() -> bool {
    false
}

fn simulated_kill() -> RunDirError {
    RunDirError::Io {
        what: "simulated kill in",
        path: PathBuf::new(),
        source: io::Error::other("killed"),
    }
}

/// Swap two directories atomically (Linux `renameat2(RENAME_EXCHANGE)`); an error where the
/// system or file system cannot, and the caller falls back to two renames.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in a path"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that live across the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(unix)]
fn make_link(target: &str, at: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(not(unix))]
fn make_link(target: &str, at: &Path) -> io::Result<()> {
    // Without symlinks, `latest` is a file naming the newest report's directory.
    fs::write(at, target)
}

/// A path `<dir>/<prefix><pid>-<n>` that does not exist yet.
fn unique_name(dir: &Path, prefix: &str) -> PathBuf {
    let pid = std::process::id();
    (0u32..)
        .map(|n| dir.join(format!("{prefix}{pid}-{n}")))
        .find(|p| fs::symlink_metadata(p).is_err())
        .expect("some free name")
}

/// Remove what an interrupted run left in `out`; put back a report set aside whose
/// replacement never arrived.
fn cleanup(out: &Path) -> Result<(), RunDirError> {
    let entries = fs::read_dir(out).map_err(io_err("reading", out))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if name.starts_with(TMP_PREFIX) {
            let _ = fs::remove_dir_all(&path);
        } else if name.starts_with(LINK_PREFIX) {
            let _ = fs::remove_file(&path);
        } else if let Some(rest) = name.strip_prefix(OLD_PREFIX) {
            // `.portcast-old-<YYYY-MM-DD>-<pid>-<n>`: the date is the first ten characters.
            let date = rest.get(..10).unwrap_or_default();
            let original = out.join(date);
            if NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
                && fs::symlink_metadata(&original).is_err()
            {
                fs::rename(&path, &original).map_err(io_err("restoring", &original))?;
            } else {
                let _ = fs::remove_dir_all(&path);
            }
        }
    }
    Ok(())
}

/// Make renames in `dir` durable (best effort: not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fsutil::{LOCK_FILE, LockError, RunLock};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn write_report(out: &Path, d: &str, body: &str) -> Committed {
        let dir = OutputDir::create(out, date(d)).unwrap();
        fs::write(dir.path().join("index.html"), body).unwrap();
        dir.commit().unwrap()
    }

    fn latest_body(out: &Path) -> String {
        fs::read_to_string(out.join(LATEST).join("index.html")).unwrap()
    }

    fn names(out: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_publishes_and_points_latest() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path().join("reports");
        let c = write_report(&out, "2024-11-30", "first");
        assert_eq!(c.dir, out.join("2024-11-30"));
        assert!(c.latest_updated && !c.replaced);
        assert_eq!(
            fs::read_link(out.join(LATEST)).unwrap(),
            Path::new("2024-11-30")
        );
        assert_eq!(latest_body(&out), "first");
        assert_eq!(names(&out), ["2024-11-30", "latest"]);

        let c = write_report(&out, "2024-12-31", "second");
        assert!(c.latest_updated);
        assert_eq!(latest_body(&out), "second");
        assert_eq!(names(&out), ["2024-11-30", "2024-12-31", "latest"]);
    }

    /// Issue 14, defect 8: a same-date rerun killed at the worst instant (the old report has
    /// left `<date>`) still leaves `latest` on a complete report.
    #[test]
    fn a_kill_inside_a_same_date_commit_never_leaves_latest_dangling() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-11-30", "old");
        let dir = OutputDir::create(out, date("2024-11-30")).unwrap();
        fs::write(dir.path().join("index.html"), "new").unwrap();
        KILL_IN_COMMIT.with(|k| k.set(true));
        let killed = dir.commit();
        KILL_IN_COMMIT.with(|k| k.set(false));
        assert!(killed.is_err());
        let body = fs::read_to_string(out.join(LATEST).join("index.html"));
        assert!(
            matches!(body.as_deref(), Ok("old") | Ok("new")),
            "latest dangles: {body:?}"
        );
        // The next run cleans up and publishes.
        write_report(out, "2024-11-30", "next");
        assert_eq!(latest_body(out), "next");
        assert_eq!(names(out), ["2024-11-30", "latest"]);
    }

    #[test]
    fn same_date_is_replaced_whole() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-11-30", "old");
        fs::write(out.join("2024-11-30").join("stale.png"), "x").unwrap();
        let c = write_report(out, "2024-11-30", "new");
        assert!(c.replaced && c.latest_updated);
        assert_eq!(latest_body(out), "new");
        assert!(!out.join("2024-11-30").join("stale.png").exists());
        assert_eq!(names(out), ["2024-11-30", "latest"]);
    }

    #[test]
    fn an_older_as_of_does_not_move_latest() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-12-31", "new");
        let c = write_report(out, "2023-06-30", "reproduced");
        assert!(!c.latest_updated);
        assert_eq!(latest_body(out), "new");
        assert_eq!(
            fs::read_to_string(out.join("2023-06-30/index.html")).unwrap(),
            "reproduced"
        );
    }

    #[test]
    fn a_crash_before_commit_leaves_latest_alone() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-11-30", "complete");
        {
            // Simulated crash: files written, no commit (drop removes the temporary).
            let dir = OutputDir::create(out, date("2024-12-31")).unwrap();
            fs::write(dir.path().join("index.html"), "half").unwrap();
        }
        assert_eq!(latest_body(out), "complete");
        assert_eq!(names(out), ["2024-11-30", "latest"]);

        // A harder crash (no destructor ran): the temporary stays until the next run.
        let dir = OutputDir::create(out, date("2024-12-31")).unwrap();
        fs::write(dir.path().join("index.html"), "half").unwrap();
        std::mem::forget(dir);
        assert_eq!(latest_body(out), "complete");
        assert!(!out.join("2024-12-31").exists());
        assert_eq!(names(out).len(), 3);
        let next = OutputDir::create(out, date("2024-12-31")).unwrap();
        assert_eq!(
            names(out).len(),
            3,
            "the leftover is gone, the new temporary exists"
        );
        drop(next);
        assert_eq!(names(out), ["2024-11-30", "latest"]);
    }

    #[test]
    fn cleanup_restores_a_report_set_aside() {
        // A run killed between "rename old aside" and "rename new in".
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-11-30", "complete");
        fs::rename(
            out.join("2024-11-30"),
            out.join(".portcast-old-2024-11-30-123-0"),
        )
        .unwrap();
        fs::create_dir(out.join(".portcast-tmp-2024-11-30-abc")).unwrap();
        drop(OutputDir::create(out, date("2024-12-01")).unwrap());
        assert_eq!(names(out), ["2024-11-30", "latest"]);
        assert_eq!(latest_body(out), "complete");
        // With the dated directory present, a leftover aside copy is just removed.
        fs::create_dir(out.join(".portcast-old-2024-11-30-123-1")).unwrap();
        drop(OutputDir::create(out, date("2024-12-01")).unwrap());
        assert_eq!(names(out), ["2024-11-30", "latest"]);
    }

    #[test]
    fn refuses_a_real_directory_named_latest() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        fs::create_dir(out.join(LATEST)).unwrap();
        let dir = OutputDir::create(out, date("2024-11-30")).unwrap();
        let err = dir.commit().unwrap_err();
        assert!(matches!(err, RunDirError::LatestNotSymlink { .. }), "{err}");
        // The report itself was published.
        assert!(out.join("2024-11-30").is_dir());
    }

    #[test]
    fn the_lock_is_exclusive_within_a_process() {
        let t = tempfile::tempdir().unwrap();
        let state = t.path().join("state");
        let first = RunLock::acquire(&state).unwrap();
        let err = RunLock::acquire(&state).unwrap_err();
        match &err {
            LockError::Held { holder, path } => {
                assert_eq!(*holder, Some(std::process::id()));
                assert_eq!(path, &state.join(LOCK_FILE));
            }
            other => panic!("{other}"),
        }
        assert!(
            err.to_string().starts_with("another portcast run (pid "),
            "{err}"
        );
        drop(first);
        let again = RunLock::acquire(&state).unwrap();
        drop(again);
        // The lock file stays.
        assert!(state.join(LOCK_FILE).exists());
    }

    #[test]
    fn a_held_lock_maps_to_exit_code_75() {
        let t = tempfile::tempdir().unwrap();
        let _first = RunLock::acquire(t.path()).unwrap();
        let err =
            anyhow::Error::new(RunLock::acquire(t.path()).unwrap_err()).context("portcast run");
        assert_eq!(crate::cli::code_for(&err), crate::exit::Exit::Locked);
        assert_eq!(crate::exit::Exit::Locked as u8, 75);
    }

    /// Not a test on its own: the child process of `the_lock_is_exclusive_across_processes`,
    /// holding the lock until its stdin closes.
    #[test]
    fn lock_holder_child() {
        let Some(state) = std::env::var_os("PORTCAST_TEST_LOCK_CHILD") else {
            return;
        };
        let _lock = RunLock::acquire(Path::new(&state)).unwrap();
        println!("LOCKED");
        let mut buf = String::new();
        let _ = io::stdin().read_line(&mut buf);
    }

    /// Not a test on its own: the child of `a_killed_run_leaves_latest_alone`, killed while
    /// writing a report.
    #[test]
    fn report_writer_child() {
        let Some(out) = std::env::var_os("PORTCAST_TEST_WRITER_CHILD") else {
            return;
        };
        let dir = OutputDir::create(Path::new(&out), date("2024-12-31")).unwrap();
        fs::write(dir.path().join("index.html"), "half").unwrap();
        println!("WRITING");
        let mut buf = String::new();
        let _ = io::stdin().read_line(&mut buf);
    }

    /// Spawn this test binary running only `name`, with `var` set to `value`, and wait until
    /// it prints `ready`.
    fn child(name: &str, var: &str, value: &Path, ready: &str) -> std::process::Child {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        // Only `var` (and PATH) in its environment: nothing of the caller's PORTCAST_* leaks in.
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env_clear()
            .envs(std::env::var_os("PATH").map(|p| ("PATH", p)))
            .env(var, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(
            lines
                .by_ref()
                .map_while(Result::ok)
                .any(|l| l.contains(ready)),
            "the child reached {ready}"
        );
        child
    }

    #[test]
    fn a_killed_run_leaves_latest_alone() {
        let t = tempfile::tempdir().unwrap();
        let out = t.path();
        write_report(out, "2024-11-30", "complete");
        let mut writer = child(
            "report::rundir::tests::report_writer_child",
            "PORTCAST_TEST_WRITER_CHILD",
            out,
            "WRITING",
        );
        writer.kill().unwrap(); // SIGKILL: no destructor runs
        writer.wait().unwrap();
        assert_eq!(latest_body(out), "complete");
        assert!(
            !out.join("2024-12-31").exists(),
            "no half-written dated directory"
        );
        assert!(names(out).iter().any(|n| n.starts_with(TMP_PREFIX)));
        // The next run cleans up and publishes normally.
        write_report(out, "2024-12-31", "next");
        assert_eq!(names(out), ["2024-11-30", "2024-12-31", "latest"]);
        assert_eq!(latest_body(out), "next");
    }

    #[test]
    fn the_lock_is_exclusive_across_processes() {
        let t = tempfile::tempdir().unwrap();
        let state = t.path().to_path_buf();
        let mut child = child(
            "report::rundir::tests::lock_holder_child",
            "PORTCAST_TEST_LOCK_CHILD",
            &state,
            "LOCKED",
        );
        match RunLock::acquire(&state) {
            Err(LockError::Held { holder, .. }) => assert_eq!(holder, Some(child.id())),
            other => panic!("expected Held, got {other:?}"),
        }
        // Killed, not closed: the operating system releases the lock with the process.
        child.kill().unwrap();
        child.wait().unwrap();
        RunLock::acquire(&state).expect("free after the holder died");
    }
}
