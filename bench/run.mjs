#!/usr/bin/env node
/* eslint-disable security/detect-non-literal-fs-filename -- benchmark tooling: every path is chosen by the script itself */
/**
 * `npm run bench`: runs the API benchmark, the API profile, the orchestration benchmark, one profiled orchestration
 * run (0 ms LLM, N=50, under --cpu-prof) and the CLI start-up benchmark one after the other, then writes
 * docs/benchmarks.md and docs/benchmarks/*.svg from bench/results/.
 *
 * Usage: node bench/run.mjs [--quick] [--only api,profile,orchestration,orchestration-profile,cli] [--report-only]
 * A step that fails is reported in the document; the others still run.
 */
import { spawn } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { loadavg } from "node:os"
import { parseArgs, resultsDir, root, writeResult } from "./lib/common.mjs"
import { writeReport } from "./lib/report.mjs"

const args = parseArgs()
const quick = args.quick === true
const only =
  args.only !== undefined
    ? String(args.only).split(",")
    : ["api", "profile", "orchestration", "orchestration-profile", "replicas", "cli"]

/** Runs a node script, streaming its output; resolves with { code, stdout }. */
const run = (argv, { capture = false } = {}) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, argv, {
      cwd: root,
      stdio: ["ignore", capture ? "pipe" : "inherit", "inherit"]
    })
    let stdout = ""
    child.stdout?.on("data", (d) => {
      stdout += d
      process.stdout.write(d)
    })
    child.on("exit", (code) => resolve({ code, stdout }))
  })

const parseCliTable = (text) => {
  const rows = []
  for (const line of text.split("\n")) {
    const m = /^(node -e 0|sre [^\d]+?)\s{2,}([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$/.exec(line)
    if (m) rows.push({ name: m[1].trim(), median: Number(m[2]), p90: Number(m[3]), ratio: Number(m[4]) })
  }
  return rows
}

const steps = {}
const flag = quick ? ["--quick"] : []
if (!args["report-only"]) {
  process.stdout.write(
    `bench: ${only.join(", ")}${quick ? " (quick)" : ""}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}\n`
  )
  if (only.includes("api")) {
    const r = await run(["bench/api/run.mjs", ...flag])
    steps.api = r.code === 0 ? { ok: true } : { ok: false, reason: `bench/api/run.mjs exited ${r.code}` }
  }
  if (only.includes("profile")) {
    const r = await run(["bench/api/profile.mjs", ...flag])
    steps.profile = r.code === 0 ? { ok: true } : { ok: false, reason: `bench/api/profile.mjs exited ${r.code}` }
  }
  if (only.includes("orchestration")) {
    const r = await run(["bench/orchestration/run.mjs", ...flag])
    steps.orchestration =
      r.code === 0 ? { ok: true } : { ok: false, reason: `bench/orchestration/run.mjs exited ${r.code}` }
  }
  if (only.includes("orchestration-profile")) {
    const r = await run(["bench/orchestration/run.mjs", "--n", "50", "--latency", "0", "--cpu-prof"])
    steps["orchestration-profile"] =
      r.code === 0 ? { ok: true } : { ok: false, reason: `bench/orchestration/run.mjs --cpu-prof exited ${r.code}` }
  }
  if (only.includes("replicas")) {
    // tsx: the script takes the throwaway PostgreSQL cluster from the test kit's TypeScript source
    const r = await run(["--import", "tsx", "bench/orchestration/replicas.mjs", ...flag])
    steps.replicas =
      r.code === 0 ? { ok: true } : { ok: false, reason: `bench/orchestration/replicas.mjs exited ${r.code}` }
  }
  if (only.includes("cli")) {
    const runs = quick ? 5 : 20
    const r = await run(["bench/cli-startup/run.mjs", "--runs", String(runs)], { capture: true })
    const rows = parseCliTable(r.stdout)
    // exit code 1 means "target not met", which the report shows; no rows means it did not run
    if (rows.length > 0) {
      writeResult("cli-startup", { runs, rows, exitCode: r.code })
      steps.cli = { ok: true }
    } else steps.cli = { ok: false, reason: `bench/cli-startup/run.mjs exited ${r.code} without results` }
  }
  writeFileSync(join(resultsDir, "steps.json"), JSON.stringify(steps, null, 2))
}
const file = await writeReport({ steps })
process.stdout.write(`\nwrote ${file}\n`)
