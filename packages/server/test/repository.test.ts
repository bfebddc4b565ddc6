/**
 * The store's behaviour, one suite run against every implementation: in-memory, SQLite and PostgreSQL (a throwaway
 * cluster from @sre/testkit, a fresh database per test; skipped with a printed reason when the server binaries are
 * missing — `scripts/postgres/install.sh` installs them).
 */
import { createDatabase, type PostgresHandle, postgresAvailability, startPostgres } from "@sre/testkit/postgres"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  decodeCursor,
  encodeCursor,
  IncidentRepository,
  layerMemory,
  type NewIncident
} from "../src/store/IncidentRepository.js"
import { layerPgFromUrl } from "../src/store/PgIncidentRepository.js"
import { layerSqliteAt } from "../src/store/SqliteIncidentRepository.js"

const newIncident = (n: number, overrides: Partial<NewIncident> = {}): NewIncident => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  description: `incident ${n}`,
  source: "api",
  correlationId: `corr-${n}`,
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  ...overrides
})

const outcome = {
  suggested_root_cause: "the pod ran out of memory",
  confidence_score: "high" as const,
  supporting_evidence: ["k:1"],
  recommended_next_steps: ["raise the limit"],
  concluded_by: "analyzers" as const
}

const suite = (name: string, makeLayer: () => Layer.Layer<IncidentRepository>) =>
  describe(name, () => {
    const run = <A, E>(effect: Effect.Effect<A, E, IncidentRepository>) =>
      Effect.runPromise(Effect.provide(effect, makeLayer()))

    it("creates, reads and lists newest first with a cursor", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          for (let n = 1; n <= 5; n++) yield* repo.create(newIncident(n))
          const got = yield* repo.get(newIncident(3).id)
          expect(got.status).toBe("pending")
          expect(got.description).toBe("incident 3")
          expect(got.investigation_steps).toEqual([])
          const page1 = yield* repo.list({ limit: 2 })
          expect(page1.items.map((i) => i.description)).toEqual(["incident 5", "incident 4"])
          expect(page1.next_cursor).not.toBeNull()
          const page2 = yield* repo.list({ limit: 2, cursor: page1.next_cursor ?? undefined })
          expect(page2.items.map((i) => i.description)).toEqual(["incident 3", "incident 2"])
          const page3 = yield* repo.list({ limit: 2, cursor: page2.next_cursor ?? undefined })
          expect(page3.items.map((i) => i.description)).toEqual(["incident 1"])
          expect(page3.next_cursor).toBeNull()
        })
      ))

    it("filters by status and rejects bad cursors", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          yield* repo.create(newIncident(1))
          yield* repo.create(newIncident(2))
          yield* repo.markRunning(newIncident(2).id)
          yield* repo.fail(newIncident(2).id, "boom")
          const failed = yield* repo.list({ limit: 10, status: "failed" })
          expect(failed.items.map((i) => i.id)).toEqual([newIncident(2).id])
          const bad = yield* Effect.flip(repo.list({ limit: 10, cursor: "garbage" }))
          expect(bad._tag).toBe("ValidationError")
          expect(bad.code).toBe(400)
        })
      ))

    it("unknown ids fail with IncidentNotFound", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const id = newIncident(9).id
          expect((yield* Effect.flip(repo.get(id)))._tag).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.markRunning(id)))._tag).toBe("IncidentNotFound")
          expect(
            (yield* Effect.flip(repo.appendStep(id, { kind: "note", started_at: "2026-01-01T00:00:00Z" })))._tag
          ).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.putEvidence(id, "k", 1)))._tag).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.setEntities(id, {})))._tag).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.complete(id, outcome)))._tag).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.fail(id, "x")))._tag).toBe("IncidentNotFound")
          expect((yield* Effect.flip(repo.requeue(id)))._tag).toBe("IncidentNotFound")
        })
      ))

    it("appends steps with consecutive indexes, even concurrently, and stores evidence and entities", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const id = newIncident(1).id
          yield* repo.create(newIncident(1))
          const steps = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i),
            (i) => repo.appendStep(id, { kind: "tool_call", started_at: "2026-01-01T00:00:00Z", tool_name: `t${i}` }),
            { concurrency: "unbounded" }
          )
          expect(steps.map((s) => s.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
          yield* repo.putEvidence(id, "pods_get:default/a", { phase: "Running" })
          yield* repo.putEvidence(id, "events_list:default", "text")
          yield* repo.putEvidence(id, "pods_get:default/a", { phase: "Failed" })
          yield* repo.setEntities(id, { namespace: "default", pods: ["a"] })
          const got = yield* repo.get(id)
          expect(got.investigation_steps).toHaveLength(20)
          expect(got.investigation_steps.map((s) => s.index)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
          expect(got.evidence).toEqual({ "pods_get:default/a": { phase: "Failed" }, "events_list:default": "text" })
          // evidence keeps the order of first insertion (a replaced entry keeps its place)
          expect(Object.keys(got.evidence)).toEqual(["pods_get:default/a", "events_list:default"])
          expect(got.extracted_entities).toEqual({ namespace: "default", pods: ["a"] })
        })
      ))

    it("terminal states are final and attempts are counted", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const id = newIncident(1).id
          yield* repo.create(newIncident(1))
          expect(yield* repo.markRunning(id)).toBe(1)
          yield* repo.requeue(id)
          expect((yield* repo.get(id)).status).toBe("pending")
          expect(yield* repo.listUnfinished).toEqual([
            { id, status: "pending", attempts: 1, correlationId: "corr-1", createdAt: newIncident(1).createdAt }
          ])
          expect(yield* repo.markRunning(id)).toBe(2)
          const done = yield* repo.complete(id, {
            ...outcome,
            llm_usage: { calls: 2, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }
          })
          expect(done.status).toBe("completed")
          expect(done.completed_at).toBeDefined()
          expect(done.suggested_root_cause).toBe(outcome.suggested_root_cause)
          expect(done.confidence_score).toBe("high")
          expect(done.llm_usage?.total_tokens).toBe(15)
          const after = yield* repo.fail(id, "late failure")
          expect(after.status).toBe("completed")
          expect(after.error_message).toBeUndefined()
          expect(yield* repo.listUnfinished).toEqual([])
          // a terminal incident is not moved back to running, and its attempts are not counted again
          expect(yield* repo.markRunning(id)).toBe(2)
          expect((yield* repo.get(id)).status).toBe("completed")
          yield* repo.requeue(id)
          expect((yield* repo.get(id)).status).toBe("completed")
        })
      ))

    it("fenced writes apply only to the running attempt they name", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const id = newIncident(1).id
          yield* repo.create(newIncident(1))
          const first = yield* repo.markRunning(id)
          const second = yield* repo.markRunning(id) // taken over (e.g. by another replica)
          expect([first, second]).toEqual([1, 2])
          // the superseded attempt can neither finish nor re-queue the incident
          const stale = yield* repo.complete(id, outcome, { attempt: first })
          expect(stale.status).toBe("running")
          expect(stale.suggested_root_cause).toBeUndefined()
          expect((yield* repo.fail(id, "stale failure", undefined, { attempt: first })).status).toBe("running")
          yield* repo.requeue(id, { attempt: first })
          expect((yield* repo.get(id)).status).toBe("running")
          // the current attempt can
          yield* repo.appendStep(id, { kind: "note", started_at: "2026-01-01T00:00:00Z", reasoning: "current" })
          yield* repo.putEvidence(id, "k", { v: 1 })
          const done = yield* repo.complete(id, outcome, { attempt: second })
          expect(done.status).toBe("completed")
          expect(done.suggested_root_cause).toBe(outcome.suggested_root_cause)
          expect(done.investigation_steps.map((s) => s.reasoning)).toEqual(["current"])
          expect(done.evidence).toEqual({ k: { v: 1 } })
          expect(yield* repo.get(id)).toEqual(done)
          // and nothing moves a terminal incident, fenced or not
          const late = yield* repo.fail(id, "late", undefined, { attempt: second })
          expect(late.status).toBe("completed")
          expect(late.error_message).toBeUndefined()
          expect(yield* repo.listUnfinished).toEqual([])
        })
      ))

    it("a fence never applies to an incident that is not running", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const id = newIncident(1).id
          yield* repo.create(newIncident(1))
          // pending, attempts 0: no fence matches
          expect((yield* repo.complete(id, outcome, { attempt: 0 })).status).toBe("pending")
          const attempt = yield* repo.markRunning(id)
          yield* repo.requeue(id, { attempt })
          expect((yield* repo.get(id)).status).toBe("pending")
          // re-queued: the attempt that was running no longer holds it
          expect((yield* repo.fail(id, "stale", undefined, { attempt })).status).toBe("pending")
          expect(yield* repo.listUnfinished).toEqual([
            { id, status: "pending", attempts: 1, correlationId: "corr-1", createdAt: newIncident(1).createdAt }
          ])
          // an unfenced result still applies to a pending incident
          const failed = yield* repo.fail(id, "abandoned", {
            calls: 1,
            prompt_tokens: 1,
            completion_tokens: 1,
            total_tokens: 2
          })
          expect(failed.status).toBe("failed")
          expect(failed.error_message).toBe("abandoned")
          expect(failed.llm_usage?.total_tokens).toBe(2)
          expect(yield* repo.get(id)).toEqual(failed)
        })
      ))

    it("round-trips every field of a completed incident", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const n = newIncident(1, { entities: { namespaces: ["shop"], nested: { a: [1, null, "x"] } } })
          yield* repo.create(n)
          const attempt = yield* repo.markRunning(n.id)
          yield* repo.appendStep(n.id, {
            kind: "tool_call",
            started_at: "2026-01-01T00:00:00.123Z",
            tool_name: "pods_get",
            tool_server: "kubernetes",
            tool_arguments: { namespace: "shop", name: "a" },
            output_summary: "Running",
            evidence_key: "pods_get:shop/a",
            duration_ms: 12.5,
            error: "none"
          })
          const text = 'line 1\nline \u0000 two \u2603 "quoted"'
          yield* repo.putEvidence(n.id, "pods_get:shop/a", { text, n: 1.5, big: 12345678901234, list: [true, false] })
          yield* repo.putEvidence(n.id, "plain", text)
          yield* repo.putEvidence(n.id, "null", null)
          const findings = [
            {
              analyzer: "oom",
              title: "OOMKilled",
              object: { kind: "Pod", name: "a", namespace: "shop" },
              summary: "killed",
              severity: "critical",
              confidence: "high" as const,
              evidence: ["pods_get:shop/a"],
              next_steps: ["raise the limit"]
            }
          ]
          const done = yield* repo.complete(n.id, { ...outcome, findings, concluded_by: "llm+analyzers" }, { attempt })
          const got = yield* repo.get(n.id)
          expect(got).toEqual(done)
          expect(got.extracted_entities).toEqual({ namespaces: ["shop"], nested: { a: [1, null, "x"] } })
          expect(got.findings).toEqual(findings)
          expect(got.concluded_by).toBe("llm+analyzers")
          expect(got.created_at).toBe(n.createdAt)
          expect(got.evidence).toEqual({
            "pods_get:shop/a": { text, n: 1.5, big: 12345678901234, list: [true, false] },
            plain: text,
            null: null
          })
          expect(got.investigation_steps).toEqual([
            {
              index: 1,
              kind: "tool_call",
              started_at: "2026-01-01T00:00:00.123Z",
              tool_name: "pods_get",
              tool_server: "kubernetes",
              tool_arguments: { namespace: "shop", name: "a" },
              output_summary: "Running",
              evidence_key: "pods_get:shop/a",
              duration_ms: 12.5,
              error: "none"
            }
          ])
          const page = yield* repo.list({ limit: 10 })
          expect(page.items).toEqual([
            {
              id: n.id,
              description: n.description,
              status: "completed",
              source: "api",
              created_at: n.createdAt,
              completed_at: got.completed_at,
              suggested_root_cause: outcome.suggested_root_cause,
              confidence_score: "high"
            }
          ])
        })
      ))

    it("alert groups: one incident per group under concurrent claims, fingerprints merged, window honoured", () =>
      run(
        Effect.gen(function* () {
          const repo = yield* IncidentRepository
          const claim = { groupKey: "g", fingerprints: ["f1", "f1"], reuseEndedAfter: "2026-01-01T00:00:00.000Z" }
          const results = yield* Effect.forEach(
            Array.from({ length: 20 }, (_, i) => i + 1),
            (i) => Effect.either(repo.createForAlertGroup(newIncident(i, { source: "alertmanager" }), claim)),
            { concurrency: "unbounded" }
          )
          const created = results.filter(Either.isRight).map((r) => r.right)
          expect(created).toHaveLength(1)
          const winner = created[0]?.id ?? ""
          for (const r of results) if (Either.isLeft(r)) expect(r.left.incidentId).toBe(winner)
          expect((yield* repo.list({ limit: 100 })).items.map((i) => i.id)).toEqual([winner])
          expect(Option.map(yield* repo.findAlertGroup("g"), (l) => l.fingerprints)).toEqual(Option.some(["f1"]))
          expect(yield* repo.touchAlertGroup("g", ["f2", "f1", "f2"], "2026-01-01T00:01:00.000Z")).toEqual(["f2"])
          expect(yield* repo.touchAlertGroup("g", ["f1"], "2026-01-01T00:02:00.000Z")).toEqual([])
          expect(yield* repo.touchAlertGroup("unknown", ["f1"], "2026-01-01T00:02:00.000Z")).toEqual([])
          yield* repo.resolveAlertGroup("g", "2026-01-01T00:03:00.000Z")
          const link = yield* repo.findAlertGroup("g")
          expect(
            Option.map(link, (l) => ({ id: l.incidentId, status: l.status, fingerprints: l.fingerprints }))
          ).toEqual(Option.some({ id: winner, status: "pending", fingerprints: ["f1", "f2"] }))
          expect(yield* repo.findAlertGroup("unknown")).toEqual(Option.none())
          // ended within the window: still reused
          yield* repo.fail(winner, "done")
          const ended = yield* repo.findAlertGroup("g")
          const completedAt = Option.getOrUndefined(ended)?.completedAt ?? ""
          const within = yield* Effect.flip(
            repo.createForAlertGroup(newIncident(30), { ...claim, reuseEndedAfter: completedAt })
          )
          expect(within.incidentId).toBe(winner)
          // ended before the window: a new incident takes the group over
          const later = { ...claim, fingerprints: ["f9"], reuseEndedAfter: "2999-01-01T00:00:00.000Z" }
          const next = yield* repo.createForAlertGroup(newIncident(31, { entities: { alert: ["x"] } }), later)
          expect(next.id).toBe(newIncident(31).id)
          expect((yield* repo.get(next.id)).extracted_entities).toEqual({ alert: ["x"] })
          expect(Option.map(yield* repo.findAlertGroup("g"), (l) => [l.incidentId, l.fingerprints])).toEqual(
            Option.some([next.id, ["f9"]])
          )
        })
      ))
  })

suite("memory repository", () => layerMemory)

const dir = mkdtempSync(join(tmpdir(), "sre-repo-"))
let counter = 0
suite("sqlite repository", () => layerSqliteAt(join(dir, `db-${++counter}.sqlite`)))

const availability = postgresAvailability()
if ("skipped" in availability) console.log(`repository.test.ts: PostgreSQL suite skipped: ${availability.skipped}`)
describe.skipIf("skipped" in availability)("postgres", () => {
  let pg: PostgresHandle | undefined
  let databases = 0
  beforeAll(async () => {
    const started = await startPostgres()
    if ("skipped" in started) throw new Error(started.skipped)
    pg = started
  })
  afterAll(() => pg?.stop())
  suite("postgres repository", () =>
    Layer.unwrapEffect(
      Effect.promise(async () => {
        if (pg === undefined) throw new Error("the PostgreSQL cluster did not start")
        return createDatabase(pg, `repository_${++databases}`)
      }).pipe(Effect.map((url) => Layer.orDie(layerPgFromUrl(Redacted.make(url)))))
    )
  )
})

describe("sqlite persistence", () => {
  it("keeps incidents, steps and evidence across re-opening the file", async () => {
    const file = join(dir, "persist.sqlite")
    const id = newIncident(1).id
    await Effect.runPromise(
      Effect.gen(function* () {
        const repo = yield* IncidentRepository
        yield* repo.create(newIncident(1))
        yield* repo.markRunning(id)
        yield* repo.appendStep(id, { kind: "note", started_at: "2026-01-01T00:00:00Z", reasoning: "hello" })
        yield* repo.putEvidence(id, "k", [1, 2])
      }).pipe(Effect.provide(layerSqliteAt(file)))
    )
    const got = await Effect.runPromise(
      Effect.flatMap(IncidentRepository, (repo) => repo.get(id)).pipe(Effect.provide(layerSqliteAt(file)))
    )
    expect(got.status).toBe("running")
    expect(got.investigation_steps[0]?.reasoning).toBe("hello")
    expect(got.evidence).toEqual({ k: [1, 2] })
    rmSync(dir, { recursive: true, force: true })
  })
})

describe("cursors", () => {
  it.effect("round-trip and reject tampering", () =>
    Effect.gen(function* () {
      expect(yield* decodeCursor(encodeCursor(42))).toBe(42)
      const err = yield* Effect.flip(decodeCursor(Buffer.from("v2:1").toString("base64url")))
      expect(err.message).toContain("cursor")
    })
  )
})
