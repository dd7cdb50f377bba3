//! An independent checker of over-admission: it rebuilds every session's lifetime from the
//! stores' replies (store times only) and sweeps them to find the most sessions ever live at
//! one instant.
//!
//! Each client owns its sessions and logs its own replies in order, so per session the order of
//! events is exact. Leases are live on `[now, expires_at)`; a release at `t` ends the session at
//! `t`. Across sessions, at equal instants ends are counted before starts (the store's half-open
//! intervals make an expiry at `t` and an admission at `t` compatible).

use std::collections::{HashMap, HashSet};

use csl::{Admission, LimitReached, Released, StoreTime};

/// One client's view: its sessions' lifetimes, built as the replies come in.
#[derive(Default)]
pub(crate) struct ClientLog {
    /// Per session: the list of `[start, end)` lifetimes in store microseconds.
    sessions: HashMap<u64, Vec<(u64, u64)>>,
    /// Replies that contradict the session's own history (must stay empty).
    pub(crate) anomalies: Vec<String>,
    /// Sessions whose latest call failed on the store side (timeout, dropped connection): Redis
    /// may still have applied it, only the reply was lost.
    unknown_outcome: HashSet<u64>,
    /// Renewals of sessions whose admission reply was lost (see [`Self::outcome_unknown`]).
    pub(crate) hidden_admissions: u64,
    /// Decisions seen.
    pub(crate) decisions: u64,
    /// Admissions that took a new slot.
    pub(crate) new_admissions: u64,
    /// Refusals.
    pub(crate) refusals: u64,
}

impl ClientLog {
    /// Records an admission of session `s`.
    pub(crate) fn admitted(&mut self, s: u64, a: &Admission) {
        self.decisions += 1;
        let maybe_admitted = self.unknown_outcome.remove(&s);
        let (now, exp) = (a.now.as_micros(), a.expires_at.as_micros());
        let lives = self.sessions.entry(s).or_default();
        let live_before = lives.last().is_some_and(|&(_, end)| end > now);
        if a.renewed {
            match lives.last_mut() {
                Some(last) if last.1 > now => last.1 = last.1.max(exp),
                // The admission happened in a call whose reply was lost: the lifetime is known
                // from this renewal on (the lost part is at most one call plus its deadline).
                _ if maybe_admitted => {
                    self.hidden_admissions += 1;
                    lives.push((now, exp));
                }
                _ => {
                    self.anomalies
                        .push(format!("session {s}: renewed at {now} but it was not live"));
                    lives.push((now, exp));
                }
            }
        } else {
            if live_before {
                self.anomalies.push(format!(
                    "session {s}: admitted as new at {now} while still live"
                ));
            }
            self.new_admissions += 1;
            lives.push((now, exp));
        }
        if a.live > a.max && !a.renewed {
            self.anomalies.push(format!(
                "session {s}: new admission with live {} > max {}",
                a.live, a.max
            ));
        }
    }

    /// Records a refusal.
    pub(crate) fn refused(&mut self, s: u64, r: &LimitReached) {
        self.limit_reached(s);
        if r.live < r.max {
            self.anomalies.push(format!(
                "session {s}: refused with live {} < max {}",
                r.live, r.max
            ));
        }
        if let Some(&(_, end)) = self.sessions.get(&s).and_then(|l| l.last())
            && end > r.now.as_micros()
        {
            self.anomalies
                .push(format!("session {s}: refused at {} while live", r.now));
        }
    }

    /// Records a refusal of session `s` known only from the limiter's verdict (no store times).
    pub(crate) fn limit_reached(&mut self, s: u64) {
        self.decisions += 1;
        self.refusals += 1;
        self.unknown_outcome.remove(&s);
    }

    /// Records a release of session `s`.
    pub(crate) fn released(&mut self, s: u64, r: &Released) {
        self.decisions += 1;
        self.unknown_outcome.remove(&s);
        let now = r.now.as_micros();
        let mut was_live = false;
        if let Some(last) = self.sessions.get_mut(&s).and_then(|l| l.last_mut())
            && last.1 > now
        {
            was_live = true;
            last.1 = now.max(last.0);
        }
        if was_live != r.removed {
            self.anomalies.push(format!(
                "session {s}: release at {now} said removed={} but the session was {}live",
                r.removed,
                if was_live { "" } else { "not " }
            ));
        }
    }

    /// Records a call for session `s` that failed on the store side after the request may have
    /// reached Redis (a timeout, a connection lost mid-call): its effect is unknown, so a later
    /// renewal of a session this log never saw admitted is not a contradiction.
    pub(crate) fn outcome_unknown(&mut self, s: u64) {
        self.unknown_outcome.insert(s);
    }

    /// Ends every lifetime at `t` at the latest (the store lost its state then).
    pub(crate) fn truncate_at(&mut self, t: StoreTime) {
        for lives in self.sessions.values_mut() {
            for l in lives.iter_mut() {
                if l.0 < t.as_micros() {
                    l.1 = l.1.min(t.as_micros());
                }
            }
        }
    }
}

/// The result of the sweep over all clients.
#[derive(Debug)]
pub(crate) struct Sweep {
    /// The most sessions live at one instant.
    pub(crate) max_live: u32,
    /// Instants (store µs) where more than the limit were live, with the count.
    pub(crate) violations: Vec<(u64, u32)>,
    /// Lifetimes swept.
    pub(crate) lifetimes: usize,
}

/// Sweeps all lifetimes of all clients against `max`.
pub(crate) fn sweep<'a>(logs: impl IntoIterator<Item = &'a ClientLog>, max: u32) -> Sweep {
    let mut events: Vec<(u64, i8)> = Vec::new();
    let mut lifetimes = 0;
    for log in logs {
        for lives in log.sessions.values() {
            for &(start, end) in lives {
                if end > start {
                    lifetimes += 1;
                    events.push((start, 1));
                    events.push((end, -1));
                }
            }
        }
    }
    // Ends (-1) sort before starts (+1) at the same instant.
    events.sort_unstable();
    let (mut live, mut max_live) = (0i64, 0i64);
    let mut violations = Vec::new();
    for (t, d) in events {
        live += i64::from(d);
        max_live = max_live.max(live);
        if d > 0 && live > i64::from(max) {
            violations.push((t, live as u32));
        }
    }
    Sweep {
        max_live: max_live as u32,
        violations,
        lifetimes,
    }
}

#[test]
fn the_sweep_counts_half_open_intervals() {
    let mut a = ClientLog::default();
    let adm = |now, exp, renewed| Admission {
        live: 1,
        max: 2,
        now: StoreTime::from_micros(now),
        expires_at: StoreTime::from_micros(exp),
        renewed,
    };
    a.admitted(1, &adm(0, 10, false));
    a.admitted(2, &adm(5, 15, false));
    a.admitted(3, &adm(10, 20, false)); // starts when 1 ends: fine
    assert_eq!(sweep([&a], 2).max_live, 2);
    a.admitted(1, &adm(12, 22, false)); // 2, 3 and 1 again live at 12
    let s = sweep([&a], 2);
    assert_eq!(s.max_live, 3);
    assert_eq!(s.violations, vec![(12, 3)]);
    assert!(a.anomalies.is_empty());
    a.admitted(2, &adm(30, 40, true)); // renewal of an expired session: anomaly
    assert_eq!(a.anomalies.len(), 1);
    a.outcome_unknown(4); // the admission's reply was lost ...
    a.admitted(4, &adm(32, 42, true)); // ... so its renewal is no contradiction
    assert_eq!((a.anomalies.len(), a.hidden_admissions), (1, 1));
    a.admitted(4, &adm(50, 60, true)); // but a later renewal of the expired lease still is
    assert_eq!(a.anomalies.len(), 2);
}
