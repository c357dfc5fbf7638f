//! Untrusted bytes: decoding any of them as any record returns Ok or Err
//! and never panics; truncation is always an error; and a length or count
//! prefix claiming more than the input holds is refused before anything
//! is allocated for it.

#[macro_use]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use proptest::prelude::*;
use ringkeeper_jute::{
    CreateRequest, CreateResponse, DecodeError, GetAclResponse, GetChildrenResponse,
    GetSaslRequest, Jute, MultiRequest, NodeData,
};

/// Notes the largest single allocation each thread makes, so a test can
/// show that a decode allocated nothing sized by a hostile length claim.
struct LargestAllocationTracker;

thread_local! {
    static LARGEST_ALLOCATION_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation(size_bytes: usize) {
    // try_with: the allocator also runs while thread-locals are torn down.
    let _ = LARGEST_ALLOCATION_BYTES.try_with(|largest| largest.set(largest.get().max(size_bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for LargestAllocationTracker {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation(new_size);
        // SAFETY: `ptr` and `layout` come from this allocator, i.e. from System.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` come from this allocator, i.e. from System.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: LargestAllocationTracker = LargestAllocationTracker;

/// The largest allocation, in bytes, that `decode` makes on this thread.
fn largest_allocation_bytes_during<T>(decode: impl FnOnce() -> T) -> (T, usize) {
    LARGEST_ALLOCATION_BYTES.with(|largest| largest.set(0));
    let result = decode();
    (result, LARGEST_ALLOCATION_BYTES.with(Cell::get))
}

/// No decode of a few bytes of input should allocate more than this.
const SMALL_ALLOCATION_BYTES: usize = 1024;

/// One module per record, named after it, so a failure names the record.
macro_rules! hostile_input_tests {
    ($($record:ident),* $(,)?) => {
        $(
            #[allow(non_snake_case)]
            mod $record {
                use proptest::prelude::*;
                use ringkeeper_jute::{Jute, Reader};

                type Record = ringkeeper_jute::$record;

                proptest! {
                    #[test]
                    fn arbitrary_bytes_decode_or_fail_without_panic(
                        bytes in proptest::collection::vec(any::<u8>(), 0..512),
                    ) {
                        if let Ok(value) = Record::from_bytes(&bytes) {
                            prop_assert_eq!(Record::from_bytes(&value.to_bytes()), Ok(value));
                        }
                        let mut reader = Reader::new(&bytes);
                        if Record::decode(&mut reader).is_ok() {
                            prop_assert!(reader.position() <= bytes.len());
                        }
                    }

                    #[test]
                    fn corrupted_encoding_decodes_or_fails_without_panic(
                        value in any::<Record>(),
                        index in any::<proptest::sample::Index>(),
                        corruption in 1..=u8::MAX,
                    ) {
                        let mut bytes = value.to_bytes();
                        let at = index.index(bytes.len());
                        bytes[at] ^= corruption;
                        if let Ok(decoded) = Record::from_bytes(&bytes) {
                            prop_assert_eq!(Record::from_bytes(&decoded.to_bytes()), Ok(decoded));
                        }
                    }

                    #[test]
                    fn every_strict_prefix_of_an_encoding_fails(value in any::<Record>()) {
                        let bytes = value.to_bytes();
                        let optional_trailing_byte =
                            crate::support::RECORDS_WITH_OPTIONAL_TRAILING_FIELD
                                .contains(&Record::NAME);
                        for len in 0..bytes.len() {
                            let prefix = &bytes[..len];
                            let decoded = Record::decode(&mut Reader::new(prefix));
                            if optional_trailing_byte && len == bytes.len() - 1 {
                                // Only the optional last byte is missing: an
                                // older peer's encoding, with its default.
                                prop_assert!(decoded.is_ok());
                                continue;
                            }
                            prop_assert!(
                                decoded.is_err(),
                                "{}-byte prefix of {} bytes decoded as {:?}",
                                len, bytes.len(), decoded
                            );
                        }
                    }
                }
            }
        )*
    };
}

/// Apart from the specific tests' imports, whose names the modules reuse.
mod each_record {
    with_every_record!(hostile_input_tests);
}

#[test]
fn vector_count_of_i32_max_in_four_bytes_is_rejected_before_allocation() {
    let (result, largest_bytes) = largest_allocation_bytes_during(|| {
        GetChildrenResponse::from_bytes(&[0x7f, 0xff, 0xff, 0xff])
    });
    assert_eq!(
        result,
        Err(DecodeError::LengthExceedsRemaining {
            field: "GetChildrenResponse.children",
            len: 0x7fff_ffff,
            remaining_bytes: 0,
        })
    );
    assert!(
        largest_bytes < SMALL_ALLOCATION_BYTES,
        "allocated {largest_bytes} bytes"
    );
}

#[test]
fn buffer_length_of_i32_max_in_four_bytes_is_rejected_before_allocation() {
    let (result, largest_bytes) =
        largest_allocation_bytes_during(|| GetSaslRequest::from_bytes(&[0x7f, 0xff, 0xff, 0xff]));
    assert_eq!(
        result,
        Err(DecodeError::LengthExceedsRemaining {
            field: "GetSaslRequest.token",
            len: 0x7fff_ffff,
            remaining_bytes: 0,
        })
    );
    assert!(
        largest_bytes < SMALL_ALLOCATION_BYTES,
        "allocated {largest_bytes} bytes"
    );
}

#[test]
fn invalid_utf8_ustring_is_read_as_java_reads_it_not_refused() {
    assert_eq!(
        CreateResponse::from_bytes(&[0, 0, 0, 2, 0xc3, 0x28]),
        Ok(CreateResponse {
            path: "\u{FFFD}(".into()
        })
    );
}

/// `len` as a jute int prefix, then `tail`.
fn prefixed(len: i32, tail: &[u8]) -> Vec<u8> {
    let mut bytes = len.to_be_bytes().to_vec();
    bytes.extend_from_slice(tail);
    bytes
}

proptest! {
    #[test]
    fn buffer_length_beyond_remaining_bytes_is_rejected_before_allocation(
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        excess in 1..=i32::MAX - 64,
    ) {
        let len = tail.len() as i32 + excess;
        let bytes = prefixed(len, &tail);
        let (result, largest_bytes) =
            largest_allocation_bytes_during(|| GetSaslRequest::from_bytes(&bytes));
        prop_assert_eq!(result, Err(DecodeError::LengthExceedsRemaining {
            field: "GetSaslRequest.token",
            len: len as usize,
            remaining_bytes: tail.len(),
        }));
        prop_assert!(largest_bytes < SMALL_ALLOCATION_BYTES);
    }

    #[test]
    fn vector_count_beyond_what_remaining_bytes_could_hold_is_rejected_before_allocation(
        tail in proptest::collection::vec(any::<u8>(), 0..64),
        count in 1..=i32::MAX,
    ) {
        // An Acl takes at least 12 bytes: perms and two empty ustrings.
        prop_assume!(count as usize * 12 > tail.len());
        let bytes = prefixed(count, &tail);
        let (result, largest_bytes) =
            largest_allocation_bytes_during(|| GetAclResponse::from_bytes(&bytes));
        prop_assert_eq!(result, Err(DecodeError::LengthExceedsRemaining {
            field: "GetAclResponse.acl",
            len: count as usize,
            remaining_bytes: tail.len(),
        }));
        prop_assert!(largest_bytes < SMALL_ALLOCATION_BYTES);
    }

    #[test]
    fn length_prefix_below_minus_one_is_rejected_for_every_kind(
        len in i32::MIN..=-2,
        tail in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let bytes = prefixed(len, &tail);
        prop_assert_eq!(
            CreateResponse::from_bytes(&bytes),
            Err(DecodeError::NegativeLength { field: "CreateResponse.path", len })
        );
        prop_assert_eq!(
            GetSaslRequest::from_bytes(&bytes),
            Err(DecodeError::NegativeLength { field: "GetSaslRequest.token", len })
        );
        prop_assert_eq!(
            GetChildrenResponse::from_bytes(&bytes),
            Err(DecodeError::NegativeLength { field: "GetChildrenResponse.children", len })
        );
    }

    #[test]
    fn hostile_count_nested_in_a_multi_op_is_rejected(count in 1..=i32::MAX) {
        // multi { create "/" data="" acl=<count> ... } with nothing after the count.
        let mut bytes = vec![0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff];
        bytes.extend_from_slice(&[0, 0, 0, 1, b'/', 0, 0, 0, 0]);
        bytes.extend_from_slice(&count.to_be_bytes());
        let (result, largest_bytes) =
            largest_allocation_bytes_during(|| MultiRequest::from_bytes(&bytes));
        prop_assert_eq!(result, Err(DecodeError::LengthExceedsRemaining {
            field: "CreateRequest.acl",
            len: count as usize,
            remaining_bytes: 0,
        }));
        prop_assert!(largest_bytes < SMALL_ALLOCATION_BYTES);
    }
}

#[test]
fn null_length_decodes_as_empty_for_every_kind_but_node_data() {
    let null = (-1i32).to_be_bytes();
    assert_eq!(
        CreateResponse::from_bytes(&null),
        Ok(CreateResponse::default())
    );
    assert_eq!(
        GetSaslRequest::from_bytes(&null),
        Ok(GetSaslRequest::default())
    );
    assert_eq!(
        GetChildrenResponse::from_bytes(&null),
        Ok(GetChildrenResponse::default())
    );
    // A null vector of records, inside a record.
    let mut create = vec![0, 0, 0, 1, b'/', 0xff, 0xff, 0xff, 0xff];
    create.extend_from_slice(&null);
    create.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(
        CreateRequest::from_bytes(&create),
        Ok(CreateRequest {
            path: "/".into(),
            data: NodeData::NULL,
            ..CreateRequest::default()
        })
    );
}

/// A vector count is checked against the bytes that remain using the
/// smallest encoding of an element (4 bytes for a string), but a String
/// takes 24 bytes in memory: reserving `count` elements before decoding
/// them let a hostile frame that claims a vector, then turns out to be
/// garbage, cost six times its size. The reservation is capped by the
/// bytes that remain; only elements that really decode grow the vector.
#[test]
fn a_vector_claim_reserves_no_more_than_the_bytes_that_remain() {
    // Claims 4,096 strings and has the bytes for them, but the first
    // string's length is -2: the decode fails at the first element.
    let count: i32 = 4096;
    let mut bytes = count.to_be_bytes().to_vec();
    bytes.extend_from_slice(&(-2i32).to_be_bytes());
    bytes.resize(4 + 4 * count as usize, 0);
    let (decoded, largest_bytes) = largest_allocation_bytes_during(|| {
        ringkeeper_jute::GetChildrenResponse::from_bytes(&bytes)
    });
    assert!(decoded.is_err());
    assert!(
        largest_bytes <= bytes.len(),
        "largest allocation {largest_bytes} bytes for {} bytes of input",
        bytes.len()
    );

    // The same claim with real (empty) strings behind it decodes whole.
    let mut valid = count.to_be_bytes().to_vec();
    valid.resize(4 + 4 * count as usize, 0);
    let children = ringkeeper_jute::GetChildrenResponse::from_bytes(&valid)
        .unwrap()
        .children;
    assert_eq!(children.len(), count as usize);
    assert!(children.iter().all(String::is_empty));
}
