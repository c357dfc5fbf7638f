//! Requests answered from the tree as it is, without a txn:
//! `FinalRequestProcessor`'s read cases, setWatches replay and the watch
//! requests. They carry the last applied zxid in their reply header.

use ringkeeper_datatree::{DataTree, NodeId};
use ringkeeper_jute::wire::put_buffer_or_null;
use ringkeeper_jute::{
    AddWatchMode, ErrorCode, ErrorResponse, EventType, ExistsResponse, GetAclResponse,
    GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse, GetEphemeralsResponse,
    Jute, KeeperState, MultiOp, MultiResponse, MultiResult, OpCode, Perms, RequestHeader, Stat,
    SyncResponse, WatcherEvent, WatcherType, WhoAmIResponse, Xid,
};
use ringkeeper_watch::{WatchError, WatchKind};

use crate::acl::{check_acl, mask_digest_ids};
use crate::outbox::{ConnKey, Outbox};
use crate::request::{NullPathRequest, ReadRequest, WatchLists};
use crate::server::ZkServer;

/// A read's outcome: a body, or an error code for the reply header.
type ReadResult = Result<Option<ReadReply>, ErrorCode>;

/// The body of a read's reply: a response record, or (getData) a node
/// whose data is written straight from the tree, not copied first.
enum ReadReply {
    Exists(ExistsResponse),
    /// getData's `GetDataResponse { data, stat }`.
    NodeData {
        node: NodeId,
        stat: Stat,
    },
    Acl(GetAclResponse),
    Children(GetChildrenResponse),
    Children2(GetChildren2Response),
    AllChildrenNumber(GetAllChildrenNumberResponse),
    Ephemerals(GetEphemeralsResponse),
    Sync(SyncResponse),
    /// sync of a null path: the null path echoed.
    SyncNullPath,
    MultiRead(MultiResponse),
    /// A multi or multiRead ZooKeeper stopped at a null path (a multi at
    /// once, a multiRead after the ops before it): the reply says MarshallingError and
    /// still carries the results so far, as ZooKeeper sends the response
    /// it had begun.
    MultiStopped(MultiResponse),
    AddWatch(ErrorResponse),
    WhoAmI(WhoAmIResponse),
}

impl ReadReply {
    fn encode(&self, tree: &DataTree, out: &mut Vec<u8>) {
        match self {
            ReadReply::Exists(response) => response.encode(out),
            ReadReply::NodeData { node, stat } => {
                // GetDataResponse's fields in order: buffer data (null
                // stays null), Stat stat.
                put_buffer_or_null(out, looked_up_data(tree, *node));
                stat.encode(out);
            }
            ReadReply::Acl(response) => response.encode(out),
            ReadReply::Children(response) => response.encode(out),
            ReadReply::Children2(response) => response.encode(out),
            ReadReply::AllChildrenNumber(response) => response.encode(out),
            ReadReply::Ephemerals(response) => response.encode(out),
            ReadReply::Sync(response) => response.encode(out),
            ReadReply::SyncNullPath => put_buffer_or_null(out, None),
            ReadReply::MultiRead(response) | ReadReply::MultiStopped(response) => {
                response.encode(out)
            }
            ReadReply::AddWatch(response) => response.encode(out),
            ReadReply::WhoAmI(response) => response.encode(out),
        }
    }
}

impl ZkServer {
    pub(crate) fn process_read(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        header: &RequestHeader,
        op_code: OpCode,
        request: ReadRequest,
        out: &mut Outbox,
    ) {
        if let ReadRequest::Ping = request {
            // Ping replies always carry xid -2, whatever the request's xid.
            let reply = self.reply_header(Xid::PING, ErrorCode::Ok);
            return self.finish_request(conn, op_code, &reply, None, out);
        }
        let result = self.read(conn, session_id, request, out);
        let (err, body) = match result {
            Ok(Some(body @ ReadReply::MultiStopped(_))) => {
                (ErrorCode::MarshallingError, Some(body))
            }
            Ok(body) => (ErrorCode::Ok, body),
            Err(code) => (code, None),
        };
        let reply = self.reply_header(header.xid, err);
        if !self.note_reply(conn, op_code, &reply) {
            return;
        }
        let tree = &self.tree;
        out.push_frame(conn, |frame| {
            reply.encode(frame);
            if let Some(body) = &body {
                body.encode(tree, frame);
            }
        });
    }

    fn read(
        &mut self,
        conn: ConnKey,
        session_id: i64,
        request: ReadRequest,
        out: &mut Outbox,
    ) -> ReadResult {
        match request {
            ReadRequest::Exists(request) => {
                if request.path.contains('\0') {
                    return Err(ErrorCode::BadArguments);
                }
                // The watch is set whether or not the node exists (an
                // exists watch on a missing node waits for NodeCreated).
                if request.watch {
                    self.add_watch(&request.path, conn, WatchKind::Exists)?;
                }
                let stat = self.stat_of(&request.path).ok_or(ErrorCode::NoNode)?;
                Ok(Some(ReadReply::Exists(ExistsResponse { stat })))
            }
            ReadRequest::GetData(request) => {
                let (node, stat) = self.get_data(conn, &request.path, request.watch)?;
                Ok(Some(ReadReply::NodeData { node, stat }))
            }
            ReadRequest::GetAcl(request) => {
                let node = self
                    .tree
                    .get(tree_path(&request.path))
                    .ok_or(ErrorCode::NoNode)?;
                let acl = self.tree.node_acl(node);
                let auth = &self.connection(conn)?.auth;
                check_acl(acl, Perms::READ | Perms::ADMIN, auth)?;
                let stat = self.tree.node_stat(node);
                let acl = match check_acl(acl, Perms::ADMIN, auth) {
                    Ok(()) => acl.to_vec(),
                    Err(_) => mask_digest_ids(acl),
                };
                Ok(Some(ReadReply::Acl(GetAclResponse { acl, stat })))
            }
            ReadRequest::GetChildren(request) => {
                let (children, _) = self.get_children(conn, &request.path, request.watch)?;
                Ok(Some(ReadReply::Children(GetChildrenResponse { children })))
            }
            ReadRequest::GetChildren2(request) => {
                let (children, stat) = self.get_children(conn, &request.path, request.watch)?;
                Ok(Some(ReadReply::Children2(GetChildren2Response {
                    children,
                    stat,
                })))
            }
            ReadRequest::GetAllChildrenNumber(request) => {
                let path = tree_path(&request.path);
                let node = self.tree.get(path).ok_or(ErrorCode::NoNode)?;
                check_acl(
                    self.tree.node_acl(node),
                    Perms::READ,
                    &self.connection(conn)?.auth,
                )?;
                let mut total = self.tree.all_children_number(path).unwrap_or(0);
                if request.path.is_empty() {
                    // ZooKeeper counts the node keys that start with
                    // path + "/": for "" that is every node but the one
                    // keyed "" (the root, again), "/" included.
                    total += 1;
                }
                Ok(Some(ReadReply::AllChildrenNumber(
                    GetAllChildrenNumberResponse {
                        total_number: i32::try_from(total).unwrap_or(i32::MAX),
                    },
                )))
            }
            ReadRequest::GetEphemerals(request) => {
                let mut ephemerals = self.tree.ephemerals(session_id);
                self.ephemeral_order.sort(session_id, &mut ephemerals);
                let prefix = request.prefix_path.trim_matches(|c: char| c <= ' ');
                if !prefix.is_empty() && prefix != "/" {
                    ephemerals.retain(|path| path.starts_with(request.prefix_path.as_str()));
                }
                Ok(Some(ReadReply::Ephemerals(GetEphemeralsResponse {
                    ephemerals,
                })))
            }
            // A standalone server is always in sync with itself.
            ReadRequest::Sync(request) => {
                Ok(Some(ReadReply::Sync(SyncResponse { path: request.path })))
            }
            ReadRequest::MultiRead { request, stopped } => {
                // ZooKeeper rebuilds each op without its watch flag: a
                // multiRead never sets watches.
                let mut results = Vec::with_capacity(request.ops.len());
                for op in &request.ops {
                    let result = match op {
                        MultiOp::GetData(r) => {
                            self.get_data(conn, &r.path, false).map(|(node, stat)| {
                                MultiResult::GetData {
                                    data: looked_up_data(&self.tree, node)
                                        .map(<[u8]>::to_vec)
                                        .into(),
                                    stat,
                                }
                            })
                        }
                        MultiOp::GetChildren(r) => self
                            .get_children(conn, &r.path, false)
                            .map(|(children, _)| MultiResult::GetChildren { children }),
                        _ => Err(ErrorCode::MarshallingError),
                    };
                    results.push(
                        result.unwrap_or_else(|code| MultiResult::Error { err: code.as_i32() }),
                    );
                }
                let response = MultiResponse { results };
                Ok(Some(if stopped {
                    ReadReply::MultiStopped(response)
                } else {
                    ReadReply::MultiRead(response)
                }))
            }
            ReadRequest::SetWatches(watches) => {
                self.set_watches(conn, &watches, out)?;
                Ok(None)
            }
            ReadRequest::NullPath(request) => self.read_null_path(conn, request),
            ReadRequest::AddWatch(request) => {
                let mode =
                    AddWatchMode::from_i32(request.mode).ok_or(ErrorCode::MarshallingError)?;
                self.add_watch(&request.path, conn, WatchKind::from(mode))?;
                Ok(Some(ReadReply::AddWatch(ErrorResponse { err: 0 })))
            }
            ReadRequest::CheckWatches(request) => {
                let watcher_type = parse_watcher_type(request.watcher_type)?;
                let held = self
                    .watches
                    .check_watches(&request.path, conn, watcher_type);
                found_or_no_watcher(held)
            }
            ReadRequest::RemoveWatches(request) => {
                let watcher_type = parse_watcher_type(request.watcher_type)?;
                let removed = self
                    .watches
                    .remove_watches(&request.path, conn, watcher_type);
                found_or_no_watcher(removed)
            }
            ReadRequest::WhoAmI => {
                let client_info = self.connection(conn)?.auth.client_infos();
                Ok(Some(ReadReply::WhoAmI(WhoAmIResponse { client_info })))
            }
            ReadRequest::Ping => Ok(None),
        }
    }

    fn connection(&self, conn: ConnKey) -> Result<&crate::connection::Connection, ErrorCode> {
        self.connections.get(&conn).ok_or(ErrorCode::SessionExpired)
    }

    fn stat_of(&self, path: &str) -> Option<Stat> {
        self.tree.get_stat(tree_path(path))
    }

    /// `handleGetDataRequest`: NoNode, READ, then the watch; the node
    /// whose data to answer with, and its Stat.
    fn get_data(
        &mut self,
        conn: ConnKey,
        path: &str,
        watch: bool,
    ) -> Result<(NodeId, Stat), ErrorCode> {
        let id = self.tree.lookup(tree_path(path)).ok_or(ErrorCode::NoNode)?;
        let node = self.tree.node(id).ok_or(ErrorCode::NoNode)?;
        check_acl(
            self.tree.node_acl(node),
            Perms::READ,
            &self.connection(conn)?.auth,
        )?;
        let stat = self.tree.node_stat(node);
        if watch {
            self.add_watch(path, conn, WatchKind::Data)?;
        }
        Ok((id, stat))
    }

    /// `handleGetChildrenRequest` (and getChildren2's Stat).
    fn get_children(
        &mut self,
        conn: ConnKey,
        path: &str,
        watch: bool,
    ) -> Result<(Vec<String>, Stat), ErrorCode> {
        let node = self.tree.get(tree_path(path)).ok_or(ErrorCode::NoNode)?;
        check_acl(
            self.tree.node_acl(node),
            Perms::READ,
            &self.connection(conn)?.auth,
        )?;
        let children = self.tree.node_children(node).map(str::to_string).collect();
        let stat = self.tree.node_stat(node);
        if watch {
            self.add_watch(path, conn, WatchKind::Child)?;
        }
        Ok((children, stat))
    }

    /// Registers a watch (on any path: ZooKeeper checks none). Past
    /// `watches_max` the op fails with ThrottledOp.
    fn add_watch(&mut self, path: &str, conn: ConnKey, kind: WatchKind) -> Result<(), ErrorCode> {
        match self.watches.add(path, conn, kind) {
            Ok(()) => Ok(()),
            // The only refusal `add` makes: the watch limit.
            Err(_) => Err(ErrorCode::ThrottledOp),
        }
    }

    /// `DataTree.setWatches`: a watch whose event was missed since
    /// `relative_zxid` fires now (its event goes out before the reply);
    /// the others are set. A null path stops it as a NullPointerException
    /// stops ZooKeeper: MarshallingError, with what came before it done.
    fn set_watches(
        &mut self,
        conn: ConnKey,
        watches: &WatchLists,
        out: &mut Outbox,
    ) -> Result<(), ErrorCode> {
        let mut events: Vec<(EventType, &str)> = Vec::new();
        let outcome = self.set_watches_until_null(conn, watches, &mut events);
        for (event_type, path) in events {
            let event = WatcherEvent {
                event_type: event_type.as_i32(),
                state: KeeperState::SyncConnected.as_i32(),
                path: path.to_string(),
            };
            if let Some(connection) = self.connections.get_mut(&conn) {
                connection.stats.packets_sent += 1;
                self.counters.packets_sent += 1;
                out.push_event(conn, &event);
            }
        }
        outcome
    }

    /// setWatches' lists in ZooKeeper's order, the events due collected
    /// in `events`.
    fn set_watches_until_null<'w>(
        &mut self,
        conn: ConnKey,
        watches: &'w WatchLists,
        events: &mut Vec<(EventType, &'w str)>,
    ) -> Result<(), ErrorCode> {
        let relative_zxid = watches.relative_zxid;
        let not_null =
            |path: &'w Option<String>| path.as_deref().ok_or(ErrorCode::MarshallingError);
        for path in &watches.data_watches {
            let path = not_null(path)?;
            match self.tree.get(tree_path(path)).map(|node| node.stat().mzxid) {
                None => events.push((EventType::NodeDeleted, path)),
                Some(mzxid) if mzxid > relative_zxid => {
                    events.push((EventType::NodeDataChanged, path))
                }
                Some(_) => self.add_watch(path, conn, WatchKind::Data)?,
            }
        }
        for path in &watches.exist_watches {
            let path = not_null(path)?;
            match self.tree.get(tree_path(path)) {
                Some(_) => events.push((EventType::NodeCreated, path)),
                None => self.add_watch(path, conn, WatchKind::Exists)?,
            }
        }
        for path in &watches.child_watches {
            let path = not_null(path)?;
            match self.tree.get(tree_path(path)).map(|node| node.stat().pzxid) {
                None => events.push((EventType::NodeDeleted, path)),
                Some(pzxid) if pzxid > relative_zxid => {
                    events.push((EventType::NodeChildrenChanged, path))
                }
                Some(_) => self.add_watch(path, conn, WatchKind::Child)?,
            }
        }
        let persistent = [
            (&watches.persistent_watches, WatchKind::Persistent),
            (
                &watches.persistent_recursive_watches,
                WatchKind::PersistentRecursive,
            ),
        ];
        for (paths, kind) in persistent {
            for path in paths {
                match path {
                    Some(path) => self.add_watch(path, conn, kind)?,
                    None => self.hold_null_path_watch(conn)?,
                }
            }
        }
        Ok(())
    }

    /// A null-path request ZooKeeper answers other than with
    /// MarshallingError at once ([`NullPathRequest`]).
    fn read_null_path(&mut self, conn: ConnKey, request: NullPathRequest) -> ReadResult {
        match request {
            NullPathRequest::Sync => Ok(Some(ReadReply::SyncNullPath)),
            NullPathRequest::AddWatch { mode } => {
                AddWatchMode::from_i32(mode).ok_or(ErrorCode::MarshallingError)?;
                self.hold_null_path_watch(conn)?;
                Ok(Some(ReadReply::AddWatch(ErrorResponse { err: 0 })))
            }
            NullPathRequest::RemoveWatches { watcher_type } => {
                parse_watcher_type(watcher_type)?;
                match self.connection(conn)?.holds_null_path_watch {
                    true => Err(ErrorCode::MarshallingError),
                    false => Err(ErrorCode::NoWatcher),
                }
            }
            NullPathRequest::Multi => Ok(Some(ReadReply::MultiStopped(MultiResponse::default()))),
        }
    }

    /// A watch on a null path (addWatch, or setWatches2's persistent
    /// lists): ZooKeeper's watch tables take Java's null as a key, so the
    /// first one on a connection is held (and never fires); the next
    /// looks the held one up by `null.equals`, a NullPointerException.
    fn hold_null_path_watch(&mut self, conn: ConnKey) -> Result<(), ErrorCode> {
        let connection = self
            .connections
            .get_mut(&conn)
            .ok_or(ErrorCode::SessionExpired)?;
        if connection.holds_null_path_watch {
            return Err(ErrorCode::MarshallingError);
        }
        connection.holds_null_path_watch = true;
        Ok(())
    }
}

/// checkWatches' and removeWatches' watcher type.
fn parse_watcher_type(code: i32) -> Result<WatcherType, ErrorCode> {
    WatcherType::from_i32(code).ok_or(ErrorCode::MarshallingError)
}

/// checkWatches' and removeWatches' answer: no body when a watch was
/// found, NoWatcher when none was, MarshallingError for a request the
/// watch manager refuses.
fn found_or_no_watcher(found: Result<bool, WatchError>) -> ReadResult {
    match found {
        Ok(true) => Ok(None),
        Ok(false) => Err(ErrorCode::NoWatcher),
        Err(_) => Err(ErrorCode::MarshallingError),
    }
}

/// The data (None: null) of a node a read just looked up. Reads do not
/// change the tree, so the node is still there when the reply is written.
fn looked_up_data(tree: &DataTree, node: NodeId) -> Option<&[u8]> {
    tree.node(node)
        .expect("invariant: a read does not change the tree before its reply")
        .data_or_null()
}

/// ZooKeeper's node map holds the root under "" as well as "/".
fn tree_path(path: &str) -> &str {
    if path.is_empty() {
        "/"
    } else {
        path
    }
}
