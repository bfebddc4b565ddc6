/**
 * Typed errors that cross the wire. Every one encodes as `{ "_tag", "code", "message" }`, so clients can rely on
 * `code` (the HTTP status) and `message` (what was wrong) whatever the error.
 */
import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

/** The shape every error response has: the HTTP status and a readable message. */
export const ApiError = Schema.Struct({ code: Schema.Int, message: Schema.String }).annotations({
  identifier: "ApiError"
})
/** @see ApiError */
export type ApiError = typeof ApiError.Type

const fields = { code: Schema.Int, message: Schema.String }

/** 400: the request is malformed or fails validation. */
export class ValidationError extends Schema.TaggedError<ValidationError>()(
  "ValidationError",
  fields,
  HttpApiSchema.annotations({ status: 400, description: "The request is malformed or invalid" })
) {
  /** Builds the error with its status filled in. */
  static withMessage(message: string): ValidationError {
    return new ValidationError({ code: 400, message })
  }
}

/** 401: a valid API key is required. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  fields,
  HttpApiSchema.annotations({ status: 401, description: "Missing or invalid API key" })
) {
  /** Builds the error with its status filled in. */
  static withMessage(message: string): Unauthorized {
    return new Unauthorized({ code: 401, message })
  }
}

/** 404: no incident has this id. */
export class IncidentNotFound extends Schema.TaggedError<IncidentNotFound>()(
  "IncidentNotFound",
  fields,
  HttpApiSchema.annotations({ status: 404, description: "No incident has this id" })
) {
  /** Builds the error for an id. */
  static forId(id: string): IncidentNotFound {
    return new IncidentNotFound({ code: 404, message: `incident ${id} not found` })
  }
}

/** 404: no route matches the request. */
export class RouteNotFound extends Schema.TaggedError<RouteNotFound>()(
  "RouteNotFound",
  fields,
  HttpApiSchema.annotations({ status: 404, description: "No such route" })
) {
  /** Builds the error for a method and path. */
  static forRoute(method: string, path: string): RouteNotFound {
    return new RouteNotFound({ code: 404, message: `no route for ${method} ${path.slice(0, 200)}` })
  }
}

/** 413: the request body is larger than the server accepts. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()(
  "PayloadTooLarge",
  fields,
  HttpApiSchema.annotations({ status: 413, description: "Request body too large" })
) {
  /** Builds the error for a byte limit. */
  static forLimit(limitBytes: number): PayloadTooLarge {
    return new PayloadTooLarge({ code: 413, message: `request body exceeds ${limitBytes} bytes` })
  }
}

/** 415: the request body is not JSON. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()(
  "UnsupportedMediaType",
  fields,
  HttpApiSchema.annotations({ status: 415, description: "Request body must be application/json" })
) {
  /** Builds the error for the content type received. */
  static forContentType(contentType: string): UnsupportedMediaType {
    return new UnsupportedMediaType({
      code: 415,
      message: `content-type must be application/json, got ${JSON.stringify(contentType.slice(0, 100))}`
    })
  }
}

/** 429: too many requests from this caller. */
export class RateLimited extends Schema.TaggedError<RateLimited>()(
  "RateLimited",
  { ...fields, retry_after_seconds: Schema.Int },
  HttpApiSchema.annotations({ status: 429, description: "Too many requests; retry after the given delay" })
) {}

/** 503: the server cannot take more work now (e.g. the investigation queue is full, or it is shutting down). */
export class ServiceUnavailable extends Schema.TaggedError<ServiceUnavailable>()(
  "ServiceUnavailable",
  { ...fields, retry_after_seconds: Schema.Int },
  HttpApiSchema.annotations({ status: 503, description: "Server busy or shutting down; retry later" })
) {
  /** Builds the error with a retry delay. */
  static withRetry(message: string, retryAfterSeconds: number): ServiceUnavailable {
    return new ServiceUnavailable({ code: 503, message, retry_after_seconds: retryAfterSeconds })
  }
}

/** 500: an unexpected failure; details are in the server log, never in the response. */
export class InternalError extends Schema.TaggedError<InternalError>()(
  "InternalError",
  fields,
  HttpApiSchema.annotations({ status: 500, description: "Unexpected server error" })
) {
  /** The generic error sent to clients. */
  static readonly generic = new InternalError({ code: 500, message: "internal server error" })
}
