//! Progress bars: the one place that decides whether to draw them. On a terminal they draw on
//! stderr; under `--quiet`, or when stderr is not a terminal (cron, a pipe, a test), every bar is
//! hidden, so a quiet cron run prints nothing. Commands create a [`Progress`] and ask it for bars.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of progress bars drawn together (one line each).
#[derive(Clone, Debug)]
pub struct Progress {
    multi: MultiProgress,
    visible: bool,
}

impl Progress {
    /// Bars on stderr when it is a terminal and `quiet` is off; hidden otherwise.
    pub fn new(quiet: bool) -> Self {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            visible,
        }
    }

    /// Always hidden (library callers and tests).
    pub fn hidden() -> Self {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            visible: false,
        }
    }

    pub fn is_visible(&self) -> bool {
        self.visible
    }

    /// A spinner labelled `prefix`, whose message the task updates (`set_message`).
    pub fn spinner(&self, prefix: impl Into<String>) -> ProgressBar {
        if !self.visible {
            return ProgressBar::hidden();
        }
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>10} {wide_msg} {elapsed}")
                .expect("static template is valid"),
        );
        bar.set_prefix(prefix.into());
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    }

    /// Run `f` with the bars cleared from the screen (to print a line without garbling them).
    pub fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.multi.suspend(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_bars_are_hidden() {
        let p = Progress::new(true);
        assert!(!p.is_visible());
        assert!(p.spinner("x").is_hidden());
        assert!(Progress::hidden().spinner("y").is_hidden());
    }
}
