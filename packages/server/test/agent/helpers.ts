/**
 * Helpers for the LLM agent tests: an investigation context over the in-memory store, LLM settings pointing at the
 * testkit mock LLM, and the real layers (ChatOpenAI client, McpToolManager over the testkit MCP server).
 */
import { randomUUID } from "node:crypto"
import type { Incident } from "@sre/schema"
import { type Context, Duration, Effect, Layer, Logger, LogLevel, Redacted, type Scope } from "effect"
import { HealthChecks, layerHealthChecks } from "../../src/health/HealthChecks.js"
import type { InvestigationContext } from "../../src/investigation/Agent.js"
import {
  graphFromServices,
  type KnowledgeGraph,
  layerTest as knowledgeLayerTest
} from "../../src/knowledge/KnowledgeGraph.js"
import { layerFromSettings, LlmClient } from "../../src/llm/LlmClient.js"
import { defaultLlmSettings, type LlmSettings } from "../../src/llm/LlmConfig.js"
import type { McpConfig } from "../../src/mcp/McpConfig.js"
import { layerFromConfig, McpToolManager } from "../../src/mcp/McpToolManager.js"
import { makeMemoryRepository } from "../../src/store/IncidentRepository.js"
import { fastOptions } from "../mcp/helpers.js"

/** The API key used in tests; it must never appear in messages, steps or logs. */
export const TEST_API_KEY = "sk-test-Zq81SuperSecretKey00042"

/** Settings for the mock LLM with small, fast budgets. */
export const testLlmSettings = (url: string, overrides: Partial<LlmSettings> = {}): LlmSettings => ({
  ...defaultLlmSettings,
  baseUrl: url,
  apiKey: Redacted.make(TEST_API_KEY),
  model: "gpt-4o-mini",
  timeout: Duration.seconds(5),
  maxRetries: 3,
  retryBudget: Duration.seconds(8),
  retryBaseDelay: Duration.millis(50),
  ...overrides
})

/** A context over a fresh in-memory incident; `current` reads the stored incident (steps, evidence, entities). */
export const makeContext = (
  description: string
): Effect.Effect<{ readonly ctx: InvestigationContext; readonly current: Effect.Effect<Incident> }> =>
  Effect.gen(function* () {
    const repo = yield* makeMemoryRepository
    const id = randomUUID()
    yield* repo.create({
      id,
      description,
      source: "api",
      correlationId: "test",
      createdAt: new Date().toISOString()
    })
    yield* Effect.orDie(repo.markRunning(id))
    const incident = yield* Effect.orDie(repo.get(id))
    const ctx: InvestigationContext = {
      incident,
      attempt: 1,
      recordStep: (step) => Effect.orDie(repo.appendStep(id, step)),
      putEvidence: (key, value) => Effect.orDie(repo.putEvidence(id, key, value)),
      setEntities: (entities) => Effect.orDie(repo.setEntities(id, entities))
    }
    return { ctx, current: Effect.orDie(repo.get(id)) }
  })

/** A small knowledge graph: checkout → postgres, frontend → checkout. */
export const testGraph = graphFromServices([
  {
    name: "checkout",
    namespace: "shop",
    team: "payments",
    dependsOn: [{ service: "postgres", type: "database", critical: true }]
  },
  { name: "postgres", namespace: "shop", kind: "StatefulSet" },
  { name: "frontend", namespace: "shop", dependsOn: [{ service: "checkout", type: "http", critical: true }] }
])

/** The real layers: ChatOpenAI → mock LLM, McpToolManager → the configured MCP servers, a test graph. */
export const liveLayers = (
  settings: LlmSettings,
  mcpConfig: McpConfig
): Layer.Layer<LlmClient | McpToolManager | HealthChecks | KnowledgeGraph> =>
  Layer.mergeAll(
    layerFromSettings(settings),
    layerFromConfig(mcpConfig, fastOptions),
    knowledgeLayerTest(testGraph)
  ).pipe(Layer.provideMerge(layerHealthChecks))

/** Builds layers in the current scope, quiet unless AGENT_TEST_LOGS=1. */
export const buildLayers = <R>(layer: Layer.Layer<R>): Effect.Effect<Context.Context<R>, never, Scope.Scope> =>
  Layer.build(layer).pipe(
    Logger.withMinimumLogLevel(process.env["AGENT_TEST_LOGS"] === "1" ? LogLevel.Debug : LogLevel.Error)
  )

/** Log level for the code under test. */
export const quiet = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Logger.withMinimumLogLevel(self, process.env["AGENT_TEST_LOGS"] === "1" ? LogLevel.Debug : LogLevel.Error)
