/**
 * Read helpers over a decoded `Cluster`: events and logs of an object, owners, selectors, service resolution.
 */
import type { Cluster, Container, ContainerStatus, Event, Pod, Selector, Service, Workload } from "./snapshot.js"
import { ref, type ObjectRef } from "./finding.js"

/** Namespace of an object, defaulting to `default` only when unknown. */
export const nsOf = (o: { readonly metadata: { readonly namespace?: string } }): string | undefined =>
  o.metadata.namespace

/** Events whose involvedObject is the given object (namespace compared only when both sides have one). */
export const eventsFor = (cluster: Cluster, kind: string, name: string, namespace?: string): ReadonlyArray<Event> =>
  cluster.events.filter((e) => {
    const io = e.involvedObject
    if (io === undefined || io.name !== name) return false
    if (io.kind !== undefined && io.kind !== kind) return false
    const ens = io.namespace ?? e.metadata?.namespace
    return namespace === undefined || ens === undefined || ens === namespace
  })

/** Event count (at least 1). */
export const eventCount = (e: Event): number => Math.max(1, e.count ?? 1)

/** The log of a container (`previous` for the last terminated instance); accepts `ns/pod/c` and `pod/c` keys. */
export const logOf = (
  cluster: Cluster,
  namespace: string | undefined,
  pod: string,
  container: string,
  previous: boolean
): string | undefined => {
  const suffix = `${pod}/${container}${previous ? "/previous" : ""}`
  const full = namespace === undefined ? undefined : cluster.logs[`${namespace}/${suffix}`]
  return full ?? cluster.logs[suffix]
}

/** All containers of a pod spec (init first). */
export const containersOf = (pod: Pod): ReadonlyArray<{ readonly spec: Container; readonly init: boolean }> => [
  ...(pod.spec?.initContainers ?? []).map((spec) => ({ spec, init: true })),
  ...(pod.spec?.containers ?? []).map((spec) => ({ spec, init: false }))
]

/** The spec of a named container (regular or init). */
export const containerSpec = (pod: Pod, name: string): Container | undefined =>
  containersOf(pod).find((c) => c.spec.name === name)?.spec

/** All container statuses of a pod (init first), tagged. */
export const statusesOf = (pod: Pod): ReadonlyArray<{ readonly status: ContainerStatus; readonly init: boolean }> => [
  ...(pod.status?.initContainerStatuses ?? []).map((status) => ({ status, init: true })),
  ...(pod.status?.containerStatuses ?? []).map((status) => ({ status, init: false }))
]

/** Whether every pair of a `matchLabels`-style map is in `labels`. An empty selector matches nothing here. */
export const mapSelects = (
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> | undefined
): boolean => {
  const entries = Object.entries(selector)
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v)
}

/** Whether a full label selector (matchLabels + matchExpressions) selects `labels`; empty selects everything. */
export const selectorSelects = (
  selector: Selector | undefined,
  labels: Readonly<Record<string, string>> | undefined
): boolean => {
  if (selector === undefined) return true
  const l = labels ?? {}
  const okLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => l[k] === v)
  const okExpr = (selector.matchExpressions ?? []).every((ex) => {
    const value = l[ex.key]
    const values = ex.values ?? []
    switch (ex.operator) {
      case "In":
        return value !== undefined && values.includes(value)
      case "NotIn":
        return value === undefined || !values.includes(value)
      case "Exists":
        return value !== undefined
      case "DoesNotExist":
        return value === undefined
      default:
        return false
    }
  })
  return okLabels && okExpr
}

/** Pods in a namespace. */
export const podsIn = (cluster: Cluster, namespace: string | undefined): ReadonlyArray<Pod> =>
  cluster.pods.filter((p) => namespace === undefined || nsOf(p) === undefined || nsOf(p) === namespace)

/** Pods a Service selects. */
export const podsOfService = (cluster: Cluster, svc: Service): ReadonlyArray<Pod> => {
  const selector = svc.spec?.selector
  if (selector === undefined) return []
  return podsIn(cluster, nsOf(svc)).filter((p) => mapSelects(selector, p.metadata.labels))
}

const controllerOwner = (meta: Pod["metadata"]): { readonly kind: string; readonly name: string } | undefined =>
  meta.ownerReferences?.find((o) => o.controller === true) ?? meta.ownerReferences?.[0]

/**
 * The top-level workload that owns a pod: Deployment (through its ReplicaSet), StatefulSet, DaemonSet, Job
 * (or CronJob), or the pod itself when unowned.
 */
export const workloadOf = (cluster: Cluster, pod: Pod): ObjectRef => {
  const ns = nsOf(pod)
  const owner = controllerOwner(pod.metadata)
  if (owner === undefined) return ref("Pod", pod.metadata.name, ns)
  if (owner.kind === "ReplicaSet") {
    const rs = cluster.replicaSets.find((r) => r.metadata.name === owner.name && (ns === undefined || nsOf(r) === ns))
    const rsOwner = rs === undefined ? undefined : controllerOwner(rs.metadata)
    if (rsOwner !== undefined) return ref(rsOwner.kind, rsOwner.name, ns)
    const hash = pod.metadata.labels?.["pod-template-hash"]
    if (hash !== undefined && owner.name.endsWith(`-${hash}`)) {
      return ref("Deployment", owner.name.slice(0, -hash.length - 1), ns)
    }
    return ref("ReplicaSet", owner.name, ns)
  }
  if (owner.kind === "Job") {
    const job = cluster.jobs.find((j) => j.metadata.name === owner.name && (ns === undefined || nsOf(j) === ns))
    const jobOwner = job === undefined ? undefined : controllerOwner(job.metadata)
    if (jobOwner !== undefined) return ref(jobOwner.kind, jobOwner.name, ns)
  }
  return ref(owner.kind, owner.name, ns)
}

/** The ReplicaSet that directly owns a pod, if any. */
export const replicaSetOf = (cluster: Cluster, pod: Pod): Workload | undefined => {
  const owner = controllerOwner(pod.metadata)
  if (owner?.kind !== "ReplicaSet") return undefined
  return cluster.replicaSets.find((r) => r.metadata.name === owner.name && nsOf(r) === nsOf(pod))
}

/** Pods owned (directly or through a ReplicaSet/Job) by a workload. */
export const podsOfWorkload = (cluster: Cluster, w: ObjectRef): ReadonlyArray<Pod> =>
  podsIn(cluster, w.namespace).filter((p) => {
    const top = workloadOf(cluster, p)
    if (top.kind === w.kind && top.name === w.name) return true
    return (p.metadata.ownerReferences ?? []).some((o) => o.kind === w.kind && o.name === w.name)
  })

/** Revision annotation of a Deployment/ReplicaSet. */
export const revisionOf = (w: Workload): string | undefined =>
  w.metadata.annotations?.["deployment.kubernetes.io/revision"]

const SVC_SUFFIX = /\.svc(?:\.cluster\.local)?\.?$/

/** Splits a DNS name into a Service name and namespace when it looks like a cluster Service name. */
export const parseServiceHost = (
  host: string,
  defaultNamespace: string | undefined
): { readonly name: string; readonly namespace: string | undefined } | undefined => {
  const h = host.toLowerCase().replace(SVC_SUFFIX, "")
  if (/^\d+\.\d+\.\d+\.\d+$/.test(h)) return undefined
  const parts = h.split(".")
  if (parts.length === 1 && parts[0] !== undefined && parts[0] !== "")
    return { name: parts[0], namespace: defaultNamespace }
  if (parts.length === 2 && parts[0] !== undefined && parts[1] !== undefined && SVC_SUFFIX.test(host.toLowerCase())) {
    return { name: parts[0], namespace: parts[1] }
  }
  if (parts.length === 2 && parts[0] !== undefined && parts[1] !== undefined)
    return { name: parts[0], namespace: parts[1] }
  // pod-0.headless.ns.svc → the headless Service
  if (parts.length === 3 && SVC_SUFFIX.test(host.toLowerCase()) && parts[1] !== undefined && parts[2] !== undefined) {
    return { name: parts[1], namespace: parts[2] }
  }
  return undefined
}

/** Finds a Service by DNS host name or ClusterIP. */
export const findService = (
  cluster: Cluster,
  host: string,
  defaultNamespace: string | undefined
): Service | undefined => {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return cluster.services.find((s) => s.spec?.clusterIP === host)
  const parsed = parseServiceHost(host, defaultNamespace)
  if (parsed === undefined) return undefined
  return cluster.services.find(
    (s) =>
      s.metadata.name === parsed.name &&
      (parsed.namespace === undefined || nsOf(s) === undefined || nsOf(s) === parsed.namespace)
  )
}

/** Whether a pod is Ready (condition Ready=True). */
export const podReady = (pod: Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false

/** Whether the pod is being deleted. */
export const podTerminating = (pod: Pod): boolean => pod.metadata.deletionTimestamp !== undefined

/** A short image reference (drops the registry host): `ghcr.io/a/b:1.2` → `b:1.2`. */
export const shortImage = (image: string): string => image.split("/").pop() ?? image

/** Levenshtein distance, for "did you mean" suggestions. */
export const editDistance = (a: string, b: string): number => {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] ?? 0
      prev[j] = Math.min((prev[j] ?? 0) + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length] ?? 0
}

/** The most similar name in `candidates` (shared tokens or small edit distance), if any is plausibly a typo/rename. */
export const similarName = (name: string, candidates: ReadonlyArray<string>): string | undefined => {
  const tokens = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .split(/[-_.]/)
        .filter((t) => t.length > 1)
    )
  const mine = tokens(name)
  let best: { readonly name: string; readonly score: number } | undefined
  for (const c of candidates) {
    if (c === name) continue
    const theirs = tokens(c)
    const shared = [...mine].filter(
      (t) => theirs.has(t) || [...theirs].some((u) => u.startsWith(t) || t.startsWith(u))
    ).length
    const dist = editDistance(name.toLowerCase(), c.toLowerCase())
    const score = shared * 10 - dist + (dist <= 2 ? 15 : 0)
    if ((shared > 0 || dist <= 2) && (best === undefined || score > best.score)) best = { name: c, score }
  }
  return best?.name
}
