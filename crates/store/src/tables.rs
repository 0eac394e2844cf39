use redb::TableDefinition;

/// Small facts about the chain: latest height, genesis hash.
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
/// The tables of the Jellyfish Merkle Tree a store kept before the state moved to NOMT
/// (decision 0027): a store that has them holds a chain whose headers carry jmt roots.
pub const JMT_TABLES: [&str; 2] = ["jmt_nodes", "jmt_values"];
/// Proofs a block asked to keep: key length (4) || state key || version (8), big-endian ->
/// borsh StateProof.
pub const KEPT_PROOFS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kept_proofs");
/// The latest value of every state key: reads, prefix scans, and what the trie is rebuilt from.
pub const STATE_LATEST: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state_latest");
/// Finalized blocks by height (borsh Block).
pub const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Block hash -> height.
pub const BLOCK_HASHES: TableDefinition<&[u8], u64> = TableDefinition::new("block_hashes");
/// Commit certificates by height (borsh Commit).
pub const COMMITS: TableDefinition<u64, &[u8]> = TableDefinition::new("commits");
/// Receipts by height (borsh Vec<Receipt>).
pub const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
/// Transaction id -> height (8) || index (4) || the transaction's offset and length in the stored
/// block (4 + 4), all big-endian; stores written before spans were recorded hold the first 12
/// bytes only. Also the replay guard.
pub const TX_INDEX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_index");
/// Blocks proposed or received but not yet decided, by hash, so that a node that voted for a
/// block still has it after a crash.
pub const PENDING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pending_blocks");

pub const META_HEIGHT: &str = "height";
pub const META_GENESIS: &str = "genesis_hash";
/// The genesis state's root, which no header carries: what the trie is checked against at 0.
pub const META_GENESIS_ROOT: &str = "genesis_state_root";
/// Equivocation evidence: height (8) || round (4) || validator (20) || kind (1) -> borsh Evidence.
pub const EVIDENCE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("evidence");
