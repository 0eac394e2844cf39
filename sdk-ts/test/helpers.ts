// What the tests import: the package's public surface, and UTF-8 bytes of a string.

export * from "../src/index.js";
export const utf8Bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
