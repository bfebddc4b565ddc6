/**
 * The investigation runner for several replicas on one PostgreSQL database. Filing an incident stores it and puts
 * its job on the shared queue (`JobQueue`, pg-boss); every replica takes jobs while it has free slots, so each
 * incident is investigated by one replica at a time. A replica that stops hands its unfinished jobs back (taken at
 * once by another); one that dies loses its lease, and the job is taken again when the lease expires. Each attempt
 * is fenced by its number in the store, so a late attempt can never overwrite a newer one. A reconciler repairs
 * incidents whose job is missing (the replica died between storing the incident and queuing it) or was given up.
 */
import { type Incident, ServiceUnavailable } from "@sre/schema"
import { Clock, Duration, Effect, FiberMap, Layer, Option, Queue, Schedule } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { IncidentRepository } from "../store/IncidentRepository.js"
import { CreationSnapshot } from "../triage/CreationSnapshot.js"
import type { Agent } from "./Agent.js"
import type { IncidentEvents } from "./IncidentEvents.js"
import { makeInvestigationAttempts } from "./Investigation.js"
import { InvestigationRunner, type InvestigationRunnerShape } from "./InvestigationRunner.js"
import { type InvestigationJob, JobQueue } from "./JobQueue.js"

/** Timing of the distributed runner. */
export interface DistributedRunnerOptions {
  /** How often an idle replica looks for jobs queued by other replicas. */
  readonly pollInterval: Duration.Duration
  /** How often unfinished incidents are checked against the queue. */
  readonly reconcileInterval: Duration.Duration
  /** Incidents younger than this are left to the replica that is filing them. */
  readonly reconcileMinAge: Duration.Duration
}

/** Defaults: poll every 500 ms, reconcile every 30 s incidents older than 30 s. */
export const defaultDistributedRunnerOptions: DistributedRunnerOptions = {
  pollInterval: Duration.millis(500),
  reconcileInterval: Duration.seconds(30),
  reconcileMinAge: Duration.seconds(30)
}

const make = (options: DistributedRunnerOptions) =>
  Effect.gen(function* () {
    const config = yield* AppConfig
    const repo = yield* IncidentRepository
    const jobs = yield* JobQueue
    const attempts = yield* makeInvestigationAttempts
    const snapshot = yield* Effect.serviceOption(CreationSnapshot)
    const scope = yield* Effect.scope

    const fibers = yield* FiberMap.make<string>()
    // wakes the fetch loop: a slot was freed or a job was queued here
    const wake = yield* Queue.sliding<void>(1)
    let running = 0
    let accepting = true
    let waitingCache = { value: 0, atMs: 0 }

    const waiting = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (now - waitingCache.atMs < 1000) return waitingCache.value
      const value = yield* jobs.waiting
      waitingCache = { value, atMs: now }
      return value
    })

    const enqueue = (job: InvestigationJob) =>
      jobs.enqueue(job).pipe(
        Effect.zipRight(Queue.offer(wake, undefined)),
        Effect.catchAll((e) =>
          // the reconciler queues it later: the incident is stored and stays pending
          Effect.logWarning("could not queue the investigation; the reconciler will retry").pipe(
            Effect.annotateLogs({ incident_id: job.id, error: e.message })
          )
        )
      )

    /** One job: an attempt, then the job is completed, or handed back when this replica stops first. */
    const handle = (job: InvestigationJob) =>
      attempts.run(job.id).pipe(
        Effect.flatMap((result) =>
          result._tag === "Finished"
            ? jobs.complete(job.id)
            : // a newer attempt holds the incident: its replica completes the job
              Effect.void
        ),
        Effect.catchAll((e) =>
          // the job stays active and is taken again when its lease expires; the incident is already terminal
          Effect.logWarning("could not complete the job").pipe(Effect.annotateLogs({ error: e.message }))
        ),
        Effect.onInterrupt(() =>
          Effect.gen(function* () {
            yield* Effect.logWarning("investigation interrupted; handed back to the queue")
            yield* attempts
              .putBack(job.id, "The replica running this investigation stopped; another replica restarts it.")
              .pipe(Effect.ignore)
            yield* jobs.release(job.id, "replica stopped")
          }).pipe(Effect.catchAllCause((cause) => Effect.logError("could not hand the job back", cause)))
        ),
        Effect.ensuring(
          Effect.suspend(() => {
            running -= 1
            return Queue.offer(wake, undefined)
          })
        ),
        Effect.annotateLogs({ incident_id: job.id, correlation_id: job.correlationId, replica: config.replicaId }),
        Effect.annotateSpans({ incident_id: job.id, correlation_id: job.correlationId }),
        Effect.withSpan("InvestigationRunner.investigate", { captureStackTrace: false })
      )

    /** Takes jobs while there are free slots; sleeps until woken or the poll interval passes. */
    const fetchLoop = Effect.gen(function* () {
      while (accepting) {
        const free = config.maxConcurrentInvestigations - running
        if (free <= 0) {
          yield* Queue.take(wake)
          continue
        }
        const taken = yield* jobs
          .take(free)
          .pipe(
            Effect.catchAll((e) =>
              Effect.as(
                Effect.logWarning("could not take jobs from the queue").pipe(Effect.annotateLogs({ error: e.message })),
                []
              )
            )
          )
        for (const job of taken) {
          running += 1
          yield* FiberMap.run(fibers, job.id, handle(job))
        }
        if (taken.length < free) yield* Effect.raceFirst(Queue.take(wake), Effect.sleep(options.pollInterval))
      }
    })

    /** Repairs incidents whose job was lost or given up (see the module comment). */
    const reconcile = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const unfinished = yield* repo.listUnfinished
      const minAgeMs = Duration.toMillis(options.reconcileMinAge)
      for (const incident of unfinished) {
        if (now - Date.parse(incident.createdAt) < minAgeMs) continue
        const state = yield* jobs.state(incident.id)
        if (Option.isNone(state)) {
          yield* Effect.logInfo("queuing an incident that had no job").pipe(
            Effect.annotateLogs({ incident_id: incident.id })
          )
          yield* enqueue({ id: incident.id, correlationId: incident.correlationId })
        } else if (state.value === "failed" || state.value === "cancelled") {
          // the queue gave up (leases expired on every retry): record it on the incident
          yield* attempts.abandon(incident.id, incident.attempts)
        } else if (state.value === "completed") {
          yield* jobs.remove(incident.id)
          yield* enqueue({ id: incident.id, correlationId: incident.correlationId })
        }
      }
    }).pipe(
      Effect.catchAll((e) =>
        Effect.logWarning("reconciliation failed; retried next round").pipe(Effect.annotateLogs({ error: e.message }))
      ),
      Effect.annotateLogs({ replica: config.replicaId })
    )

    // Graceful shutdown: stop taking jobs, give running ones the grace period; the FiberMap then interrupts the
    // rest, whose jobs are handed back (finalizers run in reverse order of registration).
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        accepting = false
        yield* Queue.offer(wake, undefined)
        if (running === 0) return
        yield* Effect.logInfo("shutting down: waiting for running investigations").pipe(
          Effect.annotateLogs({ running, grace_ms: Duration.toMillis(config.shutdownGracePeriod) })
        )
        yield* Effect.interruptible(
          Effect.repeat(
            Effect.sync(() => running),
            { until: (n) => n === 0, schedule: Schedule.spaced("50 millis") }
          )
        ).pipe(Effect.timeout(config.shutdownGracePeriod), Effect.ignore)
      })
    )

    yield* Effect.forkIn(fetchLoop, scope)
    // replicas reconcile at jittered times so they rarely do the same repair together (it is idempotent anyway)
    yield* Effect.forkIn(
      Effect.zipRight(
        Effect.sleep(Duration.seconds(2)),
        Effect.repeat(reconcile, Schedule.spaced(options.reconcileInterval).pipe(Schedule.jittered))
      ),
      scope
    )

    const runner: InvestigationRunnerShape = {
      file: <E>(create: Effect.Effect<Incident, E>, correlationId: string) =>
        Effect.gen(function* () {
          if (!accepting)
            return yield* Effect.fail(
              ServiceUnavailable.withRetry("the server is shutting down; retry against another instance", 5)
            )
          const queued = yield* waiting.pipe(Effect.orElseSucceed(() => 0))
          if (queued >= config.maxQueuedInvestigations)
            return yield* Effect.fail(
              ServiceUnavailable.withRetry(`too many investigations queued (${queued}); retry later`, 5)
            )
          const incident = yield* create
          const job = { id: incident.id, correlationId }
          // the snapshot is taken before the job is queued, so whichever replica investigates sees it
          const captured = Option.isSome(snapshot) ? snapshot.value.capture(incident) : Effect.void
          yield* Effect.forkIn(captured.pipe(Effect.ensuring(enqueue(job))), scope)
          return incident
        }),
      stats: Effect.map(
        Effect.orElseSucceed(waiting, () => 0),
        (queued) => ({ running, queued, maxConcurrent: config.maxConcurrentInvestigations, accepting })
      ),
      awaitIdle: Effect.repeat(
        Effect.map(
          Effect.orElseSucceed(jobs.waiting, () => 1),
          (n) => n + running
        ),
        { until: (n) => n === 0, schedule: Schedule.spaced("100 millis") }
      ).pipe(Effect.asVoid)
    }
    return runner
  })

/** The distributed runner layer (needs the job queue); its scope owns every investigation fiber. */
export const layerDistributedInvestigationRunner = (
  options: DistributedRunnerOptions = defaultDistributedRunnerOptions
): Layer.Layer<InvestigationRunner, never, AppConfig | IncidentRepository | Agent | IncidentEvents | JobQueue> =>
  Layer.scoped(InvestigationRunner, make(options))
