/**
 * Helpers for the MCP tests: build a configuration from YAML text (the real parsing path), run a live manager in a
 * scope, poll for a condition, find a child process.
 */
/* eslint-disable security/detect-non-literal-fs-filename -- temporary files and /proc paths chosen by the test */
import { readdirSync, readFileSync } from "node:fs"
import { createServer } from "node:net"
import { Effect, Either, Layer, Logger, LogLevel, type Scope } from "effect"
import { HealthChecks, layerHealthChecks } from "../../src/health/HealthChecks.js"
import { parseMcpConfig, type McpConfig } from "../../src/mcp/McpConfig.js"
import {
  McpToolManager,
  layerFromConfig,
  type McpToolManagerOptions,
  type McpToolManagerShape
} from "../../src/mcp/McpToolManager.js"

/** Parses YAML text as `mcp_config.yaml`; fails the test on a configuration error. */
export const configFrom = (text: string, env: Record<string, string | undefined> = process.env): McpConfig =>
  Either.getOrThrowWith(parseMcpConfig(text, { file: "mcp_config.yaml", env }), (e) => new Error(e.message))

/** Fast settings for tests. */
export const fastOptions: McpToolManagerOptions = {
  reconnectInitialDelay: "200 millis",
  reconnectMaxDelay: "500 millis",
  callRetryDelay: "50 millis",
  connectTimeout: "20 seconds"
}

/** Builds a live manager (and its health registry) in the current scope. */
export const startManager = (
  config: McpConfig,
  options: McpToolManagerOptions = fastOptions
): Effect.Effect<
  { readonly manager: McpToolManagerShape; readonly health: HealthChecks["Type"] },
  never,
  Scope.Scope
> =>
  Effect.gen(function* () {
    const context = yield* Layer.build(layerFromConfig(config, options).pipe(Layer.provideMerge(layerHealthChecks)))
    const manager = yield* Effect.provide(McpToolManager, context)
    const health = yield* Effect.provide(HealthChecks, context)
    return { manager, health }
  }).pipe(Logger.withMinimumLogLevel(process.env["MCP_TEST_LOGS"] === "1" ? LogLevel.Debug : LogLevel.Error))

/** Polls `check` every 50 ms until it returns true, failing after `timeoutMs`. */
export const waitUntil = (
  what: string,
  check: Effect.Effect<boolean>,
  timeoutMs = 15_000
): Effect.Effect<void, Error> =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for ${what}`))
      yield* Effect.sleep("50 millis")
    }
  })

/** A TCP port that was free a moment ago. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Pids of this process's children whose command line contains `marker`. */
export const childPids = (marker: string): ReadonlyArray<number> => {
  const out: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      if (ppid !== process.pid) continue
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8")
      if (cmdline.includes(marker)) out.push(Number(entry))
    } catch {
      // the process went away
    }
  }
  return out
}
