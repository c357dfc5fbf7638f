//! The sessions a server tracks: ZooKeeper's `SessionTrackerImpl`, with
//! time passed in.

use std::collections::HashMap;

use crate::expiry::ExpiryQueue;
use crate::password::{check_session_password, session_password};
use crate::session_id::{initial_session_id, is_valid_session_id};
use crate::{SessionCheckError, SessionConfig, SessionError};
use ringkeeper_jute::SESSION_PASSWORD_LEN;

/// The connection that owns a session (the server's connection id), for
/// ZooKeeper's SessionMoved check.
pub type SessionOwner = u64;

/// One session as the `cons` and `dump` four-letter words show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    pub session_id: i64,
    pub timeout_ms: u32,
    /// When it expires unless touched; `None` once it was returned by
    /// [`SessionTracker::expired`].
    pub expiry_ms: Option<u64>,
    pub closing: bool,
    pub owner: Option<SessionOwner>,
}

#[derive(Debug, Clone)]
struct Session {
    timeout_ms: u32,
    closing: bool,
    owner: Option<SessionOwner>,
}

/// Every session of this server, and when each expires.
///
/// Life of a session: `create_session` (or `add_session` when replaying
/// the log) -> `touch` on every request and ping -> either `set_closing`
/// (the client sent closeSession) or `expired` returns it (marked closing)
/// -> the caller commits closeSession and calls `remove_session`. A closing
/// session cannot be touched, so it cannot come back to life.
#[derive(Debug, Clone)]
pub struct SessionTracker {
    config: SessionConfig,
    sessions: HashMap<i64, Session>,
    expiry: ExpiryQueue<i64>,
    next_session_id: i64,
    expired_total: u64,
}

impl SessionTracker {
    /// A tracker started at `now_ms`. The clock seeds session ids as well
    /// as expiry, so it should keep growing across restarts (ZooKeeper
    /// uses its elapsed-time clock for both).
    ///
    /// # Panics
    /// On a config [`SessionConfig::validate`] refuses: a config read from
    /// a file goes through [`SessionTracker::try_new`].
    pub fn new(config: SessionConfig, now_ms: u64) -> Self {
        match SessionTracker::try_new(config, now_ms) {
            Ok(tracker) => tracker,
            Err(error) => panic!("{error}"),
        }
    }

    /// A tracker started at `now_ms`, or why `config` cannot work.
    pub fn try_new(config: SessionConfig, now_ms: u64) -> Result<Self, SessionError> {
        config.validate()?;
        Ok(SessionTracker {
            next_session_id: initial_session_id(config.server_id, now_ms),
            expiry: ExpiryQueue::new(config.tick_time_ms),
            config,
            sessions: HashMap::new(),
            expired_total: 0,
        })
    }

    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The timeout a client gets for the one it asked for: clamped to
    /// [min_session_timeout_ms, max_session_timeout_ms] (ZooKeeper's
    /// `processConnectRequest`).
    pub fn negotiate_timeout_ms(&self, requested_ms: i32) -> u32 {
        let min = self.config.min_session_timeout_ms;
        let max = self.config.max_session_timeout_ms;
        match u32::try_from(requested_ms) {
            Ok(requested) => requested.clamp(min, max),
            Err(_) => min,
        }
    }

    /// Starts a session with the next id of this server's sequence.
    pub fn create_session(&mut self, timeout_ms: u32, now_ms: u64) -> Result<i64, SessionError> {
        if self.sessions.len() >= self.config.sessions_max {
            return Err(SessionError::SessionLimitReached {
                sessions_max: self.config.sessions_max,
            });
        }
        // Skips ids a replayed log already uses: fewer than
        // sessions.len() + 2 steps, as at most that many ids are taken.
        let mut session_id = self.next_session_id;
        while !is_valid_session_id(session_id) || self.sessions.contains_key(&session_id) {
            session_id = session_id.wrapping_add(1);
        }
        self.next_session_id = session_id.wrapping_add(1);
        self.track(session_id, timeout_ms, now_ms);
        Ok(session_id)
    }

    /// Tracks a session created elsewhere (log replay, another server):
    /// ZooKeeper's `trackSession`. A known session gets the new timeout and
    /// its expiry moved; its closing mark stays. Not bound by
    /// `sessions_max`, since the session exists already. Returns whether it
    /// was new.
    pub fn add_session(&mut self, session_id: i64, timeout_ms: u32, now_ms: u64) -> bool {
        let added = !self.sessions.contains_key(&session_id);
        self.track(session_id, timeout_ms, now_ms);
        added
    }

    fn track(&mut self, session_id: i64, timeout_ms: u32, now_ms: u64) {
        let session = self.sessions.entry(session_id).or_insert(Session {
            timeout_ms,
            closing: false,
            owner: None,
        });
        session.timeout_ms = timeout_ms;
        self.expiry.update(session_id, now_ms, timeout_ms);
    }

    /// The password the server hands out with `session_id`.
    pub fn password(&self, session_id: i64) -> [u8; SESSION_PASSWORD_LEN] {
        session_password(session_id, self.config.secret)
    }

    /// Whether a reconnecting client's password is its session's.
    pub fn check_password(&self, session_id: i64, password: &[u8]) -> bool {
        check_session_password(session_id, self.config.secret, password)
    }

    /// The session showed life: it now expires one timeout after `now_ms`,
    /// rounded up to a tick. False when unknown or closing.
    pub fn touch(&mut self, session_id: i64, now_ms: u64) -> bool {
        let Some(session) = self.sessions.get(&session_id) else {
            return false;
        };
        if session.closing {
            return false;
        }
        self.expiry.update(session_id, now_ms, session.timeout_ms);
        true
    }

    /// A reconnect negotiated another timeout; it counts from the next
    /// touch. False when unknown.
    pub fn set_timeout(&mut self, session_id: i64, timeout_ms: u32) -> bool {
        match self.sessions.get_mut(&session_id) {
            Some(session) => {
                session.timeout_ms = timeout_ms;
                true
            }
            None => false,
        }
    }

    pub fn timeout_ms(&self, session_id: i64) -> Option<u32> {
        self.sessions
            .get(&session_id)
            .map(|session| session.timeout_ms)
    }

    /// The session is on its way out (closeSession received or expired):
    /// touches fail from now on. It stays in the expiry queue, so if its
    /// close never commits, `expired` still returns it (as ZooKeeper).
    pub fn set_closing(&mut self, session_id: i64) {
        if let Some(session) = self.sessions.get_mut(&session_id) {
            session.closing = true;
        }
    }

    pub fn is_closing(&self, session_id: i64) -> bool {
        self.sessions
            .get(&session_id)
            .is_some_and(|session| session.closing)
    }

    /// The close committed: forgets the session. Returns whether it was known.
    pub fn remove_session(&mut self, session_id: i64) -> bool {
        self.expiry.remove(session_id);
        self.sessions.remove(&session_id).is_some()
    }

    pub fn exists(&self, session_id: i64) -> bool {
        self.sessions.contains_key(&session_id)
    }

    /// May a request of `owner` run on `session_id`? ZooKeeper's
    /// `checkSession`: unknown -> UnknownSession, closing -> SessionExpired,
    /// owned by another connection -> SessionMoved; a session without an
    /// owner is taken by `owner`.
    pub fn check_session(
        &mut self,
        session_id: i64,
        owner: SessionOwner,
    ) -> Result<(), SessionCheckError> {
        let session = self
            .sessions
            .get_mut(&session_id)
            .ok_or(SessionCheckError::Unknown)?;
        if session.closing {
            return Err(SessionCheckError::Expired);
        }
        match session.owner {
            None => {
                session.owner = Some(owner);
                Ok(())
            }
            Some(current) if current == owner => Ok(()),
            Some(_) => Err(SessionCheckError::Moved),
        }
    }

    /// A client reconnected on `owner`: ZooKeeper's `setOwner`. Unknown or
    /// closing sessions answer Expired.
    pub fn set_owner(
        &mut self,
        session_id: i64,
        owner: SessionOwner,
    ) -> Result<(), SessionCheckError> {
        match self.sessions.get_mut(&session_id) {
            Some(session) if !session.closing => {
                session.owner = Some(owner);
                Ok(())
            }
            _ => Err(SessionCheckError::Expired),
        }
    }

    /// Appends to `out` every session whose expiry time is at or before
    /// `now_ms` (by bucket, then id), marks each closing and takes it out of
    /// the expiry queue; the caller commits a closeSession for each and
    /// then calls `remove_session`. Costs O(expired), not O(sessions).
    pub fn expired(&mut self, now_ms: u64, out: &mut Vec<i64>) {
        let first = out.len();
        let count = self.expiry.poll(now_ms, out);
        for session_id in &out[first..] {
            // The queue holds only tracked sessions: remove_session takes a
            // session out of both.
            if let Some(session) = self.sessions.get_mut(session_id) {
                session.closing = true;
            }
        }
        self.expired_total += count as u64;
    }

    /// When `expired` next has something to return; `None` when no
    /// session is queued. The driver sleeps until then (ZooKeeper's
    /// `getWaitTime`).
    pub fn next_expiration_ms(&self) -> Option<u64> {
        self.expiry.next_expiration_ms()
    }

    /// When `session_id` expires unless touched.
    pub fn expiry_ms(&self, session_id: i64) -> Option<u64> {
        self.expiry.expiry_ms(session_id)
    }

    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// Sessions `expired` has returned since start (ZooKeeper's
    /// `stale_sessions_expired` metric).
    pub fn expired_total(&self) -> u64 {
        self.expired_total
    }

    /// Every session, in no particular order (sort for display).
    pub fn iter(&self) -> impl Iterator<Item = SessionInfo> + '_ {
        self.sessions
            .iter()
            .map(|(&session_id, session)| SessionInfo {
                session_id,
                timeout_ms: session.timeout_ms,
                expiry_ms: self.expiry.expiry_ms(session_id),
                closing: session.closing,
                owner: session.owner,
            })
    }

    /// The expiry buckets in time order, for `dump`.
    pub fn expiry_queue(&self) -> &ExpiryQueue<i64> {
        &self.expiry
    }
}
