/**
 * The typed failure of an LLM call, and the classification of what `@langchain/openai` (openai SDK 6) throws:
 * `APIError` subclasses carry `status` and `headers` (a fetch `Headers`), connection failures are
 * `APIConnectionError`, a per-request timeout is renamed `TimeoutError`, an invalid JSON body is a `SyntaxError`.
 */
import { Data } from "effect"
import { redactKnown } from "../observability/redact.js"

/** What went wrong with an LLM call; `retryable` tells whether trying again later may succeed. */
export type LlmErrorKind =
  "auth" | "bad_request" | "not_found" | "rate_limited" | "unavailable" | "timeout" | "malformed"

/** A failed LLM call. `message` says what to fix and never contains the API key. */
export class LlmError extends Data.TaggedError("LlmError")<{
  readonly kind: LlmErrorKind
  readonly retryable: boolean
  readonly message: string
  /** HTTP status, when the server answered. */
  readonly status?: number | undefined
  /** How long the server asked us to wait (`Retry-After` / `retry-after-ms`), in milliseconds. */
  readonly retryAfterMs?: number | undefined
  /** Attempts made before giving up (set when the call gives up). */
  readonly attempts?: number | undefined
}> {}

const prop = (value: unknown, key: string): unknown =>
  typeof value === "object" && value !== null ? Reflect.get(value, key) : undefined

/** Reads a response header from an SDK error (`headers` is a fetch `Headers` or a plain record). */
export const errorHeader = (error: unknown, name: string): string | undefined => {
  const headers = prop(error, "headers")
  if (typeof headers !== "object" || headers === null) return undefined
  const get: unknown = Reflect.get(headers, "get")
  if (typeof get === "function") {
    const value: unknown = Reflect.apply(get, headers, [name])
    return typeof value === "string" ? value : undefined
  }
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name.toLowerCase() && typeof value === "string") return value
  }
  return undefined
}

/** Whether a text is a plain non-negative decimal number (`2`, `1.5`). */
const isPlainNumber = (text: string): boolean => /^[0-9.]+$/.test(text) && Number.isFinite(Number(text))

/** Parses `Retry-After` (seconds or an HTTP-date) or `retry-after-ms`, in milliseconds from `now`. */
export const parseRetryAfter = (
  retryAfter: string | undefined,
  retryAfterMs: string | undefined,
  now: number
): number | undefined => {
  if (retryAfterMs !== undefined && isPlainNumber(retryAfterMs.trim())) {
    return Math.ceil(Number(retryAfterMs.trim()))
  }
  if (retryAfter === undefined) return undefined
  const text = retryAfter.trim()
  if (isPlainNumber(text)) return Math.ceil(Number(text) * 1000)
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** The first line of an error's message, scrubbed and cut (LangChain appends a troubleshooting URL). */
const detailOf = (error: unknown): string => {
  const raw = error instanceof Error ? error.message : String(error)
  const first = raw.split("\n")[0]?.trim() ?? ""
  return redactKnown(first).slice(0, 300)
}

const NETWORK =
  /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|fetch failed|network|terminated/i

/** Turns whatever the client threw into an `LlmError` with a message saying what to fix. */
export const classifyLlmError = (
  error: unknown,
  context: { readonly model: string; readonly now: number }
): LlmError => {
  if (error instanceof LlmError) return error
  const status = prop(error, "status")
  const detail = detailOf(error)
  const name = prop(error, "name")
  const ctor = prop(prop(error, "constructor"), "name")
  if (typeof status === "number") {
    const base = { status, message: "" }
    if (status === 401) {
      return new LlmError({
        ...base,
        kind: "auth",
        retryable: false,
        message: `the LLM rejected the API key (HTTP 401): check LLM_API_KEY (${detail})`
      })
    }
    if (status === 403) {
      return new LlmError({
        ...base,
        kind: "auth",
        retryable: false,
        message: `the LLM refused access (HTTP 403): check that LLM_API_KEY may use model ${context.model} (${detail})`
      })
    }
    if (status === 404) {
      return new LlmError({
        ...base,
        kind: "not_found",
        retryable: false,
        message: `model or endpoint not found (HTTP 404): check LLM_MODEL (${context.model}) and LLM_BASE_URL (it usually ends in /v1) (${detail})`
      })
    }
    if (status === 429) {
      return new LlmError({
        ...base,
        kind: "rate_limited",
        retryable: true,
        retryAfterMs: parseRetryAfter(
          errorHeader(error, "retry-after"),
          errorHeader(error, "retry-after-ms"),
          context.now
        ),
        message: `the LLM is rate limiting us (HTTP 429) (${detail})`
      })
    }
    if (status === 408) {
      return new LlmError({ ...base, kind: "timeout", retryable: true, message: `the LLM timed out (HTTP 408)` })
    }
    if (status >= 500) {
      return new LlmError({
        ...base,
        kind: "unavailable",
        retryable: true,
        retryAfterMs: parseRetryAfter(
          errorHeader(error, "retry-after"),
          errorHeader(error, "retry-after-ms"),
          context.now
        ),
        message: `the LLM server failed (HTTP ${status}) (${detail})`
      })
    }
    return new LlmError({
      ...base,
      kind: "bad_request",
      retryable: false,
      message: `the LLM rejected the request (HTTP ${status}): check LLM_MODEL (${context.model}) supports tool calling and structured output (${detail})`
    })
  }
  if (name === "TimeoutError") {
    return new LlmError({ kind: "timeout", retryable: true, message: `the LLM did not answer in time (${detail})` })
  }
  if (error instanceof SyntaxError || prop(error, "lc_error_code") === "OUTPUT_PARSING_FAILURE") {
    return new LlmError({
      kind: "malformed",
      retryable: true,
      message: `the LLM sent a malformed response (${detail})`
    })
  }
  const cause = prop(error, "cause")
  const causeText = cause instanceof Error ? `${cause.message} ${String(prop(cause, "code") ?? "")}` : ""
  if (ctor === "APIConnectionError" || NETWORK.test(detail) || NETWORK.test(causeText)) {
    return new LlmError({
      kind: "unavailable",
      retryable: true,
      message: `cannot reach the LLM: check LLM_BASE_URL and the network (${detail}${causeText !== "" ? `: ${redactKnown(causeText.trim()).slice(0, 200)}` : ""})`
    })
  }
  return new LlmError({ kind: "malformed", retryable: false, message: `unexpected LLM client failure (${detail})` })
}
