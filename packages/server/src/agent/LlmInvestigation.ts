/**
 * The LLM investigation: entity extraction → knowledge-graph context → (optional) the analyzers' findings → a
 * LangGraph ReAct loop over the policy-filtered MCP tools → a structured conclusion. Every model turn and tool call
 * is recorded as a step as it happens; every tool output is stored as evidence under a key naming the call.
 * See docs/langgraph-workflow.md.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages"
import {
  Annotation,
  END,
  messagesStateReducer,
  START,
  StateGraph,
  type LangGraphRunnableConfig
} from "@langchain/langgraph"
import type { JsonObject, LlmUsage } from "@sre/schema"
import { Data, Duration, Effect, Either, Option, Runtime, Schema } from "effect"
import { AgentError, type InvestigationContext } from "../investigation/Agent.js"
import { describeNeighbourhood, KnowledgeGraph, type Neighbourhood } from "../knowledge/KnowledgeGraph.js"
import { LlmClient, makeUsageMeter, withUsageMeter, type LlmClientShape } from "../llm/LlmClient.js"
import type { LlmError, LlmErrorKind } from "../llm/LlmError.js"
import { McpToolManager, type McpToolManagerShape } from "../mcp/McpToolManager.js"
import { redactKnown, redactValue } from "../observability/redact.js"
import type { InvestigationOutcome } from "../store/IncidentRepository.js"
import { evidenceKeysFor, toWireFindings, type TriageResult } from "../triage/TriageResult.js"
import { AgentConfig, type AgentLimits } from "./AgentConfig.js"
import {
  CONCLUSION_INSTRUCTIONS,
  ENTITY_INSTRUCTIONS,
  neutraliseTags,
  quoteDescription,
  quoteToolOutput,
  SRE_SYSTEM_PROMPT
} from "./prompts.js"
import { evidenceKeyFor, offerTools, type OfferedTool } from "./tools.js"

/** Budgets of the investigation (`AGENT_MAX_STEPS`, `AGENT_TIME_BUDGET`), re-exported for the composition. */
export { AgentConfig, defaultAgentLimits, type AgentLimits } from "./AgentConfig.js"

/**
 * The LLM could not be used (not configured, unreachable after its retries, rate limited, timing out, answering
 * garbage, or rejecting the key/request). The composition falls back to the analyzers' conclusion; `kind` and
 * `message` say why (the message says what to fix and never contains the key).
 */
export class LlmUnavailable extends Data.TaggedError("LlmUnavailable")<{
  readonly kind: LlmErrorKind
  readonly message: string
  readonly status?: number | undefined
  /** Tokens spent before it gave up. */
  readonly usage?: LlmUsage | undefined
}> {}

/** Input of {@link runLlmInvestigation}. */
export interface LlmInvestigationInput {
  readonly ctx: InvestigationContext
  /** What the no-LLM triage found (entities, analyzers' findings, evidence keys). */
  readonly triage?: TriageResult | undefined
  /** Overrides of `AGENT_MAX_STEPS` / `AGENT_TIME_BUDGET`. */
  readonly limits?: { readonly maxSteps?: number | undefined; readonly timeBudget?: Duration.DurationInput | undefined }
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas of the structured calls
// ---------------------------------------------------------------------------------------------------------------

const OptionalName = Schema.optional(Schema.NullOr(Schema.String))

/** Entities the LLM extracts from the description. */
export const LlmEntities = Schema.Struct({
  pod: OptionalName,
  namespace: OptionalName,
  deployment: OptionalName,
  service: OptionalName,
  node: OptionalName,
  container: OptionalName,
  alertname: OptionalName
})
/** @see LlmEntities */
export type LlmEntities = typeof LlmEntities.Type

const ENTITY_FIELDS = ["pod", "namespace", "deployment", "service", "node", "container", "alertname"] as const
type EntityField = (typeof ENTITY_FIELDS)[number]

const entitiesJsonSchema = {
  type: "object",
  properties: Object.fromEntries(
    ENTITY_FIELDS.map((f) => [f, { type: ["string", "null"], description: `the ${f} named in the description` }])
  ),
  additionalProperties: false
}

/** The final answer of the investigation. */
export const LlmConclusion = Schema.Struct({
  suggested_root_cause: Schema.String.pipe(Schema.minLength(1)),
  confidence_score: Schema.Literal("high", "medium", "low"),
  supporting_evidence: Schema.Array(Schema.String),
  recommended_next_steps: Schema.Array(Schema.String)
})
/** @see LlmConclusion */
export type LlmConclusion = typeof LlmConclusion.Type

const conclusionJsonSchema = {
  type: "object",
  properties: {
    suggested_root_cause: { type: "string", description: "1-2 sentences: failing object, mechanism, decisive value" },
    confidence_score: { type: "string", enum: ["high", "medium", "low"] },
    supporting_evidence: { type: "array", items: { type: "string" }, description: "evidence keys, exactly as given" },
    recommended_next_steps: { type: "array", items: { type: "string" } }
  },
  required: ["suggested_root_cause", "confidence_score", "supporting_evidence", "recommended_next_steps"],
  additionalProperties: false
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers
// ---------------------------------------------------------------------------------------------------------------

/** Maximum characters of a step's `output_summary`. */
export const OUTPUT_SUMMARY_LENGTH = 300
/** Maximum characters of one tool output shown to the model in the loop (the evidence keeps it all). */
export const MODEL_TOOL_OUTPUT_CHARS = 16_000
/** Maximum characters of one evidence entry quoted in the conclusion prompt. */
const CONCLUSION_EVIDENCE_CHARS = 4_000
/** Maximum characters of all evidence quoted in the conclusion prompt. */
const CONCLUSION_TOTAL_CHARS = 60_000

/** The first ~300 characters of an output, scrubbed. */
export const summarise = (text: string, length = OUTPUT_SUMMARY_LENGTH): string => {
  const clean = redactKnown(text).trim()
  return clean.length > length ? `${clean.slice(0, length)}…` : clean
}

/** Merges the LLM's entities with the triage's (which were checked against the cluster and win). */
export const mergeEntities = (llm: LlmEntities, triage: TriageResult["entities"] | undefined): JsonObject => {
  const fromTriage: Partial<Record<EntityField, string | undefined>> =
    triage === undefined
      ? {}
      : {
          namespace: triage.namespace ?? triage.namespaces[0],
          pod: triage.pods[0],
          deployment: triage.deployments[0],
          service: triage.services[0],
          node: triage.nodes[0],
          container: triage.containers[0],
          alertname: triage.alertnames[0]
        }
  const out: Record<string, unknown> = {}
  for (const field of ENTITY_FIELDS) {
    const value = fromTriage[field] ?? llm[field] ?? undefined
    if (typeof value === "string" && value.trim() !== "") out[field] = value.trim()
  }
  if (triage !== undefined) {
    const lists = {
      pods: triage.pods,
      deployments: triage.deployments,
      statefulsets: triage.statefulsets,
      daemonsets: triage.daemonsets,
      jobs: triage.jobs,
      services: triage.services,
      nodes: triage.nodes,
      configmaps: triage.configmaps,
      alertnames: triage.alertnames,
      reasons: triage.reasons
    }
    for (const [key, list] of Object.entries(lists)) if (list.length > 1) out[key] = [...list]
  }
  return out
}

/** The text of an AI message's content (string or text parts). */
export const messageText = (message: BaseMessage): string => {
  const content = message.content
  if (typeof content === "string") return content
  return content
    .map((part) => (part.type === "text" && "text" in part && typeof part.text === "string" ? part.text : ""))
    .join("")
}

/**
 * Keeps the cited keys that exist (an analyzer reference such as `log:ns/pod/container` is mapped to the evidence
 * key of the triage call behind it); returns them deduplicated, in citation order, and how many were dropped.
 */
export const validateEvidence = (
  cited: ReadonlyArray<string>,
  knownKeys: ReadonlySet<string>,
  triage: TriageResult | undefined
): { readonly supporting: ReadonlyArray<string>; readonly dropped: number } => {
  const supporting: Array<string> = []
  let dropped = 0
  for (const raw of cited) {
    const key = raw.trim()
    const resolved = knownKeys.has(key)
      ? [key]
      : triage !== undefined
        ? evidenceKeysFor(triage.evidenceIndex, [key]).filter((k) => knownKeys.has(k))
        : []
    if (resolved.length === 0) dropped++
    for (const k of resolved) if (!supporting.includes(k)) supporting.push(k)
  }
  return { supporting, dropped }
}

/** Tool arguments as recorded in a step: every string scrubbed. */
const scrubArgs = (args: Readonly<Record<string, unknown>>): JsonObject =>
  Object.fromEntries(Object.entries(args).map(([k, v]) => [k, redactValue(v)]))

const nowIso = (): string => new Date().toISOString()

const toUnavailable = (e: LlmError, usage: LlmUsage | undefined): LlmUnavailable =>
  new LlmUnavailable({ kind: e.kind, message: e.message, status: e.status, usage })

// ---------------------------------------------------------------------------------------------------------------
// The investigation
// ---------------------------------------------------------------------------------------------------------------

/**
 * One tool output gathered during the loop: only the part the conclusion prompt quotes is kept (the whole output is
 * in the evidence store and, up to `MODEL_TOOL_OUTPUT_CHARS`, in the model's message history).
 */
interface Gathered {
  readonly key: string
  readonly source: string
  /** At most `CONCLUSION_EVIDENCE_CHARS` characters of the output. */
  readonly text: string
  /** Whether the output was longer than `text`. */
  readonly cut: boolean
  readonly isError: boolean
}

type StopReason = "steps" | "time"

const AgentState = Annotation.Root({
  messages: Annotation<Array<BaseMessage>>({ reducer: messagesStateReducer, default: () => [] }),
  rounds: Annotation<number>({ reducer: (_old: number, next: number) => next, default: () => 0 }),
  stop: Annotation<StopReason | undefined>({
    reducer: (_old: StopReason | undefined, next: StopReason | undefined) => next,
    default: () => undefined
  }),
  failure: Annotation<LlmError | undefined>({
    reducer: (_old: LlmError | undefined, next: LlmError | undefined) => next,
    default: () => undefined
  })
})
type AgentStateType = typeof AgentState.State
type AgentStateUpdate = typeof AgentState.Update

const resolveLimits = (limits: LlmInvestigationInput["limits"]): Effect.Effect<AgentLimits, AgentError> =>
  limits?.maxSteps !== undefined && limits.timeBudget !== undefined
    ? Effect.succeed({
        maxSteps: Math.max(0, Math.floor(limits.maxSteps)),
        timeBudget: Duration.decode(limits.timeBudget)
      })
    : AgentConfig.pipe(
        Effect.map((fromEnv) => ({
          maxSteps: limits?.maxSteps ?? fromEnv.maxSteps,
          timeBudget: limits?.timeBudget !== undefined ? Duration.decode(limits.timeBudget) : fromEnv.timeBudget
        })),
        Effect.mapError((e) => new AgentError({ message: `invalid agent configuration: ${String(e)}` }))
      )

/**
 * Investigates one incident with the LLM. Fails with `LlmUnavailable` when the LLM cannot be used (the composition
 * falls back to the analyzers), with `AgentError` for anything else that stops the investigation. Interrupting the
 * returned effect aborts the in-flight LLM request.
 */
export const runLlmInvestigation = (
  input: LlmInvestigationInput
): Effect.Effect<InvestigationOutcome, AgentError | LlmUnavailable, LlmClient | McpToolManager | KnowledgeGraph> =>
  Effect.gen(function* () {
    const llm = yield* LlmClient
    if (!llm.configured) {
      return yield* Effect.fail(
        new LlmUnavailable({
          kind: "unavailable",
          message: "no LLM is configured: set LLM_BASE_URL (and LLM_API_KEY, LLM_MODEL) to enable the LLM agent"
        })
      )
    }
    const mcp = yield* McpToolManager
    const kg = yield* KnowledgeGraph
    const limits = yield* resolveLimits(input.limits)
    const meter = yield* makeUsageMeter
    return yield* investigate(input, limits, llm, mcp, kg).pipe(
      withUsageMeter(meter),
      Effect.catchAll((e) =>
        Effect.flatMap(meter.get, (usage) =>
          Effect.fail(
            e._tag === "LlmError"
              ? toUnavailable(e, usage)
              : e._tag === "AgentError"
                ? new AgentError({ message: e.message, usage })
                : e
          )
        )
      ),
      Effect.flatMap((outcome) => Effect.map(meter.get, (usage) => ({ ...outcome, llm_usage: usage })))
    )
  }).pipe(
    Effect.annotateLogs("incident_id", input.ctx.incident.id),
    Effect.withSpan("LlmInvestigation.run", {
      attributes: { incident_id: input.ctx.incident.id },
      captureStackTrace: false
    })
  )

const investigate = (
  input: LlmInvestigationInput,
  limits: AgentLimits,
  llm: LlmClientShape,
  mcp: McpToolManagerShape,
  kg: KnowledgeGraph["Type"]
): Effect.Effect<InvestigationOutcome, LlmError | AgentError | LlmUnavailable> =>
  Effect.gen(function* () {
    const { ctx, triage } = input
    const description = ctx.incident.description
    const knownKeys = new Set<string>([...Object.keys(ctx.incident.evidence), ...(triage?.evidenceKeys ?? [])])

    // (1) Entities -------------------------------------------------------------------------------------------
    const entityStarted = nowIso()
    const t0 = Date.now()
    const llmEntities = yield* llm.structured(
      [new SystemMessage(ENTITY_INSTRUCTIONS), new HumanMessage(quoteDescription(description))],
      LlmEntities,
      "incident_entities",
      { jsonSchema: entitiesJsonSchema }
    )
    // entities known up front (e.g. an alert's labels) are kept unless the extraction names the same field
    const entities: JsonObject = { ...ctx.incident.extracted_entities, ...mergeEntities(llmEntities, triage?.entities) }
    yield* ctx.setEntities(entities)
    const entityText = Object.entries(entities)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`)
      .join(", ")
    yield* ctx.recordStep({
      kind: "llm",
      started_at: entityStarted,
      reasoning: redactKnown(
        `extracted entities${triage !== undefined ? " (merged with the triage's)" : ""}: ${entityText === "" ? "none named" : entityText}`
      ),
      duration_ms: Date.now() - t0
    })

    // (2) Knowledge graph --------------------------------------------------------------------------------------
    const neighbourhood = yield* findNeighbourhood(kg, description, entities)
    let graphText: string | undefined
    if (Option.isSome(neighbourhood)) {
      const n = neighbourhood.value
      graphText = describeNeighbourhood(n)
      const key = `knowledge_graph/${n.service.name}`
      yield* ctx.putEvidence(key, graphText)
      knownKeys.add(key)
      yield* ctx.recordStep({
        kind: "note",
        started_at: nowIso(),
        reasoning: `knowledge graph: service ${n.service.name} (${n.dependencies.length} dependencies, ${n.dependents.length} dependents) added to the context`,
        evidence_key: key
      })
    }

    // (3) Context ----------------------------------------------------------------------------------------------
    const contextText = [
      "A production incident was reported:",
      quoteDescription(description),
      `Extracted entities: ${JSON.stringify(entities)}`,
      ...(graphText !== undefined
        ? ["Service knowledge graph (what the affected service depends on and who depends on it):", graphText]
        : []),
      ...(triage !== undefined
        ? [
            "Findings of the deterministic analyzers (verify, don't trust blindly):",
            `<analyzer_findings>\n${neutraliseTags(triage.summary, "analyzer_findings")}\n</analyzer_findings>`
          ]
        : []),
      ...(knownKeys.size > 0 ? [`Evidence already gathered (keys): ${[...knownKeys].join("; ")}`] : [])
    ].join("\n\n")

    // (4) ReAct loop -------------------------------------------------------------------------------------------
    const offered = offerTools(yield* mcp.tools)
    const loop = yield* reactLoop({ ctx, llm, mcp, offered, limits, contextText, knownKeys })
    if (loop.stop !== undefined) {
      yield* ctx.recordStep({
        kind: "note",
        started_at: nowIso(),
        reasoning:
          loop.stop === "steps"
            ? `step budget reached (${limits.maxSteps} tool-calling rounds, AGENT_MAX_STEPS): concluding from the evidence gathered so far`
            : `time budget reached (${Duration.format(limits.timeBudget)}, AGENT_TIME_BUDGET): concluding from the evidence gathered so far`
      })
    }

    // (5) Conclusion -------------------------------------------------------------------------------------------
    const conclusionStarted = nowIso()
    const t1 = Date.now()
    const conclusion = yield* llm.structured(
      [
        new SystemMessage(SRE_SYSTEM_PROMPT),
        new HumanMessage(conclusionPrompt(contextText, loop.gathered, loop.notes, knownKeys))
      ],
      LlmConclusion,
      "investigation_conclusion",
      { jsonSchema: conclusionJsonSchema }
    )
    const { supporting, dropped } = validateEvidence(conclusion.supporting_evidence, knownKeys, triage)
    const rootCause = redactKnown(conclusion.suggested_root_cause.trim())
    const nextSteps = conclusion.recommended_next_steps.map((s) => redactKnown(s.trim())).filter((s) => s !== "")
    yield* ctx.recordStep({
      kind: "conclusion",
      started_at: conclusionStarted,
      reasoning:
        `${rootCause} (confidence ${conclusion.confidence_score}; evidence: ${supporting.length > 0 ? supporting.join("; ") : "none cited"})` +
        (dropped > 0 ? ` [${dropped} unknown evidence key(s) dropped]` : ""),
      duration_ms: Date.now() - t1
    })
    yield* Effect.logInfo(
      `llm investigation concluded: confidence ${conclusion.confidence_score}, ${loop.gathered.length} tool call(s), ${loop.rounds} round(s)`
    )
    return {
      suggested_root_cause: rootCause,
      confidence_score: conclusion.confidence_score,
      supporting_evidence: supporting,
      recommended_next_steps: nextSteps,
      concluded_by: triage !== undefined ? "llm+analyzers" : "llm",
      ...(triage !== undefined ? { findings: toWireFindings(triage.conclusion.findings) } : {})
    } satisfies InvestigationOutcome
  })

/** The neighbourhood of the first service the entities or the description name. */
const findNeighbourhood = (
  kg: KnowledgeGraph["Type"],
  description: string,
  entities: JsonObject
): Effect.Effect<Option.Option<Neighbourhood>> =>
  Effect.gen(function* () {
    const namespace = typeof entities["namespace"] === "string" ? entities["namespace"] : undefined
    const candidates: Array<string> = []
    for (const key of ["service", "deployment", "pod"]) {
      const value = entities[key]
      if (typeof value === "string") candidates.push(value)
    }
    const mentioned = yield* kg.find(`${description} ${candidates.join(" ")}`)
    candidates.push(...mentioned.map((s) => s.name))
    for (const name of candidates) {
      const found = yield* kg.neighbourhood(name, namespace)
      if (Option.isSome(found)) return found
      const anyNamespace = yield* kg.neighbourhood(name)
      if (Option.isSome(anyNamespace)) return anyNamespace
    }
    return Option.none()
  })

const conclusionPrompt = (
  contextText: string,
  gathered: ReadonlyArray<Gathered>,
  notes: ReadonlyArray<string>,
  knownKeys: ReadonlySet<string>
): string => {
  let budget = CONCLUSION_TOTAL_CHARS
  const quoted: Array<string> = []
  // newest first when cutting, so the last (usually most specific) outputs survive; printed oldest first
  for (const g of [...gathered].reverse()) {
    if (budget <= 0) break
    const cut = g.cut ? `${g.text}\n[… cut …]` : g.text
    const text = cut.length > budget ? `${cut.slice(0, budget)}\n[… cut …]` : cut
    budget -= text.length
    quoted.unshift(quoteToolOutput({ source: g.source, evidenceKey: g.key, text, isError: g.isError }))
  }
  return [
    contextText,
    quoted.length > 0 ? `Tool outputs gathered by the investigation:\n${quoted.join("\n")}` : "No tool was called.",
    notes.length > 0 ? `Your analysis during the investigation:\n${notes.slice(-3).join("\n---\n")}` : "",
    `Evidence keys you may cite (exactly): ${knownKeys.size > 0 ? [...knownKeys].join("; ") : "none"}`,
    CONCLUSION_INSTRUCTIONS
  ]
    .filter((s) => s !== "")
    .join("\n\n")
}

// ---------------------------------------------------------------------------------------------------------------
// The LangGraph ReAct loop
// ---------------------------------------------------------------------------------------------------------------

interface LoopInput {
  readonly ctx: InvestigationContext
  readonly llm: LlmClientShape
  readonly mcp: McpToolManagerShape
  readonly offered: ReadonlyArray<OfferedTool>
  readonly limits: AgentLimits
  readonly contextText: string
  /** Evidence keys that exist; the loop adds the keys of its tool outputs. */
  readonly knownKeys: Set<string>
}

interface LoopResult {
  readonly gathered: ReadonlyArray<Gathered>
  readonly notes: ReadonlyArray<string>
  readonly rounds: number
  readonly stop: StopReason | undefined
}

const toolCallsOf = (message: BaseMessage | undefined) =>
  message !== undefined && AIMessage.isInstance(message) ? (message.tool_calls ?? []) : []

const reactLoop = (input: LoopInput): Effect.Effect<LoopResult, LlmError | AgentError> =>
  Effect.gen(function* () {
    const { ctx, llm, mcp, offered, limits, knownKeys } = input
    const runtime = yield* Effect.runtime<never>()
    const byName = new Map(offered.map((t) => [t.name, t]))
    const definitions = offered.map((t) => t.definition)
    const gathered: Array<Gathered> = []
    const notes: Array<string> = []
    let rounds = 0
    let stop: StopReason | undefined
    let failure: LlmError | undefined
    let seq = 0
    const deadline = Date.now() + Duration.toMillis(limits.timeBudget)

    /** Runs an Effect from a LangGraph node; the node's abort signal interrupts it. */
    const runNode = <A>(effect: Effect.Effect<A>, config: LangGraphRunnableConfig): Promise<A> =>
      Runtime.runPromise(runtime)(effect, config.signal !== undefined ? { signal: config.signal } : undefined)

    const agentTurn = (state: AgentStateType): Effect.Effect<AgentStateUpdate> =>
      Effect.gen(function* () {
        if (state.rounds >= limits.maxSteps) {
          stop = "steps"
          return { stop: "steps" as const }
        }
        if (Date.now() >= deadline) {
          stop = "time"
          return { stop: "time" as const }
        }
        const started = nowIso()
        const t0 = Date.now()
        const answer = yield* Effect.either(llm.chat(state.messages, { tools: definitions, toolChoice: "auto" }))
        if (Either.isLeft(answer)) {
          failure = answer.left
          return { failure: answer.left }
        }
        const message = answer.right.message
        const text = messageText(message).trim()
        const calls = toolCallsOf(message)
        if (text !== "") notes.push(text)
        const callText = calls.map((c) => `${c.name} ${JSON.stringify(c.args)}`).join("; ")
        yield* ctx.recordStep({
          kind: "llm",
          started_at: started,
          reasoning: redactKnown(
            [text, calls.length > 0 ? `calls: ${callText}` : "answered without calling tools"]
              .filter((s) => s !== "")
              .join("\n")
          ).slice(0, 4_000),
          duration_ms: Date.now() - t0
        })
        return { messages: [message] }
      })

    const toolsTurn = (state: AgentStateType): Effect.Effect<AgentStateUpdate> =>
      Effect.gen(function* () {
        const calls = toolCallsOf(state.messages.at(-1))
        const results = yield* Effect.forEach(calls, (call) =>
          runTool(call.name, call.args, call.id ?? `call_${seq + 1}`)
        )
        rounds = state.rounds + 1
        return { messages: results, rounds: state.rounds + 1 }
      })

    const nextKey = (server: string, tool: string, args: Readonly<Record<string, unknown>>): string => {
      let key: string
      do key = evidenceKeyFor(server, tool, ++seq, args)
      while (knownKeys.has(key))
      knownKeys.add(key)
      return key
    }

    const runTool = (name: string, args: Record<string, unknown>, callId: string): Effect.Effect<ToolMessage> =>
      Effect.gen(function* () {
        const started = nowIso()
        const t0 = Date.now()
        const target = byName.get(name)
        if (target === undefined) {
          const message = `no tool named ${name} is offered; use one of: ${offered.map((t) => t.name).join(", ")}`
          yield* ctx.recordStep({
            kind: "tool_call",
            started_at: started,
            tool_name: name,
            tool_arguments: scrubArgs(args),
            error: summarise(message),
            duration_ms: 0
          })
          return new ToolMessage({
            content: quoteToolOutput({ source: name, evidenceKey: undefined, text: message, isError: true }),
            tool_call_id: callId,
            name
          })
        }
        const { server, name: tool } = target.tool
        const source = `${server}/${tool}`
        const result = yield* Effect.either(mcp.call(server, tool, args))
        if (Either.isLeft(result)) {
          const error = result.left
          const text = `the tool call failed (${error.reason}): ${error.message}`
          yield* ctx.recordStep({
            kind: "tool_call",
            started_at: started,
            tool_name: tool,
            tool_server: server,
            tool_arguments: scrubArgs(args),
            error: summarise(text),
            duration_ms: Date.now() - t0
          })
          return new ToolMessage({
            content: quoteToolOutput({ source, evidenceKey: undefined, text: redactKnown(text), isError: true }),
            tool_call_id: callId,
            name
          })
        }
        const output = result.right
        const text = redactKnown(output.text)
        const key = nextKey(server, tool, args)
        yield* ctx.putEvidence(key, text)
        gathered.push({
          key,
          source,
          text: text.length > CONCLUSION_EVIDENCE_CHARS ? text.slice(0, CONCLUSION_EVIDENCE_CHARS) : text,
          cut: text.length > CONCLUSION_EVIDENCE_CHARS,
          isError: output.isError
        })
        yield* ctx.recordStep({
          kind: "tool_call",
          started_at: started,
          tool_name: tool,
          tool_server: server,
          tool_arguments: scrubArgs(args),
          output_summary: summarise(text),
          evidence_key: key,
          duration_ms: output.durationMs,
          ...(output.isError ? { error: summarise(text) } : {})
        })
        const shown =
          text.length > MODEL_TOOL_OUTPUT_CHARS
            ? `${text.slice(0, MODEL_TOOL_OUTPUT_CHARS)}\n[… ${text.length - MODEL_TOOL_OUTPUT_CHARS} of ${text.length} characters omitted here; the full output is stored under the evidence key …]`
            : text
        return new ToolMessage({
          content: quoteToolOutput({ source, evidenceKey: key, text: shown, isError: output.isError }),
          tool_call_id: callId,
          name,
          ...(output.isError ? { status: "error" as const } : {})
        })
      })

    const graph = new StateGraph(AgentState)
      .addNode("agent", (state: AgentStateType, config: LangGraphRunnableConfig) => runNode(agentTurn(state), config))
      .addNode("tools", (state: AgentStateType, config: LangGraphRunnableConfig) => runNode(toolsTurn(state), config))
      .addEdge(START, "agent")
      .addConditionalEdges(
        "agent",
        (state: AgentStateType) =>
          state.stop !== undefined || state.failure !== undefined || toolCallsOf(state.messages.at(-1)).length === 0
            ? END
            : "tools",
        { tools: "tools", [END]: END }
      )
      .addEdge("tools", "agent")
      .compile()

    const initial = [
      new SystemMessage(SRE_SYSTEM_PROMPT),
      new HumanMessage(
        `${input.contextText}\n\nInvestigate with the tools offered, then answer with your analysis of the root cause.`
      )
    ]
    const remaining = Math.max(1, deadline - Date.now())
    const finished = yield* Effect.tryPromise({
      try: (signal) => graph.invoke({ messages: initial }, { signal, recursionLimit: limits.maxSteps * 2 + 10 }),
      catch: (e) =>
        new AgentError({
          message: `the investigation graph failed: ${summarise(e instanceof Error ? e.message : String(e))}`
        })
    }).pipe(Effect.timeoutOption(Duration.millis(remaining)))
    if (Option.isNone(finished)) stop = "time"
    if (failure !== undefined) return yield* Effect.fail(failure)
    return { gathered, notes, rounds, stop }
  })
