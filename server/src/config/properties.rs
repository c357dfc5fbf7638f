//! Java's `.properties` syntax, read the way `java.util.Properties.load`
//! reads it (which is how ZooKeeper reads `zoo.cfg`), followed by the
//! trimming ZooKeeper's `QuorumPeerConfig` applies to every key and value.
//!
//! - A line whose first non-blank character is `#` or `!` is a comment.
//!   Blank means space, tab or form feed; lines end with `\n`, `\r\n` or `\r`.
//! - The key ends at the first unescaped `=`, `:` or blank. Blanks after it,
//!   then one `=` or `:` (if the key did not end with one), then blanks
//!   again are skipped; the rest of the line is the value. So `k=v`, `k: v`
//!   and `k v` are the same, and `k==v` has the value `=v`.
//! - A line ending in an odd number of backslashes continues on the next
//!   line, whose leading blanks are dropped. A comment never continues.
//! - `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes; a backslash before
//!   any other character stands for that character.

/// One `key=value` entry, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Property {
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// A line Java's reader would refuse (only malformed `\u` escapes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub line: usize,
    pub message: String,
}

/// Reads every entry of `text`, in file order (repeated keys included).
pub(crate) fn read_properties(text: &str) -> Result<Vec<Property>, SyntaxError> {
    let lines = physical_lines(text);
    let mut properties = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let start_line = index + 1;
        let first = skip_blanks(lines[index]);
        index += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        let mut logical = String::from(first);
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.get(index) {
                Some(next) => {
                    logical.push_str(skip_blanks(next));
                    index += 1;
                }
                None => break,
            }
        }
        let (raw_key, raw_value) = split_key_value(&logical);
        let key = unescape(raw_key).map_err(|message| SyntaxError {
            line: start_line,
            message,
        })?;
        let value = unescape(raw_value).map_err(|message| SyntaxError {
            line: start_line,
            message,
        })?;
        properties.push(Property {
            line: start_line,
            key: java_trim(&key).to_owned(),
            value: java_trim(&value).to_owned(),
        });
    }
    Ok(properties)
}

/// Java's `String.trim`: drops every character up to U+0020 from both ends.
pub(crate) fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

fn skip_blanks(line: &str) -> &str {
    line.trim_start_matches(is_blank)
}

/// Splits on `\r\n`, `\n` and lone `\r`, as Java's line reader does.
fn physical_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

/// Splits a logical line into its still-escaped key and value.
fn split_key_value(line: &str) -> (&str, &str) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_separator = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if !escaped && (c == '=' || c == ':') {
            key_end = i;
            value_start = i + 1;
            has_separator = true;
            break;
        }
        if !escaped && is_blank(c) {
            key_end = i;
            value_start = i + 1;
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    let mut rest = &line[value_start..];
    loop {
        rest = skip_blanks(rest);
        match rest.chars().next() {
            Some(c @ ('=' | ':')) if !has_separator => {
                has_separator = true;
                rest = &rest[c.len_utf8()..];
            }
            _ => break,
        }
    }
    (&line[..key_end], rest)
}

/// Resolves backslash escapes. `\u` escapes are UTF-16 code units, so a
/// surrogate pair written as two escapes becomes one character; a lone
/// surrogate becomes U+FFFD.
fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('\\') {
        return Ok(s.to_owned());
    }
    let mut units: Vec<u16> = Vec::with_capacity(s.len());
    let mut chars = s.chars();
    let mut buf = [0u16; 2];
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next() {
                None => break,
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('f') => '\x0c',
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let unit = (hex.len() == 4)
                        .then(|| u16::from_str_radix(&hex, 16).ok())
                        .flatten()
                        .filter(|_| hex.chars().all(|h| h.is_ascii_hexdigit()))
                        .ok_or_else(|| format!("malformed \\uXXXX escape \"\\u{hex}\""))?;
                    units.push(unit);
                    continue;
                }
                Some(other) => other,
            }
        } else {
            c
        };
        units.extend_from_slice(c.encode_utf16(&mut buf));
    }
    Ok(String::from_utf16_lossy(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(usize, String, String)> {
        read_properties(text)
            .unwrap()
            .into_iter()
            .map(|p| (p.line, p.key, p.value))
            .collect()
    }

    fn one(key: &str, value: &str, line: usize) -> (usize, String, String) {
        (line, key.to_owned(), value.to_owned())
    }

    #[test]
    fn equals_colon_and_blank_separate_key_from_value() {
        assert_eq!(
            pairs("a=1\n  b : 2  \nc 3\nd\t=\t4\n\x0ce=5\n"),
            vec![
                one("a", "1", 1),
                one("b", "2", 2),
                one("c", "3", 3),
                one("d", "4", 4),
                one("e", "5", 5)
            ]
        );
    }

    #[test]
    fn only_one_separator_is_skipped_after_the_key() {
        assert_eq!(
            pairs("q==v\nr:=v\ns = : t\n"),
            vec![one("q", "=v", 1), one("r", "=v", 2), one("s", ": t", 3)]
        );
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_lines_still_counted() {
        assert_eq!(
            pairs("# c\n\n   ! c2\n \t \nk=v\n#x=y\n"),
            vec![one("k", "v", 5)]
        );
    }

    #[test]
    fn a_key_alone_has_an_empty_value_and_a_lone_value_an_empty_key() {
        assert_eq!(pairs("u\n=v\n"), vec![one("u", "", 1), one("", "v", 2)]);
    }

    #[test]
    fn odd_trailing_backslash_continues_the_line_and_drops_leading_blanks() {
        assert_eq!(
            pairs("h=multi \\\n    line \\\n  end\ni=back\\\\\nz=x"),
            vec![
                one("h", "multi line end", 1),
                one("i", "back\\", 4),
                one("z", "x", 5)
            ]
        );
    }

    #[test]
    fn a_continued_line_may_continue_the_key_and_start_with_a_hash() {
        assert_eq!(
            pairs("c\\\n  d=x\na=1 \\\n# not a comment\n"),
            vec![one("cd", "x", 1), one("a", "1 # not a comment", 3)]
        );
    }

    #[test]
    fn a_comment_ending_in_backslash_does_not_continue() {
        assert_eq!(pairs("# c \\\nk=v\n"), vec![one("k", "v", 2)]);
    }

    #[test]
    fn a_backslash_at_end_of_file_is_dropped() {
        assert_eq!(pairs("z=last\\"), vec![one("z", "last", 1)]);
    }

    #[test]
    fn escapes_in_keys_and_values_are_resolved() {
        assert_eq!(
            pairs("l\\:m=a\nn\\ o=b\ne\\=f = g\np=\\u0041\\t\\q\\=x\nb=\\u00e9\\uD83D\\uDE00\n"),
            vec![
                one("l:m", "a", 1),
                one("n o", "b", 2),
                one("e=f", "g", 3),
                one("p", "A\tq=x", 4),
                one("b", "\u{e9}\u{1F600}", 5)
            ]
        );
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        assert_eq!(
            pairs("v=trail  \r\nw=crlf\r\nx=cr\ry=after\n"),
            vec![
                one("v", "trail", 1),
                one("w", "crlf", 2),
                one("x", "cr", 3),
                one("y", "after", 4)
            ]
        );
    }

    #[test]
    fn malformed_unicode_escape_is_a_syntax_error_naming_the_line() {
        let err = read_properties("a=1\nb=\\u12G4\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("\\u12G4"), "{}", err.message);
        assert!(read_properties("a=\\u12").is_err());
    }

    #[test]
    fn java_trim_drops_control_characters_too() {
        assert_eq!(java_trim("\u{1}\t x \r\u{0}"), "x");
        assert_eq!(java_trim("\u{a0}x"), "\u{a0}x");
    }
}
