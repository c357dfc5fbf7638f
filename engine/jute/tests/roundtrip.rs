//! Every record round-trips: decoding its encoding gives it back, and
//! consumes exactly the bytes it was encoded to.

#[macro_use]
mod support;

use std::collections::BTreeSet;
use std::path::Path;

/// One module per record, named after it, so a failure names the record.
macro_rules! round_trip_tests {
    ($($record:ident),* $(,)?) => {
        $(
            #[allow(non_snake_case)]
            mod $record {
                use proptest::prelude::*;
                use ringkeeper_jute::{DecodeError, Jute, Reader};

                type Record = ringkeeper_jute::$record;

                proptest! {
                    #[test]
                    fn decoding_the_encoding_gives_the_value_back(value in any::<Record>()) {
                        let bytes = value.to_bytes();
                        prop_assert_eq!(Record::from_bytes(&bytes), Ok(value.clone()));
                        // The encoding is canonical: encoding again is byte-identical.
                        prop_assert_eq!(Record::from_bytes(&bytes).unwrap().to_bytes(), bytes);
                    }

                    #[test]
                    fn decoding_consumes_exactly_the_encoded_bytes(
                        value in any::<Record>(),
                        trailing in proptest::collection::vec(any::<u8>(), 1..16),
                    ) {
                        let mut bytes = Vec::new();
                        value.encode(&mut bytes);
                        let encoded_len = bytes.len();
                        prop_assert!(encoded_len >= Record::MIN_ENCODED_LEN);
                        bytes.extend_from_slice(&trailing);

                        let mut reader = Reader::new(&bytes);
                        prop_assert_eq!(Record::decode(&mut reader), Ok(value));
                        prop_assert_eq!(reader.position(), encoded_len);
                        prop_assert_eq!(reader.rest(), &trailing[..]);
                        prop_assert_eq!(
                            Record::from_bytes(&bytes),
                            Err(DecodeError::TrailingBytes {
                                record: Record::NAME,
                                count: trailing.len(),
                            })
                        );
                    }
                }

                #[test]
                fn default_value_round_trips_in_min_encoded_len_bytes() {
                    let bytes = Record::default().to_bytes();
                    assert_eq!(Record::from_bytes(&bytes), Ok(Record::default()));
                    assert!(bytes.len() >= Record::MIN_ENCODED_LEN);
                }
            }
        )*

        /// The names of every record the list covers, as written in the list.
        fn listed_records() -> Vec<&'static str> {
            vec![$(stringify!($record)),*]
        }
    };
}

with_every_record!(round_trip_tests);

/// Record names defined in one source file of the codec: the records a
/// `jute_records!`/`jute_record!` invocation declares (a line that is just
/// `Name {`), and the types with a hand-written `impl Jute for Name`.
fn records_defined_in(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let uses_record_macro = source.contains("jute_records!") || source.contains("jute_record!");
    for line in source.lines() {
        let trimmed = line.trim();
        if uses_record_macro {
            if let Some(name) = trimmed.strip_suffix(" {") {
                let is_type_name = name.starts_with(|c: char| c.is_ascii_uppercase())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if is_type_name {
                    names.push(name.to_owned());
                }
            }
        }
        for marker in [
            "impl Jute for ",
            "impl crate::wire::Jute for ",
            "impl wire::Jute for ",
        ] {
            if let Some(rest) = trimmed.strip_prefix(marker) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                names.push(name);
            }
        }
    }
    names
}

fn rust_files_under(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("reading {}: {err}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files_under(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn every_record_in_the_source_is_listed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files_under(&src, &mut files);

    let mut defined = BTreeSet::new();
    for file in &files {
        // macros.rs defines the record macros; it declares no record.
        if file.ends_with("macros.rs") {
            continue;
        }
        let source = std::fs::read_to_string(file).expect("readable source file");
        for name in records_defined_in(&source) {
            assert!(
                defined.insert(name.clone()),
                "{name} is defined twice in the codec's source"
            );
        }
    }

    let listed_in_order = listed_records();
    let listed: BTreeSet<String> = listed_in_order.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        listed.len(),
        listed_in_order.len(),
        "tests/support/every_record.rs lists a record twice"
    );
    let unlisted: Vec<_> = defined.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&defined).collect();
    assert!(
        unlisted.is_empty() && unknown.is_empty(),
        "records defined but not in tests/support/every_record.rs: {unlisted:?}; \
         listed there but not found in src/: {unknown:?}"
    );
    // Guards the scan itself: 72 records declared with jute_records! plus
    // ConnectRequest, ConnectResponse, MultiRequest and MultiResponse.
    assert_eq!(defined.len(), 76);
}

#[test]
fn records_with_optional_trailing_field_are_listed_records() {
    let listed = listed_records();
    for name in support::RECORDS_WITH_OPTIONAL_TRAILING_FIELD {
        assert!(listed.contains(name), "{name} is not a listed record");
    }
}
