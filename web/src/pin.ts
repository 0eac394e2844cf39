// The validator set this browser trusts for this node's chain, kept in the browser: pinned
// from a genesis file the user pastes, or on the first visit (trust on first use, shown as
// such with its hash to compare). A node that later serves another genesis is not believed
// until the user pins again.

import { Client, TrustedChain, VerifiedReader, precomputeVerification, type PinnedSet, type Validator } from "../../sdk-ts/src/index.js";

const STORE = "dojang.pin";

export interface Pin {
  chainId: string;
  genesisHash: string;
  validators: Validator[];
  /** Sets followed since the pin (through certificates), so a later visit need not follow again. */
  followed?: PinnedSet[];
  source: "first-visit" | "genesis";
  pinnedAtMs: number;
}

export type PinState =
  | { ok: true; pin: Pin; reader: VerifiedReader; status: any }
  | { ok: false; pin: Pin; status: any };

function load(): Pin | null {
  try {
    const p = JSON.parse(localStorage.getItem(STORE) ?? "null");
    return p && typeof p.chainId === "string" && Array.isArray(p.validators) ? (p as Pin) : null;
  } catch {
    return null;
  }
}

function save(pin: Pin): void {
  localStorage.setItem(STORE, JSON.stringify(pin));
}

/** Keeps the sets followed so far with the pin. */
export function remember(state: PinState): void {
  if (!state.ok) return;
  const followed = state.reader.chain.knownSets().slice(1);
  if (followed.length !== (state.pin.followed ?? []).length) {
    state.pin.followed = followed;
    save(state.pin);
  }
}

export function forget(): void {
  localStorage.removeItem(STORE);
}

/** Pins the set a genesis file names; throws if it is not one. */
export function pinGenesis(text: string, genesisHash: string): Pin {
  const genesis = JSON.parse(text);
  const chain = TrustedChain.fromGenesis(genesis);
  const pin: Pin = { chainId: chain.chainId, genesisHash, validators: chain.pinned().validators, source: "genesis", pinnedAtMs: Date.now() };
  save(pin);
  return pin;
}

/** The reader every value on the page goes through, or why there is none. */
export async function connect(client: Client): Promise<PinState> {
  const asked = client.status();
  // The curve tables are built while the status request is on the network.
  precomputeVerification();
  const status = await asked;
  let pin = load();
  if (!pin) {
    const first = await client.get("/v1/validators?height=1");
    pin = { chainId: status.chain_id, genesisHash: String(status.genesis_hash), validators: first.validators, source: "first-visit", pinnedAtMs: Date.now() };
    // Checked before it is kept: a set that cannot be pinned is never stored.
    new TrustedChain(pin.chainId, pin.validators);
    save(pin);
  }
  if (pin.chainId !== status.chain_id || pin.genesisHash !== status.genesis_hash) return { ok: false, pin, status };
  let chain: TrustedChain;
  try {
    const pinned: PinnedSet = { chainId: pin.chainId, from: 1, validators: pin.validators };
    chain = TrustedChain.restore(pin.chainId, [pinned, ...(pin.followed ?? [])]);
  } catch {
    // A stored pin that no longer parses is forgotten; the next load pins again.
    forget();
    throw new Error("the pinned validator set in this browser was damaged and has been forgotten; reload to pin again");
  }
  return { ok: true, pin, status, reader: new VerifiedReader(client, chain) };
}
