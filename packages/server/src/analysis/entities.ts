/**
 * Entity extraction without an LLM: finds namespaces, workload/pod/service/node names, containers, hosts, alert
 * names and Kubernetes reasons in an incident description. With `known` (names that exist in the cluster) candidate
 * tokens are resolved to the kind that actually has that name.
 */
import type { ClusterSnapshot } from "./snapshot.js"
import { decodeSnapshot } from "./snapshot.js"
import type { Focus } from "./focus.js"

/** An object that exists in the cluster. */
export interface KnownObject {
  readonly kind: string
  readonly name: string
  readonly namespace?: string
}

/** Names that exist in the cluster, to validate candidate tokens. */
export interface KnownNames {
  readonly namespaces?: ReadonlyArray<string>
  readonly objects?: ReadonlyArray<KnownObject>
  /** Ingress hosts and the Service they route to. */
  readonly hosts?: ReadonlyArray<{ readonly host: string; readonly service: string; readonly namespace?: string }>
}

/** What the description mentions. Field names are snake_case-able (`extracted_entities` JSON uses them as-is). */
export interface ExtractedEntities extends Focus {
  readonly namespace?: string
  readonly kind?: string
  readonly name?: string
  readonly namespaces: ReadonlyArray<string>
  readonly pods: ReadonlyArray<string>
  readonly deployments: ReadonlyArray<string>
  readonly statefulsets: ReadonlyArray<string>
  readonly daemonsets: ReadonlyArray<string>
  readonly jobs: ReadonlyArray<string>
  readonly cronjobs: ReadonlyArray<string>
  readonly services: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<string>
  readonly containers: ReadonlyArray<string>
  readonly configmaps: ReadonlyArray<string>
  readonly secrets: ReadonlyArray<string>
  readonly pvcs: ReadonlyArray<string>
  readonly ingresses: ReadonlyArray<string>
  readonly hosts: ReadonlyArray<string>
  readonly alertnames: ReadonlyArray<string>
  /** Kubernetes reasons/states named in the text (CrashLoopBackOff, OOMKilled, Pending, ...). */
  readonly reasons: ReadonlyArray<string>
}

const KIND_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(?:deployments?|deploy)$/i, "Deployment"],
  [/^(?:statefulsets?|sts)$/i, "StatefulSet"],
  [/^(?:daemonsets?|ds)$/i, "DaemonSet"],
  [/^(?:cronjobs?|cj)$/i, "CronJob"],
  [/^jobs?$/i, "Job"],
  [/^(?:pods?|po)$/i, "Pod"],
  [/^(?:services?|svc)$/i, "Service"],
  [/^(?:nodes?|no)$/i, "Node"],
  [/^(?:configmaps?|cm)$/i, "ConfigMap"],
  [/^secrets?$/i, "Secret"],
  [/^(?:pvcs?|persistentvolumeclaims?)$/i, "PersistentVolumeClaim"],
  [/^(?:ingress|ingresses|ing)$/i, "Ingress"],
  [/^containers?$/i, "Container"]
]

const kindOfWord = (w: string): string | undefined => KIND_WORDS.find(([re]) => re.test(w))?.[1]

const REASONS = [
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "CreateContainerConfigError",
  "CreateContainerError",
  "InvalidImageName",
  "OOMKilled",
  "Evicted",
  "Pending",
  "Terminating",
  "ContainerCreating",
  "ProgressDeadlineExceeded",
  "BackoffLimitExceeded",
  "DeadlineExceeded",
  "NotReady",
  "DiskPressure",
  "MemoryPressure",
  "PIDPressure",
  "FailedScheduling",
  "FailedMount",
  "Unhealthy",
  "Init:CrashLoopBackOff",
  "Init:Error",
  "RunContainerError",
  "NodeNotReady"
]

const STOP = new Set([
  "the",
  "a",
  "an",
  "our",
  "my",
  "this",
  "that",
  "all",
  "every",
  "both",
  "prod",
  "production",
  "staging",
  "dev",
  "order",
  "case",
  "progress",
  "place",
  "time",
  "front",
  "use",
  "it",
  "them",
  "there",
  "here",
  "front",
  "line",
  "total",
  "general",
  "parallel",
  "effect",
  "short"
])

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

const push = (m: Map<string, Array<string>>, kind: string, name: string): void => {
  const list = m.get(kind) ?? []
  if (!list.includes(name)) list.push(name)
  m.set(kind, list)
}

/** Builds `KnownNames` from a gathered snapshot (every listed object's kind, name and namespace; Ingress hosts). */
export const knownNamesFromSnapshot = (snapshot: ClusterSnapshot): KnownNames => {
  const c = decodeSnapshot(snapshot)
  const objects: Array<KnownObject> = []
  const add = (
    kind: string,
    list: ReadonlyArray<{ readonly metadata: { readonly name: string; readonly namespace?: string } }>
  ) => {
    for (const o of list)
      objects.push(
        o.metadata.namespace === undefined
          ? { kind, name: o.metadata.name }
          : { kind, name: o.metadata.name, namespace: o.metadata.namespace }
      )
  }
  add("Pod", c.pods)
  add("Deployment", c.deployments)
  add("StatefulSet", c.statefulSets)
  add("DaemonSet", c.daemonSets)
  add("Job", c.jobs)
  add("CronJob", c.cronJobs)
  add("Service", c.services)
  add("Node", c.nodes)
  add("ConfigMap", c.configMaps)
  add("Secret", c.secrets)
  add("PersistentVolumeClaim", c.pvcs)
  add("Ingress", c.ingresses)
  for (const p of c.pods)
    for (const ct of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])])
      objects.push({
        kind: "Container",
        name: ct.name,
        ...(p.metadata.namespace === undefined ? {} : { namespace: p.metadata.namespace })
      })
  const namespaces = [...new Set(objects.map((o) => o.namespace).filter((n): n is string => n !== undefined))]
  const hosts = c.ingresses.flatMap((i) =>
    (i.spec?.rules ?? []).flatMap((r) =>
      (r.http?.paths ?? []).flatMap((p) =>
        r.host === undefined || p.backend?.service?.name === undefined
          ? []
          : [
              {
                host: r.host,
                service: p.backend.service.name,
                ...(i.metadata.namespace === undefined ? {} : { namespace: i.metadata.namespace })
              }
            ]
      )
    )
  )
  return { namespaces, objects, hosts }
}

const RESOLVE_ORDER = [
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "CronJob",
  "Job",
  "Pod",
  "Service",
  "Node",
  "ConfigMap",
  "Secret",
  "PersistentVolumeClaim",
  "Ingress",
  "Container"
]

const FIELD: Readonly<Record<string, keyof ExtractedEntities>> = {
  Pod: "pods",
  Deployment: "deployments",
  StatefulSet: "statefulsets",
  DaemonSet: "daemonsets",
  Job: "jobs",
  CronJob: "cronjobs",
  Service: "services",
  Node: "nodes",
  Container: "containers",
  ConfigMap: "configmaps",
  Secret: "secrets",
  PersistentVolumeClaim: "pvcs",
  Ingress: "ingresses"
}

/** Extracts entities from an incident description; never throws. */
export const extractEntities = (description: string, known?: KnownNames): ExtractedEntities => {
  const text = description.slice(0, 10_000)
  const byKind = new Map<string, Array<string>>()
  const namespaces: Array<string> = []
  const order: Array<{ readonly kind: string; readonly name: string; readonly at: number }> = []
  const knownNs = new Set(known?.namespaces ?? [])
  const knownObjs = known?.objects ?? []
  const exists = (kind: string, name: string) => knownObjs.some((o) => o.kind === kind && o.name === name)
  const addNs = (ns: string) => {
    if (!namespaces.includes(ns)) namespaces.push(ns)
  }
  const note = (kind: string, name: string, at: number) => {
    push(byKind, kind, name)
    order.push({ kind, name, at })
  }

  // ns/name and -n ns / --namespace ns / namespace ns / "ns namespace"
  for (const m of text.matchAll(/(?:^|\s)(?:-n|--namespace(?:=|\s))\s*([a-z0-9][-a-z0-9]*)/g))
    if (m[1] !== undefined) addNs(m[1])
  for (const m of text.matchAll(/\bnamespace[:\s]+["'`]?([a-z0-9][-a-z0-9]*)["'`]?/gi))
    if (
      m[1] !== undefined &&
      !STOP.has(m[1]) &&
      kindOfWord(m[1]) === undefined &&
      (known === undefined || knownNs.has(m[1]))
    )
      addNs(m[1])
  for (const m of text.matchAll(/\b(?:the\s+)?["'`]?([a-z0-9][-a-z0-9]*)["'`]?\s+(?:namespace|ns)\b/gi)) {
    const ns = m[1]?.toLowerCase()
    if (ns !== undefined && !STOP.has(ns) && (known === undefined || knownNs.has(ns))) addNs(ns)
  }
  for (const m of text.matchAll(/\b([a-z0-9][-a-z0-9]*)\/([a-z0-9][-a-z0-9.]*[a-z0-9])\b/g)) {
    const [ns, name] = [m[1] ?? "", m[2] ?? ""]
    if (known === undefined ? true : knownNs.has(ns)) {
      addNs(ns)
      const kinds = knownObjs.filter((o) => o.name === name && o.namespace === ns).map((o) => o.kind)
      const kind = RESOLVE_ORDER.find((k) => kinds.includes(k)) ?? (known === undefined ? "Deployment" : undefined)
      if (kind !== undefined) note(kind, name, m.index ?? 0)
    }
  }
  for (const m of text.matchAll(
    /\b(?:in|from|within|to)\s+(?:the\s+)?([a-z0-9][-a-z0-9]*)\b(?!\s*(?:namespace|ns)\b)/g
  )) {
    const ns = m[1]
    if (ns === undefined || STOP.has(ns)) continue
    if (
      known !== undefined
        ? knownNs.has(ns)
        : /^(?:in|within)\s/.test(m[0]) && ns.length > 2 && !/^\d/.test(ns) && !kindOfWord(ns)
    ) {
      if (known === undefined && namespaces.length > 0) continue
      addNs(ns)
    }
  }

  // kind + name ("deployment foo", "foo deployment", "pod foo-abc", "node ip-10-0-1-2")
  for (const m of text.matchAll(/\b([A-Za-z]+)[\s/]+["'`]?([A-Za-z0-9][-A-Za-z0-9.]*[A-Za-z0-9])["'`]?/g)) {
    const kind = kindOfWord(m[1] ?? "")
    const name = (m[2] ?? "").toLowerCase()
    if (kind === undefined || !NAME.test(name) || STOP.has(name) || kindOfWord(name) !== undefined) continue
    if (known === undefined ? /[-\d]/.test(name) : exists(kind, name)) note(kind, name, m.index ?? 0)
  }
  for (const m of text.matchAll(/\b([A-Za-z0-9][-A-Za-z0-9.]*[A-Za-z0-9])\s+([A-Za-z]+)\b/g)) {
    const kind = kindOfWord(m[2] ?? "")
    const name = (m[1] ?? "").toLowerCase()
    if (kind === undefined || kind === "Node" || !NAME.test(name) || STOP.has(name) || kindOfWord(name) !== undefined)
      continue
    if (known === undefined ? /-/.test(name) && kind !== "Pod" : exists(kind, name)) note(kind, name, m.index ?? 0)
  }
  // node names that look like cloud hostnames
  for (const m of text.matchAll(
    /\b(ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}(?:\.[a-z0-9-]+)*|gke-[a-z0-9-]+|aks-[a-z0-9-]+)\b/g
  )) {
    const name = m[1] ?? ""
    const full =
      knownObjs.find((o) => o.kind === "Node" && (o.name === name || o.name.startsWith(`${name}.`)))?.name ?? name
    note("Node", full, m.index ?? 0)
  }
  // pod-looking tokens: name-<hash>-<5> and statefulset ordinals
  for (const m of text.matchAll(/\b([a-z0-9][-a-z0-9]*-[a-z0-9]{6,10}-[a-z0-9]{5}|[a-z][-a-z0-9]*-\d{1,3})\b/g)) {
    const name = m[1] ?? ""
    if (known === undefined || exists("Pod", name)) note("Pod", name, m.index ?? 0)
  }
  // any token that names a known object (hyphenated, or a plain word of 4+ chars)
  if (known !== undefined) {
    for (const m of text.matchAll(/[A-Za-z0-9][-A-Za-z0-9.]*[A-Za-z0-9]/g)) {
      const tok = m[0].toLowerCase().replace(/\.$/, "")
      if (STOP.has(tok) || (!tok.includes("-") && tok.length < 4)) continue
      const kinds = knownObjs
        .filter(
          (o) =>
            o.name === tok && (namespaces.length === 0 || o.namespace === undefined || namespaces.includes(o.namespace))
        )
        .map((o) => o.kind)
      for (const k of RESOLVE_ORDER) {
        if (!kinds.includes(k)) continue
        if (k === "Container" && kinds.length > 1) continue
        note(k, tok, m.index ?? 0)
      }
    }
  }
  // hosts
  const hosts: Array<string> = []
  for (const m of text.matchAll(/\b([a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,})\b/gi)) {
    const h = (m[1] ?? "").toLowerCase()
    if (/^ip-\d/.test(h) || /^\d+(\.\d+)+$/.test(h)) continue
    if (!hosts.includes(h)) hosts.push(h)
    const route = known?.hosts?.find((x) => x.host === h)
    if (route !== undefined) {
      note("Service", route.service, m.index ?? 0)
      if (route.namespace !== undefined) addNs(route.namespace)
    }
  }
  for (const m of text.matchAll(/\bcontainer\s+["'`]?([a-z0-9][-a-z0-9]*)/gi))
    if (m[1] !== undefined && !STOP.has(m[1])) push(byKind, "Container", m[1].toLowerCase())
  const alertnames = [
    ...new Set(
      [
        ...text.matchAll(
          /\b(?:alertname[=:]\s*)?((?:Kube|Node|Prometheus|Alertmanager|Target|Watchdog)?[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,})\b/g
        )
      ]
        .map((m) => m[1] ?? "")
        .filter((a) => a !== "" && !REASONS.includes(a))
    )
  ]
  const reasons = REASONS.filter((r) => new RegExp(`\\b${r.replace(":", "\\:")}\\b`, "i").test(text))

  // namespace from the resolved object when the text gave none
  if (namespaces.length === 0 && known !== undefined) {
    const first = [...order].sort((a, b) => a.at - b.at).find((o) => o.kind !== "Node" && o.kind !== "Container")
    const candidates =
      first === undefined
        ? []
        : [...new Set(knownObjs.filter((o) => o.kind === first.kind && o.name === first.name).map((o) => o.namespace))]
    if (candidates.length === 1 && candidates[0] !== undefined) addNs(candidates[0])
  }
  const primary = [...order]
    .filter((o) => o.kind !== "Container")
    .sort((a, b) => RESOLVE_ORDER.indexOf(a.kind) - RESOLVE_ORDER.indexOf(b.kind) || a.at - b.at)[0]
  const list = (kind: string): ReadonlyArray<string> => byKind.get(kind) ?? []
  const fields = Object.fromEntries(Object.entries(FIELD).map(([kind, field]) => [field, list(kind)]))
  return {
    ...(namespaces[0] === undefined ? {} : { namespace: namespaces[0] }),
    ...(primary === undefined ? {} : { kind: primary.kind, name: primary.name }),
    namespaces,
    pods: fields["pods"] ?? [],
    deployments: fields["deployments"] ?? [],
    statefulsets: fields["statefulsets"] ?? [],
    daemonsets: fields["daemonsets"] ?? [],
    jobs: fields["jobs"] ?? [],
    cronjobs: fields["cronjobs"] ?? [],
    services: fields["services"] ?? [],
    nodes: fields["nodes"] ?? [],
    containers: fields["containers"] ?? [],
    configmaps: fields["configmaps"] ?? [],
    secrets: fields["secrets"] ?? [],
    pvcs: fields["pvcs"] ?? [],
    ingresses: fields["ingresses"] ?? [],
    hosts,
    alertnames,
    reasons
  }
}
