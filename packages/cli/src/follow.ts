/**
 * Follows one investigation to its end: over SSE first; if the stream fails or ends without `done`, by polling
 * `GET /api/v1/incidents/{id}`. Each step is reported once, in order, whichever way it arrived.
 */
import type { HttpClient } from "@effect/platform"
import type { Incident, IncidentStatus, InvestigationStep } from "@sre/schema"
import { Duration, Effect, Either, Option, Ref, Schedule, Stream } from "effect"
import type { Ctx } from "./context.js"
import type { CliError } from "./errors.js"
import { incidentEvents } from "./sse.js"

/** What the follower reports while it waits. */
export interface FollowCallbacks {
  readonly onStep: (step: InvestigationStep) => Effect.Effect<void>
  readonly onStatus: (status: IncidentStatus) => Effect.Effect<void>
  /** A note for the user (e.g. "live stream lost, polling"). */
  readonly onNotice: (message: string) => Effect.Effect<void>
}

/** Tuning of the fallback polling. */
export interface FollowOptions {
  readonly pollInterval?: Duration.DurationInput
}

/** Whether an investigation has finished. */
export const isTerminal = (status: IncidentStatus): boolean => status === "completed" || status === "failed"

/** Follows the investigation of `id` until it completes or fails, and returns the final incident. */
export const followIncident = (
  ctx: Ctx,
  id: string,
  callbacks: FollowCallbacks,
  options: FollowOptions = {}
): Effect.Effect<Incident, CliError, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const lastIndex = yield* Ref.make(0)
    const lastStatus = yield* Ref.make<Option.Option<IncidentStatus>>(Option.none())

    const reportStep = (step: InvestigationStep) =>
      Effect.flatMap(
        Ref.modify(lastIndex, (n): [boolean, number] => (step.index > n ? [true, step.index] : [false, n])),
        (isNew) => (isNew ? callbacks.onStep(step) : Effect.void)
      )
    const reportStatus = (status: IncidentStatus) =>
      Effect.flatMap(Ref.getAndSet(lastStatus, Option.some(status)), (previous) =>
        Option.contains(previous, status) ? Effect.void : callbacks.onStatus(status)
      )
    const reportIncident = (incident: Incident) =>
      Effect.zipRight(Effect.forEach(incident.investigation_steps, reportStep), reportStatus(incident.status))

    const live = yield* incidentEvents(ctx.settings, id).pipe(
      Stream.runFoldEffect(Option.none<Incident>(), (final, event) => {
        switch (event.type) {
          case "incident":
            return Effect.as(reportIncident(event.incident), final)
          case "step":
            return Effect.as(reportStep(event.step), final)
          case "status":
            return Effect.as(reportStatus(event.status), final)
          case "done":
            return Effect.as(reportIncident(event.incident), Option.some(event.incident))
        }
      }),
      Effect.either
    )
    if (Either.isRight(live) && Option.isSome(live.right)) return live.right.value
    if (Either.isLeft(live) && live.left._tag === "ResponseError" && live.left.response.status !== 404) {
      yield* callbacks.onNotice(`live stream unavailable (HTTP ${live.left.response.status}); polling instead`)
    } else if (Either.isLeft(live) && live.left._tag !== "ResponseError") {
      yield* callbacks.onNotice("live stream lost; polling instead")
    } else if (Either.isRight(live)) {
      yield* callbacks.onNotice("live stream ended early; polling instead")
    }

    const interval = options.pollInterval ?? "1 second"
    const getOnce = ctx.call(
      ctx.client.incidents.get({ path: { id } }).pipe(
        // ride out a server restart or a network blip, but not for ever
        Effect.retry({
          schedule: Schedule.exponential("250 millis").pipe(Schedule.intersect(Schedule.recurs(5))),
          while: (e) => e._tag === "RequestError"
        })
      )
    )
    for (;;) {
      const incident = yield* getOnce
      yield* reportIncident(incident)
      if (isTerminal(incident.status)) return incident
      yield* Effect.sleep(interval)
    }
  })
