//! `ringkeeper dump-snapshot FILE`: a snapshot as text, laid out like
//! ZooKeeper's `SnapshotFormatter` (a block per znode, then the sessions).

use std::collections::HashMap;
use std::fmt::{self, Write};
use std::io;
use std::path::Path;

use ringkeeper_jute::{Acl, Perms};

use crate::error::SnapshotError;
use crate::format::Header;
use crate::fs::map_file;
use crate::reader::SnapshotReader;

/// Data bytes shown per node; longer data is cut with its length given.
pub const DUMP_DATA_BYTES_MAX: usize = 64;

/// Why a file could not be dumped whole.
#[derive(Debug)]
pub enum DumpError {
    Io(io::Error),
    /// The file is not a valid snapshot; `partial` holds what could be
    /// read (the header, when it is intact) for the operator.
    Invalid {
        partial: String,
        error: SnapshotError,
    },
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DumpError::Io(error) => error.fmt(f),
            DumpError::Invalid { partial, error } => {
                write!(f, "{partial}invalid snapshot: {error}")
            }
        }
    }
}

impl std::error::Error for DumpError {}

/// The snapshot at `path` as text.
pub fn dump_snapshot(path: &Path) -> Result<String, DumpError> {
    let bytes = map_file(path).map_err(DumpError::Io)?;
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "ringkeeper snapshot {}", path.display());
    dump_snapshot_bytes(&bytes, &mut out)?;
    Ok(out)
}

/// Append the text of a snapshot's `bytes` to `out`.
pub fn dump_snapshot_bytes(bytes: &[u8], out: &mut String) -> Result<(), DumpError> {
    let reader = match SnapshotReader::open(bytes) {
        Ok(reader) => reader,
        Err(error) => {
            if let Ok(header) = Header::decode(bytes) {
                let _ = write_header(out, &header);
            }
            return Err(DumpError::Invalid {
                partial: std::mem::take(out),
                error,
            });
        }
    };
    write_body(out, &reader).map_err(|error| DumpError::Invalid {
        partial: std::mem::take(out),
        error,
    })
}

fn write_header(out: &mut String, header: &Header) -> fmt::Result {
    writeln!(
        out,
        "format version {}, {} bytes",
        header.format_version, header.file_bytes
    )?;
    writeln!(
        out,
        "zxid: {:#x} (the log is replayed from the txn after it)",
        header.zxid
    )?;
    writeln!(
        out,
        "nodes: {}, ACL lists: {}, sessions: {}",
        header.node_count, header.acl_list_count, header.session_count
    )
}

fn write_body(out: &mut String, reader: &SnapshotReader<'_>) -> Result<(), SnapshotError> {
    let header = reader.header();
    let footer = reader.footer();
    let _ = write_header(out, header);
    let _ = if header.is_fuzzy() {
        writeln!(
            out,
            "fuzzy: yes; digest {:#018x} holds once the log is replayed through zxid {:#x}",
            footer.digest, footer.digest_zxid
        )
    } else {
        writeln!(out, "fuzzy: no; digest {:#018x}", footer.digest)
    };
    let _ = writeln!(out, "checksum: {:#010x} (valid)", footer.file_crc);

    let _ = writeln!(out, "----\nACL lists (number: perms scheme:id, ...):");
    for list in reader.acl_lists() {
        let (id, acls) = list?;
        let _ = writeln!(out, "{id}: {}", acl_text(&acls));
    }

    let _ = writeln!(out, "----\nZNode Details (count={}):", header.node_count);
    let mut paths: Vec<String> = Vec::new();
    let mut ephemerals: HashMap<i64, usize> = HashMap::new();
    for record in reader.nodes() {
        let record = record?;
        let path = match record.parent {
            None => "/".to_string(),
            Some(0) => format!("/{}", record.name),
            // The reader checked parent < index.
            Some(parent) => format!("{}/{}", paths[parent as usize], record.name),
        };
        let stat = &record.stat;
        *ephemerals.entry(stat.ephemeral_owner).or_default() += 1;
        let _ = writeln!(out, "{path}");
        let _ = writeln!(out, "  cZxid = {:#x}", stat.czxid);
        let _ = writeln!(out, "  ctime = {}", utc_text(stat.ctime_ms));
        let _ = writeln!(out, "  mZxid = {:#x}", stat.mzxid);
        let _ = writeln!(out, "  mtime = {}", utc_text(stat.mtime_ms));
        let _ = writeln!(out, "  pZxid = {:#x}", stat.pzxid);
        let _ = writeln!(out, "  cversion = {} (child creations)", stat.cversion);
        let _ = writeln!(out, "  dataVersion = {}", stat.version);
        let _ = writeln!(out, "  aclVersion = {}", stat.aversion);
        let _ = writeln!(out, "  ephemeralOwner = {:#x}", stat.ephemeral_owner);
        let _ = writeln!(out, "  acl = {}", record.acl_id);
        let data = record.data.unwrap_or_default();
        let _ = writeln!(out, "  dataLength = {}", data.len());
        if record.data.is_none() {
            let _ = writeln!(out, "  data = null");
        } else if !data.is_empty() {
            let shown = &data[..data.len().min(DUMP_DATA_BYTES_MAX)];
            let more = if shown.len() < data.len() { " ..." } else { "" };
            let _ = writeln!(out, "  data = \"{}\"{more}", shown.escape_ascii());
        }
        paths.push(path);
    }

    let _ = writeln!(out, "----\nSession Details (sid, timeout, ephemeralCount):");
    for session in reader.sessions() {
        let session = session?;
        let _ = writeln!(
            out,
            "{:#x}, {}, {}",
            session.session_id,
            session.timeout_ms,
            ephemerals.get(&session.session_id).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(out, "----\nLast zxid: {:#x}", footer.digest_zxid);
    Ok(())
}

/// "cdrwa world:anyone, r ip:10.0.0.1", as ZooKeeper prints permissions.
fn acl_text(acls: &[Acl]) -> String {
    let perms = |bits: i32| {
        [
            (Perms::CREATE, 'c'),
            (Perms::DELETE, 'd'),
            (Perms::READ, 'r'),
            (Perms::WRITE, 'w'),
            (Perms::ADMIN, 'a'),
        ]
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, letter)| *letter)
        .collect::<String>()
    };
    acls.iter()
        .map(|acl| format!("{} {}:{}", perms(acl.perms), acl.id.scheme, acl.id.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Milliseconds since the epoch as "2024-01-02T03:04:05.678Z".
fn utc_text(time_ms: i64) -> String {
    let days = time_ms.div_euclid(86_400_000);
    let ms_of_day = time_ms.rem_euclid(86_400_000);
    // Days to a civil date (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc() {
        assert_eq!(utc_text(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_text(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(utc_text(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(utc_text(-1), "1969-12-31T23:59:59.999Z");
    }
}
