//! The walk from a path up through its parents that ZooKeeper's watch
//! managers do when they trigger or check a watch.

/// A step of the walk could not be taken: the path (or a parent of it) is
/// not absolute, so it has no parent. ZooKeeper 3.8's iterator throws
/// there (`substring(0, -1)`), and the request that walked fails with
/// MarshallingError.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotWalkable;

/// ZooKeeper's `PathParentIterator`: the path, then (when `all`) each
/// parent up to and including "/". Each item says whether it is a parent
/// (`at_parent`) rather than the path itself.
pub(crate) struct ParentWalk<'a> {
    rest: &'a str,
    taken: usize,
    take_max: usize,
}

impl<'a> ParentWalk<'a> {
    /// `forAll` when `all`, else `forPathOnly`.
    pub(crate) fn new(path: &'a str, all: bool) -> Self {
        ParentWalk {
            rest: path,
            taken: 0,
            take_max: if all { usize::MAX } else { 1 },
        }
    }
}

impl<'a> Iterator for ParentWalk<'a> {
    type Item = Result<(&'a str, bool), NotWalkable>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.taken >= self.take_max {
            return None;
        }
        let local = self.rest;
        // Like ZooKeeper, the parent is worked out as the path is handed
        // out, so a path without '/' fails on its first step.
        self.rest = if local == "/" {
            ""
        } else {
            match local.rfind('/') {
                None => {
                    self.rest = "";
                    return Some(Err(NotWalkable));
                }
                Some(0) => "/",
                Some(slash) => &local[..slash],
            }
        };
        self.taken += 1;
        Some(Ok((local, self.taken > 1)))
    }
}

#[cfg(test)]
mod tests {
    use super::{NotWalkable, ParentWalk};

    fn walk(path: &str, all: bool) -> Vec<Result<(&str, bool), NotWalkable>> {
        ParentWalk::new(path, all).collect()
    }

    #[test]
    fn walk_goes_from_the_path_up_to_the_root() {
        assert_eq!(
            walk("/a/b", true),
            [Ok(("/a/b", false)), Ok(("/a", true)), Ok(("/", true))]
        );
        assert_eq!(walk("/", true), [Ok(("/", false))]);
        assert_eq!(walk("/a/b", false), [Ok(("/a/b", false))]);
    }

    #[test]
    fn walk_of_odd_paths_follows_zookeepers_string_cuts() {
        assert_eq!(
            walk("/a/", true),
            [Ok(("/a/", false)), Ok(("/a", true)), Ok(("/", true))]
        );
        assert_eq!(walk("", true), []);
        assert_eq!(walk("a", false), [Err(NotWalkable)]);
        assert_eq!(walk("x/y", true), [Ok(("x/y", false)), Err(NotWalkable)]);
    }
}
