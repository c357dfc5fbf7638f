//! `jute_record!` turns a record written as in zookeeper.jute into a Rust
//! struct plus its [`Jute`](crate::Jute) impl, so the grammar is the code.
//!
//! Field kinds: `int`, `long`, `boolean`, `ustring`, `buffer`,
//! `node_data` (a buffer holding a znode's data, whose null is kept: see
//! [`crate::NodeData`]), `vector<KIND>`, or the name of another record.

macro_rules! jute_rust_type {
    (int) => { i32 };
    (long) => { i64 };
    (boolean) => { bool };
    (ustring) => { String };
    (buffer) => { Vec<u8> };
    (node_data) => { $crate::node_data::NodeData };
    (vector < $inner:ident >) => { Vec<jute_rust_type!($inner)> };
    ($record:ident) => { $record };
}

macro_rules! jute_min_len {
    (int) => {
        4
    };
    (long) => {
        8
    };
    (boolean) => {
        1
    };
    (ustring) => {
        4
    };
    (buffer) => {
        4
    };
    (node_data) => {
        4
    };
    (vector < $inner:ident >) => {
        4
    };
    ($record:ident) => {
        <$record as $crate::wire::Jute>::MIN_ENCODED_LEN
    };
}

macro_rules! jute_encode {
    (int, $value:expr, $out:expr) => {
        $crate::wire::put_int($out, *$value)
    };
    (long, $value:expr, $out:expr) => {
        $crate::wire::put_long($out, *$value)
    };
    (boolean, $value:expr, $out:expr) => {
        $crate::wire::put_boolean($out, *$value)
    };
    (ustring, $value:expr, $out:expr) => {
        $crate::wire::put_ustring($out, $value)
    };
    (buffer, $value:expr, $out:expr) => {
        $crate::wire::put_buffer($out, $value)
    };
    (node_data, $value:expr, $out:expr) => {
        $crate::wire::put_buffer_or_null($out, $value.as_option())
    };
    (vector < $inner:ident >, $value:expr, $out:expr) => {
        $crate::wire::put_vector($out, $value, |element, out| {
            jute_encode!($inner, element, out)
        })
    };
    ($record:ident, $value:expr, $out:expr) => {
        $crate::wire::Jute::encode($value, $out)
    };
}

macro_rules! jute_decode {
    (int, $reader:expr, $field:expr) => {
        $reader.read_int($field)?
    };
    (long, $reader:expr, $field:expr) => {
        $reader.read_long($field)?
    };
    (boolean, $reader:expr, $field:expr) => {
        $reader.read_boolean($field)?
    };
    (ustring, $reader:expr, $field:expr) => {
        $reader.read_ustring($field)?
    };
    (buffer, $reader:expr, $field:expr) => {
        $reader.read_buffer($field)?
    };
    (node_data, $reader:expr, $field:expr) => {
        $reader.read_node_data($field)?
    };
    (vector < $inner:ident >, $reader:expr, $field:expr) => {
        $reader.read_vector($field, jute_min_len!($inner), |reader| {
            Ok(jute_decode!($inner, reader, $field))
        })?
    };
    ($record:ident, $reader:expr, $field:expr) => {
        <$record as $crate::wire::Jute>::decode($reader)?
    };
}

#[cfg(any(test, feature = "arbitrary"))]
macro_rules! jute_strategy {
    (int) => {
        proptest::prelude::any::<i32>()
    };
    (long) => {
        proptest::prelude::any::<i64>()
    };
    (boolean) => {
        proptest::prelude::any::<bool>()
    };
    (ustring) => {
        proptest::prelude::any::<String>()
    };
    (buffer) => {
        proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48)
    };
    (node_data) => {
        proptest::option::of(proptest::collection::vec(
            proptest::prelude::any::<u8>(),
            0..48,
        ))
        .prop_map($crate::node_data::NodeData::from)
    };
    (vector < $inner:ident >) => {
        proptest::collection::vec(jute_strategy!($inner), 0..4)
    };
    ($record:ident) => {
        proptest::prelude::any::<$record>()
    };
}

macro_rules! jute_record {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$field_meta:meta])* $field:ident : $kind:ident $(< $inner:ident >)? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name {
            $( $(#[$field_meta])* pub $field: jute_rust_type!($kind $(< $inner >)?), )*
        }

        impl $crate::wire::Jute for $name {
            const NAME: &'static str = stringify!($name);
            const MIN_ENCODED_LEN: usize = 0 $( + jute_min_len!($kind $(< $inner >)?) )*;

            fn encode(&self, out: &mut Vec<u8>) {
                $( jute_encode!($kind $(< $inner >)?, &self.$field, out); )*
            }

            fn decode(
                reader: &mut $crate::wire::Reader<'_>,
            ) -> Result<Self, $crate::error::DecodeError> {
                Ok($name {
                    $( $field: jute_decode!(
                        $kind $(< $inner >)?,
                        reader,
                        concat!(stringify!($name), ".", stringify!($field))
                    ), )*
                })
            }
        }

        #[cfg(any(test, feature = "arbitrary"))]
        impl proptest::arbitrary::Arbitrary for $name {
            type Parameters = ();
            type Strategy = proptest::strategy::BoxedStrategy<Self>;

            fn arbitrary_with(_: ()) -> Self::Strategy {
                use proptest::strategy::Strategy;
                ( $( jute_strategy!($kind $(< $inner >)?), )* )
                    .prop_map(|( $( $field, )* )| $name { $( $field, )* })
                    .boxed()
            }
        }
    };
}

/// Several records in one invocation.
macro_rules! jute_records {
    ( $( $(#[$meta:meta])* $name:ident { $($body:tt)* } )* ) => {
        $( jute_record! { $(#[$meta])* $name { $($body)* } } )*
    };
}
