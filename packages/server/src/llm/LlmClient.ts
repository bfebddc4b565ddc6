/**
 * `LlmClient`: the one way the server talks to an LLM. An Effect service over `@langchain/openai`'s `ChatOpenAI`
 * (OpenAI-compatible chat completions) with:
 *
 * - interruption: every request gets the fiber's `AbortSignal`, so interrupting the caller aborts the HTTP request;
 * - a per-attempt timeout (`LLM_TIMEOUT`);
 * - one retry policy (ChatOpenAI's own is off: `maxRetries: 0`): exponential from 500 ms, jittered, at most
 *   `LLM_MAX_RETRIES` retries within `LLM_RETRY_BUDGET`, only for retryable failures (429, 5xx, network, timeout,
 *   malformed answers), waiting at least what `Retry-After` asks (giving up at once when that exceeds the budget);
 * - typed `LlmError`s whose messages say what to fix and never contain the key;
 * - one log line per call (model, attempts, duration, tokens) and token usage added to the caller's `UsageMeter`;
 * - a health check (`ok` with model and host, `disabled`, or `degraded` after consecutive failures) that never
 *   calls the LLM.
 */
import { recordLlmCall } from "../observability/metrics.js"
import { AIMessage as AIMessageClass, type AIMessage, type BaseMessage } from "@langchain/core/messages"
import { ChatOpenAI } from "@langchain/openai"
import { DependencyHealth, type LlmUsage } from "@sre/schema"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  FiberRef,
  JSONSchema,
  Layer,
  Option,
  Redacted,
  Ref,
  Schedule,
  Schema,
  type ConfigError
} from "effect"
import { HealthChecks } from "../health/HealthChecks.js"
import { registerSecret } from "../observability/redact.js"
import { LogRecord } from "../observability/logging.js"
import { callWithDeadline, retryAfterFailure } from "./deadline.js"
import { LlmConfig, type LlmSettings } from "./LlmConfig.js"
import { classifyLlmError, LlmError } from "./LlmError.js"

/** The typed failure of an LLM call (see `LlmError.ts`). */
export { LlmError, type LlmErrorKind } from "./LlmError.js"

// ---------------------------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------------------------

/** An OpenAI-style function tool definition (JSON schema parameters). */
export interface LlmToolDefinition {
  readonly type: "function"
  readonly function: {
    readonly name: string
    readonly description: string
    readonly parameters: Readonly<Record<string, unknown>>
  }
}

/** Which tool the model must (or must not) call. */
export type LlmToolChoice =
  "auto" | "none" | "required" | { readonly type: "function"; readonly function: { readonly name: string } }

/** Options of a chat call. */
export interface ChatOptions {
  readonly tools?: ReadonlyArray<LlmToolDefinition> | undefined
  readonly toolChoice?: LlmToolChoice | undefined
}

/** The answer of a chat call and the tokens it used. */
export interface ChatResult {
  readonly message: AIMessage
  readonly usage: LlmUsage
}

/** Options of a structured call. */
export interface StructuredOptions {
  /** A JSON schema to send instead of the one derived from the Effect Schema (the answer is still decoded). */
  readonly jsonSchema?: Readonly<Record<string, unknown>> | undefined
}

/** The LLM service. */
export interface LlmClientShape {
  /** Whether an LLM is configured (`LLM_BASE_URL` set); when false every call fails with kind `unavailable`. */
  readonly configured: boolean
  /** The model name (for logs and steps). */
  readonly model: string
  /** One chat completion, optionally offering tools. */
  readonly chat: (messages: ReadonlyArray<BaseMessage>, options?: ChatOptions) => Effect.Effect<ChatResult, LlmError>
  /**
   * A structured answer: `response_format: json_schema` (falling back to a forced function call when the server
   * rejects json_schema with a 400), decoded with `schema`. A non-conforming answer is a retryable `malformed`.
   */
  readonly structured: <A, I>(
    messages: ReadonlyArray<BaseMessage>,
    schema: Schema.Schema<A, I>,
    name: string,
    options?: StructuredOptions
  ) => Effect.Effect<A, LlmError>
}

/** What `withStructuredOutput(..., { includeRaw: true })` gives: the raw message and the parsed answer. */
interface StructuredRunnable {
  readonly invoke: (
    input: Array<BaseMessage>,
    options: { readonly signal: AbortSignal }
  ) => Promise<{ readonly raw: BaseMessage; readonly parsed: unknown }>
}

/** The LLM service tag. */
export class LlmClient extends Context.Tag("sre/LlmClient")<LlmClient, LlmClientShape>() {}

// ---------------------------------------------------------------------------------------------------------------
// Usage metering
// ---------------------------------------------------------------------------------------------------------------

/** Zero usage. */
export const emptyUsage: LlmUsage = { calls: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }

/** Adds two usages. */
export const addUsage = (a: LlmUsage, b: LlmUsage): LlmUsage => ({
  calls: a.calls + b.calls,
  prompt_tokens: a.prompt_tokens + b.prompt_tokens,
  completion_tokens: a.completion_tokens + b.completion_tokens,
  total_tokens: a.total_tokens + b.total_tokens
})

/** Sums the usage of every LLM call made while it is installed (see {@link withUsageMeter}). */
export interface UsageMeter {
  readonly add: (usage: LlmUsage) => Effect.Effect<void>
  readonly get: Effect.Effect<LlmUsage>
}

/** Makes an empty meter. */
export const makeUsageMeter: Effect.Effect<UsageMeter> = Effect.map(Ref.make(emptyUsage), (ref) => ({
  add: (usage) => Ref.update(ref, (u) => addUsage(u, usage)),
  get: Ref.get(ref)
}))

/** The meter of the current fiber (inherited by forked fibers and captured runtimes). */
export const currentUsageMeter: FiberRef.FiberRef<Option.Option<UsageMeter>> = FiberRef.unsafeMake(
  Option.none<UsageMeter>()
)

/** Runs `self` so that every LLM call inside it adds its tokens to `meter`. */
export const withUsageMeter =
  (meter: UsageMeter) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentUsageMeter, Option.some(meter))

const recordUsage = (usage: LlmUsage): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(currentUsageMeter), (meter) =>
    Option.isSome(meter) ? meter.value.add(usage) : Effect.void
  )

const Tokens = Schema.optional(Schema.Int.pipe(Schema.nonNegative()))
const UsageMetadata = Schema.Struct({ input_tokens: Tokens, output_tokens: Tokens, total_tokens: Tokens })

/** The usage reported on an AI message (one call; zero tokens when the server reported none). */
export const usageOf = (message: BaseMessage): LlmUsage => {
  const meta = Option.getOrUndefined(Schema.decodeUnknownOption(UsageMetadata)(Reflect.get(message, "usage_metadata")))
  const input = meta?.input_tokens ?? 0
  const output = meta?.output_tokens ?? 0
  return {
    calls: 1,
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: meta?.total_tokens ?? input + output
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------------------------

/**
 * The retry policy of one call started at `startedAt`: exponential from `retryBaseDelay`, jittered, at most
 * `maxRetries` retries, each delay at least the server's `Retry-After` and never past the budget (when the server
 * asks for more than what is left, the call gives up at once).
 */
export const retrySchedule = (
  settings: Pick<LlmSettings, "retryBaseDelay" | "maxRetries" | "retryBudget">,
  startedAt: number
): Schedule.Schedule<unknown, LlmError> => {
  const deadline = startedAt + Duration.toMillis(settings.retryBudget)
  return Schedule.exponential(settings.retryBaseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(settings.maxRetries)),
    Schedule.intersect(Schedule.identity<LlmError>()),
    Schedule.checkEffect((error: LlmError) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const left = deadline - now
        return error.retryable && left > 0 && (error.retryAfterMs ?? 0) <= left
      })
    ),
    Schedule.modifyDelayEffect(([, error], delay) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        Duration.millis(
          Math.max(0, Math.min(Math.max(Duration.toMillis(delay), error.retryAfterMs ?? 0), deadline - now))
        )
      )
    ),
    Schedule.map(() => undefined)
  )
}

// ---------------------------------------------------------------------------------------------------------------
// Live implementation
// ---------------------------------------------------------------------------------------------------------------

/** Consecutive failed calls after which the health check reports `degraded`. */
export const DEGRADED_AFTER_FAILURES = 3

const hostOf = (url: string): string => (URL.canParse(url) ? new URL(url).host : "?")

/** A JSON schema of an Effect Schema for `response_format` (no `$schema`, objects closed when not stated). */
export const jsonSchemaOf = <A, I>(schema: Schema.Schema<A, I>): Record<string, unknown> => {
  const { $schema: _ignored, ...rest } = JSONSchema.make(schema)
  return { ...rest }
}

const notConfigured = new LlmError({
  kind: "unavailable",
  retryable: false,
  message: "no LLM is configured: set LLM_BASE_URL (and LLM_API_KEY, LLM_MODEL) to enable the LLM agent"
})

/** A client whose calls all fail with kind `unavailable` (LLM not configured). */
export const unconfiguredClient = (model: string): LlmClientShape => ({
  configured: false,
  model,
  chat: () => Effect.fail(notConfigured),
  structured: () => Effect.fail(notConfigured)
})

/** Builds the live client for settings; with no base URL, an unconfigured client. */
export const make = (
  settings: LlmSettings
): Effect.Effect<{ readonly client: LlmClientShape; readonly health: Effect.Effect<DependencyHealth> }> =>
  Effect.gen(function* () {
    const baseUrl = settings.baseUrl
    if (baseUrl === undefined) {
      return {
        client: unconfiguredClient(settings.model),
        health: Effect.succeed(
          DependencyHealth.make({
            name: "llm",
            kind: "llm",
            status: "disabled",
            detail: "LLM_BASE_URL is not set: investigations use the deterministic analyzers only"
          })
        )
      }
    }
    const apiKey = settings.apiKey !== undefined ? Redacted.value(settings.apiKey) : "not-needed"
    if (settings.apiKey !== undefined) registerSecret(apiKey)
    const model = new ChatOpenAI({
      model: settings.model,
      apiKey,
      temperature: settings.temperature,
      maxRetries: 0,
      configuration: { baseURL: baseUrl }
    })
    // health bookkeeping: plain locals of this client (read by `health`, written once per call)
    let failures = 0
    let lastError: string | undefined
    let jsonSchemaRejected = false

    const timeoutMs = Duration.toMillis(settings.timeout)
    const timeoutError = () =>
      new LlmError({
        kind: "timeout",
        retryable: true,
        message: `the LLM did not answer within ${Duration.format(settings.timeout)} (LLM_TIMEOUT)`
      })

    /** One attempt, aborted after `LLM_TIMEOUT` (see {@link callWithDeadline}). */
    const attemptOnce = <R>(attempt: (signal: AbortSignal) => Promise<R>): Effect.Effect<R, LlmError> =>
      callWithDeadline(timeoutMs, attempt, (e, timedOut) =>
        timedOut ? timeoutError() : classifyLlmError(e, { model: settings.model, now: Date.now() })
      )

    /** Runs one logical call: attempts with timeout, retries, logging, health bookkeeping and metering. */
    const run = <R, A>(
      operation: string,
      attempt: (signal: AbortSignal) => Promise<R>,
      check: (raw: R) => Either.Either<{ readonly value: A; readonly usage: LlmUsage }, LlmError>
    ): Effect.Effect<A, LlmError> =>
      Effect.clockWith((clock) => {
        // per-call bookkeeping in plain locals: this runs once per model call (time from the Effect clock, like the
        // retry schedule's budget)
        const startedAt = clock.unsafeCurrentTimeMillis()
        let attempts = 0
        const once = Effect.suspend(() => {
          attempts += 1
          return Effect.flatMap(attemptOnce(attempt), check)
        }).pipe(
          Effect.tapError((e) =>
            e.retryable ? Effect.logDebug(`llm: ${operation} attempt failed (${e.kind}): ${e.message}`) : Effect.void
          )
        )
        return retryAfterFailure(once, (replayed) => Effect.retry(replayed, retrySchedule(settings, startedAt))).pipe(
          Effect.matchEffect({
            onSuccess: (r) => {
              const ms = clock.unsafeCurrentTimeMillis() - startedAt
              failures = 0
              return Effect.zipRight(
                Effect.zipRight(
                  recordUsage(r.usage),
                  recordLlmCall({
                    model: settings.model,
                    outcome: "success",
                    durationMs: ms,
                    attempts,
                    promptTokens: r.usage.prompt_tokens,
                    completionTokens: r.usage.completion_tokens
                  })
                ),
                // one line per model call at debug: the call is also a persisted step and a metric sample
                Effect.as(
                  Effect.logDebug(
                    new LogRecord(`llm: ${operation} completed`, {
                      model: settings.model,
                      attempts,
                      duration_ms: ms,
                      prompt_tokens: r.usage.prompt_tokens,
                      completion_tokens: r.usage.completion_tokens,
                      total_tokens: r.usage.total_tokens
                    })
                  ),
                  r.value
                )
              )
            },
            onFailure: (e) => {
              const n = attempts
              const ms = clock.unsafeCurrentTimeMillis() - startedAt
              const message =
                e.retryable && n > 1 ? `${e.message} (gave up after ${n} attempts in ${ms} ms)` : e.message
              failures += 1
              lastError = `${e.kind}: ${e.message}`
              return Effect.zipRight(
                Effect.zipRight(
                  recordLlmCall({
                    model: settings.model,
                    outcome: e.kind,
                    durationMs: ms,
                    attempts: n,
                    promptTokens: 0,
                    completionTokens: 0
                  }),
                  Effect.logWarning(`llm: ${operation} failed: ${message}`).pipe(
                    Effect.annotateLogs({
                      model: settings.model,
                      attempts: n,
                      duration_ms: ms,
                      kind: e.kind,
                      ...(e.status !== undefined ? { status: e.status } : {})
                    })
                  )
                ),
                Effect.fail(
                  new LlmError({
                    kind: e.kind,
                    retryable: e.retryable,
                    message,
                    status: e.status,
                    retryAfterMs: e.retryAfterMs,
                    attempts: n
                  })
                )
              )
            }
          })
        )
      }).pipe(
        Effect.withSpan(`LlmClient.${operation}`, { attributes: { model: settings.model }, captureStackTrace: false })
      )

    const chat: LlmClientShape["chat"] = (messages, options = {}) => {
      const tools = options.tools?.map((t) => ({
        type: "function" as const,
        function: {
          name: t.function.name,
          description: t.function.description,
          parameters: { ...t.function.parameters }
        }
      }))
      const choice = options.toolChoice
      return Effect.map(
        run<AIMessage, AIMessage>(
          "chat",
          (signal) =>
            model.invoke([...messages], {
              signal,
              ...(tools !== undefined && tools.length > 0 ? { tools } : {}),
              ...(choice !== undefined && tools !== undefined && tools.length > 0
                ? {
                    tool_choice:
                      typeof choice === "string"
                        ? choice
                        : { type: "function", function: { name: choice.function.name } }
                  }
                : {})
            }),
          (message) => Either.right({ value: message, usage: usageOf(message) })
        ),
        (message) => ({ message, usage: usageOf(message) })
      )
    }

    /**
     * The structured-output runnables, built once per (JSON schema, method, name) instead of once per call:
     * `withStructuredOutput` assembles a runnable sequence and its output parser (the baseline builds its own once).
     * Keyed by the caller's schema object, so constant schemas (the agent's) hit the cache.
     */
    const structuredRunnables = new WeakMap<object, Map<string, StructuredRunnable>>()
    const structuredRunnable = (
      key: object,
      jsonSchema: () => Record<string, unknown>,
      method: "jsonSchema" | "functionCalling",
      name: string
    ): StructuredRunnable => {
      let byName = structuredRunnables.get(key)
      if (byName === undefined) {
        byName = new Map()
        structuredRunnables.set(key, byName)
      }
      const id = `${method}\u0000${name}`
      const cached = byName.get(id)
      if (cached !== undefined) return cached
      const built: StructuredRunnable = model.withStructuredOutput(jsonSchema(), { method, name, includeRaw: true })
      byName.set(id, built)
      return built
    }

    const structured: LlmClientShape["structured"] = <A, I>(
      messages: ReadonlyArray<BaseMessage>,
      schema: Schema.Schema<A, I>,
      name: string,
      options: StructuredOptions = {}
    ) => {
      const given = options.jsonSchema
      const jsonSchema = () => (given !== undefined ? { ...given } : jsonSchemaOf(schema))
      const decode = Schema.decodeUnknownEither(schema)
      const callWith = (method: "jsonSchema" | "functionCalling"): Effect.Effect<A, LlmError> => {
        const runnable = structuredRunnable(given ?? schema, jsonSchema, method, name)
        return run(
          `structured(${name}, ${method})`,
          (signal) => runnable.invoke([...messages], { signal }),
          (out) =>
            Either.match(decode(out.parsed), {
              onLeft: (issue) =>
                Either.left(
                  new LlmError({
                    kind: "malformed",
                    retryable: true,
                    message: `the LLM's ${name} answer does not match its schema: ${issue.message.slice(0, 300)}`
                  })
                ),
              onRight: (value) => Either.right({ value, usage: usageOf(out.raw) })
            })
        )
      }
      return Effect.suspend(() =>
        jsonSchemaRejected
          ? callWith("functionCalling")
          : callWith("jsonSchema").pipe(
              Effect.catchIf(
                (e) => e.kind === "bad_request",
                (e) =>
                  Effect.logWarning(
                    `llm: the server rejected response_format json_schema (${e.message}); trying function calling for structured output`
                  ).pipe(
                    Effect.zipRight(callWith("functionCalling")),
                    // only a server that accepts function calling but not json_schema is switched for good
                    Effect.tap(() =>
                      Effect.sync(() => {
                        jsonSchemaRejected = true
                      })
                    )
                  )
              )
            )
      )
    }

    const health: Effect.Effect<DependencyHealth> = Effect.sync(() => {
      const base = { name: "llm", kind: "llm" }
      const where = `model ${settings.model} at ${hostOf(baseUrl)}`
      if (failures >= DEGRADED_AFTER_FAILURES) {
        const last = lastError ?? "unknown"
        return DependencyHealth.make({
          ...base,
          status: "degraded",
          detail: `${where}: the last ${failures} calls failed (${last.slice(0, 200)})`
        })
      }
      return DependencyHealth.make({ ...base, status: "ok", detail: where })
    })

    return { client: { configured: true, model: settings.model, chat, structured }, health }
  })

/** The live layer for given settings (tests); registers the health check. */
export const layerFromSettings = (settings: LlmSettings): Layer.Layer<LlmClient, never, HealthChecks> =>
  Layer.effect(
    LlmClient,
    Effect.gen(function* () {
      const { client, health } = yield* make(settings)
      const checks = yield* HealthChecks
      yield* checks.register(Effect.map(health, (h) => [h]))
      if (client.configured) {
        yield* Effect.logInfo(`llm: using model ${settings.model} at ${hostOf(settings.baseUrl ?? "")}`)
      }
      return client
    })
  )

/** The live layer: reads `LlmConfig` from the environment; with `LLM_BASE_URL` unset the client is unconfigured. */
export const layer: Layer.Layer<LlmClient, ConfigError.ConfigError, HealthChecks> = Layer.unwrapEffect(
  Effect.map(LlmConfig, layerFromSettings)
)

// ---------------------------------------------------------------------------------------------------------------
// Test layer
// ---------------------------------------------------------------------------------------------------------------

/** A request seen by the scripted client. */
export interface ScriptedRequest {
  readonly operation: "chat" | "structured"
  readonly messages: ReadonlyArray<BaseMessage>
  /** Names of the tools offered (chat). */
  readonly tools: ReadonlyArray<string>
  /** The structured-output name (structured). */
  readonly name?: string | undefined
}

/** One scripted answer of {@link layerTest}. */
export type ScriptedReply =
  | { readonly content: string }
  | {
      readonly toolCalls: ReadonlyArray<{
        readonly name: string
        readonly args: Readonly<Record<string, unknown>>
        readonly id?: string
      }>
      readonly content?: string
    }
  /** A structured answer (decoded with the caller's schema); as chat content, its JSON. */
  | { readonly json: unknown }
  | { readonly error: LlmError }
  | ScriptedReplyFn

/** A reply chosen from the request. */
export type ScriptedReplyFn = (request: ScriptedRequest) => ScriptedReply

/** Usage the scripted client reports for every call. */
export const SCRIPTED_USAGE: LlmUsage = { calls: 1, prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }

/**
 * A scripted client (no sockets): each call takes the next reply; when the script is exhausted chat answers
 * `"done"` and structured calls fail `malformed`. Requests are recorded in `requests`.
 */
export const makeTest = (
  script: ReadonlyArray<ScriptedReply>
): Effect.Effect<{ readonly client: LlmClientShape; readonly requests: ReadonlyArray<ScriptedRequest> }> =>
  Effect.sync(() => {
    const queue = [...script]
    const requests: Array<ScriptedRequest> = []
    let seq = 0
    const next = (request: ScriptedRequest): Exclude<ScriptedReply, ScriptedReplyFn> | undefined => {
      requests.push(request)
      let reply = queue.shift()
      while (typeof reply === "function") reply = reply(request)
      return reply
    }
    const chat: LlmClientShape["chat"] = (messages, options = {}) =>
      Effect.suspend(() => {
        const reply = next({
          operation: "chat",
          messages,
          tools: (options.tools ?? []).map((t) => t.function.name)
        }) ?? { content: "done" }
        if ("error" in reply) return Effect.fail(reply.error)
        const message =
          "toolCalls" in reply
            ? new AIMessageClass({
                content: reply.content ?? "",
                tool_calls: reply.toolCalls.map((c) => ({
                  name: c.name,
                  args: { ...c.args },
                  id: c.id ?? `call_${++seq}`,
                  type: "tool_call" as const
                }))
              })
            : new AIMessageClass({ content: "content" in reply ? reply.content : JSON.stringify(reply.json) })
        return Effect.as(recordUsage(SCRIPTED_USAGE), { message, usage: SCRIPTED_USAGE })
      })
    const structured: LlmClientShape["structured"] = (messages, schema, name) =>
      Effect.suspend(() => {
        const reply = next({ operation: "structured", messages, tools: [], name })
        if (reply === undefined) {
          return Effect.fail(
            new LlmError({ kind: "malformed", retryable: true, message: `no scripted reply for ${name}` })
          )
        }
        if ("error" in reply) return Effect.fail(reply.error)
        const raw = "json" in reply ? reply.json : "content" in reply ? safeJson(reply.content) : undefined
        return Schema.decodeUnknown(schema)(raw).pipe(
          Effect.mapError(
            (e) => new LlmError({ kind: "malformed", retryable: true, message: `scripted ${name}: ${e.message}` })
          ),
          Effect.tap(() => recordUsage(SCRIPTED_USAGE))
        )
      })
    return { client: { configured: true, model: "scripted", chat, structured }, requests }
  })

const safeJson = (text: string): unknown => Either.getOrUndefined(Either.try((): unknown => JSON.parse(text)))

/** A scripted `LlmClient` layer (see {@link makeTest}). */
export const layerTest = (script: ReadonlyArray<ScriptedReply>): Layer.Layer<LlmClient> =>
  Layer.effect(
    LlmClient,
    Effect.map(makeTest(script), (t) => t.client)
  )
