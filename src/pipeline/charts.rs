//! The report's charts drawn and written on rayon's pool while the run goes on: each chart is
//! independent of the rest, and drawing them one after another on the main thread put a dozen
//! milliseconds per chart on the run's critical path. [`Drawings::finish`] puts the figures into
//! their sections in the order they were asked for, so the page never depends on which chart
//! finished first.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::report::chart::Chart;
use crate::report::html::{Figure, Section};
use crate::report::{ReportError, write_chart};

/// Charts queued on a rayon scope, written into one directory.
pub struct Drawings<'a, 'scope> {
    scope: &'a rayon::Scope<'scope>,
    done: Sender<(usize, Result<Figure, ReportError>)>,
    results: Receiver<(usize, Result<Figure, ReportError>)>,
    /// Per chart asked for, in order: its section's title and its stem.
    asked: Vec<(String, String)>,
    dir: PathBuf,
}

impl<'a, 'scope> Drawings<'a, 'scope> {
    /// Charts drawn on `scope`'s pool into `dir`.
    pub fn new(scope: &'a rayon::Scope<'scope>, dir: &Path) -> Self {
        let (done, results) = channel();
        Drawings {
            scope,
            done,
            results,
            asked: Vec::new(),
            dir: dir.to_path_buf(),
        }
    }

    /// Queue `chart` for `<dir>/<stem>.png` and `.csv`, captioned, in the section titled
    /// `section`. Characters other than ASCII letters, digits, `-` and `_` in the stem become `_`.
    pub fn draw(
        &mut self,
        section: &str,
        stem: &str,
        chart: Box<dyn Chart + Send>,
        caption: impl Into<String>,
    ) {
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // Ids that differ only where they were replaced (`la/dec`, `la_dec`) or in case would
        // share a file: the later one gets `-2`, `-3`, ... (the order asked is fixed).
        let taken = |s: &str| self.asked.iter().any(|(_, t)| t.eq_ignore_ascii_case(s));
        let mut unique = stem.clone();
        let mut n = 2;
        while taken(&unique) {
            unique = format!("{stem}-{n}");
            n += 1;
        }
        let i = self.asked.len();
        let (dir, file_stem, caption) = (self.dir.clone(), unique.clone(), caption.into());
        let done = self.done.clone();
        self.scope.spawn(move |_| {
            // The receiver lives until every chart has reported (or its sender was dropped).
            let _ = done.send((i, write_chart(&dir, &file_stem, chart.as_ref(), caption)));
        });
        self.asked.push((section.to_string(), unique));
    }

    /// Wait for every chart; add the figures to their sections in the order asked, and a
    /// problem for each chart that could not be drawn or written.
    pub fn finish(self, sections: &mut [Section], problems: &mut Vec<String>) {
        let Drawings {
            done,
            results,
            asked,
            ..
        } = self;
        drop(done);
        let mut drawn: Vec<Option<Result<Figure, ReportError>>> =
            (0..asked.len()).map(|_| None).collect();
        // Ends when every queued chart has sent its result (or panicked, dropping its sender).
        for (i, result) in results.iter() {
            drawn[i] = Some(result);
        }
        for ((section, stem), result) in asked.into_iter().zip(drawn) {
            match result {
                Some(Ok(fig)) => match sections.iter_mut().find(|s| s.title == section) {
                    Some(s) => s.figures.push(fig),
                    None => problems.push(format!("chart {stem}: no section `{section}`")),
                },
                Some(Err(e)) => problems.push(format!("chart {stem}: {e}")),
                None => problems.push(format!("chart {stem}: not drawn")),
            }
        }
    }
}
