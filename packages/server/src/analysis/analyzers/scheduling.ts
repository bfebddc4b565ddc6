/**
 * Pending pods (FailedScheduling): insufficient resources (request vs the largest node allocatable), node
 * selector/affinity mismatch, untolerated taints (named, with effect), unbound PVCs, anti-affinity, cordoned nodes.
 */
import type { Cluster, Pod } from "../snapshot.js"
import { eventsFor, nsOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { formatBytes, formatCpu, parseCpuMillis, parseQuantity } from "../quantity.js"
import { describePods, groupByWorkload } from "./pod-groups.js"
import { pvcProblem } from "./storage.js"

const podRequest = (pod: Pod, resource: string): number => {
  const parse = resource === "cpu" ? parseCpuMillis : parseQuantity
  const sum = (pod.spec?.containers ?? []).reduce(
    (acc, c) => acc + (parse(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]) ?? 0),
    0
  )
  const init = Math.max(
    0,
    ...(pod.spec?.initContainers ?? []).map(
      (c) => parse(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource]) ?? 0
    )
  )
  return Math.max(sum, init)
}

const fmt = (resource: string, v: number): string =>
  resource === "cpu" ? formatCpu(v) : resource === "memory" || resource.includes("storage") ? formatBytes(v) : String(v)

const schedulingMessage = (cluster: Cluster, pod: Pod): string | undefined => {
  const ev = eventsFor(cluster, "Pod", pod.metadata.name, nsOf(pod))
    .filter((e) => e.reason === "FailedScheduling")
    .at(-1)
  if (ev?.message !== undefined) return ev.message
  const cond = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False")
  return cond?.message
}

const explain = (
  cluster: Cluster,
  pod: Pod,
  msg: string
): { readonly text: string; readonly score: number; readonly steps: ReadonlyArray<string> } => {
  const parts: Array<string> = []
  const steps: Array<string> = []
  let score = 75
  const ns = nsOf(pod)
  for (const m of msg.matchAll(/Insufficient ([a-zA-Z0-9./-]+)/g)) {
    const resource = (m[1] ?? "").replace(/\.+$/, "")
    if (parts.some((p) => p.includes(`requests ${resource}`) || p.includes(`${resource} request`))) continue
    const req = podRequest(pod, resource)
    const parse = resource === "cpu" ? parseCpuMillis : parseQuantity
    const alloc = cluster.nodes
      .map((n) => ({ name: n.metadata.name, v: parse(n.status?.allocatable?.[resource]) }))
      .filter((n): n is { name: string; v: number } => n.v !== undefined)
    const max = alloc.reduce<{ name: string; v: number } | undefined>(
      (a, b) => (a === undefined || b.v > a.v ? b : a),
      undefined
    )
    if (req > 0 && max !== undefined) {
      parts.push(
        `it requests ${fmt(resource, req)}${resource === "cpu" ? "" : ` of ${resource}`} but the largest node allocatable ${resource} is only ${fmt(resource, max.v)} (${max.name}), so it cannot fit on any node (Insufficient ${resource})`
      )
      score = 92
    } else if (req > 0) {
      parts.push(
        `it requests ${fmt(resource, req)}${resource === "cpu" ? "" : ` of ${resource}`} and no node has that much free (Insufficient ${resource})`
      )
      score = 85
    } else {
      parts.push(`no node has enough free ${resource} (Insufficient ${resource})`)
    }
    steps.push(
      `Lower the ${resource} request or add nodes with more allocatable ${resource} (kubectl describe nodes | grep -A6 Allocatable).`
    )
  }
  const taints = [...msg.matchAll(/(?:untolerated taint|had taint) \{([^}]*)\}/g)].map((m) => m[1] ?? "")
  for (const t of new Set(taints)) {
    const [key, value] = t.split(":").map((s) => s.trim())
    const node = cluster.nodes.find((n) =>
      n.spec?.taints?.some((x) => x.key === key && (value === undefined || value === "" || x.value === value))
    )
    const taint = node?.spec?.taints?.find((x) => x.key === key)
    const full = `${key ?? "?"}${value === undefined || value === "" ? "" : `=${value}`}${taint?.effect === undefined ? "" : `:${taint.effect}`}`
    const tol = (pod.spec?.tolerations ?? [])
      .map((x) => x.key ?? "*")
      .filter((k) => !k.startsWith("node.kubernetes.io/"))
    parts.push(
      `${node === undefined ? "a node has" : `node ${node.metadata.name} has`} the taint ${full} and the pod has no matching toleration${tol.length > 0 ? ` (it tolerates only ${tol.join(", ")})` : ""}`
    )
    steps.push(
      `Add a toleration for ${full} to the pod template (or remove the taint if the node is meant for this workload).`
    )
    score = 92
  }
  if (
    /didn't match Pod's node affinity\/selector|node\(s\) didn't match node selector|didn't match Pod's node affinity/.test(
      msg
    )
  ) {
    const sel = Object.entries(pod.spec?.nodeSelector ?? {})
    const matching = cluster.nodes
      .filter((n) => sel.every(([k, v]) => n.metadata.labels?.[k] === v))
      .map((n) => n.metadata.name)
    if (sel.length > 0) {
      const s = sel.map(([k, v]) => `${k}=${v}`).join(",")
      parts.push(
        cluster.nodes.length === 0
          ? `its nodeSelector ${s} excludes the other nodes`
          : matching.length === 0
            ? `no node has the labels of its nodeSelector ${s}`
            : `its nodeSelector ${s} only matches ${matching.join(", ")}`
      )
      if (matching.length === 0) score = Math.max(score, 90)
    } else {
      parts.push("no node satisfies its required node affinity")
      score = Math.max(score, 80)
    }
    steps.push("Compare the pod's nodeSelector/affinity with the node labels (kubectl get nodes --show-labels).")
  }
  if (
    /unbound immediate PersistentVolumeClaims|persistentvolumeclaim "[^"]+" not found|unbound PersistentVolumeClaims/i.test(
      msg
    )
  ) {
    const claims = (pod.spec?.volumes ?? [])
      .map((v) => v.persistentVolumeClaim?.claimName)
      .filter((c): c is string => c !== undefined)
    const problems = claims.map((c) => pvcProblem(cluster, c, ns)).filter((p): p is string => p !== undefined)
    parts.push(
      problems.length > 0
        ? problems.join("; ")
        : `its PersistentVolumeClaim${claims.length > 1 ? "s" : ""} ${claims.join(", ")} ${claims.length > 1 ? "are" : "is"} not bound`
    )
    score = problems.length > 0 ? 90 : 75
    steps.push(`kubectl describe pvc -n ${ns ?? "default"} ${claims.join(" ")}`)
  }
  if (/didn't match pod anti-affinity rules|didn't satisfy existing pods anti-affinity/i.test(msg)) {
    parts.push(
      "its pod anti-affinity rules exclude every node that already runs a matching pod (more replicas than eligible nodes)"
    )
    steps.push("Relax the anti-affinity to preferred, or add nodes/zones.")
    score = Math.max(score, 82)
  }
  if (/didn't match pod affinity rules/i.test(msg)) parts.push("no node runs the pods its pod-affinity requires")
  if (/node\(s\) were unschedulable|unschedulable/i.test(msg)) {
    const cordoned = cluster.nodes.filter((n) => n.spec?.unschedulable === true).map((n) => n.metadata.name)
    parts.push(
      `node${cordoned.length === 1 ? "" : "s"} ${cordoned.join(", ") || "(some)"} ${cordoned.length === 1 ? "is" : "are"} cordoned (unschedulable)`
    )
  }
  if (/Too many pods/i.test(msg)) parts.push("the nodes are at their max-pods limit (Too many pods)")
  if (/volume node affinity conflict/i.test(msg))
    parts.push("its PersistentVolume is pinned to another zone/node (volume node affinity conflict)")
  if (parts.length === 0)
    return {
      text: `the scheduler reports "${msg.slice(0, 200)}"`,
      score: 60,
      steps: [`kubectl describe pod -n ${ns ?? "default"} ${pod.metadata.name}`]
    }
  return { text: parts.join("; "), score, steps }
}

/** Finds pods the scheduler cannot place and explains why in terms of requests, nodes, taints and claims. */
export const schedulingAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const pending = cluster.pods.filter(
    (p) =>
      p.status?.phase === "Pending" && schedulingMessage(cluster, p) !== undefined && p.spec?.nodeName === undefined
  )
  const out: Array<Finding> = []
  for (const group of groupByWorkload(cluster, pending)) {
    const pod = group.pods[0]
    if (pod === undefined) continue
    const msg = schedulingMessage(cluster, pod) ?? ""
    const { text, score, steps } = explain(cluster, pod, msg)
    const podRef = ref("Pod", pod.metadata.name, nsOf(pod))
    const quote = msg.split(/\. preemption:/)[0] ?? msg
    out.push({
      analyzer: "scheduling",
      title: `Pending (FailedScheduling): ${group.workload.name}`,
      object: group.workload.kind === "Pod" ? podRef : group.workload,
      summary: `${describePods(group.workload, group.pods)} is stuck Pending because ${text} (scheduler: "${quote.trim()}").`,
      severity: "critical",
      confidence: score >= 85 ? "high" : "medium",
      score,
      evidence: [eventEvidence(podRef, "FailedScheduling"), objectEvidence(podRef)],
      next_steps: steps,
      related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
    })
  }
  return out
}
