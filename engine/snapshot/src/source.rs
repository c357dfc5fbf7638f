//! Where a snapshot's content comes from: a view of the server's state,
//! visited in steps.
//!
//! - [`TreeSnapshot`]: a tree nothing changes while it is written (a
//!   borrowed `&DataTree`, a clone, or the state at shutdown or import).
//!   The snapshot is consistent: its digest is checked at load.
//! - [`FuzzySnapshot`]: the live state behind the server's lock. Each step
//!   takes the lock (through the server's closure), records a bounded
//!   number of nodes and lets go; writes run between steps. The snapshot
//!   is fuzzy unless no txn was applied during the walk.

use ringkeeper_datatree::DataTree;

use crate::encoder::{SnapshotEncoder, SnapshotEnd, SnapshotSession};
use crate::error::SnapshotWriteError;
use crate::walk::{FuzzyWalk, StepBudget};

/// What [`SnapshotSource::fill`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fill {
    /// Some nodes were recorded; call again.
    More,
    /// The walk is over.
    Done(SnapshotEnd),
}

/// Content for [`crate::write_snapshot`].
pub trait SnapshotSource {
    /// The zxid of the last txn applied before the first node is recorded:
    /// the snapshot's name, and where replay starts. Called once, first.
    fn begin(&mut self) -> i64;
    /// Record the next nodes into `encoder`. The writer writes the encoded
    /// bytes out between calls.
    fn fill(&mut self, encoder: &mut SnapshotEncoder) -> Result<Fill, SnapshotWriteError>;
}

/// A consistent snapshot of a tree that does not change while it is
/// written.
#[derive(Debug)]
pub struct TreeSnapshot<'a> {
    tree: &'a DataTree,
    zxid: i64,
    sessions: Vec<SnapshotSession>,
    walk: FuzzyWalk,
    budget: StepBudget,
}

impl<'a> TreeSnapshot<'a> {
    /// `zxid`: the last txn applied to `tree`.
    pub fn new(tree: &'a DataTree, zxid: i64, sessions: Vec<SnapshotSession>) -> Self {
        TreeSnapshot {
            tree,
            zxid,
            sessions,
            walk: FuzzyWalk::new(),
            budget: StepBudget::default(),
        }
    }
}

impl SnapshotSource for TreeSnapshot<'_> {
    fn begin(&mut self) -> i64 {
        self.zxid
    }

    fn fill(&mut self, encoder: &mut SnapshotEncoder) -> Result<Fill, SnapshotWriteError> {
        if !self.walk.step(self.tree, encoder, self.budget)? {
            return Ok(Fill::More);
        }
        Ok(Fill::Done(SnapshotEnd {
            digest_zxid: self.zxid,
            digest: self.tree.digest(),
            sessions: std::mem::take(&mut self.sessions),
        }))
    }
}

/// The server's state as one step sees it, under the server's lock.
pub struct StateView<'a> {
    pub tree: &'a DataTree,
    /// The zxid of the last txn applied to `tree`.
    pub last_zxid: i64,
    /// The open sessions; called only by the last step.
    pub sessions: &'a dyn Fn() -> Vec<SnapshotSession>,
}

/// A fuzzy snapshot of live state. `with_state` must take the server's
/// state lock, call the function it is given once with a view of the
/// state, and release the lock:
///
/// ```ignore
/// let source = FuzzySnapshot::new(|visit: &mut dyn FnMut(StateView<'_>)| {
///     let state = shared.lock();
///     visit(StateView { tree: &state.tree, last_zxid: state.last_zxid,
///                       sessions: &|| state.snapshot_sessions() });
/// }, StepBudget::default());
/// ```
pub struct FuzzySnapshot<F> {
    with_state: F,
    walk: FuzzyWalk,
    budget: StepBudget,
}

impl<F> FuzzySnapshot<F>
where
    F: FnMut(&mut dyn FnMut(StateView<'_>)),
{
    pub fn new(with_state: F, budget: StepBudget) -> Self {
        FuzzySnapshot {
            with_state,
            walk: FuzzyWalk::new(),
            budget,
        }
    }
}

impl<F> SnapshotSource for FuzzySnapshot<F>
where
    F: FnMut(&mut dyn FnMut(StateView<'_>)),
{
    fn begin(&mut self) -> i64 {
        let mut zxid = 0;
        (self.with_state)(&mut |view| zxid = view.last_zxid);
        zxid
    }

    fn fill(&mut self, encoder: &mut SnapshotEncoder) -> Result<Fill, SnapshotWriteError> {
        let walk = &mut self.walk;
        let budget = self.budget;
        let mut outcome = Ok(Fill::More);
        (self.with_state)(&mut |view| {
            outcome = match walk.step(view.tree, encoder, budget) {
                Ok(false) => Ok(Fill::More),
                // The end is read in the same critical section as the last
                // nodes: digest and zxid of one state.
                Ok(true) => Ok(Fill::Done(SnapshotEnd {
                    digest_zxid: view.last_zxid,
                    digest: view.tree.digest(),
                    sessions: (view.sessions)(),
                })),
                Err(error) => Err(error),
            };
        });
        outcome
    }
}
