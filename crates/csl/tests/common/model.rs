//! The reference model: the CSL rules written as plainly as possible, to check the stores
//! against. Time is given by the caller; a lease is live on `[now, expires_at)`.

use std::collections::HashMap;

use csl::{Admission, Decision, Lease, LimitReached, LiveSessions, Released, SessionId, StoreTime};

/// Every user's leases: (session, expiry µs).
#[derive(Default)]
pub(crate) struct Model {
    users: HashMap<u8, Vec<(SessionId, u64)>>,
}

impl Model {
    pub(crate) fn admit(
        &mut self,
        now: u64,
        user: u8,
        s: &SessionId,
        max: u32,
        lease: u64,
    ) -> Decision {
        let leases = self.users.entry(user).or_default();
        leases.retain(|(_, exp)| *exp > now);
        let live = leases.len() as u32;
        let t = |v| StoreTime::from_micros(v);
        if let Some(l) = leases.iter_mut().find(|(id, _)| id == s) {
            l.1 = now + lease;
            return Decision::Admitted(Admission {
                live,
                max,
                now: t(now),
                expires_at: t(now + lease),
                renewed: true,
            });
        }
        if live < max {
            leases.push((s.clone(), now + lease));
            return Decision::Admitted(Admission {
                live: live + 1,
                max,
                now: t(now),
                expires_at: t(now + lease),
                renewed: false,
            });
        }
        let mut expiries: Vec<u64> = leases.iter().map(|(_, e)| *e).collect();
        expiries.sort_unstable();
        let frees_at = expiries[(live - max) as usize];
        Decision::Refused(LimitReached {
            live,
            max,
            now: t(now),
            frees_at: t(frees_at),
        })
    }

    pub(crate) fn release(&mut self, now: u64, user: u8, s: &SessionId) -> Released {
        let leases = self.users.entry(user).or_default();
        let removed = leases.iter().any(|(id, exp)| id == s && *exp > now);
        leases.retain(|(id, _)| id != s);
        Released {
            removed,
            now: StoreTime::from_micros(now),
        }
    }

    pub(crate) fn live(&self, now: u64, user: u8) -> LiveSessions {
        let mut leases: Vec<Lease> = self
            .users
            .get(&user)
            .into_iter()
            .flatten()
            .filter(|(_, exp)| *exp > now)
            .map(|(id, exp)| Lease {
                session: id.clone(),
                expires_at: StoreTime::from_micros(*exp),
            })
            .collect();
        leases.sort_by(|a, b| (a.expires_at, &a.session).cmp(&(b.expires_at, &b.session)));
        LiveSessions {
            now: StoreTime::from_micros(now),
            leases,
        }
    }
}
