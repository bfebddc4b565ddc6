/**
 * Shared helpers of the fault and load tests: free ports, the real server process, HTTP polling, MCP configuration
 * files and memory sampling. Everything here talks to real processes over real sockets.
 */
import { testMcpStdioServerConfig } from "@sre/testkit"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))
export const quotaScenario = join(repoRoot, "packages/sandbox/scenarios/resourcequota-exceeded-scale-up.json")

/** The states an investigation ends in. */
export const TERMINAL: ReadonlyArray<string> = ["completed", "failed"]
export const isTerminal = (status: string): boolean => TERMINAL.includes(status)

/** The fields of an incident these tests look at. */
export interface IncidentView {
  readonly id: string
  readonly status: string
  readonly description: string
  readonly concluded_by?: string
  readonly suggested_root_cause?: string
  readonly error_message?: string
  readonly llm_usage?: { readonly calls: number }
  readonly investigation_steps: ReadonlyArray<{ readonly kind: string; readonly reasoning?: string }>
}

/** The fields of `/health` these tests look at. */
export interface HealthView {
  readonly status: string
  readonly investigations: { readonly running: number; readonly queued: number; readonly max_concurrent: number }
  readonly dependencies: ReadonlyArray<{
    readonly name: string
    readonly kind: string
    readonly status: string
    readonly detail?: string
  }>
}

interface PageView {
  readonly items: ReadonlyArray<{ readonly id: string; readonly status: string }>
  readonly next_cursor: string | null
}

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix))

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export const freePort = (): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port"))))
    })
  })

export const getJson = async <A>(url: string): Promise<A> => {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000) })
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`)
  return (await res.json()) as A
}

/** Posts one incident; returns the HTTP status, the id when accepted and the Retry-After header. */
export const postIncident = async (
  base: string,
  description: string
): Promise<{ readonly status: number; readonly id?: string; readonly retryAfter: string | null }> => {
  const res = await fetch(`${base}/api/v1/incidents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ description })
  })
  const retryAfter = res.headers.get("retry-after")
  if (res.status === 202) {
    const body = (await res.json()) as { incident_id: string }
    return { status: res.status, id: body.incident_id, retryAfter }
  }
  await res.arrayBuffer()
  return { status: res.status, retryAfter }
}

export const getIncident = (base: string, id: string): Promise<IncidentView> =>
  getJson<IncidentView>(`${base}/api/v1/incidents/${id}`)

/** Polls until `done` holds (or throws after `timeoutMs`); returns the last value. */
export const pollUntil = async <A>(
  what: string,
  read: () => Promise<A>,
  done: (a: A) => boolean,
  timeoutMs: number,
  intervalMs = 200
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let value: A | undefined
    try {
      value = await read()
    } catch {
      value = undefined
    }
    if (value !== undefined && done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

/** Polls until every incident is terminal or `timeoutMs` passed; returns the last views (stuck ones included). */
export const pollIncidents = async (
  base: string,
  ids: ReadonlyArray<string>,
  timeoutMs: number
): Promise<ReadonlyArray<IncidentView>> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const last = await Promise.all(ids.map((id) => getIncident(base, id)))
    if (last.every((i) => isTerminal(i.status)) || Date.now() > deadline) return last
    await sleep(300)
  }
}

/** Waits until every incident is terminal; returns them (throws naming the stuck ones on timeout). */
export const awaitTerminal = async (
  base: string,
  ids: ReadonlyArray<string>,
  timeoutMs: number
): Promise<ReadonlyArray<IncidentView>> => {
  const deadline = Date.now() + timeoutMs
  let last: ReadonlyArray<IncidentView> = []
  for (;;) {
    last = await Promise.all(ids.map((id) => getIncident(base, id)))
    if (last.every((i) => isTerminal(i.status))) return last
    if (Date.now() > deadline) {
      const stuck = last.filter((i) => !isTerminal(i.status)).map((i) => `${i.id}=${i.status}`)
      throw new Error(`${stuck.length} incident(s) not terminal after ${timeoutMs} ms: ${stuck.slice(0, 5).join(", ")}`)
    }
    await sleep(300)
  }
}

/** Every incident of the server, following the cursor (optionally of one status). */
export const listAll = async (
  base: string,
  status?: string
): Promise<ReadonlyArray<{ readonly id: string; readonly status: string }>> => {
  const out: Array<{ readonly id: string; readonly status: string }> = []
  let cursor: string | null = null
  for (let page = 0; page < 1000; page++) {
    const query = new URLSearchParams({ limit: "100" })
    if (status !== undefined) query.set("status", status)
    if (cursor !== null) query.set("cursor", cursor)
    const body: PageView = await getJson<PageView>(`${base}/api/v1/incidents?${query.toString()}`)
    out.push(...body.items)
    cursor = body.next_cursor
    if (cursor === null) return out
  }
  throw new Error("too many pages")
}

/** Counts of statuses. */
export const tally = (statuses: ReadonlyArray<string>): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// MCP configuration files
// ---------------------------------------------------------------------------------------------------------------

/** An `mcp_config.yaml` without servers (investigations are LLM-only). JSON is valid YAML. */
export const writeNoMcpConfig = (dir: string): string => {
  const path = join(dir, "mcp_config.yaml")
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp dir of this test, or /proc
  writeFileSync(path, JSON.stringify({ servers: {} }))
  return path
}

/**
 * An `mcp_config.yaml` with the testkit's read-only MCP server over stdio (a real child process, named `testmcp`, so
 * the Kubernetes triage is skipped and the LLM agent calls its tools).
 */
export const writeTestMcpConfig = (dir: string): string => {
  const stdio = testMcpStdioServerConfig({})
  const path = join(dir, "mcp_config.yaml")
  writeFileSync(
    path,
    JSON.stringify({
      servers: {
        testmcp: { transport: "stdio", command: stdio.command, args: stdio.args, cwd: stdio.cwd, timeout: "30s" }
      }
    })
  )
  return path
}

// ---------------------------------------------------------------------------------------------------------------
// The real server process
// ---------------------------------------------------------------------------------------------------------------

/** Starts `packages/server/src/main.ts` as a child process with the given environment over sane defaults. */
export const startServerProcess = (env: Readonly<Record<string, string>>): ChildProcess => {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "packages/server/src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: "error",
      LLM_BASE_URL: "",
      RATE_LIMIT_PER_MINUTE: "1000000",
      RATE_LIMIT_BURST: "1000000",
      ...env
    },
    stdio: ["ignore", "ignore", "pipe"]
  })
  // keep the last stderr lines for failure messages, and drain the pipe so the child never blocks on it
  const lines: Array<string> = []
  child.stderr?.setEncoding("utf8")
  child.stderr?.on("data", (chunk: string) => {
    lines.push(...chunk.split("\n").filter((l) => l.trim() !== ""))
    if (lines.length > 50) lines.splice(0, lines.length - 50)
  })
  stderrTails.set(child, lines)
  return child
}

const stderrTails = new WeakMap<ChildProcess, Array<string>>()

/** The last lines the child wrote on stderr. */
export const stderrTail = (child: ChildProcess): string => (stderrTails.get(child) ?? []).join("\n")

export const isAlive = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null

export const exited = (child: ChildProcess): Promise<void> =>
  isAlive(child) ? new Promise<void>((resolve) => child.once("exit", () => resolve())) : Promise.resolve()

/** Stops a child (SIGTERM, then SIGKILL after `graceMs`) and waits for it; a no-op when it already exited. */
export const stopProcess = async (child: ChildProcess, graceMs = 5_000): Promise<void> => {
  if (!isAlive(child)) return
  const done = exited(child)
  child.kill("SIGTERM")
  const timer = setTimeout(() => {
    if (isAlive(child)) child.kill("SIGKILL")
  }, graceMs)
  await done
  clearTimeout(timer)
}

export const waitHealthy = async (base: string, child?: ChildProcess, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child !== undefined && !isAlive(child)) throw new Error(`server exited during start-up:\n${stderrTail(child)}`)
    try {
      // a per-request timeout: a request accepted while the server is still starting is never answered (see
      // startup-window.test.ts), so a plain fetch here could hang for minutes
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1_000) })
      await res.arrayBuffer()
      if (res.ok) return
    } catch {
      // not up yet
    }
    await sleep(100)
  }
  throw new Error(`server did not become healthy within ${timeoutMs} ms`)
}

// ---------------------------------------------------------------------------------------------------------------
// Processes and memory
// ---------------------------------------------------------------------------------------------------------------

/** VmRSS of a process in bytes (from /proc), or undefined when it is gone. */
export const rssBytes = (pid: number): number | undefined => {
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp dir of this test, or /proc
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match?.[1] !== undefined ? Number(match[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

/** Samples a process's RSS every `intervalMs`; `stop()` returns the peak in bytes. */
export const sampleRss = (pid: number, intervalMs = 100): { readonly stop: () => number } => {
  let peak = rssBytes(pid) ?? 0
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid) ?? 0)
  }, intervalMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, rssBytes(pid) ?? 0)
    }
  }
}

export const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`

/** PIDs whose command line contains every given fragment (a /proc scan; Linux only). */
export const findPids = (...fragments: ReadonlyArray<string>): ReadonlyArray<number> => {
  const out: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // eslint-disable-next-line security/detect-non-literal-fs-filename -- a temp dir of this test, or /proc
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ")
      if (fragments.every((f) => cmdline.includes(f))) out.push(Number(entry))
    } catch {
      // the process exited meanwhile
    }
  }
  return out
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export const mapPool = async <A, B>(
  items: ReadonlyArray<A>,
  concurrency: number,
  task: (item: A, index: number) => Promise<B>
): Promise<Array<B>> => {
  const out = new Array<B>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++
      if (i >= items.length) return
      out[i] = await task(items[i] as A, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, () => worker()))
  return out
}
