//! ZooKeeper's numeric vocabularies: op codes, error codes, watch event
//! types and states, permissions, create modes and reserved xids.

/// Declares a C-like enum over `i32` with `from_i32`, `as_i32` and the
/// ZooKeeper spelling of each value.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $value:expr => $text:literal, )* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $( $(#[$vmeta])* $variant = $value, )* }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )* ];

            pub fn from_i32(value: i32) -> Option<Self> {
                match value {
                    $( $value => Some($name::$variant), )*
                    _ => None,
                }
            }

            pub fn as_i32(self) -> i32 {
                self as i32
            }

            /// The name ZooKeeper uses for this value.
            pub fn zk_name(self) -> &'static str {
                match self { $( $name::$variant => $text, )* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.zk_name())
            }
        }
    };
}

wire_enum! {
    /// `ZooDefs.OpCode`: the `type` of a RequestHeader, MultiHeader or TxnHeader.
    OpCode {
        Notification = 0 => "notification",
        Create = 1 => "create",
        Delete = 2 => "delete",
        Exists = 3 => "exists",
        GetData = 4 => "getData",
        SetData = 5 => "setData",
        GetAcl = 6 => "getACL",
        SetAcl = 7 => "setACL",
        GetChildren = 8 => "getChildren",
        Sync = 9 => "sync",
        Ping = 11 => "ping",
        GetChildren2 = 12 => "getChildren2",
        Check = 13 => "check",
        Multi = 14 => "multi",
        Create2 = 15 => "create2",
        Reconfig = 16 => "reconfig",
        CheckWatches = 17 => "checkWatches",
        RemoveWatches = 18 => "removeWatches",
        CreateContainer = 19 => "createContainer",
        DeleteContainer = 20 => "deleteContainer",
        CreateTtl = 21 => "createTTL",
        MultiRead = 22 => "multiRead",
        Auth = 100 => "auth",
        SetWatches = 101 => "setWatches",
        Sasl = 102 => "sasl",
        GetEphemerals = 103 => "getEphemerals",
        GetAllChildrenNumber = 104 => "getAllChildrenNumber",
        SetWatches2 = 105 => "setWatches2",
        AddWatch = 106 => "addWatch",
        WhoAmI = 107 => "whoAmI",
        CreateSession = -10 => "createSession",
        CloseSession = -11 => "closeSession",
        Error = -1 => "error",
    }
}

wire_enum! {
    /// `KeeperException.Code`: the `err` of a ReplyHeader or MultiHeader.
    ErrorCode {
        Ok = 0 => "OK",
        SystemError = -1 => "SYSTEMERROR",
        RuntimeInconsistency = -2 => "RUNTIMEINCONSISTENCY",
        DataInconsistency = -3 => "DATAINCONSISTENCY",
        ConnectionLoss = -4 => "CONNECTIONLOSS",
        MarshallingError = -5 => "MARSHALLINGERROR",
        Unimplemented = -6 => "UNIMPLEMENTED",
        OperationTimeout = -7 => "OPERATIONTIMEOUT",
        BadArguments = -8 => "BADARGUMENTS",
        NewConfigNoQuorum = -13 => "NEWCONFIGNOQUORUM",
        ReconfigInProgress = -14 => "RECONFIGINPROGRESS",
        UnknownSession = -12 => "UNKNOWNSESSION",
        ApiError = -100 => "APIERROR",
        NoNode = -101 => "NONODE",
        NoAuth = -102 => "NOAUTH",
        BadVersion = -103 => "BADVERSION",
        NoChildrenForEphemerals = -108 => "NOCHILDRENFOREPHEMERALS",
        NodeExists = -110 => "NODEEXISTS",
        NotEmpty = -111 => "NOTEMPTY",
        SessionExpired = -112 => "SESSIONEXPIRED",
        InvalidCallback = -113 => "INVALIDCALLBACK",
        InvalidAcl = -114 => "INVALIDACL",
        AuthFailed = -115 => "AUTHFAILED",
        SessionMoved = -118 => "SESSIONMOVED",
        NotReadOnly = -119 => "NOTREADONLY",
        EphemeralOnLocalSession = -120 => "EPHEMERALONLOCALSESSION",
        NoWatcher = -121 => "NOWATCHER",
        RequestTimeout = -122 => "REQUESTTIMEOUT",
        ReconfigDisabled = -123 => "RECONFIGDISABLED",
        SessionClosedRequireSaslAuth = -124 => "SESSIONCLOSEDREQUIRESASLAUTH",
        QuotaExceeded = -125 => "QUOTAEXCEEDED",
        ThrottledOp = -127 => "THROTTLEDOP",
    }
}

/// The name of an `err` value as it arrived: ZooKeeper's name when known,
/// else `ERR(<n>)`.
pub fn error_name(err: i32) -> std::borrow::Cow<'static, str> {
    match ErrorCode::from_i32(err) {
        Some(code) => code.zk_name().into(),
        None => format!("ERR({err})").into(),
    }
}

wire_enum! {
    /// `Watcher.Event.EventType`.
    EventType {
        None = -1 => "None",
        NodeCreated = 1 => "NodeCreated",
        NodeDeleted = 2 => "NodeDeleted",
        NodeDataChanged = 3 => "NodeDataChanged",
        NodeChildrenChanged = 4 => "NodeChildrenChanged",
        DataWatchRemoved = 5 => "DataWatchRemoved",
        ChildWatchRemoved = 6 => "ChildWatchRemoved",
        PersistentWatchRemoved = 7 => "PersistentWatchRemoved",
    }
}

wire_enum! {
    /// `Watcher.Event.KeeperState`.
    KeeperState {
        Disconnected = 0 => "Disconnected",
        SyncConnected = 3 => "SyncConnected",
        AuthFailed = 4 => "AuthFailed",
        ConnectedReadOnly = 5 => "ConnectedReadOnly",
        SaslAuthenticated = 6 => "SaslAuthenticated",
        Expired = -112 => "Expired",
        Closed = 7 => "Closed",
    }
}

wire_enum! {
    /// `AddWatchMode`, the mode of addWatch.
    AddWatchMode {
        Persistent = 0 => "PERSISTENT",
        PersistentRecursive = 1 => "PERSISTENT_RECURSIVE",
    }
}

wire_enum! {
    /// `Watcher.WatcherType`, for checkWatches and removeWatches.
    WatcherType {
        Children = 1 => "Children",
        Data = 2 => "Data",
        Any = 3 => "Any",
        Persistent = 4 => "Persistent",
        PersistentRecursive = 5 => "PersistentRecursive",
    }
}

wire_enum! {
    /// `CreateMode`, the `flags` of CreateRequest.
    CreateMode {
        Persistent = 0 => "PERSISTENT",
        Ephemeral = 1 => "EPHEMERAL",
        PersistentSequential = 2 => "PERSISTENT_SEQUENTIAL",
        EphemeralSequential = 3 => "EPHEMERAL_SEQUENTIAL",
        Container = 4 => "CONTAINER",
        PersistentWithTtl = 5 => "PERSISTENT_WITH_TTL",
        PersistentSequentialWithTtl = 6 => "PERSISTENT_SEQUENTIAL_WITH_TTL",
    }
}

impl CreateMode {
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }
}

/// `ZooDefs.Perms`: bits of `Acl.perms`.
pub struct Perms;

impl Perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 1 << 1;
    pub const CREATE: i32 = 1 << 2;
    pub const DELETE: i32 = 1 << 3;
    pub const ADMIN: i32 = 1 << 4;
    pub const ALL: i32 = Self::READ | Self::WRITE | Self::CREATE | Self::DELETE | Self::ADMIN;
}

/// Reserved xids: these replies are not answers to numbered requests.
pub struct Xid;

impl Xid {
    /// A watch notification.
    pub const NOTIFICATION: i32 = -1;
    pub const PING: i32 = -2;
    pub const AUTH: i32 = -4;
    pub const SET_WATCHES: i32 = -8;
}
