/**
 * Alertmanager's webhook payload, version 4 (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config),
 * and how an alert group becomes an incident: the description (alert name, key labels, summary/description
 * annotations) and the entities taken from well-known labels.
 */
import { JsonObject, MAX_DESCRIPTION_LENGTH } from "@sre/schema"
import { Either, ParseResult, Schema } from "effect"

const LabelSet = Schema.Record({ key: Schema.String, value: Schema.String })
const AlertStatus = Schema.Literal("firing", "resolved")

/** One alert of a notification. */
export const AlertmanagerAlert = Schema.Struct({
  status: AlertStatus,
  labels: LabelSet,
  annotations: Schema.optionalWith(LabelSet, { default: () => ({}) }),
  startsAt: Schema.String,
  endsAt: Schema.optional(Schema.String),
  generatorURL: Schema.optional(Schema.String),
  fingerprint: Schema.optional(Schema.String.pipe(Schema.maxLength(128)))
})
/** @see AlertmanagerAlert */
export type AlertmanagerAlert = typeof AlertmanagerAlert.Type

/** Most alerts accepted in one notification (Alertmanager's `max_alerts` should be at most this). */
export const MAX_ALERTS = 500

/** The body Alertmanager POSTs to a webhook receiver (payload version 4). */
export const AlertmanagerWebhook = Schema.Struct({
  version: Schema.Literal("4"),
  groupKey: Schema.String.pipe(Schema.minLength(1), Schema.maxLength(2048)),
  truncatedAlerts: Schema.optional(Schema.Int),
  status: AlertStatus,
  receiver: Schema.String,
  groupLabels: LabelSet,
  commonLabels: LabelSet,
  commonAnnotations: LabelSet,
  externalURL: Schema.String,
  alerts: Schema.Array(AlertmanagerAlert).pipe(
    Schema.minItems(1, { message: () => "alerts must hold at least one alert" }),
    Schema.maxItems(MAX_ALERTS, { message: () => `alerts must hold at most ${MAX_ALERTS} alerts` })
  )
})
/** @see AlertmanagerWebhook */
export type AlertmanagerWebhook = typeof AlertmanagerWebhook.Type

const decodeJson = Schema.decodeUnknownEither(Schema.parseJson(AlertmanagerWebhook), { errors: "all" })

/** Decodes a webhook body; the error is a readable list of what is wrong (at most 5 issues, values cut short). */
export const decodeWebhook = (text: string) =>
  decodeJson(text).pipe(
    Either.mapLeft((error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
      const parts = issues.slice(0, 5).map((issue) => {
        const where = issue.path.length > 0 ? issue.path.join(".") : "body"
        const message = issue.message.length > 200 ? `${issue.message.slice(0, 200)}...` : issue.message
        return `${where.slice(0, 100)}: ${message}`
      })
      return `invalid Alertmanager webhook payload (version 4 expected): ${parts.join("; ")}`
    })
  )

/** Labels whose values name Kubernetes objects, and the entity field each one fills. */
export const ENTITY_LABELS = {
  namespace: "namespaces",
  pod: "pods",
  deployment: "deployments",
  statefulset: "statefulsets",
  daemonset: "daemonsets",
  service: "services",
  node: "nodes",
  container: "containers",
  job_name: "jobs"
} as const

const MAX_PER_KIND = 20
const MAX_VALUE = 200

const cut = (value: string, max = MAX_VALUE): string => (value.length > max ? `${value.slice(0, max)}...` : value)

/**
 * The entities of a group, from its alerts' labels (`extracted_entities` of the incident): namespaces, pods,
 * deployments, statefulsets, daemonsets, services, nodes, containers, jobs (`job_name`), plus `alertname`,
 * `severity` and the Prometheus scrape `job` (kept apart: it names a scrape job, not a Kubernetes Job).
 */
export const alertEntities = (payload: AlertmanagerWebhook): JsonObject => {
  const out: Record<string, Array<string>> = {}
  const add = (field: string, value: string | undefined) => {
    if (value === undefined || value.length === 0) return
    const list = (out[field] ??= [])
    if (list.length < MAX_PER_KIND && !list.includes(cut(value))) list.push(cut(value))
  }
  for (const alert of payload.alerts) {
    for (const [label, field] of Object.entries(ENTITY_LABELS)) add(field, alert.labels[label])
    add("alertnames", alert.labels["alertname"])
    add("severities", alert.labels["severity"])
    add("prometheus_jobs", alert.labels["job"])
  }
  return out
}

const firstOf = (payload: AlertmanagerWebhook, key: string): string | undefined =>
  payload.commonAnnotations[key] ?? payload.alerts.find((a) => a.annotations[key] !== undefined)?.annotations[key]

/**
 * The incident description of a firing group, in words the triage's entity extractor understands
 * ("namespace shop, pod cart-7d9f8-x2x9q, deployment cart"), followed by the summary and description annotations.
 */
export const alertDescription = (payload: AlertmanagerWebhook): string => {
  const entities = alertEntities(payload)
  const alertname = payload.commonLabels["alertname"] ?? payload.groupLabels["alertname"] ?? "(unnamed alert)"
  const severity = payload.commonLabels["severity"]
  const firing = payload.alerts.filter((a) => a.status === "firing").length
  const objects: Array<string> = []
  const words: ReadonlyArray<readonly [string, string]> = [
    ["namespaces", "namespace"],
    ["deployments", "deployment"],
    ["statefulsets", "statefulset"],
    ["daemonsets", "daemonset"],
    ["pods", "pod"],
    ["containers", "container"],
    ["services", "service"],
    ["nodes", "node"],
    ["jobs", "job"]
  ]
  for (const [field, word] of words) {
    const values = entities[field]
    if (Array.isArray(values)) for (const v of values.slice(0, 5)) objects.push(`${word} ${String(v)}`)
  }
  const head =
    `Alertmanager alert ${cut(alertname)} firing (${firing} alert(s)` +
    (severity !== undefined ? `, severity ${cut(severity, 50)}` : "") +
    ")" +
    (objects.length > 0 ? `: ${objects.join(", ")}.` : ".")
  const summary = firstOf(payload, "summary")
  const description = firstOf(payload, "description") ?? firstOf(payload, "message")
  const lines = [head]
  if (summary !== undefined) lines.push(`Summary: ${cut(summary, 1000)}`)
  if (description !== undefined) lines.push(`Description: ${cut(description, 4000)}`)
  const text = lines.join("\n")
  return text.length > MAX_DESCRIPTION_LENGTH ? text.slice(0, MAX_DESCRIPTION_LENGTH) : text
}

/** The fingerprints of a notification's alerts (Alertmanager always sends them; older senders may not). */
export const fingerprintsOf = (payload: AlertmanagerWebhook): Array<string> => [
  ...new Set(payload.alerts.flatMap((a) => (a.fingerprint !== undefined ? [a.fingerprint] : [])))
]

/** The evidence stored on the incident for one notification (labels/annotations, never secrets). */
export const notificationEvidence = (payload: AlertmanagerWebhook, receivedAt: string): JsonObject => ({
  received_at: receivedAt,
  status: payload.status,
  receiver: payload.receiver,
  group_labels: payload.groupLabels,
  common_labels: payload.commonLabels,
  common_annotations: payload.commonAnnotations,
  external_url: payload.externalURL,
  truncated_alerts: payload.truncatedAlerts ?? 0,
  alerts: payload.alerts.slice(0, 50).map((a) => ({
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    starts_at: a.startsAt,
    ...(a.endsAt !== undefined ? { ends_at: a.endsAt } : {}),
    ...(a.fingerprint !== undefined ? { fingerprint: a.fingerprint } : {}),
    ...(a.generatorURL !== undefined ? { generator_url: a.generatorURL } : {})
  }))
})
