//! The labour service on a development chain: the legal tables as the rules read them. The
//! council's steps (switching modules on, granting roles) are governance's
//! (`dojang_governance_service::dev_chain`).

pub use dojang_governance_service::dev_chain::{activate, propose};

/// The development chain's legal tables (`dojang_service::demo_params`), as the rules read them.
pub fn demo_tables() -> anyhow::Result<dojang_labour::Tables> {
    let params: Vec<dojang_governance::msg::GenesisParam> =
        dojang_service::demo_params().into_iter().map(serde_json::from_value).collect::<Result<_, _>>()?;
    Ok(dojang_labour::Tables::new(params.into_iter().map(|p| (p.table, p.key, p.effective_from, p.value))))
}
