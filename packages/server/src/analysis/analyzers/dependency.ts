/**
 * Dependency walk: when a pod's log says it cannot reach host X (connection refused, timeout, DNS failure), resolve
 * X to a Service, then to its endpoints and pods; when those pods fail, the upstream failure is the root cause. When
 * X is not a Service at all, say so and suggest the similarly named Service that exists.
 */
import type { Cluster, Pod } from "../snapshot.js"
import { containerSpec, logOf, nsOf, podReady, workloadOf } from "../cluster.js"
import { logSignals, type LogSignal } from "../logs.js"
import { logEvidence, ref, type Analyzer, type Finding, type ObjectRef } from "../finding.js"
import { describeHost } from "./dependency-resolve.js"
import { describeWorkload } from "./pod-groups.js"

const clipQuote = (line: string): string => {
  const errAt = line.search(/err(?:or)?[=:]|dial |connect|refused|timeout|deadline|NXDOMAIN|can't find/i)
  const from = errAt > 60 ? line.slice(errAt) : line
  return from.length > 140 ? `${from.slice(0, 139)}…` : from
}

const sameRef = (a: ObjectRef, b: ObjectRef): boolean =>
  a.kind === b.kind &&
  a.name === b.name &&
  (a.namespace === undefined || b.namespace === undefined || a.namespace === b.namespace)

const involves = (f: Finding, r: ObjectRef): boolean => sameRef(f.object, r) || f.related.some((x) => sameRef(x, r))

interface ClientFailure {
  readonly pod: Pod
  readonly container: string
  readonly signal: LogSignal
  readonly host: string
  readonly count: number
  readonly previous: boolean
}

const clientFailures = (cluster: Cluster): ReadonlyArray<ClientFailure> => {
  const out: Array<ClientFailure> = []
  for (const pod of cluster.pods) {
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      for (const previous of [false, true]) {
        const log = logOf(cluster, nsOf(pod), pod.metadata.name, c.name, previous)
        if (log === undefined) continue
        const signals = logSignals(log).filter(
          (s) => (s.kind === "connection-refused" || s.kind === "timeout" || s.kind === "dns") && s.host !== undefined
        )
        const byHost = new Map<string, { signal: LogSignal; count: number }>()
        for (const s of signals) {
          const h = s.host ?? ""
          byHost.set(h, { signal: s, count: (byHost.get(h)?.count ?? 0) + 1 })
        }
        for (const [host, v] of byHost) out.push({ pod, container: c.name, host, previous, ...v })
      }
    }
  }
  return out
}

/**
 * Builds the dependency analyzer over the findings of the pod/service/node analyzers (`upstream`), so that a
 * client's connection errors are attributed to the failing upstream.
 */
export const makeDependencyAnalyzer =
  (upstream: ReadonlyArray<Analyzer>): Analyzer =>
  (cluster) => {
    const failures = clientFailures(cluster)
    if (failures.length === 0) return []
    const upstreamFindings = upstream.flatMap((a) => a(cluster))
    const out: Array<Finding> = []
    const seen = new Set<string>()
    for (const f of failures) {
      const client = workloadOf(cluster, f.pod)
      const key = `${client.namespace ?? ""}/${client.kind}/${client.name}/${f.host}`
      if (seen.has(key)) continue
      seen.add(key)
      const desc = describeHost(
        cluster,
        f.pod,
        containerSpec(f.pod, f.container),
        f.host,
        f.signal.kind === "dns" ? "dns" : f.signal.kind === "timeout" ? "timeout" : "connection-refused"
      )
      if (desc === undefined) continue
      const clientPods = cluster.pods.filter((p) => {
        const w = workloadOf(cluster, p)
        return w.kind === client.kind && w.name === client.name && nsOf(p) === nsOf(f.pod)
      })
      const clientRefs = [client, ...clientPods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))]
      const failure =
        f.signal.kind === "dns"
          ? "cannot resolve"
          : f.signal.kind === "timeout"
            ? "times out connecting to"
            : "gets connection refused from"
      const head = `${describeWorkload(client)} ${failure} ${f.host}${f.signal.port === undefined ? "" : `:${f.signal.port}`} (${f.count}× in its log: "${clipQuote(f.signal.line)}")`
      const evidence = [logEvidence(nsOf(f.pod) ?? "_", f.pod.metadata.name, f.container, f.previous), ...desc.evidence]
      if (desc.missing) {
        out.push({
          analyzer: "dependency",
          title: `Missing Service ${f.host}`,
          object: client,
          summary: `${head} because ${desc.text}.`,
          severity: "critical",
          confidence: "high",
          score: 84,
          evidence,
          next_steps: desc.nextSteps,
          related: clientRefs
        })
        continue
      }
      const svc = desc.service
      if (svc === undefined) continue
      const svcRef = ref("Service", svc.metadata.name, nsOf(svc))
      const backendRefs = desc.backends.flatMap((p) => [ref("Pod", p.metadata.name, nsOf(p)), workloadOf(cluster, p)])
      const cause = upstreamFindings
        .filter(
          (u) =>
            u.analyzer !== "rollout" &&
            u.score >= 40 &&
            (involves(u, svcRef) || backendRefs.some((b) => involves(u, b)))
        )
        .sort((a, b) => b.score - a.score)[0]
      if (cause !== undefined) {
        out.push({
          analyzer: "dependency",
          title: `Upstream ${svc.metadata.name} failing`,
          object: client,
          summary: `${head}: its upstream Service ${svc.metadata.name} has no working backends — ${cause.summary}`,
          severity: "critical",
          confidence: cause.confidence,
          score: Math.min(99, cause.score + 3),
          evidence: [...evidence, ...cause.evidence],
          next_steps: cause.next_steps,
          related: [...clientRefs, svcRef, ...cause.related]
        })
      } else if (desc.backends.length > 0 && desc.backends.every((p) => !podReady(p))) {
        out.push({
          analyzer: "dependency",
          title: `Upstream ${svc.metadata.name} not ready`,
          object: svcRef,
          summary: `${head}: ${desc.text}, so the upstream Service ${svc.metadata.name} has no ready endpoints.`,
          severity: "critical",
          confidence: "medium",
          score: 55,
          evidence,
          next_steps: desc.nextSteps,
          related: [...clientRefs, ...backendRefs]
        })
      }
    }
    return out
  }
