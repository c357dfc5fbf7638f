//! A node's children: the arena indexes of the child nodes in a hash table
//! keyed by a hash of each child's name. The names live in the children
//! themselves, so the table holds 4 bytes per child, and a leaf (most nodes)
//! holds no table at all: 8 bytes for the empty `Option<Box<_>>`.
//!
//! The table cannot see names itself: callers pass closures that resolve an
//! index to a comparison or to a hash.

use hashbrown::HashTable;

/// Tables at most this large are kept when they empty out (a lock node
/// that gains and loses one child per holder should not reallocate each
/// time); larger ones are freed.
const EMPTY_TABLE_KEPT_CAPACITY_MAX: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct Children(Option<Box<HashTable<u32>>>);

impl Children {
    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |table| table.len())
    }

    /// The child whose name hashes to `hash` and satisfies `is_named`.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut is_named: impl FnMut(u32) -> bool) -> Option<u32> {
        self.0
            .as_ref()?
            .find(hash, |index| is_named(*index))
            .copied()
    }

    /// Add a child known not to be present. `rehash` gives the hash of an
    /// existing child, for when the table grows.
    pub(crate) fn insert(&mut self, hash: u64, index: u32, rehash: impl Fn(u32) -> u64) {
        self.0
            .get_or_insert_with(Box::default)
            .insert_unique(hash, index, |existing| rehash(*existing));
    }

    /// Remove child `index` (whose name hashes to `hash`); false if absent.
    pub(crate) fn remove(&mut self, hash: u64, index: u32, rehash: impl Fn(u32) -> u64) -> bool {
        let Some(table) = self.0.as_mut() else {
            return false;
        };
        let Ok(entry) = table.find_entry(hash, |candidate| *candidate == index) else {
            return false;
        };
        entry.remove();
        if table.is_empty() && table.capacity() > EMPTY_TABLE_KEPT_CAPACITY_MAX {
            self.0 = None;
        } else if table.capacity() > 64 && table.len() * 4 < table.capacity() {
            // Give back most of a table that once held many more children.
            table.shrink_to(table.len() * 2, |existing| rehash(*existing));
        }
        true
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().flat_map(|table| table.iter().copied())
    }

    /// Heap bytes of the table (for memory accounting in tests).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |table| {
            std::mem::size_of::<HashTable<u32>>() + table.allocation_size()
        })
    }
}
