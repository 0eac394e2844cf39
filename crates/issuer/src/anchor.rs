//! Anchoring status list versions on chain: the transaction that makes a new version official.
//! A trait, so the service can be tested without a chain and run against a real node.

use dojang_crypto::Keypair;
use dojang_identity::IdentityMsg;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::Hash;

#[async_trait::async_trait]
pub trait Anchoring: Send + Sync {
    /// Records `(uri, version, hash)` for organisation `did`; returns once it is final.
    async fn anchor(&self, did: &str, uri: &str, version: u64, hash: [u8; 32]) -> Result<u64, String>;
}

/// Anchors through a node, signed by the account that controls the issuing organisation.
pub struct ChainAnchoring {
    client: Client,
    builder: TxBuilder,
}

impl ChainAnchoring {
    pub fn new(node_url: &str, chain_id: &str, account: Keypair) -> Self {
        ChainAnchoring { client: Client::new(node_url), builder: TxBuilder::new(chain_id, account) }
    }
}

#[async_trait::async_trait]
impl Anchoring for ChainAnchoring {
    async fn anchor(&self, did: &str, uri: &str, version: u64, hash: [u8; 32]) -> Result<u64, String> {
        let msg = IdentityMsg::AnchorStatusList { did: did.into(), uri: uri.into(), version, hash: Hash(hash) };
        let receipt =
            self.client.send(&self.builder, &msg).await.map_err(|e| format!("the chain refused the anchor: {e}"))?;
        receipt["height"].as_u64().ok_or_else(|| "the receipt has no height".to_string())
    }
}
