/**
 * Ranks findings (specificity and evidence strength, boosted when they concern the incident's focus) and builds the
 * conclusion: one root-cause sentence, a confidence, the ranked findings and next steps.
 */
import type { Cluster } from "./snapshot.js"
import type { Confidence, Finding, ObjectRef } from "./finding.js"
import { nsOf, podsOfService, podsOfWorkload, workloadOf } from "./cluster.js"

/** The analyzers' verdict. */
export interface Conclusion {
  /** One or two sentences naming the object, the mechanism and the decisive value. */
  readonly suggested_root_cause: string
  readonly confidence: Confidence
  /** All findings, most relevant first. */
  readonly findings: ReadonlyArray<Finding>
  readonly next_steps: ReadonlyArray<string>
}

const key = (r: ObjectRef): string => `${r.kind}/${r.name}`

/** Names (as `Kind/name`) of everything the focus points at, expanded through selectors and owners. */
export const focusSet = (cluster: Cluster): ReadonlySet<string> => {
  const f = cluster.focus
  const out = new Set<string>()
  const ns = f.namespace
  const add = (r: ObjectRef) => out.add(key(r))
  const workloads: Array<ObjectRef> = [
    ...(f.deployments ?? []).map((n) => ({ kind: "Deployment", name: n })),
    ...(f.statefulsets ?? []).map((n) => ({ kind: "StatefulSet", name: n })),
    ...(f.daemonsets ?? []).map((n) => ({ kind: "DaemonSet", name: n })),
    ...(f.jobs ?? []).map((n) => ({ kind: "Job", name: n }))
  ]
  if (f.kind !== undefined && f.name !== undefined) workloads.push({ kind: f.kind, name: f.name })
  for (const w of workloads) {
    add(w)
    for (const p of podsOfWorkload(cluster, ns === undefined ? w : { ...w, namespace: ns }))
      add({ kind: "Pod", name: p.metadata.name })
  }
  for (const name of f.pods ?? []) {
    add({ kind: "Pod", name })
    const pod = cluster.pods.find((p) => p.metadata.name === name)
    if (pod !== undefined) add(workloadOf(cluster, pod))
  }
  const services = [...(f.services ?? [])]
  for (const host of f.hosts ?? []) {
    for (const ing of cluster.ingresses) {
      for (const rule of ing.spec?.rules ?? []) {
        if (rule.host !== host) continue
        for (const p of rule.http?.paths ?? [])
          if (p.backend?.service?.name !== undefined) services.push(p.backend.service.name)
      }
    }
  }
  for (const name of services) {
    add({ kind: "Service", name })
    const svc = cluster.services.find((s) => s.metadata.name === name && (ns === undefined || nsOf(s) === ns))
    for (const p of svc === undefined ? [] : podsOfService(cluster, svc)) {
      add({ kind: "Pod", name: p.metadata.name })
      add(workloadOf(cluster, p))
    }
  }
  for (const n of f.nodes ?? []) add({ kind: "Node", name: n })
  return out
}

/** Ranking weight of a finding: its own score plus how closely it concerns the focus. */
export const relevance = (cluster: Cluster, focus: ReadonlySet<string>, f: Finding): number => {
  let bonus = 0
  const f0 = cluster.focus
  const primary =
    f0.kind !== undefined && f0.name !== undefined && f.object.kind === f0.kind && f.object.name === f0.name
  if (focus.has(key(f.object))) bonus += primary ? 35 : 30
  else if (f.related.some((r) => focus.has(key(r)))) bonus += 20
  const ns = cluster.focus.namespace
  if (ns !== undefined) {
    const nss = [f.object.namespace, ...f.related.map((r) => (r.kind === "Namespace" ? r.name : r.namespace))].filter(
      (x) => x !== undefined
    )
    if (nss.includes(ns)) bonus += 8
    else if (nss.length > 0) bonus -= 15
  }
  return f.score + bonus
}

const downgrade = (c: Confidence): Confidence => (c === "high" ? "medium" : "low")

const checkedSummary = (cluster: Cluster): string => {
  const ns = cluster.focus.namespace
  const scope = ns === undefined ? "the cluster" : `namespace ${ns}`
  const pods = ns === undefined ? cluster.pods : cluster.pods.filter((p) => nsOf(p) === ns)
  return (
    `No failure signature was found in ${scope}: checked ${pods.length} pods (container states, exit codes, restarts, probes, scheduling), ` +
    `${cluster.nodes.length} nodes, ${cluster.services.length} services/endpoints, ${cluster.events.length} events and ${Object.keys(cluster.logs).length} logs; ` +
    "the cause is probably outside what Kubernetes shows (application behaviour, an external dependency, or data)."
  )
}

/** Ranks findings and writes the conclusion. */
export const conclude = (cluster: Cluster, findings: ReadonlyArray<Finding>): Conclusion => {
  const focus = focusSet(cluster)
  const ranked = findings
    .map((f) => ({ f, w: relevance(cluster, focus, f) }))
    .sort((a, b) => b.w - a.w || b.f.score - a.f.score)
  const top = ranked[0]
  if (top === undefined) {
    return {
      suggested_root_cause: checkedSummary(cluster),
      confidence: "low",
      findings: [],
      next_steps: [
        "Check the application's own metrics and traces, and recent changes (deploys, config, dependencies)."
      ]
    }
  }
  let sentence = top.f.summary
  const rollout = ranked.find(
    (r) =>
      r.f.analyzer === "rollout" &&
      r.f.score >= 35 &&
      r.f !== top.f &&
      (key(r.f.object) === key(top.f.object) || top.f.related.some((x) => r.f.related.some((y) => key(x) === key(y))))
  )
  if (rollout !== undefined && top.f.analyzer !== "rollout") sentence = `${sentence} ${rollout.f.summary}`
  let confidence = top.f.confidence
  if (top.w < 50) confidence = "low"
  const runnerUp = ranked[1]
  if (
    runnerUp !== undefined &&
    runnerUp.w >= top.w - 3 &&
    key(runnerUp.f.object) !== key(top.f.object) &&
    runnerUp.f.analyzer !== "rollout" &&
    !top.f.summary.includes(runnerUp.f.summary) &&
    !runnerUp.f.summary.includes(top.f.summary)
  ) {
    confidence = downgrade(confidence)
  }
  const steps = [...new Set([...top.f.next_steps, ...(ranked[1]?.f.next_steps ?? [])])].slice(0, 5)
  return { suggested_root_cause: sentence, confidence, findings: ranked.map((r) => r.f), next_steps: steps }
}
