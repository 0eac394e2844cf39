//! A node reached by a tool that sends transactions (a demo, an office's anchoring, a service's
//! typed client): the client, the chain id read once, and "send a typed message and wait until
//! final, or say why not".

use dojang_crypto::{Keypair, Signer};
use dojang_types::ModuleMessage;
use serde_json::Value;

use crate::{Client, ClientError, TxBuilder};

pub struct Chain {
    pub client: Client,
    pub chain_id: String,
}

impl Chain {
    /// Reaches the node at `url` and reads the chain's id.
    pub async fn connect(url: &str) -> Result<Chain, ClientError> {
        let client = Client::new(url);
        let status = client.status().await?;
        let chain_id = status["chain_id"]
            .as_str()
            .ok_or_else(|| ClientError::BadAnswer(format!("the node at {url} gave a status without chain_id")))?
            .to_string();
        Ok(Chain { client, chain_id })
    }

    /// Sends one typed message signed by `key` and waits until it is final; a refusal is an
    /// error with its reason. Returns the receipt.
    pub async fn send<M: ModuleMessage>(&self, key: &Keypair, msg: &M) -> Result<Value, ClientError> {
        self.send_signed(key.duplicate(), msg).await
    }

    /// [`Chain::send`] with any signer (an HSM key, a key chosen on the command line).
    pub async fn send_signed<S: Signer, M: ModuleMessage>(&self, signer: S, msg: &M) -> Result<Value, ClientError> {
        let builder = TxBuilder::new(&self.chain_id, signer);
        self.client.send(&builder, msg).await
    }
}
