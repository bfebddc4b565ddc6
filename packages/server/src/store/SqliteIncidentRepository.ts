/**
 * SQLite implementation of the incident store (`@effect/sql-sqlite-node`, better-sqlite3), with migrations.
 * Incidents, steps and evidence live in three tables so that a step or an evidence entry is one atomic insert.
 *
 * Cost per operation (issue #10): reading an incident is one statement (steps and evidence come back as JSON
 * aggregates of sub-selects) decoded once by a row schema; `appendStep` and `putEvidence` are one `INSERT ... SELECT
 * ... RETURNING` each (no read first: an incident that does not exist inserts nothing, which is `IncidentNotFound`);
 * `complete` and `fail` are one `UPDATE ... RETURNING` that also returns the incident (a second read only when the
 * write did not apply). Statements are prepared once and cached by the client (keyed by their SQL text).
 */
import { FileSystem, Path } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { SqliteClient, SqliteMigrator } from "@effect/sql-sqlite-node"
import { Incident, IncidentNotFound, IncidentStatus, InvestigationStep, JsonObject, LlmUsage } from "@sre/schema"
import { Effect, Layer, Option, Schema } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import {
  type AlertGroupLink,
  AlertGroupTaken,
  type AttemptFence,
  decodeCursor,
  IncidentRepository,
  type IncidentRepositoryShape,
  isReusable,
  type NewIncident,
  nowIso,
  pageOf,
  pendingIncident
} from "./IncidentRepository.js"
import {
  Conclusion,
  conclusionOf,
  incidentFromColumns,
  incidentRowSchema,
  StepWithoutIndex,
  summaryFromColumns,
  summaryRowSchema
} from "./rows.js"

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

/** An incident row with its steps (JSON array) and evidence (JSON object), as SQLite returns it. */
const Timestamp = Incident.fields.created_at
const IncidentRow = incidentRowSchema({
  timestamp: Timestamp,
  object: Schema.parseJson(JsonObject),
  conclusion: Schema.parseJson(Conclusion),
  usage: Schema.parseJson(LlmUsage),
  steps: Schema.parseJson(Schema.Array(InvestigationStep))
})
const decodeIncidentRow = Schema.decodeUnknown(IncidentRow)

const SummaryRow = summaryRowSchema({ seq: Schema.Number, timestamp: Timestamp })
const decodeSummaryRows = Schema.decodeUnknown(Schema.Array(SummaryRow))

const FingerprintsJson = Schema.parseJson(Schema.Array(Schema.String))
const encodeStep = Schema.encode(Schema.parseJson(StepWithoutIndex))
const encodeConclusion = Schema.encode(Schema.parseJson(Conclusion))
const decodeStatus = Schema.decodeUnknown(IncidentStatus)

/** The columns of an incident read, with steps and evidence aggregated in sub-selects (one statement). */
const INCIDENT_COLUMNS = `id, description, status, source, created_at, updated_at, completed_at, extracted_entities,
  conclusion, llm_usage, error_message,
  (SELECT json_group_array(json(s.data) ORDER BY s.idx) FROM investigation_steps s
    WHERE s.incident_id = incidents.id) AS steps,
  (SELECT json_group_object(e.key, json(e.value) ORDER BY e.seq) FROM evidence e
    WHERE e.incident_id = incidents.id) AS evidence`

/** The statement guard of a write of an investigation's result (see `fenceAllows`). */
const TERMINAL = `status IN ('completed', 'failed')`

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(INCIDENT_COLUMNS)

  const decodeIncident = (rows: ReadonlyArray<unknown>) =>
    rows[0] === undefined
      ? Effect.succeed(Option.none())
      : decodeIncidentRow(rows[0]).pipe(
          Effect.map((row) => Option.some(incidentFromColumns(row))),
          Effect.orDie
        )

  const get = (id: string) =>
    sql`SELECT ${columns} FROM incidents WHERE id = ${id}`.pipe(
      Effect.orDie,
      Effect.flatMap(decodeIncident),
      Effect.flatMap(Option.match({ onNone: () => Effect.fail(IncidentNotFound.forId(id)), onSome: Effect.succeed }))
    )

  /** Runs an UPDATE ... RETURNING the incident; when it did not apply, reads the incident as it is. */
  const updateReturning = (id: string, update: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
    Effect.orDie(update).pipe(
      Effect.flatMap(decodeIncident),
      Effect.flatMap(Option.match({ onNone: () => get(id), onSome: Effect.succeed }))
    )

  /** The condition under which an investigation's result may be written. */
  const resultGuard = (fence: AttemptFence | undefined) =>
    fence === undefined ? sql.literal(`NOT ${TERMINAL}`) : sql`status = 'running' AND attempts = ${fence.attempt}`

  /** `requeue` applies to a running incident (under the fence's attempt, when given). */
  const requeueGuard = (fence: AttemptFence | undefined) =>
    fence === undefined ? sql.literal(`status = 'running'`) : sql`(status = 'running' AND attempts = ${fence.attempt})`

  /** Runs an update that must touch the incident; fails with IncidentNotFound otherwise. */
  const touch = (id: string, run: Effect.Effect<ReadonlyArray<unknown>, unknown>) =>
    Effect.flatMap(Effect.orDie(run), (rows) =>
      rows.length > 0 ? Effect.void : Effect.fail(IncidentNotFound.forId(id))
    )

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
        // the new incident is what was inserted: no read-back
        Effect.as(pendingIncident(n))
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
    get,
    list: (query) =>
      Effect.gen(function* () {
        const before = query.cursor !== undefined ? yield* decodeCursor(query.cursor) : Number.MAX_SAFE_INTEGER
        const rows = yield* sql`SELECT seq, id, description, status, source, created_at, completed_at,
            json_extract(conclusion, '$.suggested_root_cause') AS suggested_root_cause,
            json_extract(conclusion, '$.confidence_score') AS confidence_score
            FROM incidents WHERE ${query.status !== undefined ? sql`status = ${query.status} AND ` : sql``}seq < ${before}
            ORDER BY seq DESC LIMIT ${query.limit + 1}`.pipe(Effect.flatMap(decodeSummaryRows), Effect.orDie)
        return pageOf(rows, query.limit, summaryFromColumns)
      }),
    // one statement; a terminal incident is left as it is and its attempt count returned
    markRunning: (id) =>
      sql<{ attempts: number }>`UPDATE incidents SET
          attempts = CASE WHEN ${sql.literal(TERMINAL)} THEN attempts ELSE attempts + 1 END,
          updated_at = CASE WHEN ${sql.literal(TERMINAL)} THEN updated_at ELSE ${nowIso()} END,
          status = CASE WHEN ${sql.literal(TERMINAL)} THEN status ELSE 'running' END
          WHERE id = ${id} RETURNING attempts`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) =>
          rows[0] !== undefined ? Effect.succeed(rows[0].attempts) : Effect.fail(IncidentNotFound.forId(id))
        )
      ),
    // One statement: the next index is computed and the step inserted (with its index) atomically; an unknown
    // incident selects no row, so nothing is inserted.
    appendStep: (id, step) =>
      Effect.gen(function* () {
        const data = yield* Effect.orDie(encodeStep(step))
        const rows = yield* sql<{ idx: number }>`INSERT INTO investigation_steps (incident_id, idx, data)
            SELECT i.id, n.next, json_set(${data}, '$.index', n.next)
            FROM incidents i,
              (SELECT COALESCE(MAX(idx), 0) + 1 AS next FROM investigation_steps WHERE incident_id = ${id}) n
            WHERE i.id = ${id}
            RETURNING idx`.pipe(Effect.orDie)
        const index = rows[0]?.idx
        if (index === undefined) return yield* Effect.fail(IncidentNotFound.forId(id))
        const saved: InvestigationStep = { ...step, index }
        return saved
      }),
    putEvidence: (id, key, value) =>
      touch(
        id,
        sql`INSERT INTO evidence (incident_id, key, value, seq)
            SELECT id, ${key}, ${JSON.stringify(value ?? null)},
              (SELECT COUNT(*) FROM evidence e WHERE e.incident_id = incidents.id)
            FROM incidents WHERE id = ${id}
            ON CONFLICT (incident_id, key) DO UPDATE SET value = excluded.value
            RETURNING incident_id`
      ),
    setEntities: (id, entities) =>
      touch(
        id,
        sql`UPDATE incidents SET extracted_entities = ${JSON.stringify(entities)},
          updated_at = ${nowIso()} WHERE id = ${id} RETURNING id`
      ),
    complete: (id, outcome, fence) =>
      Effect.gen(function* () {
        const conclusion = yield* Effect.orDie(encodeConclusion(conclusionOf(outcome)))
        const usage = outcome.llm_usage !== undefined ? JSON.stringify(outcome.llm_usage) : null
        const now = nowIso()
        return yield* updateReturning(
          id,
          sql`UPDATE incidents SET status = 'completed', completed_at = ${now}, updated_at = ${now},
            conclusion = ${conclusion}, llm_usage = COALESCE(${usage}, llm_usage)
            WHERE id = ${id} AND ${resultGuard(fence)} RETURNING ${columns}`
        )
      }),
    fail: (id, message, usage, fence) =>
      Effect.suspend(() => {
        const now = nowIso()
        const usageJson = usage !== undefined ? JSON.stringify(usage) : null
        return updateReturning(
          id,
          sql`UPDATE incidents SET status = 'failed', completed_at = ${now}, updated_at = ${now},
            error_message = ${message}, llm_usage = COALESCE(${usageJson}, llm_usage)
            WHERE id = ${id} AND ${resultGuard(fence)} RETURNING ${columns}`
        )
      }),
    requeue: (id, fence) =>
      touch(
        id,
        sql`UPDATE incidents SET
          status = CASE WHEN ${requeueGuard(fence)} THEN 'pending' ELSE status END,
          updated_at = CASE WHEN ${requeueGuard(fence)} THEN ${nowIso()} ELSE updated_at END
          WHERE id = ${id} RETURNING id`
      ),
    listUnfinished: sql<UnfinishedRow>`SELECT id, status, attempts, correlation_id, created_at FROM incidents
        WHERE status IN ('pending', 'running') ORDER BY seq`.pipe(
      Effect.flatMap((rows) =>
        Effect.forEach(rows, (r) =>
          Effect.map(decodeStatus(r.status), (status) => ({
            id: r.id,
            status,
            attempts: r.attempts,
            correlationId: r.correlation_id,
            createdAt: r.created_at
          }))
        )
      ),
      Effect.orDie
    ),
    ping: sql`SELECT 1`.pipe(Effect.asVoid, Effect.orDie)
  }

  return repo
})

interface UnfinishedRow {
  readonly id: string
  readonly status: string
  readonly attempts: number
  readonly correlation_id: string
  readonly created_at: string
}

interface AlertGroupRow {
  readonly group_key: string
  readonly incident_id: string
  readonly fingerprints: string
  readonly status: string
  readonly completed_at: string | null
}

const toLink = (row: AlertGroupRow) =>
  Effect.all({
    status: decodeStatus(row.status),
    fingerprints: Schema.decode(FingerprintsJson)(row.fingerprints)
  }).pipe(
    Effect.map(({ fingerprints, status }): AlertGroupLink => ({
      groupKey: row.group_key,
      incidentId: row.incident_id,
      status,
      completedAt: row.completed_at ?? undefined,
      fingerprints
    })),
    Effect.orDie
  )

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
