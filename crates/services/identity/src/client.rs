//! The registries' typed client: register an organisation or add a key to it, name the trust
//! root (a council matter), register a credential type, accredit an issuer for it. Each
//! `ensure_*` leaves the registry as asked whether or not an earlier run did it already, so a
//! demo or an agency's set-up script can run again on the same chain.

use dojang_crypto::Keypair;
use dojang_governance_service::{Council, Proposed};
use dojang_identity::state::{AccreditationRecord, OrgRecord, Standing};
use dojang_identity::views::{AccreditationQuery, OrgQuery, RootQuery, TypeQuery};
use dojang_identity::IdentityMsg;
use dojang_sdk::{Chain, ClientError};
use dojang_types::KeyedRecord as Record;

/// The identity registries, reached through a node.
pub struct Registries<'a> {
    chain: &'a Chain,
}

impl<'a> Registries<'a> {
    pub fn new(chain: &'a Chain) -> Self {
        Registries { chain }
    }

    pub async fn org(&self, did: &str) -> Result<Record<OrgRecord>, ClientError> {
        self.chain.client.ask(&OrgQuery(did.into())).await
    }

    pub async fn accreditation(&self, issuer: &str, vct: &str) -> Result<Record<AccreditationRecord>, ClientError> {
        self.chain.client.ask(&AccreditationQuery { issuer: issuer.into(), vct: vct.into() }).await
    }

    /// Registers organisation `did` with `key` under a key id, or, if it exists (an earlier
    /// run), adds `key` under a new key id. Returns the key id.
    pub async fn ensure_org(&self, account: &Keypair, did: &str, key: &Keypair, run: &str) -> anyhow::Result<String> {
        let kid = format!("key-{run}");
        let (did, kid_, public_key) = (did.to_string(), kid.clone(), key.public_key());
        let msg = if found(self.org(&did).await)? {
            IdentityMsg::AddKey { did, kid: kid_, public_key, valid_from_ms: None }
        } else {
            IdentityMsg::RegisterOrg { did, kid: kid_, public_key }
        };
        self.chain.send(account, &msg).await?;
        Ok(kid)
    }

    /// Names the root, unless one is set: a council matter, proposed by `member` (on a
    /// development chain the council of one, whose proposal passes at once).
    pub async fn ensure_root(&self, member: &Keypair, did: &str) -> anyhow::Result<()> {
        if !found(self.chain.client.ask(&RootQuery).await)? {
            let msg = IdentityMsg::SetRoot { did: did.to_string() };
            if let Proposed::Open(id) =
                Council::new(self.chain).propose(member, &msg, "the city is the trust root").await?
            {
                anyhow::bail!("naming the trust root needs more council approvals (proposal {id}); approve it with `dojang gov approve {id}`");
            }
        }
        Ok(())
    }

    /// Registers credential type `vct` (its concealable claims and the thresholds a verifier
    /// may ask about) unless it is registered.
    pub async fn ensure_type(
        &self,
        admin: &Keypair,
        vct: &str,
        claims: &[&str],
        thresholds: &[&str],
    ) -> anyhow::Result<()> {
        if !found(self.chain.client.ask(&TypeQuery(vct.into())).await)? {
            let schema = dojang_types::sha256(&[vct.as_bytes(), claims.join(",").as_bytes()]);
            let text = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
            let msg = IdentityMsg::RegisterType {
                vct: vct.to_string(),
                schema_hash: schema,
                concealable: text(claims),
                thresholds: text(thresholds),
            };
            self.chain.send(admin, &msg).await?;
        }
        Ok(())
    }

    /// Leaves `issuer` accredited for `vct`: accredits it (again, after a revocation; ID-05),
    /// reinstates a suspended accreditation, or does nothing if it is active.
    pub async fn ensure_accredited(&self, admin: &Keypair, issuer: &str, vct: &str) -> anyhow::Result<()> {
        let (issuer_, vct_) = (issuer.to_string(), vct.to_string());
        let msg = match self.accreditation(issuer, vct).await {
            Ok(a) => match a.record.standing {
                Standing::Active => return Ok(()),
                Standing::Suspended { .. } => IdentityMsg::ReinstateAccreditation { issuer: issuer_, vct: vct_ },
                Standing::Revoked { .. } => IdentityMsg::Accredit { issuer: issuer_, vct: vct_ },
            },
            Err(e) if is_not_found(&e) => IdentityMsg::Accredit { issuer: issuer_, vct: vct_ },
            Err(e) => return Err(e.into()),
        };
        self.chain.send(admin, &msg).await?;
        Ok(())
    }
}

/// A 404 from the node: the record does not exist.
fn is_not_found(e: &ClientError) -> bool {
    matches!(e, ClientError::Problem { status: 404, .. })
}

/// Whether a lookup found its record; failures other than "not found" are errors.
fn found<T>(r: Result<T, ClientError>) -> Result<bool, ClientError> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}
