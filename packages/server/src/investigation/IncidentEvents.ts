/**
 * In-process bus of investigation events (status changes, steps, the final report), used by the SSE endpoint.
 */
import type { Incident, IncidentStatus, InvestigationStep } from "@sre/schema"
import { Context, Effect, Layer, PubSub, Queue, Scope } from "effect"

/** One thing that happened to an incident. */
export type IncidentEvent =
  | { readonly type: "status"; readonly incidentId: string; readonly status: IncidentStatus }
  | { readonly type: "step"; readonly incidentId: string; readonly step: InvestigationStep }
  | { readonly type: "done"; readonly incidentId: string; readonly incident: Incident }

/** Publish/subscribe of incident events. */
export interface IncidentEventsShape {
  /** Publishes an event to every current subscriber. */
  readonly publish: (event: IncidentEvent) => Effect.Effect<void>
  /** Subscribes to every event; the subscription ends with the scope. */
  readonly subscribe: Effect.Effect<Queue.Dequeue<IncidentEvent>, never, Scope.Scope>
}

/** The event bus service. */
export class IncidentEvents extends Context.Tag("sre/IncidentEvents")<IncidentEvents, IncidentEventsShape>() {}

/** The in-process event bus. */
export const layerIncidentEvents: Layer.Layer<IncidentEvents> = Layer.scoped(
  IncidentEvents,
  Effect.gen(function* () {
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<IncidentEvent>(), PubSub.shutdown)
    return {
      publish: (event) => Effect.asVoid(PubSub.publish(hub, event)),
      subscribe: PubSub.subscribe(hub)
    }
  })
)
