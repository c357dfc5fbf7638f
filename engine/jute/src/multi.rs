//! multi and multiRead: a sequence of ops, each behind a `MultiHeader`,
//! closed by a header with `done = true`.
//!
//! ```text
//! MultiRequest  = { MultiHeader(op_code, done=false, err=-1) op_request }*
//!                 MultiHeader(op_code=-1, done=true, err=-1)
//! MultiResponse = { MultiHeader(op_code, done=false, err) op_result }*
//!                 MultiHeader(op_code=-1, done=true, err=-1)
//!
//! op_request by op_code: create, create2, createContainer -> CreateRequest
//!                        createTTL -> CreateTtlRequest
//!                        delete, deleteContainer -> DeleteRequest
//!                        setData -> SetDataRequest
//!                        check -> CheckVersionRequest
//!                        getData -> GetDataRequest       (multiRead only)
//!                        getChildren -> GetChildrenRequest (multiRead only)
//! op_result by op_code:  create -> CreateResponse
//!                        create2 -> Create2Response (ZooKeeper answers
//!                          createContainer and createTTL ops with it too)
//!                        delete, check -> nothing
//!                        setData -> SetDataResponse
//!                        getData -> GetDataResponse
//!                        getChildren -> GetChildrenResponse
//!                        error (-1) -> ErrorResponse
//! ```
//!
//! Each op takes at least one header's bytes, so decoding a hostile frame
//! ends when its bytes do.

use crate::codes::OpCode;
use crate::error::DecodeError;
use crate::node_data::NodeData;
use crate::records::data::Stat;
use crate::records::proto::{
    CheckVersionRequest, CreateRequest, CreateTtlRequest, DeleteRequest, ErrorResponse,
    GetChildrenRequest, GetDataRequest, MultiHeader, SetDataRequest,
};
use crate::wire::{put_buffer_or_null, put_ustring, put_vector, Jute, Reader};

/// One op of a multi or multiRead request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiOp {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    DeleteContainer(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetData(GetDataRequest),
    GetChildren(GetChildrenRequest),
}

impl MultiOp {
    pub fn op_code(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::DeleteContainer(_) => OpCode::DeleteContainer,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetData(_) => OpCode::GetData,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
        }
    }

    /// The path the op acts on.
    pub fn path(&self) -> &str {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => &r.path,
            MultiOp::CreateTtl(r) => &r.path,
            MultiOp::Delete(r) | MultiOp::DeleteContainer(r) => &r.path,
            MultiOp::SetData(r) => &r.path,
            MultiOp::Check(r) => &r.path,
            MultiOp::GetData(r) => &r.path,
            MultiOp::GetChildren(r) => &r.path,
        }
    }

    /// getData and getChildren: the ops a multiRead may carry.
    pub fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetData(_) | MultiOp::GetChildren(_))
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => r.encode(out),
            MultiOp::CreateTtl(r) => r.encode(out),
            MultiOp::Delete(r) | MultiOp::DeleteContainer(r) => r.encode(out),
            MultiOp::SetData(r) => r.encode(out),
            MultiOp::Check(r) => r.encode(out),
            MultiOp::GetData(r) => r.encode(out),
            MultiOp::GetChildren(r) => r.encode(out),
        }
    }

    fn decode_body(op_code: i32, reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let unknown = DecodeError::UnknownOpCode {
            field: "MultiRequest.op",
            op_code,
        };
        Ok(match OpCode::from_i32(op_code).ok_or(unknown.clone())? {
            OpCode::Create => MultiOp::Create(CreateRequest::decode(reader)?),
            OpCode::Create2 => MultiOp::Create2(CreateRequest::decode(reader)?),
            OpCode::CreateContainer => MultiOp::CreateContainer(CreateRequest::decode(reader)?),
            OpCode::CreateTtl => MultiOp::CreateTtl(CreateTtlRequest::decode(reader)?),
            OpCode::Delete => MultiOp::Delete(DeleteRequest::decode(reader)?),
            OpCode::DeleteContainer => MultiOp::DeleteContainer(DeleteRequest::decode(reader)?),
            OpCode::SetData => MultiOp::SetData(SetDataRequest::decode(reader)?),
            OpCode::Check => MultiOp::Check(CheckVersionRequest::decode(reader)?),
            OpCode::GetData => MultiOp::GetData(GetDataRequest::decode(reader)?),
            OpCode::GetChildren => MultiOp::GetChildren(GetChildrenRequest::decode(reader)?),
            _ => return Err(unknown),
        })
    }
}

const END_HEADER: MultiHeader = MultiHeader {
    op_code: -1,
    done: true,
    err: -1,
};

/// The body of a multi (op 14) or multiRead (op 22) request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiRequest {
    pub ops: Vec<MultiOp>,
}

impl Jute for MultiRequest {
    const NAME: &'static str = "MultiRequest";
    const MIN_ENCODED_LEN: usize = MultiHeader::MIN_ENCODED_LEN;

    fn encode(&self, out: &mut Vec<u8>) {
        for op in &self.ops {
            MultiHeader {
                op_code: op.op_code().as_i32(),
                done: false,
                err: -1,
            }
            .encode(out);
            op.encode_body(out);
        }
        END_HEADER.encode(out);
    }

    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(MultiRequest::decode_noting_null_path(reader)?.0)
    }
}

impl MultiRequest {
    /// Decodes as [`Jute::decode`] does (a null path reads as ""), and
    /// also says which op, if any, is the first whose path is jute's null
    /// (-1): Java's jute keeps it as `null`, on which ZooKeeper fails the
    /// request. Every op's request record starts with its path, so this
    /// costs one 4-byte comparison per op.
    pub fn decode_noting_null_path(
        reader: &mut Reader<'_>,
    ) -> Result<(MultiRequest, Option<usize>), DecodeError> {
        let mut ops = Vec::new();
        let mut first_null_path = None;
        loop {
            let header = MultiHeader::decode(reader)?;
            if header.done {
                return Ok((MultiRequest { ops }, first_null_path));
            }
            if first_null_path.is_none() && reader.next_is_null() {
                first_null_path = Some(ops.len());
            }
            ops.push(MultiOp::decode_body(header.op_code, reader)?);
        }
    }
}

/// The outcome of one op of a multi or multiRead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiResult {
    /// A create (op 1): the created path.
    Create {
        path: String,
    },
    /// create2, createContainer or createTTL: the path and the new Stat.
    ///
    /// On the wire this is always a create2 (15) result, whatever
    /// `op_code` says: ZooKeeper answers all three ops with one, and its
    /// clients refuse any other type here. So a decoded result always has
    /// `op_code` create2 (a createContainer or createTTL header, which
    /// ZooKeeper never sends, is accepted and read as create2).
    Create2 {
        op_code: OpCode,
        path: String,
        stat: Stat,
    },
    Delete,
    SetData {
        stat: Stat,
    },
    Check,
    GetData {
        data: NodeData,
        stat: Stat,
    },
    GetChildren {
        children: Vec<String>,
    },
    /// The op failed (or was rolled back because another failed).
    Error {
        err: i32,
    },
}

impl MultiResult {
    fn header(&self) -> MultiHeader {
        let (op_code, err) = match self {
            MultiResult::Create { .. } => (OpCode::Create.as_i32(), 0),
            MultiResult::Create2 { .. } => (OpCode::Create2.as_i32(), 0),
            MultiResult::Delete => (OpCode::Delete.as_i32(), 0),
            MultiResult::SetData { .. } => (OpCode::SetData.as_i32(), 0),
            MultiResult::Check => (OpCode::Check.as_i32(), 0),
            MultiResult::GetData { .. } => (OpCode::GetData.as_i32(), 0),
            MultiResult::GetChildren { .. } => (OpCode::GetChildren.as_i32(), 0),
            MultiResult::Error { err } => (OpCode::Error.as_i32(), *err),
        };
        MultiHeader {
            op_code,
            done: false,
            err,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            MultiResult::Create { path } => put_ustring(out, path),
            MultiResult::Create2 { path, stat, .. } => {
                put_ustring(out, path);
                stat.encode(out);
            }
            MultiResult::Delete | MultiResult::Check => {}
            MultiResult::SetData { stat } => stat.encode(out),
            MultiResult::GetData { data, stat } => {
                put_buffer_or_null(out, data.as_option());
                stat.encode(out);
            }
            MultiResult::GetChildren { children } => {
                put_vector(out, children, |child, out| put_ustring(out, child))
            }
            MultiResult::Error { err } => ErrorResponse { err: *err }.encode(out),
        }
    }

    fn decode_body(op_code: i32, reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let unknown = DecodeError::UnknownOpCode {
            field: "MultiResponse.result",
            op_code,
        };
        let op = OpCode::from_i32(op_code).ok_or(unknown.clone())?;
        Ok(match op {
            OpCode::Create => MultiResult::Create {
                path: reader.read_ustring("MultiResponse.create.path")?,
            },
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => MultiResult::Create2 {
                op_code: OpCode::Create2,
                path: reader.read_ustring("MultiResponse.create2.path")?,
                stat: Stat::decode(reader)?,
            },
            OpCode::Delete => MultiResult::Delete,
            OpCode::Check => MultiResult::Check,
            OpCode::SetData => MultiResult::SetData {
                stat: Stat::decode(reader)?,
            },
            OpCode::GetData => MultiResult::GetData {
                data: reader.read_node_data("MultiResponse.getData.data")?,
                stat: Stat::decode(reader)?,
            },
            OpCode::GetChildren => MultiResult::GetChildren {
                children: reader.read_vector("MultiResponse.getChildren.children", 4, |r| {
                    r.read_ustring("MultiResponse.getChildren.children")
                })?,
            },
            OpCode::Error => MultiResult::Error {
                err: ErrorResponse::decode(reader)?.err,
            },
            _ => return Err(unknown),
        })
    }
}

/// The body of a multi or multiRead response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiResponse {
    pub results: Vec<MultiResult>,
}

impl Jute for MultiResponse {
    const NAME: &'static str = "MultiResponse";
    const MIN_ENCODED_LEN: usize = MultiHeader::MIN_ENCODED_LEN;

    fn encode(&self, out: &mut Vec<u8>) {
        for result in &self.results {
            result.header().encode(out);
            result.encode_body(out);
        }
        END_HEADER.encode(out);
    }

    fn decode(reader: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut results = Vec::new();
        loop {
            let header = MultiHeader::decode(reader)?;
            if header.done {
                return Ok(MultiResponse { results });
            }
            results.push(MultiResult::decode_body(header.op_code, reader)?);
        }
    }
}

#[cfg(any(test, feature = "arbitrary"))]
mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    impl Arbitrary for MultiOp {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            prop_oneof![
                any::<CreateRequest>().prop_map(MultiOp::Create),
                any::<CreateRequest>().prop_map(MultiOp::Create2),
                any::<CreateRequest>().prop_map(MultiOp::CreateContainer),
                any::<CreateTtlRequest>().prop_map(MultiOp::CreateTtl),
                any::<DeleteRequest>().prop_map(MultiOp::Delete),
                any::<DeleteRequest>().prop_map(MultiOp::DeleteContainer),
                any::<SetDataRequest>().prop_map(MultiOp::SetData),
                any::<CheckVersionRequest>().prop_map(MultiOp::Check),
                any::<GetDataRequest>().prop_map(MultiOp::GetData),
                any::<GetChildrenRequest>().prop_map(MultiOp::GetChildren),
            ]
            .boxed()
        }
    }

    impl Arbitrary for MultiResult {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            prop_oneof![
                any::<String>().prop_map(|path| MultiResult::Create { path }),
                // Create2 as it decodes: createContainer and createTTL
                // results travel as create2.
                (any::<String>(), any::<Stat>()).prop_map(|(path, stat)| MultiResult::Create2 {
                    op_code: OpCode::Create2,
                    path,
                    stat
                }),
                Just(MultiResult::Delete),
                any::<Stat>().prop_map(|stat| MultiResult::SetData { stat }),
                Just(MultiResult::Check),
                (
                    proptest::option::of(proptest::collection::vec(any::<u8>(), 0..32)),
                    any::<Stat>()
                )
                    .prop_map(|(data, stat)| MultiResult::GetData {
                        data: NodeData::from(data),
                        stat
                    }),
                proptest::collection::vec(any::<String>(), 0..4)
                    .prop_map(|children| MultiResult::GetChildren { children }),
                any::<i32>().prop_map(|err| MultiResult::Error { err }),
            ]
            .boxed()
        }
    }

    impl Arbitrary for MultiRequest {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            proptest::collection::vec(any::<MultiOp>(), 0..5)
                .prop_map(|ops| MultiRequest { ops })
                .boxed()
        }
    }

    impl Arbitrary for MultiResponse {
        type Parameters = ();
        type Strategy = BoxedStrategy<Self>;
        fn arbitrary_with(_: ()) -> Self::Strategy {
            proptest::collection::vec(any::<MultiResult>(), 0..5)
                .prop_map(|results| MultiResponse { results })
                .boxed()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{put_int, put_ustring};

    fn op_header(op_code: OpCode, out: &mut Vec<u8>) {
        MultiHeader {
            op_code: op_code.as_i32(),
            done: false,
            err: -1,
        }
        .encode(out);
    }

    #[test]
    fn a_multi_names_its_first_op_with_a_null_path_and_still_decodes_it_as_empty() {
        // setData "/a", check null, delete null.
        let mut body = Vec::new();
        op_header(OpCode::SetData, &mut body);
        SetDataRequest {
            path: "/a".into(),
            data: NodeData::from(b"x"),
            version: -1,
        }
        .encode(&mut body);
        op_header(OpCode::Check, &mut body);
        put_int(&mut body, -1);
        put_int(&mut body, 3);
        op_header(OpCode::Delete, &mut body);
        put_int(&mut body, -1);
        put_int(&mut body, -1);
        END_HEADER.encode(&mut body);

        let (multi, first_null_path) =
            MultiRequest::decode_noting_null_path(&mut Reader::new(&body)).unwrap();
        assert_eq!(first_null_path, Some(1));
        assert_eq!(
            multi.ops[1],
            MultiOp::Check(CheckVersionRequest {
                path: String::new(),
                version: 3
            })
        );
        assert_eq!(MultiRequest::from_bytes(&body), Ok(multi));
    }

    #[test]
    fn an_empty_path_is_not_a_null_one() {
        let mut body = Vec::new();
        op_header(OpCode::GetData, &mut body);
        put_ustring(&mut body, "");
        body.push(0);
        END_HEADER.encode(&mut body);
        let (multi, first_null_path) =
            MultiRequest::decode_noting_null_path(&mut Reader::new(&body)).unwrap();
        assert_eq!(first_null_path, None);
        assert_eq!(multi.ops.len(), 1);
    }
}
