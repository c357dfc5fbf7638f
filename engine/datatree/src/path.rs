//! znode path rules: ZooKeeper's `PathUtils.validatePath`, splitting a path
//! into parent and name, and the sequential-node suffix.
//!
//! Indexes in error messages count UTF-16 code units, as Java's do, so the
//! messages match ZooKeeper's byte for byte.

/// Why `path` is not a valid znode path, in ZooKeeper's words; the request
/// processor answers BadArguments with it.
pub fn validate_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("Path length must be > 0".to_string());
    }
    let bytes = path.as_bytes();
    if bytes[0] != b'/' {
        return Err("Path must start with / character".to_string());
    }
    if bytes.len() == 1 {
        return Ok(());
    }
    if bytes[bytes.len() - 1] == b'/' {
        return Err("Path must not end with / character".to_string());
    }
    let mut unit_index = 0;
    let mut previous = '/';
    for (at, c) in path.char_indices() {
        if at > 0 {
            if let Some(reason) = invalid_char_reason(bytes, at, c, previous) {
                return Err(format!(
                    "Invalid path string \"{path}\" caused by {reason} @{unit_index}"
                ));
            }
        }
        unit_index += c.len_utf16();
        previous = c;
    }
    Ok(())
}

/// `validatePath(path, isSequential)`: a sequential create validates the
/// path with a digit appended, so "/queue/" (children named by counter
/// alone) is valid.
pub fn validate_create_path(path: &str, sequential: bool) -> Result<(), String> {
    if sequential {
        validate_path(&format!("{path}1"))
    } else {
        validate_path(path)
    }
}

/// What is wrong with the char `c` at byte `at` (never the first) of a
/// path, if anything. Neighbours are compared as bytes: '/' and '.' are
/// ASCII, and no byte of a multi-byte UTF-8 char is ASCII.
fn invalid_char_reason(bytes: &[u8], at: usize, c: char, previous: char) -> Option<&'static str> {
    let at_end_of_name = |next: usize| next == bytes.len() || bytes[next] == b'/';
    let code = u32::from(c);
    if c == '\0' {
        Some("null character not allowed")
    } else if c == '/' && previous == '/' {
        Some("empty node name specified")
    } else if c == '.' && previous == '.' {
        // `at >= 2`: the previous '.' is not the leading '/'.
        (bytes[at - 2] == b'/' && at_end_of_name(at + 1)).then_some("relative paths not allowed")
    } else if c == '.' {
        (previous == '/' && at_end_of_name(at + 1)).then_some("relative paths not allowed")
    } else if (0x01..=0x1f).contains(&code)
        || (0x7f..=0x9f).contains(&code)
        // Java rejects 0xD800..=0xF8FF: surrogates (so every char beyond
        // the BMP, whose first UTF-16 unit is one) and the private use area.
        || (0xe000..=0xf8ff).contains(&code)
        || code >= 0x1_0000
        || (0xfff0..=0xffff).contains(&code)
    {
        Some("invalid character")
    } else {
        None
    }
}

/// Split a path into its parent's path and its own name:
/// "/a/b" -> ("/a", "b"), "/a" -> ("/", "a"). None for "/" and for paths
/// that do not start with '/' or end with it.
pub fn parent_and_name(path: &str) -> Option<(&str, &str)> {
    if !path.starts_with('/') {
        return None;
    }
    let slash = path.rfind('/')?;
    let name = &path[slash + 1..];
    // An empty name, or an empty name before it ("//a", "/a//b").
    if name.is_empty() || (slash > 0 && path.as_bytes()[slash - 1] == b'/') {
        return None;
    }
    let parent = if slash == 0 { "/" } else { &path[..slash] };
    Some((parent, name))
}

/// The path of a sequential node: the requested path followed by the
/// parent's counter (its persisted cversion) as ZooKeeper prints it with
/// `%010d`: ten digits zero-padded, a negative counter as '-' and nine
/// digits.
pub fn sequential_path(path: &str, counter: i32) -> String {
    format!("{path}{counter:010}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_paths_pass() {
        for path in [
            "/",
            "/a",
            "/a/b",
            "/a.b",
            "/..a",
            "/a..",
            "/.a/b",
            "/é/ü",
            "/a b",
            "/zookeeper",
        ] {
            assert_eq!(validate_path(path), Ok(()), "{path}");
        }
    }

    #[test]
    fn invalid_paths_fail_with_zookeepers_messages() {
        let cases = [
            ("", "Path length must be > 0"),
            ("a", "Path must start with / character"),
            ("/a/", "Path must not end with / character"),
            (
                "//a",
                "Invalid path string \"//a\" caused by empty node name specified @1",
            ),
            (
                "/a//b",
                "Invalid path string \"/a//b\" caused by empty node name specified @3",
            ),
            (
                "/.",
                "Invalid path string \"/.\" caused by relative paths not allowed @1",
            ),
            (
                "/a/./b",
                "Invalid path string \"/a/./b\" caused by relative paths not allowed @3",
            ),
            (
                "/..",
                "Invalid path string \"/..\" caused by relative paths not allowed @2",
            ),
            (
                "/a/../b",
                "Invalid path string \"/a/../b\" caused by relative paths not allowed @4",
            ),
            (
                "/a\0",
                "Invalid path string \"/a\0\" caused by null character not allowed @2",
            ),
            (
                "/a\u{1}",
                "Invalid path string \"/a\u{1}\" caused by invalid character @2",
            ),
            (
                "/\u{7f}",
                "Invalid path string \"/\u{7f}\" caused by invalid character @1",
            ),
            (
                "/\u{e000}",
                "Invalid path string \"/\u{e000}\" caused by invalid character @1",
            ),
            (
                "/\u{fff0}",
                "Invalid path string \"/\u{fff0}\" caused by invalid character @1",
            ),
        ];
        for (path, message) in cases {
            assert_eq!(validate_path(path), Err(message.to_string()), "{path:?}");
        }
    }

    #[test]
    fn error_indexes_count_utf16_units_as_java_does() {
        // 'é' is one UTF-16 unit (two UTF-8 bytes); the emoji is two units
        // and, being beyond the BMP, is itself invalid (a surrogate in Java).
        assert_eq!(
            validate_path("/é//"),
            Err("Path must not end with / character".to_string())
        );
        assert_eq!(
            validate_path("/é//a"),
            Err("Invalid path string \"/é//a\" caused by empty node name specified @3".to_string())
        );
        assert_eq!(
            validate_path("/é\u{1F600}"),
            Err("Invalid path string \"/é\u{1F600}\" caused by invalid character @2".to_string())
        );
    }

    #[test]
    fn sequential_creates_validate_with_a_digit_appended() {
        assert_eq!(validate_create_path("/queue/", true), Ok(()));
        assert!(validate_create_path("/queue/", false).is_err());
        assert_eq!(validate_create_path("/queue/item-", true), Ok(()));
    }

    #[test]
    fn parent_and_name_split_at_the_last_slash() {
        assert_eq!(parent_and_name("/a"), Some(("/", "a")));
        assert_eq!(parent_and_name("/a/b/c"), Some(("/a/b", "c")));
        assert_eq!(parent_and_name("/"), None);
        assert_eq!(parent_and_name("/a/"), None);
        assert_eq!(parent_and_name("a"), None);
        assert_eq!(parent_and_name("//a"), None);
        assert_eq!(parent_and_name("/a//b"), None);
    }

    #[test]
    fn sequential_suffix_is_printed_as_java_percent_010d() {
        assert_eq!(sequential_path("/q/item-", 0), "/q/item-0000000000");
        assert_eq!(sequential_path("/q/item-", 42), "/q/item-0000000042");
        assert_eq!(sequential_path("/q/", i32::MAX), "/q/2147483647");
        // Java: String.format("%010d", -1) is "-000000001".
        assert_eq!(sequential_path("/q/", -1), "/q/-000000001");
        assert_eq!(sequential_path("/q/", i32::MIN), "/q/-2147483648");
    }
}
