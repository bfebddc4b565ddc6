/**
 * CreateContainerConfigError and FailedMount: a Secret/ConfigMap (or one of its keys) the pod references does not
 * exist. Names the object, the key, what references it, and a similarly named existing object.
 */
import type { Cluster, Pod } from "../snapshot.js"
import { containersOf, eventsFor, nsOf, similarName } from "../cluster.js"
import { eventEvidence, objectEvidence, ref, type Finding } from "../finding.js"
import { describePods, groupByWorkload } from "./pod-groups.js"

interface Missing {
  readonly kind: "Secret" | "ConfigMap"
  readonly name: string
  readonly key?: string
  readonly message: string
  readonly reason: string
}

const parseMissing = (message: string, reason: string): Missing | undefined => {
  const key = /couldn't find key ([^\s]+) in (Secret|ConfigMap) (?:[^/\s]+\/)?([^\s]+)/i.exec(message)
  if (key?.[1] !== undefined && key[3] !== undefined) {
    return {
      kind: key[2]?.toLowerCase() === "secret" ? "Secret" : "ConfigMap",
      name: key[3],
      key: key[1],
      message,
      reason
    }
  }
  const obj = /(secret|configmap)s? "([^"]+)" not found/i.exec(message)
  if (obj?.[2] !== undefined)
    return { kind: obj[1]?.toLowerCase() === "secret" ? "Secret" : "ConfigMap", name: obj[2], message, reason }
  return undefined
}

const consumers = (pod: Pod, m: Missing): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const { spec } of containersOf(pod)) {
    for (const e of spec.env ?? []) {
      const r = m.kind === "Secret" ? e.valueFrom?.secretKeyRef : e.valueFrom?.configMapKeyRef
      if (r?.name === m.name && (m.key === undefined || r.key === m.key)) out.push(e.name)
    }
    for (const ef of spec.envFrom ?? []) {
      const r = m.kind === "Secret" ? ef.secretRef : ef.configMapRef
      if (r?.name === m.name) out.push(`envFrom in ${spec.name}`)
    }
  }
  for (const v of pod.spec?.volumes ?? []) {
    if ((m.kind === "Secret" ? v.secret?.secretName : v.configMap?.name) === m.name) out.push(`volume ${v.name}`)
  }
  return out
}

/** Finds pods blocked on a missing Secret/ConfigMap or key. */
export const containerConfigAnalyzer = (cluster: Cluster): ReadonlyArray<Finding> => {
  const blocked: Array<{ readonly pod: Pod; readonly missing: Missing }> = []
  for (const pod of cluster.pods) {
    const ns = nsOf(pod)
    const candidates: Array<Missing | undefined> = []
    for (const s of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const w = s.state?.waiting
      if (w?.reason === "CreateContainerConfigError" || w?.reason === "CreateContainerError")
        candidates.push(parseMissing(w.message ?? "", w.reason))
    }
    for (const e of eventsFor(cluster, "Pod", pod.metadata.name, ns)) {
      if (e.reason === "Failed" || e.reason === "FailedMount")
        candidates.push(
          parseMissing(e.message ?? "", e.reason === "FailedMount" ? "FailedMount" : "CreateContainerConfigError")
        )
    }
    const missing = candidates.find((c): c is Missing => c !== undefined)
    if (missing !== undefined) blocked.push({ pod, missing })
  }
  const out: Array<Finding> = []
  for (const group of groupByWorkload(
    cluster,
    blocked.map((b) => b.pod)
  )) {
    const first = blocked.find((b) => b.pod === group.pods[0])
    if (first === undefined) continue
    const { pod, missing } = first
    const ns = nsOf(pod)
    const uses = consumers(pod, missing)
    const existing = (missing.kind === "Secret" ? cluster.secrets : cluster.configMaps)
      .filter((o) => ns === undefined || nsOf(o) === ns)
      .map((o) => o.metadata.name)
    const alt = missing.key === undefined ? similarName(missing.name, existing) : undefined
    const what =
      missing.key === undefined
        ? `${missing.kind} ${missing.name} does not exist in namespace ${ns ?? "default"} (not found)`
        : `key ${missing.key} is missing from ${missing.kind} ${missing.name}`
    const state =
      missing.reason === "FailedMount"
        ? "cannot mount its volumes (FailedMount) and stays in ContainerCreating"
        : `is stuck in ${missing.reason}`
    const podRef = ref("Pod", pod.metadata.name, ns)
    out.push({
      analyzer: "container-config",
      title: `${missing.reason}: missing ${missing.kind} ${missing.name}${missing.key === undefined ? "" : ` key ${missing.key}`}`,
      object: group.workload.kind === "Pod" ? podRef : group.workload,
      summary:
        `${describePods(group.workload, group.pods)} ${state}: ${what}${uses.length > 0 ? `, but the pod references it (${uses.join(", ")})` : ""}` +
        `${alt === undefined ? "" : `; the existing ${missing.kind} is ${alt}`} — "${missing.message.replace(/^Error: /, "")}".`,
      severity: "critical",
      confidence: "high",
      score: 93,
      evidence: [
        eventEvidence(podRef, missing.reason === "FailedMount" ? "FailedMount" : "Failed"),
        objectEvidence(podRef)
      ],
      next_steps: [
        alt === undefined
          ? `Create ${missing.kind} ${missing.name}${missing.key === undefined ? "" : ` with key ${missing.key}`} in ${ns ?? "default"}, or fix the reference.`
          : `Point the workload at ${missing.kind} ${alt} or create ${missing.name}.`,
        `kubectl get ${missing.kind.toLowerCase()} -n ${ns ?? "default"}`
      ],
      related: group.pods.map((p) => ref("Pod", p.metadata.name, nsOf(p)))
    })
  }
  return out
}
