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
import { Cause, Context, Effect, FiberRef, HashMap, Layer, Option } from "effect"
import { AppConfig } from "../config/AppConfig.js"
import { LogRecord } from "../observability/logging.js"
import { recordHttpRequestSync, routeTemplate } from "../observability/metrics.js"
import { redactKnown } from "../observability/redact.js"
import { CorrelationId, correlationIdFor } from "./CorrelationId.js"

const apiCsp = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const docsCsp =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

/**
 * The security headers of a response to `path` (the docs page gets a CSP that lets Swagger UI run), its correlation
 * id, and the cache policy: one set by the handler is kept (e.g. SSE's no-cache), API answers are never cached.
 * One object literal of a fixed shape per response (no spread of a shared object: that is the slow path of V8).
 */
export const securityHeaders = (
  path: string,
  correlationId: string,
  cacheControl: string | undefined
): Record<string, string> => {
  const docs = path.startsWith("/docs")
  return {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-origin",
    "content-security-policy": docs ? docsCsp : apiCsp,
    "x-correlation-id": correlationId,
    "cache-control": cacheControl ?? (docs ? "no-cache" : "no-store")
  }
}

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  return q === -1 ? url : url.slice(0, q)
}

const MAX_LOGGED_PATH = 200

/**
 * The outermost middleware: assigns the correlation id, adds security headers to every response (errors
 * included), records the request metrics and logs one line per request with method, path, status and duration
 * (never the body).
 *
 * Per request it runs as few effects as it can (issue #10). `Effect.provideService`/`annotateLogs` would each wrap
 * the app in an interruptible-safe acquire/use/release of a fiber ref (about 25 runtime steps each); this middleware
 * is the outermost code of a fiber that exists for this request only, so it sets the correlation id in the fiber's
 * context and log annotations directly (nothing after it needs the old values back). The request line's fields
 * travel in the message (`LogRecord`) instead of an annotation map; span annotations are skipped when tracing is off.
 */
export const requestMiddleware = HttpMiddleware.make(<E, R>(app: HttpApp.Default<E, R>) =>
  Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, HttpServerRequest.HttpServerRequest | R>(
    (fiber) => {
      const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
      const correlationId = correlationIdFor(request.headers["x-correlation-id"])
      const path = pathOf(request.url)
      const started = Date.now()
      const route = routeTemplate(path)
      const setup = Effect.zipRight(
        Effect.zipRight(
          FiberRef.update(FiberRef.currentContext, (context) => Context.add(context, CorrelationId, correlationId)),
          FiberRef.update(FiberRef.currentLogAnnotations, HashMap.set<string, unknown>("correlation_id", correlationId))
        ),
        HttpApp.appendPreResponseHandler((_req, response) =>
          Effect.succeed(
            HttpServerResponse.setHeaders(
              response,
              securityHeaders(path, correlationId, response.headers["cache-control"])
            )
          )
        )
      )
      // with tracing on, the server span (platform's tracer middleware) gets the ids and spans started below carry
      // the correlation id
      const traced = fiber.getFiberRef(FiberRef.currentTracerEnabled)
        ? Effect.zipRight(
            Effect.annotateCurrentSpan({ correlation_id: correlationId, "http.route": route }),
            Effect.annotateSpans(app, "correlation_id", correlationId)
          )
        : app
      // handlers read the correlation id with `currentCorrelationId` (an optional service: never a requirement)
      return Effect.flatMap(Effect.zipRight(setup, traced), (answered) => {
        // routes answered in front of the API (/metrics, the Alertmanager receiver) return their response unwritten
        // and bypass the pre-response handler: the server writes what this middleware returns, so add the headers
        const response =
          answered.headers["x-correlation-id"] === undefined
            ? HttpServerResponse.setHeaders(
                answered,
                securityHeaders(path, correlationId, answered.headers["cache-control"])
              )
            : answered
        const duration = Date.now() - started
        recordHttpRequestSync(request.method, route, response.status, duration)
        return Effect.as(
          Effect.logInfo(
            new LogRecord("http request", {
              correlation_id: correlationId,
              method: request.method,
              path: path.length > MAX_LOGGED_PATH ? path.slice(0, MAX_LOGGED_PATH) : path,
              status: response.status,
              duration_ms: duration
            })
          ),
          response
        )
      })
    }
  )
)

const hasBody = (method: string) => method === "POST" || method === "PUT" || method === "PATCH"

/** Whether the platform may read a request body for this method (it never does for GET, HEAD and OPTIONS). */
const platformReadsBody = (method: string) => method !== "GET" && method !== "HEAD" && method !== "OPTIONS"

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
    const maxBytes = config.maxRequestBodyBytes
    const limit = Option.some(FileSystem.Size(maxBytes))
    const tooDeep = errorResponse(
      ValidationError.withMessage(`request body nests deeper than ${MAX_JSON_DEPTH} levels`)
    )
    // built once per application: only the request varies, and it is read from the fiber when a request runs
    return (app: HttpApp.Default) => {
      const recover = (cause: Cause.Cause<never>) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
              Effect.map(classify(cause, request.method, request.url, maxBytes), errorResponse)
            )
      // GET/HEAD/OPTIONS: the platform never reads a body, so the body limit is not provided (one context copy less)
      const withoutBody = Effect.catchAllCause(app, recover)
      const limited = Effect.catchAllCause(Effect.provideService(app, MaxBodySize, limit), recover)
      return Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>(
        (fiber) => {
          const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
          const method = request.method
          if (!hasBody(method)) return platformReadsBody(method) ? limited : withoutBody
          const length = request.headers["content-length"]
          if (length !== undefined && Number(length) > maxBytes) {
            return Effect.succeed(errorResponse(PayloadTooLarge.forLimit(maxBytes)))
          }
          const contentType = request.headers["content-type"]
          if (contentType !== undefined && !isJsonContentType(contentType)) {
            return Effect.succeed(errorResponse(UnsupportedMediaType.forContentType(contentType)))
          }
          // JSON nested deeper than anything the contract accepts is refused before it is parsed and decoded (deep
          // values overflow the stack of the decoder's error formatting); the body text is cached for the handler
          return Effect.flatMap(Effect.orDie(request.text), (text) =>
            exceedsJsonDepth(text, MAX_JSON_DEPTH) ? Effect.succeed(tooDeep) : app
          ).pipe(Effect.provideService(MaxBodySize, limit), Effect.catchAllCause(recover))
        }
      )
    }
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
