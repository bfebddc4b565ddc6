/**
 * Error signatures in the logs of running containers that are not explained by a pod-level failure: expired or
 * untrusted TLS certificates, RBAC Forbidden / permission denied, disk full, out of memory, missing configuration,
 * and otherwise the latest exception line.
 */
import type { Cluster } from "../snapshot.js"
import { logOf, nsOf } from "../cluster.js"
import { logSignals, type LogSignal, type LogSignalKind } from "../logs.js"
import { logEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

const SCORES: Partial<Record<LogSignalKind, number>> = {
  tls: 80,
  permission: 78,
  "disk-full": 80,
  "out-of-memory": 70,
  "missing-env": 75,
  "missing-config": 72,
  "invalid-config": 72,
  incompatible: 72,
  exception: 40,
  fatal: 45
}

const MEANING: Partial<Record<LogSignalKind, string>> = {
  tls: "a TLS certificate problem (expired, or not trusted)",
  permission: "an authorization failure (RBAC Forbidden / permission denied)",
  "disk-full": "a full disk (No space left on device)",
  "out-of-memory": "running out of memory",
  "missing-env": "a missing environment variable",
  "missing-config": "a missing configuration key",
  "invalid-config": "an invalid configuration value",
  incompatible: "a version incompatibility",
  exception: "an unhandled exception",
  fatal: "a fatal error"
}

const rbacDetail = (line: string): string => {
  const m =
    /User "system:serviceaccount:([^:]+):([^"]+)" cannot ([a-z]+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/i.exec(
      line
    )
  if (m === null) return ""
  return `; ServiceAccount ${m[2]} (namespace ${m[1]}) lacks RBAC permission to ${m[3]} ${m[4]}${m[6] === undefined ? "" : ` in namespace ${m[6]}`} — a Role/RoleBinding is missing`
}

/** Finds decisive error signatures in running containers' current logs. */
export const appLogAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const hits: Array<{
    readonly pod: (typeof cluster.pods)[number]
    readonly container: string
    readonly signal: LogSignal
    readonly count: number
  }> = []
  for (const pod of cluster.pods) {
    for (const s of pod.status?.containerStatuses ?? []) {
      if (s.state?.running === undefined) continue
      const log = logOf(cluster, nsOf(pod), pod.metadata.name, s.name, false)
      if (log === undefined) continue
      const signals = logSignals(log).filter((x) => SCORES[x.kind] !== undefined)
      const best = [...signals].sort((a, b) => (SCORES[b.kind] ?? 0) - (SCORES[a.kind] ?? 0))[0]
      if (best !== undefined)
        hits.push({ pod, container: s.name, signal: best, count: signals.filter((x) => x.kind === best.kind).length })
    }
  }
  const out: Array<Finding> = []
  for (const group of groupByWorkload(
    cluster,
    hits.map((h) => h.pod)
  )) {
    const hit = hits.find((h) => h.pod === group.pods[0])
    if (hit === undefined) continue
    const ns = nsOf(hit.pod)
    out.push({
      analyzer: "app-logs",
      title: `Log errors: ${group.workload.name}/${hit.container} (${hit.signal.kind})`,
      object: group.workload,
      summary: `Container ${hit.container} of ${describePods(group.workload, group.pods)} is running but its log shows ${MEANING[hit.signal.kind] ?? hit.signal.kind} (${hit.count}×): "${hit.signal.line}"${hit.signal.kind === "permission" ? rbacDetail(hit.signal.line) : ""}.`,
      severity: "high",
      confidence: (SCORES[hit.signal.kind] ?? 0) >= 70 ? "medium" : "low",
      score: SCORES[hit.signal.kind] ?? 40,
      evidence: [logEvidence(ns ?? "_", hit.pod.metadata.name, hit.container, false)],
      next_steps: [`kubectl logs -n ${ns ?? "default"} ${hit.pod.metadata.name} -c ${hit.container} --tail=200`],
      related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
    })
  }
  return out
}
