//! The election key, made by the trustees together so that no one ever holds its secret
//! (VOTE-05): Pedersen's distributed key generation with Feldman's verifiable shares.
//!
//! Each trustee `i` (numbered 1..=n) draws a polynomial `fᵢ` of degree `k − 1` and publishes a
//! [`Dealing`]: its coefficients' commitments `Cᵢₖ = aᵢₖ·G`, a proof that it knows `aᵢ₀` (so no
//! trustee can pick its commitment to cancel another's), and `fᵢ(j)` for each trustee `j`,
//! sealed to `j`'s transport key. Trustee `j` opens its shares and checks each against the
//! commitments; a bad one gets a [`Complaint`] that anyone can judge, since it reveals the
//! sealing secret with a proof. The election key is `Σᵢ Cᵢ₀` over the dealings that stand;
//! trustee `j`'s decryption share of it is `xⱼ = Σᵢ fᵢ(j)`, and its public verification key
//! `Xⱼ = xⱼ·G` is computed by anyone from the commitments.
//!
//! What it does not promise (Gennaro et al.): a trustee that makes others' dealings fail by
//! complaints can bias the key's distribution; it cannot learn the secret. docs/decisions/0019.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::group::{small, Element, Transcript, G};
use crate::proof::{DlogEqProof, KnowledgeProof};
use crate::BallotError;

/// The most trustees a poll may have.
pub const MAX_TRUSTEES: u32 = 32;

/// `fᵢ(j)`, sealed to trustee `j`: XOR with a key hashed from a Diffie–Hellman secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedShare {
    pub to: u32,
    pub ephemeral: Element,
    /// 32 bytes, hex.
    pub sealed: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dealing {
    pub dealer: u32,
    pub commitments: Vec<Element>,
    pub proof: KnowledgeProof,
    pub shares: Vec<SealedShare>,
}

/// A trustee's complaint that dealer `dealer` sealed it a bad share: the Diffie–Hellman
/// secret of that share, with a proof that it is the one the complainer's key makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub dealer: u32,
    pub by: u32,
    pub shared: Element,
    pub proof: DlogEqProof,
}

fn pok_context(context: &[u8], dealer: u32) -> Vec<u8> {
    [context, b"/dealer/", &dealer.to_be_bytes()].concat()
}

fn seal_key(
    context: &[u8],
    dealer: u32,
    to: u32,
    ephemeral: &Element,
    transport: &Element,
    shared: &Element,
) -> [u8; 32] {
    let mut t = Transcript::new("share");
    t.bytes(context);
    t.u64(u64::from(dealer));
    t.u64(u64::from(to));
    t.element(ephemeral);
    t.element(transport);
    t.element(shared);
    t.key()
}

fn xor(a: &[u8; 32], b: &[u8; 32]) -> [u8; 32] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// `Σₖ jᵏ·Cₖ`: what `f(j)·G` must be.
fn committed_value(commitments: &[Element], j: u32) -> RistrettoPoint {
    let mut powers = Vec::with_capacity(commitments.len());
    let mut p = Scalar::ONE;
    for _ in commitments {
        powers.push(p);
        p *= small(u64::from(j));
    }
    RistrettoPoint::vartime_multiscalar_mul(powers, commitments.iter().map(|c| *c.point()))
}

/// Checks the parameters of a key generation: `k` of `n` trustees.
pub fn check_threshold(k: u32, n: u32) -> Result<(), BallotError> {
    if k == 0 || k > n || n > MAX_TRUSTEES {
        return Err(BallotError::Shape(format!("a threshold of {k} of {n} trustees: need 1 ≤ k ≤ n ≤ {MAX_TRUSTEES}")));
    }
    Ok(())
}

impl Dealing {
    /// Deals for trustee `dealer` to every trustee in `transport` (index and transport key),
    /// its own included. The coefficients are returned to the dealer, who may forget them once
    /// it has opened its own share.
    pub fn deal<R: RngCore + CryptoRng>(
        context: &[u8],
        dealer: u32,
        k: u32,
        transport: &[(u32, Element)],
        rng: &mut R,
    ) -> Result<(Self, Vec<Scalar>), BallotError> {
        check_threshold(k, transport.len() as u32)?;
        let coefficients: Vec<Scalar> = (0..k).map(|_| Scalar::random(rng)).collect();
        let commitments: Vec<Element> = coefficients.iter().map(|a| Element::new(a * G)).collect();
        let proof = KnowledgeProof::prove(&pok_context(context, dealer), &coefficients[0], &commitments[0], rng);
        let mut shares = Vec::with_capacity(transport.len());
        for (to, key) in transport {
            let value = evaluate(&coefficients, *to);
            let e = Scalar::random(rng);
            let ephemeral = Element::new(e * G);
            let shared = Element::new(e * key.point());
            let pad = seal_key(context, dealer, *to, &ephemeral, key, &shared);
            shares.push(SealedShare { to: *to, ephemeral, sealed: hex::encode(xor(&value.to_bytes(), &pad)) });
        }
        Ok((Dealing { dealer, commitments, proof, shares }, coefficients))
    }

    /// What anyone can check: `k` commitments, the proof of the first, one share per trustee.
    pub fn check(&self, context: &[u8], k: u32, trustees: &[u32]) -> Result<(), BallotError> {
        if self.commitments.len() != k as usize {
            return Err(BallotError::Shape(format!(
                "a dealing commits to {k} coefficients, not {}",
                self.commitments.len()
            )));
        }
        let mut to: Vec<u32> = self.shares.iter().map(|s| s.to).collect();
        to.sort_unstable();
        let mut expected = trustees.to_vec();
        expected.sort_unstable();
        if to != expected {
            return Err(BallotError::Shape(
                "a dealing seals one share to each trustee, and none to anyone else".into(),
            ));
        }
        self.proof.verify(&pok_context(context, self.dealer), &self.commitments[0])
    }

    fn share_for(&self, to: u32) -> Result<&SealedShare, BallotError> {
        self.shares.iter().find(|s| s.to == to).ok_or_else(|| BallotError::Shape(format!("no share for trustee {to}")))
    }

    /// Opens trustee `me`'s share and checks it against the commitments. An error means the
    /// dealer cheated: answer it with [`Dealing::complain`].
    pub fn open(&self, context: &[u8], me: u32, transport_secret: &Scalar) -> Result<Scalar, BallotError> {
        let sealed = self.share_for(me)?;
        let shared = Element::new(transport_secret * sealed.ephemeral.point());
        let transport = Element::new(transport_secret * G);
        self.unseal(context, me, &transport, &shared)
    }

    fn unseal(&self, context: &[u8], to: u32, transport: &Element, shared: &Element) -> Result<Scalar, BallotError> {
        let sealed = self.share_for(to)?;
        let bytes: [u8; 32] = hex::decode(&sealed.sealed).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            BallotError::Dealing(format!("dealer {}: the share for {to} is not 32 bytes of hex", self.dealer))
        })?;
        let pad = seal_key(context, self.dealer, to, &sealed.ephemeral, transport, shared);
        let value: Option<Scalar> = Scalar::from_canonical_bytes(xor(&bytes, &pad)).into();
        let value = value.ok_or_else(|| {
            BallotError::Dealing(format!("dealer {}: the share for {to} is not a scalar", self.dealer))
        })?;
        if value * G != committed_value(&self.commitments, to) {
            return Err(BallotError::Dealing(format!(
                "dealer {}: the share for {to} does not match its commitments",
                self.dealer
            )));
        }
        Ok(value)
    }

    /// The complaint trustee `me` publishes about a bad share.
    pub fn complain<R: RngCore + CryptoRng>(
        &self,
        context: &[u8],
        me: u32,
        transport_secret: &Scalar,
        rng: &mut R,
    ) -> Result<Complaint, BallotError> {
        let sealed = self.share_for(me)?;
        let transport = Element::new(transport_secret * G);
        let shared = Element::new(transport_secret * sealed.ephemeral.point());
        let proof =
            DlogEqProof::prove("complaint", context, transport_secret, &transport, &sealed.ephemeral, &shared, rng);
        Ok(Complaint { dealer: self.dealer, by: me, shared, proof })
    }

    /// Judges a complaint: `Ok(true)` when the dealer sealed a bad share (the dealing is
    /// out), `Ok(false)` when the share was good (the complaint is false), an error when the
    /// complaint's proof fails (it proves nothing).
    pub fn judge(
        &self,
        context: &[u8],
        complaint: &Complaint,
        complainer_transport: &Element,
    ) -> Result<bool, BallotError> {
        if complaint.dealer != self.dealer {
            return Err(BallotError::Shape("the complaint is about another dealing".into()));
        }
        let sealed = self.share_for(complaint.by)?;
        complaint.proof.verify("complaint", context, complainer_transport, &sealed.ephemeral, &complaint.shared)?;
        Ok(self.unseal(context, complaint.by, complainer_transport, &complaint.shared).is_err())
    }
}

/// `f(j)` for the coefficients `a₀, a₁, …`.
fn evaluate(coefficients: &[Scalar], j: u32) -> Scalar {
    let x = small(u64::from(j));
    coefficients.iter().rev().fold(Scalar::ZERO, |acc, a| acc * x + a)
}

/// The election key from the dealings that stand.
pub fn election_key(dealings: &[&Dealing]) -> Element {
    let mut y = RistrettoPoint::identity();
    for d in dealings {
        y += d.commitments[0].point();
    }
    Element::new(y)
}

/// Trustee `j`'s verification key `xⱼ·G`, from the commitments alone.
pub fn verification_key(dealings: &[&Dealing], j: u32) -> Element {
    let mut x = RistrettoPoint::identity();
    for d in dealings {
        x += committed_value(&d.commitments, j);
    }
    Element::new(x)
}
