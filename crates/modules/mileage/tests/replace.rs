//! A lost key: the registrar moves the person's one account to their new key. Only the
//! holder's pseudonym moves it; the lots, enrolments and awards go as they are, the books do
//! not change, the old key holds nothing, and the lots still expire on their day.

mod common;

use common::{addr, key, City};
use dojang_crypto::Keypair;
use dojang_mileage::events::MileageEvent;
use dojang_mileage::views::AccountQuery;
use dojang_types::Hash;
use serde_json::{json, Value};

fn replace(old: &Keypair, new: &Keypair, pseudonym: Hash) -> Value {
    json!({"type": "replace_account", "old": addr(old), "new": addr(new), "pseudonym": pseudonym})
}

#[test]
fn a_lost_keys_account_moves_to_the_new_key_with_its_lots_and_they_expire_there() {
    let c = City::new();
    let lost = c.citizen();
    c.award_eco(&lost, 600);
    c.award_hours(&lost, 10);
    let before = c.account(&lost);
    assert_eq!(before.balance(), 17_000);
    let pseudonym = before.pseudonym;
    let new = key();
    let other = c.citizen();

    assert_eq!(
        c.code(&c.finance, replace(&lost, &new, pseudonym)),
        "unauthorized",
        "only a registrar moves an account"
    );
    let stranger = c.reason(&c.registrar, replace(&lost, &new, c.fresh()));
    assert!(stranger.contains("is not the account of the person"), "{stranger}");
    let wrong_account = c.reason(&c.registrar, replace(&other, &new, pseudonym));
    assert!(wrong_account.contains("is not the account of the person"), "{wrong_account}");
    let taken = c.reason(&c.registrar, replace(&lost, &other, pseudonym));
    assert!(taken.contains("is registered already"), "{taken}");
    let same = c.reason(&c.registrar, replace(&lost, &lost, pseudonym));
    assert!(same.contains("is the old one's"), "{same}");

    let year = c.today().year;
    let books = (c.totals("eco", year), c.totals("volunteer", year));
    let r = c.ok(&c.registrar, replace(&lost, &new, pseudonym));
    let Some(Ok(MileageEvent::AccountReplaced { old, new: to, moved })) = r.events[0].decode::<MileageEvent>() else {
        panic!("{r:?}")
    };
    assert_eq!((old, to), (addr(&lost), addr(&new)));
    assert_eq!(moved.iter().map(|p| p.krw).sum::<u64>(), 17_000);

    assert!(c.chain.ask(&AccountQuery { account: addr(&lost) }).is_err(), "the old address holds no account");
    let after = c.account(&new);
    assert_eq!((&after.lots, &after.enrolled, &after.awarded), (&before.lots, &before.enrolled, &before.awarded));
    assert_eq!((after.pseudonym, after.registered), (pseudonym, before.registered));
    assert_eq!((c.totals("eco", year), c.totals("volunteer", year)), books, "moving lots mints and redeems nothing");

    let spend = || json!({"type": "redeem", "sink": "local-tax", "amount": 1, "reference": c.fresh()});
    assert!(c.reason(&lost, spend()).contains("is not a registered mileage account"), "the lost key spends nothing");
    c.ok(&new, spend());
    let again =
        c.reason(&c.registrar, json!({"type": "register_account", "account": addr(&key()), "pseudonym": pseudonym}));
    assert!(again.contains(&addr(&new).to_string()), "still one account per person, now the new one: {again}");

    // The eco lot's expiry run now visits the new address.
    let expires = after.lots.iter().find(|l| l.programme == "eco").map(|l| l.expires).expect("an eco lot");
    c.pass_days((expires.days() - c.today().days()) as u64 + 1);
    let left = c.account(&new).lots;
    assert_eq!(left.iter().map(|l| l.programme.as_str()).collect::<Vec<_>>(), ["volunteer"]);
    let eco = c.totals("eco", year);
    assert_eq!(
        (eco.expired, eco.outstanding),
        (9_999, 0),
        "the eco lot, less the won spent, expired in the new account"
    );
    c.assert_conserved();
}
