//! ZooKeeper's data file names: `snapshot.<zxid>` and `log.<zxid>`, the
//! zxid in hex as `Long.toHexString` writes it (lower case, no padding);
//! a snapshot may carry its compression as a last extension
//! (`snapshot.<zxid>.gz`, `.snappy`).

/// The file name prefix of snapshots.
pub const SNAPSHOT_PREFIX: &str = "snapshot";
/// The file name prefix of txn logs.
pub const LOG_PREFIX: &str = "log";

/// A data file, recognised by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkFileName {
    /// `snapshot.<zxid>`; `compression` is the extension of a compressed
    /// one (`gz`, `snappy`).
    Snapshot {
        zxid: i64,
        compression: Option<String>,
    },
    /// `log.<zxid>`: the zxid of the first txn written to it.
    Log { zxid: i64 },
}

/// What a file name in a data dir is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameMatch {
    Data(ZkFileName),
    /// It starts like a data file (`snapshot.`, `log.`) but is not one we
    /// read (a zxid that is not hex, an unknown extension).
    Unrecognised,
    /// Anything else (`acceptedEpoch`, `currentEpoch`, ...).
    Other,
}

/// Classifies a file name.
pub fn parse_file_name(name: &str) -> NameMatch {
    let parts: Vec<&str> = name.split('.').collect();
    let is_snapshot = parts[0] == SNAPSHOT_PREFIX;
    let is_log = parts[0] == LOG_PREFIX;
    if parts.len() < 2 || !(is_snapshot || is_log) {
        return NameMatch::Other;
    }
    let zxid = match parse_hex_zxid(parts[1]) {
        Some(zxid) => zxid,
        None => return NameMatch::Unrecognised,
    };
    match (is_snapshot, &parts[2..]) {
        (true, []) => NameMatch::Data(ZkFileName::Snapshot {
            zxid,
            compression: None,
        }),
        (true, [extension]) if *extension == "gz" || *extension == "snappy" => {
            NameMatch::Data(ZkFileName::Snapshot {
                zxid,
                compression: Some((*extension).to_string()),
            })
        }
        (false, []) => NameMatch::Data(ZkFileName::Log { zxid }),
        _ => NameMatch::Unrecognised,
    }
}

/// The name ZooKeeper gives the snapshot of `zxid`.
pub fn snapshot_name(zxid: i64) -> String {
    format!("{SNAPSHOT_PREFIX}.{zxid:x}")
}

/// The name ZooKeeper gives the log whose first txn is `zxid`.
pub fn log_name(zxid: i64) -> String {
    format!("{LOG_PREFIX}.{zxid:x}")
}

fn parse_hex_zxid(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_zookeeper_writes_them_are_recognised() {
        assert_eq!(
            parse_file_name("snapshot.1a2b"),
            NameMatch::Data(ZkFileName::Snapshot {
                zxid: 0x1a2b,
                compression: None
            })
        );
        assert_eq!(
            parse_file_name("snapshot.0.gz"),
            NameMatch::Data(ZkFileName::Snapshot {
                zxid: 0,
                compression: Some("gz".into())
            })
        );
        assert_eq!(
            parse_file_name("log.100000001"),
            NameMatch::Data(ZkFileName::Log {
                zxid: 0x1_0000_0001
            })
        );
        assert_eq!(snapshot_name(0x1a2b), "snapshot.1a2b");
        assert_eq!(log_name(0x1_0000_0001), "log.100000001");
    }

    #[test]
    fn other_names_are_told_apart() {
        assert_eq!(parse_file_name("acceptedEpoch"), NameMatch::Other);
        assert_eq!(parse_file_name("currentEpoch"), NameMatch::Other);
        assert_eq!(parse_file_name("logfile"), NameMatch::Other);
        assert_eq!(parse_file_name("log.xyz"), NameMatch::Unrecognised);
        assert_eq!(parse_file_name("log.-5"), NameMatch::Unrecognised);
        assert_eq!(parse_file_name("log.5.tmp"), NameMatch::Unrecognised);
        assert_eq!(parse_file_name("snapshot.5.bak"), NameMatch::Unrecognised);
        assert_eq!(parse_file_name("snapshot."), NameMatch::Unrecognised);
    }
}
