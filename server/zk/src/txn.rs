//! The transactions prep builds and apply executes: ZooKeeper's TxnHeader
//! plus one txn record, chosen by the header's type (an op code).
//!
//! ```text
//! txn        = TxnHeader record
//! record by TxnHeader.txn_type:
//!   create (1), create2 (15)   -> CreateTxn
//!   createContainer (19)       -> CreateContainerTxn
//!   createTTL (21)             -> CreateTtlTxn
//!   delete (2), deleteContainer (20) -> DeleteTxn
//!   setData (5)                -> SetDataTxn
//!   setACL (7)                 -> SetAclTxn
//!   check (13)                 -> CheckVersionTxn
//!   multi (14)                 -> MultiTxn = vector<Txn{type, bytes of one record above, or ErrorTxn}>
//!   createSession (-10)        -> CreateSessionTxn
//!   closeSession (-11)         -> CloseSessionTxn
//!   error (-1)                 -> ErrorTxn
//! ```
//!
//! This is the unit a txn log will store: [`Txn::encode`] and
//! [`Txn::decode`] round-trip, and apply needs nothing else.

use ringkeeper_jute::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, DecodeError, DeleteTxn, ErrorTxn, Jute, MultiTxn, OpCode, Reader, SetAclTxn,
    SetDataTxn, Txn as JuteSubTxn, TxnHeader,
};

/// One txn record, its kind given by the op code it travels under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnRecord {
    /// create (1) or create2 (15): the header's type says which reply.
    Create(CreateTxn),
    CreateContainer(CreateContainerTxn),
    CreateTtl(CreateTtlTxn),
    /// delete (2) or deleteContainer (20).
    Delete(DeleteTxn),
    SetData(SetDataTxn),
    SetAcl(SetAclTxn),
    Check(CheckVersionTxn),
    /// The ops of a multi, each with its own op code; when one failed,
    /// every op is an `Error` (see `multi.rs`).
    Multi(Vec<SubTxn>),
    CreateSession(CreateSessionTxn),
    CloseSession(CloseSessionTxn),
    Error(ErrorTxn),
}

/// One op of a multi txn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubTxn {
    pub op_code: OpCode,
    pub record: TxnRecord,
}

/// A whole txn: who asked (client id = session, cxid), its zxid and time,
/// and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txn {
    pub header: TxnHeader,
    pub record: TxnRecord,
}

impl Txn {
    pub fn op_code(&self) -> Option<OpCode> {
        OpCode::from_i32(self.header.txn_type)
    }

    pub fn zxid(&self) -> i64 {
        self.header.zxid
    }

    pub fn session_id(&self) -> i64 {
        self.header.client_id
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        self.header.encode(out);
        self.record.encode(out);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes a txn that spans all of `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Txn, DecodeError> {
        let mut reader = Reader::new(bytes);
        let header = TxnHeader::decode(&mut reader)?;
        let record = TxnRecord::decode(header.txn_type, &mut reader)?;
        reader.expect_end("Txn")?;
        Ok(Txn { header, record })
    }
}

impl TxnRecord {
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TxnRecord::Create(r) => r.encode(out),
            TxnRecord::CreateContainer(r) => r.encode(out),
            TxnRecord::CreateTtl(r) => r.encode(out),
            TxnRecord::Delete(r) => r.encode(out),
            TxnRecord::SetData(r) => r.encode(out),
            TxnRecord::SetAcl(r) => r.encode(out),
            TxnRecord::Check(r) => r.encode(out),
            TxnRecord::Multi(subs) => MultiTxn {
                txns: subs
                    .iter()
                    .map(|sub| JuteSubTxn {
                        txn_type: sub.op_code.as_i32(),
                        data: {
                            let mut data = Vec::new();
                            sub.record.encode(&mut data);
                            data
                        },
                    })
                    .collect(),
            }
            .encode(out),
            TxnRecord::CreateSession(r) => r.encode(out),
            TxnRecord::CloseSession(r) => r.encode(out),
            TxnRecord::Error(r) => r.encode(out),
        }
    }

    /// The record that `txn_type` announces.
    pub fn decode(txn_type: i32, reader: &mut Reader<'_>) -> Result<TxnRecord, DecodeError> {
        let unknown = DecodeError::UnknownOpCode {
            field: "TxnHeader.txn_type",
            op_code: txn_type,
        };
        let op = OpCode::from_i32(txn_type).ok_or(unknown.clone())?;
        Ok(match op {
            OpCode::Create | OpCode::Create2 => TxnRecord::Create(CreateTxn::decode(reader)?),
            OpCode::CreateContainer => {
                TxnRecord::CreateContainer(CreateContainerTxn::decode(reader)?)
            }
            OpCode::CreateTtl => TxnRecord::CreateTtl(CreateTtlTxn::decode(reader)?),
            OpCode::Delete | OpCode::DeleteContainer => {
                TxnRecord::Delete(DeleteTxn::decode(reader)?)
            }
            OpCode::SetData => TxnRecord::SetData(SetDataTxn::decode(reader)?),
            OpCode::SetAcl => TxnRecord::SetAcl(SetAclTxn::decode(reader)?),
            OpCode::Check => TxnRecord::Check(CheckVersionTxn::decode(reader)?),
            OpCode::Multi => {
                let multi = MultiTxn::decode(reader)?;
                let mut subs = Vec::with_capacity(multi.txns.len());
                for sub in multi.txns {
                    let mut sub_reader = Reader::new(&sub.data);
                    let op_code =
                        OpCode::from_i32(sub.txn_type).ok_or(DecodeError::UnknownOpCode {
                            field: "MultiTxn.txns.txn_type",
                            op_code: sub.txn_type,
                        })?;
                    if matches!(op_code, OpCode::Multi) {
                        return Err(DecodeError::UnknownOpCode {
                            field: "MultiTxn.txns.txn_type",
                            op_code: sub.txn_type,
                        });
                    }
                    let record = TxnRecord::decode(sub.txn_type, &mut sub_reader)?;
                    sub_reader.expect_end("MultiTxn.txns.data")?;
                    subs.push(SubTxn { op_code, record });
                }
                TxnRecord::Multi(subs)
            }
            OpCode::CreateSession => TxnRecord::CreateSession(CreateSessionTxn::decode(reader)?),
            OpCode::CloseSession => TxnRecord::CloseSession(CloseSessionTxn::decode(reader)?),
            OpCode::Error => TxnRecord::Error(ErrorTxn::decode(reader)?),
            _ => return Err(unknown),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringkeeper_jute::{Acl, Id};

    fn header(txn_type: OpCode) -> TxnHeader {
        TxnHeader {
            client_id: 0x100_0000_0000_0001,
            cxid: 7,
            zxid: 42,
            time: 1_700_000_000_000,
            txn_type: txn_type.as_i32(),
        }
    }

    #[test]
    fn every_txn_kind_round_trips_through_jute() {
        let acl = vec![Acl {
            perms: 31,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        }];
        let txns = vec![
            Txn {
                header: header(OpCode::Create2),
                record: TxnRecord::Create(CreateTxn {
                    path: "/a".into(),
                    data: b"x".into(),
                    acl: acl.clone(),
                    ephemeral: true,
                    parent_cversion: 3,
                }),
            },
            Txn {
                header: header(OpCode::CreateTtl),
                record: TxnRecord::CreateTtl(CreateTtlTxn {
                    path: "/t".into(),
                    data: Vec::new().into(),
                    acl: acl.clone(),
                    parent_cversion: 1,
                    ttl: 500,
                }),
            },
            Txn {
                header: header(OpCode::Multi),
                record: TxnRecord::Multi(vec![
                    SubTxn {
                        op_code: OpCode::SetData,
                        record: TxnRecord::SetData(SetDataTxn {
                            path: "/a".into(),
                            data: b"y".into(),
                            version: 1,
                        }),
                    },
                    SubTxn {
                        op_code: OpCode::Delete,
                        record: TxnRecord::Delete(DeleteTxn { path: "/a".into() }),
                    },
                    SubTxn {
                        op_code: OpCode::Error,
                        record: TxnRecord::Error(ErrorTxn { err: -101 }),
                    },
                ]),
            },
            Txn {
                header: header(OpCode::CloseSession),
                record: TxnRecord::CloseSession(CloseSessionTxn {
                    paths_to_delete: vec!["/e1".into(), "/e2".into()],
                }),
            },
            Txn {
                header: header(OpCode::CreateSession),
                record: TxnRecord::CreateSession(CreateSessionTxn { time_out: 30_000 }),
            },
            Txn {
                header: header(OpCode::Error),
                record: TxnRecord::Error(ErrorTxn { err: -110 }),
            },
        ];
        for txn in txns {
            let bytes = txn.to_bytes();
            assert_eq!(Txn::decode(&bytes), Ok(txn));
        }
    }

    #[test]
    fn a_txn_with_an_unknown_type_or_trailing_bytes_is_refused() {
        let mut bytes = Txn {
            header: header(OpCode::Delete),
            record: TxnRecord::Delete(DeleteTxn { path: "/a".into() }),
        }
        .to_bytes();
        bytes.push(0);
        assert!(Txn::decode(&bytes).is_err());
        let mut unknown = header(OpCode::Delete);
        unknown.txn_type = 555;
        assert!(Txn::decode(&unknown.to_bytes()).is_err());
    }
}
