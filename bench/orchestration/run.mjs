#!/usr/bin/env node
/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Orchestration benchmark: N investigations (N = 1, 50, 500) filed through the API of the real server, with the test
 * kit's mock LLM (`--auto-rounds 5`, 0 ms and 200 ms latency) and the test MCP server over stdio as the only MCP
 * server; and, in the same run against the same mock, the baseline: the same LangGraph agent driven by a bare script
 * (bench/orchestration/baseline.ts), N concurrent.
 *
 * Measures investigations/s, makespan, per-step orchestration overhead (wall time of the investigations minus the
 * time inside LLM calls — from the mock's recorded receivedAt/finishedAt — and tool calls — from the steps'
 * duration_ms, or LangChain's tool callbacks for the baseline — divided by LLM + tool calls), peak RSS (VmRSS polled
 * every 20 ms), RSS per in-flight investigation ((peak − RSS just before) / N), event-loop delay p99 when /metrics
 * exposes it. Both sides are fresh processes for each (latency, N) and each does one unmeasured warm-up
 * investigation first. Our server runs with MAX_CONCURRENT_INVESTIGATIONS = max(64, N) so that, like the baseline,
 * all N are in flight at once.
 *
 * Usage: node bench/orchestration/run.mjs [--quick] [--n 1,50,500] [--latency 0,200] [--cpu-prof] [--result name]
 * `--cpu-prof` also profiles our server during the measured phase (writes "profile" into each run's result, and the
 * profile of the last run with its figures into bench/results/profile-orchestration.json for the report).
 * Writes bench/results/<name>.json: `orchestration` by default, `orchestration-cpu-prof` with `--cpu-prof` (figures
 * under the profiler are not the benchmark's).
 */
import { spawn } from "node:child_process"
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { summariseProfile } from "../lib/cpuprofile.mjs"
import { createInterface } from "node:readline"
import {
  fmt,
  fmtRatio,
  mib,
  parseArgs,
  pollRss,
  ratio,
  readCpuMs,
  readRss,
  resultsDir,
  root,
  sleep,
  stopAllChildren,
  sum,
  waitForQuiet,
  writeResult
} from "../lib/common.mjs"
import { startMockLlmProcess, startRealServer, testMcpConfigYaml } from "../lib/servers.mjs"

const args = parseArgs()
const ns = String(args.n ?? (args.quick ? "1,50" : "1,50,500"))
  .split(",")
  .map(Number)
const latencies = String(args.latency ?? "0,200")
  .split(",")
  .map(Number)
const TOOL_ROUNDS = 5
const TERMINAL = new Set(["completed", "failed"])

const mockRequests = async (llmUrl) => {
  const base = llmUrl.replace(/\/v1$/, "")
  const res = await fetch(`${base}/_mock/requests`)
  const body = await res.json()
  return body.requests.filter((r) => r.path.endsWith("/chat/completions"))
}
const mockReset = async (llmUrl) => {
  const base = llmUrl.replace(/\/v1$/, "")
  await fetch(`${base}/_mock/reset`, { method: "POST" })
}
const llmStats = (requests) => {
  const durations = requests
    .filter((r) => r.finishedAt !== undefined && r.finishedAt !== null)
    .map((r) => r.finishedAt - r.receivedAt)
  return { calls: requests.length, ms: sum(durations), errors: requests.filter((r) => r.status !== 200).length }
}

/** Event-loop delay p99 in ms from /metrics, when the server exposes one; else undefined. */
const eventLoopP99 = async (url) => {
  try {
    const res = await fetch(`${url}/metrics`)
    if (!res.ok) return undefined
    const text = await res.text()
    for (const line of text.split("\n")) {
      if (line.startsWith("#")) continue
      if (/event_?loop/i.test(line) && /(p99|0\.99|quantile="0\.99")/.test(line)) {
        const v = Number(line.trim().split(/\s+/).at(-1))
        if (Number.isFinite(v)) return /seconds/.test(line) ? v * 1000 : v
      }
    }
  } catch {
    // no metrics
  }
  return undefined
}

const postOnce = (url, i) =>
  fetch(`${url}/api/v1/incidents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ description: `bench incident ${i}: pod web-${i} is crash-looping in namespace shop` })
  }).then(async (r) => {
    if (r.status !== 202) throw new Error(`POST status ${r.status}: ${await r.text()}`)
    return (await r.json()).incident_id
  })

/** Files one incident (up to 3 attempts: a busy 2-CPU machine occasionally resets a connection). */
const post = async (url, i) => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await postOnce(url, i)
    } catch (e) {
      if (attempt >= 3) throw e
      await sleep(100 * attempt)
    }
  }
}

/** Files N incidents with at most `width` requests in flight (like a client pool), returns their ids in order. */
const fileAll = async (url, n, width = 32) => {
  const ids = new Array(n)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) {
        const i = next++
        ids[i] = await post(url, i)
      }
    })
  )
  return ids
}

const getIncident = async (url, id) => (await fetch(`${url}/api/v1/incidents/${id}`)).json()

/** Whether any incident is still pending or running (two one-row page queries; cheaper than /health's checks). */
const anyUnfinished = async (url) => {
  for (const status of ["pending", "running"]) {
    const page = await (await fetch(`${url}/api/v1/incidents?status=${status}&limit=1`)).json()
    if (page.items.length > 0) return true
  }
  return false
}

/** Waits (bounded) until every incident is terminal, polling every 50 ms; returns them. */
const waitAllDone = async (url, ids, timeoutMs) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && (await anyUnfinished(url))) await sleep(50)
  const incidents = []
  for (const id of ids) {
    const inc = await getIncident(url, id)
    if (TERMINAL.has(inc.status)) incidents.push(inc)
  }
  return incidents
}

const runOurs = async (llmUrl, n, latencyMs) => {
  const profDir = args["cpu-prof"] ? mkdtempSync(join(tmpdir(), "sre-bench-oprof-")) : undefined
  let window
  const server = await startRealServer({
    nodeArgs: profDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", profDir] : [],
    mcpConfig: testMcpConfigYaml(),
    env: {
      LLM_BASE_URL: llmUrl,
      LLM_API_KEY: "x",
      LLM_MODEL: "mock",
      MAX_CONCURRENT_INVESTIGATIONS: String(Math.max(64, n)),
      AGENT_MAX_STEPS: "15"
    }
  })
  try {
    // warm-up investigation (JIT, MCP connection), not measured
    const warm = await post(server.url, -1)
    const [warmIncident] = await waitAllDone(server.url, [warm], 60_000)
    const warmRequests = await mockRequests(llmUrl)
    const agentWired = warmRequests.length > 0
    await mockReset(llmUrl)
    await sleep(200)
    const idleRss = readRss(server.pid).rss
    const rss = pollRss(server.pid, 20)
    const cpu0 = readCpuMs(server.pid)
    const t0 = Date.now()
    const ids = await fileAll(server.url, n)
    const incidents = await waitAllDone(server.url, ids, 120_000 + n * (latencyMs + 50) * 10)
    const { peak } = rss.stop()
    const cpuMs = readCpuMs(server.pid) - cpu0
    const loadEnd = Date.now()
    const elp99 = await eventLoopP99(server.url)
    const requests = await mockRequests(llmUrl)
    await mockReset(llmUrl)
    const finishedAt = Math.max(...incidents.map((i) => Date.parse(i.completed_at ?? i.updated_at)))
    const makespanMs = finishedAt - t0
    const wallMs = sum(incidents.map((i) => Date.parse(i.completed_at ?? i.updated_at) - Date.parse(i.created_at)))
    const toolSteps = incidents.flatMap((i) => i.investigation_steps.filter((s) => s.tool_name !== undefined))
    const toolMs = sum(toolSteps.map((s) => s.duration_ms ?? 0))
    const llm = llmStats(requests)
    const steps = llm.calls + toolSteps.length
    let profile
    if (profDir !== undefined) {
      await server.stop()
      const exitAt = Date.now()
      window = { fromEndMs: exitAt - t0, toEndMs: exitAt - loadEnd }
      const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"))
      if (file !== undefined) {
        mkdirSync(join(resultsDir, "profiles"), { recursive: true })
        const kept = join(resultsDir, "profiles", `orchestration-${latencyMs}ms-n${n}.cpuprofile`)
        copyFileSync(join(profDir, file), kept)
        const sm = summariseProfile(kept, { top: 20, window })
        profile = {
          file: kept,
          busyMs: sm.busyMs,
          idleMs: sm.idleMs,
          categories: sm.categories,
          packages: sm.packages,
          topSelf: sm.topSelf
        }
        process.stderr.write(
          `[orchestration] profile: busy ${fmt(sm.busyMs)} ms = ${fmt(sm.busyMs / Math.max(1, steps), 2)} ms CPU per step\n`
        )
        for (const c of sm.categories.slice(0, 10))
          process.stderr.write(`  ${fmt(c.pct, 1).padStart(5)}%  ${c.category}\n`)
        for (const t of sm.topSelf.slice(0, 12)) process.stderr.write(`  ${fmt(t.pct, 1).padStart(5)}%  ${t.fn}\n`)
      }
    }
    return {
      profile,
      cpuMs,
      cpuMsPerStep: cpuMs / Math.max(1, steps),
      agentWired,
      warmStatus: warmIncident?.status,
      warmConcludedBy: warmIncident?.concluded_by,
      completed: incidents.filter((i) => i.status === "completed").length,
      failed: incidents.filter((i) => i.status === "failed").length,
      missing: n - incidents.length,
      firstError: incidents.find((i) => i.status === "failed")?.error_message?.slice(0, 200),
      makespanMs,
      perSecond: (n * 1000) / makespanMs,
      llmCalls: llm.calls,
      llmCallsPerInvestigation: llm.calls / n,
      llmErrors: llm.errors,
      toolCalls: toolSteps.length,
      llmMs: llm.ms,
      toolMs,
      wallMs,
      overheadPerStepMs: (wallMs - llm.ms - toolMs) / Math.max(1, steps),
      idleRss,
      peakRss: peak,
      rssPerInFlight: (peak - idleRss) / n,
      eventLoopP99Ms: elp99
    }
  } finally {
    await server.stop()
  }
}

const runBaseline = async (llmUrl, n, latencyMs) => {
  // with --cpu-prof the baseline is profiled too, so that the report can set both profiles side by side
  const profDir = args["cpu-prof"] ? mkdtempSync(join(tmpdir(), "sre-bench-bprof-")) : undefined
  const child = spawn(
    process.execPath,
    [
      ...(profDir !== undefined ? ["--cpu-prof", "--cpu-prof-dir", profDir] : []),
      "--import",
      "tsx",
      `${root}/bench/orchestration/baseline.ts`,
      "--llm",
      llmUrl,
      "--n",
      String(n)
    ],
    {
      cwd: root,
      stdio: ["pipe", "pipe", "inherit"]
    }
  )
  const exited = new Promise((resolve) => child.once("exit", resolve))
  let window
  const lines = createInterface({ input: child.stdout })
  const next = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("baseline timed out")), 300_000)
      lines.once("line", (l) => {
        clearTimeout(timer)
        resolve(l)
      })
      child.once("exit", (code) => reject(new Error(`baseline exited ${code}`)))
    })
  try {
    const ready = await next()
    if (!ready.startsWith("ready")) throw new Error(`baseline: ${ready}`)
    await mockReset(llmUrl)
    await sleep(200)
    const idleRss = readRss(child.pid).rss
    const rss = pollRss(child.pid, 20)
    const cpu0 = readCpuMs(child.pid)
    const t0 = Date.now()
    child.stdin.write("go\n")
    const out = JSON.parse(await next())
    const cpuMs = readCpuMs(child.pid) - cpu0
    window = { t0, t1: Date.now() }
    const { peak } = rss.stop()
    const requests = await mockRequests(llmUrl)
    await mockReset(llmUrl)
    const llm = llmStats(requests)
    const wallMs = sum(out.perInvestigation.map((p) => p.finishedAt - p.startedAt))
    const steps = llm.calls + out.toolCalls
    return {
      cpuMs,
      cpuMsPerStep: cpuMs / Math.max(1, llm.calls + out.toolCalls),
      completed: out.completed,
      failed: out.failed,
      firstError: out.firstError,
      makespanMs: out.makespanMs,
      perSecond: (n * 1000) / out.makespanMs,
      llmCalls: llm.calls,
      llmCallsPerInvestigation: llm.calls / n,
      llmErrors: llm.errors,
      toolCalls: out.toolCalls,
      llmMs: llm.ms,
      toolMs: out.toolMs,
      wallMs,
      overheadPerStepMs: (wallMs - llm.ms - out.toolMs) / Math.max(1, steps),
      idleRss,
      peakRss: peak,
      rssPerInFlight: (peak - idleRss) / n,
      profile: profDir !== undefined ? await baselineProfile(profDir, exited, window, latencyMs, n, steps) : undefined
    }
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM")
  }
}

/** Waits for the baseline to exit on its own (the profile is written at exit) and summarises the measured phase. */
const baselineProfile = async (profDir, exited, window, latencyMs, n, steps) => {
  await Promise.race([exited, sleep(15_000)])
  const exitAt = Date.now()
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"))
  if (file === undefined || window === undefined) return undefined
  mkdirSync(join(resultsDir, "profiles"), { recursive: true })
  const kept = join(resultsDir, "profiles", `baseline-${latencyMs}ms-n${n}.cpuprofile`)
  copyFileSync(join(profDir, file), kept)
  const sm = summariseProfile(kept, { top: 20, window: { fromEndMs: exitAt - window.t0, toEndMs: exitAt - window.t1 } })
  process.stderr.write(
    `[orchestration] baseline profile: busy ${fmt(sm.busyMs)} ms = ${fmt(sm.busyMs / Math.max(1, steps), 2)} ms CPU per step\n`
  )
  return {
    file: kept,
    busyMs: sm.busyMs,
    idleMs: sm.idleMs,
    categories: sm.categories,
    packages: sm.packages,
    topSelf: sm.topSelf
  }
}

const main = async () => {
  const load = await waitForQuiet(1.5, args.quick ? 5_000 : 30_000)
  const runs = []
  const failures = []
  let pendingAgent = false
  for (const latencyMs of latencies) {
    const llm = await startMockLlmProcess({ toolRounds: TOOL_ROUNDS, latencyMs })
    try {
      for (const n of ns) {
        process.stderr.write(`[orchestration] latency ${latencyMs} ms, N=${n}: baseline\n`)
        let baseline
        let ours
        try {
          baseline = await runBaseline(llm.url, n, latencyMs)
          process.stderr.write(`[orchestration] latency ${latencyMs} ms, N=${n}: ours\n`)
          ours = await runOurs(llm.url, n, latencyMs)
        } catch (e) {
          process.stderr.write(`[orchestration] latency ${latencyMs} ms, N=${n} failed: ${e.stack ?? e}\n`)
          failures.push({ latencyMs, n, error: String(e.message ?? e) })
          await mockReset(llm.url).catch(() => {})
          continue
        }
        if (!ours.agentWired) pendingAgent = true
        const r = {
          latencyMs,
          n,
          ours,
          baseline,
          ratios: {
            throughput: ratio(ours.perSecond, baseline.perSecond),
            makespan: ratio(ours.makespanMs, baseline.makespanMs),
            rssPerInFlight: ratio(ours.rssPerInFlight, baseline.rssPerInFlight),
            peakRss: ratio(ours.peakRss, baseline.peakRss),
            cpuPerStep: ratio(ours.cpuMsPerStep, baseline.cpuMsPerStep)
          },
          cpuOverheadPerStepMs: ours.cpuMsPerStep - baseline.cpuMsPerStep
        }
        runs.push(r)
        process.stderr.write(
          `[orchestration] latency ${latencyMs} N=${n}: ours ${fmt(ours.perSecond, 1)}/s makespan ${fmt(ours.makespanMs)} ms ` +
            `(${ours.completed} ok, ${ours.failed} failed, ${fmt(ours.llmCallsPerInvestigation, 1)} LLM calls each, overhead ${fmt(ours.overheadPerStepMs, 2)} ms/step, ` +
            `RSS +${fmt(mib(ours.peakRss - ours.idleRss), 1)} MiB) | baseline ${fmt(baseline.perSecond, 1)}/s makespan ${fmt(baseline.makespanMs)} ms ` +
            `(${fmt(baseline.llmCallsPerInvestigation, 1)} LLM calls, overhead ${fmt(baseline.overheadPerStepMs, 2)} ms/step, RSS +${fmt(mib(baseline.peakRss - baseline.idleRss), 1)} MiB) ` +
            `| CPU/step ours ${fmt(ours.cpuMsPerStep, 2)} ms, baseline ${fmt(baseline.cpuMsPerStep, 2)} ms | throughput ratio ${fmtRatio(r.ratios.throughput)}${ours.agentWired ? "" : " [PENDING AGENT: the server made no LLM call]"}\n`
        )
      }
    } finally {
      await llm.stop()
    }
  }
  const lines = [
    `Orchestration: ${TOOL_ROUNDS} tool rounds per investigation, load avg at start ${load.toFixed(2)}${pendingAgent ? " — PENDING AGENT (LLM agent not wired into the server)" : ""}`
  ]
  lines.push(
    "latency    N   ours inv/s  base inv/s  ratio  ours makespan  base makespan  ours ms/step  base ms/step  RSS/inflight ours  base  ratio  EL p99"
  )
  for (const r of runs) {
    lines.push(
      [
        `${r.latencyMs}ms`.padStart(7),
        String(r.n).padStart(5),
        fmt(r.ours.perSecond, 1).padStart(12),
        fmt(r.baseline.perSecond, 1).padStart(11),
        fmtRatio(r.ratios.throughput).padStart(7),
        `${fmt(r.ours.makespanMs)} ms`.padStart(15),
        `${fmt(r.baseline.makespanMs)} ms`.padStart(15),
        fmt(r.ours.overheadPerStepMs, 2).padStart(14),
        fmt(r.baseline.overheadPerStepMs, 2).padStart(14),
        `${fmt(mib(r.ours.rssPerInFlight), 2)} MiB`.padStart(19),
        `${fmt(mib(r.baseline.rssPerInFlight), 2)}`.padStart(6),
        fmtRatio(r.ratios.rssPerInFlight).padStart(7),
        r.ours.eventLoopP99Ms !== undefined ? `${fmt(r.ours.eventLoopP99Ms, 1)} ms`.padStart(8) : "n/a".padStart(8)
      ].join("")
    )
  }
  process.stdout.write(lines.join("\n") + "\n")
  const profiled = runs.filter((r) => r.ours.profile !== undefined).at(-1)
  if (profiled !== undefined) {
    const steps = profiled.ours.llmCalls + profiled.ours.toolCalls
    const file = writeResult("profile-orchestration", {
      latencyMs: profiled.latencyMs,
      n: profiled.n,
      steps,
      ours: { perSecond: profiled.ours.perSecond, makespanMs: profiled.ours.makespanMs },
      baseline: {
        perSecond: profiled.baseline.perSecond,
        makespanMs: profiled.baseline.makespanMs,
        steps: profiled.baseline.llmCalls + profiled.baseline.toolCalls
      },
      profile: profiled.ours.profile,
      baselineProfile: profiled.baseline.profile,
      loadAtStart: load
    })
    process.stderr.write(`[orchestration] wrote ${file}\n`)
  }
  const resultName = String(args.result ?? (args["cpu-prof"] ? "orchestration-cpu-prof" : "orchestration"))
  const file = writeResult(resultName, {
    toolRounds: TOOL_ROUNDS,
    ns,
    latencies,
    loadAtStart: load,
    pendingAgent,
    runs,
    failures
  })
  process.stderr.write(`[orchestration] wrote ${file}\n`)
}

main()
  .catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`)
    process.exitCode = 1
  })
  .finally(() => stopAllChildren())
