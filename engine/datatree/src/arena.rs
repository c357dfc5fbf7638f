//! The node store: a vector of slots with a free list and a generation per
//! slot, so that an id of a deleted node never resolves again, even after
//! its slot holds a new node.

use crate::node::Node;

/// A node's handle: its slot and the slot's generation when the node was
/// put there. Valid until the node is deleted; afterwards every lookup with
/// it answers None.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId {
    index: u32,
    generation: u32,
}

impl NodeId {
    /// The slot (for logs and debugging; slots are reused).
    pub fn index(self) -> u32 {
        self.index
    }
}

/// Slots, hence live nodes, one arena holds at most (indexes are u32, and
/// `u32::MAX` is kept free as a marker).
pub const NODES_MAX: usize = u32::MAX as usize - 1;

#[derive(Debug)]
struct Slot {
    generation: u32,
    node: Option<Node>,
}

#[derive(Debug, Default)]
pub(crate) struct Arena {
    slots: Vec<Slot>,
    /// Empty slots, reused last-freed first.
    free: Vec<u32>,
    live: usize,
}

impl Arena {
    /// Store `node`; None when NODES_MAX nodes are live.
    pub(crate) fn insert(&mut self, node: Node) -> Option<NodeId> {
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.node = Some(node);
            self.live += 1;
            return Some(NodeId {
                index,
                generation: slot.generation,
            });
        }
        if self.slots.len() >= NODES_MAX {
            return None;
        }
        let index = self.slots.len() as u32;
        self.slots.push(Slot {
            generation: 0,
            node: Some(node),
        });
        self.live += 1;
        Some(NodeId {
            index,
            generation: 0,
        })
    }

    /// Take the node out and retire its id.
    pub(crate) fn remove(&mut self, index: u32) -> Option<Node> {
        let slot = self.slots.get_mut(index as usize)?;
        let node = slot.node.take()?;
        self.live -= 1;
        // A slot whose generation would wrap is never reused, so no old id
        // can come back to life.
        if slot.generation < u32::MAX {
            slot.generation += 1;
            self.free.push(index);
        }
        Some(node)
    }

    pub(crate) fn get(&self, id: NodeId) -> Option<&Node> {
        let slot = self.slots.get(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.node.as_ref()
    }

    /// The id of the live node at `index`.
    pub(crate) fn id_at(&self, index: u32) -> Option<NodeId> {
        let slot = self.slots.get(index as usize)?;
        slot.node.as_ref()?;
        Some(NodeId {
            index,
            generation: slot.generation,
        })
    }

    /// The live node at `index`. Indexes reached through the tree's own
    /// links (children, parents, indexes) are always live.
    #[inline]
    pub(crate) fn at(&self, index: u32) -> &Node {
        self.slots[index as usize]
            .node
            .as_ref()
            .expect("invariant: tree links only name live slots")
    }

    #[inline]
    pub(crate) fn at_mut(&mut self, index: u32) -> &mut Node {
        self.slots[index as usize]
            .node
            .as_mut()
            .expect("invariant: tree links only name live slots")
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// Bytes the arena itself holds (slots and free list, not node heaps).
    pub(crate) fn own_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * std::mem::size_of::<u32>()
    }

    pub(crate) fn slot_bytes() -> usize {
        std::mem::size_of::<Slot>()
    }

    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Node> + '_ {
        self.slots.iter().filter_map(|slot| slot.node.as_ref())
    }
}
