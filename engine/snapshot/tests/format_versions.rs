//! Snapshot format versions: version 2 keeps a node's null data (a
//! data-len of %xFFFFFFFF) apart from empty data; version 1 files, written
//! before null data was kept, still load. `tests/data/format_v1/` holds a
//! version-1 snapshot of `sample_tree()`, written by the version-1 writer.

mod common;

use std::path::Path;

use common::*;
use ringkeeper_datatree::DataTree;
use ringkeeper_jute::NodeData;
use ringkeeper_snapshot::format::{DATA_LEN_NULL, FORMAT_VERSION, HEADER_BYTES};
use ringkeeper_snapshot::{
    dump_snapshot, load_newest, load_snapshot, write_snapshot, RealFs, SnapshotReader, TreeSnapshot,
};

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format_v1")
}

#[test]
fn a_version_1_snapshot_written_before_null_data_existed_still_loads() {
    let bytes = std::fs::read(fixture_dir().join("snapshot.100000015")).expect("fixture");
    let reader = SnapshotReader::open(&bytes).expect("opens");
    assert_eq!(reader.header().format_version, 1);

    let report = load_newest(&RealFs, &fixture_dir(), options()).expect("listed");
    assert!(report.skipped.is_empty(), "{report}");
    let (_, loaded) = report.loaded.expect("loaded");
    let (tree, zxid) = sample_tree();
    assert_eq!(loaded.zxid, zxid);
    assert_eq!(listing(&loaded.tree), listing(&tree));
    assert_eq!(loaded.tree.digest(), tree.digest());
    // No node of a version-1 file has null data.
    loaded
        .tree
        .walk(|path, node| assert!(!node.is_data_null(), "{path}"));
}

#[test]
fn null_data_survives_a_snapshot_and_empty_data_stays_empty() {
    let (mut tree, mut zxid) = sample_tree();
    let open = acl(0x1f, "world", "anyone");
    let time_ms = 1_700_000_000_000;
    zxid += 1;
    tree.create_node("/null", &NodeData::NULL, &open, 0, -1, zxid, time_ms)
        .expect("create");
    zxid += 1;
    tree.create_node("/empty", b"", &open, 0, -1, zxid, time_ms)
        .expect("create");
    zxid += 1;
    tree.set_data("/app", &NodeData::NULL, 1, zxid, time_ms)
        .expect("set");
    let dir = tempfile::tempdir().expect("temp dir");
    let written = write_snapshot(
        &RealFs,
        dir.path(),
        &mut TreeSnapshot::new(&tree, zxid, sample_sessions()),
    )
    .expect("written");
    let bytes = std::fs::read(&written.path).expect("read back");
    assert_eq!(
        SnapshotReader::open(&bytes)
            .expect("opens")
            .header()
            .format_version,
        FORMAT_VERSION
    );

    let loaded = load_snapshot(&bytes, options()).expect("loads");
    let data = |tree: &DataTree, path: &str| {
        tree.get(path)
            .expect(path)
            .data_or_null()
            .map(<[u8]>::to_vec)
    };
    assert_eq!(data(&loaded.tree, "/null"), None);
    assert_eq!(data(&loaded.tree, "/app"), None);
    assert_eq!(data(&loaded.tree, "/empty"), Some(Vec::new()));
    assert_eq!(listing(&loaded.tree), listing(&tree));
    assert_eq!(loaded.tree.digest(), tree.digest());

    let dump = dump_snapshot(&written.path).expect("dumps");
    let null_node = dump.split("\n/null\n").nth(1).expect("/null in the dump");
    assert!(
        null_node.contains("dataLength = 0\n  data = null"),
        "{dump}"
    );
}

#[test]
fn in_a_version_1_file_the_null_length_is_a_length_not_null() {
    // Version 1 has no null marker: a data-len of u32::MAX there claims
    // 4 GiB of data, which the file does not hold. Patch the fixture's
    // first node record (the root, at the node section's start) and its
    // checksums, and expect a malformed-record refusal, not null data.
    let mut bytes = std::fs::read(fixture_dir().join("snapshot.100000015")).expect("fixture");
    bytes[HEADER_BYTES + 8..HEADER_BYTES + 12].copy_from_slice(&DATA_LEN_NULL.to_le_bytes());
    let crc_at = bytes.len() - 4;
    let crc = crc32c::crc32c(&bytes[..crc_at]);
    bytes[crc_at..].copy_from_slice(&crc.to_le_bytes());
    let error = load_snapshot(&bytes, options()).expect_err("refused");
    assert!(error.to_string().contains("bytes needed"), "{error}");
}
