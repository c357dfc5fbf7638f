//! What each session does next: the op kinds and the weighted mix.

use std::fmt;

/// The operations loadgen can issue in the measured phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// getData of a random key.
    Get,
    /// setData (version -1) of a random key.
    Set,
    /// exists of a random key.
    Exists,
    /// getChildren of the fixed directory node.
    Children,
    /// create of a persistent sequential node (remembered for delete).
    Create,
    /// create of an ephemeral sequential node (remembered for delete).
    Ephemeral,
    /// delete of a node this session created (a create when it has none).
    Delete,
    /// multi: check(version -1) of one key and setData of another.
    Multi,
}

impl OpKind {
    pub const ALL: [OpKind; 8] = [
        OpKind::Get,
        OpKind::Set,
        OpKind::Exists,
        OpKind::Children,
        OpKind::Create,
        OpKind::Ephemeral,
        OpKind::Delete,
        OpKind::Multi,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            OpKind::Get => "get",
            OpKind::Set => "set",
            OpKind::Exists => "exists",
            OpKind::Children => "children",
            OpKind::Create => "create",
            OpKind::Ephemeral => "ephemeral",
            OpKind::Delete => "delete",
            OpKind::Multi => "multi",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn is_write(self) -> bool {
        !matches!(self, OpKind::Get | OpKind::Exists | OpKind::Children)
    }
}

impl fmt::Display for OpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A weighted choice among op kinds.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix {
    /// (kind, cumulative weight), cumulative weights strictly increasing.
    cumulative: Vec<(OpKind, f64)>,
    total: f64,
}

impl Mix {
    /// The default mix: setData with probability `write_ratio`, else getData.
    pub fn from_write_ratio(write_ratio: f64) -> Result<Mix, String> {
        if !(0.0..=1.0).contains(&write_ratio) {
            return Err(format!(
                "--write-ratio must be between 0 and 1, got {write_ratio}"
            ));
        }
        Mix::from_weights(&[(OpKind::Get, 1.0 - write_ratio), (OpKind::Set, write_ratio)])
    }

    /// Parses `get=80,set=10,create=5,delete=5`: weights are relative.
    pub fn parse(text: &str) -> Result<Mix, String> {
        let mut weights = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("--mix entry '{part}' is not NAME=WEIGHT"))?;
            let kind = OpKind::ALL
                .into_iter()
                .find(|k| k.name() == name.trim())
                .ok_or_else(|| {
                    let names: Vec<_> = OpKind::ALL.iter().map(|k| k.name()).collect();
                    format!(
                        "--mix: unknown op '{}'; known ops: {}",
                        name.trim(),
                        names.join(", ")
                    )
                })?;
            let weight: f64 = weight
                .trim()
                .parse()
                .map_err(|_| format!("--mix: weight of '{name}' is not a number: '{weight}'"))?;
            if !(weight >= 0.0 && weight.is_finite()) {
                return Err(format!("--mix: weight of '{name}' must be >= 0"));
            }
            weights.push((kind, weight));
        }
        Mix::from_weights(&weights)
    }

    fn from_weights(weights: &[(OpKind, f64)]) -> Result<Mix, String> {
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for &(kind, weight) in weights {
            if weight > 0.0 {
                total += weight;
                cumulative.push((kind, total));
            }
        }
        if cumulative.is_empty() {
            return Err("the op mix has no op with a positive weight".into());
        }
        Ok(Mix { cumulative, total })
    }

    /// Picks a kind from a uniform sample in [0, 1).
    pub fn choose(&self, uniform: f64) -> OpKind {
        let target = uniform * self.total;
        for &(kind, bound) in &self.cumulative {
            if target < bound {
                return kind;
            }
        }
        self.cumulative[self.cumulative.len() - 1].0
    }

    /// The share of writes in this mix.
    pub fn write_fraction(&self) -> f64 {
        let mut previous = 0.0;
        let mut writes = 0.0;
        for &(kind, bound) in &self.cumulative {
            if kind.is_write() {
                writes += bound - previous;
            }
            previous = bound;
        }
        writes / self.total
    }

    /// `get=0.9,set=0.1`: the mix normalised, for reports.
    pub fn describe(&self) -> String {
        let mut previous = 0.0;
        let mut parts = Vec::new();
        for &(kind, bound) in &self.cumulative {
            parts.push(format!("{}={:.3}", kind, (bound - previous) / self.total));
            previous = bound;
        }
        parts.join(",")
    }
}

/// A small, fast PRNG (xorshift64*) per worker; loadgen needs speed and
/// independence between workers, not cryptographic quality.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, bound).
    pub fn below(&mut self, bound: u64) -> u64 {
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_ratio_mix_chooses_set_at_the_given_rate() {
        let mix = Mix::from_write_ratio(0.1).unwrap();
        let mut rng = Rng::new(7);
        let sets = (0..100_000)
            .filter(|_| mix.choose(rng.next_f64()) == OpKind::Set)
            .count();
        assert!((9_000..11_000).contains(&sets), "sets = {sets}");
        assert!((mix.write_fraction() - 0.1).abs() < 1e-9);
    }

    #[test]
    fn write_ratio_zero_and_one_give_pure_mixes() {
        let mut rng = Rng::new(3);
        let reads = Mix::from_write_ratio(0.0).unwrap();
        let writes = Mix::from_write_ratio(1.0).unwrap();
        for _ in 0..1000 {
            assert_eq!(reads.choose(rng.next_f64()), OpKind::Get);
            assert_eq!(writes.choose(rng.next_f64()), OpKind::Set);
        }
    }

    #[test]
    fn mix_parses_names_and_rejects_unknown_ops() {
        let mix = Mix::parse("get=80, set=10,create=5,delete=5").unwrap();
        assert_eq!(
            mix.describe(),
            "get=0.800,set=0.100,create=0.050,delete=0.050"
        );
        let error = Mix::parse("get=1,fly=2").unwrap_err();
        assert!(error.contains("unknown op 'fly'"), "{error}");
        assert!(Mix::parse("get=0").is_err());
        assert!(Mix::parse("get").is_err());
        assert!(Mix::parse("get=-1").is_err());
        assert!(Mix::from_write_ratio(1.5).is_err());
    }

    #[test]
    fn rng_below_stays_in_range() {
        let mut rng = Rng::new(11);
        for bound in [1u64, 2, 7, 10_000] {
            for _ in 0..1000 {
                assert!(rng.below(bound) < bound);
            }
        }
    }
}
