/**
 * Evidence snapshot at creation: Kubernetes events expire after about an hour, so when an incident is filed the
 * orchestrator captures the named namespace's events and pods and the log tails of the named workload's pods at once,
 * as evidence (`snapshot/...` keys). A delayed or repeated investigation merges them into what it gathers.
 */
import type { Incident } from "@sre/schema"
import { Context, Effect, Layer, Option } from "effect"
import { extractEntities } from "../analysis/index.js"
import { McpToolManager } from "../mcp/McpToolManager.js"
import { redactValue } from "../observability/redact.js"
import { IncidentRepository, nowIso } from "../store/IncidentRepository.js"
import { findKubernetesServer, NAMESPACED_TYPES, type ResourceType } from "./KubernetesToolMap.js"
import { containerStatuses, get, podName } from "./objects.js"

/** Captures an evidence snapshot for a new incident. */
export interface CreationSnapshotShape {
  /** Captures what would expire; never fails (problems are logged), bounded in time. */
  readonly capture: (incident: Incident) => Effect.Effect<void>
}

/** The creation-snapshot service. */
export class CreationSnapshot extends Context.Tag("sre/CreationSnapshot")<CreationSnapshot, CreationSnapshotShape>() {}

/** Prefix of the evidence keys the snapshot writes. */
export const SNAPSHOT_PREFIX = "snapshot/"

const MAX_PODS = 3
const TAIL_LINES = 50
const STORED_LIMIT = 50_000

const typeOf = (kind: string): ResourceType | undefined => NAMESPACED_TYPES.find((t) => t.kind === kind)

const strings = (u: unknown): ReadonlyArray<string> =>
  Array.isArray(u) ? u.filter((x): x is string => typeof x === "string") : typeof u === "string" ? [u] : []

/** Evidence key of a snapshot log. */
export const snapshotLogKey = (ns: string, pod: string, container: string, previous: boolean): string =>
  `${SNAPSHOT_PREFIX}log ${ns}/${pod}/${container}${previous ? "/previous" : ""}`

/** Evidence key of a snapshot list. */
export const snapshotListKey = (kind: string, ns: string): string => `${SNAPSHOT_PREFIX}${kind} ${ns}`

const make = Effect.gen(function* () {
  const mcp = yield* McpToolManager
  const repo = yield* IncidentRepository

  const capture = (incident: Incident) =>
    Effect.gen(function* () {
      const found = findKubernetesServer(yield* mcp.tools)
      if (Option.isNone(found)) return
      const { server, map } = found.value
      const given = incident.extracted_entities
      const parsed = extractEntities(incident.description)
      const namespace = typeof given["namespace"] === "string" ? given["namespace"] : parsed.namespaces[0]
      if (namespace === undefined) return
      const workloads = [
        ...strings(given["pod"]),
        ...strings(given["deployment"]),
        ...strings(given["statefulset"]),
        ...parsed.pods,
        ...parsed.deployments,
        ...parsed.statefulsets,
        ...(parsed.name !== undefined ? [parsed.name] : []),
        // hyphenated names in the text ("pick-planner"): checked below against the pods that exist
        ...(incident.description.toLowerCase().match(/\b[a-z0-9]+(?:-[a-z0-9]+)+\b/g) ?? [])
      ]
      let stored = 0
      const store = (key: string, text: string) =>
        Effect.zipRight(
          repo.putEvidence(incident.id, key, String(redactValue(text.slice(0, STORED_LIMIT)))).pipe(Effect.ignore),
          Effect.sync(() => void (stored += 1))
        )
      const list = (kind: string) =>
        Effect.gen(function* () {
          const type = typeOf(kind)
          if (type === undefined) return []
          const inv = map.list(type, namespace)
          const result = yield* Effect.option(mcp.call(server, inv.tool, inv.args, { outputBudget: 5_000_000 }))
          if (Option.isNone(result) || result.value.isError) return []
          yield* store(snapshotListKey(kind, namespace), result.value.text)
          return map.parseList(result.value.text)
        })
      yield* list("Event")
      const pods = yield* list("Pod")
      const named = pods
        .filter((p) => {
          const name = podName(p)
          return name !== "" && workloads.some((w) => name === w || name.startsWith(`${w}-`))
        })
        .slice(0, MAX_PODS)
      yield* Effect.forEach(
        named.flatMap((pod) =>
          containerStatuses(pod).flatMap((c) => {
            const restarts = get(c.status, "restartCount")
            const restarted = typeof restarts === "number" && restarts > 0
            return [
              { name: podName(pod), container: c.name, previous: false },
              ...(restarted ? [{ name: podName(pod), container: c.name, previous: true }] : [])
            ]
          })
        ),
        (l) =>
          Effect.gen(function* () {
            const inv = map.podLog(namespace, l.name, l.container, l.previous, TAIL_LINES)
            const result = yield* Effect.option(mcp.call(server, inv.tool, inv.args))
            if (Option.isSome(result) && !result.value.isError) {
              yield* store(snapshotLogKey(namespace, l.name, l.container, l.previous), result.value.text)
            }
          }),
        { concurrency: 3, discard: true }
      )
      if (stored > 0) {
        yield* repo
          .appendStep(incident.id, {
            kind: "note",
            started_at: nowIso(),
            reasoning: `Evidence snapshot captured at creation (${stored} entries: events, pods and log tails in ${namespace}).`
          })
          .pipe(Effect.ignore)
      }
    }).pipe(
      Effect.timeout("30 seconds"),
      Effect.catchAllCause((cause) => Effect.logWarning("evidence snapshot at creation failed", cause)),
      Effect.annotateLogs({ incident_id: incident.id }),
      Effect.withSpan("CreationSnapshot.capture", {
        attributes: { incident_id: incident.id },
        captureStackTrace: false
      })
    )

  return { capture }
})

/** The live snapshot service over the MCP tool manager and the store. */
export const layerCreationSnapshot: Layer.Layer<CreationSnapshot, never, McpToolManager | IncidentRepository> =
  Layer.effect(CreationSnapshot, make)
