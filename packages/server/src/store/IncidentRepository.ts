/**
 * The incident store: the one place incidents, their steps and their evidence are kept. Three implementations:
 * SQLite (the default, `SqliteIncidentRepository.ts`), PostgreSQL (several replicas, `PgIncidentRepository.ts`) and
 * in-memory (tests, `layerMemory` below). Step appends, evidence writes and status changes are atomic per incident;
 * terminal states are final; writes of an investigation's result can be fenced by the attempt number.
 */
import {
  Confidence,
  Finding,
  Incident,
  IncidentNotFound,
  IncidentPage,
  IncidentSource,
  IncidentStatus,
  IncidentSummary,
  InvestigationStep,
  JsonObject,
  LlmUsage,
  ValidationError
} from "@sre/schema"
import { Context, Data, Effect, Layer, Option } from "effect"

/** What is needed to create an incident. */
export interface NewIncident {
  readonly id: string
  readonly description: string
  readonly source: IncidentSource
  readonly correlationId: string
  readonly createdAt: string
  /** Entities known up front (e.g. from an alert's labels); the triage may replace them. */
  readonly entities?: JsonObject | undefined
}

/** The incident an Alertmanager group (by `groupKey`) is linked to. */
export interface AlertGroupLink {
  readonly groupKey: string
  readonly incidentId: string
  readonly status: IncidentStatus
  readonly completedAt: string | undefined
  readonly fingerprints: ReadonlyArray<string>
}

/** What links a new incident to its alert group. */
export interface AlertGroupClaim {
  readonly groupKey: string
  readonly fingerprints: ReadonlyArray<string>
  /** A linked incident that ended at or after this ISO time is still reused (the dedup window). */
  readonly reuseEndedAfter: string
}

/** `createForAlertGroup` found an incident of the group that must be reused instead of creating one. */
export class AlertGroupTaken extends Data.TaggedError("AlertGroupTaken")<{ readonly incidentId: string }> {}

/** Whether an alert group's incident is reused for a new firing notification (open, or ended within the window). */
export const isReusable = (link: Pick<AlertGroupLink, "status" | "completedAt">, reuseEndedAfter: string): boolean =>
  !isTerminal(link.status) || (link.completedAt !== undefined && link.completedAt >= reuseEndedAfter)

/** A step to record; the store assigns its `index`. */
export type StepInput = Omit<InvestigationStep, "index">

/** The conclusion of a finished investigation. */
export interface InvestigationOutcome {
  readonly suggested_root_cause: string
  readonly confidence_score: Confidence
  readonly supporting_evidence: ReadonlyArray<string>
  readonly recommended_next_steps: ReadonlyArray<string>
  readonly findings?: ReadonlyArray<Finding> | undefined
  readonly concluded_by: "llm" | "analyzers" | "llm+analyzers"
  readonly llm_usage?: LlmUsage | undefined
}

/** Query of the incident list. */
export interface ListQuery {
  readonly status?: IncidentStatus | undefined
  readonly limit: number
  readonly cursor?: string | undefined
}

/** An incident left `pending` or `running`, found at start-up. */
export interface UnfinishedIncident {
  readonly id: string
  readonly status: IncidentStatus
  readonly attempts: number
  readonly correlationId: string
  /** When the incident was created (ISO 8601, UTC). */
  readonly createdAt: string
}

/**
 * Restricts a write to one investigation attempt: the write applies only while the incident is `running` and its
 * stored attempt count (`markRunning`'s result) is still `attempt`. An attempt that was superseded (the incident was
 * taken over by a newer attempt, re-queued or finished) can therefore never overwrite the newer state.
 */
export interface AttemptFence {
  readonly attempt: number
}

/**
 * Whether a fenced (or unfenced) write of an investigation's result applies to an incident in this state: without a
 * fence, any non-terminal incident; with one, only a `running` incident whose attempt count equals the fence's.
 */
export const fenceAllows = (
  state: { readonly status: IncidentStatus; readonly attempts: number },
  fence: AttemptFence | undefined
): boolean =>
  fence === undefined ? !isTerminal(state.status) : state.status === "running" && state.attempts === fence.attempt

/** Operations of the incident store. */
export interface IncidentRepositoryShape {
  /** Stores a new `pending` incident. */
  readonly create: (incident: NewIncident) => Effect.Effect<Incident>
  /** Reads one incident with its steps and evidence. */
  readonly get: (id: string) => Effect.Effect<Incident, IncidentNotFound>
  /** Lists incidents newest first; a bad cursor is a `ValidationError`. */
  readonly list: (query: ListQuery) => Effect.Effect<IncidentPage, ValidationError>
  /**
   * Moves an incident to `running` and counts the attempt; returns the attempt number (the stored attempt count).
   * An incident that is already `running` is taken over: the count goes up, which fences out the previous attempt.
   * A terminal incident is left as it is (no-op) and its attempt count is returned unchanged; callers that must
   * know check the status (e.g. with `get`) first.
   */
  readonly markRunning: (id: string) => Effect.Effect<number, IncidentNotFound>
  /** Appends a step atomically, assigning the next index. */
  readonly appendStep: (id: string, step: StepInput) => Effect.Effect<InvestigationStep, IncidentNotFound>
  /** Stores (or replaces) one evidence entry. */
  readonly putEvidence: (id: string, key: string, value: unknown) => Effect.Effect<void, IncidentNotFound>
  /** Replaces the extracted entities. */
  readonly setEntities: (id: string, entities: JsonObject) => Effect.Effect<void, IncidentNotFound>
  /**
   * Marks the incident `completed` with its conclusion, unless it is already terminal or, with a `fence`, unless it
   * is not `running` under that attempt (see `fenceAllows`). Returns the stored incident: the completed one, or the
   * unchanged current one when the write did not apply.
   */
  readonly complete: (
    id: string,
    outcome: InvestigationOutcome,
    fence?: AttemptFence | undefined
  ) => Effect.Effect<Incident, IncidentNotFound>
  /** Marks the incident `failed` with a message; same conditions and result as `complete`. */
  readonly fail: (
    id: string,
    message: string,
    usage?: LlmUsage | undefined,
    fence?: AttemptFence | undefined
  ) => Effect.Effect<Incident, IncidentNotFound>
  /**
   * Puts a `running` incident back to `pending` (shutdown before it finished); with a `fence`, only while it is
   * `running` under that attempt. Anything else is left unchanged.
   */
  readonly requeue: (id: string, fence?: AttemptFence | undefined) => Effect.Effect<void, IncidentNotFound>
  /** Every incident that is `pending` or `running`, oldest first. */
  readonly listUnfinished: Effect.Effect<ReadonlyArray<UnfinishedIncident>>
  /** Checks the store answers. */
  readonly ping: Effect.Effect<void>
  /** The incident currently linked to an Alertmanager group, if any. */
  readonly findAlertGroup: (groupKey: string) => Effect.Effect<Option.Option<AlertGroupLink>>
  /**
   * Atomically creates the incident and links the group to it, unless the group's linked incident is still
   * reusable (see `isReusable`): then nothing is created and it fails with `AlertGroupTaken`. Safe under
   * concurrent calls for the same group, from one process or several sharing a database (one transaction;
   * `group_key` is unique).
   */
  readonly createForAlertGroup: (
    incident: NewIncident,
    claim: AlertGroupClaim
  ) => Effect.Effect<Incident, AlertGroupTaken>
  /** Records another notification of a group (merges fingerprints); returns the fingerprints not seen before. */
  readonly touchAlertGroup: (
    groupKey: string,
    fingerprints: ReadonlyArray<string>,
    at: string
  ) => Effect.Effect<ReadonlyArray<string>>
  /** Records that the group was reported resolved at `at`. */
  readonly resolveAlertGroup: (groupKey: string, at: string) => Effect.Effect<void>
}

/** The incident store service. */
export class IncidentRepository extends Context.Tag("sre/IncidentRepository")<
  IncidentRepository,
  IncidentRepositoryShape
>() {}

/** Whether a status is final. */
export const isTerminal = (status: IncidentStatus): boolean => status === "completed" || status === "failed"

/** Encodes a list position as an opaque cursor. */
export const encodeCursor = (seq: number): string => Buffer.from(`v1:${seq}`, "utf8").toString("base64url")

/**
 * One page of a newest-first list, from the rows after the cursor in order (at least `limit + 1` of them when there
 * are more: the extra row only tells that a next page exists).
 */
export const pageOf = <R extends { readonly seq: number }>(
  rows: ReadonlyArray<R>,
  limit: number,
  toItem: (row: R) => IncidentSummary
): IncidentPage => {
  const page = rows.slice(0, limit)
  const last = page[page.length - 1]
  return new IncidentPage({
    items: page.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(last.seq) : null
  })
}

/** Decodes a cursor made by `encodeCursor`. */
export const decodeCursor = (cursor: string): Effect.Effect<number, ValidationError> => {
  const text = Buffer.from(cursor, "base64url").toString("utf8")
  const match = /^v1:(\d{1,15})$/.exec(text)
  return match?.[1] !== undefined
    ? Effect.succeed(Number(match[1]))
    : Effect.fail(ValidationError.withMessage("cursor is not valid; use next_cursor from a previous page"))
}

/** Builds the list-view of an incident. */
export const toSummary = (incident: Incident): IncidentSummary =>
  new IncidentSummary({
    id: incident.id,
    description: incident.description,
    status: incident.status,
    source: incident.source,
    created_at: incident.created_at,
    ...(incident.completed_at !== undefined ? { completed_at: incident.completed_at } : {}),
    ...(incident.suggested_root_cause !== undefined ? { suggested_root_cause: incident.suggested_root_cause } : {}),
    ...(incident.confidence_score !== undefined ? { confidence_score: incident.confidence_score } : {})
  })

/** The incident as `create` stores it: pending, no evidence or steps yet. */
export const pendingIncident = (n: NewIncident): Incident =>
  new Incident({
    id: n.id,
    description: n.description,
    status: "pending",
    source: n.source,
    created_at: n.createdAt,
    updated_at: n.createdAt,
    evidence: {},
    extracted_entities: n.entities ?? {},
    investigation_steps: []
  })

/** The ISO timestamp of now. */
export const nowIso = (): string => new Date().toISOString()

interface MemoryAlertGroup {
  incidentId: string
  fingerprints: Array<string>
  lastSeenAt: string
  notifications: number
  resolvedAt: string | undefined
}

interface MemoryRecord {
  seq: number
  incident: Incident
  attempts: number
  correlationId: string
}

/** In-memory store for tests and tools: same behaviour as SQLite, nothing persisted. */
export const makeMemoryRepository = Effect.sync((): IncidentRepositoryShape => {
  const records = new Map<string, MemoryRecord>()
  const groups = new Map<string, MemoryAlertGroup>()
  let seq = 0
  const find = (id: string) =>
    Option.match(Option.fromNullable(records.get(id)), {
      onNone: () => Effect.fail(IncidentNotFound.forId(id)),
      onSome: Effect.succeed
    })
  const update = (id: string, f: (incident: Incident) => Incident) =>
    Effect.map(find(id), (record) => {
      record.incident = f(record.incident)
      return record.incident
    })
  /** Applies `f` only when the fence allows it (no fence: always; terminal states are kept by `f` itself). */
  const fenced = (id: string, fence: AttemptFence | undefined, f: (incident: Incident) => Incident) =>
    Effect.map(find(id), (record) => {
      if (fence === undefined || fenceAllows({ status: record.incident.status, attempts: record.attempts }, fence)) {
        record.incident = f(record.incident)
      }
      return record.incident
    })
  const patch = (incident: Incident, fields: Partial<Incident>): Incident =>
    new Incident({ ...incident, ...fields, updated_at: nowIso() })

  const insert = (n: NewIncident): Incident => {
    const incident = pendingIncident(n)
    records.set(n.id, { seq: ++seq, incident, attempts: 0, correlationId: n.correlationId })
    return incident
  }
  const linkOf = (groupKey: string): Option.Option<AlertGroupLink> => {
    const group = groups.get(groupKey)
    const incident = group === undefined ? undefined : records.get(group.incidentId)?.incident
    return group === undefined || incident === undefined
      ? Option.none()
      : Option.some({
          groupKey,
          incidentId: group.incidentId,
          status: incident.status,
          completedAt: incident.completed_at,
          fingerprints: group.fingerprints
        })
  }

  return {
    create: (n) => Effect.sync(() => insert(n)),
    findAlertGroup: (groupKey) => Effect.sync(() => linkOf(groupKey)),
    createForAlertGroup: (n, claim) =>
      Effect.suspend(() => {
        const link = linkOf(claim.groupKey)
        if (Option.isSome(link) && isReusable(link.value, claim.reuseEndedAfter)) {
          return Effect.fail(new AlertGroupTaken({ incidentId: link.value.incidentId }))
        }
        const incident = insert(n)
        groups.set(claim.groupKey, {
          incidentId: n.id,
          fingerprints: [...new Set(claim.fingerprints)],
          lastSeenAt: n.createdAt,
          notifications: 1,
          resolvedAt: undefined
        })
        return Effect.succeed(incident)
      }),
    touchAlertGroup: (groupKey, fingerprints, at) =>
      Effect.sync(() => {
        const group = groups.get(groupKey)
        if (group === undefined) return []
        const fresh = [...new Set(fingerprints)].filter((f) => !group.fingerprints.includes(f))
        group.fingerprints.push(...fresh)
        group.lastSeenAt = at
        group.notifications += 1
        return fresh
      }),
    resolveAlertGroup: (groupKey, at) =>
      Effect.sync(() => {
        const group = groups.get(groupKey)
        if (group !== undefined) group.resolvedAt = at
      }),
    get: (id) => Effect.map(find(id), (r) => r.incident),
    list: (query) =>
      Effect.gen(function* () {
        const before = query.cursor !== undefined ? yield* decodeCursor(query.cursor) : Number.MAX_SAFE_INTEGER
        const rows = [...records.values()]
          .filter((r) => r.seq < before && (query.status === undefined || r.incident.status === query.status))
          .sort((a, b) => b.seq - a.seq)
        return pageOf(rows, query.limit, (r) => toSummary(r.incident))
      }),
    markRunning: (id) =>
      Effect.map(find(id), (r) => {
        if (isTerminal(r.incident.status)) return r.attempts
        r.attempts += 1
        r.incident = patch(r.incident, { status: "running" })
        return r.attempts
      }),
    appendStep: (id, step) =>
      Effect.map(find(id), (r) => {
        const full = InvestigationStep.make({ ...step, index: r.incident.investigation_steps.length + 1 })
        r.incident = patch(r.incident, { investigation_steps: [...r.incident.investigation_steps, full] })
        return full
      }),
    putEvidence: (id, key, value) =>
      Effect.asVoid(update(id, (i) => patch(i, { evidence: { ...i.evidence, [key]: value } }))),
    setEntities: (id, entities) => Effect.asVoid(update(id, (i) => patch(i, { extracted_entities: entities }))),
    complete: (id, outcome, fence) =>
      fenced(id, fence, (i) =>
        isTerminal(i.status)
          ? i
          : patch(i, {
              status: "completed",
              completed_at: nowIso(),
              suggested_root_cause: outcome.suggested_root_cause,
              confidence_score: outcome.confidence_score,
              supporting_evidence: outcome.supporting_evidence,
              recommended_next_steps: outcome.recommended_next_steps,
              concluded_by: outcome.concluded_by,
              ...(outcome.findings !== undefined ? { findings: outcome.findings } : {}),
              ...(outcome.llm_usage !== undefined ? { llm_usage: outcome.llm_usage } : {})
            })
      ),
    fail: (id, message, usage, fence) =>
      fenced(id, fence, (i) =>
        isTerminal(i.status)
          ? i
          : patch(i, {
              status: "failed",
              completed_at: nowIso(),
              error_message: message,
              ...(usage !== undefined ? { llm_usage: usage } : {})
            })
      ),
    requeue: (id, fence) =>
      Effect.asVoid(fenced(id, fence, (i) => (i.status === "running" ? patch(i, { status: "pending" }) : i))),
    listUnfinished: Effect.sync(() =>
      [...records.values()]
        .filter((r) => !isTerminal(r.incident.status))
        .sort((a, b) => a.seq - b.seq)
        .map((r) => ({
          id: r.incident.id,
          status: r.incident.status,
          attempts: r.attempts,
          correlationId: r.correlationId,
          createdAt: r.incident.created_at
        }))
    ),
    ping: Effect.void
  }
})

/** In-memory `IncidentRepository` layer (tests). */
export const layerMemory: Layer.Layer<IncidentRepository> = Layer.effect(IncidentRepository, makeMemoryRepository)
