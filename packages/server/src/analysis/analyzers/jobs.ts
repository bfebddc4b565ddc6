/**
 * Failed Jobs (BackoffLimitExceeded, DeadlineExceeded): the reason from the failed pods' exit codes and logs.
 */
import type { Cluster } from "../snapshot.js"
import { containerSpec, nsOf } from "../cluster.js"
import { objectEvidence, ref, type Finding } from "../finding.js"
import { explainTermination, type TerminationExplanation } from "./termination.js"

/** Finds failed Jobs and explains the last pod failure. */
export const jobAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const job of cluster.jobs) {
    const failed = job.status?.conditions?.find((c) => c.type === "Failed" && c.status === "True")
    if (failed === undefined) continue
    const ns = nsOf(job)
    const jobRef = ref("Job", job.metadata.name, ns)
    const pods = cluster.pods.filter(
      (p) =>
        nsOf(p) === ns &&
        (p.metadata.ownerReferences?.some((o) => o.kind === "Job" && o.name === job.metadata.name) ||
          p.metadata.labels?.["job-name"] === job.metadata.name)
    )
    let best: TerminationExplanation | undefined
    for (const pod of pods) {
      for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
        const exp = explainTermination(cluster, pod, containerSpec(pod, s.name), s)
        if (exp !== undefined && (best === undefined || exp.score > best.score)) best = exp
      }
    }
    const why =
      failed.reason === "DeadlineExceeded"
        ? `it ran longer than activeDeadlineSeconds=${job.spec?.activeDeadlineSeconds ?? "?"}`
        : `its pods failed ${job.status?.failed ?? "?"} times (backoffLimit ${job.spec?.backoffLimit ?? 6})`
    out.push({
      analyzer: "jobs",
      title: `Job ${job.metadata.name} failed (${failed.reason ?? "Failed"})`,
      object: jobRef,
      summary: `Job ${job.metadata.name} failed with ${failed.reason ?? "Failed"} because ${why}${best === undefined ? "" : `; the job container ${best.clause}`}.`,
      severity: "high",
      confidence: best === undefined ? "medium" : best.confidence,
      score: best === undefined ? 60 : Math.max(65, best.score),
      evidence: [objectEvidence(jobRef), ...(best?.evidence ?? [])],
      next_steps: [`kubectl logs -n ${ns ?? "default"} job/${job.metadata.name}`, ...(best?.nextSteps ?? [])],
      related: [
        ...pods.map((p) => ref("Pod", p.metadata.name, nsOf(p))),
        ...(job.metadata.ownerReferences ?? []).map((o) => ref(o.kind, o.name, ns))
      ]
    })
  }
  return out
}
