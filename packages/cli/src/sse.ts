/**
 * Reads `GET /api/v1/incidents/{id}/events` (Server-Sent Events) and decodes each event with the contract's
 * schemas. This is the only request the CLI builds by hand: the derived client cannot stream.
 */
import * as Sse from "@effect/experimental/Sse"
import { HttpClient, type HttpClientError, HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { Incident, IncidentStatus, InvestigationStep } from "@sre/schema"
import { Effect, Option, type ParseResult, Schema, Stream } from "effect"
import { authorize } from "./client.js"
import type { Settings } from "./settings.js"

/** One decoded event of an incident's stream. */
export type IncidentStreamEvent =
  | { readonly type: "incident"; readonly incident: Incident }
  | { readonly type: "status"; readonly status: IncidentStatus }
  | { readonly type: "step"; readonly step: InvestigationStep }
  | { readonly type: "done"; readonly incident: Incident }

const decodeIncident = Schema.decodeUnknown(Schema.parseJson(Incident))
const decodeStep = Schema.decodeUnknown(Schema.parseJson(InvestigationStep))
const decodeStatus = Schema.decodeUnknown(
  Schema.parseJson(Schema.Struct({ incident_id: Schema.String, status: IncidentStatus }))
)

/** Decodes one SSE event; unknown event names are skipped (`None`) so that the server may add new ones. */
export const decodeEvent = (
  event: Sse.Event
): Effect.Effect<Option.Option<IncidentStreamEvent>, ParseResult.ParseError> => {
  switch (event.event) {
    case "incident":
      return Effect.map(decodeIncident(event.data), (incident) => Option.some({ type: "incident", incident }))
    case "done":
      return Effect.map(decodeIncident(event.data), (incident) => Option.some({ type: "done", incident }))
    case "step":
      return Effect.map(decodeStep(event.data), (step) => Option.some({ type: "step", step }))
    case "status":
      return Effect.map(decodeStatus(event.data), (s) => Option.some({ type: "status", status: s.status }))
    default:
      return Effect.succeed(Option.none())
  }
}

/** The live event stream of one incident. It ends after `done`, or when the server closes the connection. */
export const incidentEvents = (
  settings: Pick<Settings, "server" | "apiKey">,
  id: string
): Stream.Stream<
  IncidentStreamEvent,
  HttpClientError.HttpClientError | ParseResult.ParseError,
  HttpClient.HttpClient
> =>
  Stream.unwrap(
    Effect.map(HttpClient.HttpClient, (client) => {
      const http = authorize(settings)(client).pipe(HttpClient.filterStatusOk)
      const request = HttpClientRequest.get(
        `${settings.server}/api/v1/incidents/${encodeURIComponent(id)}/events`
      ).pipe(HttpClientRequest.setHeader("accept", "text/event-stream"))
      return HttpClientResponse.stream(http.execute(request)).pipe(
        Stream.decodeText(),
        Stream.pipeThroughChannel(Sse.makeChannel()),
        Stream.mapEffect(decodeEvent),
        Stream.filterMap((e) => e),
        Stream.takeUntil((e) => e.type === "done")
      )
    })
  )
