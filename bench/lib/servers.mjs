/* eslint-disable security/detect-non-literal-fs-filename, security/detect-object-injection -- benchmark tooling: every path and key is chosen by the script itself */
/**
 * Starts the servers under test as child processes: the real orchestrator (composition root, `main.ts` through
 * tsx), the bare node:http + better-sqlite3 server, the HttpApi floor, FastAPI + uvicorn (Debian packages), the mock
 * LLM.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort, root, sleep, startChild, waitHttpOk } from "./common.mjs"

const tsx = ["--import", "tsx"]

/** Environment variables of ours that must not leak from the caller's shell into a server under test. */
const SCRUBBED = [
  "SRE_API_KEYS",
  "SRE_API_KEYS_FILE",
  "LLM_BASE_URL",
  "LLM_API_KEY",
  "LLM_MODEL",
  "MCP_CONFIG_PATH",
  "SRE_SANDBOX_SCENARIO",
  "CORS_ORIGINS",
  "KUBECONFIG",
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
]

/** The child's handle with `fields`, whose `stop()` also deletes the child's temporary directory. */
const removingDirOnStop = (handle, dir, fields) => ({
  ...handle,
  ...fields,
  stop: async () => {
    const r = await handle.stop()
    rmSync(dir, { recursive: true, force: true })
    return r
  }
})

/**
 * The real server from `packages/server/src/main.ts`. Logging at info (one JSON line per request) goes to
 * `logFile` (default /dev/null). `mcpConfig` is YAML text (default: no MCP servers); `env` overrides everything.
 */
export const startRealServer = async ({
  env = {},
  mcpConfig = "servers: {}\n",
  logFile = "/dev/null",
  nodeArgs = [],
  cwd
} = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-server-"))
  const port = await freePort()
  const mcpPath = join(dir, "mcp_config.yaml")
  writeFileSync(mcpPath, mcpConfig)
  const base = { ...process.env }
  for (const k of SCRUBBED) delete base[k]
  const handle = startChild(process.execPath, [...nodeArgs, ...tsx, join(root, "packages/server/src/main.ts")], {
    cwd: cwd ?? root,
    env: {
      ...base,
      PORT: String(port),
      HOST: "127.0.0.1",
      SRE_DB_PATH: join(dir, "incidents.db"),
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      MCP_CONFIG_PATH: mcpPath,
      MAX_QUEUED_INVESTIGATIONS: "100000000",
      MAX_CONCURRENT_INVESTIGATIONS: "64",
      RATE_LIMIT_PER_MINUTE: "1000000000",
      RATE_LIMIT_BURST: "1000000000",
      SHUTDOWN_GRACE_PERIOD: "1 second",
      ...env
    },
    stdoutFile: logFile,
    stderrFile: logFile === "/dev/null" ? join(dir, "stderr.log") : logFile
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitHttpOk(`${url}/health`, 90_000, handle.child)
  } catch (e) {
    const err = existsSync(join(dir, "stderr.log")) ? readFileSync(join(dir, "stderr.log"), "utf8").slice(-2000) : ""
    await handle.stop()
    throw new Error(`real server did not start: ${e.message}\n${err}`)
  }
  return removingDirOnStop(handle, dir, { url, dir, dbPath: join(dir, "incidents.db") })
}

/** The bare node:http + better-sqlite3 server (`bench/api/bare-server.mjs`). */
export const startBareServer = async () => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-bare-"))
  const port = await freePort()
  const handle = startChild(process.execPath, [join(root, "bench/api/bare-server.mjs")], {
    env: { PORT: String(port), DB_PATH: join(dir, "bare.db") }
  })
  const url = `http://127.0.0.1:${port}`
  await waitHttpOk(`${url}/health`, 30_000, handle.child)
  return removingDirOnStop(handle, dir, { url, dbPath: join(dir, "bare.db") })
}

/**
 * The HttpApi floor (`bench/api/httpapi-floor.ts`): the orchestrator's contract on HttpApiBuilder with an in-memory
 * map and nothing else (no middleware, logging, store or investigations).
 */
export const startHttpApiFloorServer = async () => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-floor-"))
  const port = await freePort()
  const handle = startChild(process.execPath, [...tsx, join(root, "bench/api/httpapi-floor.ts")], {
    env: { PORT: String(port) },
    stdoutFile: join(dir, "out.log")
  })
  const url = `http://127.0.0.1:${port}`
  try {
    await waitHttpOk(`${url}/health`, 90_000, handle.child)
  } catch (e) {
    const out = existsSync(join(dir, "out.log")) ? readFileSync(join(dir, "out.log"), "utf8").slice(-2000) : ""
    await handle.stop()
    throw new Error(`HttpApi floor server did not start: ${e.message}\n${out}`)
  }
  return removingDirOnStop(handle, dir, { url, dbPath: undefined })
}

const DEBIAN_PYTHON = "/usr/bin/python3"
const hasFastapi = () =>
  existsSync(DEBIAN_PYTHON) &&
  spawnSync(DEBIAN_PYTHON, ["-c", "import fastapi, uvicorn"], { stdio: "ignore" }).status === 0

/**
 * Makes sure Debian's python3-fastapi and python3-uvicorn are installed (apt-get update once, then install), or
 * returns the reason they are not available.
 */
export const ensureFastapi = () => {
  if (hasFastapi()) return { ok: true }
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" })
  if (apt.status !== 0) return { ok: false, reason: "apt-get is not available on this machine" }
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    return { ok: false, reason: "installing python3-fastapi needs root (apt-get); run as root or install it first" }
  }
  process.stderr.write("installing python3-fastapi python3-uvicorn (Debian) ...\n")
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
  const update = spawnSync("apt-get", ["update", "-qq"], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
    timeout: 300_000
  })
  if (update.status !== 0) return { ok: false, reason: "apt-get update failed" }
  const install = spawnSync(
    "apt-get",
    ["install", "-y", "-qq", "--no-install-recommends", "python3-fastapi", "python3-uvicorn"],
    { stdio: ["ignore", "ignore", "inherit"], env, timeout: 600_000 }
  )
  if (install.status !== 0 || !hasFastapi())
    return { ok: false, reason: "apt-get install python3-fastapi python3-uvicorn failed" }
  return { ok: true }
}

/** FastAPI + uvicorn (one worker, access log on, to /dev/null) serving `bench/api/fastapi_app.py`. */
export const startFastapiServer = async () => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-fastapi-"))
  const port = await freePort()
  const handle = startChild(
    DEBIAN_PYTHON,
    ["-m", "uvicorn", "fastapi_app:app", "--host", "127.0.0.1", "--port", String(port), "--log-level", "info"],
    { cwd: join(root, "bench/api"), env: { DB_PATH: join(dir, "fastapi.db"), PYTHONDONTWRITEBYTECODE: "1" } }
  )
  const url = `http://127.0.0.1:${port}`
  await waitHttpOk(`${url}/health`, 30_000, handle.child)
  return removingDirOnStop(handle, dir, { url, dbPath: join(dir, "fastapi.db") })
}

/** The test kit's mock LLM as a child process (`--auto-rounds`, `--latency-ms`); returns its base URL (…/v1). */
export const startMockLlmProcess = async ({ toolRounds = 5, latencyMs = 0 } = {}) => {
  const dir = mkdtempSync(join(tmpdir(), "sre-bench-llm-"))
  const out = join(dir, "stdout.log")
  const port = await freePort()
  const handle = startChild(
    process.execPath,
    [
      ...tsx,
      join(root, "packages/testkit/src/mock-llm-main.ts"),
      "--port",
      String(port),
      "--auto-rounds",
      String(toolRounds),
      "--latency-ms",
      String(latencyMs)
    ],
    { stdoutFile: out }
  )
  const deadline = Date.now() + 60_000
  let url
  while (url === undefined) {
    if (handle.child.exitCode !== null) throw new Error("mock LLM exited")
    const m = /listening (\S+)/.exec(existsSync(out) ? readFileSync(out, "utf8") : "")
    if (m) url = m[1]
    else if (Date.now() > deadline) throw new Error("mock LLM did not start")
    else await sleep(100)
  }
  return removingDirOnStop(handle, dir, { url, dbPath: undefined })
}

/** An mcp_config.yaml with the test MCP server over stdio as the only server. */
export const testMcpConfigYaml = () =>
  [
    "servers:",
    "  test:",
    "    transport: stdio",
    `    command: ${JSON.stringify(process.execPath)}`,
    "    args:",
    "      - --import",
    "      - tsx",
    `      - ${JSON.stringify(join(root, "packages/testkit/src/test-mcp-server-main.ts"))}`,
    "      - --transport",
    "      - stdio",
    `    cwd: ${JSON.stringify(root)}`,
    "    timeout: 30s",
    "    enabled: true",
    ""
  ].join("\n")
