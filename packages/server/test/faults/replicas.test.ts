/**
 * Three orchestrator replicas on one PostgreSQL database (a throwaway cluster from Debian's `postgresql`, on
 * loopback): 300 incidents posted round-robin, one replica killed with SIGKILL midway. Every incident ends terminal,
 * is stored once, was concluded once, and is readable from every replica; the killed replica's investigations are
 * taken over by the others when their job leases expire. Also: an SSE stream opened on one replica follows an
 * investigation running on another (LISTEN/NOTIFY), and Alertmanager deliveries of one group sent to all three
 * replicas at once create one incident.
 *
 * Real processes: three servers (`main.ts` with DATABASE_URL), each with the testkit's read-only MCP server over
 * stdio; the mock LLM over HTTP with latency and a tool-calling agent. Skipped, with the reason printed, where the
 * PostgreSQL server binaries are not installed (`scripts/postgres/install.sh` installs them).
 */
import {
  autoAgent,
  createDatabase,
  type PostgresHandle,
  postgresAvailability,
  startMockLlm,
  startPostgres
} from "@sre/testkit"
import type { ChildProcess } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { webhook } from "../alerts/fixtures.js"
import {
  exited,
  freePort,
  getIncident,
  getJson,
  type IncidentView,
  isTerminal,
  listAll,
  mapPool,
  pollUntil,
  postIncident,
  startServerProcess,
  stopProcess,
  tally,
  tempDir,
  waitHealthy,
  writeTestMcpConfig
} from "./support.js"

const INCIDENTS = 300
const REPLICAS = 3

const availability = postgresAvailability()
const skipped = "skipped" in availability ? availability.skipped : undefined
if (skipped !== undefined) console.log(`[replicas] skipped: ${skipped}`)

interface Replica {
  readonly name: string
  readonly base: string
  readonly env: Record<string, string>
  process: ChildProcess
}

describe.skipIf(skipped !== undefined)("three replicas on one PostgreSQL", () => {
  const replicas: Array<Replica> = []
  let llm: Awaited<ReturnType<typeof startMockLlm>>
  let databaseUrl = ""
  let pg: PostgresHandle | undefined

  const startReplica = async (replica: Replica) => {
    replica.process = startServerProcess(replica.env)
    await waitHealthy(replica.base, replica.process)
  }

  beforeAll(async () => {
    const started = await startPostgres({ settings: { max_connections: "200" } })
    if ("skipped" in started) throw new Error(`PostgreSQL did not start: ${started.skipped}`)
    pg = started
    databaseUrl = await createDatabase(pg, "replicas")
    // 150 ms per model reply, three tool rounds: an investigation takes about a second
    llm = await startMockLlm({ latencyMs: 150, defaultReply: autoAgent({ toolRounds: 3 }) })
    const dir = tempDir("sre-replicas-")
    const mcpConfig = writeTestMcpConfig(dir)
    for (let i = 1; i <= REPLICAS; i++) {
      const port = await freePort()
      replicas.push({
        name: `replica-${i}`,
        base: `http://127.0.0.1:${port}`,
        env: {
          PORT: String(port),
          REPLICA_ID: `replica-${i}`,
          DATABASE_URL: databaseUrl,
          MCP_CONFIG_PATH: mcpConfig,
          MAX_CONCURRENT_INVESTIGATIONS: "16",
          // a short timeout so that the killed replica's leases expire within the test (lease = timeout + 10 s)
          INVESTIGATION_TIMEOUT: "15 seconds",
          SHUTDOWN_GRACE_PERIOD: "2 seconds",
          LLM_BASE_URL: llm.url,
          LLM_API_KEY: "sk-test-replicas-0123456789",
          LLM_MODEL: "mock",
          LLM_TIMEOUT: "10s",
          LLM_MAX_RETRIES: "1",
          LLM_RETRY_BUDGET: "10s"
        },
        process: undefined as unknown as ChildProcess
      })
    }
    // start together: migrations and the job-queue schema must cope with three replicas racing
    await Promise.all(replicas.map(startReplica))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(replicas.map((r) => (r.process === undefined ? undefined : stopProcess(r.process, 3_000))))
    await llm?.close()
    await pg?.stop()
  })

  it("an SSE stream on one replica follows an investigation running on another", async () => {
    const [first, , third] = replicas
    if (first === undefined || third === undefined) throw new Error("replicas missing")
    const posted = await postIncident(first.base, "payments-api pods in shop keep restarting since the last deploy")
    expect(posted.status).toBe(202)
    const res = await fetch(`${third.base}/api/v1/incidents/${posted.id ?? ""}/events`, {
      signal: AbortSignal.timeout(30_000)
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1])
    expect(events[0]).toBe("incident")
    expect(events.at(-1)).toBe("done")
    const incident = await getIncident(third.base, posted.id ?? "")
    expect(isTerminal(incident.status)).toBe(true)
  }, 60_000)

  it("Alertmanager deliveries of one group sent to every replica at once create one incident", async () => {
    const payload = webhook({ groupKey: '{}:{alertname="KubePodCrashLooping", namespace="replicas"}' })
    const deliveries = await Promise.all(
      Array.from({ length: 18 }, (_, i) =>
        fetch(`${replicas[i % REPLICAS]?.base ?? ""}/api/v1/alerts/alertmanager`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(payload)
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { incident_id?: string | null } }))
      )
    )
    expect(deliveries.every((d) => d.status >= 200 && d.status < 300)).toBe(true)
    const ids = new Set(deliveries.flatMap((d) => (d.body.incident_id ? [d.body.incident_id] : [])))
    expect(ids.size).toBe(1)
    const listed = (await listAll(replicas[0]?.base ?? "")).filter((i) => ids.has(i.id))
    expect(listed).toHaveLength(1)
  }, 60_000)

  it(`${INCIDENTS} incidents round-robin with one replica SIGKILLed midway: each investigated once, readable everywhere`, async () => {
    const started = Date.now()
    const victim = replicas[1]
    if (victim === undefined) throw new Error("replicas missing")
    const ids: Array<string> = []
    let killedAt = -1
    const post = async (i: number) => {
      // round-robin over the replicas that are up
      const up = replicas.filter((r) => r !== victim || killedAt < 0)
      const target = up[i % up.length]
      if (target === undefined) throw new Error("no replica up")
      const res = await postIncident(target.base, `checkout-${i} pods in shop return 502 errors after the deploy`)
      expect(res.status).toBe(202)
      ids.push(res.id ?? "")
    }
    await mapPool(
      Array.from({ length: INCIDENTS / 2 }, (_, i) => i),
      10,
      post
    )
    // midway: the victim is investigating some of them right now
    const health = await pollUntil(
      "the victim replica has investigations running",
      () => getJson<{ investigations: { running: number } }>(`${victim.base}/health`),
      (h) => h.investigations.running >= 4,
      30_000,
      20
    )
    victim.process.kill("SIGKILL")
    await exited(victim.process)
    killedAt = Date.now() - started
    await mapPool(
      Array.from({ length: INCIDENTS / 2 }, (_, i) => INCIDENTS / 2 + i),
      10,
      post
    )
    // the killed replica comes back (as Kubernetes would restart it) with a new identity
    victim.env.REPLICA_ID = "replica-2-restarted"
    await startReplica(victim)

    const survivor = replicas[0]?.base ?? ""
    await pollUntil(
      `all ${INCIDENTS} incidents terminal`,
      async () => (await listAll(survivor)).filter((i) => ids.includes(i.id)),
      (items) => items.length === INCIDENTS && items.every((i) => isTerminal(i.status)),
      150_000,
      1_000
    )
    const elapsed = Date.now() - started

    // readable from every replica, identical everywhere
    const views = await Promise.all(replicas.map((r) => mapPool(ids, 20, (id) => getIncident(r.base, id))))
    for (const view of views) {
      expect(view.map((i) => i.id)).toEqual(ids)
      expect(view.map((i) => i.status)).toEqual(views[0]?.map((i) => i.status))
    }
    const incidents: ReadonlyArray<IncidentView> = views[0] ?? []
    const listed = await listAll(survivor)
    const conclusions = incidents.map((i) => i.investigation_steps.filter((s) => s.kind === "conclusion").length)
    const restarted = incidents.filter((i) =>
      i.investigation_steps.some((s) => s.kind === "note" && (s.reasoning ?? "").includes("restart"))
    ).length
    const figures = {
      incidents: INCIDENTS,
      replicas: REPLICAS,
      victim_running_at_kill: health.investigations.running,
      killed_at_ms: killedAt,
      statuses: tally(incidents.map((i) => i.status)),
      stored: listed.filter((l) => ids.includes(l.id)).length,
      duplicated: ids.length - new Set(ids).size,
      conclusions: tally(conclusions.map(String)),
      restarted_after_kill: restarted,
      llm_requests: llm.chatRequests.length,
      makespan_ms: elapsed
    }
    console.log(`[replicas] ${JSON.stringify(figures)}`)

    expect(figures.duplicated).toBe(0)
    expect(figures.stored).toBe(INCIDENTS)
    expect(incidents.map((i) => i.status)).toEqual(ids.map(() => "completed"))
    // concluded once each; an attempt that died with the victim may have recorded its conclusion step just before
    // the kill (never its result: the incident was completed once, by the attempt that replaced it)
    incidents.forEach((incident, i) => {
      const wasRestarted = incident.investigation_steps.some(
        (s) => s.kind === "note" && (s.reasoning ?? "").includes("restart")
      )
      expect(conclusions[i]).toBeGreaterThanOrEqual(1)
      expect(conclusions[i]).toBeLessThanOrEqual(wasRestarted ? 2 : 1)
    })
    expect(restarted).toBeGreaterThan(0)
  }, 300_000)
})
