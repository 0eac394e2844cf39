//! The workload every engine is given: a state of `keys` keys loaded first, then blocks in which
//! some writes create new keys (an anchor, a receipt of record) and the rest overwrite keys
//! chosen at random from the whole state (a balance, a nonce). Everything is derived from a
//! seed, so two engines see exactly the same keys, values and order.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

/// The shape of one benchmark run.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Keys in the state before the measured blocks.
    pub keys: u64,
    /// Measured blocks.
    pub blocks: u64,
    /// Writes per measured block.
    pub per_block: usize,
    /// Share of a block's writes that create new keys, in percent; the rest overwrite.
    pub insert_percent: u8,
    /// Keys per version while loading.
    pub load_batch: usize,
    /// Bytes of each value.
    pub value_bytes: usize,
    /// Seed of the choice of overwritten keys.
    pub seed: u64,
}

impl Workload {
    /// New keys in each measured block.
    pub fn inserts_per_block(&self) -> usize {
        self.per_block * usize::from(self.insert_percent.min(100)) / 100
    }

    /// Keys in the state after the measured blocks, or `None` if that overflows.
    pub fn final_keys(&self) -> Option<u64> {
        self.blocks.checked_mul(self.inserts_per_block() as u64)?.checked_add(self.keys)
    }

    /// Why this workload cannot run, if it cannot: a block overwrites distinct keys drawn from
    /// the state, so the state must hold well more keys than a block overwrites (twice as many
    /// keeps the draw quick), and proofs need a key to prove.
    pub fn check(&self) -> Result<(), String> {
        if self.per_block == 0 || self.load_batch == 0 {
            return Err("writes per block and keys per loading version must be above zero".into());
        }
        if self.keys == 0 {
            return Err("the state must hold at least one key before the measured blocks".into());
        }
        let overwrites = (self.per_block - self.inserts_per_block()) as u64;
        if self.keys < overwrites.saturating_mul(2) {
            return Err(format!(
                "{} keys cannot give {overwrites} distinct overwrites per block: load at least {} keys, or write fewer per block",
                self.keys,
                overwrites.saturating_mul(2)
            ));
        }
        self.final_keys().map(|_| ()).ok_or_else(|| "the state would grow past 2^64 keys".into())
    }
}

/// One version's writes, distinct keys in key order.
#[derive(Debug, Clone)]
pub struct Block {
    pub version: u64,
    pub writes: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The key with index `i`: shaped like the chain's own keys (a module, a kind, an id).
pub(crate) fn key(i: u64) -> Vec<u8> {
    format!("bench/record/{i:012}").into_bytes()
}

/// The value written to key `i` at `version`.
fn value(i: u64, version: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut round = 0u32;
    while out.len() < len {
        let mut h = Sha256::new();
        h.update(i.to_be_bytes());
        h.update(version.to_be_bytes());
        h.update(round.to_be_bytes());
        out.extend_from_slice(&h.finalize());
        round += 1;
    }
    out.truncate(len);
    out
}

/// Generates the blocks of a workload and remembers what it wrote where, so that proofs can be
/// checked against the expected value.
pub(crate) struct Stream {
    w: Workload,
    next_index: u64,
    next_version: u64,
    rng: u64,
    /// Keys written after their first load, with the version of their last write.
    rewritten: HashMap<u64, u64>,
}

impl Stream {
    pub(crate) fn new(w: &Workload) -> Self {
        // The seed spread over all bits (SplitMix64's finalizer); xorshift needs a state that is
        // not zero.
        let mut z = w.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let rng = (z ^ (z >> 31)).max(1);
        Stream { w: w.clone(), next_index: 0, next_version: 0, rng, rewritten: HashMap::new() }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: fast, and the same sequence for every engine.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn load_version(&self, i: u64) -> u64 {
        i / self.w.load_batch.max(1) as u64
    }

    /// The next loading block, or `None` once `keys` keys are in.
    pub(crate) fn next_load(&mut self) -> Option<Block> {
        if self.next_index >= self.w.keys {
            return None;
        }
        let version = self.next_version;
        let end = (self.next_index + self.w.load_batch.max(1) as u64).min(self.w.keys);
        let mut writes: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for i in self.next_index..end {
            writes.insert(key(i), value(i, version, self.w.value_bytes));
        }
        self.next_index = end;
        self.next_version += 1;
        Some(Block { version, writes: writes.into_iter().collect() })
    }

    /// The next measured block.
    pub(crate) fn next_block(&mut self) -> Block {
        let version = self.next_version;
        self.next_version += 1;
        let inserts = self.w.inserts_per_block();
        let mut writes: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for _ in 0..inserts {
            let i = self.next_index;
            self.next_index += 1;
            self.rewritten.insert(i, version);
            writes.insert(key(i), value(i, version, self.w.value_bytes));
        }
        let existing = self.next_index.max(1);
        while writes.len() < self.w.per_block {
            let i = self.random() % existing;
            self.rewritten.insert(i, version);
            writes.insert(key(i), value(i, version, self.w.value_bytes));
        }
        Block { version, writes: writes.into_iter().collect() }
    }

    /// A key chosen at random from the whole state, with its latest value.
    pub(crate) fn sample(&mut self) -> (Vec<u8>, Vec<u8>) {
        let i = self.random() % self.next_index.max(1);
        let version = self.rewritten.get(&i).copied().unwrap_or_else(|| self.load_version(i));
        (key(i), value(i, version, self.w.value_bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Workload {
        Workload { keys: 250, blocks: 3, per_block: 40, insert_percent: 50, load_batch: 100, value_bytes: 70, seed: 7 }
    }

    /// Loading writes every key once, in versions of `load_batch`, and measured blocks have
    /// `per_block` distinct keys, half of them new.
    #[test]
    fn loads_every_key_once_then_blocks_of_the_asked_size() {
        let mut s = Stream::new(&small());
        let mut loaded = Vec::new();
        while let Some(b) = s.next_load() {
            assert_eq!(b.version as usize, loaded.len());
            loaded.push(b.writes.len());
        }
        assert_eq!(loaded, vec![100, 100, 50]);
        let b = s.next_block();
        assert_eq!(b.version, 3);
        assert_eq!(b.writes.len(), 40);
        assert!(b.writes.windows(2).all(|w| w[0].0 < w[1].0), "keys are distinct and in order");
        assert_eq!(b.writes.iter().filter(|(k, _)| k.as_slice() >= key(250).as_slice()).count(), 20);
        assert!(b.writes.iter().all(|(_, v)| v.len() == 70));
    }

    /// The value a sample expects is the one last written to that key, loaded or rewritten.
    #[test]
    fn a_sample_expects_the_last_value_written() {
        let mut s = Stream::new(&small());
        let mut last: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
        while let Some(b) = s.next_load() {
            last.extend(b.writes);
        }
        for _ in 0..3 {
            last.extend(s.next_block().writes);
        }
        for _ in 0..200 {
            let (k, v) = s.sample();
            assert_eq!(last.get(&k), Some(&v), "{}", String::from_utf8_lossy(&k));
        }
    }

    /// Two streams from one workload give the same blocks and samples: both engines see the
    /// same writes and prove the same keys. Another seed overwrites other keys.
    #[test]
    fn the_same_workload_gives_the_same_blocks() {
        let other = Workload { seed: 8, ..small() };
        let (mut a, mut b, mut c) = (Stream::new(&small()), Stream::new(&small()), Stream::new(&other));
        while let (Some(x), Some(y), Some(z)) = (a.next_load(), b.next_load(), c.next_load()) {
            assert_eq!(x.writes, y.writes);
            assert_eq!(x.writes, z.writes, "loading does not depend on the seed");
        }
        for _ in 0..3 {
            let (x, y, z) = (a.next_block().writes, b.next_block().writes, c.next_block().writes);
            assert_eq!(x, y);
            assert_ne!(x, z, "seeds 7 and 8 overwrite the same keys");
        }
        for _ in 0..50 {
            assert_eq!(a.sample(), b.sample());
        }
    }

    /// A workload whose blocks overwrite more keys than the state can give refuses to run
    /// (drawing distinct keys would never end), as does an empty state or a zero size.
    #[test]
    fn a_workload_too_large_for_its_state_is_refused() {
        assert_eq!(small().check(), Ok(()));
        assert!(Workload { keys: 30, ..small() }.check().unwrap_err().contains("load at least 40 keys"));
        assert!(Workload { keys: 0, ..small() }.check().is_err());
        assert!(Workload { per_block: 0, ..small() }.check().is_err());
        assert!(Workload { load_batch: 0, ..small() }.check().is_err());
        assert!(Workload { keys: u64::MAX, blocks: 2, ..small() }.check().unwrap_err().contains("2^64"));
        assert!(Workload { keys: 0, insert_percent: 100, ..small() }.check().unwrap_err().contains("at least one"));
        assert_eq!(small().final_keys(), Some(250 + 3 * 20));
    }
}
