/**
 * Domain models of the SRE Orchestrator contract. Field names are snake_case because they are the wire format.
 */
import { Schema } from "effect"

/** An ISO-8601 UTC timestamp as it travels on the wire (e.g. `2026-11-26T05:29:48.123Z`). */
export const Timestamp = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
  Schema.annotations({ identifier: "Timestamp", jsonSchema: { type: "string", format: "date-time" } })
)

/** Lifecycle of an incident's investigation. */
export const IncidentStatus = Schema.Literal("pending", "running", "completed", "failed").annotations({
  identifier: "IncidentStatus"
})
/** @see IncidentStatus */
export type IncidentStatus = typeof IncidentStatus.Type

/** How strongly the evidence supports the suggested root cause. */
export const Confidence = Schema.Literal("high", "medium", "low").annotations({ identifier: "Confidence" })
/** @see Confidence */
export type Confidence = typeof Confidence.Type

/** Where an incident came from. */
export const IncidentSource = Schema.Literal("api", "cli", "alertmanager").annotations({ identifier: "IncidentSource" })
/** @see IncidentSource */
export type IncidentSource = typeof IncidentSource.Type

/** A JSON object with arbitrary values (evidence, entities, tool arguments). */
export const JsonObject = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "JsonObject"
})
/** @see JsonObject */
export type JsonObject = typeof JsonObject.Type

/** What kind of work a step records. */
export const StepKind = Schema.Literal("analysis", "llm", "tool_call", "conclusion", "note").annotations({
  identifier: "StepKind"
})
/** @see StepKind */
export type StepKind = typeof StepKind.Type

/** One step of an investigation, recorded as it happens. */
export const InvestigationStep = Schema.Struct({
  /** 1-based position in the investigation. */
  index: Schema.Int.pipe(Schema.positive()),
  kind: StepKind,
  started_at: Timestamp,
  /** The agent's reasoning or a description of what the step did. */
  reasoning: Schema.optional(Schema.String),
  /** Tool that was called, when `kind` is `tool_call`. */
  tool_name: Schema.optional(Schema.String),
  /** MCP server that served the tool. */
  tool_server: Schema.optional(Schema.String),
  tool_arguments: Schema.optional(JsonObject),
  /** A short summary of the tool's output. */
  output_summary: Schema.optional(Schema.String),
  /** Key of the evidence entry holding the full output. */
  evidence_key: Schema.optional(Schema.String),
  duration_ms: Schema.optional(Schema.NonNegative),
  error: Schema.optional(Schema.String)
}).annotations({ identifier: "InvestigationStep" })
/** @see InvestigationStep */
export type InvestigationStep = typeof InvestigationStep.Type

/** Token usage of the LLM calls of one investigation. */
export const LlmUsage = Schema.Struct({
  calls: Schema.Int.pipe(Schema.nonNegative()),
  prompt_tokens: Schema.Int.pipe(Schema.nonNegative()),
  completion_tokens: Schema.Int.pipe(Schema.nonNegative()),
  total_tokens: Schema.Int.pipe(Schema.nonNegative())
}).annotations({ identifier: "LlmUsage" })
/** @see LlmUsage */
export type LlmUsage = typeof LlmUsage.Type

/** A diagnosis produced by a deterministic analyzer. */
export const Finding = Schema.Struct({
  analyzer: Schema.String,
  title: Schema.String,
  object: Schema.Struct({ kind: Schema.String, name: Schema.String, namespace: Schema.optional(Schema.String) }),
  summary: Schema.String,
  severity: Schema.String,
  confidence: Confidence,
  evidence: Schema.Array(Schema.String),
  next_steps: Schema.Array(Schema.String)
}).annotations({ identifier: "Finding" })
/** @see Finding */
export type Finding = typeof Finding.Type

/** An incident and everything its investigation found. */
export class Incident extends Schema.Class<Incident>("Incident")({
  id: Schema.UUID,
  description: Schema.String,
  status: IncidentStatus,
  source: IncidentSource,
  created_at: Timestamp,
  updated_at: Timestamp,
  completed_at: Schema.optional(Timestamp),
  /** Tool outputs and gathered facts, keyed so a reader can tell which call produced what. */
  evidence: JsonObject,
  /** Entities extracted from the description (namespace, pod, deployment, service, node, ...). */
  extracted_entities: JsonObject,
  suggested_root_cause: Schema.optional(Schema.String),
  confidence_score: Schema.optional(Confidence),
  /** Keys of the `evidence` entries the conclusion rests on. */
  supporting_evidence: Schema.optional(Schema.Array(Schema.String)),
  /** What an SRE should do next. */
  recommended_next_steps: Schema.optional(Schema.Array(Schema.String)),
  /** Findings of the deterministic analyzers. */
  findings: Schema.optional(Schema.Array(Finding)),
  /** Which engine produced the conclusion: the LLM agent, the analyzers, or both. */
  concluded_by: Schema.optional(Schema.Literal("llm", "analyzers", "llm+analyzers")),
  investigation_steps: Schema.Array(InvestigationStep),
  llm_usage: Schema.optional(LlmUsage),
  error_message: Schema.optional(Schema.String)
}) {}

/** The list view of an incident (no evidence or steps). */
export class IncidentSummary extends Schema.Class<IncidentSummary>("IncidentSummary")({
  id: Schema.UUID,
  description: Schema.String,
  status: IncidentStatus,
  source: IncidentSource,
  created_at: Timestamp,
  completed_at: Schema.optional(Timestamp),
  suggested_root_cause: Schema.optional(Schema.String),
  confidence_score: Schema.optional(Confidence)
}) {}

/** Maximum length of an incident description, in characters after trimming. */
export const MAX_DESCRIPTION_LENGTH = 10_000

/** Body of `POST /api/v1/incidents`. */
export class NewIncidentRequest extends Schema.Class<NewIncidentRequest>("NewIncidentRequest")({
  description: Schema.Trim.pipe(
    Schema.minLength(1, { message: () => "description must not be empty" }),
    Schema.maxLength(MAX_DESCRIPTION_LENGTH, {
      message: () => `description must be at most ${MAX_DESCRIPTION_LENGTH} characters`
    })
  ),
  source: Schema.optional(IncidentSource)
}) {}

/** Answer of `POST /api/v1/incidents`. */
export class NewIncidentResponse extends Schema.Class<NewIncidentResponse>("NewIncidentResponse")({
  incident_id: Schema.UUID
}) {}

/** One page of `GET /api/v1/incidents`. */
export class IncidentPage extends Schema.Class<IncidentPage>("IncidentPage")({
  items: Schema.Array(IncidentSummary),
  /** Pass as `cursor` to get the next page; null on the last page. */
  next_cursor: Schema.NullOr(Schema.String)
}) {}

/** State of one dependency in `/health`. */
export const DependencyHealth = Schema.Struct({
  name: Schema.String,
  kind: Schema.String,
  status: Schema.Literal("ok", "degraded", "failed", "disabled"),
  detail: Schema.optional(Schema.String),
  tool_count: Schema.optional(Schema.Int)
}).annotations({ identifier: "DependencyHealth" })
/** @see DependencyHealth */
export type DependencyHealth = typeof DependencyHealth.Type

/** Answer of `GET /health`. */
export class HealthReport extends Schema.Class<HealthReport>("HealthReport")({
  status: Schema.Literal("ok", "degraded"),
  version: Schema.String,
  uptime_seconds: Schema.Number,
  investigations: Schema.Struct({ running: Schema.Int, queued: Schema.Int, max_concurrent: Schema.Int }),
  dependencies: Schema.Array(DependencyHealth)
}) {}
