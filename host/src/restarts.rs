//! The restart policy: restart after `delay`, at most `max_per_hour` times within any
//! hour (a sliding window), then give up.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The length of the window.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Restarts made within the last hour.
pub struct RestartWindow {
    max_per_hour: u32,
    restarts: VecDeque<Instant>,
}

impl RestartWindow {
    pub fn new(max_per_hour: u32) -> RestartWindow {
        RestartWindow {
            max_per_hour,
            restarts: VecDeque::new(),
        }
    }

    /// Asks for a restart at `now`: true (and counted) when fewer than `max_per_hour`
    /// restarts happened in the hour before `now`; false means give up.
    pub fn allow(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.restarts.front() {
            if now.saturating_duration_since(oldest) >= WINDOW {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        if (self.restarts.len() as u64) < u64::from(self.max_per_hour) {
            self.restarts.push_back(now);
            true
        } else {
            false
        }
    }

    /// Restarts counted in the current window.
    pub fn count(&self) -> usize {
        self.restarts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_max_per_sliding_hour() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut w = RestartWindow::new(2);
        assert!(w.allow(at(0)));
        assert!(w.allow(at(1000)));
        assert!(!w.allow(at(2000)));
        // The first restart leaves the window an hour after it happened.
        assert!(w.allow(at(3600)));
        assert!(!w.allow(at(3700)));
        assert!(w.allow(at(4600)));
        assert_eq!(w.count(), 2);
    }

    #[test]
    fn zero_never_restarts() {
        let mut w = RestartWindow::new(0);
        assert!(!w.allow(Instant::now()));
    }
}
