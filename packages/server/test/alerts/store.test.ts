import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Option } from "effect"
import { IncidentRepository, layerMemory, type NewIncident } from "../../src/store/IncidentRepository.js"
import { layerSqliteAt } from "../../src/store/SqliteIncidentRepository.js"

const incident = (n: number): NewIncident => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  description: "alert",
  source: "alertmanager",
  correlationId: `c-${n}`,
  createdAt: new Date().toISOString(),
  entities: { namespaces: ["shop"] }
})

const claim = { groupKey: "g", fingerprints: ["f1"], reuseEndedAfter: new Date(Date.now() - 3_600_000).toISOString() }

for (const [name, layer] of [
  ["sqlite", layerSqliteAt(":memory:")],
  ["memory", layerMemory]
] as const) {
  describe(`alert groups (${name})`, () => {
    it.effect("20 concurrent createForAlertGroup calls for one group create exactly one incident", () =>
      Effect.gen(function* () {
        const repo = yield* IncidentRepository
        const results = yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => i + 1),
          (i) => Effect.either(repo.createForAlertGroup(incident(i), claim)),
          { concurrency: "unbounded" }
        )
        const created = results.filter(Either.isRight)
        expect(created).toHaveLength(1)
        const winner = created[0]?.right.id
        for (const r of results) if (Either.isLeft(r)) expect(r.left.incidentId).toBe(winner)
        const page = yield* repo.list({ limit: 100 })
        expect(page.items).toHaveLength(1)
        const stored = yield* repo.get(winner ?? "")
        expect(stored.extracted_entities).toEqual({ namespaces: ["shop"] })
        const fresh = yield* repo.touchAlertGroup("g", ["f1", "f2"], new Date().toISOString())
        expect(fresh).toEqual(["f2"])
        const link = yield* repo.findAlertGroup("g")
        expect(Option.map(link, (l) => l.fingerprints)).toEqual(Option.some(["f1", "f2"]))
        yield* repo.resolveAlertGroup("g", new Date().toISOString())
      }).pipe(Effect.provide(Layer.fresh(layer)))
    )

    it.effect("a group whose incident ended before the window gets a new incident", () =>
      Effect.gen(function* () {
        const repo = yield* IncidentRepository
        const first = yield* repo.createForAlertGroup(incident(1), claim)
        yield* repo.fail(first.id, "done")
        const later = { ...claim, reuseEndedAfter: new Date(Date.now() + 1_000).toISOString() }
        const second = yield* repo.createForAlertGroup(incident(2), later)
        expect(second.id).not.toBe(first.id)
        const link = yield* repo.findAlertGroup("g")
        expect(Option.map(link, (l) => l.incidentId)).toEqual(Option.some(second.id))
      }).pipe(Effect.provide(Layer.fresh(layer)))
    )
  })
}
