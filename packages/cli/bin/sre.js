#!/usr/bin/env node
/**
 * The `sre` binary. Runs the esbuild bundle (`dist/sre.mjs`, built by `npm run build -w packages/cli`) when it
 * exists; otherwise runs the TypeScript sources through tsx, so a fresh checkout works without a build step.
 * Set SRE_CLI_FROM_SOURCE=1 to force the sources.
 */
import { existsSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..")
const bundle = join(packageDir, "dist", "sre.mjs")

if (process.env.SRE_CLI_FROM_SOURCE !== "1" && existsSync(bundle)) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import(pathToFileURL(join(packageDir, "src", "main.ts")).href)
}
