#!/usr/bin/env node
/**
 * Bundles the CLI with esbuild into `dist/sre.mjs` (ESM, node20, minified). Code splitting keeps the entry tiny:
 * `sre --version` never loads the chunk holding Effect and the commands.
 *
 * Usage: node packages/cli/scripts/build.mjs [--outdir <dir>] [--quiet]
 */
import { build } from "esbuild"
import { rm } from "node:fs/promises"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const packageDir = resolve(here, "..")
const args = process.argv.slice(2)
const outdirIndex = args.indexOf("--outdir")
const outdir = outdirIndex >= 0 && args[outdirIndex + 1] ? resolve(args[outdirIndex + 1]) : join(packageDir, "dist")
const quiet = args.includes("--quiet")

/**
 * Modules the bundle never runs, replaced with stubs so Node does not parse them on every start:
 * - yaml, toml, ini: imported by @effect/cli for `Args.fileParse`/`Options.fileParse`, which `sre` does not use;
 * - undici: imported by @effect/platform-node's NodeHttpClient for `layerUndici`; `sre` uses the node:http client.
 * Together ~680 KiB of JavaScript.
 */
const unusedModules = {
  name: "unused-modules",
  setup(b) {
    b.onResolve({ filter: /^(yaml|toml|ini|undici)$/ }, (a) => ({ path: a.path, namespace: "unused-module" }))
    b.onLoad({ filter: /.*/, namespace: "unused-module" }, (a) => ({
      contents: `const no = () => { throw new Error("${a.path} parsing is not included in the sre bundle") }
export const parse = no, stringify = no, decode = no, encode = no, safe = no, unsafe = no
export const Agent = no, getGlobalDispatcher = no, setGlobalDispatcher = no
export default { parse, stringify, decode, encode, safe, unsafe }`,
      loader: "js"
    }))
  }
}

const started = Date.now()
await rm(outdir, { recursive: true, force: true })
const result = await build({
  entryPoints: { sre: join(packageDir, "src", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  // some dependencies call require() for Node built-ins; give ESM chunks a require
  banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  metafile: true,
  plugins: [unusedModules],
  logLevel: "warning"
})
if (!quiet) {
  const outputs = Object.entries(result.metafile.outputs)
    .map(([file, info]) => `  ${relative(process.cwd(), file)}  ${(info.bytes / 1024).toFixed(0)} KiB`)
    .join("\n")
  process.stdout.write(`built in ${Date.now() - started} ms:\n${outputs}\n`)
}
