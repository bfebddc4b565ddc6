#!/usr/bin/env node
/**
 * The practical limit: a bare `node:http` + better-sqlite3 server doing the work of the orchestrator's API routes
 * by hand — content-type and size checks, JSON parse and validation of the body, the same tables, the same
 * insert-then-read-back on create, the same three selects on get, the same page query on list, the same response
 * headers — without a framework, schemas, request logging or investigations.
 *
 * `PORT` (default 0), `DB_PATH` (default :memory:). Prints `listening <url>`.
 */
import Database from "better-sqlite3"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"

const db = new Database(process.env.DB_PATH ?? ":memory:")
db.pragma("journal_mode = WAL")
db.exec(`
  CREATE TABLE IF NOT EXISTS incidents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    extracted_entities TEXT NOT NULL DEFAULT '{}',
    conclusion TEXT,
    error_message TEXT,
    llm_usage TEXT
  );
  CREATE INDEX IF NOT EXISTS incidents_status_seq ON incidents (status, seq);
  CREATE TABLE IF NOT EXISTS investigation_steps (
    incident_id TEXT NOT NULL REFERENCES incidents(id), idx INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (incident_id, idx));
  CREATE TABLE IF NOT EXISTS evidence (
    incident_id TEXT NOT NULL REFERENCES incidents(id), key TEXT NOT NULL, value TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (incident_id, key));
`)

const insert =
  db.prepare(`INSERT INTO incidents (id, description, status, source, correlation_id, created_at, updated_at)
  VALUES (?, ?, 'pending', ?, ?, ?, ?)`)
const byId = db.prepare("SELECT * FROM incidents WHERE id = ?")
const stepsOf = db.prepare("SELECT data FROM investigation_steps WHERE incident_id = ? ORDER BY idx")
const evidenceOf = db.prepare("SELECT key, value FROM evidence WHERE incident_id = ? ORDER BY seq")
const page = db.prepare("SELECT * FROM incidents WHERE seq < ? ORDER BY seq DESC LIMIT ?")
const pageByStatus = db.prepare("SELECT * FROM incidents WHERE status = ? AND seq < ? ORDER BY seq DESC LIMIT ?")

const MAX_BODY = 64 * 1024
const SOURCES = new Set(["api", "cli", "alertmanager"])
const STATUSES = new Set(["pending", "running", "completed", "failed"])
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const send = (res, status, body, correlationId) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    "content-security-policy": CSP,
    "cache-control": "no-store",
    "x-correlation-id": correlationId
  })
  res.end(text)
}
const fail = (res, status, tag, message, cid) => send(res, status, { _tag: tag, code: status, message }, cid)

const parseJsonObject = (text) => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const toIncident = (row, steps, evidence) => {
  const conclusion = row.conclusion !== null ? JSON.parse(row.conclusion) : {}
  const ev = {}
  for (const e of evidence) ev[e.key] = JSON.parse(e.value)
  return {
    id: row.id,
    description: row.description,
    status: row.status,
    source: row.source,
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(row.completed_at !== null ? { completed_at: row.completed_at } : {}),
    evidence: ev,
    extracted_entities: JSON.parse(row.extracted_entities),
    ...conclusion,
    investigation_steps: steps.map((s) => JSON.parse(s.data)),
    ...(row.llm_usage !== null ? { llm_usage: JSON.parse(row.llm_usage) } : {}),
    ...(row.error_message !== null ? { error_message: row.error_message } : {})
  }
}

const toSummary = (row) => {
  const c = row.conclusion !== null ? JSON.parse(row.conclusion) : undefined
  return {
    id: row.id,
    description: row.description,
    status: row.status,
    source: row.source,
    created_at: row.created_at,
    ...(row.completed_at !== null ? { completed_at: row.completed_at } : {}),
    ...(c !== undefined ? { suggested_root_cause: c.suggested_root_cause, confidence_score: c.confidence_score } : {})
  }
}

const create = (req, res, cid) => {
  const type = req.headers["content-type"]
  if (type === undefined || type.split(";")[0].trim().toLowerCase() !== "application/json")
    return fail(res, 415, "UnsupportedMediaType", "content-type must be application/json", cid)
  if (Number(req.headers["content-length"] ?? 0) > MAX_BODY) return fail(res, 413, "PayloadTooLarge", "too large", cid)
  const chunks = []
  let size = 0
  req.on("data", (c) => {
    size += c.length
    if (size <= MAX_BODY) chunks.push(c)
  })
  req.on("end", () => {
    if (size > MAX_BODY) return fail(res, 413, "PayloadTooLarge", "too large", cid)
    const body = parseJsonObject(Buffer.concat(chunks).toString("utf8"))
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return fail(res, 400, "ValidationError", "request body is not a JSON object", cid)
    const description = typeof body.description === "string" ? body.description.trim() : undefined
    if (description === undefined || description.length < 1 || description.length > 10_000)
      return fail(res, 400, "ValidationError", "description: must be 1-10000 characters", cid)
    if (body.source !== undefined && !SOURCES.has(body.source))
      return fail(res, 400, "ValidationError", "source: unknown", cid)
    const id = randomUUID()
    const now = new Date().toISOString()
    insert.run(id, description, body.source ?? "api", cid, now, now)
    // read back, as the store does
    const row = byId.get(id)
    toIncident(row, stepsOf.all(id), evidenceOf.all(id))
    send(res, 202, { incident_id: id }, cid)
  })
}

const get = (res, id, cid) => {
  if (!UUID.test(id)) return fail(res, 400, "ValidationError", "id: expected a UUID", cid)
  const row = byId.get(id)
  if (row === undefined) return fail(res, 404, "IncidentNotFound", `no incident ${id}`, cid)
  send(res, 200, toIncident(row, stepsOf.all(id), evidenceOf.all(id)), cid)
}

const list = (res, params, cid) => {
  const limitText = params.get("limit")
  const limit = limitText === null ? 20 : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return fail(res, 400, "ValidationError", "limit: 1-100", cid)
  const status = params.get("status")
  if (status !== null && !STATUSES.has(status)) return fail(res, 400, "ValidationError", "status: unknown", cid)
  let before = Number.MAX_SAFE_INTEGER
  const cursor = params.get("cursor")
  if (cursor !== null) {
    const m = /^v1:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"))
    if (m === null) return fail(res, 400, "ValidationError", "cursor is not valid", cid)
    before = Number(m[1])
  }
  const rows = status !== null ? pageByStatus.all(status, before, limit + 1) : page.all(before, limit + 1)
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  send(
    res,
    200,
    {
      items: items.map(toSummary),
      next_cursor:
        rows.length > limit && last !== undefined ? Buffer.from(`v1:${last.seq}`).toString("base64url") : null
    },
    cid
  )
}

const PREFIX = "/api/v1/incidents"
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const cid = randomUUID()
  const q = req.url.indexOf("?")
  const path = q === -1 ? req.url : req.url.slice(0, q)
  try {
    if (path === PREFIX) {
      if (req.method === "POST") return create(req, res, cid)
      if (req.method === "GET") return list(res, new URLSearchParams(q === -1 ? "" : req.url.slice(q + 1)), cid)
    } else if (path.startsWith(PREFIX + "/") && req.method === "GET") {
      return get(res, decodeURIComponent(path.slice(PREFIX.length + 1)), cid)
    } else if (path === "/health" && req.method === "GET") {
      return send(res, 200, { status: "ok" }, cid)
    }
    fail(res, 404, "RouteNotFound", `no route ${req.method} ${path}`, cid)
  } catch (e) {
    fail(res, 500, "InternalError", "internal error", cid)
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  }
})
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`)
})
const stop = () => server.close(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
