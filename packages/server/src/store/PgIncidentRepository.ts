/**
 * PostgreSQL implementation of the incident store (`@effect/sql-pg`), for several replicas sharing one database.
 * Same behaviour as the SQLite store (`SqliteIncidentRepository.ts`), with the concurrency that several processes
 * bring handled by the database:
 *
 * - step appends: one statement that bumps the incident's `step_count` (the row lock serialises appends to one
 *   incident across processes) and inserts the step under that index, so indexes have no gaps or duplicates;
 * - alert groups: `group_key` is unique; `createForAlertGroup` locks an existing group row (`FOR UPDATE`) and, when
 *   the group is new, inserts it with `ON CONFLICT DO NOTHING`: a conflict means a concurrent call (of any process)
 *   linked the group first, so the transaction is rolled back and the group re-read (`AlertGroupTaken`);
 *   `touchAlertGroup` merges fingerprints under the group row's lock;
 * - status writes of an investigation's result are guarded in their `WHERE` clause (terminal states are final; the
 *   attempt fence), which PostgreSQL re-checks against the latest row version when rows are updated concurrently;
 * - migrations run under a session advisory lock, so replicas starting together migrate one after the other.
 *
 * Cost per operation matches the SQLite store (issue #10): an incident is read with one statement (steps and
 * evidence as JSON aggregates), decoded once; appends, evidence writes and result writes are one statement each.
 * Steps, evidence and documents are stored as `json` (the text as written: key order kept, and `\u0000` escapes
 * accepted, which `jsonb` rejects). PostgreSQL text cannot hold NUL characters: the store replaces them with U+FFFD
 * in text columns (description, messages, keys).
 */
import { Migrator, SqlClient, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Incident, IncidentNotFound, IncidentStatus, InvestigationStep, JsonObject, LlmUsage } from "@sre/schema"
import { Config, type ConfigError, Data, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
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

// ---------------------------------------------------------------------------------------------------------------
// Configuration and client
// ---------------------------------------------------------------------------------------------------------------

/**
 * `DATABASE_URL`: a `postgres://` (or `postgresql://`) URL selects the PostgreSQL store; unset or empty, the SQLite
 * store is used. Read as a secret (it usually holds a password): never log it, log `describeDatabaseUrl` instead.
 */
export const databaseUrl: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.option(
  Config.redacted().pipe(
    Config.validate({
      message: "must be a postgres:// or postgresql:// URL (e.g. postgres://user:password@host:5432/sre)",
      validation: (url) => isBlank(url) || isPostgresUrl(url)
    }),
    // nested after the validation, so that its error names the variable
    Config.nested("DATABASE_URL")
  )
).pipe(Config.map(Option.filter((url) => !isBlank(url))))

const isBlank = (url: Redacted.Redacted<string>): boolean => Redacted.value(url).trim() === ""

/** Connections per process in the PostgreSQL pool unless configured. */
export const DEFAULT_POOL_MAX = 10

/** `DATABASE_POOL_MAX`: connections per replica in the PostgreSQL pool (default 10; at least 2). */
export const databasePoolMax: Config.Config<number> = Config.integer().pipe(
  Config.validate({ message: "must be an integer between 2 and 100", validation: (n) => n >= 2 && n <= 100 }),
  Config.nested("DATABASE_POOL_MAX"),
  Config.withDefault(DEFAULT_POOL_MAX)
)

/** Whether a URL is a syntactically valid PostgreSQL URL (the value itself never appears in errors or logs). */
export function isPostgresUrl(url: Redacted.Redacted<string>): boolean {
  const parsed = parseUrl(url)
  return parsed !== undefined && (parsed.protocol === "postgres:" || parsed.protocol === "postgresql:")
}

const parseUrl = (url: Redacted.Redacted<string>): URL | undefined => {
  try {
    return new URL(Redacted.value(url))
  } catch {
    return undefined
  }
}

/**
 * A URL for logs and error messages: scheme, user, host, port and database, without the password or the query
 * (which may carry one, e.g. `?password=`). `"<invalid database URL>"` when it does not parse.
 */
export const describeDatabaseUrl = (url: Redacted.Redacted<string>): string => {
  const parsed = parseUrl(url)
  if (parsed === undefined) return "<invalid database URL>"
  const user = parsed.username !== "" ? `${decodeURIComponent(parsed.username)}@` : ""
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`
}

/** Options of the PostgreSQL client (all optional). */
export interface PgClientOptions {
  /** Connections in the pool of this process (default 10; one is held during migrations, so at least 2). */
  readonly maxConnections?: number | undefined
  /** Time allowed to open a connection, and to reach the database at start (default 10 seconds). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Idle connections are closed after this long (default 60 seconds). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** `application_name` shown in `pg_stat_activity` (default `sre-orchestrator`). */
  readonly applicationName?: string | undefined
}

/**
 * The PostgreSQL client: a connection pool (`PgClient.PgClient`, which also provides `SqlClient.SqlClient`) for
 * a `postgres://` URL. The same client serves the store and LISTEN/NOTIFY (`PgClient.listen` uses one dedicated
 * connection outside the pool). The pool size is `options.maxConnections`, else `DATABASE_POOL_MAX` (default 10).
 * Building it checks that the database answers within the connect timeout; errors name the host and database but
 * never the password.
 */
export const layerPgClient = (
  url: Redacted.Redacted<string>,
  options: PgClientOptions = {}
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError.SqlError | ConfigError.ConfigError> => {
  const target = describeDatabaseUrl(url)
  if (!isPostgresUrl(url)) {
    return Layer.fail(
      new SqlError.SqlError({ message: "DATABASE_URL is not a valid postgres:// or postgresql:// URL", cause: target })
    )
  }
  const poolMax = options.maxConnections !== undefined ? Effect.succeed(options.maxConnections) : databasePoolMax
  return Layer.unwrapEffect(
    Effect.map(poolMax, (maxConnections) =>
      PgClient.layer({
        url,
        maxConnections: Math.max(2, maxConnections),
        minConnections: 0,
        connectTimeout: options.connectTimeout ?? Duration.seconds(10),
        idleTimeout: options.idleTimeout ?? Duration.seconds(60),
        applicationName: options.applicationName ?? "sre-orchestrator"
      }).pipe(
        Layer.mapError(
          (error) =>
            new SqlError.SqlError({
              message: `cannot connect to PostgreSQL at ${target}: ${safeCauseMessage(error)}`,
              cause: safeCauseMessage(error)
            })
        )
      )
    )
  )
}

/** The message of a connection failure, without anything from the URL beyond what the driver reports. */
const safeCauseMessage = (error: SqlError.SqlError): string => {
  const cause: unknown = error.cause
  const code =
    typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
      ? ` (${cause.code})`
      : ""
  return cause instanceof Error ? `${cause.message}${code}` : error.message
}

// ---------------------------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------------------------

const migrations = Migrator.fromRecord({
  "0001_incidents": Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`CREATE TABLE incidents (
      seq bigint GENERATED ALWAYS AS IDENTITY,
      id text PRIMARY KEY,
      description text NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
      source text NOT NULL,
      correlation_id text NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      step_count integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      completed_at timestamptz,
      extracted_entities json NOT NULL DEFAULT '{}',
      conclusion json,
      error_message text,
      llm_usage json
    )`
    yield* sql`CREATE UNIQUE INDEX incidents_seq ON incidents (seq)`
    yield* sql`CREATE INDEX incidents_status_seq ON incidents (status, seq)`
    yield* sql`CREATE TABLE investigation_steps (
      incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
      idx integer NOT NULL,
      data json NOT NULL,
      PRIMARY KEY (incident_id, idx)
    )`
    yield* sql`CREATE TABLE evidence (
      incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
      key text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      value json NOT NULL,
      PRIMARY KEY (incident_id, key)
    )`
    // one row per Alertmanager group: group_key is the primary key, so two deliveries can never both link
    yield* sql`CREATE TABLE alert_groups (
      group_key text PRIMARY KEY,
      incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
      fingerprints text[] NOT NULL DEFAULT '{}',
      first_seen_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      notifications integer NOT NULL DEFAULT 1,
      resolved_at timestamptz
    )`
    yield* sql`CREATE INDEX alert_groups_incident ON alert_groups (incident_id)`
  })
})

/** The store's own migration table (the default `effect_sql_migrations` may be used by other tools). */
export const MIGRATIONS_TABLE = "sre_incident_migrations"

/** Key of the session advisory lock held while migrating ("SRE_MIGR" as a 64-bit integer). */
const MIGRATION_LOCK_KEY = "6004231542826428754"

/**
 * Runs the store's pending migrations, one process at a time: a session advisory lock is taken on a dedicated
 * connection and held until the migrations are done (released at once if the process dies, with its session).
 * Returns the migrations applied by this call.
 */
export const migrate: Effect.Effect<
  ReadonlyArray<readonly [id: number, name: string]>,
  SqlError.SqlError | Migrator.MigrationError,
  SqlClient.SqlClient
> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const lock = Effect.acquireRelease(
    Effect.tap(sql.reserve, (conn) => conn.execute(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`, [], undefined)),
    (conn) => Effect.ignore(conn.execute(`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`, [], undefined))
  )
  return yield* Effect.scoped(Effect.zipRight(lock, Migrator.make({})({ loader: migrations, table: MIGRATIONS_TABLE })))
}).pipe(Effect.withSpan("PgIncidentRepository.migrate"))

// ---------------------------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------------------------

const Timestamp = Incident.fields.created_at
/** `timestamptz` as the driver returns it (a `Date`) to the contract's ISO 8601 string. */
const TimestampFromDate = Schema.transform(Schema.ValidDateFromSelf, Timestamp, {
  strict: true,
  decode: (date) => date.toISOString(),
  encode: (iso) => new Date(iso)
})

/** An incident row with its aggregated steps and evidence; JSON columns arrive parsed by the driver. */
const IncidentRow = incidentRowSchema({
  timestamp: TimestampFromDate,
  object: JsonObject,
  conclusion: Conclusion,
  usage: LlmUsage,
  steps: Schema.Array(InvestigationStep)
})
const decodeIncidentRow = Schema.decodeUnknown(IncidentRow)

const SummaryRow = summaryRowSchema({ seq: Schema.NumberFromString, timestamp: TimestampFromDate })
const decodeSummaryRows = Schema.decodeUnknown(Schema.Array(SummaryRow))

const UnfinishedRow = Schema.Struct({
  id: Schema.String,
  status: IncidentStatus,
  attempts: Schema.Number,
  correlation_id: Schema.String,
  created_at: TimestampFromDate
})
const decodeUnfinishedRows = Schema.decodeUnknown(Schema.Array(UnfinishedRow))

const LinkRow = Schema.Struct({
  group_key: Schema.String,
  incident_id: Schema.String,
  fingerprints: Schema.Array(Schema.String),
  status: IncidentStatus,
  completed_at: Schema.NullOr(TimestampFromDate)
})
const decodeLinkRows = Schema.decodeUnknown(Schema.Array(LinkRow))

const encodeStep = Schema.encode(Schema.parseJson(StepWithoutIndex))
const encodeConclusion = Schema.encode(Schema.parseJson(Conclusion))

/** PostgreSQL text cannot contain NUL: replaced by U+FFFD (JSON columns keep `\u0000` escapes as written). */
const pgText = (text: string): string => (text.includes("\u0000") ? text.replaceAll("\u0000", "\uFFFD") : text)

/** An incident's columns with steps and evidence aggregated in sub-selects (table alias `i`). */
const INCIDENT_COLUMNS = `i.id, i.description, i.status, i.source, i.created_at, i.updated_at, i.completed_at,
  i.extracted_entities, i.conclusion, i.llm_usage, i.error_message,
  COALESCE((SELECT json_agg(s.data ORDER BY s.idx) FROM investigation_steps s WHERE s.incident_id = i.id),
    '[]'::json) AS steps,
  COALESCE((SELECT json_object_agg(e.key, e.value ORDER BY e.seq) FROM evidence e WHERE e.incident_id = i.id),
    '{}'::json) AS evidence`

const TERMINAL = `i.status IN ('completed', 'failed')`

/** `createForAlertGroup` lost the race to insert a new group (rolls its transaction back). */
class GroupRace extends Data.TaggedError("GroupRace") {}

// ---------------------------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------------------------

const make = Effect.gen(function* () {
  const sql = yield* PgClient.PgClient
  const columns = sql.literal(INCIDENT_COLUMNS)
  const terminal = sql.literal(TERMINAL)

  const decodeIncident = (rows: ReadonlyArray<unknown>) =>
    rows[0] === undefined
      ? Effect.succeed(Option.none())
      : decodeIncidentRow(rows[0]).pipe(
          Effect.map((row) => Option.some(incidentFromColumns(row))),
          Effect.orDie
        )

  const get = (id: string) =>
    sql`SELECT ${columns} FROM incidents i WHERE i.id = ${id}`.pipe(
      Effect.orDie,
      Effect.flatMap(decodeIncident),
      Effect.flatMap(Option.match({ onNone: () => Effect.fail(IncidentNotFound.forId(id)), onSome: Effect.succeed }))
    )

  /** Runs an UPDATE ... RETURNING the incident; when it did not apply, reads the incident as it is. */
  const updateReturning = (id: string, update: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    Effect.orDie(update).pipe(
      Effect.flatMap(decodeIncident),
      Effect.flatMap(Option.match({ onNone: () => get(id), onSome: Effect.succeed }))
    )

  /** The condition under which an investigation's result may be written (see `fenceAllows`). */
  const resultGuard = (fence: AttemptFence | undefined) =>
    fence === undefined ? sql`NOT ${terminal}` : sql`i.status = 'running' AND i.attempts = ${fence.attempt}`

  /** `requeue` applies to a running incident (under the fence's attempt, when given). */
  const requeueGuard = (fence: AttemptFence | undefined) =>
    fence === undefined ? sql`i.status = 'running'` : sql`(i.status = 'running' AND i.attempts = ${fence.attempt})`

  /** Runs a statement that must touch the incident; fails with IncidentNotFound otherwise. */
  const touch = (id: string, run: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    Effect.flatMap(Effect.orDie(run), (rows) =>
      rows.length > 0 ? Effect.void : Effect.fail(IncidentNotFound.forId(id))
    )

  const sanitized = (n: NewIncident): NewIncident => ({
    ...n,
    description: pgText(n.description),
    correlationId: pgText(n.correlationId)
  })

  const insertIncident = (n: NewIncident) =>
    sql`INSERT INTO incidents (id, description, status, source, correlation_id, created_at, updated_at,
        extracted_entities)
      VALUES (${n.id}, ${n.description}, 'pending', ${n.source}, ${n.correlationId}, ${n.createdAt}::timestamptz,
        ${n.createdAt}::timestamptz, ${JSON.stringify(n.entities ?? {})}::json)`

  const findLink = (groupKey: string) =>
    sql`SELECT g.group_key, g.incident_id, g.fingerprints, i.status, i.completed_at
        FROM alert_groups g JOIN incidents i ON i.id = g.incident_id WHERE g.group_key = ${groupKey}`.pipe(
      Effect.flatMap(decodeLinkRows),
      Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toLink)),
      Effect.orDie
    )

  /** One try of `createForAlertGroup` in its own transaction. */
  const claimGroup = (n: NewIncident, groupKey: string, fingerprints: ReadonlyArray<string>, reuseEndedAfter: string) =>
    Effect.gen(function* () {
      // an existing group row is locked: concurrent claims of it wait here, then see the winner's link
      const locked = yield* sql<{ incident_id: string }>`SELECT incident_id FROM alert_groups
          WHERE group_key = ${groupKey} FOR UPDATE`
      const current = locked[0]
      if (current !== undefined) {
        const link = yield* findLink(groupKey)
        if (Option.isSome(link) && isReusable(link.value, reuseEndedAfter)) {
          return yield* Effect.fail(new AlertGroupTaken({ incidentId: link.value.incidentId }))
        }
      }
      yield* insertIncident(n)
      if (current !== undefined) {
        yield* sql`UPDATE alert_groups SET incident_id = ${n.id}, fingerprints = ${fingerprints},
            first_seen_at = ${n.createdAt}::timestamptz, last_seen_at = ${n.createdAt}::timestamptz,
            notifications = 1, resolved_at = NULL
            WHERE group_key = ${groupKey}`
      } else {
        // a new group: the unique group_key decides between concurrent creators (of any process)
        const inserted = yield* sql`INSERT INTO alert_groups (group_key, incident_id, fingerprints, first_seen_at,
            last_seen_at)
            VALUES (${groupKey}, ${n.id}, ${fingerprints}, ${n.createdAt}::timestamptz, ${n.createdAt}::timestamptz)
            ON CONFLICT (group_key) DO NOTHING RETURNING group_key`
        if (inserted.length === 0) return yield* Effect.fail(new GroupRace())
      }
    }).pipe(sql.withTransaction)

  const repo: IncidentRepositoryShape = {
    findAlertGroup: (groupKey) => findLink(pgText(groupKey)),
    createForAlertGroup: (incident, claim) => {
      const n = sanitized(incident)
      const groupKey = pgText(claim.groupKey)
      const fingerprints = [...new Set(claim.fingerprints.map(pgText))]
      const attempt = (triesLeft: number): Effect.Effect<Incident, AlertGroupTaken> =>
        claimGroup(n, groupKey, fingerprints, claim.reuseEndedAfter).pipe(
          Effect.as(pendingIncident(n)),
          Effect.catchTags({
            // the transaction was rolled back: whoever linked the group first decides
            GroupRace: () =>
              Effect.flatMap(findLink(groupKey), (link) =>
                Option.isSome(link) && isReusable(link.value, claim.reuseEndedAfter)
                  ? Effect.fail(new AlertGroupTaken({ incidentId: link.value.incidentId }))
                  : triesLeft > 0
                    ? attempt(triesLeft - 1)
                    : Effect.dieMessage(`alert group ${groupKey}: could not link after repeated conflicts`)
              ),
            SqlError: Effect.die
          })
        )
      return attempt(3).pipe(Effect.withSpan("PgIncidentRepository.createForAlertGroup"))
    },
    touchAlertGroup: (groupKey, fingerprints, at) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ fingerprints: ReadonlyArray<string> }>`SELECT fingerprints FROM alert_groups
            WHERE group_key = ${pgText(groupKey)} FOR UPDATE`
        const known = rows[0]?.fingerprints
        if (known === undefined) return []
        const fresh = [...new Set(fingerprints.map(pgText))].filter((f) => !known.includes(f))
        yield* sql`UPDATE alert_groups SET fingerprints = fingerprints || ${fresh}::text[],
            last_seen_at = ${at}::timestamptz, notifications = notifications + 1
            WHERE group_key = ${pgText(groupKey)}`
        return fresh
      }).pipe(sql.withTransaction, Effect.orDie),
    resolveAlertGroup: (groupKey, at) =>
      sql`UPDATE alert_groups SET resolved_at = ${at}::timestamptz WHERE group_key = ${pgText(groupKey)}`.pipe(
        Effect.asVoid,
        Effect.orDie
      ),
    // the new incident is built from what was inserted: no read-back
    create: (incident) => {
      const n = sanitized(incident)
      return insertIncident(n).pipe(Effect.as(pendingIncident(n)), Effect.orDie)
    },
    get,
    list: (query) =>
      Effect.gen(function* () {
        const before = query.cursor !== undefined ? yield* decodeCursor(query.cursor) : Number.MAX_SAFE_INTEGER
        const status = query.status !== undefined ? sql`i.status = ${query.status} AND ` : sql``
        const rows = yield* sql`SELECT i.seq, i.id, i.description, i.status, i.source, i.created_at, i.completed_at,
            i.conclusion -> 'suggested_root_cause' AS suggested_root_cause,
            i.conclusion -> 'confidence_score' AS confidence_score
            FROM incidents i WHERE ${status}i.seq < ${before}
            ORDER BY i.seq DESC LIMIT ${query.limit + 1}`.pipe(Effect.flatMap(decodeSummaryRows), Effect.orDie)
        return pageOf(rows, query.limit, summaryFromColumns)
      }),
    // one statement; a terminal incident is left as it is and its attempt count returned
    markRunning: (id) =>
      sql<{ attempts: number }>`UPDATE incidents i SET
          attempts = CASE WHEN ${terminal} THEN i.attempts ELSE i.attempts + 1 END,
          updated_at = CASE WHEN ${terminal} THEN i.updated_at ELSE ${nowIso()}::timestamptz END,
          status = CASE WHEN ${terminal} THEN i.status ELSE 'running' END
          WHERE i.id = ${id} RETURNING i.attempts`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) =>
          rows[0] !== undefined ? Effect.succeed(rows[0].attempts) : Effect.fail(IncidentNotFound.forId(id))
        )
      ),
    // One statement: bumping step_count locks the incident row (appends to one incident are serialised across
    // processes) and yields the index; an unknown incident updates no row, so nothing is inserted. The stored
    // document is the encoded step (an object with at least `kind`) with `"index"` spliced in first.
    appendStep: (id, step) =>
      Effect.gen(function* () {
        const data = yield* Effect.orDie(encodeStep(step))
        const rows = yield* sql<{ idx: number }>`WITH n AS (
              UPDATE incidents SET step_count = step_count + 1 WHERE id = ${id} RETURNING id, step_count
            )
            INSERT INTO investigation_steps (incident_id, idx, data)
            SELECT n.id, n.step_count, ('{"index":' || n.step_count || ',' || substr(${data}::text, 2))::json FROM n
            RETURNING idx`.pipe(Effect.orDie)
        const index = rows[0]?.idx
        if (index === undefined) return yield* Effect.fail(IncidentNotFound.forId(id))
        const saved: InvestigationStep = { ...step, index }
        return saved
      }),
    putEvidence: (id, key, value) =>
      touch(
        id,
        sql`INSERT INTO evidence (incident_id, key, value)
            SELECT i.id, ${pgText(key)}, ${JSON.stringify(value ?? null)}::json FROM incidents i WHERE i.id = ${id}
            ON CONFLICT (incident_id, key) DO UPDATE SET value = EXCLUDED.value
            RETURNING incident_id`
      ),
    setEntities: (id, entities) =>
      touch(
        id,
        sql`UPDATE incidents SET extracted_entities = ${JSON.stringify(entities)}::json,
            updated_at = ${nowIso()}::timestamptz WHERE id = ${id} RETURNING id`
      ),
    complete: (id, outcome, fence) =>
      Effect.gen(function* () {
        const conclusion = yield* Effect.orDie(encodeConclusion(conclusionOf(outcome)))
        const usage = outcome.llm_usage !== undefined ? JSON.stringify(outcome.llm_usage) : null
        const now = nowIso()
        return yield* updateReturning(
          id,
          sql`UPDATE incidents i SET status = 'completed', completed_at = ${now}::timestamptz,
            updated_at = ${now}::timestamptz, conclusion = ${conclusion}::json,
            llm_usage = COALESCE(${usage}::json, i.llm_usage)
            WHERE i.id = ${id} AND ${resultGuard(fence)} RETURNING ${columns}`
        )
      }),
    fail: (id, message, usage, fence) =>
      Effect.suspend(() => {
        const now = nowIso()
        const usageJson = usage !== undefined ? JSON.stringify(usage) : null
        return updateReturning(
          id,
          sql`UPDATE incidents i SET status = 'failed', completed_at = ${now}::timestamptz,
            updated_at = ${now}::timestamptz, error_message = ${pgText(message)},
            llm_usage = COALESCE(${usageJson}::json, i.llm_usage)
            WHERE i.id = ${id} AND ${resultGuard(fence)} RETURNING ${columns}`
        )
      }),
    requeue: (id, fence) =>
      touch(
        id,
        sql`UPDATE incidents i SET
            status = CASE WHEN ${requeueGuard(fence)} THEN 'pending' ELSE i.status END,
            updated_at = CASE WHEN ${requeueGuard(fence)} THEN ${nowIso()}::timestamptz ELSE i.updated_at END
            WHERE i.id = ${id} RETURNING i.id`
      ),
    listUnfinished: sql`SELECT id, status, attempts, correlation_id, created_at FROM incidents
        WHERE status IN ('pending', 'running') ORDER BY seq`.pipe(
      Effect.flatMap(decodeUnfinishedRows),
      Effect.map((rows) =>
        rows.map((r) => ({
          id: r.id,
          status: r.status,
          attempts: r.attempts,
          correlationId: r.correlation_id,
          createdAt: r.created_at
        }))
      ),
      Effect.orDie
    ),
    ping: sql`SELECT 1`.pipe(Effect.asVoid, Effect.orDie)
  }
  return repo
})

const toLink = (row: typeof LinkRow.Type): AlertGroupLink => ({
  groupKey: row.group_key,
  incidentId: row.incident_id,
  status: row.status,
  completedAt: row.completed_at ?? undefined,
  fingerprints: row.fingerprints
})

// ---------------------------------------------------------------------------------------------------------------
// Layers
// ---------------------------------------------------------------------------------------------------------------

/**
 * `IncidentRepository` on PostgreSQL over a `PgClient` (see `layerPgClient`): runs the migrations (under the
 * advisory lock) when built, then serves the store.
 */
export const layerPg: Layer.Layer<
  IncidentRepository,
  SqlError.SqlError | Migrator.MigrationError,
  PgClient.PgClient | SqlClient.SqlClient
> = Layer.effect(IncidentRepository, Effect.zipRight(migrate, make))

/** `IncidentRepository` on PostgreSQL at a URL, with its own client (also provided, e.g. for LISTEN/NOTIFY). */
export const layerPgFromUrl = (
  url: Redacted.Redacted<string>,
  options: PgClientOptions = {}
): Layer.Layer<
  IncidentRepository | PgClient.PgClient | SqlClient.SqlClient,
  SqlError.SqlError | Migrator.MigrationError | ConfigError.ConfigError
> => layerPg.pipe(Layer.provideMerge(layerPgClient(url, options)))
