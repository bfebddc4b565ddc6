/**
 * The CLI's error: one readable line and an exit code. `explain` turns whatever the API client can fail with
 * (contract errors, transport failures, unexpected answers) into a `CliError` that says what to do next.
 */
import type { HttpApiError, HttpClientError } from "@effect/platform"
import type {
  IncidentNotFound,
  InternalError,
  PayloadTooLarge,
  RateLimited,
  RouteNotFound,
  ServiceUnavailable,
  Unauthorized,
  UnsupportedMediaType,
  ValidationError
} from "@sre/schema"
import { ApiError } from "@sre/schema"
import { Data, Effect, type ParseResult, Schema } from "effect"

/** Exit code of a successful run. */
export const EXIT_OK = 0
/** Exit code of a usage or connection error (and any other error). */
export const EXIT_ERROR = 1
/** Exit code when the investigation itself failed (status `failed`). */
export const EXIT_INVESTIGATION_FAILED = 2

/** A failure the CLI reports as one line on stderr before exiting with `exitCode`. */
export class CliError extends Data.TaggedError("CliError")<{ readonly message: string; readonly exitCode: number }> {}

/** Builds a usage/connection `CliError` (exit code 1). */
export const cliError = (message: string): CliError => new CliError({ message, exitCode: EXIT_ERROR })

/** Every failure a call through the derived API client can produce. */
export type ClientFailure =
  | HttpClientError.HttpClientError
  | HttpApiError.HttpApiDecodeError
  | ParseResult.ParseError
  | ValidationError
  | Unauthorized
  | IncidentNotFound
  | RouteNotFound
  | PayloadTooLarge
  | UnsupportedMediaType
  | RateLimited
  | ServiceUnavailable
  | InternalError

/** Where the server URL came from, so that error messages can say what to change. */
export interface ServerRef {
  readonly server: string
}

const HOW_TO_SET_SERVER = "set it with --server <url>, SRE_SERVER_URL or `sre config set server <url>`"
const HOW_TO_SET_KEY = "set it with --api-key <key>, SRE_API_KEY or `sre config set api-key <key>`"

const transportDetail = (cause: unknown): string => {
  let current: unknown = cause
  let message = "connection failed"
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    if ("code" in current && typeof current.code === "string") return current.code
    if (current instanceof Error) message = current.message
    current = "cause" in current ? current.cause : undefined
  }
  return message
}

/** Turns a client failure into a `CliError` that names the server and says how to fix the problem. */
export const explain = (ref: ServerRef, error: ClientFailure | CliError): CliError => {
  switch (error._tag) {
    case "CliError":
      return error
    case "RequestError":
      return error.reason === "Transport"
        ? cliError(
            `cannot reach the SRE server at ${ref.server} (${transportDetail(error.cause)}); ` +
              `is it running? To use another server, ${HOW_TO_SET_SERVER}`
          )
        : cliError(`invalid request to ${ref.server}: ${error.message}; ${HOW_TO_SET_SERVER}`)
    case "ResponseError":
      return cliError(
        `unexpected answer from ${ref.server} (HTTP ${error.response.status}); ` +
          `is this an SRE Orchestrator server? ${HOW_TO_SET_SERVER}`
      )
    case "ParseError":
    case "HttpApiDecodeError":
      return cliError(`unexpected answer from ${ref.server}: the response does not match the API contract`)
    case "Unauthorized":
      return cliError(`the server rejected the request (401 ${error.message}); an API key is needed: ${HOW_TO_SET_KEY}`)
    case "IncidentNotFound":
      return cliError(error.message)
    case "RouteNotFound":
      return cliError(`${ref.server} does not serve this API (404 ${error.message}); ${HOW_TO_SET_SERVER}`)
    case "ValidationError":
      return cliError(`invalid request: ${error.message}`)
    case "PayloadTooLarge":
    case "UnsupportedMediaType":
      return cliError(`request refused: ${error.message}`)
    case "RateLimited":
      return cliError(`rate limited: ${error.message}; retry in ${error.retry_after_seconds}s`)
    case "ServiceUnavailable":
      return cliError(`server busy: ${error.message}; retry in ${error.retry_after_seconds}s`)
    case "InternalError":
      return cliError(`server error (500): ${error.message}; see the server log`)
  }
}

const decodeApiError = Schema.decodeUnknown(ApiError)

/**
 * Explains an answer with a status the contract does not declare for this endpoint: uses the `{ code, message }`
 * body when there is one, otherwise says the server is not what we expected.
 */
export const explainResponse = (ref: ServerRef, error: HttpClientError.ResponseError): Effect.Effect<CliError> =>
  error.response.json.pipe(
    Effect.flatMap(decodeApiError),
    Effect.map((body) => cliError(`${ref.server} answered ${body.code}: ${body.message}`)),
    Effect.orElseSucceed(() => explain(ref, error))
  )
