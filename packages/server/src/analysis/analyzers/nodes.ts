/**
 * Node health: NotReady/Unknown (kubelet stopped posting status), DiskPressure/MemoryPressure/PIDPressure (from
 * conditions, pressure taints and kubelet events such as FreeDiskSpaceFailed/EvictionThresholdMet), cordoned nodes;
 * lists the pods on the node that are affected.
 */
import type { Cluster, Node } from "../snapshot.js"
import { eventCount, eventsFor, nsOf, podTerminating } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"

const PRESSURE: ReadonlyArray<{
  readonly type: string
  readonly taint: string
  readonly event: RegExp
  readonly label: string
}> = [
  {
    type: "DiskPressure",
    taint: "node.kubernetes.io/disk-pressure",
    event: /DiskPressure|FreeDiskSpaceFailed|ImageGCFailed|ephemeral-storage|nodefs|imagefs/i,
    label: "DiskPressure (disk full: image garbage collection / ephemeral-storage eviction)"
  },
  {
    type: "MemoryPressure",
    taint: "node.kubernetes.io/memory-pressure",
    event: /MemoryPressure|reclaim memory|SystemOOM/i,
    label: "MemoryPressure"
  },
  {
    type: "PIDPressure",
    taint: "node.kubernetes.io/pid-pressure",
    event: /PIDPressure|reclaim pids/i,
    label: "PIDPressure"
  }
]

const nodeEventsText = (
  cluster: Cluster,
  node: Node
): ReadonlyArray<{ readonly reason: string; readonly message: string; readonly count: number }> =>
  eventsFor(cluster, "Node", node.metadata.name).map((e) => ({
    reason: e.reason ?? "",
    message: e.message ?? "",
    count: eventCount(e)
  }))

/** Finds unhealthy nodes and the pods they take down. */
export const nodeAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const podEvents = cluster.events.filter((e) => e.reason === "NodeNotReady" && e.involvedObject?.kind === "Pod")
  for (const node of cluster.nodes) {
    const conds = node.status?.conditions ?? []
    const ready = conds.find((c) => c.type === "Ready")
    const notReady = ready !== undefined && ready.status !== "True"
    const events = nodeEventsText(cluster, node)
    const pressures = PRESSURE.filter(
      (p) =>
        conds.some((c) => c.type === p.type && c.status === "True") ||
        (node.spec?.taints ?? []).some((t) => t.key === p.taint) ||
        events.some(
          (e) =>
            e.reason !== "NodeHasNoDiskPressure" &&
            e.reason !== "NodeHasSufficientMemory" &&
            p.event.test(`${e.reason} ${e.message}`)
        )
    )
    const cordoned = node.spec?.unschedulable === true
    if (!notReady && pressures.length === 0 && !cordoned) continue
    const name = node.metadata.name
    const nodeRef = ref("Node", name, undefined)
    const pods = cluster.pods.filter((p) => p.spec?.nodeName === name)
    const stuck = pods.filter(podTerminating).map((p) => p.metadata.name)
    const parts: Array<string> = []
    if (notReady) {
      parts.push(
        `Node ${name} is NotReady (Ready=${ready?.status ?? "?"}${ready?.message === undefined ? "" : `: "${ready.message}"`})`
      )
    } else {
      parts.push(`Node ${name} is Ready but under pressure`)
    }
    if (pressures.length > 0) {
      const quotes = events
        .filter((e) => pressures.some((p) => p.event.test(`${e.reason} ${e.message}`)))
        .map((e) => `${e.reason}: "${e.message.slice(0, 140)}"`)
      parts.push(
        `${notReady ? "after hitting" : "with"} ${pressures.map((p) => p.label).join(" and ")}${quotes.length > 0 ? ` (${quotes.slice(0, 3).join("; ")})` : ""}`
      )
    }
    if (cordoned) parts.push("and is cordoned (unschedulable)")
    const affectedNs = [...new Set(pods.map(nsOf))]
    const podText =
      pods.length === 0
        ? ""
        : `; ${pods.length} pod${pods.length === 1 ? "" : "s"} on it (${pods
            .map((p) => p.metadata.name)
            .slice(0, 6)
            .join(
              ", "
            )})${notReady ? " are unreachable" : ""}${stuck.length > 0 ? ` and ${stuck.length} stuck Terminating after taint-based eviction` : ""}`
    const statefulPods = pods
      .filter((p) => p.metadata.ownerReferences?.some((o) => o.kind === "StatefulSet"))
      .map((p) => p.metadata.name)
    const stsText =
      notReady && statefulPods.length > 0
        ? `; StatefulSet pod ${statefulPods.join(", ")} cannot be recreated elsewhere until the node is removed or recovers`
        : ""
    out.push({
      analyzer: "nodes",
      title: `Node ${name} ${notReady ? "NotReady" : pressures.map((p) => p.type).join("/") || "cordoned"}`,
      object: nodeRef,
      summary: `${parts.join(" ")}${podText}${stsText}.`,
      severity: notReady ? "critical" : "high",
      confidence: notReady || pressures.length > 0 ? "high" : "medium",
      score: notReady ? 88 : pressures.length > 0 ? 75 : 50,
      evidence: [objectEvidence(nodeRef), ...events.slice(0, 4).map((e) => eventEvidence(nodeRef, e.reason))],
      next_steps: [
        `kubectl describe node ${name}`,
        notReady
          ? "Check the kubelet/container runtime on the node (journalctl -u kubelet) and its disk usage; replace the node if it does not recover."
          : "Free disk/memory on the node (image prune, log rotation) or drain it.",
        ...(statefulPods.length > 0
          ? [
              `Once the node is confirmed dead, force-delete ${statefulPods.join(", ")} so the StatefulSet can reschedule it.`
            ]
          : [])
      ],
      related: [
        ...pods.map((p) => ref("Pod", p.metadata.name, nsOf(p))),
        ...podEvents
          .filter((e) => pods.some((p) => p.metadata.name === e.involvedObject?.name))
          .map((e) => ref("Pod", e.involvedObject?.name ?? "", e.involvedObject?.namespace)),
        ...affectedNs.filter((n): n is string => n !== undefined).map((n) => ref("Namespace", n, undefined))
      ]
    })
  }
  return out
}
