/**
 * `npm run demo`: the embedded demo. Starts a sandbox cluster serving a bundled incident scenario, the orchestrator
 * (SQLite in a temp dir, the real kubernetes-mcp-server pointed at the sandbox), files the scenario's incident
 * through the REST API with the `sre` CLI, which follows the investigation live and prints the report.
 * Uses the LLM when LLM_BASE_URL is set, the deterministic analyzers otherwise. `--scenario <file>` picks another.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Logger, LogLevel } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { testAppConfig } from "./config/AppConfig.js"
import { startInProcess } from "./runtime.js"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))

/** The scenario the demo serves unless `--scenario` names another. */
export const DEFAULT_DEMO_SCENARIO = join(repoRoot, "packages/sandbox/scenarios/resourcequota-exceeded-scale-up.json")

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const runCli = (args: ReadonlyArray<string>) =>
  Effect.async<number>((resume) => {
    const child = spawn(process.execPath, [join(repoRoot, "packages/cli/bin/sre.js"), ...args], { stdio: "inherit" })
    child.on("exit", (code) => resume(Effect.succeed(code ?? 1)))
    return Effect.sync(() => void child.kill("SIGTERM"))
  })

const program = Effect.gen(function* () {
  const scenario = resolve(argValue("--scenario") ?? DEFAULT_DEMO_SCENARIO)
  const dir = mkdtempSync(join(tmpdir(), "sre-demo-"))
  const config = testAppConfig({
    dbPath: join(dir, "incidents.db"),
    logLevel: LogLevel.Warning,
    shutdownGracePeriod: Duration.seconds(1)
  })
  process.stdout.write(`Starting a sandbox cluster for ${scenario} and the orchestrator...\n`)
  const { url, sandbox } = yield* startInProcess(config, { sandboxScenario: scenario })
  const description = sandbox?.scenario.incidentDescription ?? "investigate the cluster"
  process.stdout.write(
    `Orchestrator: ${url} (API docs at ${url}/docs)\n` +
      `Sandbox cluster: ${sandbox?.url ?? "-"}  kubeconfig: ${sandbox?.kubeconfigPath ?? "-"}\n` +
      `LLM: ${process.env["LLM_BASE_URL"] ? process.env["LLM_BASE_URL"] : "not configured (deterministic analyzers)"}\n\n` +
      `$ sre investigate "${description}"\n\n`
  )
  const code = yield* runCli(["investigate", description, "--server", url, "--timeout", "300"])
  process.exitCode = code
})

program.pipe(
  Effect.scoped,
  Effect.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
