/**
 * Structured JSON logging: one line per message with timestamp, level, message, service_name, `trace_id` and
 * `span_id` when a span is active, and every log annotation (correlation_id, incident_id, ...). Messages pass
 * through the credential scrubber.
 */
import { Cause, Context, FiberRef, FiberRefs, HashMap, Layer, List, Logger, LogLevel, Option, Tracer } from "effect"
import { redactKnown } from "./redact.js"

/** Options of the process logger. */
export interface LoggingOptions {
  readonly serviceName: string
  readonly format: "json" | "pretty"
  readonly minimumLevel: LogLevel.LogLevel
  /** Where lines go; defaults to stdout. */
  readonly write?: (line: string) => void
}

const levelName = (level: LogLevel.LogLevel): string => level.label.toLowerCase()

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return parts.map((p) => (typeof p === "string" ? p : safeJson(p))).join(" ")
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** Builds the logger that renders JSON lines. */
export const makeJsonLogger = (options: LoggingOptions) => {
  const write = options.write ?? ((line: string) => void process.stdout.write(line + "\n"))
  return Logger.make(({ logLevel, message, annotations, cause, context, date, spans }) => {
    const entry: Record<string, unknown> = {
      timestamp: date.toISOString(),
      level: levelName(logLevel),
      message: redactKnown(messageText(message)),
      service_name: options.serviceName
    }
    for (const [key, value] of HashMap.toEntries(annotations)) {
      entry[key] = typeof value === "string" ? redactKnown(value) : value
    }
    const span = currentSpan(context)
    if (Option.isSome(span)) {
      entry["trace_id"] = span.value.traceId
      entry["span_id"] = span.value.spanId
    }
    if (!List.isNil(spans)) {
      const now = date.getTime()
      for (const span of spans) entry[`${span.label}_ms`] = now - span.startTime
    }
    if (!Cause.isEmpty(cause)) entry["cause"] = redactKnown(Cause.pretty(cause, { renderErrorCause: true }))
    write(options.format === "json" ? safeJson(entry) : prettyLine(entry))
  })
}

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

/** A layer replacing the default logger with the JSON (or pretty) logger at the given minimum level. */
export const loggingLayer = (options: LoggingOptions): Layer.Layer<never> =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, makeJsonLogger(options)),
    Logger.minimumLogLevel(options.minimumLevel)
  )
