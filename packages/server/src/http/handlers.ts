/**
 * Handlers of the contract's endpoints: incidents (create, list, get, events) and system (health).
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { API_VERSION, DEFAULT_PAGE_SIZE, DependencyHealth, HealthReport, SreApi, type Incident } from "@sre/schema"
import { Effect, Layer, Queue, Stream } from "effect"
import { randomUUID } from "node:crypto"
import { HealthChecks } from "../health/HealthChecks.js"
import { type IncidentEvent, IncidentEvents } from "../investigation/IncidentEvents.js"
import { InvestigationRunner } from "../investigation/InvestigationRunner.js"
import { LogRecord } from "../observability/logging.js"
import { recordIncidentCreated } from "../observability/metrics.js"
import { IncidentRepository, isTerminal, nowIso } from "../store/IncidentRepository.js"
import { currentCorrelationId } from "./CorrelationId.js"

const startedAt = Date.now()

/** Renders one Server-Sent Event frame. */
export const sseFrame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const eventFrame = (event: IncidentEvent): string => {
  switch (event.type) {
    case "status":
      return sseFrame("status", { incident_id: event.incidentId, status: event.status })
    case "step":
      return sseFrame("step", event.step)
    case "done":
      return sseFrame("done", event.incident)
  }
}

/** Interval of SSE keep-alive comments. */
export const SSE_KEEPALIVE = "15 seconds"

/** The incidents group. */
export const IncidentsHttpLive = HttpApiBuilder.group(SreApi, "incidents", (handlers) =>
  Effect.gen(function* () {
    const repo = yield* IncidentRepository
    const runner = yield* InvestigationRunner
    const events = yield* IncidentEvents
    return handlers
      .handle("create", ({ payload }) =>
        // a flat chain (no generator, no annotation scope): this runs once per POST (issue #10)
        Effect.flatMap(currentCorrelationId, (correlationId) =>
          runner.file(
            repo.create({
              id: randomUUID(),
              description: payload.description,
              source: payload.source ?? "api",
              correlationId,
              createdAt: nowIso()
            }),
            correlationId
          )
        ).pipe(
          Effect.tap((incident) =>
            Effect.zipRight(
              recordIncidentCreated(incident.source),
              Effect.logInfo(new LogRecord("incident created", { incident_id: incident.id, source: incident.source }))
            )
          ),
          Effect.map((incident) => ({ incident_id: incident.id }))
        )
      )
      .handle("list", ({ urlParams }) =>
        repo.list({ status: urlParams.status, limit: urlParams.limit ?? DEFAULT_PAGE_SIZE, cursor: urlParams.cursor })
      )
      .handle("get", ({ path }) => repo.get(path.id))
      .handle("events", ({ path }) =>
        Effect.gen(function* () {
          yield* repo.get(path.id)
          const stream = Stream.unwrapScoped(
            Effect.gen(function* () {
              // subscribe before reading the snapshot so nothing falls between the two
              const subscription = yield* events.subscribe
              const snapshot = yield* Effect.orDie(repo.get(path.id))
              const head = Stream.make(sseFrame("incident", snapshot))
              if (isTerminal(snapshot.status)) return Stream.concat(head, Stream.make(sseFrame("done", snapshot)))
              const seen = snapshot.investigation_steps.length
              const live = Stream.fromQueue(subscription).pipe(
                Stream.filter((e) => e.incidentId === path.id && (e.type !== "step" || e.step.index > seen)),
                Stream.takeUntil((e) => e.type === "done"),
                Stream.map(eventFrame),
                Stream.ensuring(Queue.shutdown(subscription))
              )
              const keepAlive = Stream.tick(SSE_KEEPALIVE).pipe(
                Stream.drop(1),
                Stream.map(() => ": keep-alive\n\n")
              )
              return Stream.concat(head, Stream.merge(live, keepAlive, { haltStrategy: "left" }))
            })
          )
          return HttpServerResponse.stream(Stream.encodeText(stream), {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "keep-alive" }
          })
        })
      )
  })
)

/** The system group. */
export const SystemHttpLive = HttpApiBuilder.group(SreApi, "system", (handlers) =>
  Effect.gen(function* () {
    const checks = yield* HealthChecks
    const runner = yield* InvestigationRunner
    const repo = yield* IncidentRepository
    yield* checks.register(
      repo.ping.pipe(
        Effect.as([DependencyHealth.make({ name: "store", kind: "store", status: "ok" })]),
        Effect.catchAllCause(() =>
          Effect.succeed([
            DependencyHealth.make({ name: "store", kind: "store", status: "failed", detail: "store did not answer" })
          ])
        )
      )
    )
    return handlers.handle("health", () =>
      Effect.gen(function* () {
        const dependencies = yield* checks.run
        const stats = yield* runner.stats
        const degraded = !stats.accepting || dependencies.some((d) => d.status === "failed" || d.status === "degraded")
        return new HealthReport({
          status: degraded ? "degraded" : "ok",
          version: API_VERSION,
          uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
          investigations: { running: stats.running, queued: stats.queued, max_concurrent: stats.maxConcurrent },
          dependencies
        })
      })
    )
  })
)

/** Both groups. */
export const HandlersLive = Layer.mergeAll(IncidentsHttpLive, SystemHttpLive)

/** Re-exported for tests that build incidents by hand. */
export type { Incident }
