/**
 * OOMKilled containers: quotes the memory limit, a JVM heap (-Xmx / MaxRAMPercentage) that exceeds it, and a limit
 * lowered by the latest revision (compared with the workload's previous ReplicaSet).
 */
import type { Cluster, Container, Pod } from "../snapshot.js"
import { containerSpec, nsOf, replicaSetOf, revisionOf } from "../cluster.js"
import { logEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { findJvmHeap, formatBytes, parseQuantity } from "../quantity.js"
import { logSignals } from "../logs.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

const oomStatus = (pod: Pod) =>
  (pod.status?.containerStatuses ?? []).filter(
    (s) => s.lastState?.terminated?.reason === "OOMKilled" || s.state?.terminated?.reason === "OOMKilled"
  )

const jvmText = (c: Container): string =>
  [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => e.value ?? "")].join(" ")

/** The memory limit of the same container in an older ReplicaSet of the pod's Deployment, if it differs. */
const previousLimit = (
  cluster: Cluster,
  pod: Pod,
  container: string,
  current: number
): { readonly limit: string; readonly revision?: string } | undefined => {
  const rs = replicaSetOf(cluster, pod)
  const owner = rs?.metadata.ownerReferences?.find((o) => o.kind === "Deployment")
  if (rs === undefined || owner === undefined) return undefined
  const siblings = cluster.replicaSets
    .filter(
      (r) =>
        r.metadata.name !== rs.metadata.name &&
        nsOf(r) === nsOf(rs) &&
        r.metadata.ownerReferences?.some((o) => o.kind === "Deployment" && o.name === owner.name)
    )
    .sort((a, b) => Number(revisionOf(b) ?? 0) - Number(revisionOf(a) ?? 0))
  for (const sib of siblings) {
    const c = sib.spec?.template?.spec?.containers?.find((x) => x.name === container)
    const lim = c?.resources?.limits?.["memory"]
    const bytes = parseQuantity(lim)
    if (lim !== undefined && bytes !== undefined && bytes !== current) {
      const rev = revisionOf(rs)
      return { limit: String(lim), ...(rev === undefined ? {} : { revision: rev }) }
    }
  }
  return undefined
}

/** Finds OOMKilled containers and explains the limit vs the process's memory needs. */
export const oomAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const group of groupByWorkload(
    cluster,
    cluster.pods.filter((p) => oomStatus(p).length > 0)
  )) {
    const pod = group.pods[0]
    if (pod === undefined) continue
    for (const status of oomStatus(pod)) {
      const ns = nsOf(pod)
      const spec = containerSpec(pod, status.name)
      const limitRaw = spec?.resources?.limits?.["memory"]
      const limit = parseQuantity(limitRaw)
      const heap = spec === undefined ? undefined : findJvmHeap(jvmText(spec), limit)
      const parts: Array<string> = [
        `Container ${status.name} of ${describePods(group.workload, group.pods)} is OOMKilled (exit code ${status.lastState?.terminated?.exitCode ?? status.state?.terminated?.exitCode ?? 137})`
      ]
      parts.push(
        limitRaw === undefined
          ? "and has no memory limit (the node ran out of memory)"
          : `by the kernel at its ${String(limitRaw)} memory limit`
      )
      let score = 85
      if (heap !== undefined && limit !== undefined) {
        const over = heap.bytes >= limit * 0.9
        parts.push(
          over
            ? `; the JVM runs with ${heap.flag} (${formatBytes(heap.bytes)} heap), ${heap.bytes > limit ? "more than" : "nearly all of"} the ${String(limitRaw)} limit before any non-heap memory, so heap growth pushes the container over the cgroup limit`
            : `; the JVM heap is ${heap.flag} (${formatBytes(heap.bytes)}), so non-heap memory (metaspace, threads, buffers) exceeds the rest of the limit`
        )
        score = over ? 93 : 88
      }
      if (limit !== undefined) {
        const prev = previousLimit(cluster, pod, status.name, limit)
        if (prev !== undefined) {
          const lowered = (parseQuantity(prev.limit) ?? 0) > limit
          parts.push(
            `; the limit was ${lowered ? "lowered" : "changed"} from ${prev.limit} to ${String(limitRaw)}${prev.revision === undefined ? "" : ` in revision ${prev.revision}`}`
          )
          score += 2
        }
      }
      const previous = logSignals(cluster.logs[`${ns ?? ""}/${pod.metadata.name}/${status.name}/previous`] ?? "").find(
        (s) => s.kind === "out-of-memory"
      )
      if (previous !== undefined) parts.push(`; the log says "${previous.line}"`)
      const podRef = ref("Pod", pod.metadata.name, ns)
      out.push({
        analyzer: "oom",
        title: `OOMKilled: ${group.workload.name}/${status.name}`,
        object: group.workload.kind === "Pod" ? podRef : group.workload,
        summary: `${parts.join(" ").replace(/ ;/g, ";")}, putting the pods into CrashLoopBackOff.`,
        severity: "critical",
        confidence: "high",
        score,
        evidence: [objectEvidence(podRef), logEvidence(ns ?? "_", pod.metadata.name, status.name, true)],
        next_steps: [
          heap !== undefined
            ? `Make the heap fit the limit (e.g. -XX:MaxRAMPercentage=75 instead of ${heap.flag}) or raise the memory limit above the heap plus ~25% overhead.`
            : "Raise the memory limit or find the memory growth (heap profile) before restarting.",
          `kubectl describe pod -n ${ns ?? "default"} ${pod.metadata.name}`
        ],
        related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
      })
    }
  }
  return out
}
