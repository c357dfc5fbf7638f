//! Shared by the integration tests: the list of every record type.

include!("every_record.rs");
