//! The demo's transactions: the identity registries and the programs, set up so that running
//! the demo again on the same chain works (existing organisations get a new key, policies and
//! programs get this run's ids).

use dojang_crypto::Keypair;
use dojang_identity::IdentityMsg;

use crate::chain::{Chain, Proposed};

impl Chain {
    pub async fn exists(&self, module: &str, path: &str) -> bool {
        self.client.query(module, path, &[]).await.is_ok()
    }

    /// Registers organisation `did` with `key` under a key id, or, if it exists (an earlier
    /// run), adds `key` under a new key id. Returns the key id.
    pub async fn ensure_org(&self, account: &Keypair, did: &str, key: &Keypair, run: &str) -> anyhow::Result<String> {
        let kid = format!("key-{run}");
        let (did, kid_, public_key) = (did.to_string(), kid.clone(), key.public_key());
        let msg = if self.exists("identity", &format!("org/{did}")).await {
            IdentityMsg::AddKey { did, kid: kid_, public_key, valid_from_ms: None }
        } else {
            IdentityMsg::RegisterOrg { did, kid: kid_, public_key }
        };
        self.send(account, &msg).await?;
        Ok(kid)
    }

    /// Names the root, unless one is set: a council matter, proposed by the admin (the
    /// development chain's council of one, whose proposal passes at once).
    pub async fn ensure_root(&self, admin: &Keypair, did: &str) -> anyhow::Result<()> {
        if !self.exists("identity", "root").await {
            let proposed = self
                .propose(admin, &IdentityMsg::SetRoot { did: did.to_string() }, "the city is the trust root")
                .await?;
            if let Proposed::Open(id) = proposed {
                anyhow::bail!("naming the trust root needs more council approvals (proposal {id}); the demo runs on a chain whose admin is a council of one");
            }
        }
        Ok(())
    }

    pub async fn ensure_type(
        &self,
        admin: &Keypair,
        vct: &str,
        claims: &[&str],
        thresholds: &[&str],
    ) -> anyhow::Result<()> {
        if !self.exists("identity", &format!("type/{vct}")).await {
            let schema = dojang_types::sha256(&[vct.as_bytes(), claims.join(",").as_bytes()]);
            let text = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
            let msg = IdentityMsg::RegisterType {
                vct: vct.to_string(),
                schema_hash: schema,
                concealable: text(claims),
                thresholds: text(thresholds),
            };
            self.send(admin, &msg).await?;
        }
        Ok(())
    }

    pub async fn ensure_accredited(&self, admin: &Keypair, issuer: &str, vct: &str) -> anyhow::Result<()> {
        let current = self.client.query("identity", &format!("accreditation/{issuer}/{vct}"), &[]).await.ok();
        match current.as_ref().map(|a| a["record"]["standing"]["state"].as_str().unwrap_or_default().to_string()) {
            Some(s) if s == "active" => Ok(()),
            Some(s) if s == "suspended" => {
                let (issuer, vct) = (issuer.to_string(), vct.to_string());
                self.send(admin, &IdentityMsg::ReinstateAccreditation { issuer, vct }).await?;
                Ok(())
            }
            _ => {
                self.send(admin, &IdentityMsg::Accredit { issuer: issuer.to_string(), vct: vct.to_string() }).await?;
                Ok(())
            }
        }
    }
}
