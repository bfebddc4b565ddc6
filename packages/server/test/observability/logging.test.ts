import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import {
  LogRecord,
  loggingLayer,
  makeBatchedSink,
  makeJsonLogger,
  type LoggingOptions
} from "../../src/observability/logging.js"
import { registerSecret } from "../../src/observability/redact.js"
import { tracingDisabled } from "../../src/observability/tracing.js"

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

const options = (write: (line: string) => void, extra: Partial<LoggingOptions> = {}): LoggingOptions => ({
  serviceName: "sre-test",
  format: "json",
  minimumLevel: LogLevel.Info,
  write,
  ...extra
})

const parse = (chunk: string): Array<Record<string, unknown>> =>
  chunk
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe("batched log sink", () => {
  it("writes the lines of one event-loop turn as one newline-terminated chunk", async () => {
    const chunks: Array<string> = []
    const sink = makeBatchedSink((chunk) => chunks.push(chunk))
    sink.push("a")
    sink.push("b")
    expect(chunks).toEqual([])
    await nextTurn()
    expect(chunks).toEqual(["a\nb\n"])
    sink.push("c")
    await nextTurn()
    expect(chunks).toEqual(["a\nb\n", "c\n"])
  })

  it("writes at once when the buffer is full, and flush() writes the rest synchronously", () => {
    const chunks: Array<string> = []
    const sink = makeBatchedSink((chunk) => chunks.push(chunk), 10)
    sink.push("12345")
    expect(chunks).toEqual([])
    sink.push("67890")
    expect(chunks).toEqual(["12345\n67890\n"])
    sink.push("tail")
    sink.flush()
    expect(chunks).toEqual(["12345\n67890\n", "tail\n"])
    sink.flush()
    expect(chunks).toHaveLength(2)
  })

  it("loggingLayer flushes buffered lines when its scope closes (shutdown), before any event-loop turn", () => {
    const lines: Array<string> = []
    const exitListeners = process.listenerCount("exit")
    Effect.runSync(
      Effect.logInfo("last words").pipe(
        Effect.zipRight(Effect.logInfo("really last")),
        Effect.provide(loggingLayer(options((chunk) => lines.push(chunk), { batched: true })))
      )
    )
    // no setImmediate has run yet: the lines are there because releasing the layer flushed them
    const entries = lines.flatMap(parse)
    expect(entries.map((e) => e["message"])).toEqual(["last words", "really last"])
    // the process-exit safety net is removed with the layer
    expect(process.listenerCount("exit")).toBe(exitListeners)
  })

  it("without batching a custom sink sees each line at once", () => {
    const lines: Array<string> = []
    Effect.runSync(
      Effect.logInfo("one").pipe(
        Effect.tap(() => expect(lines).toHaveLength(1)),
        Effect.provide(loggingLayer(options((line) => lines.push(line))))
      )
    )
    expect(parse(lines.join("\n"))[0]).toMatchObject({ message: "one", level: "info", service_name: "sre-test" })
  })
})

describe("JSON logger", () => {
  const capture = (effect: Effect.Effect<void>, layer: Layer.Layer<never> = Layer.empty) => {
    const lines: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, makeJsonLogger(options((line) => lines.push(line))))
    Effect.runSync(effect.pipe(Effect.provide(Layer.merge(logger, layer))))
    return lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  }

  it("writes a LogRecord's fields as keys of the line, scrubbing string fields", () => {
    registerSecret("logging-test-secret-0001")
    const [line] = capture(
      Effect.logInfo(
        new LogRecord("http request", {
          method: "GET",
          path: "/api/v1/incidents?token=abcdef123456&x=logging-test-secret-0001",
          status: 200,
          duration_ms: 3
        })
      ).pipe(Effect.annotateLogs("correlation_id", "c-1"))
    )
    expect(line).toMatchObject({
      message: "http request",
      method: "GET",
      status: 200,
      duration_ms: 3,
      correlation_id: "c-1"
    })
    expect(String(line?.["path"])).not.toContain("abcdef123456")
    expect(String(line?.["path"])).not.toContain("logging-test-secret-0001")
  })

  it("scrubs string annotations and messages", () => {
    const [line] = capture(
      Effect.logInfo("connecting with password=hunter22").pipe(Effect.annotateLogs("url", "postgres://u:pw1234@db/x"))
    )
    expect(line?.["message"]).toBe("connecting with password=[REDACTED]")
    expect(line?.["url"]).toBe("postgres://u:[REDACTED]@db/x")
  })

  it("carries trace ids inside a recording span, and none when tracing is disabled", () => {
    const [traced] = capture(Effect.logInfo("inside").pipe(Effect.withSpan("op")))
    expect(typeof traced?.["trace_id"]).toBe("string")
    expect(typeof traced?.["span_id"]).toBe("string")
    const [untraced] = capture(Effect.logInfo("inside").pipe(Effect.withSpan("op")), tracingDisabled)
    expect(untraced?.["trace_id"]).toBeUndefined()
    expect(untraced?.["span_id"]).toBeUndefined()
  })
})
