/**
 * What the SQL stores (SQLite and PostgreSQL) share: the conclusion document, the decoded shape of an incident row
 * and its conversion to the contract's `Incident` / `IncidentSummary`.
 *
 * Decoding happens once per read: each store decodes its raw row (JSON text in SQLite, values parsed by the driver in
 * PostgreSQL) with one Schema built for that row shape, from the same field schemas as `Incident` itself (`Incident.fields`,
 * `InvestigationStep`, `LlmUsage`, `Finding`). The contract classes are then constructed with validation disabled:
 * every field was just validated by the row schema, so the class constructor would only validate it a second time.
 */
import {
  Confidence,
  Finding,
  Incident,
  IncidentSource,
  IncidentStatus,
  IncidentSummary,
  InvestigationStep,
  JsonObject,
  LlmUsage
} from "@sre/schema"
import { Schema } from "effect"
import type { InvestigationOutcome } from "./IncidentRepository.js"

/** The conclusion of a completed incident, stored as one JSON document. */
export const Conclusion = Schema.Struct({
  suggested_root_cause: Schema.String,
  confidence_score: Confidence,
  supporting_evidence: Schema.Array(Schema.String),
  recommended_next_steps: Schema.Array(Schema.String),
  findings: Schema.optional(Schema.Array(Finding)),
  concluded_by: Schema.Literal("llm", "analyzers", "llm+analyzers")
})
/** @see Conclusion */
export type Conclusion = typeof Conclusion.Type

/** The conclusion document of an outcome (usage is stored apart: a failed incident has usage but no conclusion). */
export const conclusionOf = (o: InvestigationOutcome): Conclusion => ({
  suggested_root_cause: o.suggested_root_cause,
  confidence_score: o.confidence_score,
  supporting_evidence: o.supporting_evidence,
  recommended_next_steps: o.recommended_next_steps,
  concluded_by: o.concluded_by,
  ...(o.findings !== undefined ? { findings: o.findings } : {})
})

/** A step as stored before its index is known (the store adds `index` in the same statement that inserts it). */
export const StepWithoutIndex = InvestigationStep.pipe(Schema.omit("index"))

/** The columns of an incident after decoding, whatever the store. */
export interface IncidentColumns {
  readonly id: string
  readonly description: string
  readonly status: IncidentStatus
  readonly source: IncidentSource
  readonly created_at: string
  readonly updated_at: string
  readonly completed_at: string | null
  readonly extracted_entities: JsonObject
  readonly conclusion: Conclusion | null
  readonly llm_usage: LlmUsage | null
  readonly error_message: string | null
  readonly steps: ReadonlyArray<InvestigationStep>
  readonly evidence: JsonObject
}

/** The columns of the list view after decoding, whatever the store. */
export interface SummaryColumns {
  readonly seq: number
  readonly id: string
  readonly description: string
  readonly status: IncidentStatus
  readonly source: IncidentSource
  readonly created_at: string
  readonly completed_at: string | null
  readonly suggested_root_cause: string | null
  readonly confidence_score: Confidence | null
}

/**
 * Builds the row schema of an incident for one store, from the schemas of its timestamp and JSON columns (e.g.
 * `Schema.parseJson(JsonObject)` where the driver returns JSON text, `JsonObject` where it returns parsed values).
 */
export const incidentRowSchema = <TI, JI, CI, UI, SI>(columns: {
  readonly timestamp: Schema.Schema<string, TI>
  readonly object: Schema.Schema<JsonObject, JI>
  readonly conclusion: Schema.Schema<Conclusion, CI>
  readonly usage: Schema.Schema<LlmUsage, UI>
  readonly steps: Schema.Schema<ReadonlyArray<InvestigationStep>, SI>
}) =>
  Schema.Struct({
    id: Incident.fields.id,
    description: Schema.String,
    status: IncidentStatus,
    source: IncidentSource,
    created_at: columns.timestamp,
    updated_at: columns.timestamp,
    completed_at: Schema.NullOr(columns.timestamp),
    extracted_entities: columns.object,
    conclusion: Schema.NullOr(columns.conclusion),
    llm_usage: Schema.NullOr(columns.usage),
    error_message: Schema.NullOr(Schema.String),
    steps: columns.steps,
    evidence: columns.object
  })

/** Builds the row schema of the list view for one store (see `incidentRowSchema`). */
export const summaryRowSchema = <SI, TI>(columns: {
  readonly seq: Schema.Schema<number, SI>
  readonly timestamp: Schema.Schema<string, TI>
}) =>
  Schema.Struct({
    seq: columns.seq,
    id: Incident.fields.id,
    description: Schema.String,
    status: IncidentStatus,
    source: IncidentSource,
    created_at: columns.timestamp,
    completed_at: Schema.NullOr(columns.timestamp),
    suggested_root_cause: Schema.NullOr(Schema.String),
    confidence_score: Schema.NullOr(Confidence)
  })

/** The contract's `Incident` from decoded columns (validated by the row schema: not validated again). */
export const incidentFromColumns = (c: IncidentColumns): Incident =>
  new Incident(
    {
      id: c.id,
      description: c.description,
      status: c.status,
      source: c.source,
      created_at: c.created_at,
      updated_at: c.updated_at,
      ...(c.completed_at !== null ? { completed_at: c.completed_at } : {}),
      evidence: c.evidence,
      extracted_entities: c.extracted_entities,
      ...(c.conclusion ?? {}),
      investigation_steps: c.steps,
      ...(c.llm_usage !== null ? { llm_usage: c.llm_usage } : {}),
      ...(c.error_message !== null ? { error_message: c.error_message } : {})
    },
    { disableValidation: true }
  )

/** The contract's `IncidentSummary` from decoded columns (validated by the row schema: not validated again). */
export const summaryFromColumns = (c: SummaryColumns): IncidentSummary =>
  new IncidentSummary(
    {
      id: c.id,
      description: c.description,
      status: c.status,
      source: c.source,
      created_at: c.created_at,
      ...(c.completed_at !== null ? { completed_at: c.completed_at } : {}),
      ...(c.suggested_root_cause !== null ? { suggested_root_cause: c.suggested_root_cause } : {}),
      ...(c.confidence_score !== null ? { confidence_score: c.confidence_score } : {})
    },
    { disableValidation: true }
  )
