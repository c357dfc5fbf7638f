//! Snapshot files and whole data dirs, one test per row of their decision
//! tables (see the `snapshot` and `data_dir` module docs), on files
//! written by hand.

#[path = "common/zkfiles.rs"]
mod zkfiles;

use std::fs;
use std::path::{Path, PathBuf};

use ringkeeper_jute::OpCode;
use ringkeeper_zkimport::{
    parse_snapshot, read_data_dir, read_data_dirs, read_snapshot, ImportErrorKind,
    ZkSnapshotDigest, VERSION_DIR,
};
use zkfiles::{create_session_txn, header, node, DigestSection, LogFile, SnapshotFile};

fn file() -> &'static Path {
    Path::new("/data/version-2/snapshot.5")
}

#[test]
fn a_3_9_snapshot_with_digest_and_last_zxid_sections_reads_back_whole() {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Long {
        zxid: 6,
        tree_digest: -42,
    });
    snapshot.last_zxid = Some(6);
    let read = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap();
    assert_eq!(read.zxid, 5);
    assert_eq!(read.sessions, vec![(0x100, 30_000), (0x101, 4_000)]);
    assert_eq!(read.acls, vec![(1, zkfiles::open_acl())]);
    let paths: Vec<&str> = read.nodes.iter().map(|node| node.path.as_str()).collect();
    assert_eq!(paths, ["/", "/a", "/a/b", "/zookeeper"]);
    assert_eq!(read.nodes[1].data, b"/a");
    assert_eq!(read.nodes[1].acl, 1);
    assert_eq!(read.nodes[2].stat.czxid, 4);
    assert_eq!(
        read.digest,
        Some(ZkSnapshotDigest {
            zxid: 6,
            version: 2,
            tree_digest: -42
        })
    );
    assert_eq!(read.last_processed_zxid, Some(6));
    assert_eq!(read.acl_list(-1), Some(zkfiles::open_acl()));
    assert_eq!(read.acl_list(7), None);
}

#[test]
fn a_3_5_snapshot_ends_at_its_first_seal() {
    let read = parse_snapshot(file(), &SnapshotFile::small().bytes(), 5).unwrap();
    assert_eq!((read.digest, read.last_processed_zxid), (None, None));
    assert_eq!(read.nodes.len(), 4);
}

#[test]
fn a_last_zxid_section_without_a_digest_is_told_apart_by_its_length() {
    let mut snapshot = SnapshotFile::small();
    snapshot.last_zxid = Some(9);
    let read = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap();
    assert_eq!((read.digest, read.last_processed_zxid), (None, Some(9)));
}

#[test]
fn an_old_digest_is_a_hex_string_and_an_empty_one_is_none() {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Hex {
        zxid: 6,
        text: "1f".into(),
    });
    let read = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap();
    assert_eq!(read.digest.map(|digest| digest.tree_digest), Some(0x1f));
    snapshot.digest = Some(DigestSection::Long {
        zxid: 0,
        tree_digest: 0,
    });
    assert_eq!(
        parse_snapshot(file(), &snapshot.bytes(), 5).unwrap().digest,
        None
    );
    snapshot.digest = Some(DigestSection::Hex {
        zxid: 6,
        text: "xyz".into(),
    });
    let error = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::BadDigestString { .. }
    ));
}

#[test]
fn a_flipped_bit_anywhere_before_a_seal_fails_its_checksum_at_the_seal() {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Long {
        zxid: 6,
        tree_digest: 99,
    });
    let clean = snapshot.bytes();
    // Flip a byte inside node /a's data, then one inside the digest.
    for flip in [clean.len() / 2, clean.len() - 20] {
        let mut bytes = clean.clone();
        bytes[flip] ^= 0x01;
        let error = parse_snapshot(file(), &bytes, 5).unwrap_err();
        assert!(
            matches!(error.kind, ImportErrorKind::ChecksumMismatch { .. }),
            "flip at {flip}: {error}"
        );
        assert!(error.offset.unwrap() > flip as u64);
    }
}

#[test]
fn a_missing_seal_after_the_checksum_is_refused() {
    let mut bytes = SnapshotFile::small().bytes();
    let last = bytes.len() - 1;
    bytes[last] = b'x';
    let error = parse_snapshot(file(), &bytes, 5).unwrap_err();
    assert_eq!(error.offset, Some(last as u64 - 4));
    assert!(matches!(error.kind, ImportErrorKind::SealMissing { .. }));
}

#[test]
fn a_snapshot_cut_short_is_refused() {
    let bytes = SnapshotFile::small().bytes();
    let error = parse_snapshot(file(), &bytes[..bytes.len() - 9], 5).unwrap_err();
    assert!(matches!(error.kind, ImportErrorKind::Decode(_)), "{error}");
}

#[test]
fn bytes_after_the_last_seal_are_refused() {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Long {
        zxid: 6,
        tree_digest: 1,
    });
    let mut bytes = snapshot.bytes();
    let end = bytes.len() as u64;
    bytes.extend_from_slice(&[7; 3]);
    let error = parse_snapshot(file(), &bytes, 5).unwrap_err();
    assert_eq!(error.offset, Some(end));
    assert!(matches!(
        error.kind,
        ImportErrorKind::TrailingBytes { count: 3 }
    ));
    // After the first seal, bytes that remain are read as a digest
    // section: too few of them are a section cut short.
    let mut bytes = SnapshotFile::small().bytes();
    let end = bytes.len() as u64;
    bytes.extend_from_slice(&[7; 3]);
    let error = parse_snapshot(file(), &bytes, 5).unwrap_err();
    assert_eq!(error.offset, Some(end));
    assert!(matches!(error.kind, ImportErrorKind::Decode(_)));
}

#[test]
fn another_magic_or_version_is_refused() {
    let mut bytes = SnapshotFile::small().bytes();
    bytes[3] = b'G';
    assert!(matches!(
        parse_snapshot(file(), &bytes, 5).unwrap_err().kind,
        ImportErrorKind::BadMagic { .. }
    ));
    let mut bytes = SnapshotFile::small().bytes();
    bytes[7] = 1;
    assert!(matches!(
        parse_snapshot(file(), &bytes, 5).unwrap_err().kind,
        ImportErrorKind::UnsupportedVersion { version: 1 }
    ));
}

#[test]
fn a_tree_zookeeper_could_not_load_is_refused_naming_the_node() {
    let cases: [(Vec<zkfiles::SnapNode>, &str); 4] = [
        (vec![node("/a", -1, 1)], "/a"),
        (vec![node("", -1, 0), node("/x/y", -1, 1)], "/x/y"),
        (
            vec![node("", -1, 0), node("/a", -1, 1), node("/a", -1, 1)],
            "/a",
        ),
        (vec![node("", -1, 0), node("a", -1, 1)], "a"),
    ];
    for (nodes, bad) in cases {
        let mut snapshot = SnapshotFile::small();
        snapshot.nodes = nodes;
        let error = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap_err();
        match &error.kind {
            ImportErrorKind::InvalidTree { path, .. } => assert_eq!(path, bad),
            other => panic!("{bad}: {other}"),
        }
    }
    let mut snapshot = SnapshotFile::small();
    snapshot.nodes[2].acl = 3;
    let error = parse_snapshot(file(), &snapshot.bytes(), 5).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::UnknownAcl { acl: 3, .. }
    ));
}

/// A dataDir with `version-2` inside holding `files`.
fn data_dir(files: &[(&str, Vec<u8>)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join(VERSION_DIR);
    fs::create_dir(&inner).unwrap();
    for (name, bytes) in files {
        fs::write(inner.join(name), bytes).unwrap();
    }
    (dir, inner)
}

fn session_log(zxids: std::ops::RangeInclusive<i64>) -> LogFile {
    let mut log = LogFile::new();
    for zxid in zxids {
        log = log.txn(
            &header(zxid, OpCode::CreateSession),
            &create_session_txn(5_000),
        );
    }
    log
}

#[test]
fn the_snapshot_zxid_comes_from_the_file_name_and_compression_is_refused() {
    let (_dir, inner) = data_dir(&[
        ("snapshot.1f", SnapshotFile::small().bytes()),
        ("snapshot.20.gz", vec![0x1f, 0x8b]),
    ]);
    assert_eq!(
        read_snapshot(&inner.join("snapshot.1f")).unwrap().zxid,
        0x1f
    );
    let error = read_snapshot(&inner.join("snapshot.20.gz")).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::CompressedSnapshot { .. }
    ));
    fs::copy(inner.join("snapshot.1f"), inner.join("snap-copy")).unwrap();
    let error = read_snapshot(&inner.join("snap-copy")).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::UnrecognisedName { .. }
    ));
}

#[test]
fn a_dir_without_a_snapshot_is_refused() {
    let (dir, _) = data_dir(&[("log.1", session_log(1..=2).bytes)]);
    let error = read_data_dir(dir.path()).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::NoSnapshot { log_files: 1 }
    ));
}

#[test]
fn a_dir_whose_every_snapshot_fails_is_refused_naming_each() {
    let mut broken = SnapshotFile::small().bytes();
    broken[40] ^= 0xff;
    let (dir, inner) = data_dir(&[
        ("snapshot.0", broken.clone()),
        ("snapshot.3", broken),
        ("log.1", session_log(1..=3).bytes),
    ]);
    let error = read_data_dir(dir.path()).unwrap_err();
    let ImportErrorKind::NoValidSnapshot { failures } = &error.kind else {
        panic!("{error}");
    };
    let files: Vec<&Path> = failures
        .iter()
        .map(|failure| failure.file.as_path())
        .collect();
    assert_eq!(files, [inner.join("snapshot.3"), inner.join("snapshot.0")]);
}

#[test]
fn a_failing_newest_snapshot_gives_way_to_the_older_one_and_its_txns() {
    let mut broken = SnapshotFile::small().bytes();
    broken[60] ^= 0x04;
    let (dir, inner) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("snapshot.3", broken),
        ("snapshot.4.snappy", vec![1, 2, 3]),
        ("log.1", session_log(1..=5).bytes),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    assert_eq!(read.snapshot_file, inner.join("snapshot.0"));
    let zxids: Vec<i64> = read.txns.iter().map(|txn| txn.zxid()).collect();
    assert_eq!(zxids, [1, 2, 3, 4, 5]);
    assert_eq!(read.last_zxid, 5);
    assert_eq!(read.skipped.len(), 2, "{:?}", read.skipped);
    assert!(read.skipped[0].contains("snapshot.4.snappy"));
    assert!(read.skipped[1].contains("snapshot.3"));
}

#[test]
fn logs_before_the_one_holding_the_snapshot_are_not_read() {
    let (dir, _) = data_dir(&[
        ("log.1", b"not a log at all, and never read".to_vec()),
        ("log.4", session_log(4..=8).bytes),
        ("log.9", session_log(9..=10).bytes),
        ("snapshot.6", SnapshotFile::small().bytes()),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    let zxids: Vec<i64> = read.txns.iter().map(|txn| txn.zxid()).collect();
    assert_eq!(zxids, [7, 8, 9, 10]);
    assert!(read.skipped.is_empty());
}

#[test]
fn a_zxid_gap_across_log_files_is_refused_naming_the_later_file() {
    let (dir, inner) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("log.1", session_log(1..=3).bytes),
        ("log.5", session_log(5..=6).bytes),
    ]);
    let error = read_data_dir(dir.path()).unwrap_err();
    assert_eq!(error.file, inner.join("log.5"));
    assert_eq!(error.offset, Some(16));
    assert!(matches!(
        error.kind,
        ImportErrorKind::ZxidGap {
            previous_zxid: 3,
            zxid: 5
        }
    ));
}

#[test]
fn a_zxid_gap_or_a_step_back_inside_a_log_after_the_snapshot_is_refused_at_that_txn() {
    let log = LogFile::new().create(1).create(2).create(4);
    let third = log.offsets[2];
    let (dir, inner) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("log.1", log.bytes),
    ]);
    let error = read_data_dir(dir.path()).unwrap_err();
    assert_eq!(
        (error.file.as_path(), error.offset),
        (inner.join("log.1").as_path(), Some(third))
    );
    assert!(matches!(
        error.kind,
        ImportErrorKind::ZxidGap {
            previous_zxid: 2,
            zxid: 4
        }
    ));
    let (dir, _) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("log.1", LogFile::new().create(1).create(2).create(2).bytes),
    ]);
    let error = read_data_dir(dir.path()).unwrap_err();
    assert!(matches!(
        error.kind,
        ImportErrorKind::ZxidNotIncreasing { .. }
    ));
}

#[test]
fn a_new_epoch_may_start_at_any_counter() {
    let log = LogFile::new()
        .create(0x1_0000_0001)
        .create(0x1_0000_0002)
        .create(0x2_0000_0001);
    let (dir, _) = data_dir(&[
        ("snapshot.100000001", SnapshotFile::small().bytes()),
        ("log.100000001", log.bytes),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    assert_eq!(read.last_zxid, 0x2_0000_0001);
}

#[test]
fn a_gap_before_the_snapshot_zxid_is_covered_by_the_snapshot() {
    // A follower at txn 3 was synced by SNAP at txn 7, then logged 8, 9
    // in the same file.
    let log = LogFile::new()
        .create(1)
        .create(2)
        .create(3)
        .create(8)
        .create(9);
    let (dir, _) = data_dir(&[
        ("snapshot.7", SnapshotFile::small().bytes()),
        ("log.1", log.bytes),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    let zxids: Vec<i64> = read.txns.iter().map(|txn| txn.zxid()).collect();
    assert_eq!(zxids, [8, 9]);
}

#[test]
fn a_gap_between_the_snapshot_and_its_first_txn_is_refused() {
    let (dir, inner) = data_dir(&[
        ("snapshot.2", SnapshotFile::small().bytes()),
        ("log.4", session_log(4..=5).bytes),
    ]);
    let error = read_data_dir(dir.path()).unwrap_err();
    assert_eq!(error.file, inner.join("log.4"));
    assert!(matches!(
        error.kind,
        ImportErrorKind::ZxidGap {
            previous_zxid: 2,
            zxid: 4
        }
    ));
}

#[test]
fn a_torn_tail_that_the_next_log_continues_is_noted_and_imported() {
    // ZooKeeper crashed while writing txn 4, restarted, and logged 4 again
    // in a new file.
    let mut first = session_log(1..=4);
    let torn_at = first.offsets[3];
    first.bytes.truncate(torn_at as usize + 15);
    let (dir, inner) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("log.1", first.bytes),
        ("log.4", session_log(4..=6).bytes),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    assert_eq!(read.txns.len(), 6);
    assert_eq!(read.last_zxid, 6);
    assert_eq!(read.skipped.len(), 1);
    assert!(read.skipped[0].contains(&format!(
        "{}: torn record at offset {torn_at}",
        inner.join("log.1").display()
    )));
}

#[test]
fn separate_data_and_log_dirs_are_read_together() {
    let (snap_dir, _) = data_dir(&[("snapshot.2", SnapshotFile::small().bytes())]);
    let (log_dir, _) = data_dir(&[("log.1", session_log(1..=4).bytes)]);
    let read = read_data_dirs(snap_dir.path(), log_dir.path()).unwrap();
    assert_eq!(read.txns.len(), 2);
    assert_eq!(read.snapshot.sessions.len(), 2);
}

#[test]
fn look_alike_names_are_ignored_and_noted_and_other_files_pass_silently() {
    let (dir, inner) = data_dir(&[
        ("snapshot.0", SnapshotFile::small().bytes()),
        ("log.1.tmp", vec![1]),
        ("acceptedEpoch", b"0".to_vec()),
        ("currentEpoch", b"0".to_vec()),
    ]);
    let read = read_data_dir(&inner).unwrap();
    assert_eq!(read.last_zxid, 0);
    assert_eq!(read.skipped.len(), 1, "{:?}", read.skipped);
    assert!(read.skipped[0].contains("log.1.tmp"));
    // The dataDir above version-2 reads the same.
    assert_eq!(read_data_dir(dir.path()).unwrap(), read);
}

#[test]
fn a_snapshot_digest_beyond_the_last_logged_txn_is_noted() {
    let mut snapshot = SnapshotFile::small();
    snapshot.digest = Some(DigestSection::Long {
        zxid: 9,
        tree_digest: 1,
    });
    let (dir, _) = data_dir(&[
        ("snapshot.2", snapshot.bytes()),
        ("log.1", session_log(1..=4).bytes),
    ]);
    let read = read_data_dir(dir.path()).unwrap();
    assert_eq!(read.last_zxid, 4);
    assert_eq!(read.skipped.len(), 1);
    assert!(read.skipped[0].contains("beyond the last logged txn 0x4"));
}
