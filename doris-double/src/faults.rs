//! Fault injection: the spec string (`kind=prob[:param],...`), and reproducible decisions.
//! Whether a fault hits one request is a pure function of the seed, the fault kind, the
//! request's identity (label, txn id + operation, ...) and how many times that identity has
//! been seen, so a run with the same seed and the same client behaviour injects the same
//! faults whatever the thread timing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

/// The kinds of fault the double injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// Answer HTTP 500 / 503 with a short text body; the call has no effect.
    Http5xx,
    /// Stream load: read about half the body, then close the connection; the txn aborts.
    Cut,
    /// The operation takes effect, then the connection closes without an answer.
    Lost,
    /// Sleep `param` ms before answering.
    Slow,
    /// A committed txn stays COMMITTED for `param` ms before it becomes VISIBLE.
    PublishDelay,
    /// A 2PC commit finds its PRECOMMITTED txn already aborted by the precommit timeout.
    Expire,
}

impl FaultKind {
    /// Every kind, in spec order.
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Http5xx,
        FaultKind::Cut,
        FaultKind::Lost,
        FaultKind::Slow,
        FaultKind::PublishDelay,
        FaultKind::Expire,
    ];

    /// The name used in the spec string and in stats.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Http5xx => "http5xx",
            FaultKind::Cut => "cut",
            FaultKind::Lost => "lost",
            FaultKind::Slow => "slow",
            FaultKind::PublishDelay => "publish_delay",
            FaultKind::Expire => "expire",
        }
    }

    fn from_name(s: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Default parameter (ms) for kinds that take one.
    fn default_param(self) -> u64 {
        match self {
            FaultKind::Slow => 100,
            FaultKind::PublishDelay => 200,
            _ => 0,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bad fault spec string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    /// An item is not `kind=prob[:param]`.
    #[error("fault spec item `{0}` is not kind=prob[:param]")]
    Syntax(String),
    /// Unknown kind.
    #[error("unknown fault kind `{0}` (known: http5xx, cut, lost, slow, publish_delay, expire)")]
    UnknownKind(String),
    /// Probability not a number in [0, 1].
    #[error("fault `{0}`: probability must be a number in [0, 1]")]
    Probability(String),
    /// Parameter not a non-negative integer.
    #[error("fault `{0}`: parameter must be a whole number of milliseconds")]
    Param(String),
}

/// One configured fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fault {
    /// Probability in [0, 1].
    pub prob: f64,
    /// Parameter (milliseconds for `slow` and `publish_delay`).
    pub param: u64,
}

/// A parsed fault spec: at most one entry per kind (a later item replaces an earlier one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    faults: BTreeMap<FaultKind, Fault>,
}

impl FaultSpec {
    /// Parses `kind=prob[:param],...`; an empty string is no faults.
    pub fn parse(spec: &str) -> Result<FaultSpec, FaultSpecError> {
        let mut faults = BTreeMap::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (kind, rest) = item
                .split_once('=')
                .ok_or_else(|| FaultSpecError::Syntax(item.to_string()))?;
            let kind = kind.trim();
            let k = FaultKind::from_name(kind)
                .ok_or_else(|| FaultSpecError::UnknownKind(kind.to_string()))?;
            let (prob, param) = match rest.split_once(':') {
                Some((p, a)) => (p, Some(a)),
                None => (rest, None),
            };
            let prob: f64 = prob
                .trim()
                .parse()
                .ok()
                .filter(|p: &f64| (0.0..=1.0).contains(p))
                .ok_or_else(|| FaultSpecError::Probability(item.to_string()))?;
            let param = match param {
                Some(a) => a
                    .trim()
                    .parse()
                    .map_err(|_| FaultSpecError::Param(item.to_string()))?,
                None => k.default_param(),
            };
            faults.insert(k, Fault { prob, param });
        }
        Ok(FaultSpec { faults })
    }

    /// The configured fault of a kind.
    pub fn get(&self, kind: FaultKind) -> Option<Fault> {
        self.faults.get(&kind).copied()
    }

    /// Whether no fault is configured.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (k, v) in &self.faults {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={}", k, v.prob)?;
            if v.param != 0 {
                write!(f, ":{}", v.param)?;
            }
        }
        Ok(())
    }
}

/// 64-bit FNV-1a, then a splitmix64 finaliser: stable across platforms and releases.
fn hash(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator so ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether a fault with probability `prob` hits, for this seed / kind / identity / attempt.
pub fn decide(seed: u64, kind: FaultKind, identity: &str, attempt: u64, prob: f64) -> bool {
    if prob <= 0.0 {
        return false;
    }
    if prob >= 1.0 {
        return true;
    }
    let h = hash(&[
        &seed.to_le_bytes(),
        kind.name().as_bytes(),
        identity.as_bytes(),
        &attempt.to_le_bytes(),
    ]);
    // 53 random bits → [0, 1).
    ((h >> 11) as f64 / (1u64 << 53) as f64) < prob
}

/// The live fault state of a server: spec, seed, attempt counters and injection counts.
#[derive(Debug)]
pub struct Faults {
    seed: u64,
    inner: Mutex<FaultsInner>,
}

#[derive(Debug, Default)]
struct FaultsInner {
    spec: FaultSpec,
    attempts: HashMap<String, u64>,
    injected: BTreeMap<FaultKind, u64>,
}

/// The faults that hit one request: `Some(param)` per kind that fired.
#[derive(Debug, Clone, Copy, Default)]
pub struct Roll {
    identity_attempt: u64,
    hits: [Option<u64>; 6],
}

impl Roll {
    /// Whether `kind` fired; its parameter.
    pub fn hit(&self, kind: FaultKind) -> Option<u64> {
        self.hits[kind as usize]
    }

    /// The attempt number of the identity this roll was made for (0-based).
    pub fn attempt(&self) -> u64 {
        self.identity_attempt
    }
}

impl Faults {
    /// Fault state with a seed and an initial spec.
    pub fn new(seed: u64, spec: FaultSpec) -> Faults {
        Faults {
            seed,
            inner: Mutex::new(FaultsInner {
                spec,
                ..FaultsInner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultsInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces the spec (attempt counters are kept, so identities keep counting).
    pub fn set_spec(&self, spec: FaultSpec) {
        self.lock().spec = spec;
    }

    /// The current spec.
    pub fn spec(&self) -> FaultSpec {
        self.lock().spec.clone()
    }

    /// Rolls the `kinds` that apply to one request with this identity, counting the attempt.
    /// Kinds that fire are not yet counted as injected: call [`Faults::injected`] when the
    /// fault is actually carried out.
    pub fn roll(&self, identity: &str, kinds: &[FaultKind]) -> Roll {
        let mut g = self.lock();
        let attempt = {
            let a = g.attempts.entry(identity.to_string()).or_insert(0);
            let now = *a;
            *a += 1;
            now
        };
        let mut roll = Roll {
            identity_attempt: attempt,
            hits: [None; 6],
        };
        for &k in kinds {
            if let Some(f) = g.spec.get(k)
                && decide(self.seed, k, identity, attempt, f.prob)
            {
                roll.hits[k as usize] = Some(f.param);
            }
        }
        roll
    }

    /// Counts one injected fault of `kind`.
    pub fn injected(&self, kind: FaultKind) {
        *self.lock().injected.entry(kind).or_insert(0) += 1;
    }

    /// Faults injected so far, per kind (every kind listed).
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let g = self.lock();
        FaultKind::ALL
            .iter()
            .map(|k| (k.name(), g.injected.get(k).copied().unwrap_or(0)))
            .collect()
    }
}

/// A `slow` fault's sleep.
pub fn sleep_ms(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let s =
            FaultSpec::parse("http5xx=0.05,cut=0.03, slow=0.5:200,publish_delay=1:500").unwrap();
        assert_eq!(
            s.get(FaultKind::Slow),
            Some(Fault {
                prob: 0.5,
                param: 200
            })
        );
        assert_eq!(s.get(FaultKind::Cut).map(|f| f.prob), Some(0.03));
        assert_eq!(s.get(FaultKind::Lost), None);
        assert!(FaultSpec::parse("").unwrap().is_empty());
        assert!(matches!(
            FaultSpec::parse("boom=0.1"),
            Err(FaultSpecError::UnknownKind(_))
        ));
        assert!(matches!(
            FaultSpec::parse("cut=2"),
            Err(FaultSpecError::Probability(_))
        ));
        assert!(matches!(
            FaultSpec::parse("cut"),
            Err(FaultSpecError::Syntax(_))
        ));
        assert!(matches!(
            FaultSpec::parse("slow=0.1:x"),
            Err(FaultSpecError::Param(_))
        ));
    }

    #[test]
    fn decisions_are_pure_and_roughly_calibrated() {
        let hits = (0..10_000)
            .filter(|i| decide(7, FaultKind::Cut, &format!("l{i}"), 0, 0.3))
            .count();
        assert!((2700..3300).contains(&hits), "{hits}");
        for i in 0..100 {
            let id = format!("l{i}");
            assert_eq!(
                decide(7, FaultKind::Lost, &id, 1, 0.5),
                decide(7, FaultKind::Lost, &id, 1, 0.5)
            );
        }
        // Different seeds give different patterns.
        let a: Vec<bool> = (0..64)
            .map(|i| decide(1, FaultKind::Cut, &i.to_string(), 0, 0.5))
            .collect();
        let b: Vec<bool> = (0..64)
            .map(|i| decide(2, FaultKind::Cut, &i.to_string(), 0, 0.5))
            .collect();
        assert_ne!(a, b);
    }

    #[test]
    fn attempts_count_per_identity() {
        let f = Faults::new(3, FaultSpec::parse("cut=1").unwrap());
        let r0 = f.roll("a", &[FaultKind::Cut, FaultKind::Lost]);
        let r1 = f.roll("a", &[FaultKind::Cut]);
        let s0 = f.roll("b", &[FaultKind::Cut]);
        assert_eq!((r0.attempt(), r1.attempt(), s0.attempt()), (0, 1, 0));
        assert_eq!(r0.hit(FaultKind::Cut), Some(0));
        assert_eq!(r0.hit(FaultKind::Lost), None);
    }
}
