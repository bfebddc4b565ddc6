/**
 * CLI entry of the mock LLM.
 *
 * `node --import tsx packages/testkit/src/mock-llm-main.ts [--port N] [--auto-rounds N] [--latency-ms N]
 * [--chunk-delay-ms N] [--model NAME]`
 *
 * Prints `listening <url>` (the base URL including `/v1`) on stdout once ready. With `--auto-rounds` the default
 * reply is `autoAgent({ toolRounds })`, otherwise `echo()` (see `mockLlmOptionsFromArgs`). Script it at runtime
 * through the `/_mock/*` control endpoints (see `mockLlmRemote`). Stops on SIGINT/SIGTERM.
 *
 * @module
 */
import { mockLlmOptionsFromArgs, startMockLlm, type MockLlmOptions } from "./mock-llm.js"

let options: MockLlmOptions
try {
  options = mockLlmOptionsFromArgs(process.argv.slice(2))
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(2)
}
const llm = await startMockLlm(options)
process.stdout.write(`listening ${llm.url}\n`)

const stop = (): void => {
  void llm.close().finally(() => process.exit(0))
}
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
