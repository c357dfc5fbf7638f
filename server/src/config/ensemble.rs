//! `server.N` lines and the ensemble they describe.

use super::{ConfigError, Parser, Setting};

/// A `server.N` member's part in the quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnerType {
    /// Votes in elections and on proposals.
    Participant,
    /// Follows the leader without voting.
    Observer,
}

/// One `server.N=host:quorumPort:electionPort[:type][;[clientHost:]clientPort]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    /// N, the server id (what that server's `myid` file holds).
    pub id: u64,
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    /// Followers connect to the leader here.
    pub quorum_port: u16,
    /// Leader election traffic goes here.
    pub election_port: u16,
    pub learner_type: LearnerType,
    /// The client address after `;`, if it names a host.
    pub client_host: Option<String>,
    /// The client port after `;`, if given.
    pub client_port: Option<u16>,
    /// The `zoo.cfg` line of this entry.
    pub line: usize,
}

const FORM: &str = "does not have the form \
    host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]";

/// Splits `host:rest` or `[v6 host]:rest`; `rest` keeps its leading `:`.
fn split_host(address: &str) -> Option<(&str, &str)> {
    if let Some(bracketed) = address.strip_prefix('[') {
        let (host, rest) = bracketed.split_once(']')?;
        return Some((host, rest));
    }
    match address.find(':') {
        Some(colon) => Some((&address[..colon], &address[colon..])),
        None => Some((address, "")),
    }
}

/// The reason a port text is unusable, if it is.
fn parse_port(what: &str, text: &str) -> Result<u16, String> {
    let n: i64 = text
        .parse()
        .map_err(|_| format!("has a {what} {text:?} that is not a whole number"))?;
    u16::try_from(n).map_err(|_| format!("has a {what} {n} outside 0-65535"))
}

/// Reads the value of a `server.N` line (everything but the id).
fn parse_server_value(value: &str) -> Result<ServerEntry, String> {
    // Java's split drops trailing empty parts, so a trailing ';' is harmless.
    let mut parts: Vec<&str> = value.split(';').collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    let (quorum_part, client_part) = match parts.as_slice() {
        [quorum] => (*quorum, None),
        [quorum, client] => (*quorum, Some(*client)),
        _ => return Err(FORM.to_owned()),
    };
    if quorum_part.contains('|') {
        return Err(
            "lists several addresses for one server, which ringkeeper does not support \
                    (ZooKeeper needs multiAddress.enabled=true for it)"
                .to_owned(),
        );
    }
    let (host, rest) = split_host(quorum_part).ok_or_else(|| FORM.to_owned())?;
    let fields: Vec<&str> = match rest.strip_prefix(':') {
        Some(fields) => fields.split(':').collect(),
        None => return Err(FORM.to_owned()),
    };
    let (quorum_port, election_port, learner_type) = match fields.as_slice() {
        [quorum, election] => (*quorum, *election, None),
        [quorum, election, learner_type] => (*quorum, *election, Some(*learner_type)),
        _ => return Err(FORM.to_owned()),
    };
    if host.is_empty() {
        return Err("has an empty host".to_owned());
    }
    let learner_type = match learner_type {
        None => LearnerType::Participant,
        Some(t) if t.eq_ignore_ascii_case("participant") => LearnerType::Participant,
        Some(t) if t.eq_ignore_ascii_case("observer") => LearnerType::Observer,
        Some(t) => return Err(format!("has the type {t:?}, not participant or observer")),
    };
    let (client_host, client_port) = match client_part {
        None => (None, None),
        Some(client) if client.contains(':') || client.starts_with('[') => {
            let (client_host, port) = split_host(client)
                .and_then(|(h, rest)| Some((h, rest.strip_prefix(':')?)))
                .ok_or_else(|| FORM.to_owned())?;
            if client_host.is_empty() {
                return Err("has an empty client host".to_owned());
            }
            let port = parse_port("client port", port)?;
            (Some(client_host.to_owned()), Some(port))
        }
        Some(port) => (None, Some(parse_port("client port", port)?)),
    };
    Ok(ServerEntry {
        id: 0,
        host: host.to_owned(),
        quorum_port: parse_port("quorum port", quorum_port)?,
        election_port: parse_port("election port", election_port)?,
        learner_type,
        client_host,
        client_port,
        line: 0,
    })
}

impl Parser {
    /// Reads `server.N=...`.
    pub(crate) fn server_entry(&self, s: Setting<'_>) -> Result<ServerEntry, ConfigError> {
        let id_text = &s.key["server.".len()..];
        let id = match id_text.parse::<i64>() {
            Ok(id) => u64::try_from(id)
                .map_err(|_| self.bad_value(s, format!("belongs to a negative server id {id}")))?,
            Err(_) => {
                return Err(self.bad_value(
                    s,
                    format!("belongs to the server id {id_text:?}, which is not a whole number"),
                ))
            }
        };
        let entry = parse_server_value(s.value).map_err(|reason| self.bad_value(s, reason))?;
        Ok(ServerEntry {
            id,
            line: s.line,
            ..entry
        })
    }

    /// ZooKeeper's checks on the ensemble as a whole. `servers` is sorted
    /// by id.
    pub(crate) fn check_ensemble(
        &mut self,
        servers: &[(ServerEntry, Setting<'_>)],
        standalone_enabled: Option<(bool, Setting<'_>)>,
        init_limit: Option<(u32, Setting<'_>)>,
        sync_limit: Option<(u32, Setting<'_>)>,
    ) -> Result<(), ConfigError> {
        for pair in servers.windows(2) {
            let ((a, a_setting), (b, b_setting)) = (&pair[0], &pair[1]);
            if a.id == b.id {
                let (earlier, later) = if a.line < b.line {
                    (a, *b_setting)
                } else {
                    (b, *a_setting)
                };
                let reason = format!("names server {} again (line {})", a.id, earlier.line);
                return Err(self.bad_value(later, reason));
            }
        }
        let participants: Vec<Setting<'_>> = servers
            .iter()
            .filter(|(s, _)| s.learner_type == LearnerType::Participant)
            .map(|(_, setting)| *setting)
            .collect();
        let first_observer = servers
            .iter()
            .find(|(s, _)| s.learner_type == LearnerType::Observer)
            .map(|(_, setting)| *setting);
        let standalone = standalone_enabled.is_none_or(|(enabled, _)| enabled);

        let Some(&first) = participants.first() else {
            if let Some((false, setting)) = standalone_enabled {
                let reason = "is false, which needs at least one participant server.N line";
                return Err(self.bad_value(setting, reason));
            }
            if let Some(observer) = first_observer {
                let reason = "is an observer, but there are no participants to observe";
                return Err(self.bad_value(observer, reason));
            }
            return Ok(());
        };
        if participants.len() == 1 && standalone {
            if let Some(observer) = first_observer {
                let reason = "is an observer, but a single participant runs standalone";
                return Err(self.bad_value(observer, reason));
            }
            self.advise(
                first,
                "is the only server: running standalone (ZooKeeper logs \"only one server \
                 specified (ignoring)\")",
            );
            return Ok(());
        }
        // Distributed from here on.
        if participants.len() <= 2 {
            self.advise(
                first,
                format!(
                    "{} participant(s) tolerate no server failure: an ensemble needs at least 3",
                    participants.len()
                ),
            );
        } else if participants.len() % 2 == 0 {
            self.advise(
                first,
                format!(
                    "{} participants tolerate no more failures than {}: consider an odd number",
                    participants.len(),
                    participants.len() - 1
                ),
            );
        }
        for (name, limit) in [("initLimit", init_limit), ("syncLimit", sync_limit)] {
            match limit {
                Some((0, setting)) => {
                    return Err(self.bad_value(setting, "must be at least 1 in an ensemble"));
                }
                Some(_) => {}
                None => return Err(self.missing(name, " (an ensemble needs it)")),
            }
        }
        Ok(())
    }
}
