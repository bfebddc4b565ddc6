/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Writes docs/benchmarks.md and docs/benchmarks/*.svg from bench/results/*.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fmt, fmtRatio, mib, readResult, root } from "./common.mjs"
import { groupedBarChart, horizontalBarChart, lineChart } from "./svg.mjs"

const status = (ok) => (ok === undefined ? "n/a" : ok ? "met" : "**not met**")

/** Figures kept for comparison in bench/reference/<dir>/ (tracked in git, unlike bench/results/). */
const readReference = (dir, name) => {
  try {
    return JSON.parse(readFileSync(join(root, "bench", "reference", dir, `${name}.json`), "utf8"))
  } catch {
    return undefined
  }
}

const PROFILE_LABELS = {
  create: "POST /api/v1/incidents",
  get: "GET /api/v1/incidents/{id}",
  list: "GET /api/v1/incidents?limit=20"
}

/** Before / after tables: the runs kept in bench/reference/ (before and after the issue #10 work) next to this one. */
const beforeAfter = (before, after, apiRun, orch, apiProfile) => {
  const md = []
  if (before.api === undefined && before.orch === undefined) return md
  md.push("## Before / after (issue #10)")
  md.push("")
  md.push(
    "`bench/reference/before-issue-10/` keeps the results of the full benchmark run on this machine just before the issue #10"
  )
  md.push(
    "changes (commit b07f841: the store already reads and writes in one statement; a tracing span per request, `Effect.gen`"
  )
  md.push(
    "middleware, one stdout write per log line, `Effect.timeoutFail` per LLM/tool call); `bench/reference/after-issue-10/`"
  )
  md.push(
    "a full run with the changes (the first of the two final runs; **this run** is the other one). These are different runs"
  )
  md.push(
    "on a machine shared with other work: compare the ratios, each measured against the bare server or the baseline of its"
  )
  md.push("own run, and read the spread between the two after-runs as the noise of the measurement.")
  md.push("")
  const runs = [
    ["before", before],
    ["after (reference run)", after],
    ["this run", { api: apiRun, orch, prof: apiProfile }]
  ].filter(([, r]) => r.api !== undefined || r.orch !== undefined)
  if (apiRun !== undefined) {
    md.push(`| Route | ${runs.map(([n]) => `${n}: ours, bare (req/s) → ours / bare`).join(" | ")} |`)
    md.push(`| --- | ${runs.map(() => "---").join(" | ")} |`)
    for (const route of apiRun.routes) {
      const cells = runs.map(([, r]) => {
        const res = r.api?.results
        return res === undefined
          ? "n/a"
          : `${fmt(res.real?.routes[route.key]?.rps)}, ${fmt(res.bare?.routes[route.key]?.rps)} → **${fmtRatio(r.api.ratios[route.key]?.realOverBare)}**`
      })
      md.push(`| ${route.label} | ${cells.join(" | ")} |`)
    }
    md.push("")
  }
  if (orch !== undefined) {
    md.push(
      `| LLM latency | N | inv/s ratio (${runs.map(([n]) => n).join("; ")}) | CPU ms/step ours, base (same order) | wall overhead ours − base at N=1, ms/step | RSS/in-flight ratio |`
    )
    md.push("| --- | --- | --- | --- | --- | --- |")
    for (const a of orch.runs) {
      const per = runs.map(([, r]) => r.orch?.runs.find((x) => x.n === a.n && x.latencyMs === a.latencyMs))
      const cell = (f) => per.map((x) => (x === undefined ? "n/a" : f(x))).join("; ")
      md.push(
        `| ${a.latencyMs} ms | ${a.n} | ${cell((x) => fmtRatio(x.ratios.throughput))} | ${cell((x) => `${fmt(x.ours.cpuMsPerStep, 2)}, ${fmt(x.baseline.cpuMsPerStep, 2)}`)} | ${a.n === 1 ? cell((x) => fmt(x.ours.overheadPerStepMs - x.baseline.overheadPerStepMs, 2)) : "— (CPU per step applies)"} | ${cell((x) => fmtRatio(x.ratios.rssPerInFlight))} |`
      )
    }
    md.push("")
  }
  const cpu = (p, d) => (p === undefined ? undefined : p.busyMs / Math.max(1, p.load.rps * d))
  const profRuns = runs.filter(([, r]) => r.prof !== undefined)
  if (profRuns.length > 1) {
    md.push(`| Route | CPU per request under the profiler: ${profRuns.map(([n]) => n).join(" | ")} |`)
    md.push(`| --- | ${profRuns.map(() => "---").join(" | ")} |`)
    for (const k of Object.keys(PROFILE_LABELS)) {
      md.push(
        `| ${PROFILE_LABELS[k]} | ${profRuns.map(([, r]) => (r.prof.routes[k] === undefined ? "n/a" : `${fmt(cpu(r.prof.routes[k], r.prof.duration), 3)} ms`)).join(" | ")} |`
      )
    }
    md.push("")
  }
  return md
}

export const writeReport = async ({ steps = {} } = {}) => {
  const apiRun = readResult("api")
  const orch = readResult("orchestration")
  const prof = readResult("profile")
  const cli = readResult("cli-startup")
  const replicas = readResult("replicas")
  const reference = (dir) => ({
    api: readReference(dir, "api"),
    orch: readReference(dir, "orchestration"),
    prof: readReference(dir, "profile")
  })
  const before = reference("before-issue-10")
  const after = reference("after-issue-10")
  const chartsDir = join(root, "docs", "benchmarks")
  mkdirSync(chartsDir, { recursive: true })
  const md = []
  const m = apiRun?.machine ?? orch?.machine ?? prof?.machine
  md.push("# Benchmarks")
  md.push("")
  md.push(
    "Generated by `npm run bench` (`bench/run.mjs`; `npm run bench -- --quick` for a 3 s-per-route smoke run). Every ratio"
  )
  md.push(
    "compares figures measured in the same run on the same machine; absolute numbers move with the machine's load, the"
  )
  md.push("ratios much less. No test asserts on timings.")
  md.push("")
  md.push("## Machine")
  md.push("")
  if (m !== undefined) {
    md.push(`- ${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.platform}`)
    md.push(
      `- Load average (1 min) when each benchmark started: API ${fmt(apiRun?.loadAtStart, 2)}, orchestration ${fmt(orch?.loadAtStart, 2)}`
    )
    md.push(
      "  (the machine was shared with other work; a 2-CPU machine with load > 1 gives every server less than the whole machine,"
    )
    md.push("  and the load generator, the mock LLM and the server under test share the same two CPUs)")
  }
  md.push(`- Written ${new Date().toISOString()}`)
  md.push("")

  // ---------------------------------------------------------------- targets
  const rows = []
  if (apiRun !== undefined) {
    for (const route of apiRun.routes) {
      const r = apiRun.ratios[route.key]?.realOverBare
      rows.push([
        `API ${route.label}: ours / bare node:http (logging on)`,
        ">= 0.50x",
        fmtRatio(r),
        status(Number.isFinite(r) ? r >= 0.5 : undefined)
      ])
    }
  }
  if (orch !== undefined) {
    for (const run of orch.runs) {
      if (run.n === 1) continue
      const pending = !run.ours.agentWired
      rows.push([
        `Investigations/s, ${run.latencyMs} ms LLM, N=${run.n}: ours / LangGraph baseline`,
        ">= 0.80x",
        pending ? "pending agent" : fmtRatio(run.ratios.throughput),
        pending ? "pending agent" : status(run.ratios.throughput >= 0.8)
      ])
    }
    const one = orch.runs.filter((r) => r.n === 1)
    for (const run of one) {
      const pending = !run.ours.agentWired
      const extra = run.ours.overheadPerStepMs - run.baseline.overheadPerStepMs
      rows.push([
        `Orchestration overhead per step, ${run.latencyMs} ms LLM, N=1 (ours − baseline)`,
        "< 2 ms",
        pending
          ? "pending agent"
          : `${fmt(extra, 2)} ms (ours ${fmt(run.ours.overheadPerStepMs, 2)}, baseline ${fmt(run.baseline.overheadPerStepMs, 2)})`,
        pending ? "pending agent" : status(extra < 2)
      ])
    }
    for (const run of orch.runs.filter((r) => r.n > 1 && r.cpuOverheadPerStepMs !== undefined)) {
      const pending = !run.ours.agentWired
      rows.push([
        `Orchestration CPU per step, ${run.latencyMs} ms LLM, N=${run.n} (ours − baseline)`,
        "< 2 ms",
        pending
          ? "pending agent"
          : `${fmt(run.cpuOverheadPerStepMs, 2)} ms (ours ${fmt(run.ours.cpuMsPerStep, 2)}, baseline ${fmt(run.baseline.cpuMsPerStep, 2)})`,
        pending ? "pending agent" : status(run.cpuOverheadPerStepMs < 2)
      ])
    }
    for (const run of orch.runs.filter((r) => r.n === Math.max(...orch.ns))) {
      const pending = !run.ours.agentWired
      rows.push([
        `RSS per in-flight investigation, ${run.latencyMs} ms LLM, N=${run.n}: ours / baseline`,
        "<= 1.20x",
        pending
          ? "pending agent"
          : `${fmtRatio(run.ratios.rssPerInFlight)} (${fmt(mib(run.ours.rssPerInFlight), 2)} vs ${fmt(mib(run.baseline.rssPerInFlight), 2)} MiB)`,
        pending ? "pending agent" : status(run.ratios.rssPerInFlight <= 1.2)
      ])
    }
  }
  if (cli !== undefined) {
    const v = cli.rows.find((r) => r.name === "sre --version (bin)")
    if (v !== undefined)
      rows.push(["CLI `sre --version` cold start / `node -e 0`", "<= 2.50x", fmtRatio(v.ratio), status(v.ratio <= 2.5)])
  }
  md.push("## Targets")
  md.push("")
  md.push("| Target | Goal | Measured | Status |")
  md.push("| --- | --- | --- | --- |")
  for (const r of rows) md.push(`| ${r.join(" | ")} |`)
  md.push("")
  for (const [k, v] of Object.entries(steps)) if (!v.ok) md.push(`> Step \`${k}\` did not complete: ${v.reason}`)
  md.push("")

  md.push(...beforeAfter(before, after, apiRun, orch, prof))

  // ---------------------------------------------------------------- API
  md.push("## API throughput (`bench/api`)")
  md.push("")
  if (apiRun === undefined) md.push("_Not run._")
  else {
    const names = Object.keys(apiRun.results)
    md.push(
      `autocannon (in the runner's process), ${apiRun.connections} connections, ${apiRun.duration} s per route and server after a ${apiRun.warmup} s warm-up,`
    )
    md.push(
      `measured in ${apiRun.rounds ?? 1} interleaved slot(s) per server (all servers up at once, loaded one at a time, round-robin) so that`
    )
    md.push(
      "load drifts on the shared machine hit every server alike; p99 is the median of the slots' p99. Each server has a fresh"
    )
    md.push("SQLite file seeded with 200 incidents (finished, one step each, like the orchestrator's). Servers:")
    md.push("")
    md.push(
      "- **orchestrator**: `packages/server/src/main.ts` (the composition root) in a child process: SQLite store, the default"
    )
    md.push(
      "  middleware (correlation id, security headers, request log line, body checks, rate limiter set very high, no API keys),"
    )
    md.push(
      "  `LOG_LEVEL=info` (one JSON line per request, to /dev/null), no LLM and no Kubernetes MCP server: each POST starts an"
    )
    md.push("  investigation that fails at once — that background work is part of the POST figure.")
    md.push(
      "- **orchestrator, LOG_LEVEL=warning**: the same without the per-request log line (to show what logging costs)."
    )
    md.push(
      "- **bare**: `bench/api/bare-server.mjs`, node:http + better-sqlite3, the same tables, checks, queries and headers by hand (no"
    )
    md.push("  logging, no investigations) — the practical limit.")
    md.push(
      "- **HttpApi floor**: `bench/api/httpapi-floor.ts`, the orchestrator's own contract (`SreApi`: the same schemas, path/query/body"
    )
    md.push(
      "  decoding and schema encoding of every response) on `HttpApiBuilder` + `NodeHttpServer` with the incidents in a `Map` and"
    )
    md.push(
      "  nothing else — no middleware, log line, metrics, tracing, store or investigations: what staying on HttpApi costs by itself."
    )
    md.push(
      "- **FastAPI**: `bench/api/fastapi_app.py`, the seed's stack (Debian python3-fastapi 0.92 + python3-uvicorn 0.17, one worker,"
    )
    md.push("  access log on), the same routes and queries with sqlite3.")
    md.push("")
    md.push(
      `| Route | ${names.map((n) => apiRun.results[n].label).join(" | ")} | ours / bare | floor / bare | ours / floor | ours / FastAPI |`
    )
    md.push(`| --- | ${names.map(() => "---").join(" | ")} | --- | --- | --- | --- |`)
    for (const route of apiRun.routes) {
      const cells = names.map((n) => {
        const r = apiRun.results[n].routes[route.key]
        return `${fmt(r.rps)} req/s, p99 ${fmt(r.p99)} ms${r.non2xx > 0 || r.errors > 0 ? ` (${r.non2xx} non-2xx, ${r.errors} errors)` : ""}`
      })
      md.push(
        `| ${route.label} | ${cells.join(" | ")} | ${fmtRatio(apiRun.ratios[route.key].realOverBare)} | ${fmtRatio(apiRun.ratios[route.key].floorOverBare)} | ${fmtRatio(apiRun.ratios[route.key].realOverFloor)} | ${fmtRatio(apiRun.ratios[route.key].realOverFastapi)} |`
      )
    }
    for (const [k, v] of Object.entries(apiRun.skipped ?? {})) md.push(`\n_${k} skipped: ${v}_`)
    md.push("")
    writeFileSync(
      join(chartsDir, "api-throughput.svg"),
      groupedBarChart({
        title: "API throughput per route (requests/s, higher is better)",
        yLabel: "requests/s",
        groups: apiRun.routes.map((route) => ({
          label: route.label,
          values: names.map((n) => apiRun.results[n].routes[route.key].rps)
        })),
        series: names.map((n) => apiRun.results[n].label)
      })
    )
    md.push("![API throughput per route and server](benchmarks/api-throughput.svg)")
    md.push("")
  }

  // ---------------------------------------------------------------- orchestration
  md.push("## Orchestration (`bench/orchestration`)")
  md.push("")
  if (orch === undefined) md.push("_Not run._")
  else {
    if (orch.pendingAgent) {
      md.push(
        "> **Pending agent**: in this run the server made no LLM call — the LLM agent (`src/agent`) is not yet wired into"
      )
      md.push(
        '> `runtime.ts`, so every investigation ended at once without the LLM ("No LLM is configured"). The harness, the baseline'
      )
      md.push(
        '> and the figures below are real, but the "ours" columns measure the analyzers-only path and are **not** comparable'
      )
      md.push("> with the baseline yet. Re-run `npm run bench:orchestration` once the agent is wired.")
      md.push("")
    }
    md.push(
      `N investigations filed through \`POST /api/v1/incidents\` (32 requests in flight) of the real server (fresh process per N, SQLite, logging on,`
    )
    md.push(
      "`MAX_CONCURRENT_INVESTIGATIONS=max(64, N)` so all N are in flight like the baseline's), the test kit's mock LLM (child"
    )
    md.push(
      `process, \`autoAgent({ toolRounds: ${orch.toolRounds} })\`) and the test MCP server over stdio as the only MCP server. **Baseline**:`
    )
    md.push(
      "`bench/orchestration/baseline.ts` — `createReactAgent` with the same `ChatOpenAI` client, the orchestrator's prompts and the"
    )
    md.push(
      "same read-only tools loaded with `@langchain/mcp-adapters` from the same test MCP server, plus the same two structured calls"
    )
    md.push(
      "(entities, conclusion) so both make the same number of model calls; no server, store, Effect or logging; N concurrent"
    )
    md.push(
      "`Promise.all`. Both get one unmeasured warm-up investigation. Overhead per step = (Σ investigation wall time − Σ time inside"
    )
    md.push(
      "LLM requests as recorded by the mock − Σ tool time) / (LLM calls + tool calls); tool time is the steps' `duration_ms` for"
    )
    md.push(
      "ours and LangChain's tool callbacks for the baseline. That wall-clock figure is meaningful at N=1; with N in flight on two"
    )
    md.push(
      "CPUs it is mostly time spent waiting for the CPU, so for N > 1 the overhead is given as **CPU per step**: user+system CPU of"
    )
    md.push(
      "the process (/proc/<pid>/stat) during the measured phase divided by LLM + tool calls — for ours it includes filing the"
    )
    md.push(
      "incidents over HTTP and the harness's polling (two one-row list queries every 50 ms) and GET of each incident. RSS per in-flight = (peak VmRSS −"
    )
    md.push("VmRSS just before) / N. Both exclude the child processes (MCP server, mock LLM).")
    md.push("")
    md.push(
      "| LLM latency | N | ours inv/s | baseline inv/s | ratio | ours makespan | baseline makespan | LLM calls/inv (ours, base) | wall overhead ms/step (ours, base) | CPU ms/step (ours, base) | RSS before → peak MiB (ours; base) | RSS/in-flight MiB (ours, base) | ratio | event-loop p99 |"
    )
    md.push("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (const r of orch.runs) {
      const o = r.ours
      const b = r.baseline
      md.push(
        `| ${r.latencyMs} ms | ${r.n} | ${fmt(o.perSecond, 1)}${o.agentWired ? "" : " (no LLM)"} | ${fmt(b.perSecond, 1)} | ${o.agentWired ? fmtRatio(r.ratios.throughput) : "pending"} | ${fmt(o.makespanMs)} ms | ${fmt(b.makespanMs)} ms | ${fmt(o.llmCallsPerInvestigation, 1)}, ${fmt(b.llmCallsPerInvestigation, 1)} | ${fmt(o.overheadPerStepMs, 2)}, ${fmt(b.overheadPerStepMs, 2)} | ${fmt(o.cpuMsPerStep, 2)}, ${fmt(b.cpuMsPerStep, 2)} | ${fmt(mib(o.idleRss))} → ${fmt(mib(o.peakRss))}; ${fmt(mib(b.idleRss))} → ${fmt(mib(b.peakRss))} | ${fmt(mib(o.rssPerInFlight), 2)}, ${fmt(mib(b.rssPerInFlight), 2)} | ${o.agentWired ? fmtRatio(r.ratios.rssPerInFlight) : "pending"} | ${o.eventLoopP99Ms !== undefined ? `${fmt(o.eventLoopP99Ms, 1)} ms` : "n/a"} |`
      )
    }
    md.push("")
    for (const f of orch.failures ?? []) md.push(`_Run ${f.latencyMs} ms, N=${f.n} failed: ${f.error}_\n`)
    const el = orch.runs.some((r) => r.ours.eventLoopP99Ms !== undefined)
    if (!el)
      md.push("Event-loop delay p99: n/a — the server's `/metrics` does not expose an event-loop delay quantile yet.\n")
    const xs = orch.ns.map(String)
    const lines = []
    for (const lat of orch.latencies) {
      const runs = orch.ns.map((n) => orch.runs.find((r) => r.n === n && r.latencyMs === lat))
      lines.push({
        name: `ours, ${lat} ms LLM${orch.pendingAgent ? " (no LLM!)" : ""}`,
        values: runs.map((r) => r?.ours.makespanMs)
      })
      lines.push({ name: `baseline, ${lat} ms LLM`, values: runs.map((r) => r?.baseline.makespanMs), dashed: true })
    }
    writeFileSync(
      join(chartsDir, "orchestration-makespan.svg"),
      lineChart({
        title: "Makespan vs N (ms, log scale, lower is better)",
        xLabel: "N investigations at once",
        yLabel: "makespan (ms)",
        x: xs,
        lines,
        logY: true
      })
    )
    md.push("![Makespan vs N](benchmarks/orchestration-makespan.svg)")
    md.push("")
  }

  // ---------------------------------------------------------------- replicas
  md.push("## Several replicas on one PostgreSQL (`bench/orchestration/replicas.mjs`)")
  md.push("")
  if (replicas === undefined) md.push("_Not run._")
  else if (replicas.skipped !== undefined) md.push(`_Skipped: ${replicas.skipped}_`)
  else {
    md.push(
      `N=${replicas.n} investigations filed round-robin over R replicas (real server processes, \`DATABASE_URL\` to a ` +
        `throwaway PostgreSQL on loopback), ${replicas.slots} investigation slots per replica, ${replicas.toolRounds} ` +
        `tool rounds, the test MCP server over stdio. Load average at start ${fmt(replicas.loadAtStart, 2)}. All ` +
        "replicas share this machine's 2 CPUs: with a slow LLM (200 ms) extra replicas add slots and throughput; with " +
        "a 0 ms LLM the run is CPU-bound and more processes cannot help. At 200 ms one replica is bound by its slots; " +
        "three replicas have three times the slots, and the two CPUs (shared by three servers with their MCP servers, " +
        "PostgreSQL and the mock LLM) become the limit before the slots do, which is why the gain is below 3x here."
    )
    md.push("")
    md.push("| LLM latency | Replicas | Investigations/s | Makespan | Completed | Throughput vs 1 replica |")
    md.push("| --- | --- | --- | --- | --- | --- |")
    for (const r of replicas.runs) {
      const one = replicas.runs.find((o) => o.latencyMs === r.latencyMs && o.replicas === 1)
      md.push(
        `| ${r.latencyMs} ms | ${r.replicas} | ${fmt(r.perSecond, 1)} | ${fmt(r.makespanMs)} ms | ${r.completed}/${r.n} | ` +
          `${r.replicas === 1 ? "1.00x" : fmtRatio(one === undefined ? NaN : r.perSecond / one.perSecond)} |`
      )
    }
    md.push("")
  }

  // ---------------------------------------------------------------- CLI
  md.push("## CLI start-up (`bench/cli-startup`)")
  md.push("")
  if (cli === undefined) md.push("_Not run._")
  else {
    md.push(`${cli.runs} runs each, interleaved, one fresh process per run (see \`bench/cli-startup/run.mjs\`).`)
    md.push("")
    md.push("| Command | median ms | p90 ms | x `node -e 0` |")
    md.push("| --- | --- | --- | --- |")
    for (const r of cli.rows) md.push(`| ${r.name} | ${fmt(r.median, 1)} | ${fmt(r.p90, 1)} | ${fmtRatio(r.ratio)} |`)
    md.push("")
  }

  // ---------------------------------------------------------------- profile
  md.push("## Where the API time goes (`bench/api/profile.mjs`)")
  md.push("")
  if (prof === undefined) md.push("_Not run._")
  else {
    md.push(
      `The real server under \`node --cpu-prof\` (logging on), ${prof.duration} s of autocannon on one route, ${prof.connections} connections;`
    )
    md.push(
      "only the samples of the load phase are counted (start-up and tsx compilation excluded). Self time aggregated by function and"
    )
    md.push(
      'by category (`bench/lib/cpuprofile.mjs`); "inclusive" counts a function once per sample it is on the stack of. Profiles are'
    )
    md.push("kept in `bench/results/profiles/*.cpuprofile` (open in Chrome DevTools or speedscope for a flame graph).")
    md.push("")
    for (const [key, p] of Object.entries(prof.routes)) {
      const label = PROFILE_LABELS[key] ?? key
      md.push(
        `### ${label} — ${fmt(p.load.rps)} req/s under the profiler, ${fmt(p.busyMs / Math.max(1, p.load.rps * prof.duration), 3)} ms CPU per request`
      )
      md.push("")
      md.push("| Self time by category | % of busy CPU |")
      md.push("| --- | --- |")
      for (const c of p.categories.slice(0, 12)) md.push(`| ${c.category} | ${fmt(c.pct, 1)} |`)
      md.push("")
      md.push("| Top self-time functions | % | category |")
      md.push("| --- | --- | --- |")
      for (const t of p.topSelf.slice(0, 15)) md.push(`| \`${t.fn}\` | ${fmt(t.pct, 1)} | ${t.category} |`)
      md.push("")
      md.push("| Suspect (inclusive) | % of busy CPU | function |")
      md.push("| --- | --- | --- |")
      for (const s of p.suspects) md.push(`| ${s.label} | ${fmt(s.pct, 1)} | ${s.fn ? `\`${s.fn}\`` : ""} |`)
      md.push("")
      writeFileSync(
        join(chartsDir, `profile-${key}.svg`),
        horizontalBarChart({
          title: `${label}: self CPU time by category`,
          bars: p.categories.slice(0, 12).map((c, i) => ({ label: c.category, value: c.pct, colorIndex: i }))
        })
      )
      md.push(`![${label} CPU by category](benchmarks/profile-${key}.svg)`)
      md.push("")
    }
  }
  md.push(apiFindings(apiRun))
  const oprof = readResult("profile-orchestration")
  md.push("## Where the orchestration time goes (`bench/orchestration/run.mjs --cpu-prof`)")
  md.push("")
  if (oprof === undefined) md.push("_Not run._")
  else {
    const p = oprof.profile
    md.push(
      `Our server under \`--cpu-prof\` during the measured phase of one orchestration run (${oprof.latencyMs} ms LLM, N=${oprof.n}; that run:`
    )
    md.push(
      `ours ${fmt(oprof.ours.perSecond, 1)} inv/s vs baseline ${fmt(oprof.baseline.perSecond, 1)} inv/s). Busy ${fmt(p.busyMs)} ms for ${oprof.steps} steps = **${fmt(p.busyMs / oprof.steps, 2)} ms`
    )
    md.push(
      "of CPU per step** in the server process (the baseline's CPU per step, measured without the profiler, is in the table above)."
    )
    md.push("")
    md.push("| Self time by category | % |")
    md.push("| --- | --- |")
    for (const c of p.categories.slice(0, 10)) md.push(`| ${c.category} | ${fmt(c.pct, 1)} |`)
    md.push("")
    md.push("| Top self-time functions | % | category |")
    md.push("| --- | --- | --- |")
    for (const t of p.topSelf.slice(0, 15)) md.push(`| \`${t.fn}\` | ${fmt(t.pct, 1)} | ${t.category} |`)
    md.push("")
    const bp = oprof.baselineProfile
    if (p.packages !== undefined && bp?.packages !== undefined) {
      const baseSteps = oprof.baseline.steps ?? oprof.steps
      md.push(
        `The baseline under \`--cpu-prof\` in the same run: busy ${fmt(bp.busyMs)} ms for ${baseSteps} steps = **${fmt(bp.busyMs / baseSteps, 2)} ms of CPU per`
      )
      md.push(
        "step**. Both profiles by package (self time per step; `ours: server/<folder>` is this repository's code), largest difference (either way) first:"
      )
      md.push("")
      const ours = new Map(p.packages.map((x) => [x.name, x.ms / oprof.steps]))
      const base = new Map(bp.packages.map((x) => [x.name, x.ms / baseSteps]))
      const names = [...new Set([...ours.keys(), ...base.keys()])]
        .map((name) => ({ name, o: ours.get(name) ?? 0, b: base.get(name) ?? 0 }))
        .sort((x, y) => Math.abs(y.o - y.b) - Math.abs(x.o - x.b))
      md.push("| Package | ours ms/step | baseline ms/step | difference |")
      md.push("| --- | --- | --- | --- |")
      for (const r of names.slice(0, 16))
        md.push(`| ${r.name} | ${fmt(r.o, 3)} | ${fmt(r.b, 3)} | ${fmt(r.o - r.b, 3)} |`)
      const rest = names.slice(16)
      md.push(
        `| (${rest.length} others) | ${fmt(
          rest.reduce((a, r) => a + r.o, 0),
          3
        )} | ${fmt(
          rest.reduce((a, r) => a + r.b, 0),
          3
        )} | ${fmt(
          rest.reduce((a, r) => a + r.o - r.b, 0),
          3
        )} |`
      )
      md.push(
        `| **total** | ${fmt(p.busyMs / oprof.steps, 3)} | ${fmt(bp.busyMs / baseSteps, 3)} | ${fmt(p.busyMs / oprof.steps - bp.busyMs / baseSteps, 3)} |`
      )
      md.push("")
    }
    md.push(ORCHESTRATION_FINDINGS)
  }
  const file = join(root, "docs", "benchmarks.md")
  let text = md.join("\n") + "\n"
  // formatted like the rest of the docs, so that `npm run format:check` passes on the generated file
  try {
    const prettier = await import("prettier")
    const config = (await prettier.resolveConfig(file)) ?? {}
    text = await prettier.format(text, { ...config, filepath: file })
  } catch {
    // prettier missing: keep the unformatted text
  }
  writeFileSync(file, text)
  return file
}

/** One "route: figure" list over the API routes, e.g. "GET by id 0.31x, list 0.42x, POST 0.11x". */
const perRoute = (apiRun, f) =>
  apiRun === undefined
    ? "n/a"
    : apiRun.routes.map((route) => `${SHORT_ROUTE[route.key] ?? route.key} ${f(route.key)}`).join(", ")
const SHORT_ROUTE = { get: "GET by id", list: "list", create: "POST" }

/** What was changed for issue #10 and where the API time still goes (figures from this run). */
const apiFindings = (apiRun) => {
  const ratio = (key, name) => fmtRatio(apiRun?.ratios[key]?.[name])
  const needed = (key) => {
    const f = apiRun?.ratios[key]?.floorOverBare
    if (!Number.isFinite(f)) return "n/a"
    return f < 0.5 ? `${fmt(0.5 / f, 2)} (impossible: more than the floor itself)` : fmt(0.5 / f, 2)
  }
  const allowance = (key) => {
    const f = apiRun?.ratios[key]?.floorOverBare
    if (!Number.isFinite(f)) return "n/a"
    return f < 0.5 ? "nothing" : `${fmt((f / 0.5 - 1) * 100, 0)} %`
  }
  const logCost = (key) => {
    const on = apiRun?.results.real?.routes[key]?.rps
    const off = apiRun?.results["real-nolog"]?.routes[key]?.rps
    return on !== undefined && off !== undefined ? fmtRatio(on / off) : "n/a"
  }
  return `### What was changed (issue #10)

All in the HTTP and observability layers (\`packages/server/src/http\`, \`observability\`); HttpApi is still what serves
and validates every route, and the request log line is still written for every request:

1. **No tracing work without an exporter** (\`observability/tracing.ts\`, \`tracingDisabled\`, installed by
   \`tracingLayerFrom\` when no OTLP endpoint is configured): \`Layer.setTracerEnabled(false)\` makes every
   \`Effect.withSpan\` a no-op span, and \`HttpMiddleware.currentTracerDisabledWhen\` skips the platform's per-request server
   span (\`new URL\`, header redaction, one attribute per header). With an exporter nothing changes. Log lines then carry
   no \`trace_id\`/\`span_id\` (there is no trace to point to); \`correlation_id\` ties a request's lines together.
2. **The request middleware in a handful of runtime steps** (\`http/middleware.ts\`): \`Effect.provideService\`,
   \`Effect.annotateLogs\` and \`Effect.annotateSpans\` each run the app inside an interruption-safe acquire/use/release of a
   fiber ref — about 25 Effect runtime steps each, counted with an op-counting \`Supervisor\` (outside the benchmark). The
   middleware is the outermost code of a fiber that exists for one request, so it now sets the correlation id in the
   fiber's context and log annotations with \`FiberRef.update\`; span annotations only when tracing is on; the security
   headers are one fixed-shape object literal; the request line's fields travel in the message (\`LogRecord\`) instead of an
   annotation map; the HTTP metrics are updated synchronously. \`/metrics\` and the Alertmanager
   receiver, answered in front of the API, now get the security headers too (they had none).
3. **API middleware built once** (\`contractErrorMiddleware\`, the rate-limit/API-key guard in \`http/rateLimit.ts\`): the
   request is read from the fiber synchronously instead of an \`Effect.gen\` per request; the body limit is provided only
   for methods whose body the platform may read.
4. **Metrics** (\`observability/metrics.ts\`): a metric caches its registry entry per label array (by identity);
   \`Metric.taggedWithLabels\` built a new array — and a new, hashed \`MetricKey\` lookup — on every update. The label
   arrays are now kept per label set and updated with \`unsafeUpdate\`.
5. **Logger** (\`observability/logging.ts\`, \`redact.ts\`): one pass over the annotations; only strings are scrubbed, and the
   scrubber first runs one pre-filter regex (the substrings every credential pattern needs: \`bearer\`, \`sk-\`, \`token\`,
   \`://\`, ...) — paths, ids and statuses skip the five replacements (a property test checks the pre-filter never changes
   the result). Lines to stdout are written in batches (one \`write\` per event-loop turn or 64 KiB) and flushed when the
   logging layer is released (shutdown) and at process exit.
6. **\`POST\` handler** (\`http/handlers.ts\`): a flat chain instead of a generator, and its "incident created" line a
   \`LogRecord\` instead of an annotation scope.

Effect runtime steps per request, counted in-process with an op-counting \`Supervisor\` on the same (one-statement) store
before → after: GET by id 445 → 263, list 442 → 260, POST 593 → 412 (its investigation included); of the 263 of a GET,
about 20 are now the middleware and the log line, about 110 the store and about 135 HttpApi and the platform.

### Where the remaining API time goes

- **HttpApi itself sets the ceiling.** The HttpApi floor — the same contract on \`HttpApiBuilder\` with an in-memory map and
  no middleware, logging, store or investigations — reaches ${perRoute(apiRun, (k) => ratio(k, "floorOverBare"))} of the
  bare server in this run. Every HttpApi request runs in its own fiber with its own \`Scope\`, goes through the router, the
  contract's security middleware, Schema decoding of the path, query and body, Schema encoding of the response (the
  \`Incident\` class with its steps) and the platform's response writer: about 135 Effect runtime steps for a GET by id
  outside the store and the request middleware. Since ours / bare = ours / floor × floor / bare, 0.5x of bare needs
  ours / floor of at least ${perRoute(apiRun, (k) => needed(k))}, i.e. the store, the log line, the middleware and (POST)
  the investigation together could add at most ${perRoute(apiRun, (k) => allowance(k))} to the floor's CPU per request.
  Ours / floor in this run: ${perRoute(apiRun, (k) => ratio(k, "realOverFloor"))}. Where the floor itself is below 0.5x
  of bare the target cannot be met on HttpApi at all; elsewhere only with a store and a POST path that cost next to
  nothing.
- **What separates ours from the floor** (see the profiles above): the SQLite store (\`SqliteClient.js:55\` is better-sqlite3
  executing, plus \`@effect/sql\`'s statement cache and Schema decoding of the row — \`store/\`, not changed here), the log
  line (logging on / off: ${perRoute(apiRun, logCost)}), our middleware (a few % of busy CPU) and, on POST, the investigation
  that runs behind every request (below).
- **POST's background investigation** (\`investigation/\`, \`triage/\`; for the lead): with no LLM and no Kubernetes MCP
  server every POST still starts an investigation that runs three more statements (running, a note step, failed) and fails. In the POST profile,
  \`addSpanStackTrace\` and \`BaseEffectError\` are the spans of \`InvestigationRunner.investigate\`, \`Investigation.attempt\`,
  \`DiagnosisAgent.investigate\` and \`CreationSnapshot.capture\` capturing a stack trace each (fixed after this run:
  \`captureStackTrace: false\`) and a \`TriageUnavailable\`/\`AgentError\` built per incident; deciding "nothing to investigate
  with" once at start-up (and not queuing an investigation at all in that case) would take most of it off POST.
- **Running from TypeScript** (\`runtime\`/packaging, for the lead): the server runs through \`tsx\`, whose source-map
  support makes every \`Error\` stack that is formatted more expensive
  (\`node:internal/source_map/prepare_stack_trace\` in the profiles); a compiled build would drop that.
`
}

const ORCHESTRATION_FINDINGS = `### What was changed (issue #10), orchestration path

- **One fiber race less per model and tool call** (\`llm/LlmClient.ts\`, \`mcp/McpToolManager.ts\`, \`llm/deadline.ts\`): the
  per-attempt timeout was \`Effect.timeoutFail\`, which forks the call and a sleep into two fibers and races them — each
  fork copies the fiber's refs and context, which in the server hold the whole application. \`callWithDeadline\` now gives
  the call an \`AbortController\` that the fiber's interruption and a \`setTimeout\` both abort, and clears the timer as soon
  as the call settles (interruption still aborts the request, a timeout is still a retryable \`timeout\` error). Not
  \`AbortSignal.timeout\`: its timer cannot be cleared, and a timeout signal with listeners stays alive — with the
  request's abort listener and everything it references, ≈ 2 KiB per call — until it fires (\`LLM_TIMEOUT\` later).
  Fibers per investigation, counted with a \`Supervisor\`: 44 → 20. The call's bookkeeping (attempts, health counters)
  moved from \`Ref\`s and \`Effect.gen\` to plain locals. In a micro-benchmark (a call answering at once, 50 in flight)
  the whole wrapper around one call — this item and the next three — went from ≈ 125 µs to ≈ 50 µs of CPU.
- **Retry machinery only after a failure** (\`retryAfterFailure\` in \`llm/deadline.ts\`): \`Effect.retry\` builds its schedule
  driver (refs, clock reads) for every call; the LLM and tool calls now build it only when the first attempt fails, and
  the policy still decides on that first error (same attempts, delays, budget and \`Retry-After\` handling).
- **One info line per model call less**: \`llm: <operation> completed\` is now at \`debug\` (a \`LogRecord\`: no annotation
  scope); failures stay at \`warning\`. Every call is also a persisted step and a metric sample.
- **Spans without stack capture** on the LLM, tool and agent spans (\`captureStackTrace: false\`), and no spans at all when
  no exporter is configured (see the API section).
- **\`withStructuredOutput\` runnables built once** per schema, method and name instead of per structured call.
- The conclusion prompt's evidence is kept only up to what the prompt quotes (4,000 characters per output) instead of the
  full tool output for the whole investigation (the full output is in the evidence store).
- Filing the incidents and the harness's polling go through the lighter HTTP path of the API section.

### Where the remaining orchestration time goes

- The package table above sets ours against the baseline per step. What both do — LangGraph's Pregel loop,
  \`@langchain/core\` config merging and callbacks, \`langsmith\` run trees (built even with tracing off), the openai SDK,
  undici, \`crypto\` (run ids) — costs about the same on both sides, \`@langchain/core\` less in ours (our graph has two
  plain nodes instead of the prebuilt agent's \`ToolNode\` and callbacks). **What only ours does** is the difference: the
  \`effect\` runtime (the investigation fiber and one fiber per graph node, the runner, the store's effects), the SQLite
  store (\`@effect/sql-sqlite-node\`, \`@effect/sql\`, \`better-sqlite3\`: two or three statements per step — step, evidence,
  entities — plus the incident's own writes), Schema encoding of every step, the HTTP API (filing and polling), event
  publication and the log lines.
- **Store** (\`store/\`, for its owner): per step \`appendStep\` and \`putEvidence\` each run one statement through @effect/sql
  (statement compiler, prepared-statement cache, a span, a semaphore, Schema encoding of the step) — the
  \`@effect/sql-sqlite-node\`/\`@effect/sql\`/\`better-sqlite3\` rows of the table, plus a share of \`effect\` and GC. Writing a
  tool step and its evidence entry in one statement (one transaction per tool call instead of two), and encoding steps
  with \`JSON.stringify\` of already-validated data, are the next steps there.
- **Running from TypeScript**: \`node:source_map\` is ours only because the server runs through \`tsx\` (every formatted
  \`Error\` stack is source-mapped); a compiled build would drop it (runtime/packaging, for the lead).
- **Runner and agent** (\`investigation/\`, for the lead): the investigation's spans captured a stack trace each in this run (since fixed: no stack capture);
  \`InvestigationRunner\`/\`Investigation\` run \`Effect.annotateLogs\`/\`annotateSpans\` scopes per investigation (≈ 25
  runtime steps each) — cheap per investigation, not per step. The remaining per-step Effect cost is the graph node's
  \`Runtime.runPromise\` (a fiber per node) plus the store's effects.
- **Wall-clock overhead at N=1** is the same per-step work done sequentially: between a tool result and the next model
  call the server persists the tool step and its evidence, publishes the events and goes through LangGraph's tick and a
  new node fiber; on a loaded 2-CPU machine this single-investigation figure moves by ± 2 ms/step between runs (compare
  the two N=1 rows and the before/after table).
- **fetch's client**: importing \`@effect/platform-node\` loads the npm \`undici\` (7.x), which installs its \`Agent\` as the
  global dispatcher, so the openai SDK's \`fetch\` runs Node's fetch over npm undici in ours and over Node's bundled undici
  in the baseline; the table counts both as \`undici (fetch)\`.
- **RSS per in-flight investigation is garbage, not state.** Heap snapshots of both processes with 300 investigations in
  flight (200 ms LLM), minus a snapshot at idle: the live heap grows by ≈ 96 KiB per investigation in ours and ≈ 130 KiB
  in the baseline (the LangGraph message history, promises and closures dominate both). The RSS difference is V8 growing
  the heap for the garbage between collections: ours allocates more per step (effects and fibers, the store's rows and
  statements, Schema encoding of each step, the HTTP requests of filing and polling), so its peak sits higher. Every CPU
  saving above is also an allocation saving; V8 flags (a smaller young generation, \`--max-semi-space-size\`, in the start
  command — runtime/packaging) would trade GC CPU for RSS.
`
