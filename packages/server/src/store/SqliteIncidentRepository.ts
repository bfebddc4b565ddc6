/**
 * SQLite implementation of the incident store (`@effect/sql-sqlite-node`, better-sqlite3), with migrations.
 * Incidents, steps and evidence live in three tables so that a step or an evidence entry is one atomic insert.
 */
import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { SqliteClient, SqliteMigrator } from "@effect/sql-sqlite-node"
import {
  Finding,
  Incident,
  IncidentNotFound,
  IncidentPage,
  IncidentStatus,
  InvestigationStep,
  LlmUsage
} from "@sre/schema"
import { Effect, Layer, Option, Schema } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import {
  type AlertGroupLink,
  AlertGroupTaken,
  decodeCursor,
  encodeCursor,
  IncidentRepository,
  type IncidentRepositoryShape,
  type InvestigationOutcome,
  isReusable,
  type NewIncident,
  nowIso,
  pendingIncident,
  toSummary
} from "./IncidentRepository.js"

const migrations = SqliteMigrator.fromRecord({
  "0001_incidents": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE incidents (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      description TEXT NOT NULL,
      status TEXT NOT NULL,
      source TEXT NOT NULL,
      correlation_id TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      completed_at TEXT,
      extracted_entities TEXT NOT NULL DEFAULT '{}',
      conclusion TEXT,
      error_message TEXT,
      llm_usage TEXT
    )`
    yield* sql`CREATE INDEX incidents_status_seq ON incidents (status, seq)`
    yield* sql`CREATE TABLE investigation_steps (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      idx INTEGER NOT NULL,
      data TEXT NOT NULL,
      PRIMARY KEY (incident_id, idx)
    )`
    yield* sql`CREATE TABLE evidence (
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      key TEXT NOT NULL,
      value TEXT NOT NULL,
      seq INTEGER NOT NULL,
      PRIMARY KEY (incident_id, key)
    )`
  }),
  "0002_alert_groups": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // one row per Alertmanager group: group_key is the primary key, so two deliveries can never both link
    yield* sql`CREATE TABLE alert_groups (
      group_key TEXT PRIMARY KEY,
      incident_id TEXT NOT NULL REFERENCES incidents(id),
      fingerprints TEXT NOT NULL DEFAULT '[]',
      first_seen_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      notifications INTEGER NOT NULL DEFAULT 1,
      resolved_at TEXT
    )`
    yield* sql`CREATE INDEX alert_groups_incident ON alert_groups (incident_id)`
  })
})

interface IncidentRow {
  readonly seq: number
  readonly id: string
  readonly description: string
  readonly status: string
  readonly source: string
  readonly correlation_id: string
  readonly attempts: number
  readonly created_at: string
  readonly updated_at: string
  readonly completed_at: string | null
  readonly extracted_entities: string
  readonly conclusion: string | null
  readonly error_message: string | null
  readonly llm_usage: string | null
}

/** The conclusion columns stored as one JSON document. */
const Conclusion = Schema.Struct({
  suggested_root_cause: Schema.String,
  confidence_score: Schema.Literal("high", "medium", "low"),
  supporting_evidence: Schema.Array(Schema.String),
  recommended_next_steps: Schema.Array(Schema.String),
  findings: Schema.optional(Schema.Array(Finding)),
  concluded_by: Schema.Literal("llm", "analyzers", "llm+analyzers")
})
const ConclusionJson = Schema.parseJson(Conclusion)
const UsageJson = Schema.parseJson(LlmUsage)
const StepJson = Schema.parseJson(InvestigationStep)
const ObjectJson = Schema.parseJson(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
const AnyJson = Schema.parseJson(Schema.Unknown)
const Status = Schema.decodeUnknown(IncidentStatus)

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const decodeIncident = (row: IncidentRow, steps: ReadonlyArray<{ data: string }>, ev: ReadonlyArray<EvidenceRow>) =>
    Effect.gen(function* () {
      const conclusion = row.conclusion === null ? undefined : yield* Schema.decode(ConclusionJson)(row.conclusion)
      const usage = row.llm_usage === null ? undefined : yield* Schema.decode(UsageJson)(row.llm_usage)
      const evidence: Record<string, unknown> = {}
      for (const e of ev) evidence[e.key] = yield* Schema.decode(AnyJson)(e.value)
      return yield* Schema.decodeUnknown(Incident)({
        id: row.id,
        description: row.description,
        status: row.status,
        source: row.source,
        created_at: row.created_at,
        updated_at: row.updated_at,
        ...(row.completed_at !== null ? { completed_at: row.completed_at } : {}),
        evidence,
        extracted_entities: yield* Schema.decode(ObjectJson)(row.extracted_entities),
        ...(conclusion ?? {}),
        investigation_steps: yield* Effect.forEach(steps, (s) => Schema.decode(StepJson)(s.data)),
        ...(usage !== undefined ? { llm_usage: usage } : {}),
        ...(row.error_message !== null ? { error_message: row.error_message } : {})
      })
    })

  const findRow = (id: string) =>
    sql<IncidentRow>`SELECT * FROM incidents WHERE id = ${id}`.pipe(
      Effect.flatMap((rows) =>
        rows[0] !== undefined ? Effect.succeed(rows[0]) : Effect.fail(IncidentNotFound.forId(id))
      )
    )

  const get = (id: string) =>
    Effect.gen(function* () {
      const row = yield* findRow(id)
      const steps = yield* sql<{
        data: string
      }>`SELECT data FROM investigation_steps WHERE incident_id = ${id} ORDER BY idx`
      const ev = yield* sql<EvidenceRow>`SELECT key, value FROM evidence WHERE incident_id = ${id} ORDER BY seq`
      return yield* decodeIncident(row, steps, ev)
    })

  /** Runs an update that must touch the incident; fails with IncidentNotFound otherwise. */
  const touch = (id: string, run: Effect.Effect<ReadonlyArray<{ id: string }>>) =>
    Effect.flatMap(run, (rows) => (rows.length > 0 ? Effect.void : Effect.fail(IncidentNotFound.forId(id))))

  const insertIncident = (n: NewIncident) =>
    sql`INSERT INTO incidents ${sql.insert({
      id: n.id,
      description: n.description,
      status: "pending",
      source: n.source,
      correlation_id: n.correlationId,
      created_at: n.createdAt,
      updated_at: n.createdAt,
      extracted_entities: JSON.stringify(n.entities ?? {})
    })}`

  const findLink = (groupKey: string) =>
    sql<AlertGroupRow>`SELECT g.group_key, g.incident_id, g.fingerprints, i.status, i.completed_at
        FROM alert_groups g JOIN incidents i ON i.id = g.incident_id WHERE g.group_key = ${groupKey}`.pipe(
      Effect.flatMap((rows) =>
        rows[0] === undefined ? Effect.succeed(Option.none<AlertGroupLink>()) : Effect.map(toLink(rows[0]), Option.some)
      )
    )

  const repo: IncidentRepositoryShape = {
    findAlertGroup: (groupKey) => Effect.orDie(findLink(groupKey)),
    createForAlertGroup: (n, claim) =>
      Effect.gen(function* () {
        const link = yield* findLink(claim.groupKey)
        if (Option.isSome(link) && isReusable(link.value, claim.reuseEndedAfter)) {
          return yield* Effect.fail(new AlertGroupTaken({ incidentId: link.value.incidentId }))
        }
        yield* insertIncident(n)
        const fingerprints = JSON.stringify([...new Set(claim.fingerprints)])
        yield* sql`INSERT INTO alert_groups (group_key, incident_id, fingerprints, first_seen_at, last_seen_at)
            VALUES (${claim.groupKey}, ${n.id}, ${fingerprints}, ${n.createdAt}, ${n.createdAt})
            ON CONFLICT (group_key) DO UPDATE SET incident_id = excluded.incident_id,
              fingerprints = excluded.fingerprints, first_seen_at = excluded.first_seen_at,
              last_seen_at = excluded.last_seen_at, notifications = 1, resolved_at = NULL`
      }).pipe(
        sql.withTransaction,
        Effect.catchAll((e) => (e instanceof AlertGroupTaken ? Effect.fail(e) : Effect.die(e))),
        Effect.zipRight(Effect.orDie(get(n.id)))
      ),
    touchAlertGroup: (groupKey, fingerprints, at) =>
      Effect.gen(function* () {
        const link = yield* findLink(groupKey)
        if (Option.isNone(link)) return []
        const known = link.value.fingerprints
        const fresh = [...new Set(fingerprints)].filter((f) => !known.includes(f))
        const merged = JSON.stringify([...known, ...fresh])
        yield* sql`UPDATE alert_groups SET fingerprints = ${merged}, last_seen_at = ${at},
            notifications = notifications + 1 WHERE group_key = ${groupKey}`
        return fresh
      }).pipe(sql.withTransaction, Effect.orDie),
    resolveAlertGroup: (groupKey, at) =>
      sql`UPDATE alert_groups SET resolved_at = ${at} WHERE group_key = ${groupKey}`.pipe(Effect.asVoid, Effect.orDie),
    // the new incident is built from what was inserted: no read-back (a measurable share of POST's cost)
    create: (n) => insertIncident(n).pipe(Effect.as(pendingIncident(n)), Effect.orDie),
    get: (id) => onlyNotFound(get(id)),
    list: (query) =>
      Effect.gen(function* () {
        const before = query.cursor !== undefined ? yield* decodeCursor(query.cursor) : Number.MAX_SAFE_INTEGER
        const rows = yield* (
          query.status !== undefined
            ? sql<IncidentRow>`SELECT * FROM incidents WHERE status = ${query.status} AND seq < ${before}
              ORDER BY seq DESC LIMIT ${query.limit + 1}`
            : sql<IncidentRow>`SELECT * FROM incidents WHERE seq < ${before} ORDER BY seq DESC LIMIT ${query.limit + 1}`
        ).pipe(Effect.orDie)
        const page = rows.slice(0, query.limit)
        const items = yield* Effect.forEach(page, (row) =>
          decodeIncident(row, [], []).pipe(Effect.map(toSummary), Effect.orDie)
        )
        const last = page[page.length - 1]
        return new IncidentPage({
          items,
          next_cursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.seq) : null
        })
      }),
    markRunning: (id) =>
      sql<{ attempts: number }>`UPDATE incidents SET status = 'running', attempts = attempts + 1,
          updated_at = ${nowIso()} WHERE id = ${id} RETURNING attempts`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) =>
          rows[0] !== undefined ? Effect.succeed(rows[0].attempts) : Effect.fail(IncidentNotFound.forId(id))
        )
      ),
    appendStep: (id, step) =>
      Effect.gen(function* () {
        yield* onlyNotFound(findRow(id))
        // One statement: the index is computed and the row inserted atomically.
        const rows = yield* sql<{ idx: number }>`INSERT INTO investigation_steps (incident_id, idx, data)
            SELECT ${id}, COALESCE(MAX(idx), 0) + 1, '{}' FROM investigation_steps WHERE incident_id = ${id}
            RETURNING idx`.pipe(Effect.orDie)
        const index = rows[0]?.idx ?? 1
        const full = InvestigationStep.make({ ...step, index })
        const data = yield* Schema.encode(StepJson)(full).pipe(Effect.orDie)
        yield* sql`UPDATE investigation_steps SET data = ${data} WHERE incident_id = ${id} AND idx = ${index}`.pipe(
          Effect.orDie
        )
        return full
      }).pipe(sql.withTransaction, onlyNotFound),
    putEvidence: (id, key, value) =>
      Effect.gen(function* () {
        yield* onlyNotFound(findRow(id))
        const json = JSON.stringify(value ?? null)
        yield* sql`INSERT INTO evidence (incident_id, key, value, seq)
            VALUES (${id}, ${key}, ${json}, (SELECT COUNT(*) FROM evidence WHERE incident_id = ${id}))
            ON CONFLICT (incident_id, key) DO UPDATE SET value = excluded.value`.pipe(Effect.orDie)
      }),
    setEntities: (id, entities) =>
      touch(
        id,
        sql<{ id: string }>`UPDATE incidents SET extracted_entities = ${JSON.stringify(entities)},
          updated_at = ${nowIso()} WHERE id = ${id} RETURNING id`.pipe(Effect.orDie)
      ),
    complete: (id, outcome) =>
      Effect.gen(function* () {
        const conclusion = yield* Schema.encode(ConclusionJson)(conclusionOf(outcome)).pipe(Effect.orDie)
        const usage = outcome.llm_usage !== undefined ? JSON.stringify(outcome.llm_usage) : null
        const now = nowIso()
        yield* onlyNotFound(findRow(id))
        yield* sql`UPDATE incidents SET status = 'completed', completed_at = ${now}, updated_at = ${now},
            conclusion = ${conclusion}, llm_usage = COALESCE(${usage}, llm_usage)
            WHERE id = ${id} AND status NOT IN ('completed', 'failed')`.pipe(Effect.orDie)
        return yield* onlyNotFound(get(id))
      }),
    fail: (id, message, usage) =>
      Effect.gen(function* () {
        const now = nowIso()
        const usageJson = usage !== undefined ? JSON.stringify(usage) : null
        yield* onlyNotFound(findRow(id))
        yield* sql`UPDATE incidents SET status = 'failed', completed_at = ${now}, updated_at = ${now},
            error_message = ${message}, llm_usage = COALESCE(${usageJson}, llm_usage)
            WHERE id = ${id} AND status NOT IN ('completed', 'failed')`.pipe(Effect.orDie)
        return yield* onlyNotFound(get(id))
      }),
    requeue: (id) =>
      touch(
        id,
        sql<{ id: string }>`UPDATE incidents SET status = CASE WHEN status = 'running' THEN 'pending' ELSE status END,
          updated_at = ${nowIso()} WHERE id = ${id} RETURNING id`.pipe(Effect.orDie)
      ),
    listUnfinished: sql<{ id: string; status: string; attempts: number; correlation_id: string }>`SELECT id, status,
        attempts, correlation_id FROM incidents WHERE status IN ('pending', 'running') ORDER BY seq`.pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) =>
          Effect.map(Status(r.status), (status) => ({
            id: r.id,
            status,
            attempts: r.attempts,
            correlationId: r.correlation_id
          }))
        )
      ),
      Effect.orDie
    ),
    ping: sql`SELECT 1`.pipe(Effect.asVoid, Effect.orDie)
  }
  return repo
})

/** Keeps `IncidentNotFound` in the error channel; any other failure of the store is a defect. */
const onlyNotFound = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, IncidentNotFound, R> =>
  Effect.catchAll(self, (e) => (e instanceof IncidentNotFound ? Effect.fail(e) : Effect.die(e)))

interface AlertGroupRow {
  readonly group_key: string
  readonly incident_id: string
  readonly fingerprints: string
  readonly status: string
  readonly completed_at: string | null
}

const FingerprintsJson = Schema.parseJson(Schema.Array(Schema.String))

const toLink = (row: AlertGroupRow) =>
  Effect.all({ status: Status(row.status), fingerprints: Schema.decode(FingerprintsJson)(row.fingerprints) }).pipe(
    Effect.map(({ fingerprints, status }): AlertGroupLink => ({
      groupKey: row.group_key,
      incidentId: row.incident_id,
      status,
      completedAt: row.completed_at ?? undefined,
      fingerprints
    })),
    Effect.orDie
  )

interface EvidenceRow {
  readonly key: string
  readonly value: string
}

const conclusionOf = (o: InvestigationOutcome): typeof Conclusion.Type => ({
  suggested_root_cause: o.suggested_root_cause,
  confidence_score: o.confidence_score,
  supporting_evidence: o.supporting_evidence,
  recommended_next_steps: o.recommended_next_steps,
  concluded_by: o.concluded_by,
  ...(o.findings !== undefined ? { findings: o.findings } : {})
})

/** The SQLite client and its migrations for a database file (`:memory:` for a throwaway database). */
export const sqliteLayer = (filename: string) => {
  const client = SqliteClient.layer({ filename })
  const migrator = SqliteMigrator.layer({ loader: migrations }).pipe(Layer.provide(NodeContext.layer))
  const ensureDirectory = Layer.effectDiscard(
    Effect.gen(function* () {
      if (filename === ":memory:") return
      const fs = yield* FileSystem.FileSystem
      const path = yield* Path.Path
      yield* fs.makeDirectory(path.dirname(path.resolve(filename)), { recursive: true })
    }).pipe(Effect.orDie)
  ).pipe(Layer.provide(NodeContext.layer))
  return migrator.pipe(Layer.provideMerge(client), Layer.provide(ensureDirectory))
}

/** `IncidentRepository` on SQLite at a given path. */
export const layerSqliteAt = (filename: string): Layer.Layer<IncidentRepository> =>
  Layer.effect(IncidentRepository, make).pipe(Layer.provide(sqliteLayer(filename)), Layer.orDie)

/** `IncidentRepository` on SQLite at `SRE_DB_PATH` (the default store). */
export const layerSqlite: Layer.Layer<IncidentRepository, never, AppConfig> = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) => layerSqliteAt(config.dbPath))
)
