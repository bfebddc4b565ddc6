import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
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
          expect(yield* repo.listUnfinished).toEqual([{ id, status: "pending", attempts: 1, correlationId: "corr-1" }])
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
        })
      ))
  })

suite("memory repository", () => layerMemory)

const dir = mkdtempSync(join(tmpdir(), "sre-repo-"))
let counter = 0
suite("sqlite repository", () => layerSqliteAt(join(dir, `db-${++counter}.sqlite`)))

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
