/**
 * Test helpers: start the real HTTP application on a free loopback port with chosen layers.
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Effect, Layer, Scope } from "effect"
import { createServer } from "node:http"
import { appLayer } from "../src/app.js"
import { AppConfig, type AppConfigShape, testAppConfig } from "../src/config/AppConfig.js"
import { layerFromFunction, type AgentShape } from "../src/investigation/Agent.js"
import { IncidentEvents } from "../src/investigation/IncidentEvents.js"
import { InvestigationRunner } from "../src/investigation/InvestigationRunner.js"
import { IncidentRepository, layerMemory } from "../src/store/IncidentRepository.js"

/** What a started test server exposes. */
export interface TestServer {
  readonly url: string
  readonly repo: Context.Tag.Service<IncidentRepository>
  readonly runner: Context.Tag.Service<InvestigationRunner>
  readonly events: Context.Tag.Service<IncidentEvents>
}

/** Options of `startServer`. */
export interface StartOptions {
  readonly agent?: AgentShape["investigate"]
  readonly repository?: Layer.Layer<IncidentRepository>
  readonly config?: Partial<AppConfigShape>
}

/** A simple agent: records one analysis step and concludes. */
export const quickAgent: AgentShape["investigate"] = (ctx) =>
  Effect.gen(function* () {
    yield* ctx.recordStep({ kind: "analysis", started_at: new Date().toISOString(), reasoning: "looked around" })
    yield* ctx.putEvidence("test:observation", { ok: true })
    return {
      suggested_root_cause: `root cause for ${ctx.incident.id}`,
      confidence_score: "medium" as const,
      supporting_evidence: ["test:observation"],
      recommended_next_steps: ["check it"],
      concluded_by: "analyzers" as const
    }
  })

class ServerAddress extends Context.Tag("test/ServerAddress")<ServerAddress, HttpServer.Address>() {}

/** Starts the application on a random loopback port; it stops when the scope closes. */
export const startServer = (options: StartOptions = {}): Effect.Effect<TestServer, never, Scope.Scope> =>
  Effect.gen(function* () {
    const app = appLayer({
      repository: options.repository ?? layerMemory,
      agent: layerFromFunction(options.agent ?? quickAgent)
    })
    const address = Layer.effect(
      ServerAddress,
      Effect.map(HttpServer.HttpServer, (s) => s.address)
    )
    const context = yield* Layer.build(
      Layer.merge(app, address).pipe(
        Layer.provide(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provide(Layer.succeed(AppConfig, testAppConfig(options.config))),
        Layer.orDie
      )
    )
    const addr = Context.get(context, ServerAddress)
    const port = addr._tag === "TcpAddress" ? addr.port : 0
    return {
      url: `http://127.0.0.1:${port}`,
      repo: Context.get(context, IncidentRepository),
      runner: Context.get(context, InvestigationRunner),
      events: Context.get(context, IncidentEvents)
    }
  })

/** `fetch` returning status, headers and the parsed JSON body (or the text when it is not JSON). */
export const request = (url: string, init?: RequestInit) =>
  Effect.promise(async () => {
    const res = await fetch(url, init)
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, body, text }
  })

/** POSTs JSON. */
export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
