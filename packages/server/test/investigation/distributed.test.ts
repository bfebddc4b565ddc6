/**
 * The distributed runner in-process: two "replicas" (each the server's core services, built separately with its own
 * Postgres pool and pg-boss instance) on one throwaway PostgreSQL database. Covers filing on one replica and
 * investigating on either, events crossing replicas over LISTEN/NOTIFY, the hand-back on shutdown, the reconciler
 * (a lost job is queued again; a job the queue gave up on fails its incident) and the attempt fence.
 * The three-process SIGKILL test is `test/faults/replicas.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { createDatabase, type PostgresHandle, postgresAvailability, startPostgres } from "@sre/testkit"
import { Context, Deferred, Duration, Effect, Exit, Layer, Option, Queue, Redacted, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import { coreLayer } from "../../src/app.js"
import { AppConfigTest } from "../../src/config/AppConfig.js"
import { layerHealthChecks } from "../../src/health/HealthChecks.js"
import { type AgentShape, layerFromFunction } from "../../src/investigation/Agent.js"
import { IncidentEvents } from "../../src/investigation/IncidentEvents.js"
import { InvestigationRunner } from "../../src/investigation/InvestigationRunner.js"
import { JobQueue, layerPgBossQueue } from "../../src/investigation/JobQueue.js"
import { layerPgIncidentEvents } from "../../src/investigation/PgIncidentEvents.js"
import { postgresLayers } from "../../src/runtime.js"
import { layerPgClient } from "../../src/store/PgIncidentRepository.js"
import { IncidentRepository, isTerminal, nowIso } from "../../src/store/IncidentRepository.js"

const availability = postgresAvailability()
const skipped = "skipped" in availability ? availability.skipped : undefined
if (skipped !== undefined) console.log(`[distributed] skipped: ${skipped}`)
let pg: PostgresHandle | undefined
let url = ""
beforeAll(async () => {
  if (skipped !== undefined) return
  const started = await startPostgres()
  if ("skipped" in started) throw new Error(`PostgreSQL did not start: ${started.skipped}`)
  pg = started
  url = await createDatabase(pg, "distributed_runner")
})
afterAll(async () => {
  await pg?.stop()
})

const fast = {
  pollInterval: Duration.millis(100),
  reconcileInterval: Duration.millis(300),
  reconcileMinAge: Duration.millis(0)
}

const conclude: AgentShape["investigate"] = (ctx) =>
  Effect.gen(function* () {
    yield* ctx.recordStep({ kind: "analysis", started_at: nowIso(), reasoning: `attempt ${ctx.attempt} looked` })
    return {
      suggested_root_cause: `cause of ${ctx.incident.id}`,
      confidence_score: "medium" as const,
      supporting_evidence: [],
      recommended_next_steps: [],
      concluded_by: "analyzers" as const
    }
  })

/** Builds one replica's core services in `scope`. */
const replica = (name: string, agent: AgentShape["investigate"], scope: Scope.Scope, maxAttempts = 3) =>
  Layer.buildWithScope(
    coreLayer({ ...postgresLayers(Redacted.make(url), fast), agent: layerFromFunction(agent) }).pipe(
      Layer.provide(
        AppConfigTest({
          replicaId: name,
          maxConcurrentInvestigations: 4,
          maxInvestigationAttempts: maxAttempts,
          shutdownGracePeriod: Duration.millis(200)
        })
      ),
      Layer.orDie
    ),
    scope
  ).pipe(
    Effect.map((ctx) => ({
      repo: Context.get(ctx, IncidentRepository),
      runner: Context.get(ctx, InvestigationRunner),
      events: Context.get(ctx, IncidentEvents)
    }))
  )

const newIncident = (description: string) => ({
  id: crypto.randomUUID(),
  description,
  source: "api" as const,
  correlationId: crypto.randomUUID(),
  createdAt: nowIso()
})

const awaitStatus = (
  repo: Context.Tag.Service<IncidentRepository>,
  id: string,
  done: (status: string) => boolean = isTerminal as (s: string) => boolean
) =>
  Effect.gen(function* () {
    for (;;) {
      const incident = yield* Effect.orDie(repo.get(id))
      if (done(incident.status)) return incident
      yield* Effect.sleep("50 millis")
    }
  }).pipe(Effect.timeout("20 seconds"))

describe.skipIf(skipped !== undefined)("distributed investigations on PostgreSQL (in-process replicas)", () => {
  it.live("incidents filed on one replica are investigated once, by either replica", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const a = yield* replica("replica-a", conclude, scope)
      const b = yield* replica("replica-b", conclude, scope)
      const filed = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        (i) => (i % 2 === 0 ? a : b).runner.file(a.repo.create(newIncident(`svc-${i} is failing`)), `corr-${i}`)
      )
      const finished = yield* Effect.forEach(filed, (incident) => awaitStatus(b.repo, incident.id))
      expect(finished.map((i) => i.status)).toEqual(filed.map(() => "completed"))
      for (const incident of finished) {
        expect(incident.investigation_steps.filter((s) => s.kind === "analysis")).toHaveLength(1)
        expect(incident.suggested_root_cause).toBe(`cause of ${incident.id}`)
      }
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.live("events of an investigation on one replica reach subscribers on the other", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const a = yield* replica("replica-events-a", conclude, scope)
      // B is only the event bus of another process (its own pool and LISTEN connection, no runner), so every event
      // it sees came over NOTIFY
      const pgB = postgresLayers(Redacted.make(url))
      const eventsB = yield* Layer.buildWithScope(
        layerPgIncidentEvents.pipe(
          Layer.provide(pgB.repository),
          Layer.provide(layerPgClient(Redacted.make(url))),
          Layer.provide(AppConfigTest({ replicaId: "replica-events-b" })),
          Layer.orDie
        ),
        scope
      ).pipe(Effect.map((ctx) => Context.get(ctx, IncidentEvents)))
      const subscription = yield* eventsB.subscribe.pipe(Scope.extend(scope))
      const incident = yield* a.runner.file(a.repo.create(newIncident("orders is slow")), "corr-events")
      const seen: Array<string> = []
      yield* Queue.take(subscription).pipe(
        Effect.tap((e) => Effect.sync(() => void (e.incidentId === incident.id ? seen.push(e.type) : undefined))),
        Effect.repeat({ until: (e) => e.incidentId === incident.id && e.type === "done" }),
        Effect.timeout("20 seconds")
      )
      expect(seen).toContain("status")
      expect(seen).toContain("step")
      expect(seen.at(-1)).toBe("done")
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.live("a replica that stops hands its running investigation back; another restarts it", () =>
    Effect.gen(function* () {
      const started = yield* Deferred.make<string>()
      // the first attempt hangs (until its replica stops); later attempts conclude
      const agent: AgentShape["investigate"] = (ctx) =>
        ctx.attempt === 1 ? Effect.zipRight(Deferred.succeed(started, ctx.incident.id), Effect.never) : conclude(ctx)
      const scopeA = yield* Scope.make()
      const a = yield* replica("replica-stop-a", agent, scopeA)
      const incident = yield* a.runner.file(a.repo.create(newIncident("cart crashes")), "corr-stop")
      expect(yield* Deferred.await(started).pipe(Effect.timeout("20 seconds"))).toBe(incident.id)
      yield* Scope.close(scopeA, Exit.void)
      const scopeB = yield* Scope.make()
      const b = yield* replica("replica-stop-b", agent, scopeB)
      const done = yield* awaitStatus(b.repo, incident.id)
      expect(done.status).toBe("completed")
      const notes = done.investigation_steps.filter((s) => s.kind === "note").map((s) => s.reasoning ?? "")
      expect(notes.some((n) => n.includes("another replica restarts it"))).toBe(true)
      expect(notes.some((n) => n.startsWith("Attempt 2"))).toBe(true)
      yield* Scope.close(scopeB, Exit.void)
    })
  )

  it.live("the reconciler queues an incident whose job was lost, and fails one whose job was given up", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      // a queue of our own, to play the part of a replica that died at the wrong moment
      const jobs = yield* Layer.buildWithScope(
        layerPgBossQueue(Redacted.make(url)).pipe(
          Layer.provide(Layer.merge(AppConfigTest({ maxInvestigationAttempts: 1 }), layerHealthChecks)),
          Layer.orDie
        ),
        scope
      ).pipe(Effect.map((ctx) => Context.get(ctx, JobQueue)))
      const store = yield* Layer.buildWithScope(postgresLayers(Redacted.make(url)).repository, scope).pipe(
        Effect.map((ctx) => Context.get(ctx, IncidentRepository))
      )
      // stored, but its replica died before queuing the job
      const lost = yield* store.create(newIncident("lost job"))
      // queued, then taken and handed back until the queue gives up (retry limit = attempts + 1 = 2)
      const givenUp = yield* store.create(newIncident("given up"))
      yield* Effect.orDie(jobs.enqueue({ id: givenUp.id, correlationId: "corr-given-up" }))
      const finalState = yield* Effect.gen(function* () {
        for (let i = 0; i < 10; i++) {
          const taken = yield* Effect.orDie(jobs.take(50))
          for (const job of taken) if (job.id === givenUp.id) yield* Effect.orDie(jobs.release(job.id, "test"))
          const s = yield* Effect.orDie(jobs.state(givenUp.id))
          if (Option.isSome(s) && s.value === "failed") return s
        }
        return yield* Effect.orDie(jobs.state(givenUp.id))
      })
      expect(finalState).toEqual(Option.some("failed"))
      // a replica starts: its reconciler repairs both
      const a = yield* replica("replica-reconcile", conclude, scope, 1)
      const recovered = yield* awaitStatus(a.repo, lost.id)
      expect(recovered.status).toBe("completed")
      const failed = yield* awaitStatus(a.repo, givenUp.id)
      expect(failed.status).toBe("failed")
      expect(failed.error_message ?? "").toContain("interrupted")
      yield* Scope.close(scope, Exit.void)
    })
  )

  it.live("a stale attempt cannot overwrite the attempt that replaced it (fence)", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const a = yield* replica("replica-fence", conclude, scope)
      const incident = yield* a.repo.create(newIncident("fenced"))
      const first = yield* Effect.orDie(a.repo.markRunning(incident.id))
      const second = yield* Effect.orDie(a.repo.markRunning(incident.id))
      expect(second).toBe(first + 1)
      const outcome = {
        suggested_root_cause: "stale",
        confidence_score: "low" as const,
        supporting_evidence: [],
        recommended_next_steps: [],
        concluded_by: "analyzers" as const
      }
      const stale = yield* Effect.orDie(a.repo.complete(incident.id, outcome, { attempt: first }))
      expect(stale.status).toBe("running")
      const fresh = yield* Effect.orDie(
        a.repo.complete(incident.id, { ...outcome, suggested_root_cause: "fresh" }, { attempt: second })
      )
      expect(fresh.status).toBe("completed")
      expect(fresh.suggested_root_cause).toBe("fresh")
      yield* Scope.close(scope, Exit.void)
    })
  )
})
