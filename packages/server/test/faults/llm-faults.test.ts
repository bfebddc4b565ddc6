/**
 * LLM faults through the production wiring: the orchestrator (in-process `startInProcess`, over HTTP) → the real
 * ChatOpenAI client → the mock LLM over HTTP, with the testkit's read-only MCP server over stdio (a real child
 * process) for the agent's tool calls.
 *
 * Five fault kinds (429 storm with Retry-After: 1, 5xx bursts 500/502/503, hangs past LLM_TIMEOUT=1s, malformed
 * answers, connection resets), five incidents each, all at once (MAX_CONCURRENT_INVESTIGATIONS 8). Each incident is
 * tagged in its description and the mock fails the first n requests that mention the tag (n = 1, 1, 2, 3, every
 * request), then behaves like an agent. With LLM_MAX_RETRIES=1, n = 1 is absorbed by the retry (the LLM concludes);
 * n >= 2 exhausts the call. No Kubernetes MCP server is configured here (the sandbox triage takes ~4 s of CPU per
 * incident, too slow for 25 incidents in the time budget), so an exhausted LLM ends the investigation `failed` with
 * a message naming the LLM failure; the analyzers' fallback with the sandbox is covered by
 * test/integration/llm-path.test.ts and by mcp-kill.test.ts. Every investigation must end: none stays
 * pending/running.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type Reply, autoAgent, startMockLlm } from "@sre/testkit"
import { ConfigProvider, Duration, Effect, Logger, LogLevel } from "effect"
import { join } from "node:path"
import { testAppConfig } from "../../src/config/AppConfig.js"
import { startInProcess } from "../../src/runtime.js"
import {
  type IncidentView,
  mapPool,
  pollIncidents,
  postIncident,
  tally,
  tempDir,
  writeTestMcpConfig
} from "./support.js"

type FaultKind = "429" | "5xx" | "hang" | "malformed" | "reset"
const KINDS: ReadonlyArray<FaultKind> = ["429", "5xx", "hang", "malformed", "reset"]
/** Requests that fail before the mock answers normally, per incident of a kind (Infinity = every request). */
const FAILURES: ReadonlyArray<number> = [1, 1, 2, 3, Number.POSITIVE_INFINITY]

const faultReply = (kind: FaultKind, n: number): Reply => {
  switch (kind) {
    case "429":
      return { status: 429, retryAfterSeconds: 1 }
    case "5xx":
      return { status: ([500, 502, 503] as const)[n % 3] ?? 500 }
    case "hang":
      return { hang: true }
    case "malformed":
      return { malformed: true }
    case "reset":
      return { reset: true }
  }
}

const TAG = /\bft-(429|5xx|hang|malformed|reset)-(\d)\b/

describe("LLM faults", () => {
  it.live(
    "every investigation ends under 429 storms, 5xx bursts, hangs, malformed answers and resets",
    () =>
      Effect.gen(function* () {
        const started = Date.now()
        const seen = new Map<string, number>()
        const injected = new Map<FaultKind, number>(KINDS.map((k) => [k, 0]))
        const normal = autoAgent({ toolRounds: 1, finalText: "checkout pods are crash-looping after the deploy" })
        const reply = (request: ChatRequest): Reply => {
          const match = TAG.exec(JSON.stringify(request.messages))
          if (match === null) return normal
          const kind = match[1] as FaultKind
          const tag = match[0]
          const n = seen.get(tag) ?? 0
          seen.set(tag, n + 1)
          if (n >= (FAILURES[Number(match[2])] ?? 0)) return normal
          injected.set(kind, (injected.get(kind) ?? 0) + 1)
          return faultReply(kind, n)
        }
        const llm = yield* Effect.acquireRelease(
          Effect.promise(() => startMockLlm({ defaultReply: reply })),
          (m) => Effect.promise(() => m.close())
        )
        const dir = tempDir("sre-fault-llm-")
        const config = testAppConfig({
          dbPath: join(dir, "db.sqlite"),
          maxConcurrentInvestigations: 8,
          shutdownGracePeriod: Duration.millis(200)
        })
        const env = new Map<string, string>([
          ["LLM_BASE_URL", llm.url],
          ["LLM_API_KEY", "sk-test-fault-0123456789"],
          ["LLM_MODEL", "mock"],
          ["LLM_TIMEOUT", "1s"],
          ["LLM_MAX_RETRIES", "1"],
          ["LLM_RETRY_BUDGET", "4s"],
          ["MCP_CONFIG_PATH", writeTestMcpConfig(dir)]
        ])
        const { url } = yield* startInProcess(config).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(env)))

        const plan = KINDS.flatMap((kind) => FAILURES.map((_, k) => ({ kind, k, tag: `ft-${kind}-${k}` })))
        const results = yield* Effect.promise(async () => {
          const posted = await mapPool(plan, 10, (p) =>
            postIncident(url, `checkout in prod returns 502 errors since the last deploy (${p.tag})`)
          )
          expect(posted.map((p) => p.status)).toEqual(plan.map(() => 202))
          return pollIncidents(
            url,
            posted.map((p) => p.id ?? ""),
            60_000
          )
        })

        const rows = plan.map((p, i) => ({ ...p, incident: results[i] as IncidentView }))
        const byKind = KINDS.map((kind) => {
          const mine = rows.filter((r) => r.kind === kind)
          return {
            kind,
            incidents: mine.length,
            faults_injected: injected.get(kind) ?? 0,
            via_llm: mine.filter((r) => (r.incident.concluded_by ?? "").startsWith("llm")).length,
            via_analyzers: mine.filter((r) => r.incident.concluded_by === "analyzers").length,
            failed: mine.filter((r) => r.incident.status === "failed").length,
            stuck: mine.filter((r) => r.incident.status === "pending" || r.incident.status === "running").length
          }
        })
        console.log(
          `[fault:llm] ${JSON.stringify({
            incidents: rows.length,
            llm_requests: llm.chatRequests.length,
            faults_injected: [...injected.values()].reduce((a, b) => a + b, 0),
            final_statuses: tally(rows.map((r) => r.incident.status)),
            by_kind: byKind,
            duration_ms: Date.now() - started
          })}`
        )

        for (const r of rows.filter((row) => row.incident.status === "pending" || row.incident.status === "running")) {
          console.log(
            `[fault:llm] STUCK ${r.tag}: ${JSON.stringify(r.incident.investigation_steps.map((s) => [s.kind, (s.reasoning ?? "").slice(0, 160)]))}`
          )
        }
        for (const r of rows) {
          const { incident } = r
          expect(["completed", "failed"], `${r.tag} ended`).toContain(incident.status)
          if (incident.status === "completed") {
            expect(incident.suggested_root_cause ?? "", `${r.tag} has a root cause`).not.toBe("")
          } else {
            expect(incident.error_message ?? "", `${r.tag} failed with a clear message`).toMatch(/\w{4,}/)
            expect(incident.error_message ?? "").not.toMatch(/internal error/)
          }
        }
        for (const r of rows.filter((row) => row.k === 0)) {
          // one failure is absorbed by the retry: the LLM agent concludes
          expect(r.incident.status, r.tag).toBe("completed")
          expect(r.incident.concluded_by ?? "", r.tag).toMatch(/^llm/)
        }
        for (const r of rows.filter((row) => row.k >= 2)) {
          // the call failed after its retry; with no analyzers to fall back on, the incident fails and says why
          expect(r.incident.status, r.tag).toBe("failed")
          expect(r.incident.error_message ?? "", r.tag).toMatch(/LLM was unavailable/)
        }
        for (const k of byKind) expect(k.faults_injected, k.kind).toBeGreaterThanOrEqual(7)
      }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Error)),
    90_000
  )
})
