/**
 * Init containers that fail (Init:CrashLoopBackOff / Init:Error) keep the pod from ever starting; explains the
 * failure from the init container's log (e.g. waiting for a DNS name that is not a Service).
 */
import type { Cluster } from "../snapshot.js"
import { containerSpec, nsOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"
import { explainTermination, lastTermination, type TerminationExplanation } from "./termination.js"

/** Finds failing init containers. */
export const initContainerAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const failing = cluster.pods.filter((p) =>
    (p.status?.initContainerStatuses ?? []).some(
      (s) => (lastTermination(s)?.exitCode ?? 0) !== 0 || s.state?.waiting?.reason === "CrashLoopBackOff"
    )
  )
  const out: Array<Finding> = []
  for (const group of groupByWorkload(cluster, failing)) {
    let best:
      | { readonly pod: (typeof failing)[number]; readonly name: string; readonly exp: TerminationExplanation }
      | undefined
    for (const pod of group.pods) {
      for (const s of pod.status?.initContainerStatuses ?? []) {
        const exp = explainTermination(cluster, pod, containerSpec(pod, s.name), s)
        if (exp !== undefined && (best === undefined || exp.score > best.exp.score)) best = { pod, name: s.name, exp }
      }
    }
    if (best === undefined) continue
    const ns = nsOf(best.pod)
    const podRef = ref("Pod", best.pod.metadata.name, ns)
    out.push({
      analyzer: "init-containers",
      title: `Init container failing: ${group.workload.name}/${best.name}`,
      object: group.workload.kind === "Pod" ? podRef : group.workload,
      summary: `Init container ${best.name} of ${describePods(group.workload, group.pods)} fails (Init:CrashLoopBackOff), so the main containers never start: it ${best.exp.clause}.`,
      severity: "critical",
      confidence: best.exp.confidence,
      score: best.exp.score + 2,
      evidence: [...best.exp.evidence, eventEvidence(podRef, "BackOff"), objectEvidence(podRef)],
      next_steps: best.exp.nextSteps,
      related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
    })
  }
  return out
}
