//! The one shape of a service module. A module declares its message and genesis types and
//! writes only its rules; [`Typed`] does what every module would otherwise copy: strict JSON
//! decoding of messages and genesis sections, and the plumbing to the [`Module`] interface the
//! ledger drives. Records in state go through [`read_record`] and [`write_record`].

use serde::de::DeserializeOwned;
use serde::Serialize;

use dojang_types::{Event, KeyedRecord};

use crate::module::{BlockContext, Module, ModuleError, Permit, Prepared, StateRead, StateWrite, TxContext};
use crate::StoreError;

/// A service's on-chain part, typed. See `docs/architecture.md`, "Adding a civic service".
pub trait TypedModule: Send + Sync + 'static {
    /// The routing name and state prefix (`anchor` -> keys under `anchor/`).
    const NAME: &'static str;
    /// The module's messages, decoded strictly from the transaction's JSON.
    type Msg: DeserializeOwned + Send + 'static;
    /// The module's genesis section; an absent section is `Default`.
    type Genesis: DeserializeOwned + Default;

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: Self::Genesis) -> Result<(), ModuleError>;

    /// The stateless rules and who may send the message (see [`Module::check`]).
    fn check(&self, msg: &Self::Msg) -> Result<Permit, ModuleError>;

    /// [`TypedModule::check`] for several messages, one verdict each, in order: for a module
    /// whose checks cost less together (see [`Module::prepare_many`]).
    fn check_many(&self, msgs: &[&Self::Msg]) -> Vec<Result<Permit, ModuleError>> {
        msgs.iter().map(|m| self.check(m)).collect()
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: Self::Msg) -> Result<Vec<Event>, ModuleError>;

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError>;

    /// See [`Module::query_json`].
    fn query_json(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<Vec<u8>, ModuleError> {
        self.query(state, path, params).map(|answer| crate::module::json_bytes(&answer))
    }

    /// Whether some of its messages carry others (see [`Module::carried_messages`]); only
    /// then does the adapter decode a message a second time to ask.
    const CARRIES_MESSAGES: bool = false;

    /// Messages this one carries for later execution (see [`Module::carried_messages`]).
    fn carried_messages(&self, _msg: &Self::Msg) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }

    /// See [`Module::needs_activation`].
    const NEEDS_ACTIVATION: bool = false;

    /// See [`Module::versions`].
    const VERSIONS: &'static [&'static str] = &[];

    /// See [`Module::version_of`]; asked only when [`TypedModule::VERSIONS`] is not empty.
    fn version_of(&self, _msg: &Self::Msg) -> Option<&'static str> {
        None
    }

    /// See [`Module::begin_block`].
    fn begin_block(&self, _ctx: &BlockContext, _state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }

    /// See [`Module::end_block`].
    fn end_block(&self, _ctx: &BlockContext, _state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }

    /// See [`Module::on_deadline`].
    fn on_deadline(
        &self,
        _ctx: &BlockContext,
        _state: &mut dyn StateWrite,
        _key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        Ok(Vec::new())
    }
}

/// A module with no genesis section (an empty object is accepted too).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoGenesis {}

/// Adapts a [`TypedModule`] to the ledger's [`Module`] interface.
#[derive(Debug, Default)]
pub struct Typed<M>(pub M);

fn decode<T: DeserializeOwned>(module: &str, bytes: &[u8]) -> Result<T, ModuleError> {
    serde_json::from_slice(bytes).map_err(|e| ModuleError::InvalidMessage(format!("not a valid {module} message: {e}")))
}

impl<M: TypedModule> Module for Typed<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError> {
        let section = if genesis.is_null() {
            M::Genesis::default()
        } else if !genesis.is_object() {
            // serde would read a struct from an array too; a section is always an object.
            return Err(ModuleError::InvalidMessage(format!("the {} genesis section must be an object", M::NAME)));
        } else {
            serde_json::from_value(genesis.clone())
                .map_err(|e| ModuleError::InvalidMessage(format!("the {} genesis section: {e}", M::NAME)))?
        };
        self.0.init_genesis(state, section)
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        self.0.check(&decode(M::NAME, msg)?)
    }

    fn carried_messages(&self, msg: &[u8]) -> Vec<(String, Vec<u8>)> {
        if !M::CARRIES_MESSAGES {
            return Vec::new();
        }
        decode(M::NAME, msg).map(|m| self.0.carried_messages(&m)).unwrap_or_default()
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        self.0.execute(ctx, state, decode(M::NAME, msg)?)
    }

    /// Decodes once: the typed message goes to execution as it is.
    fn prepare(&self, msg: &[u8], known: Option<Permit>) -> Result<(Permit, Prepared), ModuleError> {
        let m: M::Msg = decode(M::NAME, msg)?;
        let permit = match known {
            Some(p) => p,
            None => self.0.check(&m)?,
        };
        Ok((permit, Some(Box::new(m))))
    }

    /// Decodes each message once and checks, in one [`TypedModule::check_many`], those this
    /// node did not admit itself.
    fn prepare_many(&self, msgs: &[(&[u8], Option<Permit>)]) -> Vec<Result<(Permit, Prepared), ModuleError>> {
        let decoded: Vec<Result<M::Msg, ModuleError>> = msgs.iter().map(|(m, _)| decode(M::NAME, m)).collect();
        let unknown: Vec<&M::Msg> = decoded
            .iter()
            .zip(msgs)
            .filter_map(|(d, (_, known))| d.as_ref().ok().filter(|_| known.is_none()))
            .collect();
        let mut checked = self.0.check_many(&unknown).into_iter();
        decoded
            .into_iter()
            .zip(msgs)
            .map(|(d, (_, known))| {
                let m = d?;
                let permit = match known {
                    Some(p) => *p,
                    None => checked.next().unwrap_or_else(|| {
                        Err(ModuleError::InvalidMessage(format!(
                            "the {} module gave no verdict on this message",
                            M::NAME
                        )))
                    })?,
                };
                let prepared: Prepared = Some(Box::new(m));
                Ok((permit, prepared))
            })
            .collect()
    }

    fn execute_prepared(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: &[u8],
        prepared: Prepared,
    ) -> Result<Vec<Event>, ModuleError> {
        match prepared.and_then(|p| p.downcast::<M::Msg>().ok()) {
            Some(m) => self.0.execute(ctx, state, *m),
            None => self.execute(ctx, state, msg),
        }
    }

    fn needs_activation(&self) -> bool {
        M::NEEDS_ACTIVATION
    }

    fn versions(&self) -> &'static [&'static str] {
        M::VERSIONS
    }

    fn version_of(&self, msg: &[u8]) -> Option<&'static str> {
        if M::VERSIONS.is_empty() {
            return None;
        }
        decode(M::NAME, msg).ok().and_then(|m| self.0.version_of(&m))
    }

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        self.0.query(state, path, params)
    }

    fn query_json(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<Vec<u8>, ModuleError> {
        self.0.query_json(state, path, params)
    }

    fn begin_block(&self, ctx: &BlockContext, state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        self.0.begin_block(ctx, state)
    }

    fn end_block(&self, ctx: &BlockContext, state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        self.0.end_block(ctx, state)
    }

    fn on_deadline(
        &self,
        ctx: &BlockContext,
        state: &mut dyn StateWrite,
        key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        self.0.on_deadline(ctx, state, key)
    }
}

/// Decodes a record this chain wrote. A record that does not decode is a damaged store, not
/// the sender's fault, so it aborts the block rather than failing one transaction.
pub fn decode_record<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ModuleError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ModuleError::Storage(StoreError::Corrupt(format!("{what} record is corrupt: {e}"))))
}

/// A record of this module's state, if present.
pub fn read_record<T: DeserializeOwned>(state: &dyn StateRead, key: &[u8]) -> Result<Option<T>, ModuleError> {
    state.get(key)?.map(|b| decode_record(&b, &String::from_utf8_lossy(key))).transpose()
}

/// A record of another module's state, for the typed readers a module exports to others.
pub fn read_module_record<T: DeserializeOwned>(
    state: &dyn StateRead,
    module: &str,
    key: &[u8],
) -> Result<Option<T>, ModuleError> {
    state
        .read_module(module, key)?
        .map(|b| decode_record(&b, &format!("{module}/{}", String::from_utf8_lossy(key))))
        .transpose()
}

/// A query's answer as the JSON the API returns, from the module's declared answer type (see
/// `dojang_types::ModuleQuery`). Answer types are plain data like records: encoding cannot fail.
pub fn query_answer<T: Serialize>(view: &T) -> Result<serde_json::Value, ModuleError> {
    Ok(serde_json::to_value(view).expect("query answers serialize to JSON"))
}

/// A one-record query's answer: the record at `key` of `module`'s state with its full state
/// key (`<module>/<key>`), so the client can read it again with a proof; `NotFound` in
/// `missing`'s words when there is none.
pub fn keyed_answer<T: DeserializeOwned + Serialize>(
    state: &dyn StateRead,
    module: &str,
    key: &str,
    missing: impl FnOnce() -> String,
) -> Result<serde_json::Value, ModuleError> {
    let record: T = read_record(state, key.as_bytes())?.ok_or_else(|| ModuleError::NotFound(missing()))?;
    query_answer(&KeyedRecord { key: format!("{module}/{key}"), record })
}

/// A whole-number query parameter: absent is `None`; the API passes parameters as strings and
/// an in-process caller may pass numbers, so both are read; anything else is refused, naming
/// the parameter, instead of being silently ignored.
pub fn query_number(params: &serde_json::Value, name: &str) -> Result<Option<u64>, ModuleError> {
    let Some(v) = params.get(name) else { return Ok(None) };
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
    .map(Some)
    .ok_or_else(|| ModuleError::InvalidMessage(format!("{name} must be a non-negative whole number, not {v}")))
}

/// Writes a record of this module's state.
pub fn write_record<T: Serialize>(state: &mut dyn StateWrite, key: &[u8], value: &T) {
    // Records are plain data structures (no maps with non-string keys): serializing cannot fail.
    state.put(key, serde_json::to_vec(value).expect("module records serialize to JSON"));
}
