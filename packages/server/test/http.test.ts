import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { tracingDisabled } from "../src/observability/tracing.js"
import { postJson, request, startServer } from "./support.js"

const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const expectSecurityHeaders = (headers: Headers) => {
  expect(headers.get("x-content-type-options")).toBe("nosniff")
  expect(headers.get("x-frame-options")).toBe("DENY")
  expect(headers.get("referrer-policy")).toBe("no-referrer")
  expect(headers.get("content-security-policy")).toContain("default-src 'none'")
  expect(headers.get("x-correlation-id")).toBeTruthy()
}

const expectApiError = (res: { status: number; body: unknown }, status: number) => {
  expect(res.status).toBe(status)
  expect(res.body).toMatchObject({ code: status })
  expect(typeof (res.body as { message: unknown }).message).toBe("string")
}

describe("HTTP API", () => {
  it.scoped("creates an incident with 202 and investigates it in the background", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const res = yield* postJson(`${server.url}/api/v1/incidents`, { description: "  checkout pods restarting  " })
      expect(res.status).toBe(202)
      expectSecurityHeaders(res.headers)
      const id = (res.body as { incident_id: string }).incident_id
      expect(id).toMatch(uuidRe)
      yield* server.runner.awaitIdle
      const got = yield* request(`${server.url}/api/v1/incidents/${id}`)
      expect(got.status).toBe(200)
      expect(got.body).toMatchObject({
        id,
        description: "checkout pods restarting",
        status: "completed",
        source: "api",
        suggested_root_cause: `root cause for ${id}`,
        confidence_score: "medium",
        evidence: { "test:observation": { ok: true } }
      })
      const body = got.body as { investigation_steps: Array<{ index: number; kind: string }>; completed_at: string }
      expect(body.investigation_steps).toEqual([expect.objectContaining({ index: 1, kind: "analysis" })])
      expect(body.completed_at).toBeTruthy()
      const list = yield* request(`${server.url}/api/v1/incidents`)
      expect(list.body).toMatchObject({ items: [{ id, status: "completed" }], next_cursor: null })
    })
  )

  it.scoped("lists newest first with pagination and status filter", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const ids: Array<string> = []
      for (let i = 0; i < 5; i++) {
        const res = yield* postJson(`${server.url}/api/v1/incidents`, { description: `incident ${i}` })
        ids.push((res.body as { incident_id: string }).incident_id)
      }
      yield* server.runner.awaitIdle
      const page1 = yield* request(`${server.url}/api/v1/incidents?limit=2`)
      const b1 = page1.body as { items: Array<{ id: string }>; next_cursor: string }
      expect(b1.items.map((i) => i.id)).toEqual([ids[4], ids[3]])
      const page2 = yield* request(`${server.url}/api/v1/incidents?limit=2&cursor=${b1.next_cursor}`)
      expect((page2.body as { items: Array<{ id: string }> }).items.map((i) => i.id)).toEqual([ids[2], ids[1]])
      const failed = yield* request(`${server.url}/api/v1/incidents?status=failed`)
      expect((failed.body as { items: Array<unknown> }).items).toEqual([])
      expectApiError(yield* request(`${server.url}/api/v1/incidents?limit=0`), 400)
      expectApiError(yield* request(`${server.url}/api/v1/incidents?limit=101`), 400)
      expectApiError(yield* request(`${server.url}/api/v1/incidents?limit=abc`), 400)
      expectApiError(yield* request(`${server.url}/api/v1/incidents?status=weird`), 400)
      expectApiError(yield* request(`${server.url}/api/v1/incidents?cursor=nope`), 400)
    })
  )

  it.scoped("rejects bad input with {code, message} and security headers", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const url = `${server.url}/api/v1/incidents`
      const cases = [
        yield* postJson(url, {}),
        yield* postJson(url, { description: "" }),
        yield* postJson(url, { description: "   " }),
        yield* postJson(url, { description: 42 }),
        yield* postJson(url, { description: "x".repeat(10_001) }),
        yield* postJson(url, ["description"]),
        yield* postJson(url, null),
        yield* request(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{bad json" }),
        yield* request(url, { method: "POST", headers: { "content-type": "application/json" }, body: "" })
      ]
      for (const res of cases) {
        expectApiError(res, 400)
        expectSecurityHeaders(res.headers)
      }
      expect((cases[4]?.body as { message: string }).message).toContain("10000")
      const wrongType = yield* request(url, { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" })
      expectApiError(wrongType, 415)
      const big = yield* postJson(url, { description: "x".repeat(70 * 1024) })
      expectApiError(big, 413)
      expectSecurityHeaders(big.headers)
      const notFound = yield* request(`${server.url}/api/v1/incidents/00000000-0000-4000-8000-000000000000`)
      expectApiError(notFound, 404)
      expectApiError(yield* request(`${server.url}/api/v1/incidents/not-a-uuid`), 400)
      const route = yield* request(`${server.url}/nowhere`)
      expectApiError(route, 404)
      expectSecurityHeaders(route.headers)
      expectApiError(yield* request(url, { method: "DELETE" }), 404)
      // nothing was created by any of that
      const list = yield* request(url)
      expect((list.body as { items: Array<unknown> }).items).toEqual([])
    })
  )

  it.scoped("every response carries the security headers, with tracing off as in production", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const url = `${server.url}/api/v1/incidents`
      const created = yield* postJson(url, { description: "headers everywhere" })
      const id = (created.body as { incident_id: string }).incident_id
      yield* server.runner.awaitIdle
      const responses = [
        created,
        yield* request(`${url}/${id}`),
        yield* request(`${url}?limit=1`),
        yield* request(`${server.url}/health`),
        yield* request(`${server.url}/openapi.json`),
        yield* request(`${server.url}/metrics`),
        yield* request(`${server.url}/nowhere`),
        yield* request(`${url}/not-a-uuid`),
        yield* postJson(url, { nope: true }),
        yield* request(url, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" })
      ]
      for (const res of responses) {
        expectSecurityHeaders(res.headers)
        // API answers are never cached
        expect(res.headers.get("cache-control")).toBe("no-store")
      }
      const docs = yield* request(`${server.url}/docs`)
      expect(docs.headers.get("x-content-type-options")).toBe("nosniff")
      expect(docs.headers.get("content-security-policy")).toContain("script-src 'unsafe-inline'")
      // one id per request: the header echoes what was sent, and differs between requests otherwise
      const a = yield* request(`${server.url}/health`, { headers: { "x-correlation-id": "hdr-1" } })
      const b = yield* request(`${server.url}/health`)
      const c = yield* request(`${server.url}/health`)
      expect(a.headers.get("x-correlation-id")).toBe("hdr-1")
      expect(b.headers.get("x-correlation-id")).not.toBe(c.headers.get("x-correlation-id"))
    }).pipe(Effect.provide(tracingDisabled))
  )

  it.scoped("echoes a well-formed correlation id and replaces a malformed one", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const ok = yield* request(`${server.url}/health`, { headers: { "x-correlation-id": "req-123.abc" } })
      expect(ok.headers.get("x-correlation-id")).toBe("req-123.abc")
      const bad = yield* request(`${server.url}/health`, { headers: { "x-correlation-id": "<script>" } })
      expect(bad.headers.get("x-correlation-id")).toMatch(uuidRe)
    })
  )

  it.scoped("serves health, OpenAPI 3.1 and the docs page", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const health = yield* request(`${server.url}/health`)
      expect(health.status).toBe(200)
      expect(health.body).toMatchObject({
        status: "ok",
        investigations: { running: 0, queued: 0, max_concurrent: 8 },
        dependencies: [{ name: "store", status: "ok" }]
      })
      const spec = yield* request(`${server.url}/openapi.json`)
      const doc = spec.body as { openapi: string; paths: Record<string, Record<string, unknown>> }
      expect(doc.openapi).toBe("3.1.0")
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/api/v1/incidents",
          "/api/v1/incidents/{id}",
          "/api/v1/incidents/{id}/events",
          "/health"
        ])
      )
      expect(Object.keys(doc.paths["/api/v1/incidents"] ?? {})).toEqual(expect.arrayContaining(["get", "post"]))
      const docs = yield* request(`${server.url}/docs`)
      expect(docs.status).toBe(200)
      expect(docs.headers.get("content-type")).toContain("text/html")
      expect(docs.text).toContain("swagger")
    })
  )

  it.scoped("applies CORS only for configured origins", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { corsOrigins: ["https://ops.example.com"] } })
      const allowed = yield* request(`${server.url}/health`, { headers: { origin: "https://ops.example.com" } })
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://ops.example.com")
      const denied = yield* request(`${server.url}/health`, { headers: { origin: "https://evil.example.com" } })
      // a single configured origin is always announced (browsers then block any other origin)
      expect(denied.headers.get("access-control-allow-origin")).not.toBe("https://evil.example.com")
    })
  )

  it.scoped("sends no CORS headers when no origin is configured", () =>
    Effect.gen(function* () {
      const plain = yield* startServer()
      const none = yield* request(`${plain.url}/health`, { headers: { origin: "https://ops.example.com" } })
      expect(none.headers.get("access-control-allow-origin")).toBeNull()
    })
  )

  it.scoped("turns an agent defect into a failed incident and keeps serving", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ agent: () => Effect.die(new Error("kaboom")) })
      const res = yield* postJson(`${server.url}/api/v1/incidents`, { description: "x" })
      const id = (res.body as { incident_id: string }).incident_id
      yield* server.runner.awaitIdle
      const got = yield* request(`${server.url}/api/v1/incidents/${id}`)
      expect(got.body).toMatchObject({ status: "failed" })
      expect((got.body as { error_message: string }).error_message).not.toContain("kaboom")
      expect((yield* request(`${server.url}/health`)).status).toBe(200)
    })
  )
})
