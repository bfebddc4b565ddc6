/**
 * The incident event bus across replicas: events are delivered in-process as with `layerIncidentEvents`, and also
 * announced on a PostgreSQL channel (`NOTIFY`), so an SSE stream opened on any replica follows an investigation
 * running on another. Notifications carry only ids (Postgres limits payloads to 8 kB); a replica with SSE
 * subscribers reads the step or the final report from the shared store when one arrives.
 */
import { PgClient } from "@effect/sql-pg"
import { IncidentStatus } from "@sre/schema"
import { Duration, Effect, Layer, PubSub, Schedule, Schema, Stream } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { IncidentRepository } from "../store/IncidentRepository.js"
import { type IncidentEvent, IncidentEvents } from "./IncidentEvents.js"

/** The Postgres channel incident events are announced on. */
export const EVENTS_CHANNEL = "sre_incident_events"

/** What goes over the channel: who sent it, and ids only. */
const Announcement = Schema.parseJson(
  Schema.Struct({
    replica: Schema.String,
    type: Schema.Literal("status", "step", "done"),
    incidentId: Schema.String,
    status: Schema.optional(IncidentStatus),
    stepIndex: Schema.optional(Schema.Int)
  })
)
type Announcement = typeof Announcement.Type

const decodeAnnouncement = Schema.decodeUnknown(Announcement)
const encodeAnnouncement = Schema.encode(Announcement)

const toAnnouncement = (replica: string, event: IncidentEvent): Announcement => {
  switch (event.type) {
    case "status":
      return { replica, type: "status", incidentId: event.incidentId, status: event.status }
    case "step":
      return { replica, type: "step", incidentId: event.incidentId, stepIndex: event.step.index }
    case "done":
      return { replica, type: "done", incidentId: event.incidentId }
  }
}

/** The cross-replica event bus (needs the Postgres client and the shared store). */
export const layerPgIncidentEvents: Layer.Layer<
  IncidentEvents,
  never,
  PgClient.PgClient | IncidentRepository | AppConfig
> = Layer.scoped(
  IncidentEvents,
  Effect.gen(function* () {
    const pg = yield* PgClient.PgClient
    const repo = yield* IncidentRepository
    const { replicaId } = yield* AppConfig
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<IncidentEvent>(), PubSub.shutdown)
    let subscribers = 0

    /** Turns another replica's announcement into the event it stands for (reading the store when needed). */
    const toEvent = (a: Announcement): Effect.Effect<ReadonlyArray<IncidentEvent>> => {
      if (a.type === "status")
        return Effect.succeed(
          a.status === undefined ? [] : [{ type: "status", incidentId: a.incidentId, status: a.status }]
        )
      return repo.get(a.incidentId).pipe(
        Effect.map((incident): ReadonlyArray<IncidentEvent> => {
          if (a.type === "done") return [{ type: "done", incidentId: a.incidentId, incident }]
          const step = incident.investigation_steps.find((s) => s.index === a.stepIndex)
          return step === undefined ? [] : [{ type: "step", incidentId: a.incidentId, step }]
        }),
        Effect.orElseSucceed(() => [])
      )
    }

    const onNotification = (payload: string) =>
      decodeAnnouncement(payload).pipe(
        Effect.flatMap((a) =>
          a.replica === replicaId || subscribers === 0
            ? Effect.void
            : Effect.flatMap(toEvent(a), (events) => PubSub.publishAll(hub, events))
        ),
        Effect.catchAll(() => Effect.logDebug("ignored a malformed incident event notification")),
        Effect.asVoid
      )

    // LISTEN on a dedicated connection; a lost connection is re-established with a bounded, jittered backoff
    yield* pg.listen(EVENTS_CHANNEL).pipe(
      Stream.runForEach(onNotification),
      Effect.tapError((e) =>
        Effect.logWarning("incident event listener lost its connection; reconnecting").pipe(
          Effect.annotateLogs({ error: e.message })
        )
      ),
      Effect.retry(
        Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.union(Schedule.spaced("10 seconds")))
      ),
      Effect.forkScoped
    )

    const announce = (event: IncidentEvent) =>
      encodeAnnouncement(toAnnouncement(replicaId, event)).pipe(
        // pg_notify with bound parameters (PgClient.notify sends `NOTIFY ch, $1`, which Postgres rejects)
        Effect.flatMap((payload) => pg`SELECT pg_notify(${EVENTS_CHANNEL}, ${payload})`),
        Effect.timeout(Duration.seconds(5)),
        // a lost announcement only delays remote SSE followers until the next event; never fail an investigation
        Effect.catchAll(() => Effect.logDebug("could not announce an incident event"))
      )

    return {
      publish: (event) => Effect.zipRight(PubSub.publish(hub, event), announce(event)),
      subscribe: Effect.zipRight(
        Effect.acquireRelease(
          Effect.sync(() => void (subscribers += 1)),
          () => Effect.sync(() => void (subscribers -= 1))
        ),
        PubSub.subscribe(hub)
      )
    }
  })
)
