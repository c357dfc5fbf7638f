//! The generator's session slots: which are disconnected, what each
//! watches, and the reconnect that hands those watches back.

use super::generator::OpGenerator;
use super::op::{Op, RelativeZxid, SetWatchesSpec};

/// Paths per list of a setWatches replay.
pub const SET_WATCHES_PATHS_MAX: u64 = 3;
/// How often an op drawn for a disconnected slot becomes its reconnect
/// (else another slot takes the op): a disconnect lasts a few steps, so
/// other sessions change things the replay must report.
const RECONNECT_PERCENT: u64 = 35;

impl OpGenerator {
    /// Reconnects for the slots still disconnected: a seed ends with
    /// every session connected, so it can be closed.
    pub fn finish(&mut self) -> Vec<Op> {
        let slots: Vec<usize> = (0..self.sessions)
            .filter(|&slot| self.disconnected[slot])
            .collect();
        slots.into_iter().map(|slot| self.reconnect(slot)).collect()
    }

    /// A slot for the next op: a connected one, or `Err(slot)` when the
    /// drawn slot is disconnected and reconnects now.
    pub(super) fn pick_session(&mut self) -> Result<usize, usize> {
        let drawn = self.rng.below(self.sessions as u64) as usize;
        if !self.disconnected[drawn] {
            return Ok(drawn);
        }
        let connected: Vec<usize> = (0..self.sessions)
            .filter(|&slot| !self.disconnected[slot])
            .collect();
        if connected.is_empty() || self.rng.percent(RECONNECT_PERCENT) {
            return Err(drawn);
        }
        Ok(*self.rng.pick(&connected))
    }

    /// The reconnect of a disconnected slot, replaying what it watched
    /// (plus, sometimes, a path it never watched) in setWatches, in
    /// setWatches2, or not at all.
    pub(super) fn reconnect(&mut self, slot: usize) -> Op {
        self.disconnected[slot] = false;
        let watched = std::mem::take(&mut self.watched[slot]);
        let set_watches = match self.rng.weighted(&[15, 40, 45]) {
            0 => None,
            kind => {
                let version2 = kind == 2;
                let relative = if self.rng.percent(80) {
                    RelativeZxid::LastSeen
                } else {
                    RelativeZxid::Zero
                };
                let mut spec = SetWatchesSpec {
                    version2,
                    relative,
                    data: self.replayed(&watched.data),
                    exist: self.replayed(&watched.exist),
                    child: self.replayed(&watched.child),
                    persistent: Vec::new(),
                    persistent_recursive: Vec::new(),
                };
                if version2 {
                    spec.persistent = self.replayed(&watched.persistent);
                    spec.persistent_recursive = self.replayed(&watched.persistent_recursive);
                }
                Some(spec)
            }
        };
        if let Some(spec) = &set_watches {
            self.watched[slot].note_replayed(spec);
        }
        Op::Reconnect {
            session: slot,
            set_watches,
        }
    }

    /// Up to [`SET_WATCHES_PATHS_MAX`] of `watched`, sometimes with a
    /// path from the space that was never watched.
    fn replayed(&mut self, watched: &[String]) -> Vec<String> {
        let count = self.rng.below(SET_WATCHES_PATHS_MAX + 1) as usize;
        let mut paths: Vec<String> = (0..count.min(watched.len()))
            .map(|_| self.rng.pick(watched).clone())
            .collect();
        if self.rng.percent(25) {
            paths.push(self.path());
        }
        paths.dedup();
        paths
    }

    /// Notes the watches `op` asks for, and a disconnect.
    pub(super) fn remember_watches(&mut self, op: &Op) {
        let slot = op.session();
        self.watched[slot].note(op);
        if matches!(op, Op::Disconnect { .. }) {
            self.disconnected[slot] = true;
        }
    }
}
