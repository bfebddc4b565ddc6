/**
 * Runs investigations in the background, owned by the server's scope: bounded concurrency with a bounded queue,
 * persistence of every status change and step, recovery of unfinished incidents at start-up, and a graceful
 * shutdown that gives running investigations a grace period and re-queues what did not finish.
 */
import { type Incident, ServiceUnavailable } from "@sre/schema"
import { Context, Deferred, Duration, Effect, Fiber, FiberMap, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { IncidentRepository } from "../store/IncidentRepository.js"
import type { Agent } from "./Agent.js"
import type { IncidentEvents } from "./IncidentEvents.js"
import { makeInvestigationAttempts } from "./Investigation.js"
import { CreationSnapshot } from "../triage/CreationSnapshot.js"

/** Counters of the runner, for `/health` and metrics. */
export interface RunnerStats {
  readonly running: number
  readonly queued: number
  readonly maxConcurrent: number
  readonly accepting: boolean
}

/** Operations of the investigation runner. */
export interface InvestigationRunnerShape {
  /**
   * Reserves a queue slot, creates the incident with `create`, and starts its investigation in the background.
   * Fails with `ServiceUnavailable` (and creates nothing) when the queue is full or the server is shutting down.
   */
  readonly file: <E>(
    create: Effect.Effect<Incident, E>,
    correlationId: string
  ) => Effect.Effect<Incident, E | ServiceUnavailable>
  /** Current counters. */
  readonly stats: Effect.Effect<RunnerStats>
  /** Completes when no investigation is running or queued (tests, tools). */
  readonly awaitIdle: Effect.Effect<void>
}

/** The investigation runner service. */
export class InvestigationRunner extends Context.Tag("sre/InvestigationRunner")<
  InvestigationRunner,
  InvestigationRunnerShape
>() {}

/** Message stored on incidents that were interrupted too many times (re-exported for callers of the runner). */
export { interruptedMessage } from "./Investigation.js"

const make = Effect.gen(function* () {
  const config = yield* AppConfig
  const repo = yield* IncidentRepository
  const attempts = yield* makeInvestigationAttempts
  const snapshot = yield* Effect.serviceOption(CreationSnapshot)
  const scope = yield* Effect.scope

  const semaphore = yield* Effect.makeSemaphore(config.maxConcurrentInvestigations)
  const fibers = yield* FiberMap.make<string>()
  let running = 0
  let queued = 0
  let accepting = true
  let idle = yield* Deferred.make<void>()
  yield* Deferred.succeed(idle, undefined)

  const busy = Effect.suspend(() =>
    running + queued === 1 ? Effect.map(Deferred.make<void>(), (d) => void (idle = d)) : Effect.void
  )
  const maybeIdle = Effect.suspend(() => (running + queued === 0 ? Deferred.succeed(idle, undefined) : Effect.void))

  /** One investigation, from `pending` to a terminal state (or back to `pending` if interrupted). */
  const investigate = (id: string) =>
    attempts.run(id).pipe(
      Effect.asVoid,
      Effect.onInterrupt(() =>
        Effect.gen(function* () {
          yield* Effect.logWarning("investigation interrupted; re-queued for the next start")
          yield* attempts.putBack(
            id,
            "The server stopped before this investigation finished; it will be restarted on the next start."
          )
        }).pipe(Effect.catchAllCause((cause) => Effect.logError("could not re-queue incident", cause)))
      ),
      Effect.withSpan("InvestigationRunner.investigate", { attributes: { incident_id: id }, captureStackTrace: false })
    )

  /** Queues an investigation: runs `before` (the creation snapshot), waits for a permit, then investigates. */
  const start = (id: string, correlationId: string, before: Effect.Effect<void> = Effect.void) => {
    let started = false
    const run = semaphore.withPermits(1)(
      Effect.suspend(() => {
        started = true
        queued -= 1
        running += 1
        return investigate(id).pipe(Effect.ensuring(Effect.sync(() => void (running -= 1))))
      })
    )
    const job = Effect.zipRight(before, run).pipe(
      // interrupted while waiting for a permit: the incident simply stays pending in the store
      Effect.onInterrupt(() => Effect.sync(() => void (started ? undefined : (queued -= 1)))),
      Effect.ensuring(maybeIdle),
      Effect.annotateLogs({ incident_id: id, correlation_id: correlationId }),
      // every span of the investigation (agent steps, LLM and tool calls) carries both ids
      Effect.annotateSpans({ incident_id: id, correlation_id: correlationId })
    )
    return Effect.asVoid(FiberMap.run(fibers, id, job, { onlyIfMissing: true }))
  }

  const reserve = Effect.suspend(() => {
    if (!accepting)
      return Effect.fail(ServiceUnavailable.withRetry("the server is shutting down; retry against another instance", 5))
    if (queued >= config.maxQueuedInvestigations)
      return Effect.fail(
        ServiceUnavailable.withRetry(
          `too many investigations queued (${queued}); retry later`,
          Math.max(1, Math.ceil(queued / config.maxConcurrentInvestigations))
        )
      )
    queued += 1
    return busy
  })

  const release = Effect.suspend(() => {
    queued -= 1
    return maybeIdle
  })

  // Graceful shutdown: runs before the FiberMap interrupts what is left (finalizers run in reverse order).
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      accepting = false
      if (running + queued === 0) return
      yield* Effect.logInfo("shutting down: waiting for running investigations").pipe(
        Effect.annotateLogs({ running, queued, grace_ms: Duration.toMillis(config.shutdownGracePeriod) })
      )
      yield* Effect.interruptible(Deferred.await(idle)).pipe(Effect.timeout(config.shutdownGracePeriod), Effect.ignore)
    })
  )

  // Recovery: incidents left pending/running by a crash or a shutdown are queued again.
  const unfinished = yield* repo.listUnfinished
  if (unfinished.length > 0) {
    yield* Effect.logInfo("re-queuing unfinished incidents").pipe(Effect.annotateLogs({ count: unfinished.length }))
    for (const u of unfinished) {
      queued += 1
      yield* busy
      yield* start(u.id, u.correlationId)
    }
  }

  const runner: InvestigationRunnerShape = {
    file: (create, correlationId) =>
      Effect.gen(function* () {
        yield* reserve
        const incident = yield* create.pipe(Effect.onError(() => release))
        // the snapshot starts at once, even when the investigation has to wait in the queue
        const captured = Option.isSome(snapshot)
          ? Fiber.join(yield* Effect.forkIn(snapshot.value.capture(incident), scope))
          : Effect.void
        yield* start(incident.id, correlationId, captured)
        return incident
      }),
    stats: Effect.sync(() => ({
      running,
      queued,
      maxConcurrent: config.maxConcurrentInvestigations,
      accepting
    })),
    awaitIdle: Effect.suspend(() => Deferred.await(idle))
  }
  return runner
})

/** The runner layer; its scope owns every investigation fiber. */
export const layerInvestigationRunner: Layer.Layer<
  InvestigationRunner,
  never,
  AppConfig | IncidentRepository | Agent | IncidentEvents
> = Layer.scoped(InvestigationRunner, make)
