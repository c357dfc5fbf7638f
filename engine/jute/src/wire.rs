//! Jute's primitive encodings and the `Jute` trait every record implements.
//!
//! Grammar (all integers big-endian, two's complement):
//!
//! ```text
//! int      = i32                       ; 4 bytes
//! long     = i64                       ; 8 bytes
//! boolean  = u8                        ; 0 is false, anything else true; we write 0 or 1
//! buffer   = len:int bytes{len}        ; len = -1 means null, decoded as empty,
//!                                      ; except a znode's data (NodeData), where null is kept
//! ustring  = len:int utf8{len}         ; len = -1 means null, decoded as ""
//!                                      ; (read_ustring_or_null_ref and next_is_null
//!                                      ; tell it apart, for paths: ZooKeeper keeps
//!                                      ; Java's null and fails on it);
//!                                      ; malformed UTF-8 becomes U+FFFD, as in Java
//! vector<T>= count:int T{count}        ; count = -1 means null, decoded as empty
//! record   = its fields in declaration order, no tags, no padding
//! ```
//!
//! Decoding never panics and never allocates more than the input could
//! hold: a buffer's length and a vector's `count * T::MIN_ENCODED_LEN` are
//! checked against the bytes that remain before anything is allocated.

use std::borrow::Cow;

use crate::error::DecodeError;
use crate::java_utf8::decode_utf8_like_java;
use crate::node_data::NodeData;

/// jute's null (length or count -1), as it goes on the wire.
const NULL_LEN_PREFIX: [u8; 4] = (-1i32).to_be_bytes();

/// A jute record: encodes into a byte vector, decodes from a [`Reader`].
pub trait Jute: Sized {
    /// Record name, as in zookeeper.jute, for error messages.
    const NAME: &'static str;
    /// The fewest bytes any value of this type encodes to. Bounds the
    /// element count a vector prefix may claim.
    const MIN_ENCODED_LEN: usize;

    fn encode(&self, out: &mut Vec<u8>);
    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError>;

    /// Encodes into a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes a record that must span all of `bytes`.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode(&mut reader)?;
        reader.expect_end(Self::NAME)?;
        Ok(value)
    }
}

/// A cursor over untrusted bytes.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, position: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    pub fn position(&self) -> usize {
        self.position
    }

    /// The bytes not yet read.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.position..]
    }

    pub fn expect_end(&self, record: &'static str) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes { record, count }),
        }
    }

    fn take(&mut self, field: &'static str, len: usize) -> Result<&'a [u8], DecodeError> {
        let remaining_bytes = self.remaining();
        if len > remaining_bytes {
            return Err(DecodeError::Truncated {
                field,
                needed_bytes: len,
                remaining_bytes,
            });
        }
        let taken = &self.bytes[self.position..self.position + len];
        self.position += len;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let taken = self.take(field, N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(taken);
        Ok(array)
    }

    pub fn read_int(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.take_array(field)?))
    }

    pub fn read_long(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.take_array(field)?))
    }

    pub fn read_boolean(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        Ok(self.take_array::<1>(field)?[0] != 0)
    }

    /// Reads a length or count prefix: `None` for jute's null (-1).
    fn read_len_prefix(&mut self, field: &'static str) -> Result<Option<usize>, DecodeError> {
        match self.read_int(field)? {
            -1 => Ok(None),
            len if len < 0 => Err(DecodeError::NegativeLength { field, len }),
            // Non-negative i32 always fits usize on the targets we build for.
            len => Ok(Some(len as usize)),
        }
    }

    /// A buffer, borrowed from the input (null reads as empty).
    pub fn read_buffer_ref(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        Ok(self.read_buffer_or_null_ref(field)?.unwrap_or_default())
    }

    /// A buffer, borrowed from the input; `None` for jute's null (-1).
    pub fn read_buffer_or_null_ref(
        &mut self,
        field: &'static str,
    ) -> Result<Option<&'a [u8]>, DecodeError> {
        let Some(len) = self.read_len_prefix(field)? else {
            return Ok(None);
        };
        let remaining_bytes = self.remaining();
        if len > remaining_bytes {
            return Err(DecodeError::LengthExceedsRemaining {
                field,
                len,
                remaining_bytes,
            });
        }
        self.take(field, len).map(Some)
    }

    pub fn read_buffer(&mut self, field: &'static str) -> Result<Vec<u8>, DecodeError> {
        Ok(self.read_buffer_ref(field)?.to_vec())
    }

    /// A znode's data: null stays null.
    pub fn read_node_data(&mut self, field: &'static str) -> Result<NodeData, DecodeError> {
        Ok(NodeData::from(
            self.read_buffer_or_null_ref(field)?.map(<[u8]>::to_vec),
        ))
    }

    /// A ustring, borrowed from the input when it is valid UTF-8 (null
    /// reads as ""). Malformed UTF-8 is not an error: each malformed
    /// sequence reads as U+FFFD, as Java's decoder (and so ZooKeeper)
    /// reads it; see [`crate::java_utf8`].
    pub fn read_ustring_ref(&mut self, field: &'static str) -> Result<Cow<'a, str>, DecodeError> {
        Ok(decode_utf8_like_java(self.read_buffer_ref(field)?))
    }

    pub fn read_ustring(&mut self, field: &'static str) -> Result<String, DecodeError> {
        Ok(self.read_ustring_ref(field)?.into_owned())
    }

    /// A ustring as [`Reader::read_ustring_ref`] reads it, but `None` for
    /// jute's null (-1), which Java's jute keeps as `null`.
    pub fn read_ustring_or_null_ref(
        &mut self,
        field: &'static str,
    ) -> Result<Option<Cow<'a, str>>, DecodeError> {
        Ok(self
            .read_buffer_or_null_ref(field)?
            .map(decode_utf8_like_java))
    }

    /// Whether the next field starts with jute's null, a length or count
    /// of -1. Reads nothing: a caller that decodes the field as usual (a
    /// null ustring reads as "") can still tell a null one apart, at the
    /// cost of one 4-byte comparison.
    pub fn next_is_null(&self) -> bool {
        self.rest().get(..4) == Some(&NULL_LEN_PREFIX[..])
    }

    /// A vector of `T`, each element decoded by `decode_one` (null reads
    /// as empty). The claimed count is checked against the bytes that
    /// remain before the vector is allocated.
    pub fn read_vector<T>(
        &mut self,
        field: &'static str,
        min_element_len: usize,
        mut decode_one: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let Some(count) = self.read_len_prefix(field)? else {
            return Ok(Vec::new());
        };
        let remaining_bytes = self.remaining();
        // min_element_len >= 1 for every jute type, so this bounds count.
        if count.saturating_mul(min_element_len.max(1)) > remaining_bytes {
            return Err(DecodeError::LengthExceedsRemaining {
                field,
                len: count,
                remaining_bytes,
            });
        }
        // The count is bounded by the bytes that remain, but an element in
        // memory can be larger than its smallest encoding (a String is 24
        // bytes, its encoding 4): reserve no more than the remaining bytes,
        // and let real elements grow the vector.
        let capacity_max = remaining_bytes / std::mem::size_of::<T>().max(1);
        let mut elements = Vec::with_capacity(count.min(capacity_max));
        for _ in 0..count {
            elements.push(decode_one(self)?);
        }
        Ok(elements)
    }
}

pub fn put_int(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub fn put_long(out: &mut Vec<u8>, value: i64) {
    out.extend_from_slice(&value.to_be_bytes());
}

pub fn put_boolean(out: &mut Vec<u8>, value: bool) {
    out.push(u8::from(value));
}

/// Writes a length-prefixed byte string. Lengths over i32::MAX cannot be
/// framed by jute at all; callers bound data far below that (jute.maxbuffer).
pub fn put_buffer(out: &mut Vec<u8>, value: &[u8]) {
    let len = i32::try_from(value.len()).expect("jute buffer longer than i32::MAX");
    put_int(out, len);
    out.extend_from_slice(value);
}

/// Writes a znode's data: null as length -1.
pub fn put_buffer_or_null(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        Some(bytes) => put_buffer(out, bytes),
        None => put_int(out, -1),
    }
}

pub fn put_ustring(out: &mut Vec<u8>, value: &str) {
    put_buffer(out, value.as_bytes());
}

pub fn put_vector<T>(
    out: &mut Vec<u8>,
    values: &[T],
    mut encode_one: impl FnMut(&T, &mut Vec<u8>),
) {
    let count = i32::try_from(values.len()).expect("jute vector longer than i32::MAX");
    put_int(out, count);
    for value in values {
        encode_one(value, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_ustring_reads_as_empty_and_is_told_apart_only_when_asked() {
        let mut bytes = Vec::new();
        put_int(&mut bytes, -1);
        put_ustring(&mut bytes, "");
        put_ustring(&mut bytes, "/a");

        let mut reader = Reader::new(&bytes);
        assert!(reader.next_is_null());
        assert_eq!(reader.position(), 0, "next_is_null reads nothing");
        assert_eq!(reader.read_ustring("null").unwrap(), "");
        assert!(!reader.next_is_null(), "an empty string is not null");
        assert_eq!(reader.read_ustring("empty").unwrap(), "");
        assert!(!reader.next_is_null());

        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.read_ustring_or_null_ref("null").unwrap(), None);
        assert_eq!(
            reader.read_ustring_or_null_ref("empty").unwrap().as_deref(),
            Some("")
        );
        let path = reader.read_ustring_or_null_ref("path").unwrap().unwrap();
        assert!(
            matches!(path, Cow::Borrowed("/a")),
            "valid UTF-8 is borrowed"
        );
        assert!(!reader.next_is_null(), "no bytes left is not null");
    }

    #[test]
    fn a_nullable_ustring_keeps_the_hostile_input_checks() {
        let mut reader = Reader::new(&[0xff, 0xff, 0xff]);
        assert!(!reader.next_is_null(), "three bytes are no length prefix");
        assert!(matches!(
            reader.read_ustring_or_null_ref("SyncRequest.path"),
            Err(DecodeError::Truncated { .. })
        ));
        let mut reader = Reader::new(&[0xff, 0xff, 0xff, 0xfe]);
        assert!(matches!(
            reader.read_ustring_or_null_ref("SyncRequest.path"),
            Err(DecodeError::NegativeLength { len: -2, .. })
        ));
        let mut reader = Reader::new(&[0, 0, 0, 9, b'/']);
        assert!(matches!(
            reader.read_ustring_or_null_ref("SyncRequest.path"),
            Err(DecodeError::LengthExceedsRemaining { len: 9, .. })
        ));
        let mut reader = Reader::new(&[0, 0, 0, 2, b'/', 0xff]);
        assert_eq!(
            reader.read_ustring_or_null_ref("p").unwrap().as_deref(),
            Some("/\u{fffd}")
        );
    }
}
