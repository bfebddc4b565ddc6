/**
 * Prometheus metrics. Every metric is an Effect `Metric` kept in Effect's global metric registry; `GET /metrics`
 * renders a snapshot of the registry in the Prometheus text exposition format (version 0.0.4) with the small
 * renderer below, after refreshing the gauges that are read from live state (runner counters, MCP server health,
 * process memory/CPU).
 *
 * Label values are bounded: HTTP routes are templates (`/api/v1/incidents/{id}`), outcomes and sources are closed
 * sets, models/servers/tools come from configuration. Never use an incident id, a path or a message as a label.
 */
import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect, Metric, MetricBoundaries, MetricLabel, MetricState, Option } from "effect"
import type * as MetricPair from "effect/MetricPair"
import { HealthChecks } from "../health/HealthChecks.js"
import { InvestigationRunner } from "../investigation/InvestigationRunner.js"

const seconds = (start: number, factor: number, count: number) => MetricBoundaries.exponential({ start, factor, count })

/** Incidents created, by `source` (api, cli, alertmanager). */
export const incidentsCreated = Metric.counter("sre_incidents_created_total", {
  description: "Incidents created, by source (api, cli, alertmanager)",
  incremental: true
})

/** Investigations running now (refreshed at each scrape from the runner). */
export const investigationsInFlight = Metric.gauge("sre_investigations_in_flight", {
  description: "Investigations running now"
})

/** Investigations waiting for a slot (refreshed at each scrape from the runner). */
export const investigationsQueued = Metric.gauge("sre_investigations_queued", {
  description: "Investigations waiting for a free slot"
})

/** Duration of finished investigations in seconds, by `outcome` (completed, failed). */
export const investigationDuration = Metric.histogram(
  "sre_investigation_duration_seconds",
  seconds(0.25, 2, 12),
  "Duration of finished investigations in seconds, by outcome (completed, failed)"
)

/** LLM requests, by `model` and `outcome` (success, error, timeout, ...). One per call, retries included. */
export const llmRequests = Metric.counter("sre_llm_requests_total", {
  description: "LLM chat requests, by model and outcome",
  incremental: true
})

/** LLM request latency in seconds (all attempts of one call), by `model` and `outcome`. */
export const llmLatency = Metric.histogram(
  "sre_llm_request_duration_seconds",
  seconds(0.1, 2, 12),
  "LLM request latency in seconds (all attempts of one call), by model and outcome"
)

/** LLM tokens, by `model` and `kind` (prompt, completion). */
export const llmTokens = Metric.counter("sre_llm_tokens_total", {
  description: "LLM tokens used, by model and kind (prompt, completion)",
  incremental: true
})

/** LLM retries (attempts after the first), by `model`. */
export const llmRetries = Metric.counter("sre_llm_retries_total", {
  description: "LLM request retries (attempts after the first), by model",
  incremental: true
})

/** MCP tool calls, by `server`, `tool` and `outcome` (success, tool_error or the failure reason). */
export const mcpToolCalls = Metric.counter("sre_mcp_tool_calls_total", {
  description: "MCP tool calls, by server, tool and outcome",
  incremental: true
})

/** MCP tool call latency in seconds (retries included), by `server`, `tool` and `outcome`. */
export const mcpToolLatency = Metric.histogram(
  "sre_mcp_tool_call_duration_seconds",
  seconds(0.01, 2.5, 10),
  "MCP tool call latency in seconds, by server, tool and outcome"
)

/** 1 when an MCP server is connected, 0 otherwise, by `server` (refreshed at each scrape from /health data). */
export const mcpServerUp = Metric.gauge("sre_mcp_server_up", {
  description: "1 when the MCP server is connected, 0 when it is connecting, failed or disabled"
})

/** HTTP requests, by `method`, `route` (a template) and `status`. */
export const httpRequests = Metric.counter("sre_http_requests_total", {
  description: "HTTP requests, by method, route template and status",
  incremental: true
})

/** HTTP request duration in seconds, by `method` and `route`. */
export const httpDuration = Metric.histogram(
  "sre_http_request_duration_seconds",
  seconds(0.005, 2.5, 10),
  "HTTP request duration in seconds (until the response head), by method and route template"
)

/** Alertmanager notifications, by `status` (firing, resolved) and `outcome` (created, deduplicated, recorded, ...). */
export const alertNotifications = Metric.counter("sre_alertmanager_notifications_total", {
  description: "Alertmanager webhook notifications, by group status and outcome",
  incremental: true
})

/** Resident memory of the process in bytes (refreshed at each scrape). */
export const processResidentMemory = Metric.gauge("process_resident_memory_bytes", {
  description: "Resident memory size in bytes"
})

/** CPU time of the process in seconds (refreshed at each scrape). */
export const processCpuSeconds = Metric.gauge("process_cpu_seconds_total", {
  description: "Total user and system CPU time spent in seconds"
})

/** Start time of the process since the Unix epoch in seconds. */
export const processStartTime = Metric.gauge("process_start_time_seconds", {
  description: "Start time of the process since the Unix epoch in seconds"
})

const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime())

/**
 * Label arrays by value, kept so that the same labels are the same array: a metric caches its registry entry per
 * label array (by identity), so a stable array makes an update a map lookup instead of building and hashing a new
 * metric key. Bounded: past `MAX_LABEL_SETS` distinct sets a fresh array is built each time (still correct).
 */
const labelSets = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const MAX_LABEL_SETS = 10_000

const stableLabels = (record: Readonly<Record<string, string>>): ReadonlyArray<MetricLabel.MetricLabel> => {
  let id = ""
  for (const key in record) id += `${key}\u0000${record[key]}\u0001`
  const cached = labelSets.get(id)
  if (cached !== undefined) return cached
  const built = labels(record)
  if (labelSets.size < MAX_LABEL_SETS) labelSets.set(id, built)
  return built
}

/** Updates `metric` with `value` under `record`'s labels, at once (no effect; see {@link stableLabels}). */
const updateNow = (
  metric: Pick<Metric.Metric<unknown, number, unknown>, "unsafeUpdate">,
  record: Readonly<Record<string, string>>,
  value: number
): void => metric.unsafeUpdate(value, stableLabels(record))

/** Records a finished investigation. */
export const recordInvestigation = (outcome: "completed" | "failed", durationMs: number): Effect.Effect<void> =>
  Effect.sync(() => updateNow(investigationDuration, { outcome }, durationMs / 1000))

/** Records one created incident. */
export const recordIncidentCreated = (source: string): Effect.Effect<void> =>
  Effect.sync(() => updateNow(incidentsCreated, { source }, 1))

/** Records one MCP tool call. */
export const recordToolCall = (
  server: string,
  tool: string,
  outcome: string,
  durationMs: number
): Effect.Effect<void> =>
  Effect.sync(() => {
    const tags = { server, tool, outcome }
    updateNow(mcpToolCalls, tags, 1)
    updateNow(mcpToolLatency, tags, durationMs / 1000)
  })

/** What one LLM call reports to the metrics (see {@link recordLlmCall}). */
export interface LlmCallRecord {
  readonly model: string
  /** `success`, or the error kind (`rate_limited`, `timeout`, `server`, ...). */
  readonly outcome: string
  readonly durationMs: number
  /** Attempts made (1 = no retry). */
  readonly attempts: number
  readonly promptTokens: number
  readonly completionTokens: number
}

/**
 * Records one LLM call (all of its attempts). The hook for `llm/LlmClient.ts`: call it once per chat call, e.g.
 * in an `Effect.onExit` around the retried request.
 */
export const recordLlmCall = (call: LlmCallRecord): Effect.Effect<void> =>
  Effect.sync(() => {
    const byOutcome = { model: call.model, outcome: call.outcome }
    updateNow(llmRequests, byOutcome, 1)
    updateNow(llmLatency, byOutcome, call.durationMs / 1000)
    updateNow(llmRetries, { model: call.model }, Math.max(0, call.attempts - 1))
    updateNow(llmTokens, { model: call.model, kind: "prompt" }, Math.max(0, call.promptTokens))
    updateNow(llmTokens, { model: call.model, kind: "completion" }, Math.max(0, call.completionTokens))
  })

/** The label arrays of one (route, method, status), looked up without building a key string per request. */
interface HttpLabels {
  readonly requests: ReadonlyArray<MetricLabel.MetricLabel>
  readonly duration: ReadonlyArray<MetricLabel.MetricLabel>
}
const httpLabelSets = new Map<string, Map<string, Map<number, HttpLabels>>>()

const httpLabels = (method: string, route: string, status: number): HttpLabels => {
  let byMethod = httpLabelSets.get(route)
  if (byMethod === undefined) {
    byMethod = new Map()
    httpLabelSets.set(route, byMethod)
  }
  let byStatus = byMethod.get(method)
  if (byStatus === undefined) {
    byStatus = new Map()
    byMethod.set(method, byStatus)
  }
  const cached = byStatus.get(status)
  if (cached !== undefined) return cached
  const built = {
    requests: stableLabels({ method, route, status: String(status) }),
    duration: stableLabels({ method, route })
  }
  // routes are templates and statuses a closed set; methods are bounded by Node's HTTP parser
  byStatus.set(status, built)
  return built
}

/** Records one HTTP request, at once (the request middleware calls it from its own step). */
export const recordHttpRequestSync = (method: string, route: string, status: number, durationMs: number): void => {
  const labels = httpLabels(method, route, status)
  httpRequests.unsafeUpdate(1, labels.requests)
  httpDuration.unsafeUpdate(durationMs / 1000, labels.duration)
}

/** Records one HTTP request. */
export const recordHttpRequest = (
  method: string,
  route: string,
  status: number,
  durationMs: number
): Effect.Effect<void> => Effect.sync(() => recordHttpRequestSync(method, route, status, durationMs))

/** Records one Alertmanager notification. */
export const recordAlertNotification = (status: string, outcome: string): Effect.Effect<void> =>
  Effect.sync(() => updateNow(alertNotifications, { status, outcome }, 1))

const labels = (record: Readonly<Record<string, string>>): Array<MetricLabel.MetricLabel> =>
  Object.entries(record).map(([key, value]) => MetricLabel.make(key, value))

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi

const KNOWN_ROUTES: ReadonlyArray<string> = [
  "/health",
  "/metrics",
  "/openapi.json",
  "/api/v1/incidents",
  "/api/v1/incidents/{id}",
  "/api/v1/incidents/{id}/events",
  "/api/v1/alerts/alertmanager"
]

/**
 * The route template of a request path, used as the `route` label: UUIDs become `{id}`, `/docs/...` is `/docs`,
 * and any path that is not a route of this server is `unmatched` (so scanners cannot blow up the cardinality).
 */
export const routeTemplate = (path: string): string => {
  const q = path.indexOf("?")
  const noQuery = q === -1 ? path : path.slice(0, q)
  const bare = (noQuery.endsWith("/") ? noQuery.replace(/\/+$/, "") : noQuery) || "/"
  if (bare === "/docs" || bare.startsWith("/docs/")) return "/docs"
  const template = bare.replace(UUID, "{id}")
  return KNOWN_ROUTES.includes(template) ? template : "unmatched"
}

/** Refreshes the gauges that mirror live state: runner counters, MCP servers, process figures. */
export const refreshGauges: Effect.Effect<void, never, InvestigationRunner | HealthChecks> = Effect.gen(function* () {
  const runner = yield* InvestigationRunner
  const checks = yield* HealthChecks
  const stats = yield* runner.stats
  yield* Metric.set(investigationsInFlight, stats.running)
  yield* Metric.set(investigationsQueued, stats.queued)
  const dependencies = yield* checks.run
  for (const d of dependencies) {
    if (!d.kind.startsWith("mcp/")) continue
    yield* Metric.set(Metric.tagged(mcpServerUp, "server", d.name), d.status === "ok" ? 1 : 0)
  }
  const usage = process.cpuUsage()
  yield* Metric.set(processResidentMemory, process.memoryUsage.rss())
  yield* Metric.set(processCpuSeconds, (usage.user + usage.system) / 1e6)
  yield* Metric.set(processStartTime, startTimeSeconds)
})

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')
const escapeHelp = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
const metricName = (name: string): string => name.replace(/[^a-zA-Z0-9_:]/g, "_").replace(/^([0-9])/, "_$1")
const labelName = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1")

const formatNumber = (n: number | bigint): string => {
  if (typeof n === "bigint") return n.toString()
  if (Number.isNaN(n)) return "NaN"
  if (n === Number.POSITIVE_INFINITY) return "+Inf"
  if (n === Number.NEGATIVE_INFINITY) return "-Inf"
  return String(n)
}

const labelText = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  pairs.length === 0 ? "" : `{${pairs.map(([k, v]) => `${labelName(k)}="${escapeLabel(v)}"`).join(",")}}`

interface Family {
  type: "counter" | "gauge" | "histogram" | "summary"
  help: string
  lines: Array<string>
}

/** Renders metric pairs (from `Metric.snapshot`) in the Prometheus text exposition format 0.0.4. */
export const renderPrometheus = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  const family = (name: string, type: Family["type"], help: string): Family => {
    const existing = families.get(name)
    if (existing !== undefined) return existing
    const created: Family = { type, help, lines: [] }
    families.set(name, created)
    return created
  }
  const sorted = [...pairs].sort((a, b) => a.metricKey.name.localeCompare(b.metricKey.name))
  for (const pair of sorted) {
    const name = metricName(pair.metricKey.name)
    const help = Option.getOrElse(pair.metricKey.description, () => name)
    const tags = pair.metricKey.tags.map((t) => [t.key, t.value] as const).sort((a, b) => a[0].localeCompare(b[0]))
    const state = pair.metricState
    if (MetricState.isCounterState(state)) {
      family(name, "counter", help).lines.push(`${name}${labelText(tags)} ${formatNumber(state.count)}`)
    } else if (MetricState.isGaugeState(state)) {
      family(name, "gauge", help).lines.push(`${name}${labelText(tags)} ${formatNumber(state.value)}`)
    } else if (MetricState.isHistogramState(state)) {
      const f = family(name, "histogram", help)
      let sawInf = false
      for (const [boundary, cumulative] of state.buckets) {
        if (boundary === Number.POSITIVE_INFINITY) sawInf = true
        f.lines.push(`${name}_bucket${labelText([...tags, ["le", formatNumber(boundary)]])} ${cumulative}`)
      }
      if (!sawInf) f.lines.push(`${name}_bucket${labelText([...tags, ["le", "+Inf"]])} ${state.count}`)
      f.lines.push(`${name}_sum${labelText(tags)} ${formatNumber(state.sum)}`)
      f.lines.push(`${name}_count${labelText(tags)} ${state.count}`)
    } else if (MetricState.isFrequencyState(state)) {
      const f = family(name, "counter", help)
      for (const [key, count] of state.occurrences) {
        f.lines.push(`${name}${labelText([...tags, ["key", key]])} ${count}`)
      }
    } else if (MetricState.isSummaryState(state)) {
      const f = family(name, "summary", help)
      for (const [quantile, value] of state.quantiles) {
        if (Option.isSome(value)) {
          f.lines.push(`${name}${labelText([...tags, ["quantile", String(quantile)]])} ${formatNumber(value.value)}`)
        }
      }
      f.lines.push(`${name}_sum${labelText(tags)} ${formatNumber(state.sum)}`)
      f.lines.push(`${name}_count${labelText(tags)} ${state.count}`)
    }
  }
  const out: Array<string> = []
  for (const [name, f] of families) {
    out.push(`# HELP ${name} ${escapeHelp(f.help)}`, `# TYPE ${name} ${f.type}`, ...f.lines)
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}

/** The Prometheus exposition of every metric of this process (gauges refreshed first). */
export const metricsText: Effect.Effect<string, never, InvestigationRunner | HealthChecks> = Effect.zipRight(
  refreshGauges,
  Effect.map(Metric.snapshot, renderPrometheus)
)

/** Content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** The `GET /metrics` response. */
export const metricsResponse = Effect.map(metricsText, (text) =>
  HttpServerResponse.text(text, { contentType: PROMETHEUS_CONTENT_TYPE, headers: { "cache-control": "no-store" } })
)

/** Path of the Prometheus endpoint. */
export const METRICS_PATH = "/metrics"

const isMetricsUrl = (url: string): boolean =>
  url.startsWith(METRICS_PATH) && (url.length === METRICS_PATH.length || url[METRICS_PATH.length] === "?")

/**
 * Wraps an app so `GET /metrics` is answered with the Prometheus exposition, in front of the API guard (no API
 * key, no rate limit: restrict it at the network level, e.g. a NetworkPolicy). Every other request goes to `app`.
 */
export const withMetricsRoute = <E, R>(
  app: HttpApp.Default<E, R>
): HttpApp.Default<E, R | InvestigationRunner | HealthChecks> =>
  Effect.flatMap(
    HttpServerRequest.HttpServerRequest,
    (request): HttpApp.Default<E, R | InvestigationRunner | HealthChecks> =>
      (request.method === "GET" || request.method === "HEAD") && isMetricsUrl(request.url) ? metricsResponse : app
  )
