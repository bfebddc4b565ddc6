import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { alertDescription, alertEntities, decodeWebhook } from "../../src/alerts/AlertmanagerPayload.js"
import { layerSqliteAt } from "../../src/store/SqliteIncidentRepository.js"
import { postJson, request, startServer } from "../support.js"
import { webhook } from "./fixtures.js"

const PATH = "/api/v1/alerts/alertmanager"
const TOKEN = "am-webhook-token-0123456789"
const API_KEY = "api-key-abcdefghijklmnop"

const sqlite = () => layerSqliteAt(":memory:")

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

interface Answer {
  readonly incident_id: string | null
  readonly deduplicated: boolean
}

describe("Alertmanager payload", () => {
  it("builds a description and entities from labels and annotations", () => {
    const decoded = decodeWebhook(JSON.stringify(webhook()))
    expect(Either.isRight(decoded)).toBe(true)
    if (Either.isLeft(decoded)) return
    const description = alertDescription(decoded.right)
    expect(description).toContain("Alertmanager alert KubePodCrashLooping firing (1 alert(s), severity critical)")
    expect(description).toContain("namespace shop")
    expect(description).toContain("pod cart-7d9f8c6b5-x2x9q")
    expect(description).toContain("deployment cart")
    expect(description).toContain("Summary: Pod shop/cart is crash looping")
    expect(description).toContain("Description: Pod shop/cart-7d9f8c6b5-x2x9q")
    expect(alertEntities(decoded.right)).toMatchObject({
      namespaces: ["shop"],
      pods: ["cart-7d9f8c6b5-x2x9q"],
      deployments: ["cart"],
      containers: ["cart"],
      alertnames: ["KubePodCrashLooping"],
      prometheus_jobs: ["kube-state-metrics"]
    })
  })

  it("explains what is wrong with a bad payload", () => {
    const bad = decodeWebhook(JSON.stringify({ ...webhook(), version: "3", alerts: [] }))
    expect(Either.isLeft(bad)).toBe(true)
    if (Either.isRight(bad)) return
    expect(bad.left).toContain("version")
    expect(bad.left).toContain("alerts")
    expect(Either.isLeft(decodeWebhook("not json"))).toBe(true)
  })
})

describe("POST /api/v1/alerts/alertmanager", () => {
  it.scoped("creates one incident per firing group with source alertmanager and pre-filled entities", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ repository: sqlite() })
      const res = yield* postJson(`${server.url}${PATH}`, webhook())
      expect(res.status).toBe(202)
      const body = res.body as Answer
      expect(body.deduplicated).toBe(false)
      expect(body.incident_id).toMatch(/^[0-9a-f-]{36}$/)
      yield* server.runner.awaitIdle
      const got = yield* request(`${server.url}/api/v1/incidents/${body.incident_id}`)
      expect(got.status).toBe(200)
      expect(got.body).toMatchObject({
        source: "alertmanager",
        status: "completed",
        evidence: { "alertmanager:notification": { status: "firing", receiver: "sre-orchestrator" } }
      })
      expect((got.body as { description: string }).description).toContain("namespace shop")
    })
  )

  it.scoped("deduplicates repeats of a group, also 20 concurrent identical deliveries", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ repository: sqlite() })
      const payload = webhook({ groupKey: "group-concurrent" })
      const answers = yield* Effect.forEach(
        Array.from({ length: 20 }, () => payload),
        (p) => postJson(`${server.url}${PATH}`, p),
        { concurrency: "unbounded" }
      )
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 202))
      const ids = new Set(answers.map((a) => (a.body as Answer).incident_id))
      expect(ids.size).toBe(1)
      expect(answers.filter((a) => !(a.body as Answer).deduplicated)).toHaveLength(1)
      yield* server.runner.awaitIdle
      // completed less than ALERT_DEDUP_WINDOW ago: still the same incident
      const again = yield* postJson(`${server.url}${PATH}`, payload)
      expect(again.body).toMatchObject({ incident_id: [...ids][0], deduplicated: true })
      const list = yield* request(`${server.url}/api/v1/incidents?limit=100`)
      const alertIncidents = (list.body as { items: Array<{ source: string }> }).items.filter(
        (i) => i.source === "alertmanager"
      )
      expect(alertIncidents).toHaveLength(1)
      // another group is another incident
      const other = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "group-other" }))
      expect(other.body).toMatchObject({ deduplicated: false })
      expect((other.body as Answer).incident_id).not.toBe([...ids][0])
    })
  )

  it.scopedLive("creates a new incident once the dedup window has passed", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ repository: sqlite() }).pipe(withEnv({ ALERT_DEDUP_WINDOW: "1 millis" }))
      const first = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "g-window" }))
      yield* server.runner.awaitIdle
      yield* Effect.sleep("20 millis")
      const second = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "g-window" }))
      expect(second.body).toMatchObject({ deduplicated: false })
      expect((second.body as Answer).incident_id).not.toBe((first.body as Answer).incident_id)
    })
  )

  it.scoped("records a resolved notification on the incident (200)", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ repository: sqlite() })
      const fired = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "g-resolve" }))
      const id = (fired.body as Answer).incident_id
      yield* server.runner.awaitIdle
      const resolved = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "g-resolve", status: "resolved" }))
      expect(resolved.status).toBe(200)
      expect(resolved.body).toEqual({ incident_id: id, deduplicated: false })
      const got = yield* request(`${server.url}/api/v1/incidents/${id}`)
      const incident = got.body as {
        evidence: Record<string, unknown>
        investigation_steps: Array<{ reasoning?: string }>
      }
      expect(incident.evidence["alertmanager:resolved"]).toMatchObject({ status: "resolved" })
      expect(incident.investigation_steps.at(-1)?.reasoning).toContain(
        "Alertmanager reported the alert group resolved at 2026-11-26T05:30:00.000Z"
      )
      const unknown = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "never-fired", status: "resolved" }))
      expect(unknown.status).toBe(200)
      expect(unknown.body).toEqual({ incident_id: null, deduplicated: false })
    })
  )

  it.scoped("rejects bad payloads with 400 and a clear message, non-JSON with 415", () =>
    Effect.gen(function* () {
      const server = yield* startServer()
      const wrongVersion = yield* postJson(`${server.url}${PATH}`, { ...webhook(), version: "3" })
      expect(wrongVersion.status).toBe(400)
      expect((wrongVersion.body as { message: string }).message).toContain("invalid Alertmanager webhook payload")
      expect((wrongVersion.body as { message: string }).message).toContain("version")
      const noAlerts = yield* postJson(`${server.url}${PATH}`, { ...webhook(), alerts: [] })
      expect(noAlerts.status).toBe(400)
      expect((noAlerts.body as { message: string }).message).toContain("at least one alert")
      const badStatus = yield* postJson(`${server.url}${PATH}`, webhook({ status: "firing" }).alerts[0])
      expect(badStatus.status).toBe(400)
      const notJson = yield* request(`${server.url}${PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{not json"
      })
      expect(notJson.status).toBe(400)
      const text = yield* request(`${server.url}${PATH}`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "x"
      })
      expect(text.status).toBe(415)
      const list = yield* request(`${server.url}/api/v1/incidents`)
      expect((list.body as { items: Array<unknown> }).items).toHaveLength(0)
    })
  )

  it.scoped("requires the webhook token when one is configured", () =>
    Effect.gen(function* () {
      const server = yield* startServer().pipe(withEnv({ ALERTMANAGER_WEBHOOK_TOKEN: TOKEN }))
      const none = yield* postJson(`${server.url}${PATH}`, webhook())
      expect(none.status).toBe(401)
      expect(none.headers.get("www-authenticate")).toBe("Bearer")
      const wrong = yield* postJson(`${server.url}${PATH}`, webhook(), { authorization: `Bearer ${TOKEN}x` })
      expect(wrong.status).toBe(401)
      const ok = yield* postJson(`${server.url}${PATH}`, webhook(), { authorization: `Bearer ${TOKEN}` })
      expect(ok.status).toBe(202)
    })
  )

  it.scoped("accepts the webhook token or an API key when SRE_API_KEYS are configured", () =>
    Effect.gen(function* () {
      const server = yield* startServer({ config: { apiKeys: [Redacted.make(API_KEY)] } }).pipe(
        withEnv({ ALERTMANAGER_WEBHOOK_TOKEN: TOKEN })
      )
      const byToken = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "a" }), {
        authorization: `Bearer ${TOKEN}`
      })
      expect(byToken.status).toBe(202)
      const byKey = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "b" }), {
        authorization: `Bearer ${API_KEY}`
      })
      expect(byKey.status).toBe(202)
      const none = yield* postJson(`${server.url}${PATH}`, webhook({ groupKey: "c" }))
      expect(none.status).toBe(401)
      // the webhook token opens nothing else
      const list = yield* request(`${server.url}/api/v1/incidents`, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(list.status).toBe(401)
    })
  )
})
