/**
 * CrashLoopBackOff / repeatedly failing containers (not OOM, not liveness kills): exit-code meaning plus the
 * decisive line of the previous log, resolved to the ConfigMap/Secret/Service it points at.
 */
import type { Cluster, Pod } from "../snapshot.js"
import { containerSpec, eventsFor, nsOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"
import { explainTermination, lastTermination, type TerminationExplanation } from "./termination.js"

const livenessKilled = (cluster: Cluster, pod: Pod, container: string): boolean =>
  eventsFor(cluster, "Pod", pod.metadata.name, nsOf(pod)).some(
    (e) =>
      (e.reason === "Killing" &&
        /fail(?:ed)? (?:liveness|startup) probe/i.test(e.message ?? "") &&
        (e.message ?? "").includes(container)) ||
      (e.reason === "Unhealthy" && /^(Liveness|Startup) probe failed/i.test(e.message ?? ""))
  )

/** Whether a container is crash-looping or has terminated with a failure. */
const isCrashing = (status: {
  readonly state?: { readonly waiting?: { readonly reason?: string } }
  readonly restartCount?: number
  readonly lastState?: { readonly terminated?: { readonly exitCode?: number } }
}): boolean =>
  status.state?.waiting?.reason === "CrashLoopBackOff" ||
  status.state?.waiting?.reason === "RunContainerError" ||
  ((status.restartCount ?? 0) > 0 && (status.lastState?.terminated?.exitCode ?? 0) !== 0)

/** Finds crash-looping regular containers and explains each workload's crash once. */
export const crashLoopAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const crashing = cluster.pods.filter((p) =>
    (p.status?.containerStatuses ?? []).some((s) => isCrashing(s) && lastTermination(s)?.reason !== "OOMKilled")
  )
  for (const group of groupByWorkload(cluster, crashing)) {
    const names = new Set(
      group.pods.flatMap((p) => (p.status?.containerStatuses ?? []).filter(isCrashing).map((s) => s.name))
    )
    for (const container of names) {
      let best: { readonly pod: Pod; readonly exp: TerminationExplanation } | undefined
      let killedByProbe = false
      for (const pod of group.pods) {
        const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === container)
        if (status === undefined || !isCrashing(status) || lastTermination(status)?.reason === "OOMKilled") continue
        const exp = explainTermination(cluster, pod, containerSpec(pod, container), status)
        if (
          livenessKilled(cluster, pod, container) &&
          (exp?.signal === undefined || exp.exitCode === 143 || exp.exitCode === 137)
        )
          killedByProbe = true
        if (exp !== undefined && (best === undefined || exp.score > best.exp.score)) best = { pod, exp }
      }
      if (best === undefined) continue
      const ns = nsOf(best.pod)
      const podRef = ref("Pod", best.pod.metadata.name, ns)
      const exp = best.exp
      const probeNote = killedByProbe ? " (the kubelet is also killing it for failing its liveness probe)" : ""
      const affected = group.pods.filter((p) => (p.status?.containerStatuses ?? []).some((s) => s.name === container))
      out.push({
        analyzer: "crashloop",
        title: `CrashLoopBackOff: ${group.workload.name}/${container}`,
        object: group.workload.kind === "Pod" ? podRef : group.workload,
        summary: `Container ${container} of ${describePods(group.workload, affected)} is in CrashLoopBackOff: it ${exp.clause}${probeNote}.`,
        severity: "critical",
        // A liveness kill with no log error is the probe analyzer's finding.
        score: killedByProbe && exp.signal === undefined ? 30 : exp.score,
        confidence: exp.confidence,
        evidence: [...exp.evidence, eventEvidence(podRef, "BackOff"), objectEvidence(podRef)],
        next_steps: exp.nextSteps,
        related: affected.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
      })
    }
  }
  return out
}
