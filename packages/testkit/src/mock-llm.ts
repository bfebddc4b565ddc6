/**
 * An OpenAI-compatible mock LLM over real HTTP (node:http on 127.0.0.1), scriptable per request.
 *
 * Implements `POST /v1/chat/completions` (and `/chat/completions`) with and without `stream: true`, and
 * `GET /v1/models`. Works with the real `@langchain/openai` `ChatOpenAI` client
 * (`configuration: { baseURL: llm.url }`, any `apiKey`, `maxRetries: 0`).
 *
 * Every chat request consumes the next {@link Reply} of the script queue, or — when the queue is empty — the
 * default reply (`echo()` unless configured; {@link autoAgent} for benchmarks). Control endpoints under `/_mock/`
 * let another process script the server (see {@link MockLlmRemote}).
 *
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { parseArgs } from "node:util"
import { Effect, type Scope } from "effect"
import { sampleFromJsonSchema } from "./json-schema-sample.js"

// ---------------------------------------------------------------------------------------------------------------
// Request types
// ---------------------------------------------------------------------------------------------------------------

/** A tool call as it appears in an assistant message of a chat request. */
export interface ChatToolCall {
  readonly id: string
  readonly type: "function"
  readonly function: { readonly name: string; readonly arguments: string }
}

/** One message of a chat-completions request (loosely typed: only the fields tests usually inspect). */
export interface ChatMessage {
  readonly role: string
  /** A string, an array of content parts, or null (assistant messages that only carry tool calls). */
  readonly content?: unknown
  readonly tool_calls?: readonly ChatToolCall[]
  readonly tool_call_id?: string
  readonly name?: string
}

/** A tool offered in a chat-completions request. */
export interface ChatTool {
  readonly type: string
  readonly function: {
    readonly name: string
    readonly description?: string
    readonly parameters?: unknown
    readonly strict?: boolean
  }
}

/** The parsed body of a `POST /v1/chat/completions` request. Unknown fields are kept. */
export interface ChatRequest {
  readonly model?: string
  readonly messages: readonly ChatMessage[]
  readonly tools?: readonly ChatTool[]
  readonly tool_choice?: unknown
  readonly response_format?: unknown
  readonly stream?: boolean
  readonly stream_options?: { readonly include_usage?: boolean }
  readonly [key: string]: unknown
}

/** A request received by the mock (control endpoints under `/_mock/` are not recorded). */
export interface RecordedRequest {
  /** 1-based sequence number. */
  readonly seq: number
  readonly method: string
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  readonly path: string
  /** Lower-cased header names; `authorization`, `x-api-key`, `api-key` values are replaced by `"REDACTED"`. */
  readonly headers: Readonly<Record<string, string>>
  /** The parsed JSON body (`undefined` for requests without a body, the raw text if it was not JSON). */
  readonly body: unknown
  /** The body as a chat request, for chat-completions requests with a valid body. */
  readonly chat: ChatRequest | undefined
  /** `Date.now()` when the request arrived. */
  readonly receivedAt: number
  /** `Date.now()` when the response finished or the connection closed. */
  finishedAt: number | undefined
  /** HTTP status sent (undefined for `hang`/`reset`/aborted-before-headers). */
  status: number | undefined
  /** The kind of reply that was chosen, e.g. `"content"`, `"toolCalls"`, `"status"`, `"hang"`. */
  replyKind: ReplyKind | undefined
  /** True when the client closed the connection before the reply finished. */
  aborted: boolean
}

// ---------------------------------------------------------------------------------------------------------------
// Reply script
// ---------------------------------------------------------------------------------------------------------------

/** A tool call the mock should make. `id` defaults to `call_<n>`. */
export interface ToolCallSpec {
  readonly name: string
  readonly arguments: Readonly<Record<string, unknown>>
  readonly id?: string
}

/** HTTP error statuses the mock can return with an OpenAI-style error body. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 429 | 500 | 502 | 503

/** Options for the auto-agent default responder, see {@link autoAgent}. */
export interface AutoAgentOptions {
  /** Number of assistant tool-call rounds before answering with final text. Default 1. */
  readonly toolRounds?: number
  /** Extra latency for every auto-agent reply (added to the server-wide `latencyMs`). Default 0. */
  readonly latencyMs?: number
  /** Tool calls per round (parallel tool calls). Default 1. */
  readonly callsPerRound?: number
  /** Final answer text. Default: `"Auto agent final answer after <n> tool rounds."`. */
  readonly finalText?: string
  /** Never call these tool names, even when offered. */
  readonly avoidTools?: readonly string[]
}

/** A final text answer (`finish_reason: "stop"`). */
export interface ContentReply {
  readonly content: string
}
/** An assistant message with tool calls (`finish_reason: "tool_calls"`), optionally with text content. */
export interface ToolCallsReply {
  readonly toolCalls: readonly ToolCallSpec[]
  readonly content?: string
}
/**
 * A structured answer. Sent as `content: JSON.stringify(json)`, or — when the request forces a function via
 * `tool_choice` (structured output with `method: "functionCalling"`) — as a call of that function with `json`
 * as its arguments. So one reply works for both structured-output methods.
 */
export interface JsonReply {
  readonly json: unknown
}
/** An HTTP error with an OpenAI-style body `{ error: { message, type, code } }` unless `body` is given. */
export interface StatusReply {
  readonly status: ErrorStatus
  /** Only meaningful with 429 (but sent with any status): the `Retry-After` header in seconds. */
  readonly retryAfterSeconds?: number
  /** Custom body: a string is sent verbatim, anything else as JSON. */
  readonly body?: unknown
}
/** Wait `delayMs` (abort-aware: stops if the client disconnects), then send `then`. */
export interface DelayReply {
  readonly delayMs: number
  readonly then: Reply
}
/** Never answer; the request stays in flight until the client disconnects (or the server closes). */
export interface HangReply {
  readonly hang: true
}
/** 200 with an invalid JSON body (for streaming requests: an SSE event with invalid JSON). */
export interface MalformedReply {
  readonly malformed: true
}
/** Destroy the socket without sending a response. */
export interface ResetReply {
  readonly reset: true
}
/** Final text echoing the last user message: `"<prefix><text>"` (prefix default `"echo: "`). */
export interface EchoReply {
  readonly echo: true
  readonly prefix?: string
}
/** The auto-agent responder as data (JSON-serialisable, usable over the control endpoints). */
export interface AutoAgentReply {
  readonly autoAgent: AutoAgentOptions
}

/** A reply that can be sent as JSON to the control endpoints. */
export type StaticReply =
  | ContentReply
  | ToolCallsReply
  | JsonReply
  | StatusReply
  | DelayReply
  | HangReply
  | MalformedReply
  | ResetReply
  | EchoReply
  | AutoAgentReply

/** A function choosing the reply from the request (in-process only). */
export type ReplyFn = (request: ChatRequest) => Reply

/** What the mock sends for one chat request. See the individual reply interfaces. */
export type Reply = StaticReply | ReplyFn

/** The kind of the terminal reply chosen for a request (as recorded in {@link RecordedRequest.replyKind}). */
export type ReplyKind = "content" | "toolCalls" | "json" | "status" | "hang" | "malformed" | "reset" | "invalid"

/** Final text echoing the last user message. The default default reply. */
export const echo = (prefix = "echo: "): EchoReply => ({ echo: true, prefix })

/**
 * The auto-agent responder for benchmarks and load tests: when the request offers `tools` and its messages
 * contain fewer than `toolRounds` assistant tool-call rounds, it calls offered tools (round-robin by round number,
 * arguments generated from each tool's JSON schema); otherwise it answers with final text. Structured-output
 * requests (`response_format.type === "json_schema"` or `tool_choice` forcing a function) get a JSON object
 * generated from the schema, so `withStructuredOutput` succeeds. Tools named `extract-<n>` (langchain
 * `createAgent`'s structured-output tools) are not used for rounds but called once the rounds are done; with
 * `tool_choice: "required"` and no such tool, the last offered tool is called instead of answering with text.
 *
 * @example
 * const llm = await startMockLlm({ defaultReply: autoAgent({ toolRounds: 3, latencyMs: 50 }) })
 */
export const autoAgent = (options: AutoAgentOptions = {}): AutoAgentReply => ({ autoAgent: options })

// ---------------------------------------------------------------------------------------------------------------
// Helpers on chat requests
// ---------------------------------------------------------------------------------------------------------------

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The text of a message's `content` (string, or the concatenated `text` of content parts). */
export const messageText = (message: ChatMessage): string => {
  const content = message.content
  if (typeof content === "string") return content
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => (isRecord(part) && typeof part["text"] === "string" ? part["text"] : ""))
      .join("")
  }
  return ""
}

const chatOf = (request: ChatRequest | RecordedRequest): ChatRequest | undefined =>
  "seq" in request && "receivedAt" in request ? (request as RecordedRequest).chat : (request as ChatRequest)

/** Names of the tools offered in a chat request (empty when none). */
export const offeredToolNames = (request: ChatRequest | RecordedRequest): string[] =>
  (chatOf(request)?.tools ?? []).map((t) => t.function.name)

/** Number of assistant messages with tool calls in a chat request (completed tool rounds so far). */
export const toolRounds = (request: ChatRequest | RecordedRequest): number =>
  (chatOf(request)?.messages ?? []).filter((m) => m.role === "assistant" && (m.tool_calls?.length ?? 0) > 0).length

/** The `tool` messages (tool results) in a chat request. */
export const toolResults = (
  request: ChatRequest | RecordedRequest
): { readonly toolCallId: string | undefined; readonly content: string }[] =>
  (chatOf(request)?.messages ?? [])
    .filter((m) => m.role === "tool")
    .map((m) => ({ toolCallId: m.tool_call_id, content: messageText(m) }))

/** The text of the last `user` message of a chat request (`""` when none). */
export const lastUserText = (request: ChatRequest | RecordedRequest): string => {
  const messages = chatOf(request)?.messages ?? []
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]
    if (m !== undefined && m.role === "user") return messageText(m)
  }
  return ""
}

/** The forced function of a request's `tool_choice` (`{ type: "function", function: { name } }`), if any. */
export const forcedFunction = (request: ChatRequest): ChatTool | undefined => {
  const choice = request.tool_choice
  if (!isRecord(choice) || !isRecord(choice["function"])) return undefined
  const name = choice["function"]["name"]
  if (typeof name !== "string") return undefined
  return (request.tools ?? []).find((t) => t.function.name === name) ?? { type: "function", function: { name } }
}

/** The JSON schema of a `response_format: { type: "json_schema" }` request, if any. */
export const responseJsonSchema = (request: ChatRequest): unknown => {
  const format = request.response_format
  if (!isRecord(format) || format["type"] !== "json_schema" || !isRecord(format["json_schema"])) return undefined
  return format["json_schema"]["schema"] ?? {}
}

// ---------------------------------------------------------------------------------------------------------------
// Reply validation (for the JSON control endpoints)
// ---------------------------------------------------------------------------------------------------------------

const ERROR_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 429, 500, 502, 503])

/** Whether a JSON value is a valid {@link StaticReply} (used by the `/_mock/*` control endpoints). */
export const isStaticReply = (value: unknown): value is StaticReply => {
  if (!isRecord(value)) return false
  if (typeof value["content"] === "string" && !("toolCalls" in value)) return true
  if (Array.isArray(value["toolCalls"])) {
    return (
      value["toolCalls"].every(
        (c: unknown) =>
          isRecord(c) &&
          typeof c["name"] === "string" &&
          isRecord(c["arguments"]) &&
          (c["id"] === undefined || typeof c["id"] === "string")
      ) &&
      (value["content"] === undefined || typeof value["content"] === "string")
    )
  }
  if ("json" in value) return true
  if (typeof value["status"] === "number") {
    return (
      ERROR_STATUSES.has(value["status"]) &&
      (value["retryAfterSeconds"] === undefined || typeof value["retryAfterSeconds"] === "number")
    )
  }
  if (typeof value["delayMs"] === "number") return isStaticReply(value["then"])
  if (value["hang"] === true || value["malformed"] === true || value["reset"] === true) return true
  if (value["echo"] === true) return value["prefix"] === undefined || typeof value["prefix"] === "string"
  if (isRecord(value["autoAgent"])) return true
  return false
}

// ---------------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------------

/** Options for {@link startMockLlm}. */
export interface MockLlmOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number
  /** Replies consumed in order, one per chat request. */
  readonly script?: readonly Reply[]
  /** Reply used when the script queue is empty. Default {@link echo}(). */
  readonly defaultReply?: Reply
  /** Latency added before every chat reply (abort-aware). Default 0. */
  readonly latencyMs?: number
  /** Model name reported in responses and `GET /v1/models`. Default `"mock-llm"`. */
  readonly model?: string
  /**
   * Pause between SSE events of streamed replies (abort-aware: the stream stops when the client disconnects),
   * e.g. to test interrupting a stream midway. Default 0 (all events written at once).
   */
  readonly chunkDelayMs?: number
}

/** A running mock LLM server. */
export interface MockLlm {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:1234/v1` — use as ChatOpenAI `configuration.baseURL`. */
  readonly url: string
  /** Server origin without `/v1`, e.g. `http://127.0.0.1:1234` (control endpoints live at `${origin}/_mock/...`). */
  readonly origin: string
  readonly port: number
  /** Model name the mock reports. */
  readonly model: string
  /** Every request received so far (live array, oldest first). */
  readonly requests: readonly RecordedRequest[]
  /** The chat-completions requests only. */
  readonly chatRequests: readonly RecordedRequest[]
  /** Requests currently being answered. */
  readonly inFlight: number
  /** The maximum number of concurrently in-flight requests seen since start/reset. */
  readonly maxInFlight: number
  /** Number of scripted replies not yet consumed. */
  readonly queued: number
  /** Appends replies to the script queue. */
  enqueue(...replies: Reply[]): void
  /** Replaces the reply used when the queue is empty. */
  setDefault(reply: Reply): void
  /** Clears the queue, recorded requests and max-in-flight, and restores the default reply from the options. */
  reset(): void
  /**
   * Resolves once `count` requests (matching `predicate`, default: chat requests) have been received.
   * Rejects after `timeoutMs` (default 5000).
   */
  waitForRequests(
    count: number,
    options?: { readonly predicate?: (r: RecordedRequest) => boolean; readonly timeoutMs?: number }
  ): Promise<RecordedRequest[]>
  /** Stops the server, dropping open connections (in-flight requests are recorded as aborted). Idempotent. */
  close(): Promise<void>
}

const sleep = (ms: number, signal: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort)
      resolve(true)
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener("abort", onAbort, { once: true })
  })

const estimateTokens = (chars: number): number => Math.max(1, Math.ceil(chars / 4))

const REDACTED_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "api-key"])

const recordHeaders = (req: IncomingMessage): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    const key = name.toLowerCase()
    out[key] = REDACTED_HEADERS.has(key) ? "REDACTED" : Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
    req.on("error", reject)
  })

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

const asChatRequest = (body: unknown): ChatRequest | undefined =>
  isRecord(body) && Array.isArray(body["messages"]) ? (body as ChatRequest) : undefined

const errorInfo = (status: number): { type: string; code: string; message: string } => {
  switch (status) {
    case 400:
      return { type: "invalid_request_error", code: "invalid_request", message: "Invalid request (mock)." }
    case 401:
      return { type: "invalid_request_error", code: "invalid_api_key", message: "Incorrect API key provided (mock)." }
    case 403:
      return { type: "permission_error", code: "permission_denied", message: "Permission denied (mock)." }
    case 404:
      return { type: "invalid_request_error", code: "model_not_found", message: "The model does not exist (mock)." }
    case 429:
      return { type: "requests", code: "rate_limit_exceeded", message: "Rate limit reached (mock)." }
    case 502:
      return { type: "server_error", code: "bad_gateway", message: "Bad gateway (mock)." }
    case 503:
      return { type: "server_error", code: "service_unavailable", message: "Service unavailable (mock)." }
    default:
      return { type: "server_error", code: "server_error", message: "The server had an error (mock)." }
  }
}

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers
  })
  res.end(text)
}

/** A resolved, terminal reply (no functions, delays, echo or auto-agent wrappers left). */
type Terminal =
  | { kind: "content"; content: string; json?: true }
  | { kind: "toolCalls"; toolCalls: readonly ToolCallSpec[]; content: string | undefined; json?: true }
  | { kind: "status"; status: number; retryAfterSeconds: number | undefined; body: unknown }
  | { kind: "hang" }
  | { kind: "malformed" }
  | { kind: "reset" }

const toolNameFromTool = (tool: ChatTool): string => tool.function.name

const autoAgentTerminal = (request: ChatRequest, options: AutoAgentOptions): Terminal => {
  const forced = forcedFunction(request)
  if (forced !== undefined) {
    const args = sampleFromJsonSchema(forced.function.parameters ?? { type: "object" })
    return {
      kind: "toolCalls",
      toolCalls: [{ name: forced.function.name, arguments: isRecord(args) ? args : {} }],
      content: undefined
    }
  }
  const schema = responseJsonSchema(request)
  if (schema !== undefined) return { kind: "content", content: JSON.stringify(sampleFromJsonSchema(schema)) }

  const wanted = options.toolRounds ?? 1
  const done = toolRounds(request)
  const avoid = new Set(options.avoidTools ?? [])
  const offered = (request.tools ?? []).filter((t) => !avoid.has(toolNameFromTool(t)))
  // Structured-output tools (e.g. langchain `createAgent`'s `extract-N`) end the loop: call them only at the end.
  const extractors = offered.filter((t) => STRUCTURED_TOOL_NAME.test(toolNameFromTool(t)))
  const tools = offered.filter((t) => !STRUCTURED_TOOL_NAME.test(toolNameFromTool(t)))
  const sampleCall = (tool: ChatTool): ToolCallSpec => {
    const args = sampleFromJsonSchema(tool.function.parameters ?? { type: "object" })
    return { name: tool.function.name, arguments: isRecord(args) ? args : {} }
  }
  if (request.tool_choice === "none") {
    return { kind: "content", content: options.finalText ?? `Auto agent final answer after ${done} tool rounds.` }
  }
  if (tools.length > 0 && done < wanted) {
    const perRound = Math.max(1, options.callsPerRound ?? 1)
    const calls: ToolCallSpec[] = []
    for (let i = 0; i < perRound; i++) {
      const tool = tools[(done * perRound + i) % tools.length]
      if (tool !== undefined) calls.push(sampleCall(tool))
    }
    return { kind: "toolCalls", toolCalls: calls, content: undefined }
  }
  const finisher = extractors[0] ?? (request.tool_choice === "required" ? offered.at(-1) : undefined)
  if (finisher !== undefined) return { kind: "toolCalls", toolCalls: [sampleCall(finisher)], content: undefined }
  return { kind: "content", content: options.finalText ?? `Auto agent final answer after ${done} tool rounds.` }
}

/** Tool names treated as structured-output tools by the auto agent (called once, after the tool rounds). */
const STRUCTURED_TOOL_NAME = /^extract-\d+$/

/**
 * Starts an OpenAI-compatible mock LLM on 127.0.0.1.
 *
 * @example
 * const llm = await startMockLlm({ script: [{ toolCalls: [{ name: "get_pod_status", arguments: { namespace: "default", name: "web" } }] }, { content: "done" }] })
 * const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "test", maxRetries: 0, configuration: { baseURL: llm.url } })
 * // ...
 * await llm.close()
 */
export const startMockLlm = async (options: MockLlmOptions = {}): Promise<MockLlm> => {
  const model = options.model ?? "mock-llm"
  const baseLatency = options.latencyMs ?? 0
  const chunkDelayMs = options.chunkDelayMs ?? 0
  const initialDefault: Reply = options.defaultReply ?? echo()
  let defaultReply: Reply = initialDefault
  let queue: Reply[] = [...(options.script ?? [])]
  const requests: RecordedRequest[] = []
  let seq = 0
  let callSeq = 0
  let inFlight = 0
  let maxInFlight = 0
  let closed = false
  const waiters = new Set<() => void>()
  const notify = (): void => {
    for (const w of [...waiters]) w()
  }

  const created = (): number => Math.floor(Date.now() / 1000)

  const resolveReply = async (
    first: Reply,
    request: ChatRequest,
    signal: AbortSignal
  ): Promise<Terminal | undefined> => {
    let reply: Reply = first
    let delay = baseLatency
    for (let guard = 0; guard < 100; guard++) {
      if (typeof reply === "function") {
        reply = reply(request)
        continue
      }
      if ("delayMs" in reply) {
        delay += reply.delayMs
        reply = reply.then
        continue
      }
      let terminal: Terminal
      if ("autoAgent" in reply) {
        delay += reply.autoAgent.latencyMs ?? 0
        terminal = autoAgentTerminal(request, reply.autoAgent)
      } else if ("echo" in reply) {
        terminal = { kind: "content", content: `${reply.prefix ?? "echo: "}${lastUserText(request)}` }
      } else if ("toolCalls" in reply) {
        terminal = { kind: "toolCalls", toolCalls: reply.toolCalls, content: reply.content }
      } else if ("content" in reply) {
        terminal = { kind: "content", content: reply.content }
      } else if ("json" in reply) {
        const forced = forcedFunction(request)
        terminal =
          forced !== undefined
            ? {
                kind: "toolCalls",
                toolCalls: [{ name: forced.function.name, arguments: isRecord(reply.json) ? reply.json : {} }],
                content: undefined,
                json: true
              }
            : { kind: "content", content: JSON.stringify(reply.json), json: true }
      } else if ("status" in reply) {
        terminal = {
          kind: "status",
          status: reply.status,
          retryAfterSeconds: reply.retryAfterSeconds,
          body: reply.body
        }
      } else if ("hang" in reply) {
        terminal = { kind: "hang" }
      } else if ("malformed" in reply) {
        terminal = { kind: "malformed" }
      } else {
        terminal = { kind: "reset" }
      }
      if (delay > 0 && terminal.kind !== "hang") {
        const completed = await sleep(delay, signal)
        if (!completed) return undefined
      }
      return terminal
    }
    throw new Error("mock-llm: reply functions nested too deeply")
  }

  const writeChatResponse = async (
    res: ServerResponse,
    record: RecordedRequest,
    request: ChatRequest,
    terminal: Terminal,
    signal: AbortSignal
  ): Promise<void> => {
    const id = `chatcmpl-mock-${record.seq}`
    const promptChars = JSON.stringify(request.messages).length + JSON.stringify(request.tools ?? []).length

    switch (terminal.kind) {
      case "reset":
        record.replyKind = "reset"
        res.socket?.destroy()
        return
      case "hang":
        record.replyKind = "hang"
        return
      case "status": {
        record.replyKind = "status"
        record.status = terminal.status
        const headers: Record<string, string> = {}
        if (terminal.retryAfterSeconds !== undefined) headers["retry-after"] = String(terminal.retryAfterSeconds)
        if (terminal.body !== undefined) {
          const text = typeof terminal.body === "string" ? terminal.body : JSON.stringify(terminal.body)
          res.writeHead(terminal.status, {
            "content-type": typeof terminal.body === "string" ? "text/plain" : "application/json",
            "content-length": String(Buffer.byteLength(text)),
            ...headers
          })
          res.end(text)
        } else {
          const info = errorInfo(terminal.status)
          sendJson(res, terminal.status, { error: { ...info, param: null } }, headers)
        }
        return
      }
      case "malformed":
        record.replyKind = "malformed"
        record.status = 200
        if (request.stream === true) {
          res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" })
          res.end(`data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content\n\n`)
        } else {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(`{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",`)
        }
        return
      case "content":
      case "toolCalls":
        break
    }

    const toolCalls = terminal.kind === "toolCalls" ? terminal.toolCalls : []
    const content = terminal.content
    const wireToolCalls = toolCalls.map((c) => ({
      id: c.id ?? `call_${++callSeq}`,
      type: "function" as const,
      function: { name: c.name, arguments: JSON.stringify(c.arguments) }
    }))
    const completionChars =
      (content ?? "").length +
      wireToolCalls.reduce((n, c) => n + c.function.name.length + c.function.arguments.length, 0)
    const usage = {
      prompt_tokens: estimateTokens(promptChars),
      completion_tokens: estimateTokens(completionChars),
      total_tokens: estimateTokens(promptChars) + estimateTokens(completionChars)
    }
    const finishReason = wireToolCalls.length > 0 ? "tool_calls" : "stop"
    record.replyKind = terminal.json === true ? "json" : terminal.kind
    record.status = 200

    if (request.stream !== true) {
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created: created(),
        model: request.model ?? model,
        system_fingerprint: null,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: content ?? null,
              refusal: null,
              ...(wireToolCalls.length > 0 ? { tool_calls: wireToolCalls } : {})
            },
            logprobs: null,
            finish_reason: finishReason
          }
        ],
        usage
      })
      return
    }

    const includeUsage = request.stream_options?.include_usage === true
    const base = {
      id,
      object: "chat.completion.chunk",
      created: created(),
      model: request.model ?? model,
      system_fingerprint: null
    }
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({
        ...base,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
        ...(includeUsage ? { usage: null } : {})
      })}\n\n`
    const parts: string[] = [chunk({ role: "assistant", content: "", refusal: null }, null)]
    for (const piece of splitText(content ?? "")) parts.push(chunk({ content: piece }, null))
    wireToolCalls.forEach((call, index) => {
      parts.push(
        chunk(
          {
            tool_calls: [
              { index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }
            ]
          },
          null
        )
      )
      for (const piece of splitChunks(call.function.arguments, 12)) {
        parts.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null))
      }
    })
    parts.push(chunk({}, finishReason))
    if (includeUsage) parts.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`)
    parts.push("data: [DONE]\n\n")
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" })
    if (chunkDelayMs <= 0) {
      for (const p of parts) res.write(p)
      res.end()
      return
    }
    await writeSlowly(res, parts, chunkDelayMs, signal)
  }

  const handleControl = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const method = req.method ?? "GET"
    if (method === "GET" && path === "/_mock/requests") {
      sendJson(res, 200, { requests, inFlight, maxInFlight, queued: queue.length })
      return
    }
    if (method === "POST" && path === "/_mock/reset") {
      api.reset()
      sendJson(res, 200, { ok: true })
      return
    }
    if (method === "POST" && (path === "/_mock/script" || path === "/_mock/default")) {
      const parsed = parseJson(await readBody(req))
      if (!parsed.ok) {
        sendJson(res, 400, { error: "body is not JSON" })
        return
      }
      if (path === "/_mock/default") {
        if (!isStaticReply(parsed.value)) {
          sendJson(res, 400, { error: "body is not a valid reply" })
          return
        }
        defaultReply = parsed.value
        sendJson(res, 200, { ok: true })
        return
      }
      const replies: unknown[] = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
      const invalid = replies.findIndex((r) => !isStaticReply(r))
      if (invalid >= 0) {
        sendJson(res, 400, { error: `reply #${invalid} is not a valid reply` })
        return
      }
      queue.push(...replies.filter(isStaticReply))
      sendJson(res, 200, { ok: true, queued: queue.length })
      return
    }
    sendJson(res, 404, { error: `unknown control endpoint ${method} ${path}` })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET"
    const path = (req.url ?? "/").split("?")[0] ?? "/"
    if (path.startsWith("/_mock/")) return handleControl(req, res, path)

    const text = await readBody(req)
    const parsed = text.length === 0 ? { ok: true as const, value: undefined } : parseJson(text)
    const body: unknown = parsed.ok ? parsed.value : text
    const isChat = method === "POST" && (path === "/v1/chat/completions" || path === "/chat/completions")
    const chat = isChat ? asChatRequest(body) : undefined
    const record: RecordedRequest = {
      seq: ++seq,
      method,
      path,
      headers: recordHeaders(req),
      body,
      chat,
      receivedAt: Date.now(),
      finishedAt: undefined,
      status: undefined,
      replyKind: undefined,
      aborted: false
    }
    requests.push(record)
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    const controller = new AbortController()
    let settled = false
    const settle = (): void => {
      if (settled) return
      settled = true
      inFlight--
      record.finishedAt = Date.now()
    }
    res.on("close", () => {
      if (!res.writableFinished && record.replyKind !== "reset") {
        record.aborted = true
        controller.abort()
      }
      settle()
    })
    res.on("finish", settle)
    notify()

    if (method === "GET" && (path === "/v1/models" || path === "/models")) {
      record.status = 200
      sendJson(res, 200, {
        object: "list",
        data: [{ id: model, object: "model", created: 1_700_000_000, owned_by: "sre-testkit" }]
      })
      return
    }
    if (!isChat) {
      record.status = 404
      sendJson(res, 404, {
        error: {
          message: `Unknown route ${method} ${path} (mock)`,
          type: "invalid_request_error",
          param: null,
          code: null
        }
      })
      return
    }
    if (chat === undefined) {
      record.status = 400
      record.replyKind = "invalid"
      sendJson(res, 400, {
        error: {
          message: "Invalid body: expected JSON with a messages array (mock).",
          type: "invalid_request_error",
          param: "messages",
          code: null
        }
      })
      return
    }
    const next = queue.shift() ?? defaultReply
    const terminal = await resolveReply(next, chat, controller.signal)
    if (terminal === undefined || controller.signal.aborted) return
    await writeChatResponse(res, record, chat, terminal, controller.signal)
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          error: { message: `mock-llm internal error: ${String(error)}`, type: "server_error", param: null, code: null }
        })
      } else {
        res.destroy()
      }
    })
  })
  server.keepAliveTimeout = 1_000

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`

  const api: MockLlm = {
    url: `${origin}/v1`,
    origin,
    port,
    model,
    requests,
    get chatRequests() {
      return requests.filter((r) => r.chat !== undefined)
    },
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    get queued() {
      return queue.length
    },
    enqueue: (...replies) => {
      queue.push(...replies)
    },
    setDefault: (reply) => {
      defaultReply = reply
    },
    reset: () => {
      queue = []
      requests.length = 0
      maxInFlight = inFlight
      defaultReply = initialDefault
    },
    waitForRequests: (count, waitOptions = {}) => {
      const predicate = waitOptions.predicate ?? ((r: RecordedRequest) => r.chat !== undefined)
      const timeoutMs = waitOptions.timeoutMs ?? 5_000
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const matching = requests.filter(predicate)
          if (matching.length < count) return false
          cleanup()
          resolve(matching)
          return true
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`mock-llm: timed out after ${timeoutMs} ms waiting for ${count} request(s)`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(listener)
        }
        const listener = (): void => {
          check()
        }
        waiters.add(listener)
        check()
      })
    },
    close: async () => {
      if (closed) return
      closed = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    }
  }
  return api
}

const writeSlowly = async (
  res: ServerResponse,
  parts: readonly string[],
  delayMs: number,
  signal: AbortSignal
): Promise<void> => {
  for (const [i, part] of parts.entries()) {
    if (i > 0 && !(await sleep(delayMs, signal))) return
    if (signal.aborted || res.destroyed) return
    res.write(part)
  }
  res.end()
}

const splitText = (text: string): string[] => text.match(/\s*\S+\s*|\s+/g) ?? []

const splitChunks = (text: string, size: number): string[] => {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out.length > 0 ? out : [""]
}

// ---------------------------------------------------------------------------------------------------------------
// CLI options
// ---------------------------------------------------------------------------------------------------------------

/**
 * Parses the `mock-llm-main.ts` command line: `[--port N] [--auto-rounds N] [--latency-ms N] [--chunk-delay-ms N]
 * [--model NAME]`. With `--auto-rounds` the default reply is {@link autoAgent}`({ toolRounds })`, else {@link echo}.
 * Throws on unknown flags or invalid numbers.
 */
export const mockLlmOptionsFromArgs = (argv: readonly string[]): MockLlmOptions => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string" },
      "auto-rounds": { type: "string" },
      "latency-ms": { type: "string" },
      "chunk-delay-ms": { type: "string" },
      model: { type: "string" }
    }
  })
  const num = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${raw}`)
    return n
  }
  const port = num("port", values.port)
  const autoRounds = num("auto-rounds", values["auto-rounds"])
  const latencyMs = num("latency-ms", values["latency-ms"])
  const chunkDelayMs = num("chunk-delay-ms", values["chunk-delay-ms"])
  return {
    ...(port !== undefined ? { port } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(chunkDelayMs !== undefined ? { chunkDelayMs } : {}),
    ...(values.model !== undefined ? { model: values.model } : {}),
    defaultReply: autoRounds !== undefined ? autoAgent({ toolRounds: autoRounds }) : echo()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Remote control (cross-process)
// ---------------------------------------------------------------------------------------------------------------

/** The JSON returned by `GET /_mock/requests`. */
export interface MockLlmRequestsSnapshot {
  readonly requests: readonly RecordedRequest[]
  readonly inFlight: number
  readonly maxInFlight: number
  readonly queued: number
}

/** A client for the `/_mock/*` control endpoints of a mock LLM running in another process. */
export interface MockLlmRemote {
  /** Appends JSON-serialisable replies to the script (`POST /_mock/script`). */
  enqueue(...replies: StaticReply[]): Promise<void>
  /** Sets the default reply (`POST /_mock/default`). */
  setDefault(reply: StaticReply): Promise<void>
  /** Fetches the recorded requests and counters (`GET /_mock/requests`). */
  requests(): Promise<MockLlmRequestsSnapshot>
  /** Resets queue, recordings and default (`POST /_mock/reset`). */
  reset(): Promise<void>
}

/**
 * Connects to the control endpoints of a mock LLM started elsewhere (e.g. by `mock-llm-main.ts`).
 * @param url the mock's base URL (with or without `/v1`)
 */
export const mockLlmRemote = (url: string): MockLlmRemote => {
  const origin = url.replace(/\/+$/, "").replace(/\/v1$/, "")
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${origin}${path}`, {
      method,
      ...(body !== undefined ? { body: JSON.stringify(body), headers: { "content-type": "application/json" } } : {})
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`mock-llm control ${method} ${path} failed: ${res.status} ${text}`)
    return JSON.parse(text)
  }
  return {
    enqueue: async (...replies) => {
      await call("POST", "/_mock/script", replies)
    },
    setDefault: async (reply) => {
      await call("POST", "/_mock/default", reply)
    },
    requests: async () => (await call("GET", "/_mock/requests")) as MockLlmRequestsSnapshot,
    reset: async () => {
      await call("POST", "/_mock/reset")
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Effect helpers
// ---------------------------------------------------------------------------------------------------------------

const toError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)))

/**
 * Effect helpers for the mock LLM.
 *
 * @example
 * it.scoped("answers", () => Effect.gen(function* () {
 *   const llm = yield* MockLlm.scoped({ script: [{ content: "hi" }] })
 *   // ... llm.url ...
 * }))
 */
export const MockLlm = {
  /** Same as {@link startMockLlm}. */
  start: startMockLlm,
  /** Starts a mock LLM for the lifetime of the current `Scope` (closed on scope exit). */
  scoped: (options: MockLlmOptions = {}): Effect.Effect<MockLlm, Error, Scope.Scope> =>
    Effect.acquireRelease(Effect.tryPromise({ try: () => startMockLlm(options), catch: toError }), (llm) =>
      Effect.promise(() => llm.close())
    )
}
