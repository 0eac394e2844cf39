use std::collections::{BTreeMap, BTreeSet, HashMap};

use dojang_types::{Address, Hash, SignedTx};

use crate::module::{Permit, Prepared};

/// Bounds that keep one node's memory and one account's share of blocks in check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct MempoolConfig {
    /// Transactions held at most; beyond this, submissions get a "try later" answer.
    pub max_txs: usize,
    /// Transactions one account may have waiting at once.
    pub max_per_account: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig { max_txs: 200_000, max_per_account: 1_000 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    #[error("the mempool is full ({0} transactions waiting); retry after a few blocks")]
    Full(usize),
    #[error("account {account} already has {limit} transactions waiting; wait for some to be committed")]
    AccountQuota { account: Address, limit: usize },
    #[error("transaction {0} is already waiting")]
    Duplicate(Hash),
}

struct Entry {
    seq: u64,
    sender: Address,
    tx: SignedTx,
    bytes: usize,
    /// What the message's stateless check answered at admission: execution does not check
    /// it again.
    permit: Permit,
    /// The message as its module decoded it at admission, if kept: its block then skips
    /// decoding it again (a ballot's ten points and its JSON).
    prepared: Prepared,
}

/// The most waiting transactions whose decoded message is kept (about two full blocks).
/// Beyond it a message is decoded again when its block executes, so a full mempool holds
/// little more than its transactions' bytes.
const MAX_PREPARED: usize = 16_384;

/// Admitted, signature-checked transactions waiting for a block, in arrival order.
pub(crate) struct Mempool {
    config: MempoolConfig,
    next_seq: u64,
    by_id: HashMap<Hash, Entry>,
    order: BTreeMap<u64, Hash>,
    /// (expiry, arrival) of every waiting transaction, so expired ones leave in order.
    by_expiry: BTreeSet<(u64, u64)>,
    per_sender: HashMap<Address, usize>,
    /// Entries holding a decoded message.
    prepared: usize,
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Self {
        Mempool {
            config,
            next_seq: 0,
            by_id: HashMap::new(),
            order: BTreeMap::new(),
            by_expiry: BTreeSet::new(),
            per_sender: HashMap::new(),
            prepared: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn insert(
        &mut self,
        id: Hash,
        tx: SignedTx,
        bytes: usize,
        permit: Permit,
        prepared: Prepared,
    ) -> Result<(), MempoolError> {
        if self.by_id.contains_key(&id) {
            return Err(MempoolError::Duplicate(id));
        }
        if self.by_id.len() >= self.config.max_txs {
            return Err(MempoolError::Full(self.by_id.len()));
        }
        let sender = tx.body.sender_address();
        let count = self.per_sender.entry(sender).or_default();
        if *count >= self.config.max_per_account {
            return Err(MempoolError::AccountQuota { account: sender, limit: self.config.max_per_account });
        }
        *count += 1;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id);
        self.by_expiry.insert((tx.body.expires_at_ms, seq));
        let prepared = if self.prepared < MAX_PREPARED { prepared } else { None };
        self.prepared += usize::from(prepared.is_some());
        self.by_id.insert(id, Entry { seq, sender, tx, bytes, permit, prepared });
        Ok(())
    }

    /// The permit the check of `tx` answered at admission and, once, the message as it was
    /// decoded then, if `tx` is exactly a transaction waiting here (its signature was checked
    /// then too). The id covers the body only: a block's copy with another signature is not
    /// the one admitted, and is checked again. The decoded message is taken, not copied: a
    /// block executed again (another round) decodes it itself.
    pub fn take_known(&mut self, id: &Hash, tx: &SignedTx) -> Option<(Permit, Prepared)> {
        let entry = self.by_id.get_mut(id).filter(|e| e.tx == *tx)?;
        let prepared = entry.prepared.take();
        self.prepared -= usize::from(prepared.is_some());
        Some((entry.permit, prepared))
    }

    /// The oldest waiting transactions, up to a count and a byte budget, without removing them
    /// (they leave when their block commits, so a failed round loses nothing).
    #[cfg(test)]
    pub fn peek(&self, max_txs: usize, max_bytes: usize) -> Vec<(Hash, SignedTx, Permit)> {
        self.peek_fair(max_txs, max_bytes, usize::MAX, &mut |_| usize::MAX)
    }

    /// Like [`Mempool::peek`], but at most `cap_of(sender)` transactions per sender: one
    /// account's backlog cannot fill a block while others wait. `cap_of` (a role lookup) is
    /// asked only for senders that reach `base_cap`, the smallest cap any sender has.
    pub fn peek_fair(
        &self,
        max_txs: usize,
        max_bytes: usize,
        base_cap: usize,
        cap_of: &mut dyn FnMut(&Address) -> usize,
    ) -> Vec<(Hash, SignedTx, Permit)> {
        let mut out = Vec::new();
        let mut bytes = 0;
        let mut taken: HashMap<Address, (usize, Option<usize>)> = HashMap::new();
        for id in self.order.values() {
            let e = &self.by_id[id];
            if out.len() >= max_txs || bytes + e.bytes > max_bytes {
                break;
            }
            let (n, cap) = taken.entry(e.sender).or_insert((0, None));
            if *n >= base_cap && *n >= *cap.get_or_insert_with(|| cap_of(&e.sender)) {
                continue;
            }
            *n += 1;
            bytes += e.bytes;
            out.push((*id, e.tx.clone(), e.permit));
        }
        out
    }

    pub fn remove(&mut self, id: &Hash) {
        if let Some(e) = self.by_id.remove(id) {
            self.prepared -= usize::from(e.prepared.is_some());
            self.order.remove(&e.seq);
            self.by_expiry.remove(&(e.tx.body.expires_at_ms, e.seq));
            if let Some(c) = self.per_sender.get_mut(&e.sender) {
                *c -= 1;
                if *c == 0 {
                    self.per_sender.remove(&e.sender);
                }
            }
        }
    }
}

impl Mempool {
    /// Removes every transaction that expires at or before `time_ms` (a finalized block's
    /// time: no later block can include them). Every node does this on every block, so an
    /// observer's mempool does not fill with transactions that will never be included.
    pub fn evict_expired(&mut self, time_ms: u64) -> usize {
        let expired: Vec<Hash> = self.by_expiry.range(..=(time_ms, u64::MAX)).map(|(_, seq)| self.order[seq]).collect();
        for id in &expired {
            self.remove(id);
        }
        expired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_types::{PublicKey, Signature, TxBody};

    fn tx(sender: u8, nonce: u64) -> (Hash, SignedTx) {
        expiring(sender, nonce, 1)
    }

    fn expiring(sender: u8, nonce: u64, expires_at_ms: u64) -> (Hash, SignedTx) {
        let t = SignedTx {
            body: TxBody {
                chain_id: "c".into(),
                sender: PublicKey::Ed25519([sender; 32]),
                nonce,
                expires_at_ms,
                module: "m".into(),
                msg: vec![],
            },
            signature: Signature::Ed25519([0; 64]),
        };
        (t.id(), t)
    }

    #[test]
    fn bounds_quota_duplicates_and_order() {
        let mut m = Mempool::new(MempoolConfig { max_txs: 3, max_per_account: 2 });
        let (a, ta) = tx(1, 1);
        m.insert(a, ta.clone(), 10, Permit::OwnRules, None).unwrap();
        assert_eq!(m.insert(a, ta, 10, Permit::OwnRules, None), Err(MempoolError::Duplicate(a)));
        let (b, tb) = tx(1, 2);
        m.insert(b, tb, 10, Permit::OwnRules, None).unwrap();
        let (c, tc) = tx(1, 3);
        assert!(matches!(m.insert(c, tc, 10, Permit::OwnRules, None), Err(MempoolError::AccountQuota { .. })));
        let (d, td) = tx(2, 1);
        m.insert(d, td, 10, Permit::OwnRules, None).unwrap();
        let (e, te) = tx(3, 1);
        assert_eq!(m.insert(e, te, 10, Permit::OwnRules, None), Err(MempoolError::Full(3)));
        let ids: Vec<Hash> = m.peek(10, 1000).iter().map(|(id, ..)| *id).collect();
        assert_eq!(ids, vec![a, b, d]);
        assert_eq!(m.peek(10, 25).len(), 2, "byte budget respected");
        m.remove(&a);
        let (c, tc) = tx(1, 3);
        m.insert(c, tc, 10, Permit::OwnRules, None).unwrap();
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn a_backlog_cannot_crowd_others_out_of_a_block() {
        let mut m = Mempool::new(MempoolConfig { max_txs: 100, max_per_account: 50 });
        let flood: Vec<Hash> = (0..10)
            .map(|n| tx(1, n))
            .map(|(id, t)| {
                m.insert(id, t, 10, Permit::OwnRules, None).unwrap();
                id
            })
            .collect();
        let others: Vec<Hash> = [(2, 0), (2, 1), (3, 0)]
            .into_iter()
            .map(|(s, n)| tx(s, n))
            .map(|(id, t)| {
                m.insert(id, t, 10, Permit::OwnRules, None).unwrap();
                id
            })
            .collect();
        let mut asked = Vec::new();
        let mut cap_of = |a: &Address| {
            asked.push(*a);
            if *a == PublicKey::Ed25519([3; 32]).address() {
                5
            } else {
                2
            }
        };
        let ids: Vec<Hash> = m.peek_fair(5, 1000, 2, &mut cap_of).into_iter().map(|(id, ..)| id).collect();
        assert_eq!(
            ids,
            vec![flood[0], flood[1], others[0], others[1], others[2]],
            "two from the backlog, then the others"
        );
        assert_eq!(
            asked,
            vec![PublicKey::Ed25519([1; 32]).address()],
            "asked once, only for the sender past the base cap"
        );
        assert_eq!(m.peek(5, 1000).len(), 5, "plain peek takes the oldest");
    }

    #[test]
    fn expired_transactions_leave_with_their_quota() {
        let mut m = Mempool::new(MempoolConfig { max_txs: 10, max_per_account: 2 });
        let (a, ta) = expiring(1, 1, 100);
        let (b, tb) = expiring(1, 2, 200);
        let (c, tc) = expiring(2, 1, 300);
        m.insert(a, ta.clone(), 10, Permit::OwnRules, None).unwrap();
        m.insert(b, tb.clone(), 10, Permit::OwnRules, None).unwrap();
        m.insert(c, tc.clone(), 10, Permit::OwnRules, None).unwrap();
        assert_eq!(m.evict_expired(99), 0);
        assert_eq!(m.evict_expired(200), 2, "expiry at the block time counts as expired");
        assert!(m.take_known(&a, &ta).map(|k| k.0).is_none() && m.take_known(&b, &tb).map(|k| k.0).is_none());
        assert_eq!(m.take_known(&c, &tc).map(|k| k.0), Some(Permit::OwnRules));
        // The same body under another signature is not the transaction admitted.
        let mut resigned = tc.clone();
        resigned.signature = Signature::Ed25519([7; 64]);
        assert_eq!(m.take_known(&c, &resigned).map(|k| k.0), None);
        assert_eq!(m.len(), 1);
        // The account's quota is freed with them.
        let (d, td) = expiring(1, 3, 1000);
        let (e, te) = expiring(1, 4, 1000);
        m.insert(d, td, 10, Permit::OwnRules, None).unwrap();
        m.insert(e, te, 10, Permit::OwnRules, None).unwrap();
        m.remove(&d);
        assert_eq!(m.evict_expired(u64::MAX), 2);
        assert_eq!(m.len(), 0);
        assert!(m.peek(10, 1000).is_empty());
    }
}
