use dojang_types::{Address, Event, Hash, PublicKey, Validator};

use crate::validators::ValidatorUpdate;

use dojang_store::{Entries, StoreError};

/// What a module knows about the transaction it is executing. Time is the block's time, never
/// a clock, so every validator computes the same result.
#[derive(Debug, Clone)]
pub struct TxContext {
    pub sender: Address,
    pub sender_key: PublicKey,
    pub tx_id: Hash,
    pub height: u64,
    /// Position of the transaction in its block.
    pub index: u32,
    pub time_ms: u64,
    pub chain_id: String,
}

/// Read access to a module's own slice of state (keys are relative to the module's prefix).
pub trait StateRead {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Entries whose key starts with `prefix`, in key order, after `start_after`, at most `limit`.
    fn scan(&self, prefix: &[u8], start_after: Option<&[u8]>, limit: usize) -> Result<Entries, StoreError>;
    /// Reads one key of another module's state, as this transaction sees it. Read-only by
    /// design: a module may consult another's records (the identity registries check the roles
    /// governance granted) but only the owner writes them.
    fn read_module(&self, module: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Write access during execution. Writes of a failed transaction are discarded.
pub trait StateWrite: StateRead {
    fn put(&mut self, key: &[u8], value: Vec<u8>);
    fn delete(&mut self, key: &[u8]);
    /// Changes the validator set from the next height and returns the new set. Only a module
    /// that checks the sender's authority (governance) should call this; the ledger refuses a
    /// change that would leave the chain unable to decide.
    fn update_validator(&mut self, update: &ValidatorUpdate) -> Result<Vec<Validator>, ModuleError>;
}

/// Why a module refused a message. `Storage` is not the user's fault: it aborts the block
/// instead of producing a failed receipt, because another validator would not fail the same way.
#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    #[error("message is not valid for this module: {0}")]
    InvalidMessage(String),
    #[error("not authorized: {0}")]
    Unauthorized(String),
    #[error("{code}: {reason}")]
    Rejected { code: String, reason: String },
    #[error("not found: {0}")]
    NotFound(String),
    #[error(transparent)]
    Storage(#[from] StoreError),
}

impl ModuleError {
    /// A refusal by a rule whose reason starts with its id (`"ID-04: key ids are never
    /// reused"`): the id becomes the receipt's code, the rest its reason. A reason without an
    /// id is coded `rejected`.
    pub fn by_rule(reason: String) -> ModuleError {
        let is_rule_id =
            |c: &str| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '-');
        match reason.split_once(": ") {
            Some((code, rest)) if is_rule_id(code) => {
                ModuleError::Rejected { code: code.to_string(), reason: rest.to_string() }
            }
            _ => ModuleError::Rejected { code: "rejected".into(), reason },
        }
    }

    /// A short stable code for receipts and API errors.
    pub fn code(&self) -> String {
        match self {
            ModuleError::InvalidMessage(_) => "invalid_message".into(),
            ModuleError::Unauthorized(_) => "unauthorized".into(),
            ModuleError::Rejected { code, .. } => code.clone(),
            ModuleError::NotFound(_) => "not_found".into(),
            ModuleError::Storage(_) => "storage".into(),
        }
    }
}

/// A civic service on the ledger. Every module has the same rooms (msg, state, rules, exec,
/// query) and sees only its own state prefix; it knows nothing of consensus, HTTP or storage
/// engines.
pub trait Module: Send + Sync {
    /// The routing name, also the state prefix (`governance` -> keys under `governance/`).
    fn name(&self) -> &'static str;

    /// Writes the module's initial state from its section of the genesis file.
    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError>;

    /// Stateless checks of a message (it decodes, its names and fields have the right shape),
    /// run at admission and on every proposed block. A message that fails never enters a
    /// block, so free text a rule refuses (a person's name in a namespace, say) never reaches
    /// the ledger, not even in a failed transaction.
    fn check(&self, msg: &[u8]) -> Result<(), ModuleError>;

    /// Executes one message (JSON bytes) and returns the events to record in the receipt.
    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError>;

    /// Answers a read-only query addressed by `path` with JSON parameters.
    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError>;
}
