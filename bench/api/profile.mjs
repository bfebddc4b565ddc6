#!/usr/bin/env node
/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Profiles the real server's API path: for POST /api/v1/incidents, GET /api/v1/incidents/{id} and GET
 * /api/v1/incidents?limit=20, starts the
 * server with `--cpu-prof` (logging on, as in production), loads that one route with autocannon, stops the server
 * (the profile is written at exit) and summarises it: top self-time functions, self time per category, and the
 * inclusive time of the suspects (request logging, schema decode/encode, middleware, SQLite).
 *
 * Usage: node bench/api/profile.mjs [--quick] [--duration 8] [--connections 50] [--routes create,get,list]
 * Writes bench/results/profile.json (and keeps the .cpuprofile files under bench/results/profiles/).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { summariseProfile } from "../lib/cpuprofile.mjs"
import { fmt, parseArgs, resultsDir, stopAllChildren, writeResult } from "../lib/common.mjs"
import { cannon, requestsFor, seed, waitIdle } from "../lib/load.mjs"
import { startRealServer } from "../lib/servers.mjs"

const args = parseArgs()
const duration = Number(args.duration ?? (args.quick ? 4 : 8))
const connections = Number(args.connections ?? 50)
const routes = String(args.routes ?? "create,get,list").split(",")

/** Functions whose inclusive time answers "where does the time go". */
const SUSPECTS = [
  ["request logging (our JSON logger)", /^makeJsonLogger|observability\/logging/],
  ["credential scrubbing (redactKnown)", /redactKnown/],
  ["Effect logger dispatch", /effect\/dist\/esm\/internal\/(fiberRuntime|logger).*log|^log /],
  ["Schema decode (ParseResult)", /effect\/dist\/esm\/ParseResult/],
  ["Schema encode/decode entry (Schema.js)", /effect\/dist\/esm\/Schema\.js/],
  ["repository get/decodeIncident", /SqliteIncidentRepository/],
  ["SQL (@effect/sql)", /@effect\/sql/],
  ["better-sqlite3", /better-sqlite3/],
  ["our middleware (http/middleware.ts)", /server\/src\/http\/middleware/],
  ["rate limit / auth guard", /server\/src\/http\/(rateLimit|auth)/],
  ["HttpApiBuilder", /@effect\/platform\/dist\/esm\/HttpApiBuilder/],
  ["HttpRouter", /@effect\/platform\/dist\/esm\/(internal\/)?httpRouter/],
  ["HttpServerResponse / platform-node writes", /@effect\/platform-node\/dist\/esm\/internal\/httpServer/],
  ["InvestigationRunner (background work of POST)", /InvestigationRunner|DiagnosisAgent|Triage/]
]

/** How each route is named in the output and the report. */
const ROUTE_LABELS = {
  create: "POST /api/v1/incidents",
  get: "GET /api/v1/incidents/{id}",
  list: "GET /api/v1/incidents?limit=20"
}

const profileRoute = async (route) => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-prof-"))
  const server = await startRealServer({ nodeArgs: ["--cpu-prof", "--cpu-prof-dir", dir] })
  let load
  let window
  try {
    const ids = await seed(server.url)
    await waitIdle(server.url)
    await cannon({ ...requestsFor(route, server.url, ids), duration: 1, connections })
    const loadStart = Date.now()
    const r = await cannon({ ...requestsFor(route, server.url, ids), duration, connections })
    const loadEnd = Date.now()
    load = { rps: r.requests.total / (r.duration || duration), p99: r.latency.p99 }
    await waitIdle(server.url)
    await server.stop()
    const exitAt = Date.now()
    // the profile ends at exit: keep the load phase only (start-up and tsx compilation excluded)
    window = { fromEndMs: exitAt - loadStart, toEndMs: exitAt - loadEnd }
  } finally {
    await server.stop()
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
  if (file === undefined) throw new Error(`no .cpuprofile written for ${route}`)
  const keep = join(resultsDir, "profiles")
  mkdirSync(keep, { recursive: true })
  const kept = join(keep, `api-${route}.cpuprofile`)
  copyFileSync(join(dir, file), kept)
  const s = summariseProfile(kept, { top: 25, window })
  return {
    route,
    load,
    profile: kept,
    busyMs: s.busyMs,
    idleMs: s.idleMs,
    topSelf: s.topSelf,
    categories: s.categories,
    suspects: SUSPECTS.map(([label, re]) => {
      const hits = s.inclusive(re)
      return { label, ms: hits[0]?.ms ?? 0, pct: hits[0]?.pct ?? 0, fn: hits[0]?.fn }
    })
  }
}

const main = async () => {
  const out = {}
  for (const route of routes) {
    process.stderr.write(`[profile] ${route}: ${duration} s under load with --cpu-prof\n`)
    const p = await profileRoute(route)
    out[route] = p
    const lines = [
      `\n== ${ROUTE_LABELS[route] ?? route}: ${fmt(p.load.rps)} req/s under the profiler, busy ${fmt(p.busyMs)} ms, idle ${fmt(p.idleMs)} ms`
    ]
    lines.push("-- self time by category")
    for (const c of p.categories.slice(0, 12)) lines.push(`${fmt(c.pct, 1).padStart(6)}%  ${c.category}`)
    lines.push("-- top self time")
    for (const t of p.topSelf.slice(0, 20)) lines.push(`${fmt(t.pct, 1).padStart(6)}%  ${t.fn}`)
    lines.push("-- inclusive time of suspects (max over matching functions)")
    for (const s of p.suspects) lines.push(`${fmt(s.pct, 1).padStart(6)}%  ${s.label}${s.fn ? `  [${s.fn}]` : ""}`)
    process.stdout.write(lines.join("\n") + "\n")
  }
  const file = writeResult("profile", { duration, connections, routes: out })
  process.stderr.write(`[profile] wrote ${file}\n`)
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`)
    process.exitCode = 1
  })
  .finally(() => stopAllChildren())
