/**
 * The production wiring of the server, shared by `main.ts` (npm start) and `demo.ts` (npm run demo): the store
 * (SQLite, or PostgreSQL shared by several replicas), the MCP tool manager, the knowledge graph, the diagnosis agent (triage + analyzers, plus the LLM agent
 * when configured), and optionally a sandbox cluster serving a scenario file.
 */
import { HttpServer } from "@effect/platform"
import { startSandbox, type SandboxHandle } from "@sre/sandbox"
import { Context, Effect, Layer, Option, type Redacted, Scope } from "effect"
import { appLayerOn, serverLayer } from "./app.js"
import { AppConfig, type AppConfigShape } from "./config/AppConfig.js"
import { layerHealthChecks } from "./health/HealthChecks.js"
import { layerDiagnosisAgentLive } from "./investigation/DiagnosisAgent.js"
import { LlmClient, layer as llmLayer, unconfiguredClient } from "./llm/LlmClient.js"
import { layer as knowledgeGraphLayer } from "./knowledge/KnowledgeGraph.js"
import { loadMcpConfig, mcpConfigPath } from "./mcp/McpConfig.js"
import { layerFromConfig as mcpLayerFromConfig } from "./mcp/McpToolManager.js"
import {
  defaultDistributedRunnerOptions,
  type DistributedRunnerOptions,
  layerDistributedInvestigationRunner
} from "./investigation/DistributedInvestigationRunner.js"
import { layerPgBossQueue } from "./investigation/JobQueue.js"
import { layerPgIncidentEvents } from "./investigation/PgIncidentEvents.js"
import { databaseUrl, layerPg, layerPgClient } from "./store/PgIncidentRepository.js"
import { layerSqlite } from "./store/SqliteIncidentRepository.js"
import { layerCreationSnapshot } from "./triage/CreationSnapshot.js"

/** Options of the production runtime. */
export interface RuntimeOptions {
  /** A scenario file to serve from a sandbox cluster; the Kubernetes MCP server is pointed at it. */
  readonly sandboxScenario?: string | undefined
  /** Never use the LLM, even when LLM_* is set (the accuracy benchmark measures the analyzers). */
  readonly disableLlm?: boolean | undefined
}

const unconfiguredLlm = Layer.succeed(LlmClient, unconfiguredClient("none"))

/**
 * The store and where investigations run: the SQLite file and this process by default; with `DATABASE_URL`, the
 * shared PostgreSQL store, the job queue every replica takes investigations from, and events over LISTEN/NOTIFY.
 * One Postgres client (one pool) serves the store and the event listener; pg-boss keeps a small pool of its own.
 */
export const storageLayers = Effect.map(databaseUrl, (url) =>
  Option.isNone(url) ? { repository: layerSqlite, distribution: undefined } : postgresLayers(url.value)
)

/** The PostgreSQL store and the distributed runner on `url` (one client pool shared by the store and the events). */
export const postgresLayers = (
  url: Redacted.Redacted<string>,
  options: DistributedRunnerOptions = defaultDistributedRunnerOptions
) => {
  const client = layerPgClient(url)
  const repository = layerPg.pipe(Layer.provide(client))
  const distribution = layerDistributedInvestigationRunner(options).pipe(
    Layer.provideMerge(layerPgIncidentEvents),
    Layer.provide(layerPgBossQueue(url)),
    Layer.provide(client)
  )
  return { repository, distribution }
}

/**
 * Starts the sandbox (if asked), loads the MCP configuration, and returns the server layer. Everything started here
 * lives as long as the given scope.
 */
export const productionLayer = (config: AppConfigShape, options: RuntimeOptions = {}) =>
  Effect.gen(function* () {
    let sandbox: SandboxHandle | undefined
    if (options.sandboxScenario !== undefined) {
      sandbox = yield* startSandbox({ scenarioPath: options.sandboxScenario })
      yield* Effect.logInfo("sandbox cluster started").pipe(
        Effect.annotateLogs({ scenario: sandbox.scenario.id, url: sandbox.url, kubeconfig: sandbox.kubeconfigPath })
      )
    }
    const path = yield* Effect.orElseSucceed(mcpConfigPath, () => Option.none<string>())
    const mcpConfig = yield* loadMcpConfig(Option.getOrUndefined(path), {
      env: sandbox !== undefined ? { ...process.env, KUBECONFIG: sandbox.kubeconfigPath } : process.env
    })
    const mcp = mcpLayerFromConfig(mcpConfig).pipe(Layer.provide(layerHealthChecks))
    const llm = options.disableLlm === true ? unconfiguredLlm : llmLayer.pipe(Layer.provide(layerHealthChecks))
    const agent = layerDiagnosisAgentLive.pipe(
      Layer.provide(mcp),
      Layer.provide(knowledgeGraphLayer),
      Layer.provide(llm)
    )
    const snapshot = layerCreationSnapshot.pipe(Layer.provide(mcp))
    const storage = yield* storageLayers
    const layer = appLayerOn({ ...storage, agent, snapshot }, serverLayer).pipe(
      Layer.provide(Layer.succeed(AppConfig, config))
    )
    return { layer, sandbox }
  })

/**
 * Builds the production server inside the current scope (tools such as the demo and the accuracy benchmark) and
 * returns its URL. Use port 0 in `config` for a free port.
 */
export const startInProcess = (config: AppConfigShape, options: RuntimeOptions = {}) =>
  Effect.gen(function* () {
    const { layer, sandbox } = yield* productionLayer(config, options)
    const context = yield* Layer.build(Layer.merge(layer, addressLayer(config)))
    const address = Context.get(context, ServerAddress)
    const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "http://127.0.0.1"
    return { url, sandbox }
  })

class ServerAddress extends Context.Tag("sre/ServerAddress")<ServerAddress, HttpServer.Address>() {}

const addressLayer = (config: AppConfigShape) =>
  Layer.effect(
    ServerAddress,
    Effect.map(HttpServer.HttpServer, (s) => s.address)
  ).pipe(Layer.provide(serverLayer), Layer.provide(Layer.succeed(AppConfig, config)))

/** Scope type re-exported for callers of `startInProcess`. */
export type InProcessScope = Scope.Scope
