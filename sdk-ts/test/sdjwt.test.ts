// The SD-JWT rules on their own, with hand-made payloads and disclosures: what a hostile issuer
// or holder could try that a real issuer never sends.

import { test } from "node:test";
import assert from "node:assert/strict";

import { CredentialError, b64url, disclose, keyOfJwk, parseJws, unb64url, utf8Bytes } from "./helpers.js";
import { digestOf } from "../src/sdjwt.js";

const disclosure = (...parts: unknown[]) => b64url(utf8Bytes(JSON.stringify(parts)));

test("disclosed claims are merged where their digests stand, nested and in arrays, and hidden ones stay hidden", () => {
  const age = disclosure("s1", "age_over_19", true);
  const hidden = disclosure("s2", "income", 100);
  const item = disclosure("s3", "seoul");
  const nested = disclosure("s4", "district", "gangnam");
  const payload = {
    iss: "did:web:x",
    _sd_alg: "sha-256",
    _sd: [digestOf(age), digestOf(hidden)],
    address: { _sd: [digestOf(nested)] },
    cities: [{ "...": digestOf(item) }, "busan"],
  };
  const claims = disclose(payload, [age, item, nested]);
  assert.deepEqual(JSON.parse(JSON.stringify(claims)), { iss: "did:web:x", age_over_19: true, address: { district: "gangnam" }, cities: ["seoul", "busan"] });
});

test("repeated digests, clashes, misplaced and unreferenced disclosures, other digest algorithms are refused", () => {
  const a = disclosure("s1", "a", 1);
  const el = disclosure("s2", "x");
  const cases: [string, Record<string, unknown>, string[], RegExp][] = [
    ["a digest twice in the payload, even undisclosed", { _sd: [digestOf(a)], inner: { _sd: [digestOf(a)] } }, [], /appears twice/],
    ["a disclosure given twice", { _sd: [digestOf(a)] }, [a, a], /twice/],
    ["a clash with a plain claim", { a: 0, _sd: [digestOf(a)] }, [a], /clashes/],
    ["an element disclosure in _sd", { _sd: [digestOf(el)] }, [el], /array-element/],
    ["a property disclosure as an element", { list: [{ "...": digestOf(a) }] }, [a], /array element/],
    ["a disclosure nothing references", { x: 1 }, [a], /referenced by nothing/],
    ["another digest algorithm", { _sd_alg: "sha-512" }, [], /sha-256/],
    ["_sd not an array", { _sd: "x" }, [], /not an array/],
    ["a malformed disclosure", {}, [b64url(utf8Bytes("[1,2,3,4]"))], /salt/],
  ];
  for (const [what, payload, ds, reason] of cases) assert.throws(() => disclose(payload, ds), (e) => e instanceof CredentialError && reason.test(e.message), what);
});

test("a claim named like an object's own machinery stays a plain claim", () => {
  const proto = disclosure("s1", "__proto__", { polluted: true });
  const ctor = disclosure("s2", "constructor", "c");
  const claims = disclose(JSON.parse(`{"_sd": ["${digestOf(proto)}", "${digestOf(ctor)}"], "toString": 1}`), [proto, ctor]);
  assert.deepEqual(Object.keys(claims).sort(), ["__proto__", "constructor", "toString"]);
  assert.equal(({} as any).polluted, undefined, "nothing leaked into Object.prototype");
});

test("nesting deeper than 128 levels is refused, not a stack overflow", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = { d: deep };
  assert.throws(() => disclose({ deep } as Record<string, unknown>, []), /deeper than 128/);
});

test("only canonical base64url is read, and JWKs of the wrong size or shape are refused", () => {
  assert.deepEqual(unb64url("AQID", "x"), Uint8Array.of(1, 2, 3));
  for (const bad of ["AQI=", "AQ+D", "A", "AR"]) assert.throws(() => unb64url(bad, "x"), CredentialError, bad);
  assert.throws(() => parseJws("a.b"), /three parts/);
  assert.throws(() => parseJws(`${b64url(utf8Bytes("[1]"))}.${b64url(utf8Bytes("{}"))}.AA`), /header is not an object/);
  assert.throws(() => keyOfJwk({ kty: "OKP", crv: "Ed25519", x: b64url(new Uint8Array(31)) }), /32-byte/);
  assert.throws(() => keyOfJwk({ kty: "OKP", crv: "Ed25519", x: b64url(new Uint8Array(32)), y: "AA" }), CredentialError);
  assert.throws(() => keyOfJwk({ kty: "EC", crv: "P-384", x: "AA", y: "AA" }), CredentialError);
});
