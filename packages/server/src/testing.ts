/**
 * Test support for users of this package: the whole server as an in-memory web handler (no sockets), built from
 * the same pieces as the composition root, over test layers. See docs/testing.md.
 */
import { HttpApiBuilder, HttpApiSwagger } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { SreApi } from "@sre/schema"
import { Layer } from "effect"
import { coreLayer } from "./app.js"
import { AppConfig, type AppConfigShape, testAppConfig } from "./config/AppConfig.js"
import { ApiKeyAuthLive, ApiKeysLive } from "./http/auth.js"
import { HandlersLive } from "./http/handlers.js"
import { contractErrorMiddleware, corsLayer, requestMiddleware } from "./http/middleware.js"
import { apiGuardMiddleware, RateLimiterLive } from "./http/rateLimit.js"
import { type Agent, type AgentShape, layerFromFunction } from "./investigation/Agent.js"
import { type IncidentRepository, layerMemory } from "./store/IncidentRepository.js"

/** Options of `makeTestHandler`: every part defaults to its test layer. */
export interface TestHandlerOptions {
  readonly repository?: Layer.Layer<IncidentRepository>
  readonly agent: Layer.Layer<Agent> | AgentShape["investigate"]
  readonly config?: Partial<AppConfigShape>
}

/**
 * The server as a `fetch`-style handler — `await handler(new Request("http://test/health"))` — with the same
 * handlers and middleware as production. Call `dispose()` when done (it stops investigations like a shutdown).
 */
export const makeTestHandler = (options: TestHandlerOptions) => {
  const agent = typeof options.agent === "function" ? layerFromFunction(options.agent) : options.agent
  const api = HttpApiBuilder.api(SreApi).pipe(Layer.provide(HandlersLive), Layer.provide(ApiKeyAuthLive))
  const layer = Layer.mergeAll(
    HttpApiSwagger.layer({ path: "/docs" }),
    HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }),
    apiGuardMiddleware,
    contractErrorMiddleware,
    corsLayer
  ).pipe(
    Layer.provideMerge(api),
    Layer.provide(Layer.merge(HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)),
    Layer.provide(Layer.merge(ApiKeysLive, RateLimiterLive)),
    Layer.provideMerge(coreLayer({ repository: options.repository ?? layerMemory, agent })),
    Layer.provideMerge(Layer.succeed(AppConfig, testAppConfig(options.config))),
    Layer.provideMerge(NodeHttpServer.layerContext)
  )
  return HttpApiBuilder.toWebHandler(layer, { middleware: requestMiddleware })
}
