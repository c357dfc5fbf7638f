//! The txn log's decision table, one test per row (see `txn_log`'s module
//! doc), and the txn body decoding rules, on files written by hand.

#[path = "common/zkfiles.rs"]
mod zkfiles;

use std::path::Path;

use ringkeeper_jute::{
    CloseSessionTxn, CreateTxn, CreateTxnV0, DeleteTxn, ErrorTxn, Jute, MultiTxn, OpCode, Txn,
};
use ringkeeper_zkimport::{
    decode_txn_body, parse_log, ImportErrorKind, LogTail, TornReason, ZkTxnRecord,
};
use zkfiles::{create_txn, header, open_acl, txn_bytes, LogFile};

fn file() -> &'static Path {
    Path::new("/data/version-2/log.1")
}

#[test]
fn log_ending_right_after_its_last_record_is_a_clean_end() {
    let log = LogFile::new().create(1).create(2);
    let read = parse_log(file(), &log.bytes).unwrap();
    assert_eq!(read.txns.len(), 2);
    assert_eq!(read.txns[1].offset, log.offsets[1]);
    assert_eq!(read.txns[1].file, file());
    assert_eq!(
        read.tail,
        LogTail::CleanEnd {
            offset: log.bytes.len() as u64
        }
    );
    assert_eq!(read.db_id, Some(zkfiles::DB_ID));
}

#[test]
fn a_zero_length_where_a_record_would_start_is_the_preallocated_padding() {
    let log = LogFile::new().create(1).create(2);
    let end = log.bytes.len() as u64;
    let read = parse_log(file(), &log.padding(4096).bytes).unwrap();
    assert_eq!(read.txns.len(), 2);
    assert_eq!(read.tail, LogTail::ZeroPadding { offset: end });
}

#[test]
fn fewer_than_twelve_zero_bytes_after_the_last_record_are_padding_too() {
    let log = LogFile::new().create(1);
    let end = log.bytes.len() as u64;
    let read = parse_log(file(), &log.padding(7).bytes).unwrap();
    assert_eq!(read.tail, LogTail::ZeroPadding { offset: end });
}

#[test]
fn a_record_prefix_cut_short_is_a_torn_record_and_is_cut() {
    let log = LogFile::new().create(1);
    let end = log.bytes.len() as u64;
    let read = parse_log(file(), &log.raw(&[0, 0, 0, 1, 2]).bytes).unwrap();
    assert_eq!(read.txns.len(), 1);
    assert_eq!(
        read.tail,
        LogTail::TornRecord {
            offset: end,
            reason: TornReason::PrefixCut
        }
    );
}

#[test]
fn a_file_ending_inside_a_record_is_a_torn_record_and_is_cut() {
    let mut log = LogFile::new().create(1).create(2);
    let last = log.offsets[1];
    log.bytes.truncate(log.bytes.len() - 1); // the 'B' never made it
    let read = parse_log(file(), &log.bytes).unwrap();
    assert_eq!(read.txns.len(), 1);
    assert_eq!(
        read.tail,
        LogTail::TornRecord {
            offset: last,
            reason: TornReason::PayloadCut
        }
    );
    assert!(read.tail.is_cut());
}

#[test]
fn a_record_whose_end_marker_is_not_b_is_a_torn_record_and_is_cut() {
    let mut log = LogFile::new().create(1).create(2).create(3);
    // A partial write into preallocated space: the record's second half
    // (and its 'B') are still zeros.
    let second = log.offsets[1] as usize;
    let third = log.offsets[2] as usize;
    log.bytes[second + 20..third].fill(0);
    let read = parse_log(file(), &log.bytes).unwrap();
    assert_eq!(read.txns.len(), 1);
    assert_eq!(
        read.tail,
        LogTail::TornRecord {
            offset: second as u64,
            reason: TornReason::MarkerMissing { found: 0 }
        }
    );
}

#[test]
fn an_empty_or_zero_filled_log_has_no_header_and_no_txns() {
    for bytes in [Vec::new(), vec![0; 9], vec![0; 65_536]] {
        let read = parse_log(file(), &bytes).unwrap();
        assert!(read.txns.is_empty());
        assert_eq!(
            read.tail,
            LogTail::NoHeader {
                file_bytes: bytes.len() as u64
            }
        );
        assert_eq!(read.db_id, None);
    }
}

#[test]
fn a_log_with_another_magic_is_refused() {
    let mut log = LogFile::new().create(1);
    log.bytes[0..4].copy_from_slice(b"ZKSN");
    let error = parse_log(file(), &log.bytes).unwrap_err();
    assert_eq!((error.file.as_path(), error.offset), (file(), Some(0)));
    assert!(matches!(error.kind, ImportErrorKind::BadMagic { .. }));
}

#[test]
fn a_log_of_a_version_other_than_2_is_refused() {
    let mut log = LogFile::new().create(1);
    log.bytes[4..8].copy_from_slice(&3i32.to_be_bytes());
    let error = parse_log(file(), &log.bytes).unwrap_err();
    assert_eq!(error.offset, Some(4));
    assert!(matches!(
        error.kind,
        ImportErrorKind::UnsupportedVersion { version: 3 }
    ));
}

#[test]
fn a_negative_record_length_is_refused_at_its_offset() {
    let mut log = LogFile::new().create(1).create(2);
    let second = log.offsets[1] as usize;
    log.bytes[second + 8..second + 12].copy_from_slice(&(-5i32).to_be_bytes());
    let error = parse_log(file(), &log.bytes).unwrap_err();
    assert_eq!(error.offset, Some(second as u64));
    assert!(matches!(
        error.kind,
        ImportErrorKind::NegativeLength { len: -5 }
    ));
}

#[test]
fn a_checksum_failure_is_refused_with_file_and_offset_even_in_the_last_record() {
    for victim in 0..3 {
        let mut log = LogFile::new().create(1).create(2).create(3).padding(100);
        let at = log.offsets[victim] as usize;
        log.bytes[at + 12 + 30] ^= 0x40;
        let error = parse_log(file(), &log.bytes).unwrap_err();
        assert_eq!(error.offset, Some(at as u64), "victim {victim}");
        assert!(matches!(
            error.kind,
            ImportErrorKind::ChecksumMismatch { .. }
        ));
        assert!(error
            .to_string()
            .starts_with(&format!("/data/version-2/log.1 at offset {at}: ")));
    }
}

#[test]
fn a_record_that_passes_its_checksum_but_does_not_decode_is_refused() {
    let garbage = txn_bytes(&header(2, OpCode::Create), &[0, 0, 0, 9, b'/'], None);
    let log = LogFile::new().create(1).raw_record(&garbage);
    let error = parse_log(file(), &log.bytes).unwrap_err();
    assert_eq!(error.offset, Some(log.offsets[1]));
    assert!(matches!(error.kind, ImportErrorKind::Decode(_)));
}

#[test]
fn a_single_log_reports_its_zxids_as_they_are_the_data_dir_checks_them() {
    // A gap is legitimate before a snapshot (SNAP sync); see snapshot_table.
    let log = LogFile::new().create(1).create(2).create(9);
    let zxids: Vec<i64> = parse_log(file(), &log.bytes)
        .unwrap()
        .txns
        .iter()
        .map(|txn| txn.zxid())
        .collect();
    assert_eq!(zxids, [1, 2, 9]);
}

#[test]
fn the_body_keeps_the_record_bytes_and_the_digest_is_split_off() {
    let body = create_txn("/a", b"x");
    let log = LogFile::new().txn(&header(1, OpCode::Create2), &body);
    let txn = &parse_log(file(), &log.bytes).unwrap().txns[0];
    assert_eq!(txn.body, body);
    assert_eq!(
        txn.digest.as_ref().map(|digest| digest.tree_digest),
        Some(7)
    );
    assert_eq!(txn.op_code(), Some(OpCode::Create2));
    assert_eq!(
        txn.record,
        ZkTxnRecord::Create(CreateTxn::from_bytes(&body).unwrap())
    );
}

#[test]
fn a_pre_3_3_create_is_read_with_parent_cversion_minus_one() {
    let old = CreateTxnV0 {
        path: "/old".into(),
        data: b"v0".into(),
        acl: open_acl(),
        ephemeral: true,
    }
    .to_bytes();
    let (record, used, digest) = decode_txn_body(OpCode::Create.as_i32(), &old).unwrap();
    assert_eq!((used, digest), (old.len(), None));
    let ZkTxnRecord::Create(create) = record else {
        panic!("not a create: {record:?}");
    };
    assert_eq!((create.path.as_str(), create.parent_cversion), ("/old", -1));
    assert!(create.ephemeral);
}

#[test]
fn close_session_without_paths_reads_with_no_body_or_a_digest_alone() {
    let close = OpCode::CloseSession.as_i32();
    let (record, _, digest) = decode_txn_body(close, &[]).unwrap();
    assert_eq!(
        record,
        ZkTxnRecord::CloseSession(CloseSessionTxn::default())
    );
    assert_eq!(digest, None);
    let digest_only = [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x30, 0x39];
    let (record, _, digest) = decode_txn_body(close, &digest_only).unwrap();
    assert_eq!(
        record,
        ZkTxnRecord::CloseSession(CloseSessionTxn::default())
    );
    assert_eq!(digest.map(|digest| digest.tree_digest), Some(12345));
    let with_paths = CloseSessionTxn {
        paths_to_delete: vec!["/e1".into(), "/e2".into()],
    };
    let (record, _, _) = decode_txn_body(close, &with_paths.to_bytes()).unwrap();
    assert_eq!(record, ZkTxnRecord::CloseSession(with_paths));
}

#[test]
fn a_multi_holds_typed_sub_txns_and_applies_only_without_an_error() {
    let multi = |subs: Vec<Txn>| MultiTxn { txns: subs }.to_bytes();
    let delete = DeleteTxn { path: "/a".into() }.to_bytes();
    let ok = multi(vec![
        Txn {
            txn_type: OpCode::Create.as_i32(),
            data: create_txn("/b", b""),
        },
        Txn {
            txn_type: OpCode::Delete.as_i32(),
            data: delete.clone(),
        },
    ]);
    let (record, _, _) = decode_txn_body(OpCode::Multi.as_i32(), &ok).unwrap();
    let ZkTxnRecord::Multi(subs) = &record else {
        panic!("not a multi: {record:?}");
    };
    assert_eq!(subs[0].0, OpCode::Create);
    assert_eq!(
        subs[1],
        (
            OpCode::Delete,
            ZkTxnRecord::Delete(DeleteTxn { path: "/a".into() })
        )
    );
    assert!(record.applies());
    let failed = multi(vec![
        Txn {
            txn_type: OpCode::Delete.as_i32(),
            data: delete,
        },
        Txn {
            txn_type: OpCode::Error.as_i32(),
            data: ErrorTxn { err: -101 }.to_bytes(),
        },
    ]);
    let (record, _, _) = decode_txn_body(OpCode::Multi.as_i32(), &failed).unwrap();
    assert!(!record.applies());
}

#[test]
fn txn_types_zookeeper_does_not_log_are_refused_alone_and_inside_a_multi() {
    let error = decode_txn_body(OpCode::GetData.as_i32(), &[]).unwrap_err();
    assert!(matches!(
        error,
        ImportErrorKind::UnknownTxnType {
            txn_type: 4,
            in_multi: false
        }
    ));
    assert!(decode_txn_body(99, &[]).is_err());
    let session_in_multi = MultiTxn {
        txns: vec![Txn {
            txn_type: OpCode::CreateSession.as_i32(),
            data: zkfiles::create_session_txn(30_000),
        }],
    }
    .to_bytes();
    let error = decode_txn_body(OpCode::Multi.as_i32(), &session_in_multi).unwrap_err();
    assert!(matches!(
        error,
        ImportErrorKind::UnknownTxnType {
            txn_type: -10,
            in_multi: true
        }
    ));
}

#[test]
fn bytes_after_a_record_that_are_not_a_digest_are_refused() {
    let mut body = DeleteTxn { path: "/a".into() }.to_bytes();
    body.extend_from_slice(&[1, 2, 3]);
    let error = decode_txn_body(OpCode::Delete.as_i32(), &body).unwrap_err();
    assert!(matches!(
        error,
        ImportErrorKind::TxnTrailingBytes { count: 3, .. }
    ));
}
