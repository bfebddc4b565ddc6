/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Shared helpers of the benchmarks: free ports, child servers with readiness checks, RSS polling, autocannon runs,
 * machine description and result files. Everything is loopback-only and every wait is bounded.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync, openSync, closeSync } from "node:fs"
import { createServer } from "node:net"
import { cpus, totalmem, loadavg } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
export const resultsDir = join(root, "bench", "results")

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Parses `--flag`, `--key value` command-line arguments. */
export const parseArgs = (argv = process.argv.slice(2)) => {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) continue
    const key = a.slice(2)
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith("--")) {
      out[key] = next
      i++
    } else out[key] = true
  }
  return out
}

export const freePort = () =>
  new Promise((done, fail) => {
    const srv = createServer()
    srv.on("error", fail)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => done(port))
    })
  })

/** Polls `url` until it answers 2xx (bounded by `timeoutMs`). */
export const waitHttpOk = async (url, timeoutMs = 60_000, child) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child !== undefined && child.exitCode !== null)
      throw new Error(`process exited (${child.exitCode}) before ${url} answered`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      if (res.ok) {
        await res.arrayBuffer()
        return
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`)
    await sleep(100)
  }
}

/**
 * Starts a child process whose stdout/stderr go to files (or /dev/null), returns a handle with `stop()` that sends
 * SIGTERM, then SIGKILL after `killAfterMs`.
 */
export const startChild = (command, args, { env = {}, cwd = root, stdoutFile = "/dev/null", stderrFile } = {}) => {
  const out = openSync(stdoutFile, "a")
  const err = stderrFile !== undefined ? openSync(stderrFile, "a") : out
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", out, err] })
  closeSync(out)
  if (err !== out) closeSync(err)
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })))
  const stop = async (killAfterMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs)
    const r = await exited
    clearTimeout(timer)
    return r
  }
  children.add(stop)
  exited.then(() => children.delete(stop))
  return { child, pid: child.pid, stop, exited }
}
const children = new Set()
/** Stops every child still running (call on exit paths). */
export const stopAllChildren = async () => {
  await Promise.all([...children].map((stop) => stop(3_000)))
}
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    void stopAllChildren().finally(() => process.exit(130))
  })
}

/** VmRSS / VmHWM of a process in bytes (0 when it is gone). */
export const readRss = (pid) => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (match) => Number(match?.[1] ?? 0) * 1024
    return { rss: kb(/VmRSS:\s+(\d+)/.exec(status)), hwm: kb(/VmHWM:\s+(\d+)/.exec(status)) }
  } catch {
    return { rss: 0, hwm: 0 }
  }
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100
/** CPU time (user + system) of a process so far, in ms (0 when it is gone). */
export const readCpuMs = (pid) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return 0
  }
}

/** Polls the RSS of `pid` every `everyMs`; `stop()` returns { peak, samples, baseline }. */
export const pollRss = (pid, everyMs = 20, sampleFn) => {
  let peak = 0
  const samples = []
  const timer = setInterval(() => {
    const { rss } = readRss(pid)
    if (rss > peak) peak = rss
    samples.push({ t: Date.now(), rss, extra: sampleFn?.() })
  }, everyMs)
  timer.unref()
  return {
    stop: () => {
      clearInterval(timer)
      return { peak, samples }
    }
  }
}

export const quantile = (values, q) => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[idx]
}
export const median = (values) => quantile(values, 0.5)
export const sum = (values) => values.reduce((a, b) => a + b, 0)

/** Describes the machine for the report. */
export const machine = () => {
  const nproc = spawnSync("nproc", [], { encoding: "utf8" }).stdout?.trim() || String(cpus().length)
  return {
    nproc: Number(nproc),
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadavg: loadavg().map((l) => Math.round(l * 100) / 100)
  }
}

export const writeResult = (name, data) => {
  mkdirSync(resultsDir, { recursive: true })
  const file = join(resultsDir, `${name}.json`)
  writeFileSync(file, JSON.stringify({ ...data, writtenAt: new Date().toISOString(), machine: machine() }, null, 2))
  return file
}

export const readResult = (name) => {
  try {
    return JSON.parse(readFileSync(join(resultsDir, `${name}.json`), "utf8"))
  } catch {
    return undefined
  }
}

export const fmt = (n, digits = 0) =>
  n === undefined || n === null || Number.isNaN(n)
    ? "n/a"
    : Number(n).toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
export const ratio = (a, b) => (a > 0 && b > 0 ? a / b : NaN)
export const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : "n/a")
export const mib = (bytes) => bytes / 1024 / 1024

/** Waits until the 1-minute load average drops below `max` (bounded), returns the load seen. */
export const waitForQuiet = async (max = 1.5, timeoutMs = 60_000) => {
  const deadline = Date.now() + timeoutMs
  while (loadavg()[0] > max && Date.now() < deadline) await sleep(2_000)
  return loadavg()[0]
}
