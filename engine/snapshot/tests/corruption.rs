//! Damaged snapshots are never loaded: a truncated or bit-flipped newest
//! snapshot is passed over for the next older one, with a report naming
//! the file and the reason; every flipped bit and every cut of a file is
//! caught.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use ringkeeper_datatree::DataTree;
use ringkeeper_snapshot::{
    load_newest, load_snapshot, write_snapshot, SimFs, SkipReason, SnapshotError, TreeSnapshot,
};

const DIR: &str = "/data";

/// Two snapshots in a simulated dataDir: the sample tree at `old_zxid`,
/// and the same tree with one more node at `new_zxid`.
fn two_snapshots() -> (SimFs, DataTree, i64, PathBuf, i64, PathBuf) {
    let fs = SimFs::new();
    let (mut tree, old_zxid) = sample_tree();
    let old = write_snapshot(
        &fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(&tree, old_zxid, sample_sessions()),
    )
    .expect("old written");
    let old_listing_tree = sample_tree().0;
    let new_zxid = old_zxid + 1;
    tree.create_node("/newer", b"n", &[], 0, -1, new_zxid, 1)
        .expect("create");
    let new = write_snapshot(
        &fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(&tree, new_zxid, sample_sessions()),
    )
    .expect("new written");
    (fs, old_listing_tree, old_zxid, old.path, new_zxid, new.path)
}

/// The bytes of a consistent snapshot of `tree` at `zxid` (with the
/// sample sessions), as written to a simulated disk.
fn snapshot_bytes(tree: &DataTree, zxid: i64) -> Vec<u8> {
    let fs = SimFs::new();
    let written = write_snapshot(
        &fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(tree, zxid, sample_sessions()),
    )
    .expect("written");
    fs.file_bytes(&written.path).expect("exists")
}

fn loaded_zxid_and_skips(fs: &SimFs) -> (Option<i64>, Vec<String>) {
    let report = load_newest(fs, Path::new(DIR), options()).expect("listed");
    let skips = report
        .skipped
        .iter()
        .map(|skip| format!("{}: {}", skip.file.path.display(), skip.reason))
        .collect();
    (report.loaded.map(|(file, _)| file.zxid), skips)
}

#[test]
fn a_truncated_newest_snapshot_falls_back_to_the_older_one() {
    let (fs, old_tree, old_zxid, _, new_zxid, new_path) = two_snapshots();
    let len = fs.file_bytes(&new_path).expect("exists").len() as u64;
    fs.truncate_file(&new_path, len - 100);
    let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
    let (file, loaded) = report.loaded.as_ref().expect("older one loads");
    assert_eq!(file.zxid, old_zxid);
    assert_eq!(listing(&loaded.tree), listing(&old_tree));
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].file.zxid, new_zxid);
    let text = report.to_string();
    assert!(
        text.contains(&format!(
            "skipped {}: truncated: the header says {len} bytes, the file has {}",
            new_path.display(),
            len - 100
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("loaded /data/snapshot.{old_zxid:x}")),
        "{text}"
    );
}

#[test]
fn a_bit_flipped_newest_snapshot_falls_back_to_the_older_one() {
    let (fs, _, old_zxid, _, _, new_path) = two_snapshots();
    // A bit in the middle of the node section.
    let len = fs.file_bytes(&new_path).expect("exists").len() as u64;
    fs.flip_bit(&new_path, len * 4);
    let (loaded, skips) = loaded_zxid_and_skips(&fs);
    assert_eq!(loaded, Some(old_zxid));
    assert_eq!(skips.len(), 1);
    assert!(skips[0].contains("checksum mismatch"), "{skips:?}");
}

#[test]
fn when_every_snapshot_is_damaged_none_loads_and_each_is_reported() {
    let (fs, _, _, old_path, _, new_path) = two_snapshots();
    fs.truncate_file(&old_path, 10);
    fs.flip_bit(&new_path, 3); // in the magic
    let (loaded, skips) = loaded_zxid_and_skips(&fs);
    assert_eq!(loaded, None);
    assert_eq!(skips.len(), 2);
    assert!(skips[0].contains("bad magic"), "{skips:?}");
    assert!(skips[1].contains("shorter than a header"), "{skips:?}");
}

#[test]
fn a_snapshot_under_another_zxid_name_is_refused() {
    let (fs, _, old_zxid, old_path, _, _) = two_snapshots();
    let bytes = fs.file_bytes(&old_path).expect("exists");
    fs.put_durable(Path::new("/data/snapshot.7fffffffffff"), &bytes);
    let report = load_newest(&fs, Path::new(DIR), options()).expect("listed");
    assert!(matches!(
        report.skipped[0].reason,
        SkipReason::Invalid(SnapshotError::NameMismatch {
            name_zxid: 0x7fff_ffff_ffff,
            header_zxid
        }) if header_zxid == old_zxid
    ));
}

#[test]
fn temp_files_and_other_names_are_never_loaded() {
    let fs = SimFs::new();
    let (tree, zxid) = sample_tree();
    let written = write_snapshot(
        &fs,
        Path::new(DIR),
        &mut TreeSnapshot::new(&tree, zxid, Vec::new()),
    )
    .expect("written");
    let bytes = fs.file_bytes(&written.path).expect("exists");
    // A complete file under a temp name, newer: still not a snapshot.
    fs.put_durable(
        Path::new(&format!("/data/snapshot.{:x}.tmp", zxid + 5)),
        &bytes,
    );
    fs.put_durable(Path::new("/data/log.1"), b"not a snapshot");
    let (loaded, skips) = loaded_zxid_and_skips(&fs);
    assert_eq!(loaded, Some(zxid));
    assert!(skips.is_empty(), "{skips:?}");
}

/// Every single-bit flip of a whole file is refused (by the header CRC,
/// the magic, the length, the footer or the file CRC), never loaded, and
/// never panics.
#[test]
fn every_flipped_bit_of_a_snapshot_is_caught() {
    let mut tree = DataTree::with_options(options());
    tree.create_node("/a", b"data", &acl(31, "world", "anyone"), 0, -1, 1, 5)
        .expect("create");
    tree.create_node("/a/b", b"", &[], 0x55, -1, 2, 6)
        .expect("create");
    let bytes = snapshot_bytes(&tree, 2);
    load_snapshot(&bytes, options()).expect("the intact file loads");
    for bit in 0..bytes.len() * 8 {
        let mut damaged = bytes.clone();
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(
            load_snapshot(&damaged, options()).is_err(),
            "bit {bit} flipped and still loaded"
        );
    }
}

/// Every prefix of a file is refused, never loaded, and never panics.
#[test]
fn every_truncation_of_a_snapshot_is_caught() {
    let (tree, zxid) = sample_tree();
    let bytes = snapshot_bytes(&tree, zxid);
    for len in 0..bytes.len() {
        assert!(
            load_snapshot(&bytes[..len], options()).is_err(),
            "a {len}-byte prefix loaded"
        );
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 8]);
    assert!(matches!(
        load_snapshot(&longer, options()),
        Err(SnapshotError::LengthMismatch { .. })
    ));
}

/// A file whose checksums were recomputed after its bytes were changed
/// (a crafted file, or a writer bug): every check after the CRC must hold
/// on its own. Thousands of such files are refused or loaded, never a
/// panic, and never an allocation beyond the file's size.
#[test]
fn crafted_files_with_valid_checksums_never_panic_the_loader() {
    let (tree, zxid) = sample_tree();
    let bytes = snapshot_bytes(&tree, zxid);
    let mut resealed = bytes.clone();
    reseal(&mut resealed);
    assert_eq!(resealed, bytes, "the test's CRC is the format's");
    let mut rng = Rng(7);
    let mut refused = 0;
    for _ in 0..2_000 {
        let mut crafted = bytes.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(crafted.len());
            crafted[at] = match rng.below(3) {
                0 => 0xff,
                1 => 0,
                _ => rng.next() as u8,
            };
        }
        reseal(&mut crafted);
        match load_snapshot(&crafted, options()) {
            Err(SnapshotError::ChecksumMismatch { .. }) => panic!("resealed files pass the CRC"),
            Err(_) => refused += 1,
            Ok(_) => {}
        }
    }
    // Most changes hit a length, a name, a parent or the digest.
    assert!(refused > 1_000, "{refused} refused");
}

/// Recompute the header CRC and the file CRC of `bytes`.
fn reseal(bytes: &mut [u8]) {
    let header_crc = crc32c(&bytes[..56]);
    bytes[56..60].copy_from_slice(&header_crc.to_le_bytes());
    let end = bytes.len() - 4;
    let file_crc = crc32c(&bytes[..end]);
    bytes[end..].copy_from_slice(&file_crc.to_le_bytes());
}

/// CRC32C (Castagnoli), bitwise: the tests' own, independent of the crate's.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
