/**
 * The Kubernetes MCP server process (the real kubernetes-mcp-server over stdio, pointed at a sandbox cluster) killed
 * with SIGKILL while investigations are in flight: they continue or end cleanly, `/health` shows the server
 * `failed`, the manager starts a new process in the background and `/health` shows it `ok` again, and a new
 * investigation after that uses it (the triage runs again).
 */
import { describe, expect, it } from "@effect/vitest"
import { autoAgent, startMockLlm } from "@sre/testkit"
import { ConfigProvider, Duration, Effect, Logger, LogLevel } from "effect"
import { join } from "node:path"
import { testAppConfig } from "../../src/config/AppConfig.js"
import { startInProcess } from "../../src/runtime.js"
import {
  awaitTerminal,
  findPids,
  getJson,
  type HealthView,
  mapPool,
  pollUntil,
  postIncident,
  quotaScenario,
  tally,
  tempDir
} from "./support.js"

const INCIDENTS = 3

const kubernetesStatus = (h: HealthView): string => h.dependencies.find((d) => d.name === "kubernetes")?.status ?? "?"

describe("MCP server killed mid-investigation", () => {
  it.live(
    "investigations end cleanly, /health shows the failure, and the server is reconnected",
    () =>
      Effect.gen(function* () {
        const started = Date.now()
        const llm = yield* Effect.acquireRelease(
          Effect.promise(() => startMockLlm({ latencyMs: 250, defaultReply: autoAgent({ toolRounds: 1 }) })),
          (m) => Effect.promise(() => m.close())
        )
        const config = testAppConfig({
          dbPath: join(tempDir("sre-fault-mcp-"), "db.sqlite"),
          maxConcurrentInvestigations: 8,
          shutdownGracePeriod: Duration.millis(200)
        })
        const env = new Map<string, string>([
          ["LLM_BASE_URL", llm.url],
          ["LLM_API_KEY", "sk-test-fault-0123456789"],
          ["LLM_MODEL", "mock"],
          ["LLM_TIMEOUT", "10s"],
          ["LLM_MAX_RETRIES", "1"],
          ["LLM_RETRY_BUDGET", "10s"]
        ])
        const { url, sandbox } = yield* startInProcess(config, { sandboxScenario: quotaScenario }).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(env))
        )
        const kubeconfig = sandbox?.kubeconfigPath ?? "no-sandbox"

        const figures = yield* Effect.promise(async () => {
          const health = () => getJson<HealthView>(`${url}/health`)
          await pollUntil("kubernetes ok at start", health, (h) => kubernetesStatus(h) === "ok", 30_000)
          const pids = findPids("kubernetes-mcp-server", kubeconfig)
          expect(pids.length).toBeGreaterThan(0)

          const posted = await mapPool(
            Array.from({ length: INCIDENTS }, (_, i) => i),
            INCIDENTS,
            (i) => postIncident(url, `pick-planner in warehouse cannot scale up to 8 replicas (${i})`)
          )
          expect(posted.map((p) => p.status)).toEqual(posted.map(() => 202))
          const ids = posted.map((p) => p.id ?? "")

          // in flight: the triage is done and the LLM agent is working (its tool calls go through the MCP server)
          await pollUntil(
            "the LLM agent to start",
            () => Promise.resolve(llm.chatRequests.length),
            (n) => n >= 1,
            60_000,
            50
          )
          const runningAtKill = (await health()).investigations.running
          const killedAt = Date.now()
          for (const pid of pids) process.kill(pid, "SIGKILL")

          const failed = await pollUntil(
            "kubernetes failed",
            health,
            (h) => kubernetesStatus(h) === "failed",
            10_000,
            50
          )
          const failedDetail = failed.dependencies.find((d) => d.name === "kubernetes")?.detail ?? ""
          const failedAfterMs = Date.now() - killedAt
          await pollUntil("kubernetes ok again", health, (h) => kubernetesStatus(h) === "ok", 60_000, 100)
          const reconnectMs = Date.now() - killedAt
          const newPids = findPids("kubernetes-mcp-server", kubeconfig)

          const incidents = await awaitTerminal(url, ids, 60_000)

          // after the reconnect, a new investigation runs the triage through the new process
          const after = await postIncident(url, "pick-planner in warehouse cannot scale up to 8 replicas (after)")
          const [fresh] = await awaitTerminal(url, [after.id ?? ""], 60_000)
          return { runningAtKill, failedDetail, failedAfterMs, reconnectMs, pids, newPids, incidents, fresh }
        })

        console.log(
          `[fault:mcp-kill] ${JSON.stringify({
            incidents: INCIDENTS,
            running_at_kill: figures.runningAtKill,
            mcp_processes_killed: figures.pids.length,
            health_failed_after_ms: figures.failedAfterMs,
            health_ok_again_after_ms: figures.reconnectMs,
            final_statuses: tally(figures.incidents.map((i) => i.status)),
            concluded_by: tally(figures.incidents.map((i) => i.concluded_by ?? i.error_message ?? "?")),
            after_reconnect: { status: figures.fresh?.status, concluded_by: figures.fresh?.concluded_by },
            llm_requests: llm.chatRequests.length,
            duration_ms: Date.now() - started
          })}`
        )

        expect(figures.runningAtKill).toBeGreaterThan(0)
        expect(figures.failedDetail).toMatch(/reconnecting/)
        expect(figures.newPids.length).toBeGreaterThan(0)
        expect(figures.newPids.some((p) => figures.pids.includes(p))).toBe(false)
        for (const incident of figures.incidents) {
          expect(["completed", "failed"]).toContain(incident.status)
          if (incident.status === "completed") expect(incident.suggested_root_cause ?? "").not.toBe("")
          else expect(incident.error_message ?? "").toMatch(/\w{4,}/)
        }
        expect(figures.fresh?.status).toBe("completed")
        expect(figures.fresh?.concluded_by).toBe("llm+analyzers")
      }).pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Error)),
    90_000
  )
})
