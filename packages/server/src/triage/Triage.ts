/**
 * The triage playbook: gathers evidence through the Kubernetes MCP server's read tools (the affected namespace's
 * workloads, pods, events, configuration, storage, nodes, and the logs of the pods that misbehave), follows
 * dependencies into other namespaces, and runs the deterministic analyzers over what it found. Every call is a
 * recorded step and its output a keyed evidence entry.
 */
import { Data, Effect, Option } from "effect"
import {
  analyze,
  type ClusterSnapshot,
  type ExtractedEntities,
  extractEntities,
  type KnownNames,
  knownNamesFromSnapshot
} from "../analysis/index.js"
import type { InvestigationContext } from "../investigation/Agent.js"
import { KnowledgeGraph } from "../knowledge/KnowledgeGraph.js"
import { McpToolManager } from "../mcp/McpToolManager.js"
import { redactValue } from "../observability/redact.js"
import {
  CLUSTER_TYPES,
  DISCOVERY_TYPES,
  findKubernetesServer,
  NAMESPACE_TYPE,
  NAMESPACED_TYPES,
  type ResourceType,
  type ToolInvocation
} from "./KubernetesToolMap.js"
import { SNAPSHOT_PREFIX } from "./CreationSnapshot.js"
import { containerStatuses, get, isRecord, podName, podNamespace, str } from "./objects.js"
import type { TriageResult } from "./TriageResult.js"

/** Why the triage could not run at all. */
export class TriageUnavailable extends Data.TaggedError("TriageUnavailable")<{ readonly message: string }> {}

/** Tuning of the playbook. */
export interface TriageOptions {
  /** Pods whose logs are read, at most. */
  readonly maxLogPods: number
  /** Lines of each log. */
  readonly tailLines: number
  /** Concurrent tool calls. */
  readonly concurrency: number
}

/** Defaults of the playbook. */
export const defaultTriageOptions: TriageOptions = { maxLogPods: 8, tailLines: 100, concurrency: 4 }

const FULL_OUTPUT = 5_000_000
const EVIDENCE_LIMIT = 20_000

/** The list fields of a snapshot. */
type ListField = Exclude<keyof ClusterSnapshot, "logs" | "focus">

const isListField = (field: string): field is ListField =>
  field !== "logs" && field !== "focus" && LIST_FIELDS.includes(field)

const LIST_FIELDS: ReadonlyArray<string> = [...NAMESPACED_TYPES, ...CLUSTER_TYPES].map((t) => t.field)

/** What the triage gathers, as it goes. */
class Gathered {
  readonly lists = new Map<ListField, Array<unknown>>()
  readonly logs: Record<string, string> = {}
  private readonly seen = new Set<string>()
  add(field: ListField, objects: ReadonlyArray<unknown>): void {
    const list = this.lists.get(field) ?? []
    for (const o of objects) {
      const id = uid(o)
      if (this.seen.has(id)) continue
      this.seen.add(id)
      list.push(o)
    }
    this.lists.set(field, list)
  }
  list(field: ListField): ReadonlyArray<unknown> {
    return this.lists.get(field) ?? []
  }
  snapshot(): ClusterSnapshot {
    const out: { -readonly [K in ListField]?: ReadonlyArray<unknown> } = {}
    for (const [field, list] of this.lists) out[field] = list
    return { ...out, logs: { ...this.logs } }
  }
}

const uid = (o: unknown): string =>
  `${str(get(o, "kind")) ?? ""}/${str(get(o, "metadata", "namespace")) ?? ""}/${str(get(o, "metadata", "name")) ?? ""}`

const describeCall = (inv: ToolInvocation): string => {
  const args = Object.entries(inv.args)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ")
  return `${inv.tool} ${args}`.trim()
}

/** How badly a pod misbehaves (0 = healthy); used to choose whose logs to read. */
const podTrouble = (pod: unknown): number => {
  let score = 0
  const phase = str(get(pod, "status", "phase"))
  if (phase === "Pending" || phase === "Failed" || phase === "Unknown") score += 3
  for (const c of containerStatuses(pod)) {
    const restarts = Number(get(c.status, "restartCount") ?? 0)
    if (restarts > 0) score += 2 + Math.min(restarts, 5)
    if (get(c.status, "state", "waiting") !== undefined) score += 3
    const code = get(c.status, "state", "terminated", "exitCode")
    if (typeof code === "number" && code !== 0) score += 3
    if (get(c.status, "ready") === false && !c.init) score += 1
  }
  return score
}

/** Whether a pod belongs to something the description names (the pod itself, or a workload by name prefix). */
const inFocus = (pod: unknown, entities: ExtractedEntities): boolean => {
  const name = podName(pod)
  if (entities.pods.includes(name)) return true
  const owners = [
    ...entities.deployments,
    ...entities.statefulsets,
    ...entities.daemonsets,
    ...entities.jobs,
    ...entities.services,
    ...(entities.name !== undefined ? [entities.name] : [])
  ]
  return owners.some((o) => name === o || name.startsWith(`${o}-`))
}

/** Namespaces that logs or the knowledge graph point at (`svc.ns.svc.cluster.local`, `svc.ns:port`). */
const namespacesInLogs = (
  logs: Readonly<Record<string, string>>,
  known: ReadonlySet<string>
): ReadonlyArray<string> => {
  const found = new Set<string>()
  const re =
    /\b[a-z0-9]([-a-z0-9]*[a-z0-9])?\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(?:\.svc(?:\.cluster\.local)?|:\d{2,5})\b/g
  for (const text of Object.values(logs)) {
    for (const m of text.matchAll(re)) {
      const ns = m[2]
      if (ns !== undefined && known.has(ns)) found.add(ns)
    }
  }
  return [...found]
}

/** Renders the conclusion's findings for an LLM prompt. */
export const summarizeFindings = (result: Pick<TriageResult, "conclusion">): string => {
  const findings = result.conclusion.findings.slice(0, 6)
  if (findings.length === 0) return "The analyzers found nothing specific."
  return findings
    .map(
      (f, i) =>
        `${i + 1}. [${f.confidence}] ${f.title} — ${f.summary} (object ${f.object.kind}/${f.object.name}` +
        `${f.object.namespace !== undefined ? ` in ${f.object.namespace}` : ""}; evidence: ${f.evidence.slice(0, 4).join(", ")})`
    )
    .join("\n")
}

/**
 * Runs the playbook for one incident. Fails with `TriageUnavailable` when no Kubernetes MCP server is connected;
 * individual tool failures are recorded and the triage goes on with what it has.
 */
export const runTriage = (
  ctx: InvestigationContext,
  options: TriageOptions = defaultTriageOptions
): Effect.Effect<TriageResult, TriageUnavailable, McpToolManager | KnowledgeGraph> =>
  Effect.gen(function* () {
    const mcp = yield* McpToolManager
    const graph = yield* KnowledgeGraph
    const tools = yield* mcp.tools
    const found = findKubernetesServer(tools)
    if (Option.isNone(found)) {
      return yield* Effect.fail(
        new TriageUnavailable({
          message: "no connected MCP server offers the Kubernetes read tools (resources_list, pods_log)"
        })
      )
    }
    const { server, map } = found.value
    let calls = 0
    const evidenceKeys: Array<string> = []
    const evidenceIndex = new Map<string, string>()
    const gathered = new Gathered()

    /** One recorded tool call; returns the full output text, or undefined when the call failed. */
    const call = (inv: ToolInvocation, why: string, indexAs?: string) =>
      Effect.gen(function* () {
        const started = new Date()
        const key = `${server}/${describeCall(inv)}`
        calls += 1
        const result = yield* Effect.either(mcp.call(server, inv.tool, inv.args, { outputBudget: FULL_OUTPUT }))
        const step = {
          kind: "tool_call" as const,
          started_at: started.toISOString(),
          reasoning: `triage: ${why}`,
          tool_name: inv.tool,
          tool_server: server,
          tool_arguments: inv.args,
          duration_ms: Date.now() - started.getTime()
        }
        if (result._tag === "Left") {
          yield* ctx.recordStep({ ...step, error: result.left.message })
          return undefined
        }
        const text = result.right.text
        const stored = String(redactValue(text.length > EVIDENCE_LIMIT ? text.slice(0, EVIDENCE_LIMIT) : text))
        yield* ctx.putEvidence(
          key,
          text.length > EVIDENCE_LIMIT
            ? `${stored}\n[... ${text.length - EVIDENCE_LIMIT} characters not stored ...]`
            : stored
        )
        evidenceKeys.push(key)
        if (indexAs !== undefined) evidenceIndex.set(indexAs, key)
        yield* ctx.recordStep({
          ...step,
          output_summary: summarize(stored),
          evidence_key: key,
          ...(result.right.isError ? { error: summarize(stored) } : {})
        })
        return result.right.isError ? undefined : text
      })

    const listInto = (type: ResourceType & { readonly field: string }, namespace: string | undefined) =>
      Effect.gen(function* () {
        const where = type.namespaced ? (namespace !== undefined ? ` in ${namespace}` : " in all namespaces") : ""
        const text = yield* call(
          map.list(type, namespace),
          `list ${type.kind} objects${where}`,
          `list:${type.kind}:${type.namespaced && namespace !== undefined ? namespace : "*"}`
        )
        if (text === undefined) return
        const objects = map
          .parseList(text)
          .filter((o) => type.kind === "Namespace" || get(o, "kind") === undefined || get(o, "kind") === type.kind)
        if (type.kind === "Namespace") {
          namespaces = objects.map((o) => str(get(o, "metadata", "name"))).filter((n): n is string => n !== undefined)
          return
        }
        if (isListField(type.field))
          gathered.add(
            type.field,
            objects.map((o) => (get(o, "kind") === undefined && isRecord(o) ? { kind: type.kind, ...o } : o))
          )
      })

    let namespaces: ReadonlyArray<string> = []

    // 1. which namespaces and objects does the description mean?
    const description = ctx.incident.description
    const firstGuess = extractEntities(description)
    yield* listInto(NAMESPACE_TYPE, undefined)
    const knownNs = new Set(namespaces)
    const named = firstGuess.namespaces.filter((n) => knownNs.has(n))
    if (named.length === 0) {
      // no namespace named: list workloads cluster-wide to resolve the names the description uses
      yield* Effect.forEach(DISCOVERY_TYPES, (t) => listInto(t, undefined), {
        concurrency: options.concurrency,
        discard: true
      })
    }
    const known = (): KnownNames => ({ ...knownNamesFromSnapshot(gathered.snapshot()), namespaces })
    let entities = extractEntities(description, known())
    const targetNs = new Set<string>(entities.namespaces.filter((n) => knownNs.has(n)))
    if (targetNs.size === 0) {
      // namespaces of the objects the description named, else of misbehaving pods
      for (const o of known().objects ?? [])
        if (matchesEntity(o, entities) && o.namespace !== undefined) targetNs.add(o.namespace)
    }
    if (targetNs.size === 0) {
      const troubled = gathered
        .list("pods")
        .filter((p) => podTrouble(p) > 0)
        .map(podNamespace)
      for (const ns of troubled.slice(0, 3)) targetNs.add(ns)
    }
    // the knowledge graph's neighbours of what was named
    const kgServices = yield* graph.find(description)
    for (const svc of kgServices) {
      const hood = yield* graph.neighbourhood(svc.name, svc.namespace)
      if (Option.isSome(hood)) {
        for (const dep of hood.value.dependencies)
          if (dep.service.namespace !== undefined && knownNs.has(dep.service.namespace))
            targetNs.add(dep.service.namespace)
      }
    }

    // 2. everything in the target namespaces, and the cluster-scoped objects
    const gatherNamespace = (ns: string) =>
      Effect.forEach(NAMESPACED_TYPES, (t) => listInto(t, ns), { concurrency: options.concurrency, discard: true })
    yield* Effect.forEach([...targetNs], gatherNamespace, { discard: true })
    yield* Effect.forEach(CLUSTER_TYPES, (t) => listInto(t, undefined), {
      concurrency: options.concurrency,
      discard: true
    })
    entities = extractEntities(description, known())

    // 3. logs of the focus pods and of the pods that misbehave
    const readLogs = (pods: ReadonlyArray<unknown>) =>
      Effect.forEach(
        pods.flatMap((pod) =>
          containerStatuses(pod).flatMap((c) => {
            const ns = podNamespace(pod)
            const name = podName(pod)
            const waiting = get(c.status, "state", "waiting") !== undefined
            const neverStarted = waiting && get(c.status, "lastState", "terminated") === undefined
            const restarted =
              Number(get(c.status, "restartCount") ?? 0) > 0 || get(c.status, "lastState", "terminated") !== undefined
            const out: Array<{ ns: string; name: string; container: string; previous: boolean }> = []
            if (!neverStarted) out.push({ ns, name, container: c.name, previous: false })
            if (restarted) out.push({ ns, name, container: c.name, previous: true })
            return out
          })
        ),
        (l) =>
          Effect.gen(function* () {
            const key = `${l.ns}/${l.name}/${l.container}${l.previous ? "/previous" : ""}`
            if (gathered.logs[key] !== undefined) return
            const text = yield* call(
              map.podLog(l.ns, l.name, l.container, l.previous, options.tailLines),
              `read the ${l.previous ? "previous " : ""}log of ${l.name}/${l.container}`,
              `log:${key}`
            )
            if (text !== undefined) gathered.logs[key] = text
          }),
        { concurrency: options.concurrency, discard: true }
      )
    const choosePods = (nsSet: ReadonlySet<string>) =>
      gathered
        .list("pods")
        .filter((p) => nsSet.has(podNamespace(p)))
        .map((p) => ({ p, score: podTrouble(p) + (inFocus(p, entities) ? 10 : 0) }))
        .filter((x) => x.score > 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, options.maxLogPods)
        .map((x) => x.p)
    yield* readLogs(choosePods(targetNs))

    // 4. follow dependencies that the logs name into other namespaces (one hop)
    const more = namespacesInLogs(gathered.logs, knownNs).filter((ns) => !targetNs.has(ns))
    if (more.length > 0) {
      yield* Effect.forEach(more, gatherNamespace, { discard: true })
      yield* readLogs(choosePods(new Set(more)))
    }

    // 5. what the creation snapshot saw and has since expired (events, logs of crashed instances) still counts
    for (const [key, value] of Object.entries(ctx.incident.evidence)) {
      if (typeof value !== "string" || !key.startsWith(SNAPSHOT_PREFIX)) continue
      const rest = key.slice(SNAPSHOT_PREFIX.length)
      if (rest.startsWith("Event ")) gathered.add("events", map.parseList(value))
      else if (rest.startsWith("log ")) {
        const logKey = rest.slice(4)
        if (gathered.logs[logKey] === undefined) gathered.logs[logKey] = value
      }
    }

    // 6. diagnose
    const conclusion = analyze({ ...gathered.snapshot(), focus: entities })
    const partial: Pick<TriageResult, "conclusion"> = { conclusion }
    return {
      entities,
      conclusion,
      evidenceKeys,
      evidenceIndex,
      summary: summarizeFindings(partial),
      toolCalls: calls
    }
  })

const matchesEntity = (o: { kind: string; name: string }, e: ExtractedEntities): boolean => {
  switch (o.kind) {
    case "Pod":
      return e.pods.includes(o.name)
    case "Deployment":
      return e.deployments.includes(o.name)
    case "StatefulSet":
      return e.statefulsets.includes(o.name)
    case "DaemonSet":
      return e.daemonsets.includes(o.name)
    case "Job":
      return e.jobs.includes(o.name)
    case "Service":
      return e.services.includes(o.name)
    default:
      return e.name === o.name
  }
}

const summarize = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat
}
