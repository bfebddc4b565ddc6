#!/usr/bin/env node
/* eslint-disable security/detect-object-injection -- benchmark tooling: every key is chosen by the script itself */
/**
 * API benchmark: autocannon against the real server (composition root, SQLite, default middleware, one JSON log line
 * per request), a bare node:http + better-sqlite3 server (the practical limit), the HttpApi floor (the same contract
 * on HttpApiBuilder with an in-memory map and nothing else: what staying on HttpApi costs by itself) and the seed's
 * FastAPI + uvicorn, on the same routes with the same connections and duration, one server at a time, in one run.
 *
 * Usage: node bench/api/run.mjs [--quick] [--duration 10] [--rounds 3] [--connections 50] [--servers bare,real,real-nolog,floor,fastapi]
 * All servers are started first; each route is measured in `rounds` interleaved slots per server (duration/rounds
 * seconds each), so load drifts on a shared machine hit every server alike.
 * Writes bench/results/api.json. Prints requests/s and p99 per route per server and the ratios.
 */
import {
  fmt,
  fmtRatio,
  median,
  parseArgs,
  ratio,
  stopAllChildren,
  sum,
  waitForQuiet,
  writeResult
} from "../lib/common.mjs"
import { cannon, finishLikeReal, requestsFor, seed, waitIdle } from "../lib/load.mjs"
import {
  ensureFastapi,
  startBareServer,
  startFastapiServer,
  startHttpApiFloorServer,
  startRealServer
} from "../lib/servers.mjs"

const args = parseArgs()
const duration = Number(args.duration ?? (args.quick ? 3 : 10))
const warmup = args.quick ? 1 : 2
const connections = Number(args.connections ?? 50)
const rounds = Number(args.rounds ?? (args.quick ? 1 : 3))
const serverNames = String(args.servers ?? "bare,real,real-nolog,floor,fastapi").split(",")

const ROUTES = [
  { key: "get", label: "GET /api/v1/incidents/{id}" },
  { key: "list", label: "GET /api/v1/incidents?limit=20" },
  { key: "create", label: "POST /api/v1/incidents" }
]

const measureSlot = async (route, url, ids, seconds) => {
  const r = await cannon({ ...requestsFor(route, url, ids), duration: seconds, connections })
  return {
    total: r.requests.total,
    seconds: r.duration > 0 ? r.duration : seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts
  }
}

/** Sums the slots of one server on one route: requests/s over all slots, the median of the slots' p50/p99. */
const combine = (slots) => {
  const total = sum(slots.map((x) => x.total))
  const seconds = sum(slots.map((x) => x.seconds))
  return {
    rps: total / seconds,
    p50: median(slots.map((x) => x.p50)),
    p99: median(slots.map((x) => x.p99)),
    maxMs: Math.max(...slots.map((x) => x.maxMs)),
    total,
    seconds,
    non2xx: sum(slots.map((x) => x.non2xx)),
    errors: sum(slots.map((x) => x.errors)),
    timeouts: sum(slots.map((x) => x.timeouts)),
    slots: slots.map((x) => Math.round(x.total / x.seconds))
  }
}

const SERVERS = {
  bare: { label: "bare node:http + better-sqlite3", start: startBareServer },
  real: { label: "orchestrator (HttpApi, logging on)", start: () => startRealServer() },
  "real-nolog": {
    label: "orchestrator (HttpApi, LOG_LEVEL=warning)",
    start: () => startRealServer({ env: { LOG_LEVEL: "warning" } })
  },
  floor: { label: "HttpApi floor (same contract, in-memory, no middleware)", start: startHttpApiFloorServer },
  fastapi: { label: "FastAPI + uvicorn (seed stack)", start: startFastapiServer }
}

const main = async () => {
  const skipped = {}
  if (serverNames.includes("fastapi")) {
    const fa = ensureFastapi()
    if (!fa.ok) {
      skipped.fastapi = fa.reason
      process.stderr.write(`skipping FastAPI: ${fa.reason}\n`)
    }
  }
  const load = await waitForQuiet(1.5, args.quick ? 5_000 : 30_000)
  // All servers run at once (idle when not under load); each route is measured in `rounds` slots per server,
  // interleaved (bare, real, ..., bare, real, ...), so that the machine's load drifts hit every server alike.
  const servers = {}
  const results = {}
  try {
    for (const name of serverNames) {
      if (skipped[name] !== undefined || SERVERS[name] === undefined) continue
      process.stderr.write(`[api] ${name}: starting\n`)
      const server = await SERVERS[name].start()
      const ids = await seed(server.url)
      if (name === "bare" || name === "fastapi") finishLikeReal(server.dbPath)
      else await waitIdle(server.url)
      servers[name] = { server, ids }
      results[name] = { label: SERVERS[name].label, routes: {} }
    }
    const names = Object.keys(servers)
    for (const route of ROUTES) {
      const slots = Object.fromEntries(names.map((n) => [n, []]))
      for (const n of names) {
        if (n.startsWith("real")) await waitIdle(servers[n].server.url)
        await cannon({
          ...requestsFor(route.key, servers[n].server.url, servers[n].ids),
          duration: warmup,
          connections
        })
      }
      for (let round = 0; round < rounds; round++) {
        for (const n of names) {
          if (n.startsWith("real")) await waitIdle(servers[n].server.url)
          slots[n].push(await measureSlot(route.key, servers[n].server.url, servers[n].ids, duration / rounds))
        }
      }
      for (const n of names) {
        const m = combine(slots[n])
        results[n].routes[route.key] = m
        process.stderr.write(
          `[api] ${n} ${route.label}: ${fmt(m.rps)} req/s, p99 ${m.p99} ms, non2xx ${m.non2xx}, errors ${m.errors}\n`
        )
      }
    }
    for (const n of names) if (n.startsWith("real")) await waitIdle(servers[n].server.url)
  } finally {
    await Promise.all(Object.values(servers).map(({ server }) => server.stop()))
  }

  const ratios = {}
  for (const route of ROUTES) {
    const r = results.real?.routes[route.key]
    ratios[route.key] = {
      realOverBare: ratio(r?.rps, results.bare?.routes[route.key]?.rps),
      realOverFastapi: ratio(r?.rps, results.fastapi?.routes[route.key]?.rps),
      realOverFloor: ratio(r?.rps, results.floor?.routes[route.key]?.rps),
      floorOverBare: ratio(results.floor?.routes[route.key]?.rps, results.bare?.routes[route.key]?.rps),
      realNologOverBare: ratio(results["real-nolog"]?.routes[route.key]?.rps, results.bare?.routes[route.key]?.rps)
    }
  }

  const lines = [
    `API benchmark: ${connections} connections, ${duration} s per route in ${rounds} interleaved slots (warm-up ${warmup} s), load avg at start ${load.toFixed(2)}`
  ]
  lines.push("")
  lines.push(["route".padEnd(34), ...Object.keys(results).map((n) => n.padStart(22))].join(""))
  for (const route of ROUTES) {
    lines.push(
      [
        route.label.padEnd(34),
        ...Object.keys(results).map((n) => {
          const m = results[n].routes[route.key]
          return `${fmt(m.rps)} r/s p99 ${m.p99}ms`.padStart(22)
        })
      ].join("")
    )
  }
  lines.push("")
  for (const route of ROUTES) {
    const r = ratios[route.key]
    lines.push(
      `${route.label.padEnd(34)} ours/bare ${fmtRatio(r.realOverBare)} (target >= 0.50x)   ours/fastapi ${fmtRatio(r.realOverFastapi)}   ours-nolog/bare ${fmtRatio(r.realNologOverBare)}   floor/bare ${fmtRatio(r.floorOverBare)}   ours/floor ${fmtRatio(r.realOverFloor)}`
    )
  }
  for (const [k, v] of Object.entries(skipped)) lines.push(`skipped ${k}: ${v}`)
  process.stdout.write(lines.join("\n") + "\n")
  const file = writeResult("api", {
    connections,
    duration,
    warmup,
    rounds,
    loadAtStart: load,
    routes: ROUTES,
    results,
    ratios,
    skipped
  })
  process.stderr.write(`[api] wrote ${file}\n`)
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`)
    process.exitCode = 1
  })
  .finally(() => stopAllChildren())
