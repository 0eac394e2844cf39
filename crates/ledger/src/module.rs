use dojang_types::{Address, Event, Hash, Validator};

use crate::validators::ValidatorUpdate;

use dojang_store::{Entries, StoreError};

/// What a module knows about the transaction it is executing. Time is the block's time, never
/// a clock, so every validator computes the same result.
#[derive(Debug, Clone)]
pub struct TxContext {
    /// Who sent the message: the signer's address, or the council's account when a passed
    /// proposal executes it.
    pub sender: Address,
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

    /// The validator set that decides this block, and the set as this transaction has left it
    /// so far: a guard on how much power one change may move compares the two.
    fn validator_sets(&self) -> Result<(Vec<Validator>, Vec<Validator>), ModuleError>;

    /// Executes a message of any module as the council's account, inside this transaction
    /// (its writes join this transaction's and fail with it). Only for messages whose permit
    /// is [`Permit::Council`], only one level deep: a passed proposal is the one way the
    /// council acts, and nothing else can speak in its name.
    fn execute_as_council(&mut self, module: &str, msg: &[u8]) -> Result<Vec<Event>, ModuleError>;

    /// Asks the ledger to call this module's [`Module::on_deadline`] with `key` in the first
    /// block whose time is at or after `at_ms` (a poll closes, a window ends, a payment falls
    /// due). Scheduled in this transaction: it is dropped if the transaction fails. `key` is
    /// at most [`MAX_DEADLINE_KEY`] bytes.
    fn schedule(&mut self, at_ms: u64, key: &[u8]) -> Result<(), ModuleError>;

    /// Removes a deadline this module scheduled (nothing if there is none).
    fn unschedule(&mut self, at_ms: u64, key: &[u8]);

    /// Switches a module, or one message version of it, on from `at_height` (see
    /// [`Module::needs_activation`]). Only the module that keeps the council may call it, for
    /// a message the council executes; the ledger refuses a part this release does not have,
    /// one that needs no activation, a height not after this block, and a part already on.
    fn activate(&mut self, module: &str, version: Option<&str>, at_height: u64) -> Result<(), ModuleError>;
}

/// The longest key a deadline may carry.
pub const MAX_DEADLINE_KEY: usize = 128;

/// What a block hook knows: the block, never a clock.
#[derive(Debug, Clone)]
pub struct BlockContext {
    pub height: u64,
    pub time_ms: u64,
    pub chain_id: String,
}

/// Who may send a message. Each module declares it per message type (its answer to
/// [`Module::check`]); the ledger enforces it at admission and again at execution, so a
/// module's handlers start from a sender already known to be allowed.
/// A message as [`Module::prepare`] decoded it, for [`Module::execute_prepared`] (the module's
/// own type, boxed); `None` when the module keeps nothing.
pub type Prepared = Option<Box<dyn std::any::Any + Send>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Any account; the module's own rules decide (a citizen's own contract signature or
    /// ballot, a council member's vote on a proposal).
    OwnRules,
    /// An account holding at least one of these roles (as the chain's [`Authority`] names
    /// them).
    AnyRole(&'static [&'static str]),
    /// Only the council, through a proposal that reached its threshold: changes to who
    /// decides or whom the platform trusts.
    Council,
    /// A member of the council in force (its votes on proposals).
    CouncilMember,
}

impl Permit {
    /// What a refused sender needed, for the refusal's text.
    pub fn describe(&self) -> String {
        match self {
            Permit::OwnRules => "any account".into(),
            Permit::AnyRole(roles) => format!("one of the roles {}", roles.join(", ")),
            Permit::Council => "the council, through a governance proposal (`dojang gov propose`)".into(),
            Permit::CouncilMember => "a member of the governing council".into(),
        }
    }
}

/// Who holds which role and which account speaks for the council. The governance module
/// provides it; the ledger only asks, so it needs no knowledge of how roles are granted.
pub trait Authority: Send + Sync {
    /// The module that keeps roles and the council: the only one that may execute a message
    /// in the council's name.
    fn module(&self) -> &'static str;

    /// The roles an account holds, named as permits name them.
    fn roles_of(&self, state: &dyn StateRead, account: &Address) -> Result<Vec<&'static str>, ModuleError>;

    /// Whether the account is a member of the council that decides the block being built
    /// (at admission: the next block).
    fn is_council_member(&self, state: &dyn StateRead, account: &Address) -> Result<bool, ModuleError>;

    /// The account in whose name passed proposals execute. No key hashes to it, so no
    /// transaction can be sent from it directly.
    fn council_account(&self) -> Address;
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

/// A lookup of roles or council membership fails only on storage; anything else there is a
/// corrupt record, which is a storage failure too.
pub(crate) fn storage_failure(e: ModuleError) -> StoreError {
    match e {
        ModuleError::Storage(s) => s,
        other => StoreError::Corrupt(format!("role lookup failed: {other}")),
    }
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
    /// run at admission and on every proposed block, answering who may send it. A message
    /// that fails never enters a block, so free text a rule refuses (a person's name in a
    /// namespace, say) never reaches the ledger, not even in a failed transaction.
    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError>;

    /// Messages this message carries for later execution (a governance proposal's), as
    /// (module, message). The ledger checks each like a message of its own at admission, so
    /// a proposal whose message could never execute, or that needs no council, never enters
    /// a block.
    fn carried_messages(&self, _msg: &[u8]) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }

    /// Executes one message (JSON bytes) and returns the events to record in the receipt.
    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError>;

    /// Gets a message ready for [`Module::execute_prepared`] before a block executes, on any
    /// core: its stateless check ([`Module::check`]) unless this node ran it at admission
    /// (`known` is the permit it answered then), and whatever decoding the module can do
    /// once instead of in the block's serial part.
    fn prepare(&self, msg: &[u8], known: Option<Permit>) -> Result<(Permit, Prepared), ModuleError> {
        match known {
            Some(permit) => Ok((permit, None)),
            None => Ok((self.check(msg)?, None)),
        }
    }

    /// [`Module::prepare`] for several messages at once (each with the permit this node
    /// answered at admission, if any), one verdict each, in order. A module whose checks cost
    /// less together overrides it: a batch of ballots has its proofs checked in one
    /// multi-scalar multiplication.
    fn prepare_many(&self, msgs: &[(&[u8], Option<Permit>)]) -> Vec<Result<(Permit, Prepared), ModuleError>> {
        msgs.iter().map(|(msg, known)| self.prepare(msg, *known)).collect()
    }

    /// [`Module::execute`] with what [`Module::prepare`] made of the same message.
    fn execute_prepared(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: &[u8],
        _prepared: Prepared,
    ) -> Result<Vec<Event>, ModuleError> {
        self.execute(ctx, state, msg)
    }

    /// Whether the module stays off until the council activates it at a height: a module a
    /// release adds to a running chain. Such a module takes no genesis section.
    fn needs_activation(&self) -> bool {
        false
    }

    /// Message versions the council activates separately (a new version of a message that
    /// validators on the previous release would refuse).
    fn versions(&self) -> &'static [&'static str] {
        &[]
    }

    /// The version (one of [`Module::versions`]) a message belongs to; `None` for messages
    /// that need no activation of their own.
    fn version_of(&self, _msg: &[u8]) -> Option<&'static str> {
        None
    }

    /// Runs at the start of every block, before its transactions and due deadlines. Events go
    /// to the block's hook events.
    fn begin_block(&self, _ctx: &BlockContext, _state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }

    /// Runs at the end of every block, after its transactions.
    fn end_block(&self, _ctx: &BlockContext, _state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }

    /// A deadline this module scheduled has passed: called once, in the first block whose
    /// time reaches it, in order of (time, module, key), at most a bounded number per block
    /// (the rest carry over to the next).
    fn on_deadline(
        &self,
        _ctx: &BlockContext,
        _state: &mut dyn StateWrite,
        _key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }

    /// Answers a read-only query addressed by `path` with JSON parameters.
    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError>;

    /// [`Module::query`]'s answer written as JSON, which is what the API sends. A module whose
    /// answers are mostly stored records overrides it to copy their stored JSON as it is,
    /// instead of decoding each into a type and a `serde_json::Value` only to write it again;
    /// the parsed answer must equal [`Module::query`]'s.
    fn query_json(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<Vec<u8>, ModuleError> {
        self.query(state, path, params).map(|answer| json_bytes(&answer))
    }
}

/// A JSON value's bytes; writing a `serde_json::Value` to memory cannot fail.
pub fn json_bytes(answer: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(answer).expect("a JSON value writes to memory")
}
