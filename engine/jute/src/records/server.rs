//! Records between servers (`org.apache.zookeeper.server.quorum`) and at
//! the head of data files (`org.apache.zookeeper.server.persistence`).

use super::data::Id;

jute_records! {
    /// A follower or observer introducing itself to the leader.
    LearnerInfo {
        server_id: long,
        protocol_version: int,
        config_version: long,
    }

    /// Every message of the leader/learner protocol: PROPOSAL, ACK,
    /// COMMIT, PING, NEWLEADER, UPTODATE, DIFF, TRUNC, SNAP, ...
    QuorumPacket {
        packet_type: int,
        zxid: long,
        data: buffer,
        auth_info: vector<Id>,
    }

    QuorumAuthPacket {
        magic: long,
        status: int,
        token: buffer,
    }

    /// Head of Apache ZooKeeper's snapshot.* and log.* files.
    FileHeader {
        magic: int,
        version: int,
        db_id: long,
    }
}
