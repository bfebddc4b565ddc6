#!/usr/bin/env node
/* eslint-disable security/detect-object-injection -- benchmark tooling: every key is chosen by the script itself */
/**
 * Replica benchmark: N investigations filed round-robin through the API of R real server processes sharing one
 * PostgreSQL database (a throwaway cluster from Debian's `postgresql`, via the test kit), for R = 1 and R = 3 in the
 * same run, with the test kit's mock LLM (5 tool rounds) and the test MCP server over stdio. Each replica has the
 * same MAX_CONCURRENT_INVESTIGATIONS, so adding replicas adds investigation slots: the ratio shows how throughput
 * scales with replicas on this machine (all replicas share its 2 cores, so CPU-bound runs cannot scale).
 *
 * Usage: node --import tsx bench/orchestration/replicas.mjs [--quick] [--n 300] [--latency 0,200] [--slots 16]
 * Writes bench/results/replicas.json. Exits 0 with a "skipped" result when PostgreSQL is not installed.
 */
import { createDatabase, startPostgres } from "../../packages/testkit/src/postgres.ts"
import {
  fmt,
  fmtRatio,
  mib,
  parseArgs,
  pollRss,
  ratio,
  sleep,
  stopAllChildren,
  waitForQuiet,
  writeResult
} from "../lib/common.mjs"
import { startMockLlmProcess, startRealServer, testMcpConfigYaml } from "../lib/servers.mjs"

const args = parseArgs()
const n = Number(args.n ?? (args.quick ? 120 : 300))
const latencies = String(args.latency ?? "0,200")
  .split(",")
  .map(Number)
const slots = Number(args.slots ?? 16)
const replicaCounts = [1, 3]
const TOOL_ROUNDS = 5
const TERMINAL = new Set(["completed", "failed"])

const post = async (url, i) => {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${url}/api/v1/incidents`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ description: `bench incident ${i}: pod web-${i} is crash-looping in namespace shop` })
      })
      if (res.status !== 202) throw new Error(`POST status ${res.status}: ${await res.text()}`)
      return (await res.json()).incident_id
    } catch (e) {
      if (attempt >= 3) throw e
      await sleep(100 * attempt)
    }
  }
}

/** Files N incidents round-robin over the replicas, 32 requests in flight. */
const fileAll = async (urls) => {
  const ids = new Array(n)
  let next = 0
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        const i = next++
        ids[i] = await post(urls[i % urls.length], i)
      }
    })
  )
  return ids
}

const anyUnfinished = async (url) => {
  for (const status of ["pending", "running"]) {
    const page = await (await fetch(`${url}/api/v1/incidents?status=${status}&limit=1`)).json()
    if (page.items.length > 0) return true
  }
  return false
}

const run = async (pg, llmUrl, latencyMs, replicas) => {
  const databaseUrl = await createDatabase(pg, `bench_r${replicas}_l${latencyMs}`)
  const servers = await Promise.all(
    Array.from({ length: replicas }, (_, i) =>
      startRealServer({
        mcpConfig: testMcpConfigYaml(),
        env: {
          DATABASE_URL: databaseUrl,
          REPLICA_ID: `bench-replica-${i + 1}`,
          LLM_BASE_URL: llmUrl,
          LLM_API_KEY: "x",
          LLM_MODEL: "mock",
          MAX_CONCURRENT_INVESTIGATIONS: String(slots),
          AGENT_MAX_STEPS: "15"
        }
      })
    )
  )
  try {
    const urls = servers.map((s) => s.url)
    // warm-up: one investigation per replica (JIT, MCP connection), not measured
    await Promise.all(urls.map((url, i) => post(url, -1 - i)))
    const deadlineWarm = Date.now() + 60_000
    while (Date.now() < deadlineWarm && (await anyUnfinished(urls[0]))) await sleep(100)
    const rss = servers.map((s) => pollRss(s.pid, 50))
    const t0 = Date.now()
    const ids = await fileAll(urls)
    const deadline = Date.now() + 600_000
    while (Date.now() < deadline && (await anyUnfinished(urls[0]))) await sleep(100)
    const peaks = rss.map((r) => r.stop().peak)
    const incidents = await Promise.all(
      ids.map(async (id) => (await fetch(`${urls[0]}/api/v1/incidents/${id}`)).json())
    )
    const done = incidents.filter((i) => TERMINAL.has(i.status))
    const finishedAt = Math.max(...done.map((i) => Date.parse(i.completed_at ?? i.updated_at)))
    const makespanMs = finishedAt - t0
    return {
      replicas,
      latencyMs,
      n,
      slotsPerReplica: slots,
      completed: done.filter((i) => i.status === "completed").length,
      failed: done.filter((i) => i.status === "failed").length,
      unfinished: n - done.length,
      makespanMs,
      perSecond: (n * 1000) / makespanMs,
      peakRssPerReplica: peaks
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

const main = async () => {
  const pg = await startPostgres({ settings: { max_connections: "300" } })
  if ("skipped" in pg) {
    process.stderr.write(`[replicas] skipped: ${pg.skipped}\n`)
    writeResult("replicas", { skipped: pg.skipped })
    return
  }
  const load = await waitForQuiet(1.5, args.quick ? 5_000 : 30_000)
  const runs = []
  try {
    for (const latencyMs of latencies) {
      const llm = await startMockLlmProcess({ toolRounds: TOOL_ROUNDS, latencyMs })
      try {
        for (const replicas of replicaCounts) {
          process.stderr.write(`[replicas] latency ${latencyMs} ms, ${replicas} replica(s), N=${n}\n`)
          const r = await run(pg, llm.url, latencyMs, replicas)
          runs.push(r)
          process.stderr.write(
            `[replicas]   ${fmt(r.perSecond, 1)} inv/s, makespan ${fmt(r.makespanMs)} ms, ${r.completed} completed, ` +
              `${r.failed} failed, ${r.unfinished} unfinished, peak RSS ${r.peakRssPerReplica.map((p) => `${fmt(mib(p))} MiB`).join(" / ")}\n`
          )
        }
      } finally {
        await llm.stop()
      }
    }
  } finally {
    await pg.stop()
  }
  const lines = [
    `Replicas on one PostgreSQL: N=${n}, ${slots} slots per replica, ${TOOL_ROUNDS} tool rounds, load avg at start ${load.toFixed(2)}`,
    "latency  replicas  inv/s  makespan  completed  ratio vs 1 replica"
  ]
  const scaling = []
  for (const r of runs) {
    const one = runs.find((o) => o.latencyMs === r.latencyMs && o.replicas === 1)
    const x = ratio(r.perSecond, one?.perSecond ?? NaN)
    if (r.replicas !== 1) scaling.push({ latencyMs: r.latencyMs, replicas: r.replicas, throughputRatio: x })
    lines.push(
      [
        `${r.latencyMs}ms`.padStart(7),
        String(r.replicas).padStart(10),
        fmt(r.perSecond, 1).padStart(7),
        `${fmt(r.makespanMs)} ms`.padStart(10),
        String(r.completed).padStart(11),
        (r.replicas === 1 ? "1.00x" : fmtRatio(x)).padStart(21)
      ].join("")
    )
  }
  process.stdout.write(lines.join("\n") + "\n")
  const file = writeResult("replicas", { n, slots, toolRounds: TOOL_ROUNDS, latencies, loadAtStart: load, runs, scaling })
  process.stderr.write(`[replicas] wrote ${file}\n`)
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`)
    process.exitCode = 1
  })
  .finally(() => stopAllChildren())
