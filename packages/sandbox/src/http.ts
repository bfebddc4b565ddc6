/**
 * The transport-independent request/response model of the sandbox API, and Kubernetes `Status` errors.
 */
import type { JsonRecord } from "./json.js"

/** An API request, already parsed from the wire. */
export interface ApiRequest {
  readonly method: string
  /** The path without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: Uint8Array
}

/** A complete response. */
export interface ApiResponse {
  readonly _tag: "Response"
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A watch: send `events` (one JSON document per line), then hold the connection for `timeoutMs`. */
export interface WatchResponse {
  readonly _tag: "Watch"
  readonly events: ReadonlyArray<JsonRecord>
  readonly timeoutMs: number
}

/** What a route returns. */
export type ApiResult = ApiResponse | WatchResponse

/** A JSON response. */
export const json = (status: number, body: unknown): ApiResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body)
})

/** A plain-text response. */
export const text = (status: number, body: string): ApiResponse => ({
  _tag: "Response",
  status,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body
})

/** A Kubernetes `Status` failure object response. */
export const statusError = (
  code: number,
  reason: string,
  message: string,
  details?: { name?: string; group?: string; kind?: string }
): ApiResponse => {
  const d: Record<string, string> = {}
  if (details?.name !== undefined) d.name = details.name
  if (details?.group !== undefined && details.group !== "") d.group = details.group
  if (details?.kind !== undefined) d.kind = details.kind
  return json(code, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(details === undefined ? {} : { details: d }),
    code
  })
}

/** 404 for a path the API does not serve. */
export const pathNotFound = (): ApiResponse =>
  statusError(404, "NotFound", "the server could not find the requested resource")

/** 400 Bad Request. */
export const badRequest = (message: string): ApiResponse => statusError(400, "BadRequest", message)

/** 405 for any write: the sandbox is read-only. */
export const methodNotAllowed = (): ApiResponse =>
  statusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
