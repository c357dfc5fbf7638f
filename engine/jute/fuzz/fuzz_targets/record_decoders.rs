//! Any bytes, decoded as one record type: the first input byte selects the
//! type among every record of the codec, the rest must decode to it or be
//! refused, never panic; anything decoded must re-encode and decode to the
//! same value.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ringkeeper_jute_fuzz::decode_record;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, bytes)) = input.split_first() else {
        return;
    };
    let _ = decode_record(usize::from(selector), bytes);
});
