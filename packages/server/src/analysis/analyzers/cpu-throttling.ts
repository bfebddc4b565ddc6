/**
 * CPU throttling: a container with a tiny CPU limit whose probes time out (or whose log shows slow requests/GC) is
 * being throttled by CFS quota.
 */
import type { Cluster } from "../snapshot.js"
import { eventsFor, logOf, nsOf } from "../cluster.js"
import { parseCpuMillis } from "../quantity.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

const TINY_MILLIS = 250

/** Finds containers whose CPU limit is small enough to starve them, with timeout evidence. */
export const cpuThrottlingAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const hits = cluster.pods.flatMap((pod) =>
    (pod.spec?.containers ?? []).flatMap((c) => {
      const millis = parseCpuMillis(c.resources?.limits?.["cpu"])
      if (millis === undefined || millis > TINY_MILLIS) return []
      const timeouts = eventsFor(cluster, "Pod", pod.metadata.name, nsOf(pod)).filter(
        (e) => e.reason === "Unhealthy" && /timeout|deadline exceeded|timed out/i.test(e.message ?? "")
      )
      const log = logOf(cluster, nsOf(pod), pod.metadata.name, c.name, false) ?? ""
      const slow = /throttl|took \d{4,}ms|GC overhead|slow request|deadline exceeded/i.test(log)
      const kinds = [
        ...new Set(
          timeouts
            .map((e) => /^(Liveness|Readiness|Startup)/.exec(e.message ?? "")?.[1]?.toLowerCase())
            .filter((k): k is string => k !== undefined)
        )
      ]
      return timeouts.length > 0 || slow ? [{ pod, container: c.name, millis, timeouts: timeouts.length, kinds }] : []
    })
  )
  const out: Array<Finding> = []
  for (const group of groupByWorkload(
    cluster,
    hits.map((h) => h.pod)
  )) {
    const hit = hits.find((h) => h.pod === group.pods[0])
    if (hit === undefined) continue
    const podRef = ref("Pod", hit.pod.metadata.name, nsOf(hit.pod))
    out.push({
      analyzer: "cpu-throttling",
      title: `CPU throttling: ${group.workload.name}/${hit.container}`,
      object: group.workload,
      summary: `Container ${hit.container} of ${describePods(group.workload, group.pods)} has a CPU limit of only ${hit.millis}m, so CFS throttling stalls it${hit.timeouts > 0 ? ` and its ${hit.kinds.length > 0 ? hit.kinds.join("/") : ""} probe${hit.kinds.length > 1 ? "s" : ""} time${hit.kinds.length > 1 ? "" : "s"} out${hit.kinds.includes("liveness") ? ", so the kubelet restarts it" : ""}` : " and requests are slow"}; raise the CPU limit.`,
      severity: "high",
      confidence: "medium",
      score: hit.timeouts > 0 ? 72 : 55,
      evidence: [objectEvidence(podRef), ...(hit.timeouts > 0 ? [eventEvidence(podRef, "Unhealthy")] : [])],
      next_steps: ["Raise (or remove) the CPU limit and check container_cpu_cfs_throttled_periods_total."],
      related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
    })
  }
  return out
}
