//! Bytes per node, printed (run with `--nocapture` to read them), and a
//! guard that the node slot stays compact. No timing is measured.

use ringkeeper_datatree::DataTree;
use ringkeeper_jute::{Acl, Id, Perms};

/// A `Node` plus its slot's generation. Every byte more costs 1 MB per
/// million nodes: think before raising it.
const SLOT_BYTES_MAX: usize = 120;

/// glibc malloc: 8 bytes of header, 16-byte granularity, 32 bytes minimum.
fn malloc_chunk_bytes(requested: usize) -> usize {
    if requested == 0 {
        return 0;
    }
    (requested + 8).div_ceil(16).max(2) * 16
}

#[test]
fn a_node_slot_stays_compact_and_bytes_per_node_are_reported() {
    const PARENTS: usize = 100;
    const LEAVES_PER_PARENT: usize = 1_000;
    const DATA_BYTES: usize = 16;
    let open = vec![Acl {
        perms: Perms::ALL,
        id: Id {
            scheme: "world".to_string(),
            id: "anyone".to_string(),
        },
    }];
    let mut tree = DataTree::new();
    let data = [7u8; DATA_BYTES];
    let mut zxid = 1;
    let mut names_and_data = 0usize;
    for parent in 0..PARENTS {
        let parent_path = format!("/app-{parent:03}");
        tree.create_node(&parent_path, &[], &open, 0, -1, zxid, 0)
            .expect("create");
        zxid += 1;
        for leaf in 0..LEAVES_PER_PARENT {
            let name = format!("member-{leaf:010}");
            names_and_data += malloc_chunk_bytes(name.len() + DATA_BYTES);
            tree.create_node(
                &format!("{parent_path}/{name}"),
                &data,
                &open,
                0,
                -1,
                zxid,
                0,
            )
            .expect("create");
            zxid += 1;
        }
    }
    let nodes = tree.node_count() - 1;
    let usage = tree.memory_usage();
    let total = usage.arena_bytes + usage.node_heap_bytes;
    println!(
        "{nodes} nodes (names 17 bytes, data {DATA_BYTES} bytes): slot {} B, \
         arena {:.1} B/node, heap requested {:.1} B/node, total {:.1} B/node; \
         with glibc's chunk rounding of each leaf buffer about {:.1} B/node",
        usage.slot_bytes,
        usage.arena_bytes as f64 / nodes as f64,
        usage.node_heap_bytes as f64 / nodes as f64,
        total as f64 / nodes as f64,
        (usage.arena_bytes + usage.node_heap_bytes
            - (PARENTS * LEAVES_PER_PARENT) * (17 + DATA_BYTES)
            + names_and_data) as f64
            / nodes as f64,
    );
    assert!(
        usage.slot_bytes <= SLOT_BYTES_MAX,
        "slot grew to {} bytes",
        usage.slot_bytes
    );
    assert_eq!(nodes, PARENTS * (LEAVES_PER_PARENT + 1) + 4);
}
