/**
 * HTTP middleware: correlation ids, request logging, security headers, CORS, body limits and the uniform
 * `{ code, message }` error shape for every failure, including unknown routes and malformed bodies.
 */
import {
  FileSystem,
  HttpApiBuilder,
  HttpApiError,
  HttpApp,
  HttpMiddleware,
  HttpServerError,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { MaxBodySize } from "@effect/platform/HttpIncomingMessage"
import { InternalError, PayloadTooLarge, RouteNotFound, UnsupportedMediaType, ValidationError } from "@sre/schema"
import { Cause, Effect, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { recordHttpRequest, routeTemplate } from "../observability/metrics.js"
import { redactKnown } from "../observability/redact.js"
import { CorrelationId, correlationIdFor } from "./CorrelationId.js"

const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const docsCsp =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

const securityHeaders = (path: string, correlationId: string): Record<string, string> => ({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "content-security-policy": path.startsWith("/docs") ? docsCsp : apiCsp,
  "x-correlation-id": correlationId
})

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

/**
 * The outermost middleware: assigns the correlation id, adds security headers to every response (errors
 * included), and logs one line per request with method, route, status and duration (never the body).
 */
export const requestMiddleware = HttpMiddleware.make((app) =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const correlationId = correlationIdFor(request.headers["x-correlation-id"])
    const path = pathOf(request.url)
    const started = Date.now()
    yield* HttpApp.appendPreResponseHandler((_req, response) =>
      Effect.succeed(
        HttpServerResponse.setHeaders(response, {
          ...securityHeaders(path, correlationId),
          // keep a cache policy set by the handler (e.g. SSE's no-cache); API answers are never cached
          "cache-control": response.headers["cache-control"] ?? (path.startsWith("/docs") ? "no-cache" : "no-store")
        })
      )
    )
    const route = routeTemplate(path)
    // the server span (platform's tracer middleware) gets the ids; spans started below carry the correlation id
    yield* Effect.annotateCurrentSpan({ correlation_id: correlationId, "http.route": route })
    const response = yield* app.pipe(
      Effect.provideService(CorrelationId, correlationId),
      Effect.annotateLogs("correlation_id", correlationId),
      Effect.annotateSpans("correlation_id", correlationId)
    )
    yield* recordHttpRequest(request.method, route, response.status, Date.now() - started)
    yield* Effect.logInfo("http request").pipe(
      Effect.annotateLogs({
        correlation_id: correlationId,
        method: request.method,
        path: path.length > 200 ? path.slice(0, 200) : path,
        status: response.status,
        duration_ms: Date.now() - started
      })
    )
    return response
  })
)

const hasBody = (method: string) => method === "POST" || method === "PUT" || method === "PATCH"

const describeIssues = (error: HttpApiError.HttpApiDecodeError): string => {
  // optional fields report an extra "Expected undefined" branch that only confuses readers
  const issues = error.issues.filter((issue) => !issue.message.startsWith("Expected undefined"))
  const parts = issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "request"
    // messages quote the offending value: keep them short whatever the client sent
    const message = issue.message.length > 300 ? `${issue.message.slice(0, 300)}...` : issue.message
    return `${where.slice(0, 200)}: ${message}`
  })
  return parts.length > 0 ? parts.slice(0, 5).join("; ") : error.message
}

/** What every error response carries. */
export interface WireError {
  readonly _tag: string
  readonly code: number
  readonly message: string
  readonly retry_after_seconds?: number
}

const isContractError = (u: unknown): u is WireError =>
  typeof u === "object" &&
  u !== null &&
  "_tag" in u &&
  typeof u._tag === "string" &&
  "code" in u &&
  typeof u.code === "number" &&
  u.code >= 400 &&
  u.code <= 599 &&
  "message" in u &&
  typeof u.message === "string"

/**
 * Renders a contract error as its JSON response (`{ _tag, code, message, ... }`), with `Retry-After` if any and
 * `WWW-Authenticate: Bearer` on a 401. Registered secrets and credential-looking values are scrubbed from the
 * message.
 */
export const errorResponse = (error: WireError) => {
  // messages may quote what the client sent (a path, a field): never echo a configured secret
  const body: Record<string, unknown> = { _tag: error._tag, code: error.code, message: redactKnown(error.message) }
  const retry = error.retry_after_seconds
  if (typeof retry === "number") body["retry_after_seconds"] = retry
  const headers: Record<string, string> = {}
  if (typeof retry === "number") headers["retry-after"] = String(retry)
  if (error.code === 401) headers["www-authenticate"] = "Bearer"
  return HttpServerResponse.unsafeJson(body, { status: error.code, headers })
}

/**
 * Whether a `Content-Type` is `application/json` (any parameters, any case). `application/*+json` is refused: the
 * platform would not parse it as JSON (it would hand the handler raw bytes).
 */
export const isJsonContentType = (contentType: string): boolean => {
  const semicolon = contentType.indexOf(";")
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return mediaType === "application/json"
}

/** Deepest nesting of arrays/objects accepted in a JSON request body. */
export const MAX_JSON_DEPTH = 32

/** Whether JSON text nests arrays/objects deeper than `limit` (a linear scan that skips string contents). */
export const exceedsJsonDepth = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

/** Maps whatever escaped a handler (decode errors, unknown routes, malformed bodies, defects) to a contract error. */
const classify = (
  cause: Cause.Cause<unknown>,
  method: string,
  url: string,
  limitBytes: number
): Effect.Effect<WireError> => {
  const squashed = Cause.squash(cause)
  if (squashed instanceof HttpApiError.HttpApiDecodeError) {
    return Effect.succeed(ValidationError.withMessage(describeIssues(squashed)))
  }
  if (HttpServerError.isServerError(squashed)) {
    if (squashed._tag === "RouteNotFound") return Effect.succeed(RouteNotFound.forRoute(method, pathOf(url)))
    if (squashed._tag === "RequestError") {
      const inner = squashed.cause instanceof Error ? squashed.cause.message : ""
      return Effect.succeed(
        inner.includes("maxBytes")
          ? PayloadTooLarge.forLimit(limitBytes)
          : ValidationError.withMessage("request body is not valid JSON")
      )
    }
  }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && isContractError(failure.value)) return Effect.succeed(failure.value)
  return Effect.as(Effect.logError("unexpected error while serving a request", cause), InternalError.generic)
}

/**
 * API-level middleware: rejects non-JSON bodies (415) and bodies over the limit (413) before reading them, caps
 * body reads, and renders every failure (typed errors, decode errors, unknown routes, defects) as
 * `{ code, message }` JSON. Defects become a generic 500 and are logged with their cause.
 */
export const contractErrorMiddleware = HttpApiBuilder.middleware(
  Effect.gen(function* () {
    const config = yield* AppConfig
    const limit = Option.some(FileSystem.Size(config.maxRequestBodyBytes))
    return (app: HttpApp.Default) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        if (hasBody(request.method)) {
          const length = request.headers["content-length"]
          if (length !== undefined && Number(length) > config.maxRequestBodyBytes) {
            return errorResponse(PayloadTooLarge.forLimit(config.maxRequestBodyBytes))
          }
          const contentType = request.headers["content-type"]
          if (contentType !== undefined && !isJsonContentType(contentType)) {
            return errorResponse(UnsupportedMediaType.forContentType(contentType))
          }
        }
        // JSON nested deeper than anything the contract accepts is refused before it is parsed and decoded (deep
        // values overflow the stack of the decoder's error formatting); the body text is cached for the handler
        const checked = hasBody(request.method)
          ? Effect.flatMap(Effect.orDie(request.text), (text) =>
              exceedsJsonDepth(text, MAX_JSON_DEPTH)
                ? Effect.succeed(
                    errorResponse(
                      ValidationError.withMessage(`request body nests deeper than ${MAX_JSON_DEPTH} levels`)
                    )
                  )
                : app
            )
          : app
        return yield* checked.pipe(
          Effect.provideService(MaxBodySize, limit),
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause)
              ? Effect.failCause(cause)
              : Effect.map(classify(cause, request.method, request.url, config.maxRequestBodyBytes), errorResponse)
          )
        )
      })
  })
)

/** CORS limited to `CORS_ORIGINS` (no CORS headers at all when it is empty). */
export const corsLayer: Layer.Layer<never, never, AppConfig> = Layer.unwrapEffect(
  Effect.map(AppConfig, (config) =>
    config.corsOrigins.length === 0
      ? Layer.empty
      : HttpApiBuilder.middlewareCors({
          allowedOrigins: config.corsOrigins,
          allowedMethods: ["GET", "POST", "OPTIONS"],
          allowedHeaders: ["content-type", "authorization", "x-correlation-id"],
          exposedHeaders: ["x-correlation-id", "retry-after"],
          maxAge: 600
        })
  )
)
