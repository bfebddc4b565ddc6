/**
 * Pod creation rejected by admission: ResourceQuota exceeded, LimitRange min/max violations, missing
 * requests/limits under a quota, or other FailedCreate reasons on the controller (ServiceAccount missing, PodSecurity).
 */
import type { Cluster } from "../snapshot.js"
import { eventCount, nsOf } from "../cluster.js"
import { eventEvidence, ref, type Finding } from "../finding.js"

/** Finds controllers whose pods are rejected at creation. */
export const quotaAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const seen = new Set<string>()
  for (const e of cluster.events) {
    if (e.reason !== "FailedCreate" && e.reason !== "FailedCreatePodSandBox") continue
    const io = e.involvedObject
    if (io?.name === undefined || io.kind === undefined) continue
    const msg = e.message ?? ""
    const key = `${io.namespace ?? ""}/${io.kind}/${io.name}`
    if (seen.has(key)) continue
    seen.add(key)
    const objRef = ref(io.kind, io.name, io.namespace ?? e.metadata?.namespace)
    const owner =
      io.kind === "ReplicaSet"
        ? cluster.replicaSets.find((r) => r.metadata.name === io.name && nsOf(r) === objRef.namespace)?.metadata
            .ownerReferences?.[0]
        : undefined
    const who = `${io.kind} ${io.name}${owner === undefined ? "" : ` (${owner.kind} ${owner.name})`}`
    let cause: string
    let score = 90
    const quota =
      /exceeded quota: ([^,]+), requested: ([^,]+(?:,[^,]+)*?), used: ([^,]+(?:,[^,]+)*?), limited: ([^"]+?)\s*$/.exec(
        msg
      )
    const must = /must specify ([a-z.,\s]+)/i.exec(msg)
    const limit =
      /(maximum|minimum) ([a-z-]+) usage per (Container|Pod) is ([^,]+), but (?:limit|request) is ([^.\s"]+)/i.exec(msg)
    if (quota !== null) {
      cause = `ResourceQuota ${quota[1] ?? "?"} is exhausted: the pod requests ${quota[2] ?? "?"} while ${quota[3] ?? "?"} is already used of ${quota[4]?.trim() ?? "?"} (exceeded quota)`
    } else if (must !== null) {
      const q = cluster.resourceQuotas.find((r) => nsOf(r) === objRef.namespace)
      cause = `a ResourceQuota${q === undefined ? "" : ` (${q.metadata.name})`} requires every pod to set ${must[1]?.trim() ?? "requests/limits"}, and the pod template does not (no LimitRange default)`
    } else if (limit !== null) {
      const lr = cluster.limitRanges.find((r) => nsOf(r) === objRef.namespace)
      cause = `LimitRange${lr === undefined ? "" : ` ${lr.metadata.name}`} sets the ${limit[1]?.toLowerCase()} ${limit[2]} per ${limit[3]} to ${limit[4]}, but the container asks for ${limit[5]}`
    } else if (/serviceaccount "([^"]+)" not found/i.test(msg)) {
      cause = `its ServiceAccount ${/serviceaccount "([^"]+)"/i.exec(msg)?.[1] ?? "?"} does not exist`
    } else if (/violates PodSecurity/i.test(msg)) {
      cause = `the pod violates the namespace's PodSecurity policy`
      score = 85
    } else {
      cause = "pod creation is rejected"
      score = 70
    }
    out.push({
      analyzer: "quota",
      title: `FailedCreate: ${who}`,
      object: owner === undefined ? objRef : ref(owner.kind, owner.name, objRef.namespace),
      summary: `${who} cannot create pods (FailedCreate ×${eventCount(e)}): ${cause} — "${msg.slice(0, 220)}".`,
      severity: "critical",
      confidence: score >= 85 ? "high" : "medium",
      score,
      evidence: [eventEvidence(objRef, "FailedCreate")],
      next_steps: [
        `kubectl describe quota,limitrange -n ${objRef.namespace ?? "default"}`,
        "Lower the pod's requests/limits, raise the quota, or free capacity in the namespace."
      ],
      related: [objRef]
    })
  }
  return out
}
