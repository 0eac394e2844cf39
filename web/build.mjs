// Bundles the pages into crates/web/assets/app.js, which the node embeds. The SDK comes from
// ../sdk-ts/src (its @noble packages from ../sdk-ts/node_modules, so run `npm ci` there
// first). Deterministic: the same sources and esbuild version give the same bytes, which
// scripts/web.sh checks against the committed file.

import { build } from "esbuild";

await build({
  entryPoints: ["src/main.ts"],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  legalComments: "eof",
  outfile: "../crates/web/assets/app.js",
  logLevel: "warning",
});
