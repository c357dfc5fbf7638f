//! The byte format as the grammar states it, segment names, dump-log's
//! listing of damage, and the purge rule.

mod common;

use std::path::PathBuf;

use common::{record_offsets, records, segment_bytes};
use ringkeeper_txnlog::format::{
    encode_record, read_frame, record_crc, zxid_follows, Frame, HeaderError, SegmentHeader,
    RECORD_PAYLOAD_BYTES_MAX,
};
use ringkeeper_txnlog::segment_name::{
    is_temp_file_name, parse_segment_file_name, segment_file_name,
};
use ringkeeper_txnlog::{deletable_segments, dump_segment_bytes, SegmentFile};

const Z: i64 = 1 << 32;

#[test]
fn the_header_is_laid_out_as_the_grammar_says() {
    let header = SegmentHeader {
        first_zxid: 0x1_0000_002a,
    }
    .encode();
    assert_eq!(&header[0..8], b"RKTXNLOG");
    assert_eq!(header[8..12], 1u32.to_le_bytes());
    assert_eq!(header[12..20], 0x1_0000_002ai64.to_le_bytes());
    assert_eq!(header[20..28], [0u8; 8]);
    assert_eq!(header[28..32], crc32c::crc32c(&header[..28]).to_le_bytes());
    assert_eq!(
        SegmentHeader::decode(&header),
        Ok(SegmentHeader {
            first_zxid: 0x1_0000_002a
        })
    );
}

#[test]
fn a_damaged_header_is_named_for_what_is_wrong() {
    let good = SegmentHeader { first_zxid: Z + 1 }.encode();
    assert_eq!(
        SegmentHeader::decode(&good[..31]),
        Err(HeaderError::Short { len: 31 })
    );
    let mut magic = good;
    magic[0] = b'X';
    assert_eq!(SegmentHeader::decode(&magic), Err(HeaderError::BadMagic));
    let mut flipped = good;
    flipped[13] ^= 1;
    assert!(matches!(
        SegmentHeader::decode(&flipped),
        Err(HeaderError::BadChecksum { .. })
    ));
    let mut version = good;
    version[8] = 2;
    let crc = crc32c::crc32c(&version[..28]);
    version[28..32].copy_from_slice(&crc.to_le_bytes());
    assert_eq!(
        SegmentHeader::decode(&version),
        Err(HeaderError::UnknownVersion { version: 2 })
    );
}

#[test]
fn a_record_frame_is_length_crc_zxid_payload() {
    let mut frame = Vec::new();
    encode_record(Z + 7, b"payload", &mut frame);
    assert_eq!(frame[0..4], 7u32.to_le_bytes());
    assert_eq!(frame[4..8], record_crc(Z + 7, b"payload").to_le_bytes());
    assert_eq!(frame[8..16], (Z + 7).to_le_bytes());
    assert_eq!(&frame[16..], b"payload");
    let mut expected_crc = (Z + 7).to_le_bytes().to_vec();
    expected_crc.extend_from_slice(b"payload");
    assert_eq!(record_crc(Z + 7, b"payload"), crc32c::crc32c(&expected_crc));
}

#[test]
fn reading_a_frame_tells_every_way_it_can_be_wrong() {
    let mut bytes = Vec::new();
    encode_record(Z + 1, b"hello", &mut bytes);
    assert_eq!(
        read_frame(&bytes, 0),
        Frame::Record {
            zxid: Z + 1,
            payload: b"hello"
        }
    );
    assert_eq!(
        read_frame(&bytes[..10], 0),
        Frame::ShortHeader { remaining: 10 }
    );
    assert_eq!(
        read_frame(&bytes[..20], 0),
        Frame::PastEnd {
            length: 5,
            remaining: 20
        }
    );
    assert_eq!(read_frame(&[0u8; 32], 0), Frame::ZeroLength);
    let mut over = bytes.clone();
    over[0..4].copy_from_slice(&(RECORD_PAYLOAD_BYTES_MAX as u32 + 1).to_le_bytes());
    assert!(matches!(read_frame(&over, 0), Frame::LengthOverMax { .. }));
    let mut flipped = bytes.clone();
    flipped[18] ^= 0x40;
    assert!(matches!(read_frame(&flipped, 0), Frame::BadChecksum { zxid, .. } if zxid == Z + 1));
    let mut zxid_flipped = bytes;
    zxid_flipped[8] ^= 1;
    assert!(
        matches!(read_frame(&zxid_flipped, 0), Frame::BadChecksum { .. }),
        "the crc covers the zxid"
    );
}

#[test]
fn zxids_follow_by_counter_or_by_a_later_epoch() {
    assert!(zxid_follows(Z + 1, Z + 2));
    assert!(!zxid_follows(Z + 1, Z + 3), "a gap");
    assert!(!zxid_follows(Z + 2, Z + 2), "a repeat");
    assert!(!zxid_follows(Z + 2, Z + 1), "backwards");
    assert!(zxid_follows(Z + 9, 2 * Z + 1), "a new epoch");
    assert!(zxid_follows(Z + 9, 3 * Z + 5), "a later epoch, any counter");
    assert!(!zxid_follows(i64::MAX, i64::MIN), "no wrap-around");
}

#[test]
fn segment_names_are_zookeepers_lower_case_hex() {
    assert_eq!(segment_file_name(0x1_0000_0001), "log.100000001");
    assert_eq!(
        parse_segment_file_name("log.100000001"),
        Some(0x1_0000_0001)
    );
    assert_eq!(
        parse_segment_file_name("log.0100000001"),
        None,
        "only the canonical spelling"
    );
    assert_eq!(parse_segment_file_name("log.ABC"), None);
    assert_eq!(parse_segment_file_name("log."), None);
    assert_eq!(parse_segment_file_name("snapshot.100000001"), None);
    assert_eq!(parse_segment_file_name("log.100000001.tmp"), None);
    assert!(is_temp_file_name("log.100000001.tmp"));
    assert!(!is_temp_file_name("log.xyz.tmp"));
}

#[test]
fn dump_shows_a_checksum_failure_and_resumes_at_the_next_valid_record() {
    let written = records(Z + 1, 6);
    let mut bytes = segment_bytes(Z + 1, &written, 4096);
    let offsets = record_offsets(&written);
    bytes[offsets[2] + 20] ^= 0xff;
    let listing = dump_segment_bytes("log.100000001", &bytes, None);
    let bad = listing
        .lines()
        .find(|line| line.contains("FAILED"))
        .unwrap_or_else(|| panic!("no failed line in\n{listing}"));
    assert!(
        bad.trim_start().starts_with(&offsets[2].to_string()),
        "{bad}"
    );
    assert!(
        listing.contains(&format!("{} ", offsets[3])),
        "resumes at record 4:\n{listing}"
    );
    assert!(
        listing.contains("end: 5 records; zero padding"),
        "{listing}"
    );
}

#[test]
fn dump_of_a_corrupt_header_says_so() {
    let listing = dump_segment_bytes("log.1", b"not a segment at all, really no", None);
    assert!(listing.contains("header: CORRUPT"), "{listing}");
}

#[test]
fn purge_keeps_the_segment_holding_the_txns_after_the_snapshot() {
    let segment = |first_zxid: i64| SegmentFile {
        first_zxid,
        path: PathBuf::from(format!("/data/log/{}", segment_file_name(first_zxid))),
    };
    let segments = vec![
        segment(Z + 1),
        segment(Z + 100),
        segment(Z + 200),
        segment(Z + 300),
    ];
    let zxids = |list: Vec<SegmentFile>| list.iter().map(|s| s.first_zxid).collect::<Vec<_>>();
    assert_eq!(
        zxids(deletable_segments(&segments, Z + 50)),
        Vec::<i64>::new()
    );
    assert_eq!(zxids(deletable_segments(&segments, Z + 99)), vec![Z + 1]);
    assert_eq!(
        zxids(deletable_segments(&segments, Z + 250)),
        vec![Z + 1, Z + 100]
    );
    assert_eq!(
        zxids(deletable_segments(&segments, Z + 10_000)),
        vec![Z + 1, Z + 100, Z + 200],
        "never the last segment"
    );
}
