// Debian's Chromium for the browser tests (scripts/chromium.sh installs it), and where their
// screenshots go.

import { mkdirSync } from "node:fs";

import { chromium } from "playwright-core";

export const OUT = new URL("../test-output/", import.meta.url).pathname;
const BROWSER = process.env.DOJANG_CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps dialling Google, which a closed
// network refuses; the sandbox needs user namespaces a root test run does not have.
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** A headless Chromium, with the screenshot directory made. */
export function launch() {
  mkdirSync(OUT, { recursive: true });
  return chromium.launch({ executablePath: BROWSER, args: ARGS });
}
