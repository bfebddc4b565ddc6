import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Option } from "effect"
import { createServer, type IncomingMessage, type Server } from "node:http"
import { makeJsonLogger } from "../../src/observability/logging.js"
import { tracesUrlFrom, tracingLayerFrom } from "../../src/observability/tracing.js"
import { postJson, startServer } from "../support.js"

interface OtlpSpan {
  readonly name: string
  readonly traceId: string
  readonly spanId: string
  readonly attributes?: ReadonlyArray<{ readonly key: string; readonly value: { readonly stringValue?: string } }>
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")))
  })

/** A tiny OTLP/HTTP collector on loopback: accepts JSON `POST /v1/traces`, keeps the spans. */
const collector = Effect.acquireRelease(
  Effect.async<{
    readonly url: string
    readonly spans: Array<OtlpSpan>
    readonly contentTypes: Array<string>
    readonly server: Server
  }>((resume) => {
    const spans: Array<OtlpSpan> = []
    const contentTypes: Array<string> = []
    const server = createServer((req, res) => {
      void readBody(req).then((text) => {
        contentTypes.push(req.headers["content-type"] ?? "")
        if (req.method === "POST" && req.url === "/v1/traces") {
          const body = JSON.parse(text) as {
            resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<OtlpSpan> }> }>
          }
          for (const rs of body.resourceSpans ?? [])
            for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []))
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, spans, contentTypes, server }))
    })
  }),
  (c) => Effect.sync(() => c.server.close())
)

const attr = (span: OtlpSpan, key: string): string | undefined =>
  span.attributes?.find((a) => a.key === key)?.value.stringValue

describe("tracing configuration", () => {
  it("is off unless an OTLP endpoint is set, and honours OTEL_TRACES_EXPORTER=none", () => {
    const none = Option.none<string>()
    expect(tracesUrlFrom({ exporter: "otlp", endpoint: none, tracesEndpoint: none })).toEqual(none)
    expect(tracesUrlFrom({ exporter: "otlp", endpoint: Option.some("http://c:4318/"), tracesEndpoint: none })).toEqual(
      Option.some("http://c:4318/v1/traces")
    )
    expect(
      tracesUrlFrom({
        exporter: "otlp",
        endpoint: Option.some("http://c:4318"),
        tracesEndpoint: Option.some("http://t/x")
      })
    ).toEqual(Option.some("http://t/x"))
    expect(tracesUrlFrom({ exporter: "none", endpoint: Option.some("http://c:4318"), tracesEndpoint: none })).toEqual(
      none
    )
  })
})

describe("tracing export", () => {
  it.scopedLive("exports HTTP and investigation spans with incident_id and correlation_id over OTLP/HTTP JSON", () =>
    Effect.gen(function* () {
      const sink = yield* collector
      const lines: Array<string> = []
      const logger = Logger.replace(
        Logger.defaultLogger,
        makeJsonLogger({
          serviceName: "sre-test",
          format: "json",
          minimumLevel: LogLevel.Info,
          write: (line) => void lines.push(line)
        })
      )
      const correlationId = "trace-test-0001"
      const incidentId = yield* Effect.scoped(
        Effect.gen(function* () {
          const server = yield* startServer()
          const res = yield* postJson(
            `${server.url}/api/v1/incidents`,
            { description: "checkout pods restarting" },
            { "x-correlation-id": correlationId }
          )
          yield* server.runner.awaitIdle
          return (res.body as { incident_id: string }).incident_id
        }).pipe(
          Effect.provide(
            tracingLayerFrom({
              tracesUrl: Option.some(`${sink.url}/v1/traces`),
              serviceName: "sre-test",
              exportDelayMillis: 50
            })
          ),
          Effect.provide(logger)
        )
      )
      // the tracing layer's scope is closed: pending spans were flushed
      const http = sink.spans.find((s) => s.name === "http.server POST")
      if (http === undefined) return expect.fail(`no http.server span in ${sink.spans.map((x) => x.name).join(", ")}`)
      expect(attr(http, "correlation_id")).toBe(correlationId)
      expect(attr(http, "http.route")).toBe("/api/v1/incidents")
      const investigation = sink.spans.find((s) => s.name === "InvestigationRunner.investigate")
      if (investigation === undefined) return expect.fail("no InvestigationRunner.investigate span")
      expect(attr(investigation, "incident_id")).toBe(incidentId)
      expect(attr(investigation, "correlation_id")).toBe(correlationId)
      expect(sink.contentTypes.every((t) => t.startsWith("application/json"))).toBe(true)
      // logs written inside a span carry its ids
      const created = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l["message"] === "incident created")
      expect(created?.["trace_id"]).toBe(http.traceId)
      expect(typeof created?.["span_id"]).toBe("string")
    })
  )
})
