/**
 * The composition root: how the services are wired into one HTTP application. `main.ts` picks the live layers;
 * tests pick test layers through the same function.
 */
import { Etag, HttpApiBuilder, HttpApiSwagger, HttpPlatform, HttpServer } from "@effect/platform"
import { type NodeContext, NodeHttpServer } from "@effect/platform-node"
import { SreApi } from "@sre/schema"
import { type ConfigError, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { AlertsConfig, AlertsConfigLive, layerAlertReceiver } from "./alerts/AlertReceiver.js"
import { withAlertmanagerRoute } from "./alerts/http.js"
import { AppConfig } from "./config/AppConfig.js"
import { type HealthChecks, layerHealthChecks } from "./health/HealthChecks.js"
import { ApiKeyAuthLive, ApiKeysLive } from "./http/auth.js"
import { HandlersLive } from "./http/handlers.js"
import { contractErrorMiddleware, corsLayer, requestMiddleware } from "./http/middleware.js"
import { apiGuardMiddleware, RateLimiterLive } from "./http/rateLimit.js"
import type { Agent } from "./investigation/Agent.js"
import { type IncidentEvents, layerIncidentEvents } from "./investigation/IncidentEvents.js"
import { type InvestigationRunner, layerInvestigationRunner } from "./investigation/InvestigationRunner.js"
import { withMetricsRoute } from "./observability/metrics.js"
import type { IncidentRepository } from "./store/IncidentRepository.js"
import type { CreationSnapshot } from "./triage/CreationSnapshot.js"

/** The layers that differ between production and tests. */
export interface AppLayers<E1, R1, E2, R2, E3 = never, R3 = never> {
  readonly repository: Layer.Layer<IncidentRepository, E1, R1>
  readonly agent: Layer.Layer<Agent, E2, R2>
  /**
   * Where investigations run and how their events travel: defaults to this process (`layerInvestigationRunner` and
   * the in-process event bus); several replicas on Postgres use the job queue and LISTEN/NOTIFY (see runtime.ts).
   */
  readonly distribution?:
    | Layer.Layer<InvestigationRunner | IncidentEvents, E3, R3 | AppConfig | IncidentRepository | Agent | HealthChecks>
    | undefined
  /** Captures an evidence snapshot when an incident is filed (needs the store; off when absent). */
  readonly snapshot?: Layer.Layer<CreationSnapshot, never, IncidentRepository> | undefined
  /** Settings of the Alertmanager receiver; defaults to `ALERTMANAGER_WEBHOOK_TOKEN` / `ALERT_DEDUP_WINDOW`. */
  readonly alertsConfig?: Layer.Layer<AlertsConfig, ConfigError.ConfigError> | undefined
}

/** The HTTP layer (contract handlers, OpenAPI, docs, middleware) without the core services. */
const httpLayer = (alertsConfig: Layer.Layer<AlertsConfig, ConfigError.ConfigError> | undefined) => {
  const api = HttpApiBuilder.api(SreApi).pipe(Layer.provide(HandlersLive), Layer.provide(ApiKeyAuthLive))
  // /metrics and the Alertmanager receiver are answered in front of the API guard (they authenticate differently)
  return HttpApiBuilder.serve((app) => requestMiddleware(withMetricsRoute(withAlertmanagerRoute(app)))).pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    // the guard (rate limit + API key) is built after, hence wraps, the error middleware: it answers first
    Layer.provide(apiGuardMiddleware),
    Layer.provide(contractErrorMiddleware),
    Layer.provide(corsLayer),
    Layer.provide(api),
    Layer.provide(layerAlertReceiver),
    Layer.provide(Layer.merge(ApiKeysLive, RateLimiterLive)),
    Layer.provide(alertsConfig ?? AlertsConfigLive)
  )
}

/**
 * The HTTP application (contract handlers, OpenAPI, docs, middleware) over the given store and agent. It needs an
 * `HttpServer` (see `serverLayer` / `NodeHttpServer.layerTest`) and `AppConfig`.
 */
export const appLayer = <E1, R1, E2, R2, E3 = never, R3 = never>(layers: AppLayers<E1, R1, E2, R2, E3, R3>) =>
  httpLayer(layers.alertsConfig).pipe(Layer.provideMerge(coreLayer(layers)))

/**
 * The application on a given server, which starts listening only once the core services (store, MCP connections,
 * agent) are ready — a request never reaches a port whose handler is not installed yet.
 */
export const appLayerOn = <E1, R1, E2, R2, E3, R3, E4 = never, R4 = never>(
  layers: AppLayers<E1, R1, E2, R2, E4, R4>,
  server: Layer.Layer<
    HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator | NodeContext.NodeContext,
    E3,
    R3
  >
) =>
  httpLayer(layers.alertsConfig).pipe(
    HttpServer.withLogAddress,
    Layer.provide(server),
    Layer.provideMerge(coreLayer(layers))
  )

/** The services behind the HTTP layer: runner, event bus, health registry and store (exposed for tests/tools). */
export const coreLayer = <E1, R1, E2, R2, E3 = never, R3 = never>(layers: AppLayers<E1, R1, E2, R2, E3, R3>) =>
  (layers.distribution ?? localDistribution).pipe(
    Layer.provide(layers.snapshot ?? Layer.empty),
    Layer.provideMerge(layerHealthChecks),
    Layer.provideMerge(layers.repository),
    Layer.provide(layers.agent)
  )

/** One process: investigations run here, events stay in this process. */
const localDistribution = layerInvestigationRunner.pipe(Layer.provideMerge(layerIncidentEvents))

/** A Node HTTP server on `HOST:PORT`, logging its address. */
export const serverLayer = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 65_000 }), {
      port: config.port,
      host: config.host
    }).pipe(Layer.orDie)
  )
)
