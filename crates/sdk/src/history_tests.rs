use dojang_crypto::{Algorithm, Keypair};
use dojang_types::{encode, merkle_proof, validators_hash, Address, Event, TxStatus};
use serde_json::json;

use super::*;

const CHAIN: &str = "seoul-test";

/// A block of three transactions with their receipts, and the `/v1/txs` answer for each.
fn block() -> (ProvenBlock, Vec<Value>) {
    let builder = crate::TxBuilder::new(CHAIN, Keypair::generate(Algorithm::Ed25519));
    let txs: Vec<SignedTx> = (0..3).map(|i| builder.build("voting", &json!({ "n": i }))).collect();
    let ids: Vec<Hash> = txs.iter().map(|t| t.id()).collect();
    let receipts: Vec<Receipt> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| Receipt {
            tx_id: *id,
            height: 9,
            index: i as u32,
            result: if i == 1 {
                TxStatus::Failed { code: "refused".into(), reason: "no".into() }
            } else {
                TxStatus::Ok
            },
            events: vec![Event::new("voting", "cast").with("n", i)],
        })
        .collect();
    let commitments: Vec<Vec<u8>> = receipts.iter().map(Receipt::commitment_bytes).collect();
    let header = BlockHeader {
        chain_id: CHAIN.into(),
        height: 9,
        time_ms: 1_790_000_000_000,
        prev_hash: Hash::default(),
        txs_root: merkle_root(&ids.iter().map(|h| h.0).collect::<Vec<_>>()),
        receipts_root: merkle_root(&commitments),
        state_root: Hash::default(),
        validators_hash: validators_hash(&[]),
        proposer: Address([0; 20]),
    };
    let answers = (0..3)
        .map(|i| {
            json!({
                "tx_hex": hex::encode(encode(&txs[i])),
                "receipt": receipts[i],
                "inclusion": {
                    "height": 9,
                    "tx_proof": merkle_proof(&ids.iter().map(|h| h.0).collect::<Vec<_>>(), i).unwrap(),
                    "receipt_proof": merkle_proof(&commitments, i).unwrap(),
                },
            })
        })
        .collect();
    (ProvenBlock { header, tx_ids: ids }, answers)
}

#[test]
fn each_transaction_is_proven_into_its_block_with_its_receipt_and_place() {
    let (b, answers) = block();
    for (i, a) in answers.iter().enumerate() {
        let p = check_inclusion(&b.tx_ids[i], a, &b).unwrap();
        assert_eq!((p.height, p.index, p.block_time_ms), (9, i as u32, b.header.time_ms));
        assert_eq!(p.tx.id(), b.tx_ids[i]);
        assert_eq!(p.receipt.result == TxStatus::Ok, i != 1, "the failed one is proven failed");
    }
}

#[test]
fn every_altered_or_malformed_part_of_an_answer_is_refused_with_its_reason() {
    let (b, answers) = block();
    let id = b.tx_ids[0];
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut a = answers[0].clone();
        change(&mut a);
        a
    };
    let tx_hex = answers[0]["tx_hex"].as_str().unwrap().to_string();
    let flip_last = |s: &str| format!("{}{}", &s[..s.len() - 1], if s.ends_with('0') { '1' } else { '0' });
    let mut another_block = b.clone();
    another_block.header.txs_root = Hash([1; 32]);
    let mut reordered = b.clone();
    reordered.tx_ids.swap(0, 2);
    let cases: Vec<(Value, &ProvenBlock, &str)> = vec![
        (edit(&|a| a["tx_hex"] = json!("zz")), &b, "tx_hex"),
        (edit(&|a| a["tx_hex"] = json!(null)), &b, "does not decode"),
        (edit(&|a| a["tx_hex"] = json!(&tx_hex[..tx_hex.len() - 20])), &b, "does not decode"),
        (edit(&|a| a["tx_hex"] = answers[1]["tx_hex"].clone()), &b, "do not hash to its id"),
        (edit(&|a| a["tx_hex"] = json!(flip_last(&tx_hex))), &b, "signature is not its sender's"),
        (edit(&|a| a["receipt"] = answers[1]["receipt"].clone()), &b, "another transaction"),
        (edit(&|a| a["receipt"]["height"] = json!(8)), &b, "another transaction or height"),
        (edit(&|a| a["receipt"] = json!("ok")), &b, "receipt"),
        (edit(&|a| a["receipt"]["events"] = json!([])), &b, "receipts_root"),
        (
            edit(&|a| a["receipt"]["result"] = json!({"status": "failed", "code": "x", "reason": "y"})),
            &b,
            "receipts_root",
        ),
        (edit(&|a| a["inclusion"]["tx_proof"] = answers[1]["inclusion"]["tx_proof"].clone()), &b, "txs_root"),
        (edit(&|a| a["inclusion"]["tx_proof"] = json!("none")), &b, "tx_proof"),
        (edit(&|a| a["inclusion"]["receipt_proof"] = json!([])), &b, "receipts_root"),
        (
            edit(&|a| a["inclusion"]["tx_proof"] = json!(vec![json!({"sibling": Hash::default(), "left": true}); 65])),
            &b,
            "more than 64 steps",
        ),
        (answers[0].clone(), &another_block, "txs_root"),
        (answers[0].clone(), &reordered, "place in the block"),
    ];
    for (answer, block, why) in cases {
        let err = check_inclusion(&id, &answer, block).unwrap_err().to_string();
        assert!(err.contains(why), "{why}: {err}");
    }
}
