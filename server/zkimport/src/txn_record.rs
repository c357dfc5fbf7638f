//! The body of a logged txn, decoded by the txn type in its header, as
//! ZooKeeper's `SerializeUtils.deserializeTxn` and `DataTree.processTxn`
//! read it:
//!
//! ```text
//! txn body  = record [TxnDigest]              ; the digest in 3.6+ (12 bytes)
//! record by TxnHeader.type:
//!   create (1), create2 (15)  -> CreateTxn    (a pre-3.3 CreateTxnV0 for create,
//!                                              read with parent_cversion -1)
//!   createContainer (19)      -> CreateContainerTxn
//!   createTTL (21)            -> CreateTtlTxn
//!   delete (2), deleteContainer (20) -> DeleteTxn
//!   setData (5), reconfig (16) -> SetDataTxn
//!   setACL (7)                -> SetAclTxn
//!   check (13)                -> CheckVersionTxn
//!   multi (14)                -> MultiTxn: { type data:buffer }*, each data one
//!                                of the records above (no multi, session or
//!                                setACL inside), or ErrorTxn
//!   createSession (-10)       -> CreateSessionTxn
//!   closeSession (-11)        -> CloseSessionTxn (absent before 3.6 or with
//!                                closeSessionTxn disabled: no paths)
//!   error (-1)                -> ErrorTxn
//! ```

use ringkeeper_jute::{
    CheckVersionTxn, CloseSessionTxn, CreateContainerTxn, CreateSessionTxn, CreateTtlTxn,
    CreateTxn, CreateTxnV0, DecodeError, DeleteTxn, ErrorTxn, Jute, MultiTxn, OpCode, Reader,
    SetAclTxn, SetDataTxn, TxnDigest,
};

use crate::error::ImportErrorKind;

/// A txn record, decoded by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkTxnRecord {
    /// create and create2 (the header's type tells which).
    Create(CreateTxn),
    CreateContainer(CreateContainerTxn),
    CreateTtl(CreateTtlTxn),
    /// delete and deleteContainer.
    Delete(DeleteTxn),
    /// setData and reconfig (which sets /zookeeper/config).
    SetData(SetDataTxn),
    SetAcl(SetAclTxn),
    Check(CheckVersionTxn),
    /// The sub-txns in order, each with its type. A multi that failed
    /// holds at least one `Error`: ZooKeeper applies none of it.
    Multi(Vec<(OpCode, ZkTxnRecord)>),
    CreateSession(CreateSessionTxn),
    CloseSession(CloseSessionTxn),
    Error(ErrorTxn),
}

impl ZkTxnRecord {
    /// For a multi, whether ZooKeeper applies it: not when any sub-txn is
    /// an error. Other txns: true, except an error txn.
    pub fn applies(&self) -> bool {
        match self {
            ZkTxnRecord::Multi(subs) => subs
                .iter()
                .all(|(_, record)| !matches!(record, ZkTxnRecord::Error(_))),
            ZkTxnRecord::Error(_) => false,
            _ => true,
        }
    }
}

/// The length of a `TxnDigest` after a txn record.
const TXN_DIGEST_BYTES: usize = 4 + 8;

/// Decodes a txn body (everything after the TxnHeader) of `txn_type`:
/// the record, and the digest after it if there is one.
pub fn decode_txn_body(
    txn_type: i32,
    body: &[u8],
) -> Result<(ZkTxnRecord, usize, Option<TxnDigest>), ImportErrorKind> {
    let (record, record_bytes) = decode_top_level(txn_type, body)?;
    let rest = &body[record_bytes..];
    let digest = match rest.len() {
        0 => None,
        TXN_DIGEST_BYTES => Some(TxnDigest::from_bytes(rest).map_err(ImportErrorKind::Decode)?),
        count => return Err(ImportErrorKind::TxnTrailingBytes { txn_type, count }),
    };
    Ok((record, record_bytes, digest))
}

/// The record at the start of `body` and how many bytes it took.
fn decode_top_level(txn_type: i32, body: &[u8]) -> Result<(ZkTxnRecord, usize), ImportErrorKind> {
    let op = OpCode::from_i32(txn_type).ok_or_else(|| unknown_kind(txn_type, false))?;
    match op {
        OpCode::Create => match prefix::<CreateTxn>(body) {
            Ok((txn, used)) => Ok((ZkTxnRecord::Create(txn), used)),
            // ZooKeeper retries a create that does not decode as the
            // pre-3.3 record, marking its parent cversion unknown (-1).
            Err(error) => match prefix::<CreateTxnV0>(body) {
                Ok((old, used)) => Ok((ZkTxnRecord::Create(upgrade_v0(old)), used)),
                Err(_) => Err(ImportErrorKind::Decode(error)),
            },
        },
        OpCode::CloseSession => {
            if body.is_empty() {
                return Ok((ZkTxnRecord::CloseSession(CloseSessionTxn::default()), 0));
            }
            match prefix::<CloseSessionTxn>(body) {
                Ok((txn, used)) if matches!(body.len() - used, 0 | TXN_DIGEST_BYTES) => {
                    Ok((ZkTxnRecord::CloseSession(txn), used))
                }
                // Without closeSessionTxn the body is the digest alone.
                _ if body.len() == TXN_DIGEST_BYTES => {
                    Ok((ZkTxnRecord::CloseSession(CloseSessionTxn::default()), 0))
                }
                Ok((_, used)) => Err(ImportErrorKind::TxnTrailingBytes {
                    txn_type,
                    count: body.len() - used,
                }),
                Err(error) => Err(ImportErrorKind::Decode(error)),
            }
        }
        OpCode::Multi => {
            let (multi, used) = prefix::<MultiTxn>(body).map_err(ImportErrorKind::Decode)?;
            let mut subs = Vec::with_capacity(multi.txns.len());
            for sub in multi.txns {
                let sub_op = OpCode::from_i32(sub.txn_type)
                    .ok_or_else(|| unknown_kind(sub.txn_type, true))?;
                subs.push((sub_op, decode_in_multi(sub_op, &sub.data)?));
            }
            Ok((ZkTxnRecord::Multi(subs), used))
        }
        OpCode::CreateSession => single(body, ZkTxnRecord::CreateSession),
        OpCode::SetAcl => single(body, ZkTxnRecord::SetAcl),
        _ => match decode_simple(op, body)? {
            Some(found) => Ok(found),
            None => Err(unknown_kind(txn_type, false)),
        },
    }
}

/// The records that may stand alone or inside a multi.
fn decode_simple(op: OpCode, body: &[u8]) -> Result<Option<(ZkTxnRecord, usize)>, ImportErrorKind> {
    let found = match op {
        OpCode::Create | OpCode::Create2 => single(body, ZkTxnRecord::Create)?,
        OpCode::CreateContainer => single(body, ZkTxnRecord::CreateContainer)?,
        OpCode::CreateTtl => single(body, ZkTxnRecord::CreateTtl)?,
        OpCode::Delete | OpCode::DeleteContainer => single(body, ZkTxnRecord::Delete)?,
        OpCode::SetData | OpCode::Reconfig => single(body, ZkTxnRecord::SetData)?,
        OpCode::Check => single(body, ZkTxnRecord::Check)?,
        OpCode::Error => single(body, ZkTxnRecord::Error)?,
        _ => return Ok(None),
    };
    Ok(Some(found))
}

/// A multi's sub-txn: one record spanning its whole buffer.
fn decode_in_multi(op: OpCode, data: &[u8]) -> Result<ZkTxnRecord, ImportErrorKind> {
    match decode_simple(op, data)? {
        Some((record, used)) if used == data.len() => Ok(record),
        Some((_, used)) => Err(ImportErrorKind::TxnTrailingBytes {
            txn_type: op.as_i32(),
            count: data.len() - used,
        }),
        None => Err(unknown_kind(op.as_i32(), true)),
    }
}

fn single<T: Jute>(
    body: &[u8],
    wrap: impl FnOnce(T) -> ZkTxnRecord,
) -> Result<(ZkTxnRecord, usize), ImportErrorKind> {
    let (record, used) = prefix::<T>(body).map_err(ImportErrorKind::Decode)?;
    Ok((wrap(record), used))
}

/// Decodes a `T` at the start of `bytes`, returning how many bytes it took.
fn prefix<T: Jute>(bytes: &[u8]) -> Result<(T, usize), DecodeError> {
    let mut reader = Reader::new(bytes);
    let record = T::decode(&mut reader)?;
    Ok((record, reader.position()))
}

fn upgrade_v0(old: CreateTxnV0) -> CreateTxn {
    CreateTxn {
        path: old.path,
        data: old.data,
        acl: old.acl,
        ephemeral: old.ephemeral,
        parent_cversion: -1,
    }
}

fn unknown_kind(txn_type: i32, in_multi: bool) -> ImportErrorKind {
    ImportErrorKind::UnknownTxnType { txn_type, in_multi }
}
