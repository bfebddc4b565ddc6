/**
 * Services without working endpoints: a selector that matches no pod (naming the label that differs from the pods
 * that were probably meant), or selected pods that are all NotReady.
 */
import type { Cluster, Pod, Service } from "../snapshot.js"
import { editDistance, nsOf, podReady, podsIn, podsOfService, workloadOf } from "../cluster.js"
import { objectEvidence, ref, type Finding } from "../finding.js"

const readyEndpointCount = (cluster: Cluster, svc: Service): number | undefined => {
  const ep = cluster.endpoints.find((e) => e.metadata.name === svc.metadata.name && nsOf(e) === nsOf(svc))
  if (ep === undefined) return undefined
  return (ep.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0)
}

/** The pods that best match a selector that matches nothing: same keys, nearest values. */
const nearMiss = (
  cluster: Cluster,
  svc: Service,
  selector: Readonly<Record<string, string>>
):
  | { readonly pods: ReadonlyArray<Pod>; readonly key: string; readonly actual: string; readonly expected: string }
  | undefined => {
  let best: { pods: Array<Pod>; key: string; actual: string; expected: string; dist: number } | undefined
  const claimed = new Set(cluster.services.filter((s) => s !== svc).flatMap((s) => podsOfService(cluster, s)))
  for (const pod of podsIn(cluster, nsOf(svc))) {
    const labels = pod.metadata.labels ?? {}
    const diffs = Object.entries(selector).filter(([k, v]) => labels[k] !== v)
    if (diffs.length !== 1) continue
    const [k, v] = diffs[0] ?? ["", ""]
    const actual = labels[k]
    if (actual === undefined) continue
    const dist = editDistance(v, actual) + (claimed.has(pod) ? 100 : 0)
    if (best === undefined || dist < best.dist) best = { pods: [pod], key: k, actual, expected: v, dist }
    else if (dist === best.dist && best.actual === actual) best.pods.push(pod)
  }
  return best === undefined || best.dist >= 100 ? undefined : best
}

/** Finds Services that route to nothing and says why. */
export const serviceAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  for (const svc of cluster.services) {
    const selector = svc.spec?.selector
    if (selector === undefined || Object.keys(selector).length === 0 || svc.spec?.type === "ExternalName") continue
    const ns = nsOf(svc)
    const svcRef = ref("Service", svc.metadata.name, ns)
    const selected = podsOfService(cluster, svc).filter(
      (p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed"
    )
    const selText = Object.entries(selector)
      .map(([k, v]) => `${k}=${v}`)
      .join(",")
    if (selected.length === 0) {
      if (cluster.pods.length === 0) continue
      const miss = nearMiss(cluster, svc, selector)
      const owner = miss?.pods[0] === undefined ? undefined : workloadOf(cluster, miss.pods[0])
      out.push({
        analyzer: "service",
        title: `Service ${svc.metadata.name} selects no pods`,
        object: svcRef,
        summary:
          miss === undefined || owner === undefined
            ? `Service ${svc.metadata.name} has selector ${selText} but no pod in ${ns ?? "the namespace"} carries those labels, so it has no endpoints and connections to it are refused.`
            : `Service ${svc.metadata.name} selects ${selText}, but the pods of ${owner.kind} ${owner.name} are labelled ${miss.key}=${miss.actual} (label ${miss.key} differs), so the selector matches no pods, its Endpoints are empty and connections to ${svc.metadata.name} are refused.`,
        severity: "critical",
        confidence: miss === undefined ? "medium" : "high",
        score: miss === undefined ? 70 : 90,
        evidence: [objectEvidence(svcRef), objectEvidence(ref("Endpoints", svc.metadata.name, ns))],
        next_steps: [
          miss === undefined
            ? `kubectl get pods -n ${ns ?? "default"} --show-labels and fix the Service selector.`
            : `Change the selector of Service ${svc.metadata.name} to ${miss.key}=${miss.actual} (or relabel the pods).`,
          `kubectl get endpoints -n ${ns ?? "default"} ${svc.metadata.name}`
        ],
        related: [
          ...(owner === undefined ? [] : [owner]),
          ...(miss?.pods ?? []).map((p) => ref("Pod", p.metadata.name, nsOf(p)))
        ]
      })
      continue
    }
    const ready = selected.filter(podReady)
    const epReady = readyEndpointCount(cluster, svc)
    if (ready.length === 0 && (epReady === undefined || epReady === 0)) {
      const owner = selected[0] === undefined ? undefined : workloadOf(cluster, selected[0])
      out.push({
        analyzer: "service",
        title: `Service ${svc.metadata.name} has no ready endpoints`,
        object: svcRef,
        summary: `Service ${svc.metadata.name} has no ready endpoints: all ${selected.length} pods it selects${owner === undefined ? "" : ` (${owner.kind} ${owner.name})`} are NotReady, so clients get connection refused/503.`,
        severity: "critical",
        confidence: "medium",
        score: 45,
        evidence: [objectEvidence(svcRef), objectEvidence(ref("Endpoints", svc.metadata.name, ns))],
        next_steps: [`kubectl get pods -n ${ns ?? "default"} -l ${selText} and find why they are not Ready.`],
        related: [...(owner === undefined ? [] : [owner]), ...selected.map((p) => ref("Pod", p.metadata.name, nsOf(p)))]
      })
    }
  }
  return out
}
