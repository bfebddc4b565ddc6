/**
 * The investigation job queue shared by every replica, on pg-boss (jobs in PostgreSQL: `FOR UPDATE SKIP LOCKED`
 * fetching, leases that expire, retries, archival). One job per incident, keyed by the incident id, so sending it
 * twice is harmless. Every call has a timeout and a bounded, jittered retry; failures are `JobQueueError` values.
 * See docs/architecture.md ("Several replicas") for why pg-boss.
 */
import { DependencyHealth } from "@sre/schema"
import { Context, Data, Duration, Effect, Layer, Option, Redacted, Runtime, Schedule } from "effect"
import PgBoss from "pg-boss"
import { AppConfig } from "../config/AppConfig.js"
import { HealthChecks } from "../health/HealthChecks.js"

/** The queue every replica takes investigations from. */
export const INVESTIGATION_QUEUE = "sre-investigations"

/** A job-queue call failed (database unreachable, timeout). */
export class JobQueueError extends Data.TaggedError("JobQueueError")<{
  readonly operation: string
  readonly message: string
}> {}

/** One investigation job taken from the queue. */
export interface InvestigationJob {
  /** The incident id (also the job id). */
  readonly id: string
  readonly correlationId: string
}

/** Where a job is in its life cycle (pg-boss states). */
export type JobState = "created" | "retry" | "active" | "completed" | "cancelled" | "failed"

/** Operations of the job queue. */
export interface JobQueueShape {
  /** Adds the incident's job; a job that already exists for it is left as it is. */
  readonly enqueue: (job: InvestigationJob) => Effect.Effect<void, JobQueueError>
  /** Takes up to `limit` jobs, each leased to this replica until it completes, fails or the lease expires. */
  readonly take: (limit: number) => Effect.Effect<ReadonlyArray<InvestigationJob>, JobQueueError>
  /** Marks a job done. */
  readonly complete: (id: string) => Effect.Effect<void, JobQueueError>
  /** Hands a job back: it is retried at once by any replica (or failed for good once its retries are spent). */
  readonly release: (id: string, reason: string) => Effect.Effect<void, JobQueueError>
  /** The state of the incident's job, if the queue still has it. */
  readonly state: (id: string) => Effect.Effect<Option.Option<JobState>, JobQueueError>
  /** Removes the incident's job (so that it can be sent again). */
  readonly remove: (id: string) => Effect.Effect<void, JobQueueError>
  /** Jobs waiting to be taken (created or retry), across every replica. */
  readonly waiting: Effect.Effect<number, JobQueueError>
}

/** The job queue service. */
export class JobQueue extends Context.Tag("sre/JobQueue")<JobQueue, JobQueueShape>() {}

/** Settings of the pg-boss queue. */
export interface JobQueueOptions {
  readonly url: Redacted.Redacted<string>
  /** How long a taken job may stay active before another replica may take it. */
  readonly lease: Duration.Duration
  /** How many times a job is handed out again after a lease expired or a replica handed it back. */
  readonly retryLimit: number
  /** How often expired leases are looked for (pg-boss maintenance; one replica does it per interval). */
  readonly maintenanceInterval: Duration.Duration
  /** Connections of the job queue's own pool. */
  readonly poolSize: number
  readonly applicationName: string
}

const CALL_TIMEOUT = Duration.seconds(10)

/** Transient failures are retried: exponential from 100 ms, jittered, at most 3 retries. */
const retryPolicy = Schedule.exponential("100 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(3)))

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Builds a pg-boss backed queue; stopped (connections closed) when the scope closes. */
export const makePgBossQueue = (options: JobQueueOptions) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const logError = Runtime.runFork(runtime)
    const boss = new PgBoss({
      connectionString: Redacted.value(options.url),
      max: options.poolSize,
      application_name: options.applicationName,
      schema: "pgboss",
      schedule: false,
      maintenanceIntervalSeconds: Math.max(1, Math.round(Duration.toSeconds(options.maintenanceInterval)))
    })
    // pg-boss reports background failures (maintenance, lost connections) as events; unhandled they would crash
    boss.on("error", (error) =>
      logError(Effect.logWarning("job queue background error").pipe(Effect.annotateLogs({ error: messageOf(error) })))
    )

    const call = <A>(operation: string, f: () => Promise<A>): Effect.Effect<A, JobQueueError> =>
      Effect.tryPromise({
        try: f,
        catch: (error) => new JobQueueError({ operation, message: messageOf(error) })
      }).pipe(
        Effect.timeoutFail({
          duration: CALL_TIMEOUT,
          onTimeout: () =>
            new JobQueueError({ operation, message: `no answer within ${Duration.format(CALL_TIMEOUT)}` })
        }),
        Effect.retry(retryPolicy),
        Effect.withSpan(`JobQueue.${operation}`, { captureStackTrace: false })
      )

    yield* Effect.acquireRelease(
      call("start", () => boss.start()).pipe(
        Effect.retry(Schedule.spaced("1 second").pipe(Schedule.upTo("30 seconds")))
      ),
      () =>
        Effect.promise(() => boss.stop({ graceful: false, wait: true, close: true })).pipe(
          Effect.timeout("10 seconds"),
          Effect.ignore
        )
    )
    const expireInSeconds = Math.max(1, Math.ceil(Duration.toSeconds(options.lease)))
    const jobOptions = { retryLimit: options.retryLimit, retryDelay: 0, expireInSeconds }
    const queueOptions = { name: INVESTIGATION_QUEUE, policy: "standard" as const, ...jobOptions, retentionDays: 14 }
    // a replica started with other settings updates the queue, so a rolling update applies them
    const existing = yield* call("getQueue", () => boss.getQueue(INVESTIGATION_QUEUE))
    if (existing === null) {
      yield* call("createQueue", () => boss.createQueue(INVESTIGATION_QUEUE, queueOptions)).pipe(
        // two replicas starting together: one creates, the other sees it exists
        Effect.catchAll(() => call("updateQueue", () => boss.updateQueue(INVESTIGATION_QUEUE, queueOptions)))
      )
    } else {
      yield* call("updateQueue", () => boss.updateQueue(INVESTIGATION_QUEUE, queueOptions))
    }

    const queue: JobQueueShape = {
      enqueue: (job) =>
        Effect.asVoid(
          call("send", () =>
            boss.send(INVESTIGATION_QUEUE, { correlationId: job.correlationId }, { id: job.id, ...jobOptions })
          )
        ),
      take: (limit) =>
        limit <= 0
          ? Effect.succeed([])
          : Effect.map(
              call("fetch", () =>
                boss.fetch<{ correlationId?: unknown }>(INVESTIGATION_QUEUE, { batchSize: limit, priority: false })
              ),
              (jobs) =>
                jobs.map((job) => ({
                  id: job.id,
                  correlationId: typeof job.data.correlationId === "string" ? job.data.correlationId : job.id
                }))
            ),
      complete: (id) => call("complete", () => boss.complete(INVESTIGATION_QUEUE, id)),
      release: (id, reason) => call("fail", () => boss.fail(INVESTIGATION_QUEUE, id, { reason })),
      state: (id) =>
        Effect.map(
          call("getJobById", () => boss.getJobById(INVESTIGATION_QUEUE, id)),
          (job) => Option.map(Option.fromNullable(job), (j): JobState => j.state)
        ),
      remove: (id) => call("deleteJob", () => boss.deleteJob(INVESTIGATION_QUEUE, id)),
      waiting: call("getQueueSize", () => boss.getQueueSize(INVESTIGATION_QUEUE))
    }
    return queue
  })

/**
 * The job lease for an investigation timeout: the timeout plus a margin (a tenth of it, at least 10 s) for storing
 * the result. The attempt's own timeout fires first; the lease only matters when the replica is gone.
 */
export const leaseFor = (investigationTimeout: Duration.Duration): Duration.Duration =>
  Duration.sum(investigationTimeout, Duration.max(Duration.seconds(10), Duration.times(investigationTimeout, 0.1)))

/** How often expired leases are looked for: a quarter of the lease, between 5 s and 60 s. */
export const maintenanceIntervalFor = (lease: Duration.Duration): Duration.Duration =>
  Duration.clamp(Duration.times(lease, 0.25), { minimum: Duration.seconds(5), maximum: Duration.seconds(60) })

/** The job queue layer on `url`; registers a `job_queue` health check. */
export const layerPgBossQueue = (
  url: Redacted.Redacted<string>,
  poolSize = 4
): Layer.Layer<JobQueue, JobQueueError, AppConfig | HealthChecks> =>
  Layer.scoped(
    JobQueue,
    Effect.gen(function* () {
      const config = yield* AppConfig
      const health = yield* HealthChecks
      const lease = leaseFor(config.investigationTimeout)
      const queue = yield* makePgBossQueue({
        url,
        poolSize,
        lease,
        maintenanceInterval: maintenanceIntervalFor(lease),
        // our store counts attempts and abandons the incident after MAX_INVESTIGATION_ATTEMPTS; the queue hands the
        // job out once more than that so the abandonment is recorded by whoever takes it
        retryLimit: config.maxInvestigationAttempts + 1,
        applicationName: `${config.serviceName}-jobs`
      })
      yield* health.register(
        queue.waiting.pipe(
          Effect.map((waiting) => [
            DependencyHealth.make({ name: "job_queue", kind: "queue", status: "ok", detail: `${waiting} waiting` })
          ]),
          Effect.catchAll((e) =>
            Effect.succeed([
              DependencyHealth.make({ name: "job_queue", kind: "queue", status: "failed", detail: e.message })
            ])
          )
        )
      )
      return queue
    })
  )
