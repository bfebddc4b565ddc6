/**
 * Stuck rollouts: ProgressDeadlineExceeded, or a new ReplicaSet whose pods are not available while the old one
 * keeps serving. Names the revisions and images; the cause of the new pods' failure is another analyzer's finding.
 */
import type { Cluster, Workload } from "../snapshot.js"
import { nsOf, podReady, revisionOf, shortImage } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"

const image = (w: Workload): string =>
  (w.spec?.template?.spec?.containers ?? []).map((c) => shortImage(c.image ?? "?")).join(", ")

/** Finds Deployments whose latest ReplicaSet is not becoming available. */
export const rolloutAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const dep of cluster.deployments) {
    const ns = nsOf(dep)
    const rss = cluster.replicaSets
      .filter(
        (r) =>
          nsOf(r) === ns &&
          r.metadata.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === dep.metadata.name)
      )
      .sort((a, b) => Number(revisionOf(b) ?? 0) - Number(revisionOf(a) ?? 0))
    const progressing = dep.status?.conditions?.find((c) => c.type === "Progressing")
    const deadline = progressing?.status === "False" && progressing.reason === "ProgressDeadlineExceeded"
    const newest = rss[0]
    const old = rss.slice(1).filter((r) => (r.status?.readyReplicas ?? 0) > 0)
    const newPods =
      newest === undefined
        ? []
        : cluster.pods.filter(
            (p) => nsOf(p) === ns && p.metadata.ownerReferences?.some((o) => o.name === newest.metadata.name)
          )
    const newReady = newPods.filter(podReady).length
    const stalled = newest !== undefined && old.length > 0 && newPods.length > 0 && newReady < newPods.length
    if (!deadline && !stalled) continue
    const depRef = ref("Deployment", dep.metadata.name, ns)
    const rev = newest === undefined ? undefined : revisionOf(newest)
    const oldText =
      old.length > 0
        ? `; the old ReplicaSet ${old.map((r) => `${r.metadata.name} (${image(r)}, ${r.status?.readyReplicas ?? 0} ready)`).join(", ")} keeps serving`
        : ""
    out.push({
      analyzer: "rollout",
      title: `Rollout stuck: Deployment ${dep.metadata.name}`,
      object: depRef,
      summary:
        `The rollout of Deployment ${dep.metadata.name}${rev === undefined ? "" : ` to revision ${rev}`}${newest === undefined ? "" : ` (${image(newest)})`} is stuck` +
        `${deadline ? " (ProgressDeadlineExceeded)" : ""}: the new ReplicaSet ${newest?.metadata.name ?? "?"} has ${newReady}/${newPods.length} ready pods${oldText}.`,
      severity: "high",
      confidence: "medium",
      // 35 when an old ReplicaSet still serves (a rollout story worth appending to the root cause), else 25.
      score: old.length > 0 || deadline ? 35 : 25,
      evidence: [objectEvidence(depRef), eventEvidence(depRef, "ScalingReplicaSet")],
      next_steps: [
        `kubectl rollout status -n ${ns ?? "default"} deployment/${dep.metadata.name}`,
        `Roll back if needed: kubectl rollout undo -n ${ns ?? "default"} deployment/${dep.metadata.name}`
      ],
      related: [
        ...newPods.map((p) => ref("Pod", p.metadata.name, nsOf(p))),
        ...(newest === undefined ? [] : [ref("ReplicaSet", newest.metadata.name, ns)])
      ]
    })
  }
  return out
}
