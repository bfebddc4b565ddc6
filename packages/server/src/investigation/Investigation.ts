/**
 * One investigation attempt, from `running` to a stored conclusion: shared by the single-process runner
 * (`InvestigationRunner.ts`) and the replica-distributed runner (`DistributedInvestigationRunner.ts`). The caller
 * decides where work comes from and what happens when an attempt is interrupted; this module runs the agent under
 * the investigation timeout and stores its result, fenced by the attempt number so that an attempt that lost its
 * lease can never overwrite the result of the attempt that replaced it.
 */
import type { Incident, IncidentNotFound } from "@sre/schema"
import { Cause, Duration, Effect, Exit, Option } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { recordInvestigation } from "../observability/metrics.js"
import { IncidentRepository, isTerminal, nowIso } from "../store/IncidentRepository.js"
import { Agent, type InvestigationContext } from "./Agent.js"
import { IncidentEvents } from "./IncidentEvents.js"

/** Message stored on incidents that were interrupted too many times. */
export const interruptedMessage = (attempts: number): string =>
  `interrupted: the investigation was interrupted ${attempts} time(s) (server stopped or crashed) and was not retried again`

/** Message stored on an attempt that ran past `INVESTIGATION_TIMEOUT`. */
export const timeoutMessage = (timeout: Duration.Duration): string =>
  `timeout: the investigation did not finish within ${Duration.format(timeout)} (INVESTIGATION_TIMEOUT)`

/** How one attempt ended. */
export type AttemptResult =
  /** The incident reached a terminal state through this attempt (or was already terminal). */
  | { readonly _tag: "Finished"; readonly incident: Incident }
  /** Another attempt holds the incident now (this one's result was not stored). */
  | { readonly _tag: "Superseded" }

/** The operations of one attempt, built from the store, agent, event bus and configuration. */
export interface InvestigationAttempts {
  /**
   * Runs one attempt of the incident: marks it `running` (counting the attempt), runs the agent with the
   * investigation timeout, and stores the conclusion or the failure fenced by the attempt number. When
   * `maxPreviousAttempts` is exceeded the incident is failed as interrupted instead. Interruption is left to the
   * caller (the incident stays `running`).
   */
  readonly run: (id: string) => Effect.Effect<AttemptResult, never>
  /** Fails the incident as interrupted too many times (used when a job arrives after its last attempt). */
  readonly abandon: (id: string, attempts: number) => Effect.Effect<void>
  /** Publishes a status change on the event bus. */
  readonly publishStatus: (id: string, status: Incident["status"]) => Effect.Effect<void>
  /**
   * Puts an interrupted attempt's incident back to `pending` with a note saying what happens next (for the runner's
   * shutdown path), and announces it.
   */
  readonly putBack: (id: string, note: string) => Effect.Effect<void, IncidentNotFound>
}

/** Builds the attempt operations from the services in context. */
export const makeInvestigationAttempts = Effect.gen(function* () {
  const config = yield* AppConfig
  const repo = yield* IncidentRepository
  const agent = yield* Agent
  const events = yield* IncidentEvents

  const publishStatus = (incidentId: string, status: Incident["status"]) =>
    events.publish({ type: "status", incidentId, status })

  const finish = (incident: Incident, startedMs: number) =>
    Effect.zipRight(
      publishStatus(incident.id, incident.status),
      events.publish({ type: "done", incidentId: incident.id, incident })
    ).pipe(
      Effect.zipRight(
        recordInvestigation(incident.status === "completed" ? "completed" : "failed", Date.now() - startedMs)
      )
    )

  const finished = (incident: Incident): AttemptResult => ({ _tag: "Finished", incident })
  const superseded: AttemptResult = { _tag: "Superseded" }

  /**
   * After a fenced write: a terminal incident is finished (by this attempt, or by a newer one that got there first);
   * one still `running` belongs to a newer attempt, so this one's result was dropped.
   */
  const settle = (stored: Incident, attempt: number, startedMs: number) =>
    isTerminal(stored.status)
      ? Effect.as(finish(stored, startedMs), finished(stored))
      : Effect.as(
          Effect.logWarning("investigation result dropped: a newer attempt holds the incident").pipe(
            Effect.annotateLogs({ attempt })
          ),
          superseded
        )

  const abandon = (id: string, attempts: number) =>
    Effect.gen(function* () {
      yield* Effect.logWarning("investigation abandoned after repeated interruptions")
      const failed = yield* repo.fail(id, interruptedMessage(attempts))
      yield* finish(failed, Date.now())
    }).pipe(Effect.catchTag("IncidentNotFound", (e) => Effect.logError("incident vanished", e.message)))

  const run = (id: string): Effect.Effect<AttemptResult> =>
    Effect.gen(function* () {
      const startedMs = Date.now()
      const before = yield* repo.get(id)
      if (isTerminal(before.status)) return finished(before)
      const attempt = yield* repo.markRunning(id)
      if (attempt > config.maxInvestigationAttempts) {
        yield* abandon(id, attempt - 1)
        return finished(yield* repo.get(id))
      }
      yield* publishStatus(id, "running")
      if (attempt > 1)
        yield* repo.appendStep(id, {
          kind: "note",
          started_at: new Date().toISOString(),
          reasoning: `Attempt ${attempt}: the previous attempt did not finish (the server stopped or crashed, or the replica running it was lost); the investigation restarted from the beginning.`
        })
      const incident: Incident = { ...before, status: "running" }
      yield* Effect.logInfo("investigation started").pipe(Effect.annotateLogs({ attempt }))
      const ctx: InvestigationContext = {
        incident,
        attempt,
        recordStep: (step) =>
          repo.appendStep(id, step).pipe(
            Effect.tap((saved) => events.publish({ type: "step", incidentId: id, step: saved })),
            Effect.orDie
          ),
        putEvidence: (key, value) => Effect.orDie(repo.putEvidence(id, key, value)),
        setEntities: (entities) => Effect.orDie(repo.setEntities(id, entities))
      }
      const fence = { attempt }
      const exit = yield* Effect.exit(agent.investigate(ctx).pipe(Effect.timeoutOption(config.investigationTimeout)))
      if (Exit.isSuccess(exit)) {
        if (Option.isNone(exit.value)) {
          yield* Effect.logWarning("investigation timed out")
          const failed = yield* repo.fail(id, timeoutMessage(config.investigationTimeout), undefined, fence)
          return yield* settle(failed, attempt, startedMs)
        }
        const outcome = exit.value.value
        const done = yield* repo.complete(id, outcome, fence)
        yield* Effect.logInfo("investigation completed").pipe(
          Effect.annotateLogs({ confidence: outcome.confidence_score, concluded_by: outcome.concluded_by })
        )
        return yield* settle(done, attempt, startedMs)
      }
      if (Cause.isInterruptedOnly(exit.cause)) return yield* Effect.interrupt
      const failure = Cause.failureOption(exit.cause)
      const message =
        failure._tag === "Some" ? failure.value.message : "internal error during the investigation (see server logs)"
      if (failure._tag === "Some") yield* Effect.logWarning("investigation failed", failure.value.message)
      else yield* Effect.logError("investigation crashed", exit.cause)
      const failed = yield* repo.fail(id, message, failure._tag === "Some" ? failure.value.usage : undefined, fence)
      return yield* settle(failed, attempt, startedMs)
    }).pipe(
      Effect.catchTag("IncidentNotFound", (e) =>
        Effect.as(Effect.logError("incident vanished during investigation", e.message), superseded)
      ),
      Effect.withSpan("Investigation.attempt", { attributes: { incident_id: id }, captureStackTrace: false })
    )

  const putBack = (id: string, note: string) =>
    Effect.gen(function* () {
      yield* repo.requeue(id)
      yield* repo.appendStep(id, { kind: "note", started_at: nowIso(), reasoning: note })
      yield* publishStatus(id, "pending")
    })

  const attempts: InvestigationAttempts = { run, abandon, publishStatus, putBack }
  return attempts
})
