//! The voting messages as JSON: each reads back as it was written, wherever `type` stands,
//! and a malformed message is refused with what is wrong: an unknown type or field, a field
//! its type does not take, a field missing or `null`, a point in upper-case hex or of the
//! wrong length.

use curve25519_dalek::scalar::Scalar;
use dojang_ballot::group::G;
use dojang_ballot::{Element, EncryptedBallot, QuestionShape};
use dojang_crypto::{Algorithm, Keypair};
use dojang_voting::msg::Token;
use dojang_voting::rules::ballot_context;
use dojang_voting::VotingMsg;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

const POLL: &str = "mapo-budget-2026";

fn cast() -> VotingMsg {
    let mut rng = StdRng::seed_from_u64(5);
    let key = Element::new(Scalar::random(&mut rng) * G);
    let shapes = vec![QuestionShape { options: 3, min: 0, max: 1 }];
    let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let (ballot, _) =
        EncryptedBallot::encrypt(&ballot_context(POLL, &voter), &key, &shapes, &[vec![1]], &mut rng).unwrap();
    let token = Token { randomizer: "cmFuZG9t".into(), signature: "c2ln".into() };
    VotingMsg::Cast { poll: POLL.into(), voter, key, shapes, token, ballot }
}

fn read(v: &Value) -> Result<VotingMsg, String> {
    serde_json::from_slice(&serde_json::to_vec(v).unwrap()).map_err(|e| e.to_string())
}

fn refused(v: &Value) -> String {
    match read(v) {
        Err(e) => e,
        Ok(m) => panic!("expected a refusal, read {m:?}"),
    }
}

#[test]
fn each_message_reads_back_as_written_wherever_type_stands() {
    let issued = VotingMsg::RecordIssued { poll: POLL.into(), issued: 7 };
    for msg in [issued, cast()] {
        let v = serde_json::to_value(&msg).unwrap();
        assert_eq!(read(&v).unwrap(), msg);
        // `type` last instead of first: an object's fields have no order.
        let mut fields: Vec<(String, Value)> = v.as_object().unwrap().clone().into_iter().collect();
        let at = fields.iter().position(|(k, _)| k == "type").unwrap();
        let kind = fields.remove(at);
        fields.push(kind);
        let text =
            format!("{{{}}}", fields.iter().map(|(k, v)| format!("{}:{}", json!(k), v)).collect::<Vec<_>>().join(","));
        assert!(text.ends_with(&format!("\"type\":{}}}", v["type"])));
        assert_eq!(serde_json::from_str::<VotingMsg>(&text).unwrap(), msg);
    }
}

#[test]
fn an_unknown_type_or_a_missing_type_is_refused() {
    assert!(refused(&json!({"type": "vote", "poll": POLL})).contains("unknown variant `vote`"));
    assert!(refused(&json!({"poll": POLL, "issued": 3})).contains("missing field `type`"));
}

#[test]
fn a_field_no_message_takes_or_another_type_takes_is_refused_by_name() {
    let e = refused(&json!({"type": "record_issued", "poll": POLL, "issued": 3, "extra": 1}));
    assert!(e.contains("unknown field `extra`"), "{e}");
    let mut v = serde_json::to_value(cast()).unwrap();
    let e = refused(&json!({"type": "record_issued", "poll": POLL, "issued": 3, "voter": v["voter"]}));
    assert!(e.contains("unknown field `voter`") && e.contains("`record_issued`"), "{e}");
    v["issued"] = json!(3);
    let e = refused(&v);
    assert!(e.contains("unknown field `issued`") && e.contains("`cast`"), "{e}");
}

#[test]
fn a_missing_or_null_field_is_refused_by_name() {
    assert!(refused(&json!({"type": "record_issued", "poll": POLL})).contains("missing field `issued`"));
    assert!(refused(&json!({"type": "record_issued", "issued": 3})).contains("missing field `poll`"));
    let e = refused(&json!({"type": "record_issued", "poll": POLL, "issued": null}));
    assert!(e.contains("invalid type: null"), "{e}");
    for field in ["voter", "key", "shapes", "token", "ballot"] {
        let mut v = serde_json::to_value(cast()).unwrap();
        v.as_object_mut().unwrap().remove(field);
        let e = refused(&v);
        assert!(e.contains(&format!("missing field `{field}`")), "{field}: {e}");
    }
}

#[test]
fn a_point_in_upper_case_hex_or_of_the_wrong_length_is_refused() {
    let good = serde_json::to_value(cast()).unwrap();
    let key = good["key"].as_str().unwrap().to_string();
    let mut v = good.clone();
    v["key"] = json!(key.to_uppercase());
    assert!(refused(&v).contains("a point in lower-case hex"));
    v["key"] = json!(&key[..62]);
    assert!(refused(&v).contains("a point has 32 bytes (64 hex digits), not 62 digits"));
    v["key"] = json!(format!("{key}0"));
    assert!(refused(&v).contains("not 65 digits"));
    v["key"] = json!(7);
    assert!(refused(&v).contains("a point as 64 lower-case hex digits"));
    // Not a group element's encoding: 32 bytes of 0xff.
    v["key"] = json!("ff".repeat(32));
    assert!(refused(&v).contains("point"));
    assert!(read(&good).is_ok());
}
