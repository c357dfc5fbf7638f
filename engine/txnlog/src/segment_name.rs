//! Segment file names: `log.<first zxid in lower-case hex>`, as ZooKeeper
//! names its txn logs, and the temporary name a segment is prepared under.

/// The prefix of every segment file name.
pub const SEGMENT_PREFIX: &str = "log.";
/// The suffix of a segment still being zero-filled (never a segment).
pub const TEMP_SUFFIX: &str = ".tmp";
/// The spare segment zero-filled ahead of need, before it has a zxid.
pub const PREALLOC_FILE_NAME: &str = "log.prealloc.tmp";

/// `log.<hex>` for a segment starting at `first_zxid`.
pub fn segment_file_name(first_zxid: i64) -> String {
    format!("{SEGMENT_PREFIX}{first_zxid:x}")
}

/// The name a segment is prepared under before its rename.
pub fn temp_file_name(first_zxid: i64) -> String {
    format!("{SEGMENT_PREFIX}{first_zxid:x}{TEMP_SUFFIX}")
}

/// The first zxid a segment file name carries, or None when the name is
/// not a segment's (temporary files included).
pub fn parse_segment_file_name(name: &str) -> Option<i64> {
    let hex = name.strip_prefix(SEGMENT_PREFIX)?;
    if hex.is_empty() || hex.len() > 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let zxid = u64::from_str_radix(hex, 16).ok()? as i64;
    // Only the canonical spelling names a segment, so one zxid has one file.
    (segment_file_name(zxid) == name).then_some(zxid)
}

/// Whether `name` is a leftover temporary segment (or the spare).
pub fn is_temp_file_name(name: &str) -> bool {
    name == PREALLOC_FILE_NAME
        || name
            .strip_suffix(TEMP_SUFFIX)
            .is_some_and(|stem| parse_segment_file_name(stem).is_some())
}
