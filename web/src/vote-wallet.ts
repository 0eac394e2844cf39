// The voter's side of an open poll, in this browser (docs/modules/voting.md). Registering: a
// fresh voting key is made here and its credential message blinded under the poll's registrar
// key; the registrar's signed request is checked against the chain; the page shows exactly
// what the resident credential would disclose, and only on "Send" is a copy presented; the
// registrar's blind signature is finalized here into the token. The registrar never sees the
// voting key. Voting: the ballot is encrypted here with its proofs and signed by the voting
// key; a ballot can be audited instead (Benaloh), which shows what it holds and sends nothing.
// The voting key (a non-extractable WebCrypto key in the wallet's store) and its token stay in
// this browser, per poll.

import {
  CredentialError,
  TxBuilder,
  WebCryptoP256Signer,
  auditBallot,
  ballotContext,
  blind,
  blindedDigest,
  checkResponseUri,
  checkSignedRequest,
  credentialMessage,
  encryptBallot,
  NotFinalError,
  resumeBlinded,
  trackingCode,
  type Blinded,
  type QuestionShape,
  type VotingToken,
} from "../../sdk-ts/src/index.js";
import { disclosureRecord, plan, presentAll, shownTable } from "./apply.js";
import { h, kv, mono } from "./dom.js";
import type { Ctx } from "./explorer.js";
import { t } from "./i18n.js";
import { addDisclosure, listCredentials, newVotingKey, votingKey, type VotingKey } from "./vault.js";

/** What a poll's page needs to let its visitor vote. */
export interface OpenPoll {
  id: string;
  key: string;
  registrarKey: string;
  /** The verification policy the poll names: the only one its registrar may ask under. */
  policy: string;
  /** `reject` or `last_counts` (VOTE-02). */
  revote: string;
  questions: { text: string; options: string[]; min: number; max: number }[];
}

/** The voting key's id in the wallet's store (not the key), its token and the ballots cast. */
interface Kept {
  key: string;
  token: VotingToken;
  cast: string[];
}

const store = (poll: string) => `dojang.vote.${poll}`;

function kept(poll: string): Kept | null {
  try {
    const v = JSON.parse(localStorage.getItem(store(poll)) ?? "null");
    return v && typeof v.key === "string" && v.token && Array.isArray(v.cast) ? (v as Kept) : null;
  } catch {
    return null;
  }
}

const keep = (poll: string, k: Kept) => localStorage.setItem(store(poll), JSON.stringify(k));

/** A registration whose answer has not arrived: the voting key and the blinding, kept until
 * the registrar answers, so that asking again sends the same blinded message and a lost
 * answer is given again (the registrar signs one message per person). */
interface Pending {
  key: string;
  blinding: string;
}

const pendingStore = (poll: string) => `dojang.vote.${poll}.pending`;

/** The registration kept unanswered, if it still fits the poll's registrar key; one that does
 * not (a damaged record, another key) is dropped, and a fresh key is made instead. */
async function resume(poll: OpenPoll): Promise<{ key: VotingKey; blinded: Blinded } | null> {
  const waiting = pending(poll.id);
  if (!waiting) return null;
  // A storage failure is not a lost key: it is reported, and the record kept for next time.
  const key = await votingKey(waiting.key);
  if (key) {
    try {
      return { key, blinded: resumeBlinded(poll.registrarKey, waiting.blinding) };
    } catch {
      // A damaged record, or one for another registrar key: dropped below.
    }
  }
  localStorage.removeItem(pendingStore(poll.id));
  return null;
}

function pending(poll: string): Pending | null {
  try {
    const v = JSON.parse(localStorage.getItem(pendingStore(poll)) ?? "null");
    return v && typeof v.key === "string" && typeof v.blinding === "string" ? (v as Pending) : null;
  } catch {
    return null;
  }
}

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function refusal(resp: Response): Promise<string> {
  try {
    const body = await resp.json();
    return String(body.error_description ?? body.error ?? resp.status);
  } catch {
    return `HTTP ${resp.status}`;
  }
}

export function votingSection(ctx: Ctx, poll: OpenPoll, registrarArg: string): HTMLElement {
  const section = h("section", { id: "voting", "aria-labelledby": "voting-h" });
  const show = async () => {
    const title = h("h2", { id: "voting-h" }, t("voting.title"));
    const k = kept(poll.id);
    let key: VotingKey | null = null;
    try {
      key = k ? await votingKey(k.key) : null;
    } catch (err) {
      // A storage failure is not a lost key: the credential is kept for the next visit.
      section.replaceChildren(title, h("p", { class: "error", role: "alert" }, t("voting.storage", { why: why(err) })));
      return;
    }
    // A kept credential whose key this browser no longer has cannot vote: registering again
    // is the registrar's to refuse or allow.
    if (k && !key) localStorage.removeItem(store(poll.id));
    const signer = key ? await WebCryptoP256Signer.fromKeyPair(key.keys) : null;
    section.replaceChildren(title, k && signer ? ballotForm(ctx, poll, k, signer) : registerForm(ctx, poll, registrarArg, () => void show()));
  };
  void show();
  return section;
}

function registerForm(ctx: Ctx, poll: OpenPoll, registrarArg: string, done: () => void): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const registrar = h("input", { id: "registrar", autocomplete: "off" }) as HTMLInputElement;
  registrar.value = registrarArg;
  const go = h("button", { type: "submit" }, t("voting.register")) as HTMLButtonElement;
  const form = h(
    "form",
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        go.disabled = true;
        out.replaceChildren(h("span", { class: "mark pending" }, t("voting.asking")));
        try {
          const resumed = await resume(poll);
          const key = resumed?.key ?? (await newVotingKey(poll.id));
          const voter = (await WebCryptoP256Signer.fromKeyPair(key.keys)).publicKey.address();
          const blinded = resumed?.blinded ?? blind(poll.registrarKey, credentialMessage(poll.id, voter));
          const base = registrar.value.trim().replace(/\/+$/, "");
          checkResponseUri(base, t("voting.registrar"));
          const asked = await fetch(`${base}/polls/${encodeURIComponent(poll.id)}/request`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ blinded_message: blinded.blindedMessage }),
            signal: ctx.signal,
          });
          if (!asked.ok) throw new CredentialError(await refusal(asked));
          const now = Math.floor(Date.now() / 1000);
          const req = await checkSignedRequest(await asked.text(), ctx.reader, now);
          // Another organisation's request, even under a policy of its own, is not this
          // poll's registrar: nothing is shown to it.
          if (req.policy.id !== poll.policy) throw new CredentialError(t("voting.wrong_policy", { asked: req.policy.id, poll: poll.policy }));
          // A request fetched by someone else for a key of theirs names their blinded
          // message: answering it would spend this person's registration on it.
          if (req.claims.blinded_message_sha256 !== blindedDigest(blinded.blindedMessage)) throw new CredentialError(t("voting.not_our_request"));
          const planned = plan(req, await listCredentials(), now);
          const send = h("button", { type: "button", id: "send-registration" }, t("apply.send")) as HTMLButtonElement;
          send.addEventListener("click", async () => {
            send.disabled = true;
            const record = disclosureRecord(req, planned);
            try {
              // The answer is bound to this moment: a request that lapsed while the page
              // waited is refused here, before any copy is spent.
              const sentAt = Math.floor(Date.now() / 1000);
              if (sentAt >= req.expiresAt) throw new CredentialError(t("voting.lapsed"));
              const vp = await presentAll(req, planned, sentAt);
              const form = new URLSearchParams({ vp_token: JSON.stringify(vp), state: req.state, blinded_message: blinded.blindedMessage });
              localStorage.setItem(pendingStore(poll.id), JSON.stringify({ key: key.id, blinding: blinded.kept } satisfies Pending));
              // Not tied to the page: leaving it must not lose the registrar's only answer.
              const answered = await fetch(req.responseUri, { method: "POST", body: form });
              // A refusal is final; anything else may be asked again with the same message.
              if (answered.status === 403) localStorage.removeItem(pendingStore(poll.id));
              if (!answered.ok) throw new CredentialError(await refusal(answered));
              const body = await answered.json();
              // A signature that does not finalize will not finalize when asked again either.
              localStorage.removeItem(pendingStore(poll.id));
              const token = blinded.finalize(String(body.blind_signature ?? ""));
              keep(poll.id, { key: key.id, token, cast: [] });
              record.decision = "eligible";
              await addDisclosure(record);
              done();
            } catch (err) {
              record.refused = why(err);
              await addDisclosure(record).catch(() => undefined);
              out.replaceChildren(h("p", { class: "error", role: "alert", "data-registered": "false" }, t("voting.refused", { why: why(err) })));
            }
          });
          out.replaceChildren(
            h("p", {}, t("voting.consent", { registrar: req.clientId, policy: req.policy.id })),
            h("p", { class: "note" }, req.policy.purpose),
            kv([
              [t("voting.legal_basis"), req.policy.legal_basis],
              [t("voting.retention"), t("voting.retention_days", { n: req.policy.retention_days })],
            ]),
            ...planned.map((p) => shownTable(p.sel.shown)),
            send,
          );
        } catch (err) {
          out.replaceChildren(h("p", { class: "error", role: "alert", "data-registered": "false" }, t("voting.refused", { why: why(err) })));
        } finally {
          go.disabled = false;
        }
      },
    },
    h("p", { class: "note" }, t("voting.register_note")),
    h("label", { for: "registrar" }, t("voting.registrar")),
    registrar,
    go,
  );
  return h("div", {}, form, out);
}

/** Waits (up to a minute) until the chain records more credentials issued than voters. */
async function recorded(ctx: Ctx, poll: string, out: HTMLElement): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const v = await ctx.reader.json<{ voters: number; issued: number }>(`voting/tally/${poll}`);
    if (v.value && v.value.issued > v.value.voters) return;
    if (Date.now() > until) throw new CredentialError(t("voting.not_recorded"));
    out.replaceChildren(h("span", { class: "mark pending" }, t("voting.waiting")));
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The chosen options per question, from the form's checkboxes. */
function selections(form: HTMLElement, poll: OpenPoll): number[][] {
  return poll.questions.map((_, q) =>
    Array.from(form.querySelectorAll<HTMLInputElement>(`input[data-question="${q}"]`))
      .filter((c) => c.checked)
      .map((c) => Number(c.dataset.option)),
  );
}

function ballotForm(ctx: Ctx, poll: OpenPoll, k: Kept, signer: WebCryptoP256Signer): HTMLElement {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const voter = signer.publicKey.address();
  const shapes: QuestionShape[] = poll.questions.map((q) => ({ options: q.options.length, min: q.min, max: q.max }));
  const form = h(
    "div",
    { class: "ballot" },
    ...poll.questions.map((q, i) =>
      h(
        "fieldset",
        {},
        h("legend", {}, t("vote.question", { n: i + 1, text: q.text }), " ", h("span", { class: "note" }, t("vote.choose", { min: q.min, max: q.max }))),
        ...q.options.map((o, j) => h("label", {}, h("input", { type: "checkbox", "data-question": String(i), "data-option": String(j) }), ` ${o}`)),
      ),
    ),
  );
  // Benaloh: a ballot is made first and shown by its tracking code; only then does the voter
  // say whether to cast it or to audit it (which reveals what it holds and spoils it), so the
  // code that made it cannot know which ballots will be checked.
  let prepared: ReturnType<typeof encryptBallot> | null = null;
  const made = h("div", { role: "status", "aria-live": "polite" });
  const prepare = h("button", { type: "button", id: "prepare" }, t("voting.prepare")) as HTMLButtonElement;
  const audit = h("button", { type: "button", id: "audit", disabled: true }, t("voting.audit")) as HTMLButtonElement;
  const cast = h("button", { type: "button", id: "cast", disabled: true }, t("voting.cast")) as HTMLButtonElement;
  const reset = () => {
    prepared = null;
    audit.disabled = cast.disabled = true;
  };
  form.addEventListener("change", () => {
    reset();
    made.replaceChildren();
  });
  prepare.addEventListener("click", () => {
    try {
      prepared = encryptBallot(ballotContext(poll.id, voter), poll.key, shapes, selections(form, poll));
      made.replaceChildren(h("p", { "data-prepared": trackingCode(prepared.ballot) }, t("voting.prepared", { code: trackingCode(prepared.ballot) })));
      // Under "reject" a second ballot would be refused: it may still be audited.
      cast.disabled = poll.revote === "reject" && k.cast.length > 0;
      audit.disabled = false;
    } catch (err) {
      made.replaceChildren(h("p", { class: "error", role: "alert" }, why(err)));
    }
  });
  audit.addEventListener("click", () => {
    if (!prepared) return;
    try {
      const opened = auditBallot(poll.key, prepared.ballot, prepared.secrets);
      const named = opened.map((chosen, q) => chosen.map((o) => poll.questions[q]!.options[o]).join(", ") || "—");
      out.replaceChildren(h("p", { "data-audited": trackingCode(prepared.ballot) }, t("voting.audited", { choices: named.join(" / "), code: trackingCode(prepared.ballot) })));
    } catch (err) {
      out.replaceChildren(h("p", { class: "error", role: "alert" }, why(err)));
    }
    reset();
  });
  cast.addEventListener("click", async () => {
    if (!prepared) return;
    const { ballot } = prepared;
    reset();
    const code = trackingCode(ballot);
    try {
      // A first ballot counts only within the credentials the registrar has recorded on chain
      // (VOTE-10), which it does every few seconds.
      if (!k.cast.length) await recorded(ctx, poll.id, out);
      const msg = { module: "voting", msg: { type: "cast", poll: poll.id, voter, key: poll.key, shapes, token: k.token, ballot } };
      const receipt = await ctx.reader.client.send(new TxBuilder(String(ctx.status.chain_id), signer), msg);
      k.cast.push(code);
      keep(poll.id, k);
      out.replaceChildren(h("p", { class: "mark ok", "data-cast": code }, t("voting.was_cast", { h: receipt.height })), kv([[t("vote.code"), mono(code)]]));
    } catch (err) {
      // Sent but not yet final is not "not cast": the code finds it on the board once final.
      const pending = err instanceof NotFinalError;
      const text = pending ? t("voting.pending", { code }) : t("voting.not_cast", { why: why(err) });
      out.replaceChildren(h("p", { class: pending ? "mark pending" : "error", role: "alert", "data-cast": "" }, text));
    }
  });
  return h(
    "div",
    {},
    h("p", { class: "note" }, t("voting.ready", { voter })),
    k.cast.length ? kv(k.cast.map((c, i): [string, ReturnType<typeof mono>] => [t("voting.earlier", { n: i + 1 }), mono(c)])) : null,
    poll.revote === "reject" && k.cast.length ? h("p", { class: "note" }, t("voting.once")) : null,
    form,
    prepare,
    made,
    audit,
    cast,
    out,
  );
}
