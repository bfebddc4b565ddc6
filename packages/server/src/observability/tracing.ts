/**
 * Distributed tracing with OpenTelemetry (`@effect/opentelemetry` `NodeSdk`), exporting spans over OTLP/HTTP (JSON)
 * when the standard variables ask for it, and doing nothing at all otherwise:
 *
 * - `OTEL_TRACES_EXPORTER`: `otlp` (default) or `none`;
 * - `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (full URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (base URL, `/v1/traces` is
 *   appended); with neither set tracing is off;
 * - `OTEL_SERVICE_NAME` (default `SERVICE_NAME`, then `sre-orchestrator`);
 * - `OTEL_EXPORTER_OTLP_HEADERS` etc. are read by the exporter itself.
 *
 * With tracing off, the tracer is disabled altogether (see `tracingDisabled`): log lines then carry no
 * `trace_id`/`span_id` (the `correlation_id` ties a request's lines together).
 */
import { NodeSdk } from "@effect/opentelemetry"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { HttpMiddleware } from "@effect/platform"
import { Config, Effect, Layer, Option } from "effect"
import { constTrue } from "effect/Function"

/** What decides whether and where spans are exported. */
export interface TracingSettings {
  /** Where spans go (`.../v1/traces`); none = tracing off. */
  readonly tracesUrl: Option.Option<string>
  readonly serviceName: string
  readonly serviceVersion?: string | undefined
  /** Delay between batch exports (default 5 s; tests use less). */
  readonly exportDelayMillis?: number | undefined
}

/** The traces URL from the standard OTLP variables, or none when tracing is off. */
export const tracesUrlFrom = (env: {
  readonly exporter: string
  readonly endpoint: Option.Option<string>
  readonly tracesEndpoint: Option.Option<string>
}): Option.Option<string> => {
  const exporters = env.exporter.split(",").map((e) => e.trim().toLowerCase())
  if (!exporters.includes("otlp")) return Option.none()
  if (Option.isSome(env.tracesEndpoint)) return env.tracesEndpoint
  return Option.map(env.endpoint, (base) => `${base.replace(/\/+$/, "")}/v1/traces`)
}

/** Reads the tracing settings from the standard `OTEL_*` variables. */
export const tracingSettings: Config.Config<TracingSettings> = Config.all({
  exporter: Config.string("OTEL_TRACES_EXPORTER").pipe(Config.withDefault("otlp")),
  endpoint: Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_ENDPOINT")),
  tracesEndpoint: Config.option(Config.nonEmptyString("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")),
  serviceName: Config.nonEmptyString("OTEL_SERVICE_NAME").pipe(
    Config.orElse(() => Config.nonEmptyString("SERVICE_NAME")),
    Config.withDefault("sre-orchestrator")
  )
}).pipe(Config.map((env) => ({ tracesUrl: tracesUrlFrom(env), serviceName: env.serviceName })))

/**
 * Tracing switched off for everything run under this layer: `Effect.withSpan` hands out no-op spans (no ids, no
 * attributes, no timing) and the platform's per-request server span (URL parsing, header redaction, one attribute
 * per header) is skipped. Spans would go nowhere without an exporter; this is their whole cost per request.
 */
export const tracingDisabled: Layer.Layer<never> = Layer.merge(
  Layer.setTracerEnabled(false),
  Layer.locallyScoped(HttpMiddleware.currentTracerDisabledWhen, constTrue)
)

/**
 * The tracer layer for given settings: `NodeSdk` with a batch processor and the OTLP/HTTP (JSON) exporter; when
 * `tracesUrl` is none, {@link tracingDisabled} (no span is recorded: nothing would export it). Pending spans are
 * flushed when the layer's scope closes.
 */
export const tracingLayerFrom = (settings: TracingSettings): Layer.Layer<never> =>
  Option.match(settings.tracesUrl, {
    onNone: () => tracingDisabled,
    onSome: (url) =>
      Layer.discard(
        NodeSdk.layer(() => ({
          resource: {
            serviceName: settings.serviceName,
            ...(settings.serviceVersion !== undefined ? { serviceVersion: settings.serviceVersion } : {})
          },
          spanProcessor: new BatchSpanProcessor(new OTLPTraceExporter({ url }), {
            scheduledDelayMillis: settings.exportDelayMillis ?? 5_000
          }),
          shutdownTimeout: "5 seconds"
        }))
      )
  })

/** The tracer layer configured from the environment (see the module comment); logs where spans go. */
export const tracingLayer: Layer.Layer<never, never, never> = Layer.unwrapEffect(
  Effect.gen(function* () {
    const settings = yield* Effect.orElseSucceed(tracingSettings, () => ({
      tracesUrl: Option.none<string>(),
      serviceName: "sre-orchestrator"
    }))
    if (Option.isSome(settings.tracesUrl)) {
      yield* Effect.logInfo("tracing enabled").pipe(
        Effect.annotateLogs({ otlp_traces_url: settings.tracesUrl.value, service_name: settings.serviceName })
      )
    }
    return tracingLayerFrom(settings)
  })
)
