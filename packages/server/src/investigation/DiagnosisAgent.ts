/**
 * The production `Agent`: the triage playbook gathers evidence through the Kubernetes MCP server and the analyzers
 * diagnose it; when an LLM is configured, the LangGraph agent investigates with the analyzers' findings as a head
 * start. When the LLM is unavailable (after its retries) or not configured, the incident completes with the
 * analyzers' diagnosis and says so.
 */
import type { LlmUsage } from "@sre/schema"
import { Effect, Layer } from "effect"
import { runLlmInvestigation } from "../agent/LlmInvestigation.js"
import { KnowledgeGraph } from "../knowledge/KnowledgeGraph.js"
import { LlmClient } from "../llm/LlmClient.js"
import { McpToolManager } from "../mcp/McpToolManager.js"
import type { InvestigationOutcome } from "../store/IncidentRepository.js"
import { runTriage, type TriageOptions } from "../triage/Triage.js"
import { evidenceKeysFor, toWireFindings, type TriageResult } from "../triage/TriageResult.js"
import { Agent, AgentError, type InvestigationContext } from "./Agent.js"

/** Why the LLM path did not produce a conclusion (the analyzers' answer is used instead). */
export interface LlmFallbackReason {
  readonly _tag: "LlmUnavailable"
  readonly message: string
  /** Tokens spent before the LLM gave up. */
  readonly usage?: LlmUsage | undefined
}

/** The LLM investigation, when one is configured. */
export type LlmInvestigate = (
  ctx: InvestigationContext,
  triage: TriageResult | undefined
) => Effect.Effect<InvestigationOutcome, AgentError | LlmFallbackReason>

/** The analyzers' conclusion as an investigation outcome. */
export const analyzerOutcome = (triage: TriageResult): InvestigationOutcome => {
  const top = triage.conclusion.findings[0]
  const supporting = evidenceKeysFor(triage.evidenceIndex, top?.evidence ?? [])
  return {
    suggested_root_cause: triage.conclusion.suggested_root_cause,
    confidence_score: triage.conclusion.confidence,
    supporting_evidence: supporting.length > 0 ? supporting : triage.evidenceKeys.slice(0, 3),
    recommended_next_steps: triage.conclusion.next_steps,
    findings: toWireFindings(triage.conclusion.findings.slice(0, 10)),
    concluded_by: "analyzers"
  }
}

/** Builds the investigate function from the triage and an optional LLM path. */
export const makeDiagnosis = (options: {
  readonly llm?: LlmInvestigate | undefined
  readonly triage?: TriageOptions
}) =>
  Effect.gen(function* () {
    const mcp = yield* McpToolManager
    const graph = yield* KnowledgeGraph
    const provide = <A, E>(effect: Effect.Effect<A, E, McpToolManager | KnowledgeGraph>) =>
      effect.pipe(Effect.provideService(McpToolManager, mcp), Effect.provideService(KnowledgeGraph, graph))

    return (ctx: InvestigationContext): Effect.Effect<InvestigationOutcome, AgentError> =>
      Effect.gen(function* () {
        const note = (reasoning: string) =>
          ctx.recordStep({ kind: "note", started_at: new Date().toISOString(), reasoning })
        const startedAt = new Date().toISOString()
        const triage = yield* provide(runTriage(ctx, options.triage)).pipe(
          Effect.tap((t) =>
            Effect.zipRight(
              ctx.setEntities(entitiesJson(t)),
              ctx.recordStep({
                kind: "analysis",
                started_at: startedAt,
                reasoning: `Analyzers over ${t.toolCalls} tool calls: ${t.conclusion.findings.length} finding(s). ${t.summary}`
              })
            )
          ),
          Effect.catchTag("TriageUnavailable", (e) => Effect.as(note(`Triage skipped: ${e.message}.`), undefined))
        )
        const conclude = (outcome: InvestigationOutcome) =>
          Effect.as(
            ctx.recordStep({
              kind: "conclusion",
              started_at: new Date().toISOString(),
              reasoning: `${outcome.suggested_root_cause} (confidence ${outcome.confidence_score}, by ${outcome.concluded_by})`
            }),
            outcome
          )
        const fromAnalyzers = (why: string, usage?: LlmUsage) =>
          triage === undefined
            ? Effect.fail(
                new AgentError({
                  message: `${why}, and no Kubernetes MCP server is connected for the analyzers: check mcp_config.yaml and /health`
                })
              )
            : Effect.zipRight(
                note(`${why}; the conclusion comes from the deterministic analyzers.`),
                conclude({ ...analyzerOutcome(triage), ...(usage !== undefined ? { llm_usage: usage } : {}) })
              )

        if (options.llm === undefined) return yield* fromAnalyzers("No LLM is configured (LLM_BASE_URL is not set)")
        // the LLM investigation records its own conclusion step
        return yield* options.llm(ctx, triage).pipe(
          Effect.catchIf(
            (e): e is LlmFallbackReason => e._tag === "LlmUnavailable",
            (e) => fromAnalyzers(`The LLM was unavailable (${e.message})`, e.usage)
          )
        )
      }).pipe(Effect.withSpan("DiagnosisAgent.investigate", { captureStackTrace: false }))
  })

const entitiesJson = (t: TriageResult): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(t.entities)) {
    if (v === undefined) continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return out
}

/** The LLM path over the LangGraph agent, or undefined when no LLM is configured. */
export const llmInvestigation = Effect.gen(function* () {
  const llm = yield* LlmClient
  if (!llm.configured) return undefined
  const mcp = yield* McpToolManager
  const graph = yield* KnowledgeGraph
  const run: LlmInvestigate = (ctx, triage) =>
    runLlmInvestigation({ ctx, triage }).pipe(
      Effect.provideService(LlmClient, llm),
      Effect.provideService(McpToolManager, mcp),
      Effect.provideService(KnowledgeGraph, graph)
    )
  return run
})

/** The `Agent` layer: triage + analyzers, with the LLM path when given. */
export const layerDiagnosisAgent = (llm?: LlmInvestigate) =>
  Layer.effect(
    Agent,
    Effect.map(makeDiagnosis({ llm }), (investigate) => ({ investigate }))
  )

/** The production `Agent` layer: triage + analyzers, and the LLM agent when `LLM_BASE_URL` is set. */
export const layerDiagnosisAgentLive = Layer.unwrapEffect(Effect.map(llmInvestigation, layerDiagnosisAgent))
