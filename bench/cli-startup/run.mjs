#!/usr/bin/env node
/**
 * Cold-start benchmark of the `sre` CLI. Builds the bundle if needed, starts the real server on a temp SQLite
 * file, then times (wall clock, one fresh process per run) `node -e 0`, `sre --version` and `sre list` in the
 * same session, interleaved, and prints median / p90 and the ratios to `node -e 0`.
 *
 * Usage: node bench/cli-startup/run.mjs [--runs 20] [--build]
 * Target: `sre --version` median within 2.5x of `node -e 0`.
 */
import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")
const args = process.argv.slice(2)
const runsIndex = args.indexOf("--runs")
const runs = runsIndex >= 0 ? Number(args[runsIndex + 1]) : 20
const bundle = join(root, "packages/cli/dist/sre.mjs")
const bin = join(root, "packages/cli/bin/sre.js")

if (args.includes("--build") || !existsSync(bundle)) {
  const build = spawnSync(process.execPath, [join(root, "packages/cli/scripts/build.mjs")], { stdio: "inherit" })
  if (build.status !== 0) process.exit(1)
}

const freePort = () =>
  new Promise((done) => {
    const srv = createServer()
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address()
      srv.close(() => done(port))
    })
  })

const port = await freePort()
const url = `http://127.0.0.1:${port}`
const dataDir = mkdtempSync(join(tmpdir(), "sre-bench-"))
const server = spawn(process.execPath, ["--import", "tsx", join(root, "packages/server/src/main.ts")], {
  cwd: root,
  env: { ...process.env, PORT: String(port), SRE_DB_PATH: join(dataDir, "db.sqlite"), LOG_LEVEL: "warning" },
  stdio: ["ignore", "ignore", "inherit"]
})
const stopServer = () => {
  if (server.exitCode === null) server.kill("SIGTERM")
  rmSync(dataDir, { recursive: true, force: true })
}
process.on("exit", stopServer)

const deadline = Date.now() + 60_000
for (;;) {
  try {
    const res = await fetch(`${url}/health`)
    if (res.ok) break
  } catch {
    // not up yet
  }
  if (Date.now() > deadline) {
    process.stderr.write("server did not start within 60 s\n")
    process.exit(1)
  }
  await new Promise((r) => setTimeout(r, 200))
}
for (let i = 0; i < 5; i++) {
  await fetch(`${url}/api/v1/incidents`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ description: `bench incident ${i}: pods crash-looping in namespace shop` })
  })
}

const env = { ...process.env, SRE_SERVER_URL: url, NO_COLOR: "1", XDG_CONFIG_HOME: dataDir }
const cases = [
  { name: "node -e 0", argv: ["-e", "0"] },
  { name: "sre --version (bundle)", argv: [bundle, "--version"] },
  { name: "sre --version (bin)", argv: [bin, "--version"] },
  { name: "sre list (bundle)", argv: [bundle, "list"] },
  { name: "sre list (bin)", argv: [bin, "list"] }
]

const timeOnce = (argv) => {
  const started = process.hrtime.bigint()
  const r = spawnSync(process.execPath, argv, { env, stdio: ["ignore", "ignore", "pipe"] })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`)
  return ms
}

const samples = new Map(cases.map((c) => [c.name, []]))
for (const c of cases) timeOnce(c.argv) // warm the file system cache
for (let i = 0; i < runs; i++) {
  for (const c of cases) samples.get(c.name).push(timeOnce(c.argv)) // interleaved: drift hits all cases alike
}
stopServer()

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1) + 0.5))]
}
const base = quantile(samples.get("node -e 0"), 0.5)
const rows = cases.map((c) => {
  const xs = samples.get(c.name)
  const median = quantile(xs, 0.5)
  return { name: c.name, median, p90: quantile(xs, 0.9), ratio: median / base }
})
const pad = (s, n) => String(s).padEnd(n)
process.stdout.write(`node ${process.version}, ${runs} runs each, server ${url}\n\n`)
process.stdout.write(`${pad("command", 26)}${pad("median ms", 12)}${pad("p90 ms", 10)}x node -e 0\n`)
for (const r of rows) {
  process.stdout.write(
    `${pad(r.name, 26)}${pad(r.median.toFixed(1), 12)}${pad(r.p90.toFixed(1), 10)}${r.ratio.toFixed(2)}\n`
  )
}
const version = rows.find((r) => r.name === "sre --version (bin)")
const ok = version !== undefined && version.ratio <= 2.5
process.stdout.write(`\ntarget: sre --version within 2.5x of node -e 0: ${ok ? "met" : "NOT met"}\n`)
process.exitCode = ok ? 0 : 1
