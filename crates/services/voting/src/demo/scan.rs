//! What must be nowhere (VOTE-05, DESIGN.md §7), searched byte by byte:
//! - in the node's whole home (blocks, state, logs): any voter's name, resident number or
//!   registry subject, as written or unsalted-hashed, and the poll pseudonym the registrar
//!   saw (which would tie a registration to the chain);
//! - in the registrar's store: the same personal data, and any voting account or token, which
//!   would link a person to a ballot.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use dojang_eligibility_service::demo::citizens::Citizen;
use dojang_service::scan::{forms, search};
use dojang_types::Address;
use dojang_voting::msg::Token;
use serde_json::{json, Value};

fn personal(people: &[&Citizen]) -> Vec<(String, Vec<u8>)> {
    people
        .iter()
        .flat_map(|c| {
            let mut n = forms(&c.name);
            n.extend(forms(&c.resident_number));
            n.push((format!("subject {}", c.subject), c.subject.as_bytes().to_vec()));
            n
        })
        .collect()
}

pub fn scan(
    poll: &str,
    node_home: &Path,
    registrar_store: &Path,
    people: &[&Citizen],
    pseudonyms: &[String],
    voting: &[(Address, Token)],
) -> anyhow::Result<Value> {
    let mut chain_needles = personal(people);
    chain_needles.extend(pseudonyms.iter().map(|p| (format!("poll pseudonym {p}"), p.as_bytes().to_vec())));
    let on_node = search(&[node_home.to_path_buf()], &[], &chain_needles)?;

    let mut registrar_needles = personal(people);
    for (address, token) in voting {
        registrar_needles.push((format!("voting account {address}"), address.to_string().into_bytes()));
        registrar_needles.push((format!("voting account {address} (raw)"), address.0.to_vec()));
        registrar_needles.push((format!("token of {address}"), token.signature.clone().into_bytes()));
        if let Ok(raw) = B64.decode(&token.signature) {
            registrar_needles.push((format!("token of {address} (raw)"), raw));
        }
    }
    let at_registrar = search(&[registrar_store.to_path_buf()], &[], &registrar_needles)?;
    // A control: the registrar keeps each decision under the person's poll pseudonym, so a
    // search that reads its store finds them; one that finds none read nothing.
    let control: Vec<(String, Vec<u8>)> = pseudonyms.iter().map(|p| (p.clone(), p.as_bytes().to_vec())).collect();
    let seen = search(&[registrar_store.to_path_buf()], &[], &control)?.hits.len();
    // And the poll's id is on chain, so a search of the node's files that reads them finds it.
    let poll_seen = search(&[node_home.to_path_buf()], &[], &[(poll.into(), poll.as_bytes().to_vec())])?.hits.len();
    if at_registrar.files != 1 || seen == 0 || poll_seen == 0 {
        anyhow::bail!(
            "the scan read nothing: {} registrar stores, {seen} pseudonyms seen in it, the poll id seen in {poll_seen} node files",
            at_registrar.files
        );
    }

    let hits: Vec<Value> = on_node
        .hits
        .iter()
        .chain(&at_registrar.hits)
        .map(|(file, what)| json!({"file": file.display().to_string(), "what": what}))
        .collect();
    println!(
        "scan: the node's home ({} files, {} MB) and the registrar's store ({} MB) searched for {} people's \
         names, resident numbers and pseudonyms and {} voting accounts and tokens: {}",
        on_node.files,
        on_node.bytes / 1_000_000,
        at_registrar.bytes / 1_000_000,
        people.len(),
        voting.len(),
        if hits.is_empty() { "none found".to_string() } else { format!("{} FOUND", hits.len()) }
    );
    Ok(json!({
        "node_files": on_node.files,
        "node_bytes": on_node.bytes,
        "registrar_files": at_registrar.files,
        "registrar_bytes": at_registrar.bytes,
        "hits": hits,
    }))
}
