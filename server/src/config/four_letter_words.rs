//! `4lw.commands.whitelist`: which four letter words the client port answers.

use std::collections::BTreeSet;

use super::properties::java_trim;

/// Every four letter word ZooKeeper 3.8 knows.
pub const FOUR_LETTER_WORDS: [&str; 18] = [
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst",
    "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
];

/// The word ZooKeeper always enables, whatever the whitelist says.
pub const ALWAYS_ENABLED_WORD: &str = "srvr";

/// The enabled four letter words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FourLetterWordWhitelist {
    /// `*`: every word.
    All,
    /// These words (always including `srvr`).
    Only(BTreeSet<String>),
}

impl Default for FourLetterWordWhitelist {
    /// ZooKeeper's default when the key is unset: `srvr` alone.
    fn default() -> Self {
        FourLetterWordWhitelist::Only(BTreeSet::from([ALWAYS_ENABLED_WORD.to_owned()]))
    }
}

impl FourLetterWordWhitelist {
    /// Reads the comma separated list as ZooKeeper does: items are trimmed,
    /// empty items skipped, `*` anywhere enables everything, and `srvr` is
    /// always added. Words are case-sensitive. Also returns the items that
    /// are not words ZooKeeper knows (kept, but worth a warning).
    pub fn parse(value: &str) -> (Self, Vec<String>) {
        let mut words = BTreeSet::from([ALWAYS_ENABLED_WORD.to_owned()]);
        let mut unknown = Vec::new();
        for item in value.split(',').map(java_trim) {
            if item == "*" {
                return (FourLetterWordWhitelist::All, Vec::new());
            }
            if item.is_empty() {
                continue;
            }
            if !FOUR_LETTER_WORDS.contains(&item) {
                unknown.push(item.to_owned());
            }
            words.insert(item.to_owned());
        }
        (FourLetterWordWhitelist::Only(words), unknown)
    }

    /// Whether the client port answers `word`.
    pub fn is_enabled(&self, word: &str) -> bool {
        match self {
            FourLetterWordWhitelist::All => FOUR_LETTER_WORDS.contains(&word),
            FourLetterWordWhitelist::Only(words) => words.contains(word),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_enables_srvr_alone() {
        let whitelist = FourLetterWordWhitelist::default();
        assert!(whitelist.is_enabled("srvr"));
        assert!(!whitelist.is_enabled("ruok"));
        assert!(!whitelist.is_enabled("stat"));
    }

    #[test]
    fn items_are_trimmed_and_srvr_is_always_added() {
        let (whitelist, unknown) = FourLetterWordWhitelist::parse("stat, ruok ,mntr,,");
        assert!(unknown.is_empty());
        for word in ["stat", "ruok", "mntr", "srvr"] {
            assert!(whitelist.is_enabled(word), "{word}");
        }
        assert!(!whitelist.is_enabled("conf"));
    }

    #[test]
    fn star_anywhere_enables_every_known_word() {
        let (whitelist, _) = FourLetterWordWhitelist::parse("ruok, *");
        assert_eq!(whitelist, FourLetterWordWhitelist::All);
        assert!(FOUR_LETTER_WORDS.iter().all(|w| whitelist.is_enabled(w)));
        assert!(!whitelist.is_enabled("nope"));
    }

    #[test]
    fn unknown_and_wrongly_cased_words_are_reported() {
        let (whitelist, unknown) = FourLetterWordWhitelist::parse("RUOK,abcd,stat");
        assert_eq!(unknown, vec!["RUOK".to_owned(), "abcd".to_owned()]);
        assert!(!whitelist.is_enabled("ruok"));
        assert!(whitelist.is_enabled("stat"));
    }
}
