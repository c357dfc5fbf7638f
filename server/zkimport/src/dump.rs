//! A human-readable account of a data dir: which snapshot, what it holds,
//! every txn after it, and what was passed over. For tests and for a
//! future `ringkeeper import-zk --dry-run`.

use std::fmt::Write;
use std::path::Path;

use ringkeeper_jute::{Acl, NodeData, Perms};

use crate::data_dir::{read_data_dir, ZkDataDir};
use crate::ephemeral::ZkEphemeralType;
use crate::error::ImportError;
use crate::txn_record::ZkTxnRecord;

/// How many bytes of a node's or txn's data are shown.
pub const DUMP_DATA_BYTES_MAX: usize = 32;

/// Reads `dir` as [`read_data_dir`] does and describes it.
pub fn dump(dir: &Path) -> Result<String, ImportError> {
    Ok(dump_data_dir(&read_data_dir(dir)?))
}

/// Describes a read data dir.
pub fn dump_data_dir(data_dir: &ZkDataDir) -> String {
    let mut out = String::new();
    let snapshot = &data_dir.snapshot;
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "snapshot {} (zxid 0x{:x}, db id {}): {} sessions, {} ACL lists, {} nodes",
        data_dir.snapshot_file.display(),
        snapshot.zxid,
        snapshot.db_id,
        snapshot.sessions.len(),
        snapshot.acls.len(),
        snapshot.nodes.len()
    );
    if let Some(digest) = snapshot.digest {
        let _ = writeln!(out, "  {digest}");
    }
    for (session_id, timeout_ms) in &snapshot.sessions {
        let _ = writeln!(out, "  session 0x{session_id:x} timeout {timeout_ms} ms");
    }
    for (acl_ref, acls) in &snapshot.acls {
        let _ = writeln!(out, "  acl {acl_ref}: {}", format_acls(acls));
    }
    for node in &snapshot.nodes {
        let stat = &node.stat;
        let _ = writeln!(
            out,
            "  node {} acl {} czxid 0x{:x} mzxid 0x{:x} pzxid 0x{:x} version {} cversion {} \
             aversion {} {} data {}",
            node.path,
            node.acl,
            stat.czxid,
            stat.mzxid,
            stat.pzxid,
            stat.version,
            stat.cversion,
            stat.aversion,
            format_owner(stat.ephemeral_owner),
            format_data(&node.data)
        );
    }
    let _ = writeln!(out, "txns after the snapshot: {}", data_dir.txns.len());
    for txn in &data_dir.txns {
        let header = &txn.header;
        let _ = writeln!(
            out,
            "  0x{:x} session 0x{:x} cxid {} time {} {} ({} @{})",
            header.zxid,
            header.client_id,
            header.cxid,
            header.time,
            format_record(&txn.record),
            txn.file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default(),
            txn.offset
        );
    }
    let _ = writeln!(out, "last zxid 0x{:x}", data_dir.last_zxid);
    for note in &data_dir.skipped {
        let _ = writeln!(out, "skipped: {note}");
    }
    out
}

fn format_record(record: &ZkTxnRecord) -> String {
    match record {
        ZkTxnRecord::Create(txn) => format!(
            "create {}{} acl {} parent cversion {} data {}",
            txn.path,
            if txn.ephemeral { " (ephemeral)" } else { "" },
            format_acls(&txn.acl),
            txn.parent_cversion,
            format_data(&txn.data)
        ),
        ZkTxnRecord::CreateContainer(txn) => format!(
            "createContainer {} acl {} parent cversion {} data {}",
            txn.path,
            format_acls(&txn.acl),
            txn.parent_cversion,
            format_data(&txn.data)
        ),
        ZkTxnRecord::CreateTtl(txn) => format!(
            "createTTL {} ttl {} ms acl {} parent cversion {} data {}",
            txn.path,
            txn.ttl,
            format_acls(&txn.acl),
            txn.parent_cversion,
            format_data(&txn.data)
        ),
        ZkTxnRecord::Delete(txn) => format!("delete {}", txn.path),
        ZkTxnRecord::SetData(txn) => format!(
            "setData {} version {} data {}",
            txn.path,
            txn.version,
            format_data(&txn.data)
        ),
        ZkTxnRecord::SetAcl(txn) => format!(
            "setACL {} version {} acl {}",
            txn.path,
            txn.version,
            format_acls(&txn.acl)
        ),
        ZkTxnRecord::Check(txn) => format!("check {} version {}", txn.path, txn.version),
        ZkTxnRecord::Multi(subs) => {
            let parts: Vec<String> = subs.iter().map(|(_, sub)| format_record(sub)).collect();
            format!("multi [{}]", parts.join("; "))
        }
        ZkTxnRecord::CreateSession(txn) => format!("createSession timeout {} ms", txn.time_out),
        ZkTxnRecord::CloseSession(txn) => {
            format!("closeSession deleting {:?}", txn.paths_to_delete)
        }
        ZkTxnRecord::Error(txn) => {
            format!("error {}", ringkeeper_jute::error_name(txn.err))
        }
    }
}

fn format_owner(ephemeral_owner: i64) -> String {
    match ZkEphemeralType::of(ephemeral_owner, true) {
        ZkEphemeralType::Persistent => "persistent".into(),
        ZkEphemeralType::Session(session_id) => format!("ephemeral of 0x{session_id:x}"),
        ZkEphemeralType::Container => "container".into(),
        ZkEphemeralType::Ttl { ttl_ms } => format!("ttl {ttl_ms} ms"),
        ZkEphemeralType::UnknownExtended(owner) => format!("extended owner 0x{owner:x}"),
    }
}

/// ACLs as ZooKeeper's CLI prints permissions: `scheme:id:cdrwa`.
fn format_acls(acls: &[Acl]) -> String {
    let parts: Vec<String> = acls
        .iter()
        .map(|acl| {
            let mut perms = String::new();
            for (bit, letter) in [
                (Perms::CREATE, 'c'),
                (Perms::DELETE, 'd'),
                (Perms::READ, 'r'),
                (Perms::WRITE, 'w'),
                (Perms::ADMIN, 'a'),
            ] {
                if acl.perms & bit != 0 {
                    perms.push(letter);
                }
            }
            format!("{}:{}:{perms}", acl.id.scheme, acl.id.id)
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Data as text when it is printable, else hex; long data is cut; null
/// data as `null`.
fn format_data(data: &NodeData) -> String {
    let Some(data) = data.as_option() else {
        return "null".to_string();
    };
    let shown = &data[..data.len().min(DUMP_DATA_BYTES_MAX)];
    let more = if data.len() > shown.len() {
        format!("... ({} bytes)", data.len())
    } else {
        String::new()
    };
    match std::str::from_utf8(shown) {
        Ok(text) if text.chars().all(|c| !c.is_control()) => format!("{text:?}{more}"),
        _ => {
            let hex: String = shown.iter().map(|byte| format!("{byte:02x}")).collect();
            format!("0x{hex}{more}")
        }
    }
}
