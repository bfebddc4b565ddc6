/**
 * Load: 1,000 incidents posted by 50 concurrent clients against the real server process, with the mock LLM answering
 * in 50 ms and a queue cap of 200. Every POST is a 202 or a clean 503 with Retry-After (no other status, no
 * connection error), every accepted incident reaches a terminal state, nothing half-created is left behind by the
 * refusals, and the server's peak RSS stays bounded.
 *
 * The investigations are LLM-only (an mcp_config.yaml without servers: no triage, no analyzers), so the test measures
 * the server itself — HTTP, queue, store, LLM client — rather than the sandbox cluster.
 */
import { autoAgent, startMockLlm } from "@sre/testkit"
import { afterAll, describe, expect, it } from "vitest"
import type { ChildProcess } from "node:child_process"
import { join } from "node:path"
import {
  freePort,
  getJson,
  type HealthView,
  listAll,
  mapPool,
  mib,
  pollUntil,
  postIncident,
  rssBytes,
  sampleRss,
  startServerProcess,
  stopProcess,
  tally,
  tempDir,
  waitHealthy,
  writeNoMcpConfig
} from "./support.js"

const POSTS = 1_000
const CLIENTS = 50
const MAX_QUEUED = 200
const MAX_CONCURRENT = 32
const RSS_LIMIT = 1.5 * 1024 * 1024 * 1024

const children: Array<ChildProcess> = []
afterAll(async () => {
  await Promise.all(children.map((c) => stopProcess(c, 2_000)))
})

describe("load", () => {
  it(`${POSTS} concurrent incidents: 202 or a clean 503, all accepted ones end, memory bounded`, async () => {
    const started = Date.now()
    const llm = await startMockLlm({ latencyMs: 50, defaultReply: autoAgent({ toolRounds: 1 }) })
    try {
      const dir = tempDir("sre-fault-load-")
      const port = await freePort()
      const base = `http://127.0.0.1:${port}`
      const server = startServerProcess({
        PORT: String(port),
        SRE_DB_PATH: join(dir, "db.sqlite"),
        MCP_CONFIG_PATH: writeNoMcpConfig(dir),
        MAX_CONCURRENT_INVESTIGATIONS: String(MAX_CONCURRENT),
        MAX_QUEUED_INVESTIGATIONS: String(MAX_QUEUED),
        LLM_BASE_URL: llm.url,
        LLM_API_KEY: "sk-test-fault-0123456789",
        LLM_MODEL: "mock",
        LLM_TIMEOUT: "20s",
        LLM_MAX_RETRIES: "2",
        LLM_RETRY_BUDGET: "30s"
      })
      children.push(server)
      await waitHealthy(base, server)
      const idleRss = rssBytes(server.pid ?? 0) ?? 0
      const sampler = sampleRss(server.pid ?? 0, 50)

      const postStarted = Date.now()
      const results = await mapPool(
        Array.from({ length: POSTS }, (_, i) => i),
        CLIENTS,
        async (i): Promise<{ readonly status: number; readonly id?: string; readonly retryAfter: string | null }> => {
          try {
            return await postIncident(base, `payments-${i % 40} in prod: p99 latency above 2s (alert ${i})`)
          } catch (e) {
            console.log(`[load] POST ${i} failed: ${String(e)}`)
            return { status: 0, retryAfter: null }
          }
        }
      )
      const postMs = Date.now() - postStarted
      const accepted = results.flatMap((r) => (r.status === 202 && r.id !== undefined ? [r.id] : []))
      const refused = results.filter((r) => r.status === 503)
      const statusCounts = tally(results.map((r) => String(r.status)))

      // drained: nothing running or queued, nothing pending/running in the store
      const drainStarted = Date.now()
      await pollUntil(
        "the queue to drain",
        () => getJson<HealthView>(`${base}/health`),
        (h) => h.investigations.running === 0 && h.investigations.queued === 0,
        60_000,
        250
      )
      const drainMs = Date.now() - drainStarted
      const peak = sampler.stop()
      const all = await listAll(base)
      const finalStatuses = tally(all.map((i) => i.status))
      const stuck = all.filter((i) => i.status === "pending" || i.status === "running").length
      const acceptedSet = new Set(accepted)

      const figures = {
        posts: POSTS,
        clients: CLIENTS,
        max_concurrent: MAX_CONCURRENT,
        max_queued: MAX_QUEUED,
        http_statuses: statusCounts,
        accepted: accepted.length,
        refused_503: refused.length,
        refused_with_retry_after: refused.filter((r) => r.retryAfter !== null && Number(r.retryAfter) >= 1).length,
        incidents_stored: all.length,
        final_statuses: finalStatuses,
        lost: accepted.filter((id) => !all.some((i) => i.id === id)).length,
        half_created: all.filter((i) => !acceptedSet.has(i.id)).length,
        stuck,
        llm_requests: llm.chatRequests.length,
        llm_max_in_flight: llm.maxInFlight,
        idle_rss: mib(idleRss),
        peak_rss: mib(peak),
        post_phase_ms: postMs,
        drain_ms: drainMs,
        duration_ms: Date.now() - started
      }
      console.log(`[load] ${JSON.stringify(figures)}`)

      // every answer is a 202 or a 503 with Retry-After; no connection errors
      expect(Object.keys(statusCounts).sort()).toEqual(refused.length > 0 ? ["202", "503"] : ["202"])
      expect(figures.refused_with_retry_after).toBe(refused.length)
      expect(accepted.length).toBeGreaterThanOrEqual(MAX_QUEUED)
      // the store holds exactly the accepted incidents: none lost, none half-created by a refusal
      expect(all.length).toBe(accepted.length)
      expect(figures.lost).toBe(0)
      expect(figures.half_created).toBe(0)
      expect(stuck).toBe(0)
      expect(finalStatuses["completed"] ?? 0).toBe(accepted.length)
      expect(peak).toBeLessThan(RSS_LIMIT)
      await stopProcess(server)
    } finally {
      await llm.close()
    }
  }, 90_000)
})
