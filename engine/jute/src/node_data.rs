//! A znode's data as ZooKeeper keeps it: a Java `byte[]` that may be
//! null. A create or setData with a null buffer (length -1 on the wire)
//! stores null, and getData then answers null (length -1) while
//! `Stat.dataLength` says 0; an empty buffer stays empty. The records that
//! carry a znode's data (create and setData requests, getData's response,
//! the create and setData txns) hold it as [`NodeData`], so null survives
//! the wire, the txn log and snapshots.
//!
//! Everything that only needs the bytes sees null as empty: `NodeData`
//! dereferences to `[u8]`. Null costs no allocation.

use std::fmt;
use std::ops::Deref;

/// A znode's data: bytes, or null. The default is empty, not null (as
/// the plain byte vectors it replaced).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct NodeData(Option<Vec<u8>>);

impl Default for NodeData {
    fn default() -> Self {
        NodeData(Some(Vec::new()))
    }
}

impl NodeData {
    /// ZooKeeper's null data.
    pub const NULL: NodeData = NodeData(None);

    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// The bytes, `None` for null.
    pub fn as_option(&self) -> Option<&[u8]> {
        self.0.as_deref()
    }

    /// The bytes (null as empty).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_deref().unwrap_or_default()
    }

    pub fn into_option(self) -> Option<Vec<u8>> {
        self.0
    }
}

impl Deref for NodeData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl From<Vec<u8>> for NodeData {
    fn from(bytes: Vec<u8>) -> Self {
        NodeData(Some(bytes))
    }
}

impl From<&[u8]> for NodeData {
    fn from(bytes: &[u8]) -> Self {
        NodeData(Some(bytes.to_vec()))
    }
}

impl<const N: usize> From<&[u8; N]> for NodeData {
    fn from(bytes: &[u8; N]) -> Self {
        NodeData(Some(bytes.to_vec()))
    }
}

impl From<Option<Vec<u8>>> for NodeData {
    fn from(bytes: Option<Vec<u8>>) -> Self {
        NodeData(bytes)
    }
}

impl PartialEq<[u8]> for NodeData {
    fn eq(&self, other: &[u8]) -> bool {
        self.0.as_deref() == Some(other)
    }
}

impl PartialEq<&[u8]> for NodeData {
    fn eq(&self, other: &&[u8]) -> bool {
        self.0.as_deref() == Some(*other)
    }
}

impl PartialEq<Vec<u8>> for NodeData {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.0.as_ref() == Some(other)
    }
}

impl<const N: usize> PartialEq<[u8; N]> for NodeData {
    fn eq(&self, other: &[u8; N]) -> bool {
        self.0.as_deref() == Some(other.as_slice())
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for NodeData {
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.0.as_deref() == Some(other.as_slice())
    }
}

impl fmt::Debug for NodeData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(bytes) => bytes.fmt(f),
            None => f.write_str("null"),
        }
    }
}

/// Anything that can be a znode's data in a change: byte slices, arrays
/// and vectors (never null), [`NodeData`], and `Option<&[u8]>`.
pub trait AsNodeData {
    /// The bytes, `None` for null.
    fn as_node_data(&self) -> Option<&[u8]>;
}

impl AsNodeData for [u8] {
    fn as_node_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl<const N: usize> AsNodeData for [u8; N] {
    fn as_node_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl AsNodeData for Vec<u8> {
    fn as_node_data(&self) -> Option<&[u8]> {
        Some(self)
    }
}

impl AsNodeData for NodeData {
    fn as_node_data(&self) -> Option<&[u8]> {
        self.as_option()
    }
}

impl AsNodeData for Option<&[u8]> {
    fn as_node_data(&self) -> Option<&[u8]> {
        *self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_reads_as_empty_bytes_but_is_not_empty_data() {
        assert!(NodeData::NULL.is_null());
        assert_eq!(NodeData::NULL.as_bytes(), b"");
        assert_eq!(NodeData::NULL.len(), 0);
        let empty = NodeData::from(Vec::new());
        assert!(!empty.is_null());
        assert_ne!(NodeData::NULL, empty);
        assert_ne!(NodeData::NULL, *b"");
        assert_eq!(empty, *b"");
        assert_eq!(format!("{:?}", NodeData::NULL), "null");
        assert_eq!(format!("{:?}", NodeData::from(b"ab")), "[97, 98]");
    }

    #[test]
    fn every_data_source_says_whether_it_is_null() {
        assert_eq!(b"x".as_node_data(), Some(&b"x"[..]));
        assert_eq!(b"x".to_vec().as_node_data(), Some(&b"x"[..]));
        assert_eq!(b"x"[..].as_node_data(), Some(&b"x"[..]));
        assert_eq!(NodeData::NULL.as_node_data(), None);
        assert_eq!(None::<&[u8]>.as_node_data(), None);
    }
}
