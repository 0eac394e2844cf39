// Talking to issuers and offices over HTTP: every request times out, follows no redirect (a
// redirect could carry a presentation or a token to another host, past the checks made on the
// address asked for), and its answer is read with a size limit.

import { CredentialError } from "./sdjwt.js";

/** How long one request to an issuer or an office may take. */
export const REQUEST_TIMEOUT_MS = 20_000;
/** The largest answer read (a batch of credentials fits easily). */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export interface FetchOptions {
  fetcher?: typeof fetch;
  /** Stops the exchange (e.g. the user left the page). */
  signal?: AbortSignal;
}

/** A `fetch` with the timeout, the caller's signal and no redirects. */
export function fetcherOf(options: FetchOptions): (input: string, init?: RequestInit) => Promise<Response> {
  const raw = options.fetcher ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  return (input, init = {}) => {
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    return raw(input, { ...init, redirect: "error", signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout });
  };
}

/** All of `stream`, read no further than `max` bytes (`tooLarge` is thrown beyond them). */
export async function readCapped(stream: ReadableStream<Uint8Array>, max: number, tooLarge: () => Error): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw tooLarge();
    }
    parts.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** The answer's text, read no further than [`MAX_ANSWER_BYTES`]. */
export async function answerText(res: Response, what: string): Promise<string> {
  const tooLarge = () => new CredentialError(`${what}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`);
  if (Number(res.headers.get("content-length") ?? 0) > MAX_ANSWER_BYTES) throw tooLarge();
  if (!res.body) return "";
  return new TextDecoder().decode(await readCapped(res.body, MAX_ANSWER_BYTES, tooLarge));
}

/** The answer as JSON; an error status becomes a CredentialError with the server's own description. */
export async function answerJson(res: Response, what: string): Promise<any> {
  const text = await answerText(res, what);
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok) throw new CredentialError(`${what}: ${body?.error ?? res.status} ${body?.error_description ?? ""}`.trim());
  if (body === null) throw new CredentialError(`${what}: the answer is not JSON`);
  return body;
}
