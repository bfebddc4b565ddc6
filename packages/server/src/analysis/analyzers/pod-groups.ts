/**
 * Groups pods by owning workload so a finding speaks for "the pods of Deployment X" rather than one pod each.
 */
import type { Cluster, Pod } from "../snapshot.js"
import { nsOf, workloadOf } from "../cluster.js"
import type { ObjectRef } from "../finding.js"

/** Pods sharing one owning workload. */
export interface PodGroup {
  readonly workload: ObjectRef
  readonly pods: ReadonlyArray<Pod>
}

/** Groups the given pods by their top-level owner (unowned pods are their own group). */
export const groupByWorkload = (cluster: Cluster, pods: ReadonlyArray<Pod>): ReadonlyArray<PodGroup> => {
  const groups = new Map<string, { workload: ObjectRef; pods: Array<Pod> }>()
  for (const pod of pods) {
    const w = workloadOf(cluster, pod)
    const key = `${nsOf(pod) ?? ""}/${w.kind}/${w.name}`
    const g = groups.get(key)
    if (g === undefined) groups.set(key, { workload: w, pods: [pod] })
    else g.pods.push(pod)
  }
  return [...groups.values()]
}

/** "Deployment x" or "pod x" for prose. */
export const describeWorkload = (w: ObjectRef): string => (w.kind === "Pod" ? `pod ${w.name}` : `${w.kind} ${w.name}`)

/** "pod a" / "2 pods of Deployment x (e.g. a)" for prose. */
export const describePods = (w: ObjectRef, pods: ReadonlyArray<Pod>): string => {
  const first = pods[0]?.metadata.name ?? "?"
  if (w.kind === "Pod") return `pod ${w.name}`
  return pods.length === 1
    ? `pod ${first} (${w.kind} ${w.name})`
    : `${pods.length} pods of ${w.kind} ${w.name} (e.g. ${first})`
}
