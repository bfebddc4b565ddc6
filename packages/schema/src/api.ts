/**
 * The HTTP contract: every endpoint of the SRE Orchestrator API. The server implements it, `/openapi.json` is
 * generated from it, and the CLI derives its client from it.
 */
import {
  HttpApi,
  HttpApiEndpoint,
  HttpApiGroup,
  HttpApiMiddleware,
  HttpApiSchema,
  HttpApiSecurity,
  OpenApi
} from "@effect/platform"
import { Schema } from "effect"
import {
  IncidentNotFound,
  InternalError,
  PayloadTooLarge,
  RateLimited,
  RouteNotFound,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType,
  ValidationError
} from "./errors.js"
import {
  HealthReport,
  Incident,
  IncidentPage,
  IncidentStatus,
  NewIncidentRequest,
  NewIncidentResponse
} from "./models.js"

/** API version, reported by `/health` and the OpenAPI document. */
export const API_VERSION = "1.0.0"

/** Largest page of `GET /api/v1/incidents`. */
export const MAX_PAGE_SIZE = 100
/** Page size when `limit` is not given. */
export const DEFAULT_PAGE_SIZE = 20

const incidentId = HttpApiSchema.param("id", Schema.UUID)

/** Query parameters of the incident list. */
export const ListIncidentsParams = Schema.Struct({
  status: Schema.optional(IncidentStatus),
  limit: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.int({ message: () => "limit must be an integer" }),
      Schema.between(1, MAX_PAGE_SIZE, { message: () => `limit must be between 1 and ${MAX_PAGE_SIZE}` })
    )
  ),
  cursor: Schema.optional(Schema.String.pipe(Schema.maxLength(200)))
})

/**
 * API-key authentication of `/api/v1/*`: `Authorization: Bearer <key>`. Declares the `bearer` security scheme in
 * the OpenAPI document; the server implements it (and lets everything through when no key is configured).
 */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("ApiKeyAuth", {
  failure: Unauthorized,
  security: {
    bearer: HttpApiSecurity.bearer.pipe(
      HttpApiSecurity.annotate(OpenApi.Description, "An API key from SRE_API_KEYS / SRE_API_KEYS_FILE")
    )
  }
}) {}

/** Incidents: file one, read one, list them, follow one live. */
export class IncidentsGroup extends HttpApiGroup.make("incidents")
  .add(
    HttpApiEndpoint.post("create", "/incidents")
      .setPayload(NewIncidentRequest)
      .addSuccess(NewIncidentResponse, { status: 202 })
      .addError(PayloadTooLarge)
      .addError(UnsupportedMediaType)
      .addError(ServiceUnavailable)
      .annotate(OpenApi.Summary, "File an incident; the investigation starts in the background")
  )
  .add(
    HttpApiEndpoint.get("list", "/incidents")
      .setUrlParams(ListIncidentsParams)
      .addSuccess(IncidentPage)
      .annotate(OpenApi.Summary, "List incidents, newest first")
  )
  .add(
    HttpApiEndpoint.get("get")`/incidents/${incidentId}`
      .addSuccess(Incident)
      .addError(IncidentNotFound)
      .annotate(OpenApi.Summary, "Read an incident with its evidence, steps and conclusion")
  )
  .add(
    HttpApiEndpoint.get("events")`/incidents/${incidentId}/events`
      .addSuccess(Schema.String.pipe(HttpApiSchema.withEncoding({ kind: "Text", contentType: "text/event-stream" })))
      .addError(IncidentNotFound)
      .annotate(OpenApi.Summary, "Follow an investigation live (Server-Sent Events)")
      .annotate(
        OpenApi.Description,
        "A text/event-stream of the investigation. Events: `incident` (the full incident, sent first as a " +
          "snapshot), `status` ({status}), `step` (an InvestigationStep), `done` (the final incident), " +
          "then the stream closes. Late subscribers get the snapshot of what already happened. " +
          "Comment lines (`: keep-alive`) are sent every 15 seconds."
      )
  )
  .addError(Unauthorized)
  .addError(RateLimited)
  .middleware(ApiKeyAuth)
  .prefix("/api/v1")
  .annotate(OpenApi.Title, "Incidents") {}

/** Operational endpoints. */
export class SystemGroup extends HttpApiGroup.make("system")
  .add(
    HttpApiEndpoint.get("health", "/health")
      .addSuccess(HealthReport)
      .annotate(OpenApi.Summary, "Health of the server and each dependency")
  )
  .annotate(OpenApi.Title, "System") {}

/** The whole API. */
export class SreApi extends HttpApi.make("sre-orchestrator")
  .add(IncidentsGroup)
  .add(SystemGroup)
  .addError(ValidationError)
  .addError(RouteNotFound)
  .addError(InternalError)
  .annotateContext(
    OpenApi.annotations({
      title: "SRE Orchestrator API",
      version: API_VERSION,
      description: "Files production incidents and returns evidence-backed root-cause investigations."
    })
  ) {}
