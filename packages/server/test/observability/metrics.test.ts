import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries, Redacted } from "effect"
import { renderPrometheus, routeTemplate } from "../../src/observability/metrics.js"
import { postJson, request, startServer } from "../support.js"
import { webhook } from "../alerts/fixtures.js"

/** The value of one sample line (`name{labels} value`) of an exposition, or undefined. */
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue
    const space = line.lastIndexOf(" ")
    const series = line.slice(0, space)
    const brace = series.indexOf("{")
    if ((brace === -1 ? series : series.slice(0, brace)) !== name) continue
    const labelText = brace === -1 ? "" : series.slice(brace + 1, -1)
    const got = Object.fromEntries([...labelText.matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(line.slice(space + 1))
  }
  return undefined
}

describe("routeTemplate", () => {
  it("bounds the route label", () => {
    expect(routeTemplate("/api/v1/incidents/0b7f3c1e-8a1d-4c55-9d43-2f0c1b7a9e21")).toBe("/api/v1/incidents/{id}")
    expect(routeTemplate("/api/v1/incidents/0B7F3C1E-8A1D-4C55-9D43-2F0C1B7A9E21/events?x=1")).toBe(
      "/api/v1/incidents/{id}/events"
    )
    expect(routeTemplate("/api/v1/incidents?limit=5")).toBe("/api/v1/incidents")
    expect(routeTemplate("/docs/swagger-ui.css")).toBe("/docs")
    expect(routeTemplate("/wp-admin/../../etc/passwd")).toBe("unmatched")
    expect(routeTemplate("/api/v1/incidents/not-a-uuid")).toBe("unmatched")
  })
})

describe("renderPrometheus", () => {
  it.effect("renders counters, gauges and histograms in the text format", () =>
    Effect.gen(function* () {
      const counter = Metric.counter("test_render_total", { description: "a counter", incremental: true })
      const gauge = Metric.gauge("test_render_gauge")
      const histogram = Metric.histogram(
        "test_render_seconds",
        MetricBoundaries.linear({ start: 1, width: 1, count: 3 })
      )
      yield* Metric.increment(Metric.tagged(counter, "label", 'a "quoted"\nvalue'))
      yield* Metric.set(gauge, 3)
      yield* Metric.update(histogram, 1.5)
      const text = renderPrometheus(yield* Metric.snapshot)
      expect(text).toContain("# HELP test_render_total a counter\n# TYPE test_render_total counter")
      expect(text).toContain('test_render_total{label="a \\"quoted\\"\\nvalue"} 1')
      expect(text).toContain("# TYPE test_render_gauge gauge\ntest_render_gauge 3")
      expect(text).toContain("# TYPE test_render_seconds histogram")
      expect(text).toContain('test_render_seconds_bucket{le="1"} 0')
      expect(text).toContain('test_render_seconds_bucket{le="2"} 1')
      expect(text).toContain('test_render_seconds_bucket{le="+Inf"} 1')
      expect(text).toContain("test_render_seconds_sum 1.5")
      expect(text).toContain("test_render_seconds_count 1")
    })
  )
})

describe("GET /metrics", () => {
  it.scoped("exposes incidents, investigations, HTTP requests and alerts after some traffic", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const before = (yield* request(`${server.url}/metrics`)).text
      const created = (labels: Record<string, string>, text: string) =>
        sample(text, "sre_incidents_created_total", labels) ?? 0
      const res = yield* postJson(`${server.url}/api/v1/incidents`, { description: "checkout pods restarting" })
      const id = (res.body as { incident_id: string }).incident_id
      yield* postJson(`${server.url}/api/v1/incidents`, { description: "node ip-10-0-0-1 not ready", source: "cli" })
      yield* postJson(`${server.url}/api/v1/alerts/alertmanager`, webhook({ groupKey: "metrics-test" }))
      yield* postJson(`${server.url}/api/v1/alerts/alertmanager`, webhook({ groupKey: "metrics-test" }))
      yield* server.runner.awaitIdle
      yield* request(`${server.url}/api/v1/incidents/${id}`)
      yield* request(`${server.url}/no/such/route`)

      const scraped = yield* request(`${server.url}/metrics`)
      expect(scraped.status).toBe(200)
      expect(scraped.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
      const text = scraped.text
      expect(created({ source: "api" }, text) - created({ source: "api" }, before)).toBe(1)
      expect(created({ source: "cli" }, text) - created({ source: "cli" }, before)).toBe(1)
      expect(created({ source: "alertmanager" }, text) - created({ source: "alertmanager" }, before)).toBe(1)
      expect(
        sample(text, "sre_alertmanager_notifications_total", { status: "firing", outcome: "deduplicated" })
      ).toBeGreaterThanOrEqual(1)
      expect(sample(text, "sre_investigations_in_flight")).toBe(0)
      expect(sample(text, "sre_investigations_queued")).toBe(0)
      expect(sample(text, "sre_investigation_duration_seconds_count", { outcome: "completed" })).toBeGreaterThanOrEqual(
        3
      )
      expect(
        sample(text, "sre_http_requests_total", { method: "GET", route: "/api/v1/incidents/{id}", status: "200" })
      ).toBeGreaterThanOrEqual(1)
      expect(
        sample(text, "sre_http_requests_total", { method: "POST", route: "/api/v1/incidents", status: "202" })
      ).toBeGreaterThanOrEqual(2)
      expect(
        sample(text, "sre_http_requests_total", { method: "GET", route: "unmatched", status: "404" })
      ).toBeGreaterThanOrEqual(1)
      expect(text).not.toContain(id)
      expect(text).toContain("# TYPE sre_http_request_duration_seconds histogram")
      expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0)
    })
  )

  it.scoped("is served without an API key when keys are configured", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { apiKeys: [Redacted.make("metrics-key-0123456789abcdef")] } })
      const metrics = yield* request(`${server.url}/metrics`)
      expect(metrics.status).toBe(200)
      const api = yield* request(`${server.url}/api/v1/incidents`)
      expect(api.status).toBe(401)
    })
  )
})
