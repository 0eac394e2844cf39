// The node's event stream (`GET /v1/events`, server-sent events): one `block` event per
// finalized block with its receipts, `lagged` when this reader fell behind. Parsed from the
// response body so it works the same in Node and in browsers, and stops when the caller's
// signal aborts.

/** A finalized block as the stream announces it. */
export interface BlockEvent {
  kind: "block";
  height: number;
  hash: string;
  time_ms: number;
  tx_count: number;
  receipts: unknown[];
  hook_events?: unknown[];
}

/** The reader fell `missed` blocks behind; fetch them from `/v1/blocks/{height}`. */
export interface LaggedEvent {
  kind: "lagged";
  missed: number;
}

export type ChainEvent = BlockEvent | LaggedEvent;

/** Longest single event accepted; a node's block event with thousands of receipts fits. */
const MAX_EVENT_BYTES = 64 * 1024 * 1024;

function toEvent(name: string, data: string): ChainEvent | null {
  if (name === "lagged") {
    const missed = Number(data);
    return Number.isSafeInteger(missed) ? { kind: "lagged", missed } : null;
  }
  if (name !== "block") return null;
  let v: any;
  try {
    v = JSON.parse(data);
  } catch {
    throw new Error("the event stream sent a block event that is not JSON");
  }
  if (typeof v?.height !== "number" || typeof v.hash !== "string") throw new Error("a block event lacks its height or hash");
  return { ...v, kind: "block" };
}

/**
 * Parses server-sent events from `body` (RFC-compatible: `event:`/`data:` fields, blank-line
 * separated, comments ignored) and yields the chain's events.
 */
export async function* parseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ChainEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let name = "message";
  let data: string[] = [];
  let dataBytes = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      if (buffer.length > MAX_EVENT_BYTES) throw new Error(`an event is longer than ${MAX_EVENT_BYTES} bytes`);
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          const event = data.length ? toEvent(name, data.join("\n")) : null;
          name = "message";
          data = [];
          dataBytes = 0;
          if (event) yield event;
        } else if (line.startsWith(":")) {
          continue;
        } else {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") name = val;
          else if (field === "data") {
            dataBytes += val.length + 1;
            if (dataBytes > MAX_EVENT_BYTES) throw new Error(`an event is longer than ${MAX_EVENT_BYTES} bytes`);
            data.push(val);
          }
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
