/**
 * The PostgreSQL store as several replicas use it: separate connection pools (one per simulated replica) on one
 * database, racing on alert groups, step appends, fenced results and start-up migrations; plus the client's
 * configuration and its care with the URL's password. Runs on a throwaway cluster from @sre/testkit; skipped with a
 * printed reason when the server binaries are missing (`scripts/postgres/install.sh`).
 */
import { SqlClient } from "@effect/sql"
import { createDatabase, type PostgresHandle, postgresAvailability, startPostgres } from "@sre/testkit/postgres"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { createServer } from "node:net"
import { ConfigProvider, Context, Effect, Either, Exit, Layer, Option, Redacted } from "effect"
import { IncidentRepository, type NewIncident } from "../../src/store/IncidentRepository.js"
import {
  databasePoolMax,
  databaseUrl,
  describeDatabaseUrl,
  layerPgClient,
  layerPgFromUrl,
  MIGRATIONS_TABLE
} from "../../src/store/PgIncidentRepository.js"

const availability = postgresAvailability()
if ("skipped" in availability) console.log(`pg.test.ts: PostgreSQL tests skipped: ${availability.skipped}`)

let pg: PostgresHandle | undefined
let databases = 0
const freshDatabase = Effect.promise(async () => {
  if (pg === undefined) throw new Error("the PostgreSQL cluster did not start")
  return Redacted.make(await createDatabase(pg, `pg_store_${++databases}`))
})

/** One simulated replica: its own pool and store on the database. */
const replica = (url: Redacted.Redacted<string>) =>
  Effect.map(Layer.build(Layer.orDie(layerPgFromUrl(url, { maxConnections: 5 }))), (ctx) => ({
    repo: Context.get(ctx, IncidentRepository),
    sql: Context.get(ctx, SqlClient.SqlClient)
  }))

const newIncident = (n: number, overrides: Partial<NewIncident> = {}): NewIncident => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  description: `incident ${n}`,
  source: "alertmanager",
  correlationId: `corr-${n}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  ...overrides
})

const outcome = {
  suggested_root_cause: "the pod ran out of memory",
  confidence_score: "high" as const,
  supporting_evidence: [],
  recommended_next_steps: [],
  concluded_by: "analyzers" as const
}

describe.skipIf("skipped" in availability)("PostgreSQL store across replicas", () => {
  beforeAll(async () => {
    const started = await startPostgres()
    if ("skipped" in started) throw new Error(started.skipped)
    pg = started
  })
  afterAll(() => pg?.stop())

  it.scopedLive("replicas starting at once migrate once, one after the other", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const replicas = yield* Effect.all([replica(url), replica(url), replica(url)], { concurrency: "unbounded" })
      const [a] = replicas
      const applied = yield* a.sql<{ migration_id: number }>`SELECT migration_id FROM ${a.sql(MIGRATIONS_TABLE)}`
      expect(applied.map((r) => r.migration_id)).toEqual([1])
      // and every replica works on the migrated schema
      for (const [i, r] of replicas.entries()) yield* r.repo.create(newIncident(i + 1))
      expect((yield* a.repo.list({ limit: 10 })).items).toHaveLength(3)
    })
  )

  it.scopedLive("20 concurrent createForAlertGroup calls from two replicas create exactly one incident", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const [a, b] = yield* Effect.all([replica(url), replica(url)], { concurrency: "unbounded" })
      const claim = {
        groupKey: "cluster/KubePodCrashLooping",
        fingerprints: ["f1"],
        reuseEndedAfter: "2026-01-01T00:00:00Z"
      }
      const results = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i + 1),
        (i) => Effect.either((i % 2 === 0 ? a : b).repo.createForAlertGroup(newIncident(i), claim)),
        { concurrency: "unbounded" }
      )
      const created = results.filter(Either.isRight).map((r) => r.right.id)
      expect(created).toHaveLength(1)
      for (const r of results) if (Either.isLeft(r)) expect(r.left.incidentId).toBe(created[0])
      const page = yield* b.repo.list({ limit: 100 })
      expect(page.items.map((i) => i.id)).toEqual(created)
      const link = yield* a.repo.findAlertGroup(claim.groupKey)
      expect(Option.map(link, (l) => l.incidentId)).toEqual(Option.some(created[0]))

      // fingerprints merged atomically when both replicas touch the group at once
      const fresh = yield* Effect.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? a : b).repo.touchAlertGroup(claim.groupKey, [`f${i + 2}`, "f1"], new Date().toISOString())
        ),
        { concurrency: "unbounded" }
      )
      expect(fresh.flat().sort()).toEqual(Array.from({ length: 10 }, (_, i) => `f${i + 2}`).sort())
      const merged = Option.map(yield* b.repo.findAlertGroup(claim.groupKey), (l) => [...l.fingerprints].sort())
      expect(merged).toEqual(Option.some(["f1", ...Array.from({ length: 10 }, (_, i) => `f${i + 2}`)].sort()))
    })
  )

  it.scopedLive("concurrent appendStep on one incident from two replicas: indexes 1..n, no gaps, no duplicates", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const [a, b] = yield* Effect.all([replica(url), replica(url)], { concurrency: "unbounded" })
      const id = newIncident(1).id
      yield* a.repo.create(newIncident(1))
      const n = 40
      const saved = yield* Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) =>
          (i % 2 === 0 ? a : b).repo.appendStep(id, {
            kind: "tool_call",
            started_at: "2026-01-01T00:00:00Z",
            tool_name: `t${i}`
          }),
        { concurrency: "unbounded" }
      )
      const expected = Array.from({ length: n }, (_, i) => i + 1)
      expect(saved.map((s) => s.index).sort((x, y) => x - y)).toEqual(expected)
      const got = yield* b.repo.get(id)
      expect(got.investigation_steps.map((s) => s.index)).toEqual(expected)
      // each stored step is the one whose append returned that index
      const byIndex = new Map(saved.map((s) => [s.index, s.tool_name]))
      for (const s of got.investigation_steps) expect(s.tool_name).toBe(byIndex.get(s.index))
    })
  )

  it.scopedLive("of two replicas racing to finish one incident, only the current attempt's result is stored", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const [a, b] = yield* Effect.all([replica(url), replica(url)], { concurrency: "unbounded" })
      const ids = Array.from({ length: 10 }, (_, i) => newIncident(i + 1))
      for (const n of ids) yield* a.repo.create(n)
      for (const n of ids) {
        const stale = yield* a.repo.markRunning(n.id)
        const current = yield* b.repo.markRunning(n.id) // b took the incident over (a's lease expired)
        const [fromA, fromB] = yield* Effect.all(
          [
            a.repo.fail(n.id, "stale attempt", undefined, { attempt: stale }),
            b.repo.complete(n.id, outcome, { attempt: current })
          ],
          { concurrency: "unbounded" }
        )
        expect(fromB.status).toBe("completed")
        expect(["running", "completed"]).toContain(fromA.status)
        const stored = yield* a.repo.get(n.id)
        expect(stored.status).toBe("completed")
        expect(stored.error_message).toBeUndefined()
      }
    })
  )

  it.scopedLive("text with NUL characters is stored (NUL replaced in text columns, kept in JSON)", () =>
    Effect.gen(function* () {
      const url = yield* freshDatabase
      const { repo } = yield* replica(url)
      const n = newIncident(1, { description: "bad\u0000byte" })
      const created = yield* repo.create(n)
      expect(created.description).toBe("bad\uFFFDbyte")
      yield* repo.markRunning(n.id)
      yield* repo.appendStep(n.id, { kind: "note", started_at: "2026-01-01T00:00:00Z", reasoning: "a\u0000b" })
      yield* repo.putEvidence(n.id, "k\u0000", "v\u0000")
      const failed = yield* repo.fail(n.id, "boom\u0000")
      expect(failed.description).toBe("bad\uFFFDbyte")
      expect(failed.error_message).toBe("boom\uFFFD")
      expect(failed.investigation_steps[0]?.reasoning).toBe("a\u0000b")
      expect(failed.evidence).toEqual({ "k\uFFFD": "v\u0000" })
    })
  )
})

describe("PostgreSQL configuration", () => {
  const withEnv = (env: Record<string, string>) =>
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.effect("DATABASE_URL: unset or empty selects SQLite; a postgres URL is kept secret; others are refused", () =>
    Effect.gen(function* () {
      expect(yield* databaseUrl.pipe(withEnv({}))).toEqual(Option.none())
      expect(yield* databaseUrl.pipe(withEnv({ DATABASE_URL: " " }))).toEqual(Option.none())
      const url = yield* databaseUrl.pipe(withEnv({ DATABASE_URL: "postgres://sre:s3cret@db:5432/sre" }))
      expect(Option.map(url, Redacted.value)).toEqual(Option.some("postgres://sre:s3cret@db:5432/sre"))
      expect(String(url)).not.toContain("s3cret")
      const bad = yield* Effect.flip(databaseUrl.pipe(withEnv({ DATABASE_URL: "mysql://sre:s3cret@db/sre" })))
      expect(String(bad)).toContain("DATABASE_URL")
      expect(String(bad)).not.toContain("s3cret")
    })
  )

  it.effect("DATABASE_POOL_MAX: 10 by default, 2 to 100", () =>
    Effect.gen(function* () {
      expect(yield* databasePoolMax.pipe(withEnv({}))).toBe(10)
      expect(yield* databasePoolMax.pipe(withEnv({ DATABASE_POOL_MAX: "25" }))).toBe(25)
      const bad = yield* Effect.flip(databasePoolMax.pipe(withEnv({ DATABASE_POOL_MAX: "1" })))
      expect(String(bad)).toContain("DATABASE_POOL_MAX")
    })
  )

  it("describeDatabaseUrl drops the password and the query", () => {
    expect(describeDatabaseUrl(Redacted.make("postgres://sre:s3cret@db.example:5433/incidents?sslmode=require"))).toBe(
      "postgres://sre@db.example:5433/incidents"
    )
    expect(describeDatabaseUrl(Redacted.make("postgresql://db/x?password=s3cret"))).toBe("postgresql://db/x")
    expect(describeDatabaseUrl(Redacted.make("not a url s3cret"))).toBe("<invalid database URL>")
  })

  it.live("a database that cannot be reached fails the client layer without showing the password", () =>
    Effect.gen(function* () {
      // a port nothing listens on
      const port = yield* Effect.promise(freePort)
      const url = Redacted.make(`postgres://sre:s3cret@127.0.0.1:${port}/sre`)
      const exit = yield* Layer.launch(layerPgClient(url, { connectTimeout: "2 seconds" })).pipe(Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const text = JSON.stringify(exit) + String(exit)
      expect(text).toContain(`127.0.0.1:${port}`)
      expect(text).not.toContain("s3cret")
      const invalid = yield* Layer.launch(layerPgClient(Redacted.make("http://sre:s3cret@x/y"))).pipe(Effect.exit)
      expect(Exit.isFailure(invalid)).toBe(true)
      expect(JSON.stringify(invalid) + String(invalid)).not.toContain("s3cret")
    })
  )
})

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 1))
    })
  })
