/**
 * The floor of staying on HttpApi: the orchestrator's own contract (`SreApi` from @sre/schema, the same schemas,
 * decoding of the path/query/body and schema encoding of every response) served by `HttpApiBuilder` on
 * `NodeHttpServer`, with the incidents in a `Map` — and nothing else: no middleware, no request log, no metrics, no
 * tracing, no store, no investigations. What the orchestrator cannot go below without leaving HttpApi; the API
 * benchmark reports ours / floor next to ours / bare.
 *
 * Run by bench/lib/servers.mjs: `node --import tsx bench/api/httpapi-floor.ts` with `PORT`.
 */
import { HttpApiBuilder, HttpMiddleware, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import {
  ApiKeyAuth,
  API_VERSION,
  HealthReport,
  Incident,
  IncidentNotFound,
  IncidentPage,
  IncidentSummary,
  SreApi
} from "@sre/schema"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { randomUUID } from "node:crypto"
import { createServer } from "node:http"

const incidents = new Map<string, Incident>()
const newestFirst: Array<string> = []

// what the orchestrator's seeded incidents look like once their (failing) investigation is over
const STEP = {
  index: 1,
  kind: "note" as const,
  started_at: "2026-01-01T00:00:00.000Z",
  reasoning: "Triage skipped: no connected MCP server offers the Kubernetes read tools (resources_list, pods_log)."
}
const ERROR_MESSAGE =
  "No LLM is configured (LLM_BASE_URL is not set), and no Kubernetes MCP server is connected: nothing to investigate with."

const summary = (i: Incident): IncidentSummary =>
  new IncidentSummary({
    id: i.id,
    description: i.description,
    status: i.status,
    source: i.source,
    created_at: i.created_at,
    ...(i.completed_at !== undefined ? { completed_at: i.completed_at } : {})
  })

const IncidentsLive = HttpApiBuilder.group(SreApi, "incidents", (handlers) =>
  handlers
    .handle("create", ({ payload }) =>
      Effect.sync(() => {
        const now = new Date().toISOString()
        const incident = new Incident({
          id: randomUUID(),
          description: payload.description,
          status: "failed",
          source: payload.source ?? "api",
          created_at: now,
          updated_at: now,
          completed_at: now,
          evidence: {},
          extracted_entities: {},
          investigation_steps: [STEP],
          error_message: ERROR_MESSAGE
        })
        incidents.set(incident.id, incident)
        newestFirst.unshift(incident.id)
        return { incident_id: incident.id }
      })
    )
    .handle("list", ({ urlParams }) =>
      Effect.sync(() => {
        const items: Array<IncidentSummary> = []
        const limit = urlParams.limit ?? 20
        for (const id of newestFirst) {
          const incident = incidents.get(id)
          if (incident === undefined || (urlParams.status !== undefined && incident.status !== urlParams.status))
            continue
          items.push(summary(incident))
          if (items.length >= limit) break
        }
        return new IncidentPage({ items, next_cursor: null })
      })
    )
    .handle("get", ({ path }) => {
      const incident = incidents.get(path.id)
      return incident !== undefined ? Effect.succeed(incident) : Effect.fail(IncidentNotFound.forId(path.id))
    })
    .handle("events", () => Effect.succeed(HttpServerResponse.empty({ status: 204 })))
)

const SystemLive = HttpApiBuilder.group(SreApi, "system", (handlers) =>
  handlers.handle("health", () =>
    Effect.succeed(
      new HealthReport({
        status: "ok",
        version: API_VERSION,
        uptime_seconds: Math.round(process.uptime()),
        investigations: { running: 0, queued: 0, max_concurrent: 0 },
        dependencies: []
      })
    )
  )
)

// the contract's bearer-key middleware with authentication off, as in the benchmark's orchestrator
const AuthOff = Layer.succeed(ApiKeyAuth, ApiKeyAuth.of({ bearer: () => Effect.void }))

const ApiLive = HttpApiBuilder.api(SreApi).pipe(
  Layer.provide(Layer.mergeAll(IncidentsLive, SystemLive)),
  Layer.provide(AuthOff)
)

HttpApiBuilder.serve().pipe(
  // no per-request server span, like the orchestrator without an OTLP exporter
  HttpMiddleware.withTracerDisabledWhen(() => true),
  Layer.provide(ApiLive),
  Layer.provide(NodeHttpServer.layer(createServer, { port: Number(process.env["PORT"] ?? 0), host: "127.0.0.1" })),
  Layer.launch,
  Logger.withMinimumLogLevel(LogLevel.Warning),
  Effect.withTracerEnabled(false),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
