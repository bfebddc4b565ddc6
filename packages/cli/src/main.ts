/**
 * Entry point of the `sre` binary. `sre --version` is answered without loading Effect, so that it starts as fast
 * as Node itself; everything else loads the CLI lazily.
 */
import { VERSION } from "./version.js"

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") {
  process.stdout.write(`${VERSION}\n`)
} else {
  const { runCli } = await import("./cli.js")
  runCli(process.argv)
}
