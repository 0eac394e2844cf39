//! A ballot: for each question, one ciphertext per option (1 if chosen, else 0), a proof for
//! each that it encrypts 0 or 1, and a proof that the question's choices number between its
//! `min` and `max` (VOTE-04). It is made on the voter's device; the randomness stays there, to
//! be revealed only when the voter audits a ballot instead of casting it (Benaloh's challenge),
//! after which that ballot is never cast.

use curve25519_dalek::scalar::Scalar;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::batch::Batch;
use crate::elgamal::{sum, Ciphertext};
use crate::group::{Element, Num};
use crate::proof::{holds, RangeProof, MAX_RANGE};
use crate::BallotError;

/// What a question allows: `options` to choose from, at least `min` and at most `max` chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionShape {
    pub options: u32,
    pub min: u32,
    pub max: u32,
}

/// The most options a question may have, and the most questions a ballot: a participatory
/// budget lists tens of projects per category, never hundreds.
pub const MAX_OPTIONS: u32 = 50;
pub const MAX_QUESTIONS: usize = 20;

impl QuestionShape {
    pub fn check(&self) -> Result<(), BallotError> {
        if self.options == 0 || self.options > MAX_OPTIONS {
            return Err(BallotError::Shape(format!("a question has 1 to {MAX_OPTIONS} options, not {}", self.options)));
        }
        if self.min > self.max || self.max > self.options || u64::from(self.max - self.min) >= MAX_RANGE {
            return Err(BallotError::Shape(format!(
                "choose between {} and {} of {} options: min must not exceed max, nor max the options",
                self.min, self.max, self.options
            )));
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedAnswer {
    pub choices: Vec<Ciphertext>,
    pub choice_proofs: Vec<RangeProof>,
    pub count_proof: RangeProof,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedBallot {
    pub answers: Vec<EncryptedAnswer>,
}

/// The randomness of each ciphertext, question by question: what an audit reveals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotSecrets {
    pub randomness: Vec<Vec<Num>>,
}

/// Checks the selections (the chosen options' indices, per question) against the shapes.
fn check_selections(shapes: &[QuestionShape], selections: &[Vec<u32>]) -> Result<(), BallotError> {
    if shapes.is_empty() || shapes.len() > MAX_QUESTIONS || selections.len() != shapes.len() {
        return Err(BallotError::Shape(format!(
            "a ballot answers each of its 1 to {MAX_QUESTIONS} questions: {} answers for {} questions",
            selections.len(),
            shapes.len()
        )));
    }
    for (q, (shape, chosen)) in shapes.iter().zip(selections).enumerate() {
        shape.check()?;
        let mut sorted = chosen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != chosen.len() || sorted.last().is_some_and(|&o| o >= shape.options) {
            return Err(BallotError::Shape(format!("question {q}: each chosen option once, below {}", shape.options)));
        }
        if (chosen.len() as u32) < shape.min || chosen.len() as u32 > shape.max {
            return Err(BallotError::Shape(format!(
                "question {q}: {} chosen, where {} to {} are allowed",
                chosen.len(),
                shape.min,
                shape.max
            )));
        }
    }
    Ok(())
}

impl EncryptedBallot {
    /// Encrypts the selections under the election key, with proofs bound to `context`.
    pub fn encrypt<R: RngCore + CryptoRng>(
        context: &[u8],
        key: &Element,
        shapes: &[QuestionShape],
        selections: &[Vec<u32>],
        rng: &mut R,
    ) -> Result<(Self, BallotSecrets), BallotError> {
        check_selections(shapes, selections)?;
        let mut answers = Vec::with_capacity(shapes.len());
        let mut randomness = Vec::with_capacity(shapes.len());
        for (shape, chosen) in shapes.iter().zip(selections) {
            let mut choices = Vec::with_capacity(shape.options as usize);
            let mut choice_proofs = Vec::with_capacity(shape.options as usize);
            let mut rs = Vec::with_capacity(shape.options as usize);
            for option in 0..shape.options {
                let m = u64::from(chosen.contains(&option));
                let (ct, r) = Ciphertext::encrypt(key, m, rng);
                choice_proofs.push(RangeProof::prove(context, key, &ct, &r, m, 0, 1, rng)?);
                choices.push(ct);
                rs.push(r);
            }
            let total = sum(&choices);
            let r_total: Scalar = rs.iter().sum();
            let count = chosen.len() as u64;
            let count_proof = RangeProof::prove(
                context,
                key,
                &total,
                &r_total,
                count,
                u64::from(shape.min),
                u64::from(shape.max),
                rng,
            )?;
            answers.push(EncryptedAnswer { choices, choice_proofs, count_proof });
            randomness.push(rs.into_iter().map(Num).collect());
        }
        Ok((EncryptedBallot { answers }, BallotSecrets { randomness }))
    }

    /// Checks the ballot's shape and challenges now and puts its proofs' equations in `batch`.
    pub fn check(
        &self,
        context: &[u8],
        key: &Element,
        shapes: &[QuestionShape],
        batch: &mut Batch,
    ) -> Result<(), BallotError> {
        if self.answers.len() != shapes.len() {
            return Err(BallotError::Shape(format!(
                "the poll has {} questions and the ballot answers {}",
                shapes.len(),
                self.answers.len()
            )));
        }
        for (q, (shape, answer)) in shapes.iter().zip(&self.answers).enumerate() {
            shape.check()?;
            let n = shape.options as usize;
            if answer.choices.len() != n || answer.choice_proofs.len() != n {
                return Err(BallotError::Shape(format!(
                    "question {q} has {n} options: the ballot has {} ciphertexts and {} proofs",
                    answer.choices.len(),
                    answer.choice_proofs.len()
                )));
            }
            for (o, (ct, proof)) in answer.choices.iter().zip(&answer.choice_proofs).enumerate() {
                proof
                    .check(context, key, ct, 0, 1, batch)
                    .map_err(|e| BallotError::Proof(format!("question {q}, option {o}: {e}")))?;
            }
            let total = sum(&answer.choices);
            answer
                .count_proof
                .check(context, key, &total, u64::from(shape.min), u64::from(shape.max), batch)
                .map_err(|e| BallotError::Proof(format!("question {q}, the number chosen: {e}")))?;
        }
        Ok(())
    }

    /// Checks the ballot alone.
    pub fn verify(&self, context: &[u8], key: &Element, shapes: &[QuestionShape]) -> Result<(), BallotError> {
        let mut batch = Batch::new();
        self.check(context, key, shapes, &mut batch)?;
        holds(batch, "a ciphertext of the ballot is not proven well formed")
    }

    /// The tracking code a voter looks their ballot up by (VOTE-08): SHA-256 over every
    /// ciphertext and proof, in order. It names the ballot and reveals nothing of the choice.
    pub fn tracking_code(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"dojang/ballot/v1/tracking");
        for a in &self.answers {
            for (ct, p) in a.choices.iter().zip(&a.choice_proofs) {
                h.update(ct.alpha.bytes());
                h.update(ct.beta.bytes());
                proof_bytes(&mut h, p);
            }
            proof_bytes(&mut h, &a.count_proof);
        }
        h.finalize().into()
    }

    /// A Benaloh audit: with the randomness the device revealed, recomputes every ciphertext
    /// and answers the selections the ballot encrypts, which the voter compares with what they
    /// chose. A device that encrypted something else is caught here.
    pub fn audit(&self, key: &Element, secrets: &BallotSecrets) -> Result<Vec<Vec<u32>>, BallotError> {
        if secrets.randomness.len() != self.answers.len() {
            return Err(BallotError::Shape("the revealed randomness does not match the ballot's questions".into()));
        }
        let mut selections = Vec::with_capacity(self.answers.len());
        for (q, (answer, rs)) in self.answers.iter().zip(&secrets.randomness).enumerate() {
            if rs.len() != answer.choices.len() {
                return Err(BallotError::Shape(format!("question {q}: randomness for each option, no more")));
            }
            let mut chosen = Vec::new();
            for (o, (ct, r)) in answer.choices.iter().zip(rs).enumerate() {
                let m = if Ciphertext::encrypt_with(key, 0, &r.0) == *ct {
                    0
                } else if Ciphertext::encrypt_with(key, 1, &r.0) == *ct {
                    1
                } else {
                    return Err(BallotError::Audit(format!(
                        "question {q}, option {o}: the ciphertext is neither 0 nor 1 with the revealed randomness"
                    )));
                };
                if m == 1 {
                    chosen.push(o as u32);
                }
            }
            selections.push(chosen);
        }
        Ok(selections)
    }
}

fn proof_bytes(h: &mut Sha256, p: &RangeProof) {
    for b in &p.branches {
        h.update(b.a.bytes());
        h.update(b.b.bytes());
        h.update(b.c.0.as_bytes());
        h.update(b.z.0.as_bytes());
    }
}
