/**
 * NetworkPolicies that isolate a workload: a policy selecting its pods with policyType Ingress (or Egress) and no
 * rules, with no other policy allowing traffic — a default-deny. Egress deny also blocks DNS.
 */
import type { Cluster, NetworkPolicy, Pod } from "../snapshot.js"
import { nsOf, selectorSelects } from "../cluster.js"
import { logSignals } from "../logs.js"
import { objectEvidence, ref, type Finding } from "../finding.js"
import { groupByWorkload, describePods } from "./pod-groups.js"

const types = (np: NetworkPolicy): ReadonlyArray<string> =>
  np.spec?.policyTypes ?? (np.spec?.egress !== undefined ? ["Ingress", "Egress"] : ["Ingress"])

const denies = (policies: ReadonlyArray<NetworkPolicy>, dir: "Ingress" | "Egress"): NetworkPolicy | undefined => {
  const applicable = policies.filter((p) => types(p).includes(dir))
  if (applicable.length === 0) return undefined
  const rules = (p: NetworkPolicy) => (dir === "Ingress" ? p.spec?.ingress : p.spec?.egress) ?? []
  return applicable.every((p) => rules(p).length === 0) ? applicable[0] : undefined
}

/** Finds workloads fully isolated by NetworkPolicies. */
export const networkPolicyAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  if (cluster.networkPolicies.length === 0) return []
  const isolated: Array<{ readonly pod: Pod; readonly dir: "Ingress" | "Egress"; readonly policy: NetworkPolicy }> = []
  for (const pod of cluster.pods) {
    const policies = cluster.networkPolicies.filter(
      (np) => nsOf(np) === nsOf(pod) && selectorSelects(np.spec?.podSelector, pod.metadata.labels)
    )
    for (const dir of ["Ingress", "Egress"] as const) {
      const policy = denies(policies, dir)
      if (policy !== undefined) isolated.push({ pod, dir, policy })
    }
  }
  const clientTimeouts = Object.values(cluster.logs).some((l) =>
    logSignals(l).some((s) => s.kind === "timeout" || s.kind === "dns")
  )
  const out: Array<Finding> = []
  for (const dir of ["Ingress", "Egress"] as const) {
    const hits = isolated.filter((i) => i.dir === dir)
    for (const group of groupByWorkload(
      cluster,
      hits.map((h) => h.pod)
    )) {
      const hit = hits.find((h) => h.pod === group.pods[0])
      if (hit === undefined) continue
      const ns = nsOf(hit.pod)
      const npRef = ref("NetworkPolicy", hit.policy.metadata.name, ns)
      const selector = Object.entries(hit.policy.spec?.podSelector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(",")
      out.push({
        analyzer: "network-policy",
        title: `NetworkPolicy ${hit.policy.metadata.name} denies all ${dir.toLowerCase()}`,
        object: group.workload,
        summary:
          `NetworkPolicy ${hit.policy.metadata.name} selects ${describePods(group.workload, group.pods)} (podSelector ${selector === "" ? "{} = every pod" : selector}) with policyType ${dir} and no ${dir.toLowerCase()} rules, a default-deny: ` +
          (dir === "Ingress"
            ? "all incoming connections to these pods are dropped (clients time out)."
            : "all outgoing connections, including DNS lookups, are dropped."),
        severity: "critical",
        confidence: clientTimeouts ? "high" : "medium",
        score: clientTimeouts ? 80 : 55,
        evidence: [objectEvidence(npRef)],
        next_steps: [
          `Add an allow rule for the expected ${dir === "Ingress" ? "clients" : "destinations (and DNS, port 53)"} or narrow the policy's podSelector.`,
          `kubectl describe networkpolicy -n ${ns ?? "default"} ${hit.policy.metadata.name}`
        ],
        related: [npRef, ...group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))]
      })
    }
  }
  return out
}
