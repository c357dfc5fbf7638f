//! [`WatchedPaths`]: the watches one session slot asked for, as a client's
//! watch manager keeps them, for the setWatches replay of its reconnect.

use ringkeeper_jute::AddWatchMode;

use super::op::{Op, SetWatchesSpec};

/// Watched paths remembered per list (beyond it, the oldest is forgotten).
pub const REMEMBERED_WATCHES_MAX: usize = 16;

/// The paths a slot asked to watch, by the list setWatches2 hands them
/// back in. Whether a watch is still held on the server does not matter:
/// both servers get the same replay.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WatchedPaths {
    pub data: Vec<String>,
    pub exist: Vec<String>,
    pub child: Vec<String>,
    pub persistent: Vec<String>,
    pub persistent_recursive: Vec<String>,
}

impl WatchedPaths {
    /// Notes the watch `op` asks for, if any; a closed session forgets all.
    pub fn note(&mut self, op: &Op) {
        match op {
            Op::GetData {
                path, watch: true, ..
            } => remember(&mut self.data, path),
            Op::Exists {
                path, watch: true, ..
            } => remember(&mut self.exist, path),
            Op::GetChildren {
                path, watch: true, ..
            }
            | Op::GetChildren2 {
                path, watch: true, ..
            } => remember(&mut self.child, path),
            Op::AddWatch { path, mode, .. } => {
                if *mode == AddWatchMode::Persistent.as_i32() {
                    remember(&mut self.persistent, path);
                } else {
                    remember(&mut self.persistent_recursive, path);
                }
            }
            Op::CloseSession { .. } => *self = WatchedPaths::default(),
            _ => {}
        }
    }

    /// What a replay handed back is watched again on the new connection.
    pub fn note_replayed(&mut self, spec: &SetWatchesSpec) {
        let lists = [
            (&spec.data, &mut self.data),
            (&spec.exist, &mut self.exist),
            (&spec.child, &mut self.child),
            (&spec.persistent, &mut self.persistent),
            (&spec.persistent_recursive, &mut self.persistent_recursive),
        ];
        for (replayed, kept) in lists {
            for path in replayed {
                remember(kept, path);
            }
        }
    }
}

fn remember(list: &mut Vec<String>, path: &str) {
    if list.iter().any(|known| known == path) {
        return;
    }
    if list.len() >= REMEMBERED_WATCHES_MAX {
        list.remove(0);
    }
    list.push(path.to_string());
}
