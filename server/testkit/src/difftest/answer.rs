//! A server's answer to one op, flattened into labelled tokens so two
//! answers compare field by field: text compares exactly, zxids through
//! the run's zxid translation, ephemeral owners through the session
//! correspondence, and times not at all.
//!
//! Lists whose order ZooKeeper does not define are sorted here:
//! getChildren (also inside multiRead) and getEphemerals.

use std::fmt;

use ringkeeper_jute::{
    error_name, Acl, Create2Response, CreateResponse, DecodeError, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetDataResponse,
    GetEphemeralsResponse, Jute, MultiResponse, MultiResult, OpCode, Reader, SetAclResponse,
    SetDataResponse, Stat, SyncResponse, WhoAmIResponse,
};

use super::op::{bytes_text, node_data_text, Op};
use crate::client::Reply;

/// One compared value of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Compared exactly.
    Text(String),
    /// Compared through the zxid translation.
    Zxid(i64),
    /// A session id or a special owner marker: compared through the
    /// session correspondence.
    Owner(i64),
    /// A wall-clock time (ctime, mtime): shown, never compared.
    Time(i64),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Text(text) => f.write_str(text),
            Token::Zxid(zxid) => write!(f, "zxid 0x{zxid:x}"),
            Token::Owner(0) => f.write_str("0"),
            Token::Owner(owner) => write!(f, "session 0x{owner:x}"),
            Token::Time(ms) => write!(f, "time {ms}"),
        }
    }
}

/// A reply, flattened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub err: i32,
    /// The ReplyHeader's zxid (the server's last processed zxid).
    pub zxid: i64,
    pub fields: Vec<(String, Token)>,
}

impl Answer {
    pub fn from_reply(op: &Op, reply: &Reply) -> Answer {
        let mut fields = Vec::new();
        if reply.err == 0 || !reply.body.is_empty() {
            if let Err(error) = body_fields(op, reply, &mut fields) {
                fields.push(("undecodable".into(), Token::Text(error.to_string())));
            }
        }
        Answer {
            err: reply.err,
            zxid: reply.zxid,
            fields,
        }
    }
}

impl Answer {
    /// The server closed the connection instead of replying.
    pub fn connection_closed() -> Answer {
        Answer {
            err: 0,
            zxid: 0,
            fields: vec![(
                "connection".into(),
                Token::Text("closed by the server, no reply".into()),
            )],
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (header zxid 0x{:x})",
            error_name(self.err),
            self.zxid
        )?;
        for (label, token) in &self.fields {
            write!(f, "\n      {label} = {token}")?;
        }
        Ok(())
    }
}

fn text(fields: &mut Vec<(String, Token)>, label: impl Into<String>, value: impl fmt::Display) {
    fields.push((label.into(), Token::Text(value.to_string())));
}

fn stat_fields(fields: &mut Vec<(String, Token)>, prefix: &str, stat: &Stat) {
    let label = |name: &str| format!("{prefix}stat.{name}");
    fields.push((label("czxid"), Token::Zxid(stat.czxid)));
    fields.push((label("mzxid"), Token::Zxid(stat.mzxid)));
    fields.push((label("ctime"), Token::Time(stat.ctime)));
    fields.push((label("mtime"), Token::Time(stat.mtime)));
    text(fields, label("version"), stat.version);
    text(fields, label("cversion"), stat.cversion);
    text(fields, label("aversion"), stat.aversion);
    fields.push((label("ephemeralOwner"), Token::Owner(stat.ephemeral_owner)));
    text(fields, label("dataLength"), stat.data_length);
    text(fields, label("numChildren"), stat.num_children);
    fields.push((label("pzxid"), Token::Zxid(stat.pzxid)));
}

fn sorted(mut names: Vec<String>) -> String {
    names.sort();
    format!("{names:?}")
}

fn acl_fields(fields: &mut Vec<(String, Token)>, acl: &[Acl]) {
    let entries: Vec<String> = acl
        .iter()
        .map(|a| format!("{}:{}:{}", a.id.scheme, a.id.id, a.perms))
        .collect();
    text(fields, "acl", format!("{entries:?}"));
}

fn multi_fields(fields: &mut Vec<(String, Token)>, results: &[MultiResult]) {
    text(fields, "results", results.len());
    for (index, result) in results.iter().enumerate() {
        let prefix = format!("[{index}].");
        match result {
            MultiResult::Create { path } => text(fields, format!("{prefix}create"), path),
            MultiResult::Create2 { path, stat, .. } => {
                text(fields, format!("{prefix}create2"), path);
                stat_fields(fields, &prefix, stat);
            }
            MultiResult::Delete => text(fields, format!("{prefix}delete"), "ok"),
            MultiResult::Check => text(fields, format!("{prefix}check"), "ok"),
            MultiResult::SetData { stat } => {
                text(fields, format!("{prefix}setData"), "ok");
                stat_fields(fields, &prefix, stat);
            }
            MultiResult::GetData { data, stat } => {
                text(fields, format!("{prefix}data"), node_data_text(data));
                stat_fields(fields, &prefix, stat);
            }
            MultiResult::GetChildren { children } => {
                text(
                    fields,
                    format!("{prefix}children"),
                    sorted(children.clone()),
                );
            }
            MultiResult::Error { err } => text(fields, format!("{prefix}error"), error_name(*err)),
        }
    }
}

fn body_fields(
    op: &Op,
    reply: &Reply,
    fields: &mut Vec<(String, Token)>,
) -> Result<(), DecodeError> {
    let wire = op.wire();
    match wire.op_code {
        OpCode::Create => text(
            fields,
            "path",
            CreateResponse::from_bytes(&reply.body)?.path,
        ),
        OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
            let response = Create2Response::from_bytes(&reply.body)?;
            text(fields, "path", response.path);
            stat_fields(fields, "", &response.stat);
        }
        OpCode::SetData => stat_fields(fields, "", &SetDataResponse::from_bytes(&reply.body)?.stat),
        OpCode::SetAcl => stat_fields(fields, "", &SetAclResponse::from_bytes(&reply.body)?.stat),
        OpCode::Exists => stat_fields(fields, "", &ExistsResponse::from_bytes(&reply.body)?.stat),
        OpCode::GetData => {
            let response = GetDataResponse::from_bytes(&reply.body)?;
            text(fields, "data", node_data_text(&response.data));
            stat_fields(fields, "", &response.stat);
        }
        OpCode::GetChildren => {
            let response = GetChildrenResponse::from_bytes(&reply.body)?;
            text(fields, "children", sorted(response.children));
        }
        OpCode::GetChildren2 => {
            let response = GetChildren2Response::from_bytes(&reply.body)?;
            text(fields, "children", sorted(response.children));
            stat_fields(fields, "", &response.stat);
        }
        OpCode::GetAcl => {
            let response = GetAclResponse::from_bytes(&reply.body)?;
            acl_fields(fields, &response.acl);
            stat_fields(fields, "", &response.stat);
        }
        OpCode::Multi | OpCode::MultiRead => {
            multi_fields(fields, &MultiResponse::from_bytes(&reply.body)?.results)
        }
        // ZooKeeper echoes a null path as null: keep it apart from "".
        OpCode::Sync => {
            let mut reader = Reader::new(&reply.body);
            let path = reader.read_ustring_or_null_ref("SyncResponse.path")?;
            reader.expect_end(SyncResponse::NAME)?;
            text(
                fields,
                "path",
                path.map_or_else(|| "null (-1)".to_string(), |path| format!("{path:?}")),
            );
        }
        OpCode::GetAllChildrenNumber => text(
            fields,
            "totalNumber",
            GetAllChildrenNumberResponse::from_bytes(&reply.body)?.total_number,
        ),
        OpCode::GetEphemerals => text(
            fields,
            "ephemerals",
            sorted(GetEphemeralsResponse::from_bytes(&reply.body)?.ephemerals),
        ),
        // In the server's order: ZooKeeper's is its hash set's.
        OpCode::WhoAmI => {
            let infos: Vec<String> = WhoAmIResponse::from_bytes(&reply.body)?
                .client_info
                .iter()
                .map(|info| format!("{}:{}", info.auth_scheme, info.user))
                .collect();
            text(fields, "clientInfo", format!("{infos:?}"));
        }
        // Replies without a body: anything there is shown as it came.
        _ => {
            if !reply.body.is_empty() {
                text(fields, "body", bytes_text(&reply.body));
            }
        }
    }
    Ok(())
}
