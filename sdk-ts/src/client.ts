// An HTTP client for one node: status, submit (and wait until final), module queries.

import { parseEvents, type ChainEvent } from "./events.js";
import { toHex } from "./bytes.js";
import type { SignedTx, TxBuilder, ModuleMessage } from "./tx.js";

/** A refusal the node explained with an RFC 9457 problem document. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    readonly detail: string,
  ) {
    super(`node refused (${status} ${kind}): ${detail}`);
  }
}

/** A submitted transaction that was not final when the wait ended: follow it by its id. */
export class NotFinalError extends Error {
  constructor(readonly id: string) {
    super(`transaction ${id} did not become final within the wait; follow it at /v1/txs/${id} (do not sign it again)`);
  }
}

/** A message its module refused in its block: the rule's code and the reason. */
export class RefusedError extends Error {
  constructor(
    readonly module: string,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`module '${module}' refused the message (${code}): ${reason}`);
  }
}

export interface Receipt {
  tx_id: string;
  height: number;
  index: number;
  result: { status: "ok" } | { status: "failed"; code: string; reason: string };
  events: { module: string; kind: string; attributes: [string, string][] }[];
}

export interface Submitted {
  id: string;
  /** Present when the submission waited and the transaction became final in time. */
  receipt?: Receipt;
}

/** Percent-encodes everything but RFC 3986's unreserved characters. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

export class Client {
  readonly base: string;

  /** How long a submit-and-wait lets the node wait for finality. */
  waitMs = 30_000;

  constructor(
    base: string,
    // Called as a plain function: browsers refuse `fetch` called on another object.
    private readonly fetcher: typeof fetch = (input, init) => globalThis.fetch(input, init),
  ) {
    this.base = base.replace(/\/+$/, "");
  }

  private async request(path: string, init?: RequestInit): Promise<any> {
    const res = await this.fetcher(this.base + path, init);
    const text = await res.text();
    let body: any;
    try {
      body = text.length ? JSON.parse(text) : null;
    } catch {
      // A proxy's error page, say: still an HTTP refusal, with its text.
      if (!res.ok) throw new ProblemError(res.status, "http-error", text.slice(0, 500));
      throw new Error(`the node's answer to ${path} is not JSON (HTTP ${res.status})`);
    }
    if (!res.ok) {
      const kind = typeof body?.type === "string" ? body.type.split("/").pop() : "error";
      throw new ProblemError(res.status, kind, body?.detail ?? text);
    }
    return body;
  }

  get(path: string): Promise<any> {
    return this.request(path);
  }

  status(): Promise<{ chain_id: string; height: number; [k: string]: unknown }> {
    return this.request("/v1/status");
  }

  /** Submits a signed transaction; with `wait`, answers once it is final (or the wait ends). */
  async submit(tx: SignedTx, wait = false): Promise<Submitted> {
    const path = wait ? `/v1/txs?wait=true&timeout_ms=${this.waitMs}` : "/v1/txs";
    const body = await this.request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ tx: toHex(tx.encoded) }),
    });
    if (typeof body?.id !== "string") throw new Error("the node's answer has no transaction id");
    return { id: body.id, receipt: body.receipt ?? undefined };
  }

  /** Builds, signs, submits and waits: the receipt of an accepted message, else an error. */
  async send(builder: TxBuilder, message: ModuleMessage): Promise<Receipt> {
    const s = await this.submit(await builder.build(message), true);
    if (!s.receipt) throw new NotFinalError(s.id);
    const r = s.receipt.result;
    if (r.status !== "ok") throw new RefusedError(message.module, r.code, r.reason);
    return s.receipt;
  }

  /**
   * The keys under `prefix` in the latest state, in key order (at most `limit`, after
   * `after`): an index of what exists, not a proof; read each key with a proof.
   */
  stateKeys(prefix: string, options: { after?: string; afterHex?: string; limit?: number } = {}): Promise<{ keys: { key: string | null; key_hex: string }[]; next_after: string | null; next_after_hex: string | null; height: number }> {
    const qs = [`prefix=${encode(prefix)}`];
    if (options.after !== undefined) qs.push(`after=${encode(options.after)}`);
    if (options.afterHex !== undefined) qs.push(`after_hex=${encode(options.afterHex)}`);
    if (options.limit !== undefined) qs.push(`limit=${options.limit}`);
    return this.request(`/v1/state/keys?${qs.join("&")}`);
  }

  /** A state value with its proof, header and certificate, unchecked (see [`VerifiedReader`]). */
  stateAnswer(key: string): Promise<any> {
    return this.request(`/v1/state?key=${encode(key)}`);
  }

  /**
   * The chain's events as they are finalized, until `signal` aborts. A node at its limit of
   * streams answers 503 (a [`ProblemError`]); poll `/v1/blocks/latest` then.
   */
  async *events(signal?: AbortSignal): AsyncGenerator<ChainEvent> {
    const res = await this.fetcher(this.base + "/v1/events", { headers: { accept: "text/event-stream" }, signal });
    if (!res.ok || !res.body) {
      const text = await res.text();
      let detail = text.slice(0, 500);
      try {
        detail = JSON.parse(text)?.detail ?? detail;
      } catch {
        // not a problem document: keep the text
      }
      throw new ProblemError(res.status, "events-refused", detail);
    }
    yield* parseEvents(res.body);
  }

  /**
   * A module's read-only query, e.g. `query("governance", "proposal/7")`. Each path segment is
   * percent-encoded, and `.` / `..` segments are refused (they would leave the query space).
   */
  query(module: string, path: string, params: Record<string, string> = {}): Promise<any> {
    const segments = [module, ...path.split("/")];
    if (segments.some((s) => s === "" || s === "." || s === "..")) {
      throw new Error(`'${module}/${path}' is not a query path (empty, '.' or '..' segments)`);
    }
    const qs = Object.entries(params).map(([k, v]) => `${encode(k)}=${encode(v)}`);
    return this.request(`/v1/query/${segments.map(encode).join("/")}${qs.length ? "?" + qs.join("&") : ""}`);
  }
}
