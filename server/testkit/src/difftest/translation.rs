//! What may differ between two correct servers, and how it is matched.
//!
//! - zxids: each server numbers its txns its own way. The translation is
//!   learned as the run goes: the first time server A shows zxid `a` where
//!   server B shows `b`, `a <-> b` is recorded; from then on it must hold
//!   both ways, and the order must agree (`a1 < a2` iff `b1 < b2`). Values
//!   <= 0 (none, or 3.8's -1 in notifications) must be equal.
//! - session ids: learned from the handshakes of the same session slot;
//!   an `ephemeralOwner` must name corresponding sessions. Any owner
//!   that is not a session either side knows compares exactly.
//! - times: never compared.

use std::collections::{BTreeMap, HashMap};

use super::answer::{Answer, Token};
use crate::client::WatchEvent;
use ringkeeper_jute::error_name;

#[derive(Debug, Default)]
pub struct Translation {
    zxid_a_to_b: BTreeMap<i64, i64>,
    zxid_b_to_a: BTreeMap<i64, i64>,
    session_a_to_b: HashMap<i64, i64>,
    session_b_to_a: HashMap<i64, i64>,
}

impl Translation {
    pub fn new() -> Translation {
        Translation::default()
    }

    /// Records that session slot's ids `a` (server A) and `b` (server B) correspond.
    pub fn learn_session(&mut self, a: i64, b: i64) {
        self.session_a_to_b.insert(a, b);
        self.session_b_to_a.insert(b, a);
    }

    /// Checks (and learns) that zxid `a` on server A is zxid `b` on server B.
    pub fn match_zxid(&mut self, a: i64, b: i64) -> Result<(), String> {
        if a <= 0 || b <= 0 {
            return if a == b {
                Ok(())
            } else {
                Err(format!("zxid 0x{a:x} vs 0x{b:x}"))
            };
        }
        match (self.zxid_a_to_b.get(&a), self.zxid_b_to_a.get(&b)) {
            (Some(&known_b), _) if known_b == b => return Ok(()),
            (Some(&known_b), _) => {
                return Err(format!(
                    "zxid 0x{a:x} on A was 0x{known_b:x} on B before, now 0x{b:x}"
                ))
            }
            (None, Some(&known_a)) => {
                return Err(format!(
                    "zxid 0x{b:x} on B was 0x{known_a:x} on A before, now 0x{a:x}"
                ))
            }
            (None, None) => {}
        }
        let below = self.zxid_a_to_b.range(..a).next_back();
        let above = self.zxid_a_to_b.range(a..).next();
        if let Some((&a_below, &b_below)) = below {
            if b_below >= b {
                return Err(format!(
                    "zxid order differs: A 0x{a_below:x} < 0x{a:x} but B 0x{b_below:x} >= 0x{b:x}"
                ));
            }
        }
        if let Some((&a_above, &b_above)) = above {
            if b_above <= b {
                return Err(format!(
                    "zxid order differs: A 0x{a:x} < 0x{a_above:x} but B 0x{b:x} >= 0x{b_above:x}"
                ));
            }
        }
        self.zxid_a_to_b.insert(a, b);
        self.zxid_b_to_a.insert(b, a);
        Ok(())
    }

    /// Checks that owner `a` on server A corresponds to owner `b` on server B.
    pub fn match_owner(&self, a: i64, b: i64) -> Result<(), String> {
        let a_session = self.session_a_to_b.get(&a);
        let b_session = self.session_b_to_a.get(&b);
        match (a_session, b_session) {
            (Some(&expected_b), _) if expected_b == b => Ok(()),
            (None, None) if a == b => Ok(()),
            _ => Err(format!(
                "ephemeralOwner 0x{a:x} (A's session {}) vs 0x{b:x} (B's session {})",
                a_session.map_or("unknown".to_string(), |_| "known".into()),
                b_session.map_or("unknown".to_string(), |_| "known".into()),
            )),
        }
    }

    /// Compares two answers; `Err` says the first difference.
    pub fn compare_answers(&mut self, a: &Answer, b: &Answer) -> Result<(), String> {
        if a.err != b.err {
            return Err(format!(
                "error code {} vs {}",
                error_name(a.err),
                error_name(b.err)
            ));
        }
        self.match_zxid(a.zxid, b.zxid)
            .map_err(|why| format!("reply header: {why}"))?;
        for (index, (field_a, field_b)) in a.fields.iter().zip(&b.fields).enumerate() {
            let (label_a, token_a) = field_a;
            let (label_b, token_b) = field_b;
            if label_a != label_b {
                return Err(format!("field {index}: {label_a} vs {label_b}"));
            }
            let result = match (token_a, token_b) {
                (Token::Text(x), Token::Text(y)) if x == y => Ok(()),
                (Token::Zxid(x), Token::Zxid(y)) => self.match_zxid(*x, *y),
                (Token::Owner(x), Token::Owner(y)) => self.match_owner(*x, *y),
                (Token::Time(_), Token::Time(_)) => Ok(()),
                (x, y) => Err(format!("{x} vs {y}")),
            };
            result.map_err(|why| format!("{label_a}: {why}"))?;
        }
        if a.fields.len() != b.fields.len() {
            return Err(format!(
                "{} fields vs {} fields",
                a.fields.len(),
                b.fields.len()
            ));
        }
        Ok(())
    }

    /// Compares the events one session slot received during a step:
    /// type, state, path and order; zxids through the translation.
    pub fn compare_events(&mut self, a: &[WatchEvent], b: &[WatchEvent]) -> Result<(), String> {
        for (index, (event_a, event_b)) in a.iter().zip(b).enumerate() {
            let same = event_a.event_type == event_b.event_type
                && event_a.state == event_b.state
                && event_a.path == event_b.path;
            if !same {
                return Err(format!("event {index}: {event_a} vs {event_b}"));
            }
            self.match_zxid(event_a.zxid, event_b.zxid)
                .map_err(|why| format!("event {index} ({event_a}): {why}"))?;
        }
        if a.len() != b.len() {
            return Err(format!("{} events vs {} events", a.len(), b.len()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(fields: Vec<(&str, Token)>) -> Answer {
        Answer {
            err: 0,
            zxid: 0,
            fields: fields
                .into_iter()
                .map(|(label, token)| (label.to_string(), token))
                .collect(),
        }
    }

    #[test]
    fn zxids_translate_consistently_both_ways() {
        let mut translation = Translation::new();
        translation.match_zxid(0x10, 0x500).unwrap();
        translation.match_zxid(0x10, 0x500).unwrap();
        assert!(translation.match_zxid(0x10, 0x501).is_err());
        assert!(translation.match_zxid(0x11, 0x500).is_err());
    }

    #[test]
    fn zxid_translation_must_keep_the_order() {
        let mut translation = Translation::new();
        translation.match_zxid(0x10, 0x500).unwrap();
        translation.match_zxid(0x20, 0x600).unwrap();
        translation.match_zxid(0x15, 0x550).unwrap();
        assert!(
            translation.match_zxid(0x18, 0x520).is_err(),
            "0x18 > 0x15 but 0x520 < 0x550"
        );
        assert!(
            translation.match_zxid(0x30, 0x590).is_err(),
            "0x30 > 0x20 but 0x590 < 0x600"
        );
        assert!(translation.match_zxid(0x05, 0x700).is_err());
    }

    #[test]
    fn missing_zxids_are_only_equal_to_missing_zxids() {
        let mut translation = Translation::new();
        translation.match_zxid(-1, -1).unwrap();
        translation.match_zxid(0, 0).unwrap();
        assert!(translation.match_zxid(-1, 0x5).is_err());
        assert!(translation.match_zxid(0, 0x5).is_err());
    }

    #[test]
    fn ephemeral_owners_compare_through_the_session_correspondence() {
        let mut translation = Translation::new();
        translation.learn_session(0x1000, 0x2000);
        translation.learn_session(0x1001, 0x2001);
        translation.match_owner(0x1000, 0x2000).unwrap();
        translation.match_owner(0, 0).unwrap();
        assert!(translation.match_owner(0x1000, 0x2001).is_err());
        assert!(translation.match_owner(0x1000, 0).is_err());
        assert!(translation.match_owner(0, 0x2000).is_err());
        // Not a session: exact.
        translation.match_owner(i64::MIN, i64::MIN).unwrap();
        assert!(translation.match_owner(7, 8).is_err());
    }

    #[test]
    fn answers_differ_by_text_field_count_or_error_but_not_by_time() {
        let mut translation = Translation::new();
        let a = answer(vec![
            ("data", Token::Text("x".into())),
            ("ctime", Token::Time(1)),
        ]);
        let b = answer(vec![
            ("data", Token::Text("x".into())),
            ("ctime", Token::Time(2)),
        ]);
        translation.compare_answers(&a, &b).unwrap();
        let c = answer(vec![
            ("data", Token::Text("y".into())),
            ("ctime", Token::Time(1)),
        ]);
        assert!(translation
            .compare_answers(&a, &c)
            .unwrap_err()
            .contains("data"));
        let d = answer(vec![("data", Token::Text("x".into()))]);
        assert!(translation.compare_answers(&a, &d).is_err());
        let mut e = a.clone();
        e.err = -101;
        assert!(translation
            .compare_answers(&a, &e)
            .unwrap_err()
            .contains("NONODE"));
    }

    #[test]
    fn events_compare_in_order() {
        let event = |event_type, path: &str| WatchEvent {
            zxid: -1,
            event_type,
            state: 3,
            path: path.into(),
        };
        let mut translation = Translation::new();
        let a = [event(3, "/x"), event(4, "/")];
        translation.compare_events(&a, &a.clone()).unwrap();
        let swapped = [event(4, "/"), event(3, "/x")];
        assert!(translation.compare_events(&a, &swapped).is_err());
        assert!(translation.compare_events(&a, &a[..1]).is_err());
    }
}
