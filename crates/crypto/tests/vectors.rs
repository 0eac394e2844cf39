//! The test vectors of docs/transactions.md. If one of these changes, every client that signs
//! transactions breaks: change the encoding only with a new TX_DOMAIN version.

use dojang_crypto::{verify, Keypair};
use dojang_types::{encode, SignedTx, TxBody};

fn vector_body(k: &Keypair) -> TxBody {
    TxBody {
        chain_id: "dojang-dev".into(),
        sender: k.public_key(),
        nonce: 1,
        expires_at_ms: 1_767_225_600_000,
        module: "anchor".into(),
        msg: br#"{"type":"anchor","namespace":"demo","root":"0000000000000000000000000000000000000000000000000000000000000000","leaves":1}"#.to_vec(),
    }
}

#[test]
fn ed25519_vector() {
    let k = Keypair::ed25519_from_seed([1; 32]);
    let body = vector_body(&k);
    let tx = k.sign_tx(body.clone());
    if std::env::var("PRINT_VECTORS").is_ok() {
        println!("public_key   {}", k.public_key());
        println!("address      {}", k.public_key().address());
        println!("signing_hex  {}", hex::encode(body.signing_bytes()));
        println!("tx_id        {}", tx.id());
        println!("signature    {}", hex::encode(tx.signature.bytes()));
        println!("encoded_hex  {}", hex::encode(encode(&tx)));
    }
    assert_eq!(k.public_key().to_string(), PUBLIC_KEY);
    assert_eq!(k.public_key().address().to_string(), ADDRESS);
    assert_eq!(hex::encode(body.signing_bytes()), SIGNING_HEX);
    assert_eq!(tx.id().to_string(), TX_ID);
    assert_eq!(hex::encode(tx.signature.bytes()), SIGNATURE);
    assert_eq!(hex::encode(encode(&tx)), ENCODED);
    assert_eq!(SignedTx::decode(&hex::decode(ENCODED).unwrap()).unwrap(), tx);
    assert!(verify(&tx.body.sender, &tx.body.signing_bytes(), &tx.signature));
}

#[test]
fn p256_signatures_verify_over_the_same_bytes() {
    let k = Keypair::generate(dojang_crypto::Algorithm::P256);
    let tx = k.sign_tx(vector_body(&k));
    let decoded = SignedTx::decode(&encode(&tx)).unwrap();
    assert!(verify(&decoded.body.sender, &decoded.body.signing_bytes(), &decoded.signature));
}

const PUBLIC_KEY: &str = "ed25519:8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
const ADDRESS: &str = "dj38c05b9fd30d7976bebe65fa2720e862c2bde26c";
const SIGNING_HEX: &str = "646f6a616e672f74782f76310a0a000000646f6a616e672d646576008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c010000000000000000a8da769b01000006000000616e63686f72790000007b2274797065223a22616e63686f72222c226e616d657370616365223a2264656d6f222c22726f6f74223a2230303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030222c226c6561766573223a317d";
const TX_ID: &str = "88cbfb11f775a148fe00750ff1e98074c4a955438493837c6617c015bd9bd7eb";
const SIGNATURE: &str = "a2e08e52477fc1b1f2efc5560ff1421fc396e453c8334f8fa9c3f3b2f038711adad8e76144293dcf75f34d7c1f7da3db25226dddd5e6d9a8d0ff0af9af1a8b0c";
const ENCODED: &str = "0a000000646f6a616e672d646576008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c010000000000000000a8da769b01000006000000616e63686f72790000007b2274797065223a22616e63686f72222c226e616d657370616365223a2264656d6f222c22726f6f74223a2230303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030303030222c226c6561766573223a317d00a2e08e52477fc1b1f2efc5560ff1421fc396e453c8334f8fa9c3f3b2f038711adad8e76144293dcf75f34d7c1f7da3db25226dddd5e6d9a8d0ff0af9af1a8b0c";
