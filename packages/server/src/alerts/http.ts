/**
 * `POST /api/v1/alerts/alertmanager`: the Alertmanager webhook receiver, served in front of the API guard because
 * it has its own authentication: a bearer token that is `ALERTMANAGER_WEBHOOK_TOKEN` or any API key
 * (`SRE_API_KEYS`); open when neither is configured. Same body rules as the API (JSON only, size and depth
 * limits), the same `{ code, message }` errors, and the same per-address rate limit.
 */
import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { MaxBodySize } from "@effect/platform/HttpIncomingMessage"
import { FileSystem } from "@effect/platform"
import { PayloadTooLarge, RateLimited, Unauthorized, UnsupportedMediaType, ValidationError } from "@sre/schema"
import { Effect, Either, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { AppConfig } from "../config/AppConfig.js"
import { ApiKeys, bearerToken } from "../http/auth.js"
import { currentCorrelationId } from "../http/CorrelationId.js"
import { errorResponse, exceedsJsonDepth, isJsonContentType, MAX_JSON_DEPTH } from "../http/middleware.js"
import { clientAddress, RateLimiter } from "../http/rateLimit.js"
import { recordAlertNotification } from "../observability/metrics.js"
import { AlertReceiver, AlertsConfig } from "./AlertReceiver.js"
import { decodeWebhook } from "./AlertmanagerPayload.js"

/** Path of the receiver. */
export const ALERTMANAGER_PATH = "/api/v1/alerts/alertmanager"

/** The 401 of the receiver. */
export const alertUnauthorized = Unauthorized.withMessage(
  "missing or invalid token: send Authorization: Bearer <ALERTMANAGER_WEBHOOK_TOKEN or an API key>"
)

const sha256 = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest()

/** Compares a presented token with the configured one in constant time (both are hashed first). */
export const tokenMatches = (presented: string, expected: Redacted.Redacted<string>): boolean =>
  timingSafeEqual(sha256(presented), sha256(Redacted.value(expected)))

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

const handle = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const config = yield* AppConfig
  const alerts = yield* AlertsConfig
  const keys = yield* ApiKeys
  const limiter = yield* RateLimiter
  const receiver = yield* AlertReceiver

  const token = bearerToken(request.headers["authorization"])
  const byToken =
    Option.isSome(alerts.webhookToken) && Option.isSome(token)
      ? tokenMatches(token.value, alerts.webhookToken.value)
      : false
  const byKey = keys.enabled && Option.isSome(Option.flatMap(token, keys.verify))
  const authRequired = keys.enabled || Option.isSome(alerts.webhookToken)

  const client = `addr:${clientAddress(request, config.trustProxy)}`
  const taken = yield* limiter.take(client)
  if (!taken.allowed) {
    return errorResponse(
      new RateLimited({
        code: 429,
        message: `rate limit exceeded; retry in ${taken.retryAfterSeconds} s`,
        retry_after_seconds: taken.retryAfterSeconds
      })
    )
  }
  if (authRequired && !byToken && !byKey) {
    yield* recordAlertNotification("unknown", "unauthorized")
    yield* Effect.logInfo("alertmanager notification rejected: missing or invalid token")
    return errorResponse(alertUnauthorized)
  }
  const length = request.headers["content-length"]
  if (length !== undefined && Number(length) > config.maxRequestBodyBytes) {
    return errorResponse(PayloadTooLarge.forLimit(config.maxRequestBodyBytes))
  }
  const contentType = request.headers["content-type"]
  if (contentType === undefined || !isJsonContentType(contentType)) {
    return errorResponse(UnsupportedMediaType.forContentType(contentType ?? ""))
  }
  const body = yield* request.text.pipe(
    Effect.provideService(MaxBodySize, Option.some(FileSystem.Size(config.maxRequestBodyBytes))),
    Effect.either
  )
  if (Either.isLeft(body)) {
    const inner = body.left.cause instanceof Error ? body.left.cause.message : ""
    return errorResponse(
      inner.includes("maxBytes")
        ? PayloadTooLarge.forLimit(config.maxRequestBodyBytes)
        : ValidationError.withMessage("request body could not be read")
    )
  }
  if (exceedsJsonDepth(body.right, MAX_JSON_DEPTH)) {
    return errorResponse(ValidationError.withMessage(`request body nests deeper than ${MAX_JSON_DEPTH} levels`))
  }
  const decoded = decodeWebhook(body.right)
  if (Either.isLeft(decoded)) {
    yield* recordAlertNotification("unknown", "invalid")
    return errorResponse(ValidationError.withMessage(decoded.left))
  }
  const correlationId = yield* currentCorrelationId
  const result = yield* receiver.receive(decoded.right, correlationId).pipe(Effect.either)
  if (Either.isLeft(result)) return errorResponse(result.left)
  const answer = { incident_id: Option.getOrNull(result.right.incidentId), deduplicated: result.right.deduplicated }
  return HttpServerResponse.unsafeJson(answer, { status: decoded.right.status === "firing" ? 202 : 200 })
}).pipe(Effect.withSpan("AlertmanagerWebhook.handle"))

/**
 * Wraps an app so `POST /api/v1/alerts/alertmanager` is answered by the receiver (before the API guard); every
 * other request goes to `app`.
 */
export const withAlertmanagerRoute = <E, R>(
  app: HttpApp.Default<E, R>
): HttpApp.Default<E, R | AppConfig | AlertsConfig | ApiKeys | RateLimiter | AlertReceiver> =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request): HttpApp.Default<E, R | AppConfig | AlertsConfig | ApiKeys | RateLimiter | AlertReceiver> =>
      request.method === "POST" && pathOf(request.url) === ALERTMANAGER_PATH ? handle : app
  )
