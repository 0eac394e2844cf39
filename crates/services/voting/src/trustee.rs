//! A trustee's side of a poll (VOTE-05, VOTE-07): its transport key, its dealing, the check of
//! every other dealing's share sealed to it (with a complaint about a bad one), and its
//! decryption share of the closed poll's totals.
//!
//! A trustee keeps one secret of its own, the transport key. Its share of the election key is
//! never stored: it is the sum of the shares sealed to it in the dealings that stand, opened
//! again from the chain whenever it is needed.

use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use curve25519_dalek::scalar::Scalar;
use dojang_ballot::group::G;
use dojang_ballot::{Dealing, DecryptionShare, Element};
use dojang_crypto::Signer;
use dojang_sdk::Chain;
use dojang_trust::ChainTrust;
use dojang_voting::msg::VotingMsg;
use dojang_voting::rules::poll_context;
use dojang_voting::state::{self, Poll, Status, Tally};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize as _, Zeroizing};

/// A trustee's transport key: other trustees seal its key shares to the public half, which
/// the poll names. Not the account's signing key, so a share is never sealed to a key that
/// also signs transactions.
pub struct TransportKey {
    secret: Scalar,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransportFile {
    kind: String,
    secret: String,
    public: Element,
}

const KIND: &str = "dojang-voting-transport-key";

impl Drop for TransportKey {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl TransportKey {
    pub fn generate() -> TransportKey {
        TransportKey { secret: Scalar::random(&mut rand::thread_rng()) }
    }

    pub fn public(&self) -> Element {
        Element::new(self.secret * G)
    }

    pub(crate) fn secret(&self) -> &Scalar {
        &self.secret
    }

    /// Writes the key, readable by the owner only; never over an existing file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let mut file =
            TransportFile { kind: KIND.into(), secret: hex::encode(self.secret.as_bytes()), public: self.public() };
        let text = Zeroizing::new(serde_json::to_string_pretty(&file)?);
        file.secret.zeroize();
        dojang_crypto::write_secret_file(path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn load(path: &Path) -> anyhow::Result<TransportKey> {
        let text =
            Zeroizing::new(std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?);
        let mut file: TransportFile =
            serde_json::from_str(&text).with_context(|| format!("{} is not a transport key file", path.display()))?;
        if file.kind != KIND {
            let from = "from `dojang voting trustee transport-key`";
            bail!("{} is a '{}' file, not a {KIND} ({from})", path.display(), file.kind);
        }
        let bytes = Zeroizing::new(hex::decode(&file.secret).unwrap_or_default());
        file.secret.zeroize();
        let bytes: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .with_context(|| format!("{}: the secret is not 32 bytes of hex", path.display()))?;
        let secret = Option::<Scalar>::from(Scalar::from_canonical_bytes(bytes))
            .with_context(|| format!("{}: the secret is not a canonical scalar", path.display()))?;
        let key = TransportKey { secret };
        if key.public() != file.public {
            bail!("{}: the file's public key does not match its secret", path.display());
        }
        Ok(key)
    }
}

/// One trustee of one poll, on a chain: it sends through `chain` and reads the poll, the
/// dealings and the totals through `trust`, each with its proof against the chain's pinned
/// validators (a node that lied about a transport key or hid a dealing would otherwise put
/// this trustee's dealing or share wrong).
pub struct Trustee<'a> {
    pub chain: &'a Chain,
    pub trust: &'a ChainTrust,
    pub signer: Arc<dyn Signer>,
    pub poll: &'a str,
    pub transport: &'a TransportKey,
}

impl Trustee<'_> {
    async fn record(&self) -> anyhow::Result<(Poll, u32)> {
        let p: Poll = self
            .trust
            .read_state(&format!("voting/{}", state::poll_key(self.poll)))
            .await?
            .with_context(|| format!("there is no poll {} on chain", self.poll))?;
        let me = p
            .trustee_number(&self.signer.public_key().address())
            .with_context(|| format!("this account is not one of poll {}'s trustees", self.poll))?;
        if p.spec.trustees[me as usize - 1].transport_key != self.transport.public() {
            bail!("the poll names another transport key for trustee {me}; use the key file whose public key you gave");
        }
        Ok((p, me))
    }

    async fn dealing(&self, j: u32) -> anyhow::Result<Option<Dealing>> {
        Ok(self.trust.read_state(&format!("voting/{}", state::dealing_key(self.poll, j))).await?)
    }

    /// Deals for every trustee and posts the dealing; answers the trustee's number.
    pub async fn deal(&self) -> anyhow::Result<u32> {
        let (p, me) = self.record().await?;
        if p.status != Status::KeyGeneration {
            bail!("poll {} is past key generation; dealings are closed", self.poll);
        }
        let keys: Vec<(u32, Element)> =
            p.spec.trustees.iter().enumerate().map(|(i, t)| (i as u32 + 1, t.transport_key)).collect();
        let ctx = poll_context(self.poll);
        let (dealing, _coefficients) = Dealing::deal(&ctx, me, p.spec.threshold, &keys, &mut rand::thread_rng())?;
        self.chain.send_signed(self.signer.clone(), &VotingMsg::Deal { poll: self.poll.into(), dealing }).await?;
        Ok(me)
    }

    /// Opens the share every other dealing sealed to this trustee and posts a complaint about
    /// each that does not match its dealer's commitments; answers the dealers complained of.
    pub async fn check_dealings(&self) -> anyhow::Result<Vec<u32>> {
        let (p, me) = self.record().await?;
        let ctx = poll_context(self.poll);
        let mut complained = Vec::new();
        for &j in p.dealt.iter().filter(|&&j| j != me && !p.disqualified.contains(&j)) {
            let Some(d) = self.dealing(j).await? else { continue };
            if d.open(&ctx, me, self.transport.secret()).is_err() {
                let complaint = d.complain(&ctx, me, self.transport.secret(), &mut rand::thread_rng())?;
                let msg = VotingMsg::Complain { poll: self.poll.into(), complaint: Box::new(complaint) };
                self.chain.send_signed(self.signer.clone(), &msg).await?;
                complained.push(j);
            }
        }
        Ok(complained)
    }

    /// This trustee's share of the election key: the shares sealed to it in the dealings that
    /// stand, summed.
    async fn key_share(&self, p: &Poll, me: u32) -> anyhow::Result<Scalar> {
        let ctx = poll_context(self.poll);
        let mut sum = Scalar::ZERO;
        for &j in p.dealt.iter().filter(|j| !p.disqualified.contains(j)) {
            let d = self.dealing(j).await?.with_context(|| format!("dealing {j} is missing from the node"))?;
            sum += d.open(&ctx, me, self.transport.secret()).with_context(|| {
                format!("the share dealing {j} sealed to trustee {me} does not open; it should have been complained of")
            })?;
        }
        Ok(sum)
    }

    /// Posts this trustee's decryption share of the closed poll's totals, with its proofs.
    pub async fn post_share(&self) -> anyhow::Result<u32> {
        let (p, me) = self.record().await?;
        if p.status != Status::Closed {
            bail!(
                "poll {} is {:?}: a share is posted once it has closed and before it is tallied",
                self.poll,
                p.status
            );
        }
        let tally: Tally = self
            .trust
            .read_state(&format!("voting/{}", state::tally_key(self.poll)))
            .await?
            .context("the poll has no tally record")?;
        let secret = self.key_share(&p, me).await?;
        if p.verification_keys.get(me as usize - 1) != Some(&Element::new(secret * G)) {
            bail!("trustee {me}'s key share does not match its verification key on chain");
        }
        let share =
            DecryptionShare::make(&poll_context(self.poll), me, &secret, &tally.totals, &mut rand::thread_rng());
        self.chain.send_signed(self.signer.clone(), &VotingMsg::DecryptShare { poll: self.poll.into(), share }).await?;
        Ok(me)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transport_key_survives_its_file_and_a_wrong_file_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("transport.json");
        let key = TransportKey::generate();
        key.save(&path).unwrap();
        assert_eq!(TransportKey::load(&path).unwrap().public(), key.public());
        assert!(key.save(&path).unwrap_err().to_string().contains("cannot write"), "a key is never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let good: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let other = TransportKey::generate();
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (
                serde_json::json!({"kind": "dojang-key", "secret": good["secret"], "public": good["public"]}),
                "not a dojang-voting-transport-key",
            ),
            (serde_json::json!({"kind": KIND, "secret": "zz", "public": good["public"]}), "not 32 bytes of hex"),
            (
                serde_json::json!({"kind": KIND, "secret": "ff".repeat(32), "public": good["public"]}),
                "not a canonical scalar",
            ),
            (
                serde_json::json!({"kind": KIND, "secret": good["secret"], "public": other.public()}),
                "does not match its secret",
            ),
            (serde_json::json!({"kind": KIND, "secret": good["secret"]}), "not a transport key file"),
        ];
        for (i, (file, says)) in cases.into_iter().enumerate() {
            let p = dir.path().join(format!("bad-{i}.json"));
            std::fs::write(&p, file.to_string()).unwrap();
            let err = format!("{:#}", TransportKey::load(&p).err().unwrap());
            assert!(err.contains(says), "{i}: {err}");
        }
        assert!(
            format!("{:#}", TransportKey::load(&dir.path().join("absent.json")).err().unwrap()).contains("cannot read")
        );
    }
}
