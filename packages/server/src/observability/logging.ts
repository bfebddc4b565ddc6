/**
 * Structured JSON logging: one line per message with timestamp, level, message, service_name, `trace_id` and
 * `span_id` when a (recording) span is active, and every log annotation (correlation_id, incident_id, ...).
 * Messages and string annotations pass through the credential scrubber.
 *
 * Cost per line (issue #10): the logger walks the annotations once, scrubs only string values (a pre-filter makes
 * the common case one regex scan), and, when writing to stdout, appends the line to a buffer that is written once
 * per event-loop turn (or at 64 KiB) instead of one `write` per line. The buffer is flushed when the logging
 * layer's scope closes (shutdown) and on process exit, so no line is lost.
 */
import { Cause, Context, Effect, FiberRef, FiberRefs, Layer, List, Logger, LogLevel, Option, Tracer } from "effect"
import { redactKnown } from "./redact.js"

/** Options of the process logger. */
export interface LoggingOptions {
  readonly serviceName: string
  readonly format: "json" | "pretty"
  readonly minimumLevel: LogLevel.LogLevel
  /** Where lines go (one call per line, without the newline); defaults to stdout. */
  readonly write?: (line: string) => void
  /**
   * Buffer lines and hand them to the sink in batches (one write per event-loop turn or per 64 KiB). Defaults to
   * true when writing to stdout and false with a custom `write` (which then sees each line at once). With a custom
   * `write`, a batch is one call with several newline-terminated lines.
   */
  readonly batched?: boolean | undefined
}

const levelNames = new Map<string, string>()
const levelName = (level: LogLevel.LogLevel): string => {
  const cached = levelNames.get(level.label)
  if (cached !== undefined) return cached
  const name = level.label.toLowerCase()
  levelNames.set(level.label, name)
  return name
}

const messageText = (message: unknown): string => {
  if (typeof message === "string") return message
  if (Array.isArray(message)) {
    if (message.length === 1 && typeof message[0] === "string") return message[0]
    return message.map((p) => (typeof p === "string" ? p : safeJson(p))).join(" ")
  }
  return safeJson(message)
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * A log message with fields: the JSON logger writes `message` as the line's message and each field as a key of the
 * line, like an annotation but without building an annotation map (the request line of every HTTP request is one).
 * String fields are scrubbed like annotations. Other loggers print it as `message {fields}`.
 */
export class LogRecord {
  constructor(
    readonly message: string,
    readonly fields: Readonly<Record<string, string | number | boolean>>
  ) {}
  toString(): string {
    return `${this.message} ${safeJson(this.fields)}`
  }
  toJSON(): Record<string, unknown> {
    return { message: this.message, ...this.fields }
  }
}

const logRecordOf = (message: unknown): LogRecord | undefined => {
  const first = Array.isArray(message) && message.length === 1 ? message[0] : message
  return first instanceof LogRecord ? first : undefined
}

/** Whether a span is a real one (a disabled tracer hands out no-op spans whose ids mean nothing). */
const isRecording = (span: Tracer.AnySpan): boolean => span.traceId !== "noop"

/** Builds the logger that renders JSON lines. */
export const makeJsonLogger = (options: LoggingOptions) => {
  const write = options.write ?? writeStdoutLine
  const json = options.format === "json"
  const serviceName = options.serviceName
  return Logger.make(({ logLevel, message, annotations, cause, context, date, spans }) => {
    const record = logRecordOf(message)
    const entry: Record<string, unknown> = {
      timestamp: date.toISOString(),
      level: levelName(logLevel),
      message: redactKnown(record !== undefined ? record.message : messageText(message)),
      service_name: serviceName
    }
    for (const [key, value] of annotations) {
      // only strings can carry a credential; numbers, booleans and ids built by the server are written as they are
      entry[key] = typeof value === "string" ? redactKnown(value) : value
    }
    if (record !== undefined) {
      for (const key in record.fields) {
        const value = record.fields[key]
        entry[key] = typeof value === "string" ? redactKnown(value) : value
      }
    }
    const span = currentSpan(context)
    if (Option.isSome(span) && isRecording(span.value)) {
      entry["trace_id"] = span.value.traceId
      entry["span_id"] = span.value.spanId
    }
    if (!List.isNil(spans)) {
      const now = date.getTime()
      for (const span of spans) entry[`${span.label}_ms`] = now - span.startTime
    }
    if (!Cause.isEmpty(cause)) entry["cause"] = redactKnown(Cause.pretty(cause, { renderErrorCause: true }))
    write(json ? safeJson(entry) : prettyLine(entry))
  })
}

const writeStdoutLine = (line: string): void => void process.stdout.write(line + "\n")

/** The span active where a message was logged (Effect's or OpenTelemetry's), if any. */
export const currentSpan = (context: FiberRefs.FiberRefs): Option.Option<Tracer.AnySpan> =>
  Context.getOption(FiberRefs.getOrDefault(context, FiberRef.currentContext), Tracer.ParentSpan)

const prettyLine = (entry: Record<string, unknown>): string => {
  const { timestamp, level, message, service_name: _s, cause, ...rest } = entry
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : safeJson(v)}`)
    .join(" ")
  return `${String(timestamp)} ${String(level).toUpperCase().padEnd(7)} ${String(message)}${extras ? " " + extras : ""}${
    cause ? "\n" + String(cause) : ""
  }`
}

/** A line buffer in front of a sink (see {@link makeBatchedSink}). */
export interface BatchedSink {
  /** Appends one line (without its newline); written at the latest on the next event-loop turn. */
  readonly push: (line: string) => void
  /** Writes whatever is buffered now (synchronously). */
  readonly flush: () => void
}

/** Bytes (UTF-16 code units) buffered before a batch is written at once. */
export const BATCH_MAX_CHARS = 64 * 1024

/**
 * Buffers lines and hands them to `write` as one newline-terminated chunk: once per event-loop turn
 * (`setImmediate`), or at once when `maxChars` are buffered. `flush` writes the rest synchronously.
 */
export const makeBatchedSink = (write: (chunk: string) => void, maxChars: number = BATCH_MAX_CHARS): BatchedSink => {
  let buffer = ""
  let scheduled = false
  const flush = (): void => {
    scheduled = false
    if (buffer.length === 0) return
    const chunk = buffer
    buffer = ""
    write(chunk)
  }
  return {
    push: (line) => {
      buffer += line + "\n"
      if (buffer.length >= maxChars) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
    flush
  }
}

/** The logger and level, with the sink's buffer flushed when the layer's scope closes and at process exit. */
const batchedLoggerLayer = (options: LoggingOptions, sinkWrite: (chunk: string) => void): Layer.Layer<never> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const sink = makeBatchedSink(sinkWrite)
      // a process that exits without closing the scope (process.exit, a fatal error) still writes its last lines
      const onExit = (): void => sink.flush()
      yield* Effect.acquireRelease(
        Effect.sync(() => process.once("exit", onExit)),
        () =>
          Effect.sync(() => {
            process.removeListener("exit", onExit)
            sink.flush()
          })
      )
      return Logger.replace(Logger.defaultLogger, makeJsonLogger({ ...options, write: sink.push }))
    })
  )

/**
 * A layer replacing the default logger with the JSON (or pretty) logger at the given minimum level. Lines to stdout
 * are batched (see {@link LoggingOptions.batched}); the buffer is flushed when the layer is released.
 */
export const loggingLayer = (options: LoggingOptions): Layer.Layer<never> => {
  const batched = options.batched ?? options.write === undefined
  const custom = options.write
  const logger = batched
    ? batchedLoggerLayer(
        options,
        custom === undefined
          ? (chunk) => void process.stdout.write(chunk)
          : // a custom sink gets the batch as one call (lines separated and terminated by newlines)
            (chunk) => custom(chunk.slice(0, -1))
      )
    : Logger.replace(Logger.defaultLogger, makeJsonLogger(options))
  return Layer.merge(logger, Logger.minimumLogLevel(options.minimumLevel))
}
