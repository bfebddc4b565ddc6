/**
 * Load helpers shared by the API benchmark and the profiler: seeding incidents, autocannon runs per route.
 */
import autocannon from "autocannon"
import Database from "better-sqlite3"
import { sleep } from "./common.mjs"

export const SEED = 200

const STEP = JSON.stringify({
  index: 1,
  kind: "note",
  started_at: "2026-01-01T00:00:00.000Z",
  reasoning: "Triage skipped: no connected MCP server offers the Kubernetes read tools (resources_list, pods_log)."
})
const ERROR_MESSAGE =
  "No LLM is configured (LLM_BASE_URL is not set), and no Kubernetes MCP server is connected: nothing to investigate with."

export const body = (i) =>
  JSON.stringify({ description: `bench incident ${i}: pod web-${i} is crash-looping in namespace shop` })

/** Files SEED incidents through the API and returns their ids. */
export const seed = async (url) => {
  const ids = []
  for (let i = 0; i < SEED; i++) {
    const res = await fetch(`${url}/api/v1/incidents`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: body(i)
    })
    if (res.status !== 202) throw new Error(`seeding ${url}: status ${res.status} ${await res.text()}`)
    ids.push((await res.json()).incident_id)
  }
  return ids
}

/** Makes the bare/FastAPI rows look like the real server's finished incidents (one step, failed, error message). */
export const finishLikeReal = (dbPath) => {
  const db = new Database(dbPath)
  db.pragma("busy_timeout = 5000")
  const now = new Date().toISOString()
  db.prepare(`UPDATE incidents SET status = 'failed', completed_at = ?, updated_at = ?, error_message = ?`).run(
    now,
    now,
    ERROR_MESSAGE
  )
  const step = db.prepare("INSERT OR IGNORE INTO investigation_steps (incident_id, idx, data) VALUES (?, 1, ?)")
  for (const { id } of db.prepare("SELECT id FROM incidents").all()) step.run(id, STEP)
  db.close()
}

/** Waits (bounded) until the real server has no investigation running or queued. */
export const waitIdle = async (url, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const h = await (await fetch(`${url}/health`)).json()
      if (h.investigations === undefined || h.investigations.running + h.investigations.queued === 0) return
    } catch {
      // retry
    }
    await sleep(200)
  }
}

export const cannon = (opts) =>
  new Promise((done, fail) => {
    const instance = autocannon({ connections: 50, pipelining: 1, ...opts }, (err, result) =>
      err ? fail(err) : done(result)
    )
    instance.on("error", () => {})
  })

export const requestsFor = (route, url, ids) => {
  let n = 0
  switch (route) {
    case "get":
      return {
        url,
        requests: [
          { method: "GET", setupRequest: (req) => ({ ...req, path: `/api/v1/incidents/${ids[n++ % ids.length]}` }) }
        ]
      }
    case "list":
      return { url: `${url}/api/v1/incidents?limit=20`, method: "GET" }
    case "create":
      return {
        url,
        requests: [
          {
            method: "POST",
            path: "/api/v1/incidents",
            headers: { "content-type": "application/json" },
            setupRequest: (req) => ({ ...req, body: body(n++) })
          }
        ]
      }
  }
}
