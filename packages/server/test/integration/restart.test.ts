/**
 * The real server process, killed with SIGKILL mid-investigation and started again on the same SQLite file: no
 * incident is lost and none stays `running`.
 */
import { describe, expect, it } from "vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, openSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url))
const scenario = join(repoRoot, "packages/sandbox/scenarios/resourcequota-exceeded-scale-up.json")

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address()
      srv.close(() => (typeof addr === "object" && addr !== null ? resolve(addr.port) : reject(new Error("no port"))))
    })
  })

const startServer = (port: number, dbPath: string): ChildProcess =>
  spawn(process.execPath, ["--import", "tsx", join(repoRoot, "packages/server/src/main.ts")], {
    cwd: repoRoot,
    env: {
      ...process.env,
      PORT: String(port),
      SRE_DB_PATH: dbPath,
      SRE_SANDBOX_SCENARIO: scenario,
      MAX_CONCURRENT_INVESTIGATIONS: "2",
      LOG_LEVEL: "warning",
      LLM_BASE_URL: "",
      RATE_LIMIT_PER_MINUTE: "100000",
      RATE_LIMIT_BURST: "10000"
    },
    stdio: ["ignore", openSync(`${dbPath}.log`, "a"), openSync(`${dbPath}.log`, "a")]
  })

const waitHealthy = async (url: string) => {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error("server did not become healthy")
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => child.once("exit", () => resolve()))

describe("server process restart", () => {
  it("loses nothing and leaves nothing running after SIGKILL mid-investigation", async () => {
    const dbPath = join(mkdtempSync(join(tmpdir(), "sre-kill-")), "db.sqlite")
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const first = startServer(port, dbPath)
    try {
      await waitHealthy(url)
      const ids: Array<string> = []
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${url}/api/v1/incidents`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ description: `pick-planner in warehouse cannot scale up (${i})` })
        })
        expect(res.status).toBe(202)
        ids.push(((await res.json()) as { incident_id: string }).incident_id)
      }
      // wait until at least one investigation is running, then kill the process without warning
      for (let i = 0; i < 100; i++) {
        const health = (await (await fetch(`${url}/health`)).json()) as { investigations: { running: number } }
        if (health.investigations.running > 0) break
        await new Promise((r) => setTimeout(r, 50))
      }
      first.kill("SIGKILL")
      await exited(first)

      const second = startServer(port, dbPath)
      try {
        await waitHealthy(url)
        let statuses: Array<string> = []
        for (let i = 0; i < 600; i++) {
          statuses = await Promise.all(
            ids.map(
              async (id) => ((await (await fetch(`${url}/api/v1/incidents/${id}`)).json()) as { status: string }).status
            )
          )
          if (statuses.every((s) => s === "completed" || s === "failed")) break
          await new Promise((r) => setTimeout(r, 200))
        }
        const details = await Promise.all(
          ids.map(
            async (id) =>
              (await (await fetch(`${url}/api/v1/incidents/${id}`)).json()) as {
                status: string
                error_message?: string
              }
          )
        )
        expect(details.map((d) => `${d.status} ${d.error_message ?? ""}`.trim())).toEqual(ids.map(() => "completed"))
        const list = (await (await fetch(`${url}/api/v1/incidents?limit=100`)).json()) as {
          items: Array<{ id: string }>
        }
        expect(list.items.map((i) => i.id).sort()).toEqual([...ids].sort())
      } finally {
        second.kill("SIGTERM")
        await exited(second)
      }
    } finally {
      if (first.exitCode === null && first.signalCode === null) first.kill("SIGKILL")
    }
  }, 180_000)
})
