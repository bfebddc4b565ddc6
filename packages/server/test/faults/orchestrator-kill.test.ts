/**
 * The orchestrator process killed with SIGKILL while 50 investigations are in flight, then started again on the same
 * SQLite file: all 50 incidents exist once, and each reaches a terminal state.
 *
 * Real processes: the server (`main.ts`), the testkit's read-only MCP server over stdio (a child of the server), and
 * the mock LLM over HTTP (300 ms per reply, an agent that calls tools for 3 rounds, so every investigation is still
 * running when the kill comes).
 */
import { autoAgent, startMockLlm } from "@sre/testkit"
import { afterAll, describe, expect, it } from "vitest"
import type { ChildProcess } from "node:child_process"
import { join } from "node:path"
import {
  awaitTerminal,
  exited,
  freePort,
  getJson,
  type HealthView,
  isAlive,
  listAll,
  mapPool,
  mib,
  pollUntil,
  postIncident,
  sampleRss,
  startServerProcess,
  stopProcess,
  tally,
  tempDir,
  waitHealthy,
  writeTestMcpConfig
} from "./support.js"

const INCIDENTS = 50

const children: Array<ChildProcess> = []
afterAll(async () => {
  await Promise.all(children.map((c) => stopProcess(c, 2_000)))
})

describe("orchestrator SIGKILL with investigations in flight", () => {
  it(`after a restart on the same database all ${INCIDENTS} incidents exist once and end`, async () => {
    const started = Date.now()
    const llm = await startMockLlm({ latencyMs: 300, defaultReply: autoAgent({ toolRounds: 3 }) })
    try {
      const dir = tempDir("sre-fault-kill-")
      const port = await freePort()
      const base = `http://127.0.0.1:${port}`
      const env = {
        PORT: String(port),
        SRE_DB_PATH: join(dir, "db.sqlite"),
        MCP_CONFIG_PATH: writeTestMcpConfig(dir),
        MAX_CONCURRENT_INVESTIGATIONS: String(INCIDENTS),
        LLM_BASE_URL: llm.url,
        LLM_API_KEY: "sk-test-fault-0123456789",
        LLM_MODEL: "mock",
        LLM_TIMEOUT: "10s",
        LLM_MAX_RETRIES: "2",
        LLM_RETRY_BUDGET: "10s"
      }
      const first = startServerProcess(env)
      children.push(first)
      await waitHealthy(base, first)
      const firstPid = first.pid ?? 0
      const rss1 = sampleRss(firstPid)

      const posted = await mapPool(
        Array.from({ length: INCIDENTS }, (_, i) => i),
        10,
        (i) => postIncident(base, `checkout-${i} in prod returns 502 errors after the last deploy`)
      )
      expect(posted.map((p) => p.status)).toEqual(posted.map(() => 202))
      const ids = posted.map((p) => p.id ?? "")

      // every investigation is running (permits for all 50) and the LLM has been asked something: kill now
      const health = await pollUntil(
        "50 investigations running",
        () => getJson<HealthView>(`${base}/health`),
        (h) => h.investigations.running + h.investigations.queued === INCIDENTS && llm.chatRequests.length >= 10,
        20_000,
        50
      )
      const requestsBeforeKill = llm.chatRequests.length
      const beforeKill = tally((await listAll(base)).map((i) => i.status))
      first.kill("SIGKILL")
      await exited(first)
      const peakFirst = rss1.stop()
      expect(isAlive(first)).toBe(false)

      const second = startServerProcess(env)
      children.push(second)
      await waitHealthy(base, second)
      const rss2 = sampleRss(second.pid ?? 0)
      const incidents = await awaitTerminal(base, ids, 60_000)
      const peakSecond = rss2.stop()

      const listed = await listAll(base)
      const statuses = tally(incidents.map((i) => i.status))
      const figures = {
        incidents: INCIDENTS,
        in_flight_at_kill: health.investigations.running,
        queued_at_kill: health.investigations.queued,
        statuses_at_kill: beforeKill,
        llm_requests_before_kill: requestsBeforeKill,
        llm_requests_total: llm.chatRequests.length,
        listed_after_restart: listed.length,
        final_statuses: statuses,
        lost: ids.filter((id) => !listed.some((l) => l.id === id)).length,
        duplicated: listed.length - new Set(listed.map((l) => l.id)).size,
        stuck: incidents.filter((i) => i.status !== "completed" && i.status !== "failed").length,
        peak_rss_first: mib(peakFirst),
        peak_rss_second: mib(peakSecond),
        duration_ms: Date.now() - started
      }
      console.log(`[fault:orchestrator-kill] ${JSON.stringify(figures)}`)

      expect(health.investigations.running).toBeGreaterThan(0)
      expect(listed.length).toBe(INCIDENTS)
      expect(listed.map((l) => l.id).sort()).toEqual([...ids].sort())
      expect(figures.duplicated).toBe(0)
      // the restarted investigations complete (the LLM is healthy); each one says it was restarted
      expect(incidents.map((i) => i.status)).toEqual(ids.map(() => "completed"))
      for (const incident of incidents) {
        expect(incident.suggested_root_cause ?? "").not.toBe("")
      }
      const restartedNotes = incidents.filter((i) =>
        i.investigation_steps.some((s) => s.kind === "note" && (s.reasoning ?? "").includes("restarted"))
      ).length
      expect(restartedNotes).toBeGreaterThan(0)
      await stopProcess(second)
    } finally {
      await llm.close()
    }
  }, 90_000)
})
