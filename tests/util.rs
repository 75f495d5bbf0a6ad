//! Shared helpers: run the real binary with a private store directory, copy the snapshot.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The bundled snapshot in the repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// A `portcast` command that never touches the user's own directories: the store is `store`,
/// and no config file is read unless the test passes one. The environment is cleared (no
/// `PORTCAST_*`, `RUST_LOG`, proxy or locale variable of the caller leaks in); only `PATH` is kept.
pub fn portcast(store: &Path) -> Command {
    let mut cmd = Command::cargo_bin("portcast").expect("binary built");
    clear_env(&mut cmd);
    cmd.env("PORTCAST_STORE_DIR", store)
        .env("HOME", store)
        .env("XDG_CONFIG_HOME", store.join("config"));
    cmd
}

/// Clear a child's environment but for `PATH`: every command a test starts gets only what the
/// test sets.
pub fn clear_env<C: ClearEnv>(cmd: &mut C) -> &mut C {
    cmd.keep_path()
}

/// The two command types the tests spawn.
pub trait ClearEnv {
    fn keep_path(&mut self) -> &mut Self;
}

impl ClearEnv for Command {
    fn keep_path(&mut self) -> &mut Self {
        self.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            self.env("PATH", path);
        }
        self
    }
}

impl ClearEnv for std::process::Command {
    fn keep_path(&mut self) -> &mut Self {
        self.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            self.env("PATH", path);
        }
        self
    }
}

/// Run and return (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// Copy the bundled snapshot into a fresh directory the test may change.
pub fn copy_of_data() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(data_dir()).expect("data dir") {
        let entry = entry.expect("entry");
        if entry.path().extension().is_some_and(|e| e == "csv") {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    dir
}

/// Parse CSV text into (header, rows) with the csv crate.
pub fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}
