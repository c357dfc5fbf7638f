//! Refused changes leave the tree untouched; node ids never come back to
//! life; children are found by borrowed names.

mod common;

use common::open;
use ringkeeper_datatree::{DataTree, TreeError};
use ringkeeper_jute::{Acl, ErrorCode, Perms};

/// Everything a refused change could disturb.
fn fingerprint(tree: &DataTree) -> (u64, usize, i64, usize, Vec<String>) {
    let mut paths = Vec::new();
    tree.walk(|path, node| paths.push(format!("{path} {:?} {}", node.stat(), node.acl_id())));
    paths.sort();
    (
        tree.digest(),
        tree.node_count(),
        tree.approximate_data_size(),
        tree.acl_cache().len(),
        paths,
    )
}

#[test]
fn refused_changes_return_the_error_and_change_nothing() {
    let mut tree = DataTree::new();
    tree.create_node("/a", b"", &open(), 0, -1, 1, 0)
        .expect("create");
    tree.create_node("/a/b", b"", &open(), 0, -1, 2, 0)
        .expect("create");
    tree.create_node("/e", b"", &open(), 77, -1, 3, 0)
        .expect("create ephemeral");
    let before = fingerprint(&tree);

    let other_acl = vec![Acl {
        perms: Perms::READ,
        ..open()[0].clone()
    }];
    let refusals: Vec<(Result<(), TreeError>, TreeError)> = vec![
        (
            tree.create_node("/x/y", b"", &other_acl, 0, -1, 9, 0)
                .map(drop),
            TreeError::NoNode,
        ),
        (
            tree.create_node("/a/b", b"", &other_acl, 0, -1, 9, 0)
                .map(drop),
            TreeError::NodeExists,
        ),
        (
            tree.create_node("/", b"", &open(), 0, -1, 9, 0).map(drop),
            TreeError::NodeExists,
        ),
        (
            tree.create_node("/e/child", b"", &other_acl, 0, -1, 9, 0)
                .map(drop),
            TreeError::NoChildrenForEphemerals,
        ),
        (
            tree.create_node("/a/", b"", &open(), 0, -1, 9, 0).map(drop),
            TreeError::BadPath,
        ),
        (
            tree.create_node("a", b"", &open(), 0, -1, 9, 0).map(drop),
            TreeError::BadPath,
        ),
        (
            tree.create_node("//a", b"", &open(), 0, -1, 9, 0).map(drop),
            TreeError::BadPath,
        ),
        (
            tree.create_node("//new", b"", &open(), 0, -1, 9, 0)
                .map(drop),
            TreeError::BadPath,
        ),
        (
            tree.create_node("/a//new", b"", &open(), 0, -1, 9, 0)
                .map(drop),
            TreeError::BadPath,
        ),
        (
            tree.create_node("/a/b/", b"", &open(), 0, -1, 9, 0)
                .map(drop),
            TreeError::BadPath,
        ),
        (tree.delete_node("/a", 9), TreeError::NotEmpty),
        (tree.delete_node("/a/zz", 9), TreeError::NoNode),
        (tree.delete_node("/zz/a", 9), TreeError::NoNode),
        (tree.delete_node("/", 9), TreeError::BadPath),
        (
            tree.set_data("/zz", b"x", 1, 9, 0).map(drop),
            TreeError::NoNode,
        ),
        (
            tree.set_acl("/zz", &other_acl, 1).map(drop),
            TreeError::NoNode,
        ),
        (
            tree.set_data("/a/", b"x", 1, 9, 0).map(drop),
            TreeError::NoNode,
        ),
    ];
    for (index, (result, expected)) in refusals.into_iter().enumerate() {
        assert_eq!(result, Err(expected), "refusal {index}");
    }
    assert_eq!(fingerprint(&tree), before);
    tree.check_invariants().expect("consistent");
}

#[test]
fn an_unknown_extended_owner_is_refused_when_extended_types_are_on() {
    let mut tree = DataTree::with_options(ringkeeper_datatree::TreeOptions {
        extended_types_enabled: true,
        ..Default::default()
    });
    let before = fingerprint(&tree);
    let owner = 0xff01_0000_0000_0001_u64 as i64;
    let refused = tree.create_node("/x", b"", &open(), owner, -1, 1, 0);
    assert!(matches!(refused, Err(TreeError::InvalidEphemeralOwner(_))));
    assert_eq!(
        refused.map(drop).map_err(TreeError::error_code),
        Err(ErrorCode::BadArguments)
    );
    assert_eq!(fingerprint(&tree), before);
}

#[test]
fn errors_map_to_zookeeper_codes_and_read_clearly() {
    assert_eq!(TreeError::NoNode.error_code(), ErrorCode::NoNode);
    assert_eq!(TreeError::NodeExists.error_code(), ErrorCode::NodeExists);
    assert_eq!(TreeError::NotEmpty.error_code(), ErrorCode::NotEmpty);
    assert_eq!(
        TreeError::NoChildrenForEphemerals.error_code(),
        ErrorCode::NoChildrenForEphemerals
    );
    assert_eq!(TreeError::NotEmpty.to_string(), "node has children");
}

#[test]
fn an_id_of_a_deleted_node_never_resolves_again_even_after_its_slot_is_reused() {
    let mut tree = DataTree::new();
    let first = tree
        .create_node("/a", b"1", &open(), 0, -1, 1, 0)
        .expect("create");
    tree.delete_node("/a", 2).expect("delete");
    assert!(tree.node(first).is_none());
    assert_eq!(tree.path(first), None);
    // The freed slot is the next one used.
    let second = tree
        .create_node("/a", b"2", &open(), 0, -1, 3, 0)
        .expect("create");
    assert_eq!(second.index(), first.index());
    assert_ne!(second, first);
    assert!(tree.node(first).is_none());
    assert_eq!(tree.node(second).map(|n| n.data()), Some(&b"2"[..]));
    assert_eq!(tree.lookup("/a"), Some(second));
    // Many generations later the first id is still dead.
    for zxid in 4..100 {
        tree.delete_node("/a", zxid).expect("delete");
        let id = tree
            .create_node("/a", b"", &open(), 0, -1, zxid, 0)
            .expect("create");
        assert_eq!(id.index(), first.index());
        assert!(tree.node(first).is_none());
        assert!(tree.node(second).is_none());
    }
}

#[test]
#[should_panic(expected = "stale NodeId")]
fn a_stale_id_passed_to_stat_is_a_bug_and_panics() {
    let mut tree = DataTree::new();
    let id = tree
        .create_node("/a", b"", &open(), 0, -1, 1, 0)
        .expect("create");
    tree.delete_node("/a", 2).expect("delete");
    let _ = tree.stat(id);
}

#[test]
fn lookup_walks_names_and_rejects_non_canonical_paths() {
    let mut tree = DataTree::new();
    for (zxid, path) in ["/a", "/a/b", "/a/b/c", "/ab"].into_iter().enumerate() {
        tree.create_node(path, path.as_bytes(), &open(), 0, -1, zxid as i64 + 1, 0)
            .expect("create");
    }
    let c = tree.lookup("/a/b/c").expect("exists");
    assert_eq!(tree.path(c).as_deref(), Some("/a/b/c"));
    assert_eq!(tree.get("/a/b/c").map(|n| n.name()), Some("c"));
    assert_eq!(tree.get("/").map(|n| n.name()), Some(""));
    for missing in ["", "a", "/a/", "//a", "/a//b", "/a/b/c/d", "/b", "/a/bc"] {
        assert_eq!(tree.lookup(missing), None, "{missing:?}");
    }
    let a = tree.lookup("/a").expect("exists");
    assert_eq!(tree.children(a).collect::<Vec<_>>(), vec!["b"]);
    let mut top: Vec<&str> = tree.children(tree.lookup("/").expect("root")).collect();
    top.sort_unstable();
    assert_eq!(top, vec!["a", "ab", "zookeeper"]);
}

#[test]
fn ten_thousand_children_are_found_listed_and_removed() {
    let mut tree = DataTree::new();
    tree.create_node("/p", b"", &open(), 0, -1, 1, 0)
        .expect("create");
    for i in 0..10_000 {
        tree.create_node(&format!("/p/c{i}"), b"", &open(), 0, -1, i + 2, 0)
            .expect("create");
    }
    let p = tree.lookup("/p").expect("exists");
    assert_eq!(tree.node(p).map(|n| n.child_count()), Some(10_000));
    assert_eq!(tree.children(p).count(), 10_000);
    assert_eq!(tree.all_children_number("/p"), Some(10_000));
    assert!(tree.lookup("/p/c9999").is_some());
    for i in 0..9_990 {
        tree.delete_node(&format!("/p/c{i}"), 20_000 + i)
            .expect("delete");
    }
    assert_eq!(tree.children(p).count(), 10);
    assert!(tree.lookup("/p/c9995").is_some());
    assert!(tree.lookup("/p/c5").is_none());
    tree.check_invariants().expect("consistent");
}
