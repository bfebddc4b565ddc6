/**
 * Test servers: the real SRE server in-process on a free port with a scripted agent, and a tiny stub server for
 * answers the real one does not give (401, server-side 400s, a dropped event stream).
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http"
import { appLayer } from "../../../server/src/app.js"
import { AppConfigTest } from "../../../server/src/config/AppConfig.js"
import { AgentError, type AgentShape, layerFromFunction } from "../../../server/src/investigation/Agent.js"
import { layerMemory, nowIso } from "../../../server/src/store/IncidentRepository.js"

/** Root cause the scripted agent concludes. */
export const ROOT_CAUSE = "checkout-7d9f container exits with OOMKilled: memory limit 128Mi is below the working set"

/**
 * The scripted agent: records an analysis step, a tool call, a failing tool call and a conclusion, with small
 * delays. A description containing FAIL fails the investigation; SLOW waits 3 s before doing anything.
 */
export const scriptedAgent: AgentShape["investigate"] = (ctx) =>
  Effect.gen(function* () {
    const description = ctx.incident.description
    if (description.includes("SLOW")) yield* Effect.sleep("3 seconds")
    yield* Effect.sleep("100 millis")
    yield* ctx.recordStep({
      kind: "analysis",
      started_at: nowIso(),
      reasoning: "Extracted namespace shop, deployment checkout"
    })
    if (description.includes("FAIL")) {
      return yield* Effect.fail(new AgentError({ message: "mock agent: the cluster API is unreachable" }))
    }
    yield* Effect.sleep("100 millis")
    yield* ctx.putEvidence("kubectl_get_pods:shop", { pods: [{ name: "checkout-7d9f", status: "CrashLoopBackOff" }] })
    yield* ctx.recordStep({
      kind: "tool_call",
      started_at: nowIso(),
      tool_name: "kubectl_get_pods",
      tool_server: "kubernetes",
      tool_arguments: { namespace: "shop" },
      output_summary: "3 pods, 1 in CrashLoopBackOff (OOMKilled)",
      evidence_key: "kubectl_get_pods:shop",
      duration_ms: 42
    })
    yield* Effect.sleep("100 millis")
    yield* ctx.recordStep({
      kind: "tool_call",
      started_at: nowIso(),
      tool_name: "kubectl_logs",
      tool_server: "kubernetes",
      tool_arguments: { namespace: "shop", pod: "checkout-7d9f", previous: true },
      duration_ms: 7,
      error: "container checkout not found"
    })
    yield* ctx.recordStep({ kind: "conclusion", started_at: nowIso(), reasoning: "OOMKilled at the memory limit" })
    return {
      suggested_root_cause: ROOT_CAUSE,
      confidence_score: "high" as const,
      supporting_evidence: ["kubectl_get_pods:shop"],
      recommended_next_steps: ["Raise the memory limit of checkout to 256Mi", "Check the heap settings"],
      concluded_by: "llm" as const
    }
  })

/** A running server and how to stop it. */
export interface TestServer {
  readonly url: string
  readonly close: () => Promise<void>
}

/** Starts the real server in-process on a free port, over the in-memory store and the scripted agent. */
export const startServer = async (agent: AgentShape["investigate"] = scriptedAgent): Promise<TestServer> => {
  const layer = appLayer({ repository: layerMemory, agent: layerFromFunction(agent) }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provide(AppConfigTest()),
    Layer.provide(Logger.minimumLogLevel(LogLevel.None))
  )
  const runtime = ManagedRuntime.make(layer)
  const url = await runtime.runPromise(HttpServer.addressFormattedWith((address) => Effect.succeed(address)))
  return { url, close: () => runtime.dispose() }
}

/** What a stub route answers. */
export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** Starts a plain Node server answering with `handler`; the handler sees every request. */
export const startStub = async (handler: StubHandler): Promise<TestServer> => {
  const server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")))
    req.on("end", () => handler(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** Answers a JSON error in the contract's shape. */
export const jsonError = (res: ServerResponse, status: number, tag: string, message: string): void => {
  res.writeHead(status, { "content-type": "application/json" })
  res.end(JSON.stringify({ _tag: tag, code: status, message }))
}

/** Forwards a request to `target` unchanged (for proxies that break only some routes). */
export const forward = (target: string, req: IncomingMessage, res: ServerResponse, body: string): void => {
  const upstream = httpRequest(
    `${target}${req.url ?? "/"}`,
    { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    }
  )
  upstream.end(body)
}

/** A URL on which nothing listens (a port that was free a moment ago). */
export const closedPortUrl = async (): Promise<string> => {
  const stub = await startStub((_req, res) => res.end())
  await stub.close()
  return stub.url
}
