/**
 * LlmClient through the real path: `ChatOpenAI` → the testkit mock LLM over HTTP. Retries, Retry-After, typed
 * errors, structured output (with the function-calling fallback), interruption, metering, health and config.
 */
import { HumanMessage } from "@langchain/core/messages"
import { describe, expect, it } from "@effect/vitest"
import { forcedFunction, MockLlm, responseJsonSchema } from "@sre/testkit"
import { ConfigProvider, Duration, Effect, Either, Fiber, Layer, Schema, TestClock } from "effect"
import { HealthChecks, layerHealthChecks } from "../../src/health/HealthChecks.js"
import {
  LlmClient,
  LlmError,
  layer as llmLayer,
  layerFromSettings,
  layerTest,
  makeTest,
  makeUsageMeter,
  retrySchedule,
  withUsageMeter
} from "../../src/llm/LlmClient.js"
import { LlmConfig, type LlmSettings } from "../../src/llm/LlmConfig.js"
import { classifyLlmError, parseRetryAfter } from "../../src/llm/LlmError.js"
import { quiet, TEST_API_KEY, testLlmSettings } from "../agent/helpers.js"

const hi = [new HumanMessage("hello")]

/** Builds the live client (and health registry) for settings in the current scope. */
const client = (settings: LlmSettings) =>
  Effect.gen(function* () {
    const ctx = yield* Layer.build(layerFromSettings(settings).pipe(Layer.provideMerge(layerHealthChecks)))
    return { llm: yield* Effect.provide(LlmClient, ctx), health: yield* Effect.provide(HealthChecks, ctx) }
  })

describe("LlmClient (ChatOpenAI → mock LLM over HTTP)", () => {
  it.scopedLive("chat returns the message and its usage; the meter sums it", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ script: [{ content: "hi there" }] })
      const { llm, health } = yield* client(testLlmSettings(mock.url))
      const meter = yield* makeUsageMeter
      const result = yield* llm.chat(hi).pipe(withUsageMeter(meter), quiet)
      expect(result.message.content).toBe("hi there")
      expect(result.usage.calls).toBe(1)
      expect(result.usage.prompt_tokens).toBeGreaterThan(0)
      expect(yield* meter.get).toEqual(result.usage)
      expect(mock.chatRequests).toHaveLength(1)
      const h = yield* health.run
      expect(h[0]).toMatchObject({ name: "llm", status: "ok" })
      expect(h[0]?.detail).toContain("gpt-4o-mini")
      expect(h[0]?.detail).toContain(new URL(mock.url).host)
      expect(JSON.stringify(h)).not.toContain(TEST_API_KEY)
    })
  )

  it.scopedLive("429 twice with Retry-After: 1, then success: waits at least the asked time", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({
        script: [{ status: 429, retryAfterSeconds: 1 }, { status: 429, retryAfterSeconds: 1 }, { content: "ok" }]
      })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const started = Date.now()
      const result = yield* quiet(llm.chat(hi))
      expect(result.message.content).toBe("ok")
      expect(mock.chatRequests).toHaveLength(3)
      const [first, second, third] = mock.chatRequests
      expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950)
      expect(third!.receivedAt - second!.receivedAt).toBeGreaterThanOrEqual(950)
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900)
    })
  )

  it.scopedLive("a permanent 500 gives up after LLM_MAX_RETRIES retries with kind unavailable", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ defaultReply: { status: 500 } })
      const { llm, health } = yield* client(testLlmSettings(mock.url, { maxRetries: 2 }))
      const started = Date.now()
      const error = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(error).toBeInstanceOf(LlmError)
      expect(error).toMatchObject({ kind: "unavailable", status: 500, retryable: true, attempts: 3 })
      expect(error.message).toContain("gave up after 3 attempts")
      expect(mock.chatRequests).toHaveLength(3)
      // three failed calls in a row: degraded (without calling the LLM)
      yield* Effect.flip(quiet(llm.chat(hi)))
      yield* Effect.flip(quiet(llm.chat(hi)))
      const before = mock.chatRequests.length
      const h = yield* health.run
      expect(h[0]?.status).toBe("degraded")
      expect(mock.chatRequests.length).toBe(before)
    })
  )

  it.scopedLive("the retry budget bounds a permanent failure", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ defaultReply: { status: 503 } })
      const { llm } = yield* client(
        testLlmSettings(mock.url, {
          maxRetries: 20,
          retryBudget: Duration.millis(700),
          retryBaseDelay: Duration.millis(100)
        })
      )
      const started = Date.now()
      const error = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(error.kind).toBe("unavailable")
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(mock.chatRequests.length).toBeLessThan(10)
    })
  )

  it.scopedLive("a Retry-After longer than the budget gives up at once", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ defaultReply: { status: 429, retryAfterSeconds: 30 } })
      const { llm } = yield* client(testLlmSettings(mock.url, { retryBudget: Duration.seconds(2) }))
      const started = Date.now()
      const error = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(error).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 30_000 })
      expect(mock.chatRequests).toHaveLength(1)
      expect(Date.now() - started).toBeLessThan(1_500)
    })
  )

  it.scopedLive("401 fails at once, naming LLM_API_KEY and never the key", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({
        defaultReply: {
          status: 401,
          body: { error: { message: `Incorrect API key provided: ${TEST_API_KEY}`, type: "invalid_request_error" } }
        }
      })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const error = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(error).toMatchObject({ kind: "auth", status: 401, retryable: false })
      expect(error.message).toContain("LLM_API_KEY")
      expect(error.message).not.toContain(TEST_API_KEY)
      expect(mock.chatRequests).toHaveLength(1)
    })
  )

  it.scopedLive("404 names LLM_MODEL and LLM_BASE_URL; 403 is auth; 400 is bad_request; none retried", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ script: [{ status: 404 }, { status: 403 }, { status: 400 }] })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const notFound = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(notFound).toMatchObject({ kind: "not_found", status: 404 })
      expect(notFound.message).toContain("LLM_MODEL")
      expect(notFound.message).toContain("LLM_BASE_URL")
      expect((yield* Effect.flip(quiet(llm.chat(hi)))).kind).toBe("auth")
      expect((yield* Effect.flip(quiet(llm.chat(hi)))).kind).toBe("bad_request")
      expect(mock.chatRequests).toHaveLength(3)
    })
  )

  it.scopedLive("malformed bodies and connection resets are retried", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ script: [{ malformed: true }, { reset: true }, { content: "fine" }] })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const result = yield* quiet(llm.chat(hi))
      expect(result.message.content).toBe("fine")
      expect(mock.chatRequests).toHaveLength(3)
    })
  )

  it.scopedLive("a hanging server hits the per-attempt timeout, which is retried, then fails with kind timeout", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ defaultReply: { hang: true } })
      const { llm } = yield* client(testLlmSettings(mock.url, { timeout: Duration.millis(300), maxRetries: 1 }))
      const error = yield* Effect.flip(quiet(llm.chat(hi)))
      expect(error.kind).toBe("timeout")
      expect(error.message).toContain("LLM_TIMEOUT")
      expect(mock.chatRequests).toHaveLength(2)
      yield* Effect.sleep("100 millis")
      expect(mock.chatRequests.every((r) => r.aborted)).toBe(true)
    })
  )

  it.scopedLive("interrupting the caller aborts the in-flight HTTP request", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ defaultReply: { hang: true } })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const fiber = yield* Effect.fork(quiet(llm.chat(hi)))
      yield* Effect.promise(() => mock.waitForRequests(1))
      yield* Fiber.interrupt(fiber)
      yield* Effect.sleep("200 millis")
      expect(mock.chatRequests).toHaveLength(1)
      expect(mock.chatRequests[0]?.aborted).toBe(true)
      expect(mock.inFlight).toBe(0)
    })
  )

  it.scopedLive("offers tools and reads tool calls", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({
        script: [{ toolCalls: [{ name: "k8s__get_logs", arguments: { namespace: "shop", pod: "web-1" } }] }]
      })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const result = yield* quiet(
        llm.chat(hi, {
          tools: [
            {
              type: "function",
              function: {
                name: "k8s__get_logs",
                description: "logs",
                parameters: { type: "object", properties: { pod: { type: "string" } } }
              }
            }
          ]
        })
      )
      expect(result.message.tool_calls?.[0]).toMatchObject({ name: "k8s__get_logs", args: { pod: "web-1" } })
      expect(mock.chatRequests[0]?.chat?.tools?.[0]?.function.name).toBe("k8s__get_logs")
    })
  )
})

const Answer = Schema.Struct({ verdict: Schema.String, score: Schema.Number })

describe("LlmClient.structured", () => {
  it.scopedLive("uses response_format json_schema and decodes the answer", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({ script: [{ json: { verdict: "oom", score: 3 } }] })
      const { llm } = yield* client(testLlmSettings(mock.url))
      const meter = yield* makeUsageMeter
      const answer = yield* quiet(llm.structured(hi, Answer, "answer")).pipe(withUsageMeter(meter))
      expect(answer).toEqual({ verdict: "oom", score: 3 })
      expect(responseJsonSchema(mock.chatRequests[0]!.chat!)).toMatchObject({ type: "object" })
      expect((yield* meter.get).calls).toBe(1)
    })
  )

  it.scopedLive("falls back to function calling when json_schema is rejected with a 400, and remembers", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({
        script: [{ status: 400 }, { json: { verdict: "a", score: 1 } }, { json: { verdict: "b", score: 2 } }]
      })
      const { llm } = yield* client(testLlmSettings(mock.url))
      expect(yield* quiet(llm.structured(hi, Answer, "answer"))).toEqual({ verdict: "a", score: 1 })
      expect(yield* quiet(llm.structured(hi, Answer, "answer"))).toEqual({ verdict: "b", score: 2 })
      const [first, second, third] = mock.chatRequests
      expect(responseJsonSchema(first!.chat!)).toBeDefined()
      expect(forcedFunction(second!.chat!)?.function.name).toBe("answer")
      expect(forcedFunction(third!.chat!)?.function.name).toBe("answer")
    })
  )

  it.scopedLive("an answer that does not match the schema is retried as malformed", () =>
    Effect.gen(function* () {
      const mock = yield* MockLlm.scoped({
        script: [{ json: { verdict: 1 } }, { json: { verdict: "ok", score: 1 } }]
      })
      const { llm } = yield* client(testLlmSettings(mock.url))
      expect(yield* quiet(llm.structured(hi, Answer, "answer"))).toEqual({ verdict: "ok", score: 1 })
      expect(mock.chatRequests).toHaveLength(2)
    })
  )
})

describe("LlmClient layers and config", () => {
  const withEnv = (env: Record<string, string>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.scopedLive("without LLM_BASE_URL: not configured, calls fail unavailable, health disabled", () =>
    Effect.gen(function* () {
      const ctx = yield* Layer.build(llmLayer.pipe(Layer.provideMerge(layerHealthChecks), Layer.provide(withEnv({}))))
      const llm = yield* Effect.provide(LlmClient, ctx)
      expect(llm.configured).toBe(false)
      const error = yield* Effect.flip(llm.chat(hi))
      expect(error.kind).toBe("unavailable")
      expect(error.message).toContain("LLM_BASE_URL")
      const h = yield* Effect.flatMap(Effect.provide(HealthChecks, ctx), (c) => c.run)
      expect(h).toEqual([expect.objectContaining({ name: "llm", status: "disabled" })])
    })
  )

  it.effect("reads and validates the variables", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.either(Effect.withConfigProvider(LlmConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
      const ok = yield* read({
        LLM_BASE_URL: "http://127.0.0.1:9/v1/",
        LLM_API_KEY: "k-123456",
        LLM_TIMEOUT: "30s",
        LLM_RETRY_BUDGET: "1 minute",
        LLM_MAX_RETRIES: "2",
        LLM_TEMPERATURE: "0.5"
      })
      expect(Either.isRight(ok)).toBe(true)
      if (Either.isRight(ok)) {
        expect(ok.right.baseUrl).toBe("http://127.0.0.1:9/v1")
        expect(Duration.toMillis(ok.right.timeout)).toBe(30_000)
        expect(Duration.toMillis(ok.right.retryBudget)).toBe(60_000)
        expect(ok.right.maxRetries).toBe(2)
        expect(ok.right.temperature).toBe(0.5)
        expect(ok.right.model).toBe("gpt-4o-mini")
        expect(String(ok.right.apiKey)).not.toContain("k-123456")
      }
      const defaults = yield* read({})
      expect(Either.isRight(defaults) && defaults.right.baseUrl === undefined).toBe(true)
      for (const [name, value] of [
        ["LLM_TIMEOUT", "soon"],
        ["LLM_MAX_RETRIES", "-1"],
        ["LLM_RETRY_BUDGET", "0s"],
        ["LLM_TEMPERATURE", "hot"],
        ["LLM_BASE_URL", "ftp://x"]
      ] as const) {
        const bad = yield* read({ [name]: value })
        expect(Either.isLeft(bad)).toBe(true)
        if (Either.isLeft(bad)) expect(String(bad.left)).toContain(name)
      }
    })
  )

  it("parses Retry-After as seconds, an HTTP-date, or retry-after-ms", () => {
    const now = Date.parse("2026-01-01T00:00:00Z")
    expect(parseRetryAfter("2", undefined, now)).toBe(2_000)
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:05 GMT", undefined, now)).toBe(5_000)
    expect(parseRetryAfter(undefined, "250", now)).toBe(250)
    expect(parseRetryAfter("soon", undefined, now)).toBeUndefined()
    const withHeaders = Object.assign(new Error("429 slow down"), {
      status: 429,
      headers: new Headers({ "retry-after": "3" })
    })
    expect(classifyLlmError(withHeaders, { model: "m", now })).toMatchObject({
      kind: "rate_limited",
      retryAfterMs: 3_000
    })
  })

  it.effect("the retry schedule honours Retry-After and stops at the budget", () =>
    Effect.gen(function* () {
      const settings = { retryBaseDelay: Duration.millis(10), maxRetries: 5, retryBudget: Duration.seconds(1) }
      let attempts = 0
      const failing = Effect.suspend(() => {
        attempts++
        return Effect.fail(new LlmError({ kind: "rate_limited", retryable: true, message: "x", retryAfterMs: 400 }))
      })
      const fiber = yield* Effect.fork(Effect.either(Effect.retry(failing, retrySchedule(settings, 0))))
      yield* TestClock.adjust("399 millis")
      expect(attempts).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(attempts).toBe(2)
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result)).toBe(true)
      // 0, 400, 800 — the next 400 ms wait would end past the 1 s budget
      expect(attempts).toBe(3)
    })
  )

  it.effect("layerTest answers from its script and records requests", () =>
    Effect.gen(function* () {
      const { client: llm, requests } = yield* makeTest([
        { toolCalls: [{ name: "t", args: { a: 1 } }] },
        { json: { verdict: "x", score: 2 } },
        { error: new LlmError({ kind: "auth", retryable: false, message: "no" }) }
      ])
      const first = yield* llm.chat(hi)
      expect(first.message.tool_calls?.[0]?.name).toBe("t")
      expect(yield* llm.structured(hi, Answer, "answer")).toEqual({ verdict: "x", score: 2 })
      expect((yield* Effect.flip(llm.chat(hi))).kind).toBe("auth")
      expect((yield* llm.chat(hi)).message.content).toBe("done")
      expect(requests.map((r) => r.operation)).toEqual(["chat", "structured", "chat", "chat"])
      const viaLayer = yield* Effect.provide(LlmClient, layerTest([{ content: "x" }]))
      expect((yield* viaLayer.chat(hi)).message.content).toBe("x")
    })
  )
})
