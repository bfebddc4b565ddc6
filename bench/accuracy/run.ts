/**
 * Accuracy benchmark (`npm run bench:accuracy [-- --scenarios <dir>]`): runs every scenario file through the real
 * path — sandbox cluster → kubernetes-mcp-server (stdio) → orchestrator over HTTP — with no LLM, and scores each
 * diagnosis: it passes when `suggested_root_cause` contains every `must_mention` term (alternatives split by `|`,
 * case-insensitive). Prints one line per scenario and the total; exits 1 when any scenario fails.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Logger, LogLevel } from "effect"
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { testAppConfig } from "../../packages/server/src/config/AppConfig.js"
import { startInProcess } from "../../packages/server/src/runtime.js"

const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

const dirsFromArgs = (): ReadonlyArray<string> => {
  const dirs: Array<string> = []
  for (let i = 2; i < process.argv.length; i++) {
    if (process.argv[i] === "--scenarios" && process.argv[i + 1] !== undefined)
      dirs.push(resolve(process.argv[++i] ?? ""))
  }
  if (dirs.length > 0) return dirs
  return [join(repoRoot, "../shared/scenarios"), join(repoRoot, "packages/sandbox/scenarios")].filter((d) =>
    existsSync(d)
  )
}

interface Scoring {
  readonly id: string
  readonly description: string
  readonly mustMention: ReadonlyArray<string>
}

const readScoring = (file: string): Scoring => {
  const raw: unknown = JSON.parse(readFileSync(file, "utf8"))
  const obj = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {}
  const terms = Array.isArray(obj["must_mention"])
    ? obj["must_mention"].filter((t): t is string => typeof t === "string")
    : []
  return {
    id: typeof obj["id"] === "string" ? obj["id"] : file,
    description: typeof obj["incident_description"] === "string" ? obj["incident_description"] : "",
    mustMention: terms
  }
}

/** Terms of a scoring list that a diagnosis misses. */
export const missingTerms = (text: string, terms: ReadonlyArray<string>): ReadonlyArray<string> => {
  const lower = text.toLowerCase()
  return terms.filter((term) => !term.split("|").some((alt) => lower.includes(alt.toLowerCase())))
}

const runOne = (file: string) =>
  Effect.scoped(
    Effect.gen(function* () {
      const scoring = readScoring(file)
      const dir = mkdtempSync(join(tmpdir(), "sre-acc-"))
      const config = testAppConfig({ dbPath: join(dir, "db.sqlite"), shutdownGracePeriod: Duration.millis(200) })
      const started = Date.now()
      const { url } = yield* startInProcess(config, { sandboxScenario: file, disableLlm: true })
      const created = yield* Effect.promise(() =>
        fetch(`${url}/api/v1/incidents`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ description: scoring.description })
        }).then((r) => r.json() as Promise<{ incident_id: string }>)
      )
      let incident: {
        status: string
        suggested_root_cause?: string
        confidence_score?: string
        error_message?: string
      } = {
        status: "pending"
      }
      for (let i = 0; i < 600 && (incident.status === "pending" || incident.status === "running"); i++) {
        yield* Effect.sleep("100 millis")
        incident = yield* Effect.promise(() =>
          fetch(`${url}/api/v1/incidents/${created.incident_id}`).then((r) => r.json() as Promise<typeof incident>)
        )
      }
      const rootCause = incident.suggested_root_cause ?? incident.error_message ?? ""
      const missing = missingTerms(rootCause, scoring.mustMention)
      return {
        id: scoring.id,
        pass: incident.status === "completed" && missing.length === 0,
        confidence: incident.confidence_score ?? "-",
        missing,
        rootCause,
        seconds: (Date.now() - started) / 1000
      }
    })
  )

const program = Effect.gen(function* () {
  const files = dirsFromArgs().flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(d, f))
  )
  let passed = 0
  for (const file of files) {
    const r = yield* runOne(file)
    if (r.pass) passed++
    const cut = r.rootCause.length > 220 ? `${r.rootCause.slice(0, 217)}...` : r.rootCause
    process.stdout.write(
      `${r.pass ? "PASS" : "FAIL"}  ${r.id.padEnd(48)} ${r.confidence.padEnd(6)} ${r.seconds.toFixed(1)}s  ${cut}\n` +
        (r.pass ? "" : `      missing: ${r.missing.join(" ; ")}\n`)
    )
  }
  process.stdout.write(`\naccuracy: ${passed}/${files.length} scenarios passed\n`)
  if (passed !== files.length) process.exitCode = 1
})

program.pipe(Effect.provide(Logger.minimumLogLevel(LogLevel.Error)), NodeRuntime.runMain({ disablePrettyLogger: true }))
