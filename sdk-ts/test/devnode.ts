// Starts `dojang dev` (the binary named by DOJANG_BIN, which scripts/sdk-ts.sh sets) on a free
// loopback port in a temporary home, and stops it and removes the home afterwards.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface DevNode {
  url: string;
  /** The temporary directory; the node's home is `dir/home`. */
  dir: string;
  stop(): Promise<void>;
}

/**
 * `prepare`, if given, runs first with the binary and the home to be: to initialise the home
 * itself (`dojang init`) and change its config before the node starts.
 */
export async function startDevNode(prefix: string, prepare?: (bin: string, home: string) => void): Promise<DevNode> {
  const bin = process.env.DOJANG_BIN;
  assert.ok(bin, "set DOJANG_BIN to the dojang binary (scripts/sdk-ts.sh does)");
  const dir = mkdtempSync(join(tmpdir(), prefix));
  prepare?.(bin, join(dir, "home"));
  const node: ChildProcess = spawn(bin, ["dev", "--home", join(dir, "home"), "--api-listen", "127.0.0.1:0"], {
    stdio: ["ignore", "pipe", "inherit"],
    // DOJANG_* variables are the node's settings; the test's own must not reach it.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "DOJANG_BIN")), DOJANG_LOG__FILTER: "error" },
  });
  const stop = async () => {
    if (node.exitCode === null && node.signalCode === null) {
      const exited = new Promise((resolve) => node.once("exit", resolve));
      node.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const lines = createInterface({ input: node.stdout! });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the dev node did not start within 60 s")), 60_000);
      lines.on("line", (line) => {
        const m = line.match(/API on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      node.on("exit", (code) => reject(new Error(`the dev node exited (${code})`)));
    });
    return { url, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
