/**
 * HorizontalPodAutoscalers that cannot scale: metrics unavailable (FailedGetResourceMetric, usually "missing request
 * for cpu"), cannot read the scale target, or pinned at maxReplicas.
 */
import type { Cluster } from "../snapshot.js"
import { eventsFor, nsOf } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"

/** Finds HPAs whose scaling is broken or limited. */
export const hpaAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const hpa of cluster.hpas) {
    const ns = nsOf(hpa)
    const hpaRef = ref("HorizontalPodAutoscaler", hpa.metadata.name, ns)
    const target = hpa.spec?.scaleTargetRef
    const targetText = `${target?.kind ?? "?"} ${target?.name ?? "?"}`
    const conds = hpa.status?.conditions ?? []
    const inactive = conds.find((c) => (c.type === "ScalingActive" || c.type === "AbleToScale") && c.status === "False")
    const eventMsg = eventsFor(cluster, "HorizontalPodAutoscaler", hpa.metadata.name, ns).find((e) =>
      /^FailedGet|FailedCompute|FailedRescale/.test(e.reason ?? "")
    )
    const msg = inactive?.message ?? eventMsg?.message
    const limited = conds.find(
      (c) => c.type === "ScalingLimited" && c.status === "True" && c.reason === "TooManyReplicas"
    )
    if (msg !== undefined) {
      const missing = /missing request for ([a-z]+)/i.exec(msg)?.[1]
      out.push({
        analyzer: "hpa",
        title: `HPA ${hpa.metadata.name} cannot scale`,
        object: hpaRef,
        summary:
          missing !== undefined
            ? `HorizontalPodAutoscaler ${hpa.metadata.name} cannot compute utilization for ${targetText} (${inactive?.reason ?? eventMsg?.reason ?? "FailedGetResourceMetric"}) because its containers set no ${missing} request ("missing request for ${missing}"), so it never scales.`
            : `HorizontalPodAutoscaler ${hpa.metadata.name} cannot scale ${targetText}: ${inactive?.reason ?? eventMsg?.reason ?? "?"} — "${msg.slice(0, 200)}".`,
        severity: "high",
        confidence: "high",
        score: missing !== undefined ? 85 : 70,
        evidence: [objectEvidence(hpaRef), eventEvidence(hpaRef, eventMsg?.reason ?? "FailedGetResourceMetric")],
        next_steps:
          missing !== undefined
            ? [`Set resources.requests.${missing} on every container of ${targetText}.`]
            : ["Check metrics-server (kubectl top pods) and the HPA's metric definitions."],
        related: target?.name === undefined ? [] : [ref(target.kind ?? "Deployment", target.name, ns)]
      })
    } else if (limited !== undefined) {
      out.push({
        analyzer: "hpa",
        title: `HPA ${hpa.metadata.name} at maxReplicas`,
        object: hpaRef,
        summary: `HorizontalPodAutoscaler ${hpa.metadata.name} is pinned at maxReplicas=${hpa.spec?.maxReplicas ?? "?"} for ${targetText} (ScalingLimited/TooManyReplicas), so load beyond that capacity is not absorbed.`,
        severity: "medium",
        confidence: "medium",
        score: 50,
        evidence: [objectEvidence(hpaRef)],
        next_steps: ["Raise maxReplicas or find why per-pod load is high."],
        related: target?.name === undefined ? [] : [ref(target.kind ?? "Deployment", target.name, ns)]
      })
    }
  }
  return out
}
