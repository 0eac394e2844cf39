//! Conversions from another points scheme (MIL-02): the council registers the partner and the
//! programme it converts into; the programme's table publishes the rate. The partner's burn
//! and the mint are one change, so a conversion refused for any reason (the rate, the cap,
//! the budget, a receipt used before) leaves no trace of either leg.

use dojang_ledger::{ModuleError, StateWrite, TxContext};
use dojang_types::{sha256, Address, Event, Hash};

use crate::award::{mint_for, Clip};
use crate::events::MileageEvent;
use crate::exec::{event, programme_of, refuse, today};
use crate::msg::Evidence;
use crate::rules;
use crate::state::{self, Conversion, Partner};

/// The evidence id a partner's receipt is kept under (MIL-04): receipts of two partners never
/// collide, and no award of another kind can reuse one.
pub fn evidence_id(partner: &str, receipt: &Hash) -> Hash {
    sha256(&[b"dojang/mileage/conversion/v1", &(partner.len() as u32).to_le_bytes(), partner.as_bytes(), &receipt.0])
}

pub fn register_partner(
    state: &mut dyn StateWrite,
    id: String,
    name: String,
    operator: Address,
    programme: String,
) -> Result<Vec<Event>, ModuleError> {
    if state::read::<Partner>(state, &state::partner_key(&id))?.is_some() {
        return Err(refuse(format!("partner '{id}' is registered already")));
    }
    programme_of(state, &programme)?;
    let p = Partner {
        id: id.clone(),
        name,
        operator,
        programme: programme.clone(),
        conversions: 0,
        points_burnt: 0,
        krw_minted: 0,
    };
    state::write(state, &state::partner_key(&id), &p);
    Ok(vec![event(MileageEvent::PartnerRegistered { partner: id, programme })])
}

pub fn convert(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    partner: String,
    account: Address,
    points: u64,
    receipt: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let mut partner_rec: Partner = state::read(state, &state::partner_key(&partner))?
        .ok_or_else(|| refuse(format!("MIL-02: no partner scheme '{partner}' is registered")))?;
    if partner_rec.operator != ctx.sender {
        return Err(ModuleError::Unauthorized(format!(
            "only {}, the operator of '{partner}', converts its points",
            partner_rec.operator
        )));
    }
    let p = programme_of(state, &partner_rec.programme)?;
    let day = today(ctx);
    let kind = rules::partner_kind(&partner);
    let bp = rules::published_rate(&p.tables, &kind, day).map_err(refuse)?;
    rules::converts_whole(points, bp).map_err(refuse)?;
    let evidence = Evidence { kind, id: evidence_id(&partner, &receipt), on: day, measure: points };
    let m = mint_for(ctx, state, &p, &account, &evidence, Clip::Never)?;
    state::write(
        state,
        &state::conversion_key(&partner, &receipt),
        &Conversion { account, points, krw: m.krw, height: ctx.height },
    );
    partner_rec.conversions += 1;
    partner_rec.points_burnt = partner_rec.points_burnt.saturating_add(points);
    partner_rec.krw_minted = partner_rec.krw_minted.saturating_add(m.krw);
    state::write(state, &state::partner_key(&partner), &partner_rec);
    Ok(vec![event(MileageEvent::Converted { partner, account, receipt, points, krw: m.krw, expires: m.expires })])
}
