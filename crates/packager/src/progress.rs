//! Progress reporting: the job reports events to a [`Progress`] sink the binary chooses — a
//! terminal bar (only when stderr is a terminal) or nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Receives progress events from a job.
pub trait Progress {
    /// A phase starts (`what`, e.g. "encrypting"), `total` bytes long.
    fn start(&mut self, what: &str, total: u64);
    /// `done` of `total` bytes are finished (monotonic within a phase).
    fn advance(&mut self, done: u64);
    /// The phase ended (successfully or not).
    fn finish(&mut self);
}

/// Discards every event (stderr is not a terminal, or `-q`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// A progress bar drawn on the target the binary passes (normally `stderr`, and only when
/// it is a terminal).
pub struct BarProgress {
    target: Option<ProgressDrawTarget>,
    bar: Option<ProgressBar>,
}

impl BarProgress {
    /// A bar that will draw on `target`.
    pub fn new(target: ProgressDrawTarget) -> Self {
        BarProgress {
            target: Some(target),
            bar: None,
        }
    }
}

impl Progress for BarProgress {
    fn start(&mut self, what: &str, total: u64) {
        self.finish();
        let target = self
            .target
            .take()
            .unwrap_or_else(ProgressDrawTarget::hidden);
        let bar = ProgressBar::with_draw_target(Some(total), target);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>11} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_owned());
        self.bar = Some(bar);
    }

    fn advance(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        // Later phases draw where the first one did.
        if self.target.is_none() {
            self.target = Some(ProgressDrawTarget::hidden());
        }
    }
}

/// A recorder of events, for tests of jobs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecordedProgress {
    /// `(phase, total)` per start.
    pub phases: Vec<(String, u64)>,
    /// Every `advance` value.
    pub positions: Vec<u64>,
    /// Number of `finish` calls.
    pub finished: usize,
}

impl Progress for RecordedProgress {
    fn start(&mut self, what: &str, total: u64) {
        self.phases.push((what.to_owned(), total));
    }
    fn advance(&mut self, done: u64) {
        self.positions.push(done);
    }
    fn finish(&mut self) {
        self.finished += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_on_a_hidden_target_runs_through_phases() {
        let mut bar = BarProgress::new(ProgressDrawTarget::hidden());
        bar.start("encrypting", 100);
        bar.advance(50);
        bar.advance(100);
        bar.finish();
        bar.start("verifying", 100);
        bar.advance(100);
        bar.finish();
        let mut none = NoProgress;
        none.start("x", 1);
        none.advance(1);
        none.finish();
    }
}
