/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns kubectl shows.
 */
import { arr, getPath, num, rec, recs, str, strMap, type JsonRecord } from "./json.js"
import type { ResourceDef } from "./resources.js"
import { humanDuration, parseTimestamp } from "./time.js"

type Column = readonly [name: string, type: "string" | "integer" | "date", priority: 0 | 1, description?: string]
type Cells = (o: JsonRecord, now: number) => ReadonlyArray<unknown>

interface Printer {
  readonly columns: ReadonlyArray<Column>
  readonly cells: Cells
}

const NONE = "<none>"

const age = (o: JsonRecord, now: number, path = "metadata.creationTimestamp"): string => {
  const ms = parseTimestamp(str(o, path) ?? "")
  return ms === undefined ? "<unknown>" : humanDuration(now - ms)
}

const name = (o: JsonRecord): string => str(o, "metadata.name") ?? ""
const n = (o: JsonRecord, path: string): number => num(o, path) ?? 0
const orNone = (s: string | undefined): string => (s === undefined || s === "" ? NONE : s)

const selectorText = (sel: Readonly<Record<string, string>>): string =>
  Object.keys(sel).length === 0
    ? NONE
    : Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(",")

const labelSelectorText = (sel: JsonRecord): string => {
  const parts = Object.entries(strMap(sel, "matchLabels")).map(([k, v]) => `${k}=${v}`)
  for (const e of recs(sel, "matchExpressions")) {
    const key = str(e, "key") ?? ""
    const values = arr(e, "values").filter((v): v is string => typeof v === "string")
    const op = str(e, "operator")
    if (op === "In") parts.push(`${key} in (${values.join(",")})`)
    else if (op === "NotIn") parts.push(`${key} notin (${values.join(",")})`)
    else if (op === "Exists") parts.push(key)
    else if (op === "DoesNotExist") parts.push(`!${key}`)
  }
  return parts.length === 0 ? NONE : parts.join(",")
}

const containerNames = (o: JsonRecord, path: string): string =>
  recs(o, path)
    .map((c) => str(c, "name") ?? "")
    .join(",")
const containerImages = (o: JsonRecord, path: string): string =>
  recs(o, path)
    .map((c) => str(c, "image") ?? "")
    .join(",")

const TEMPLATE = "spec.template.spec.containers"

/** The STATUS column of `kubectl get pods` (the same rules as kubectl's printer). */
export const podStatus = (
  pod: JsonRecord
): { reason: string; ready: number; total: number; restarts: number; lastRestart: number | undefined } => {
  let reason = str(pod, "status.reason") ?? str(pod, "status.phase") ?? "Unknown"
  let restarts = 0
  let lastRestart: number | undefined
  const noteRestart = (c: JsonRecord): void => {
    restarts += num(c, "restartCount") ?? 0
    const finished = parseTimestamp(str(c, "lastState.terminated.finishedAt") ?? "")
    if (finished !== undefined && (lastRestart === undefined || finished > lastRestart)) lastRestart = finished
  }
  const initSpecs = recs(pod, "spec.initContainers")
  let initializing = false
  const initStatuses = recs(pod, "status.initContainerStatuses")
  for (const [i, c] of initStatuses.entries()) {
    noteRestart(c)
    const terminated = rec(c, "state.terminated")
    const waiting = rec(c, "state.waiting")
    const spec = initSpecs.find((s) => s.name === c.name)
    if (getPath(c, "state.terminated") !== undefined && num(terminated, "exitCode") === 0) continue
    if (spec?.restartPolicy === "Always" && c.started === true) continue
    if (getPath(c, "state.terminated") !== undefined) {
      const r = str(terminated, "reason")
      const signal = num(terminated, "signal")
      reason =
        r !== undefined && r !== ""
          ? `Init:${r}`
          : signal !== undefined && signal !== 0
            ? `Init:Signal:${signal}`
            : `Init:ExitCode:${n(terminated, "exitCode")}`
    } else if ((str(waiting, "reason") ?? "") !== "" && str(waiting, "reason") !== "PodInitializing") {
      reason = `Init:${str(waiting, "reason") ?? ""}`
    } else {
      reason = `Init:${i}/${initSpecs.length}`
    }
    initializing = true
    break
  }
  let ready = 0
  const initializedTrue = recs(pod, "status.conditions").some((c) => c.type === "Initialized" && c.status === "True")
  if (!initializing || initializedTrue) {
    restarts = 0
    let hasRunning = false
    const statuses = recs(pod, "status.containerStatuses")
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {}
      noteRestart(c)
      const waitingReason = str(c, "state.waiting.reason") ?? ""
      const terminated = getPath(c, "state.terminated")
      const tReason = str(c, "state.terminated.reason") ?? ""
      if (waitingReason !== "") reason = waitingReason
      else if (terminated !== undefined && tReason !== "") reason = tReason
      else if (terminated !== undefined) {
        const signal = num(c, "state.terminated.signal")
        reason =
          signal !== undefined && signal !== 0 ? `Signal:${signal}` : `ExitCode:${n(c, "state.terminated.exitCode")}`
      } else if (c.ready === true && getPath(c, "state.running") !== undefined) {
        hasRunning = true
        ready += 1
      }
    }
    if (reason === "Completed" && hasRunning) {
      const readyCond = recs(pod, "status.conditions").some((c) => c.type === "Ready" && c.status === "True")
      reason = readyCond ? "Running" : "NotReady"
    }
  }
  if (getPath(pod, "metadata.deletionTimestamp") !== undefined)
    reason = str(pod, "status.reason") === "NodeLost" ? "Unknown" : "Terminating"
  return { reason, ready, total: recs(pod, "spec.containers").length, restarts, lastRestart }
}

const podPrinter: Printer = {
  columns: [
    ["Name", "string", 0],
    ["Ready", "string", 0],
    ["Status", "string", 0],
    ["Restarts", "string", 0],
    ["Age", "string", 0],
    ["IP", "string", 1],
    ["Node", "string", 1],
    ["Nominated Node", "string", 1],
    ["Readiness Gates", "string", 1]
  ],
  cells: (o, now) => {
    const s = podStatus(o)
    const restarts =
      s.lastRestart === undefined ? `${s.restarts}` : `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)`
    const gates = recs(o, "spec.readinessGates")
    return [
      name(o),
      `${s.ready}/${s.total}`,
      s.reason,
      restarts,
      age(o, now),
      orNone(str(o, "status.podIP")),
      orNone(str(o, "spec.nodeName")),
      orNone(str(o, "status.nominatedNodeName")),
      gates.length === 0 ? NONE : `0/${gates.length}`
    ]
  }
}

const workloadWide: ReadonlyArray<Column> = [
  ["Containers", "string", 1],
  ["Images", "string", 1],
  ["Selector", "string", 1]
]
const wide = (o: JsonRecord): ReadonlyArray<string> => [
  containerNames(o, TEMPLATE),
  containerImages(o, TEMPLATE),
  labelSelectorText(rec(o, "spec.selector"))
]

const servicePorts = (o: JsonRecord): string => {
  const ports = recs(o, "spec.ports").map((p) => {
    const node = num(p, "nodePort")
    return `${n(p, "port")}${node === undefined ? "" : `:${node}`}/${str(p, "protocol") ?? "TCP"}`
  })
  return ports.length === 0 ? NONE : ports.join(",")
}

const externalIP = (o: JsonRecord): string => {
  const type = str(o, "spec.type") ?? "ClusterIP"
  const external = arr(o, "spec.externalIPs").filter((v): v is string => typeof v === "string")
  if (type === "LoadBalancer") {
    const ingress = recs(o, "status.loadBalancer.ingress").map((i) => str(i, "ip") ?? str(i, "hostname") ?? "")
    const all = [...ingress, ...external].filter((v) => v !== "")
    return all.length === 0 ? "<pending>" : all.join(",")
  }
  if (type === "ExternalName") return str(o, "spec.externalName") ?? NONE
  return external.length === 0 ? NONE : external.join(",")
}

const endpointsText = (o: JsonRecord): string => {
  const list: Array<string> = []
  for (const subset of recs(o, "subsets")) {
    const ports = recs(subset, "ports")
    for (const addr of recs(subset, "addresses")) {
      const ip = str(addr, "ip") ?? ""
      if (ports.length === 0) list.push(ip)
      else for (const p of ports) list.push(`${ip}:${n(p, "port")}`)
    }
  }
  if (list.length === 0) return NONE
  return list.length > 3 ? `${list.slice(0, 3).join(",")} + ${list.length - 3} more...` : list.join(",")
}

const nodeStatus = (o: JsonRecord): string => {
  const ready = recs(o, "status.conditions").find((c) => c.type === "Ready")
  const base =
    ready === undefined
      ? "Unknown"
      : ready.status === "True"
        ? "Ready"
        : ready.status === "False"
          ? "NotReady"
          : "Unknown"
  return getPath(o, "spec.unschedulable") === true ? `${base},SchedulingDisabled` : base
}

const nodeRoles = (o: JsonRecord): string => {
  const roles = Object.keys(strMap(o, "metadata.labels"))
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
  return roles.length === 0 ? NONE : roles.sort().join(",")
}

const address = (o: JsonRecord, type: string): string =>
  orNone(
    str(
      recs(o, "status.addresses").find((a) => a.type === type),
      "address"
    )
  )

const eventObject = (o: JsonRecord): string =>
  `${(str(o, "involvedObject.kind") ?? "").toLowerCase()}/${str(o, "involvedObject.name") ?? ""}`

const lastSeen = (o: JsonRecord, now: number): string => {
  const t = str(o, "lastTimestamp") ?? str(o, "eventTime") ?? str(o, "metadata.creationTimestamp")
  const ms = parseTimestamp(t ?? "")
  return ms === undefined ? "<unknown>" : humanDuration(now - ms)
}

const dataCount = (o: JsonRecord): number =>
  Object.keys(rec(o, "data")).length + Object.keys(rec(o, "binaryData")).length

const accessModes = (modes: ReadonlyArray<unknown>): string => {
  const short: Record<string, string> = {
    ReadWriteOnce: "RWO",
    ReadOnlyMany: "ROX",
    ReadWriteMany: "RWX",
    ReadWriteOncePod: "RWOP"
  }
  const out = modes.filter((m): m is string => typeof m === "string").map((m) => short[m] ?? m)
  return out.join(",")
}

const jobStatus = (o: JsonRecord): string => {
  const conds = recs(o, "status.conditions").filter((c) => c.status === "True")
  if (conds.some((c) => c.type === "Failed")) return "Failed"
  if (conds.some((c) => c.type === "Complete")) return "Complete"
  if (conds.some((c) => c.type === "Suspended")) return "Suspended"
  if (conds.some((c) => c.type === "FailureTarget")) return "FailureTarget"
  return "Running"
}

const jobDuration = (o: JsonRecord, now: number): string => {
  const start = parseTimestamp(str(o, "status.startTime") ?? "")
  if (start === undefined) return ""
  const end = parseTimestamp(str(o, "status.completionTime") ?? "") ?? now
  return humanDuration(end - start)
}

const hpaTargets = (o: JsonRecord): string => {
  const metrics = recs(o, "spec.metrics")
  const current = recs(o, "status.currentMetrics")
  if (metrics.length === 0) {
    const target = num(o, "spec.targetCPUUtilizationPercentage")
    if (target === undefined) return NONE
    const cur = num(o, "status.currentCPUUtilizationPercentage")
    return `cpu: ${cur === undefined ? "<unknown>" : `${cur}%`}/${target}%`
  }
  return metrics
    .map((m, i) => {
      const resName = str(m, "resource.name") ?? str(m, "containerResource.name") ?? str(m, "type") ?? "metric"
      const target = rec(m, "resource.target")
      const util = num(target, "averageUtilization")
      const avg = str(target, "averageValue") ?? str(target, "value")
      const cur = current[i]
      const curUtil = num(cur, "resource.current.averageUtilization")
      const curAvg = str(cur, "resource.current.averageValue")
      if (util !== undefined) return `${resName}: ${curUtil === undefined ? "<unknown>" : `${curUtil}%`}/${util}%`
      return `${resName}: ${curAvg ?? "<unknown>"}/${avg ?? "<unknown>"}`
    })
    .join(", ")
}

const PRINTERS: Readonly<Record<string, Printer>> = {
  "/Pod": podPrinter,
  "apps/Deployment": {
    columns: [
      ["Name", "string", 0],
      ["Ready", "string", 0],
      ["Up-to-date", "integer", 0],
      ["Available", "integer", 0],
      ["Age", "string", 0],
      ...workloadWide
    ],
    cells: (o, now) => [
      name(o),
      `${n(o, "status.readyReplicas")}/${n(o, "spec.replicas")}`,
      n(o, "status.updatedReplicas"),
      n(o, "status.availableReplicas"),
      age(o, now),
      ...wide(o)
    ]
  },
  "apps/ReplicaSet": {
    columns: [
      ["Name", "string", 0],
      ["Desired", "integer", 0],
      ["Current", "integer", 0],
      ["Ready", "integer", 0],
      ["Age", "string", 0],
      ...workloadWide
    ],
    cells: (o, now) => [
      name(o),
      n(o, "spec.replicas"),
      n(o, "status.replicas"),
      n(o, "status.readyReplicas"),
      age(o, now),
      ...wide(o)
    ]
  },
  "apps/StatefulSet": {
    columns: [
      ["Name", "string", 0],
      ["Ready", "string", 0],
      ["Age", "string", 0],
      ["Containers", "string", 1],
      ["Images", "string", 1]
    ],
    cells: (o, now) => [
      name(o),
      `${n(o, "status.readyReplicas")}/${n(o, "spec.replicas")}`,
      age(o, now),
      containerNames(o, TEMPLATE),
      containerImages(o, TEMPLATE)
    ]
  },
  "apps/DaemonSet": {
    columns: [
      ["Name", "string", 0],
      ["Desired", "integer", 0],
      ["Current", "integer", 0],
      ["Ready", "integer", 0],
      ["Up-to-date", "integer", 0],
      ["Available", "integer", 0],
      ["Node Selector", "string", 0],
      ["Age", "string", 0],
      ...workloadWide
    ],
    cells: (o, now) => [
      name(o),
      n(o, "status.desiredNumberScheduled"),
      n(o, "status.currentNumberScheduled"),
      n(o, "status.numberReady"),
      n(o, "status.updatedNumberScheduled"),
      n(o, "status.numberAvailable"),
      selectorText(strMap(o, "spec.template.spec.nodeSelector")),
      age(o, now),
      ...wide(o)
    ]
  },
  "batch/Job": {
    columns: [
      ["Name", "string", 0],
      ["Status", "string", 0],
      ["Completions", "string", 0],
      ["Duration", "string", 0],
      ["Age", "string", 0],
      ...workloadWide
    ],
    cells: (o, now) => [
      name(o),
      jobStatus(o),
      `${n(o, "status.succeeded")}/${num(o, "spec.completions") ?? 1}`,
      jobDuration(o, now),
      age(o, now),
      ...wide(o)
    ]
  },
  "batch/CronJob": {
    columns: [
      ["Name", "string", 0],
      ["Schedule", "string", 0],
      ["Timezone", "string", 0],
      ["Suspend", "string", 0],
      ["Active", "integer", 0],
      ["Last Schedule", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [
      name(o),
      str(o, "spec.schedule") ?? "",
      orNone(str(o, "spec.timeZone")),
      String(getPath(o, "spec.suspend") === true ? "True" : "False"),
      arr(o, "status.active").length,
      str(o, "status.lastScheduleTime") === undefined ? NONE : age(o, now, "status.lastScheduleTime"),
      age(o, now)
    ]
  },
  "/Service": {
    columns: [
      ["Name", "string", 0],
      ["Type", "string", 0],
      ["Cluster-IP", "string", 0],
      ["External-IP", "string", 0],
      ["Port(s)", "string", 0],
      ["Age", "string", 0],
      ["Selector", "string", 1]
    ],
    cells: (o, now) => [
      name(o),
      str(o, "spec.type") ?? "ClusterIP",
      orNone(str(o, "spec.clusterIP")),
      externalIP(o),
      servicePorts(o),
      age(o, now),
      selectorText(strMap(o, "spec.selector"))
    ]
  },
  "/Endpoints": {
    columns: [
      ["Name", "string", 0],
      ["Endpoints", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), endpointsText(o), age(o, now)]
  },
  "/Node": {
    columns: [
      ["Name", "string", 0],
      ["Status", "string", 0],
      ["Roles", "string", 0],
      ["Age", "string", 0],
      ["Version", "string", 0],
      ["Internal-IP", "string", 1],
      ["External-IP", "string", 1],
      ["OS-Image", "string", 1],
      ["Kernel-Version", "string", 1],
      ["Container-Runtime", "string", 1]
    ],
    cells: (o, now) => [
      name(o),
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      str(o, "status.nodeInfo.kubeletVersion") ?? "",
      address(o, "InternalIP"),
      address(o, "ExternalIP"),
      str(o, "status.nodeInfo.osImage") ?? "",
      str(o, "status.nodeInfo.kernelVersion") ?? "",
      str(o, "status.nodeInfo.containerRuntimeVersion") ?? ""
    ]
  },
  "/Namespace": {
    columns: [
      ["Name", "string", 0],
      ["Status", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), str(o, "status.phase") ?? "Active", age(o, now)]
  },
  "/Event": {
    columns: [
      ["Last Seen", "string", 0],
      ["Type", "string", 0],
      ["Reason", "string", 0],
      ["Object", "string", 0],
      ["Subobject", "string", 1],
      ["Source", "string", 1],
      ["Message", "string", 0],
      ["First Seen", "string", 1],
      ["Count", "string", 1],
      ["Name", "string", 1]
    ],
    cells: (o, now) => [
      lastSeen(o, now),
      str(o, "type") ?? "",
      str(o, "reason") ?? "",
      eventObject(o),
      str(o, "involvedObject.fieldPath") ?? "",
      [str(o, "source.component"), str(o, "source.host")].filter((s) => s !== undefined && s !== "").join(", "),
      str(o, "message") ?? "",
      str(o, "firstTimestamp") === undefined ? "<unknown>" : age(o, now, "firstTimestamp"),
      String(num(o, "count") ?? 1),
      name(o)
    ]
  },
  "/ConfigMap": {
    columns: [
      ["Name", "string", 0],
      ["Data", "integer", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), dataCount(o), age(o, now)]
  },
  "/Secret": {
    columns: [
      ["Name", "string", 0],
      ["Type", "string", 0],
      ["Data", "integer", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [
      name(o),
      str(o, "type") ?? "Opaque",
      dataCount(o) + Object.keys(rec(o, "stringData")).length,
      age(o, now)
    ]
  },
  "/ServiceAccount": {
    columns: [
      ["Name", "string", 0],
      ["Secrets", "integer", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), arr(o, "secrets").length, age(o, now)]
  },
  "/PersistentVolumeClaim": {
    columns: [
      ["Name", "string", 0],
      ["Status", "string", 0],
      ["Volume", "string", 0],
      ["Capacity", "string", 0],
      ["Access Modes", "string", 0],
      ["StorageClass", "string", 0],
      ["VolumeAttributesClass", "string", 0],
      ["Age", "string", 0],
      ["VolumeMode", "string", 1]
    ],
    cells: (o, now) => [
      name(o),
      str(o, "status.phase") ?? "Pending",
      str(o, "spec.volumeName") ?? "",
      str(o, "status.capacity.storage") ?? "",
      accessModes(arr(o, "status.accessModes")),
      str(o, "spec.storageClassName") ?? "",
      orNone(str(o, "spec.volumeAttributesClassName")),
      age(o, now),
      str(o, "spec.volumeMode") ?? "Filesystem"
    ]
  },
  "/PersistentVolume": {
    columns: [
      ["Name", "string", 0],
      ["Capacity", "string", 0],
      ["Access Modes", "string", 0],
      ["Reclaim Policy", "string", 0],
      ["Status", "string", 0],
      ["Claim", "string", 0],
      ["StorageClass", "string", 0],
      ["VolumeAttributesClass", "string", 0],
      ["Reason", "string", 0],
      ["Age", "string", 0],
      ["VolumeMode", "string", 1]
    ],
    cells: (o, now) => {
      const claim = str(o, "spec.claimRef.name")
      return [
        name(o),
        str(o, "spec.capacity.storage") ?? "",
        accessModes(arr(o, "spec.accessModes")),
        str(o, "spec.persistentVolumeReclaimPolicy") ?? "Delete",
        str(o, "status.phase") ?? "Available",
        claim === undefined ? "" : `${str(o, "spec.claimRef.namespace") ?? ""}/${claim}`,
        str(o, "spec.storageClassName") ?? "",
        orNone(str(o, "spec.volumeAttributesClassName")),
        str(o, "status.reason") ?? "",
        age(o, now),
        str(o, "spec.volumeMode") ?? "Filesystem"
      ]
    }
  },
  "storage.k8s.io/StorageClass": {
    columns: [
      ["Name", "string", 0],
      ["Provisioner", "string", 0],
      ["ReclaimPolicy", "string", 0],
      ["VolumeBindingMode", "string", 0],
      ["AllowVolumeExpansion", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => {
      const isDefault = strMap(o, "metadata.annotations")["storageclass.kubernetes.io/is-default-class"] === "true"
      return [
        isDefault ? `${name(o)} (default)` : name(o),
        str(o, "provisioner") ?? "",
        str(o, "reclaimPolicy") ?? "Delete",
        str(o, "volumeBindingMode") ?? "Immediate",
        String(getPath(o, "allowVolumeExpansion") === true),
        age(o, now)
      ]
    }
  },
  "networking.k8s.io/Ingress": {
    columns: [
      ["Name", "string", 0],
      ["Class", "string", 0],
      ["Hosts", "string", 0],
      ["Address", "string", 0],
      ["Ports", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => {
      const hosts = recs(o, "spec.rules").map((r) => str(r, "host") ?? "*")
      const addr = recs(o, "status.loadBalancer.ingress").map((i) => str(i, "ip") ?? str(i, "hostname") ?? "")
      return [
        name(o),
        orNone(str(o, "spec.ingressClassName")),
        hosts.length === 0 ? "*" : hosts.join(","),
        addr.join(","),
        recs(o, "spec.tls").length > 0 ? "80, 443" : "80",
        age(o, now)
      ]
    }
  },
  "networking.k8s.io/NetworkPolicy": {
    columns: [
      ["Name", "string", 0],
      ["Pod-Selector", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [
      name(o),
      (() => {
        const s = labelSelectorText(rec(o, "spec.podSelector"))
        return s === NONE ? "<none>" : s
      })(),
      age(o, now)
    ]
  },
  "autoscaling/HorizontalPodAutoscaler": {
    columns: [
      ["Name", "string", 0],
      ["Reference", "string", 0],
      ["Targets", "string", 0],
      ["MinPods", "string", 0],
      ["MaxPods", "string", 0],
      ["Replicas", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [
      name(o),
      `${str(o, "spec.scaleTargetRef.kind") ?? ""}/${str(o, "spec.scaleTargetRef.name") ?? ""}`,
      hpaTargets(o),
      String(num(o, "spec.minReplicas") ?? 1),
      String(n(o, "spec.maxReplicas")),
      String(n(o, "status.currentReplicas")),
      age(o, now)
    ]
  },
  "policy/PodDisruptionBudget": {
    columns: [
      ["Name", "string", 0],
      ["Min Available", "string", 0],
      ["Max Unavailable", "string", 0],
      ["Allowed Disruptions", "integer", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [
      name(o),
      String(getPath(o, "spec.minAvailable") ?? "N/A"),
      String(getPath(o, "spec.maxUnavailable") ?? "N/A"),
      n(o, "status.disruptionsAllowed"),
      age(o, now)
    ]
  },
  "/ResourceQuota": {
    columns: [
      ["Name", "string", 0],
      ["Age", "string", 0],
      ["Request", "string", 0],
      ["Limit", "string", 0]
    ],
    cells: (o, now) => {
      const hard = strMap(o, "status.hard")
      const used = strMap(o, "status.used")
      const specHard = strMap(o, "spec.hard")
      const keys = Object.keys(Object.keys(hard).length > 0 ? hard : specHard).sort()
      const fmt = (ks: ReadonlyArray<string>): string =>
        ks.map((k) => `${k}: ${used[k] ?? "0"}/${hard[k] ?? specHard[k] ?? ""}`).join(", ")
      return [
        name(o),
        age(o, now),
        fmt(keys.filter((k) => !k.startsWith("limits."))),
        fmt(keys.filter((k) => k.startsWith("limits.")))
      ]
    }
  },
  "coordination.k8s.io/Lease": {
    columns: [
      ["Name", "string", 0],
      ["Holder", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), str(o, "spec.holderIdentity") ?? "", age(o, now)]
  },
  "rbac.authorization.k8s.io/RoleBinding": {
    columns: [
      ["Name", "string", 0],
      ["Role", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), `${str(o, "roleRef.kind") ?? ""}/${str(o, "roleRef.name") ?? ""}`, age(o, now)]
  },
  "rbac.authorization.k8s.io/ClusterRoleBinding": {
    columns: [
      ["Name", "string", 0],
      ["Role", "string", 0],
      ["Age", "string", 0]
    ],
    cells: (o, now) => [name(o), `${str(o, "roleRef.kind") ?? ""}/${str(o, "roleRef.name") ?? ""}`, age(o, now)]
  }
}

const generic: Printer = {
  columns: [
    ["Name", "string", 0],
    ["Age", "string", 0]
  ],
  cells: (o, now) => [name(o), age(o, now)]
}

/** How rows carry their object (the `includeObject` query parameter). */
export type IncludeObject = "None" | "Metadata" | "Object"

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  Name: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
  Age: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC."
}

/** A meta.k8s.io/v1 Table for `objects` of resource `def`, at time `now`. */
export const toTable = (
  def: ResourceDef,
  objects: ReadonlyArray<JsonRecord>,
  now: number,
  include: IncludeObject,
  resourceVersion: string
): JsonRecord => {
  const printer = PRINTERS[`${def.group}/${def.kind}`] ?? generic
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: printer.columns.map(([colName, type, priority, description]) => ({
      name: colName,
      type,
      format: colName === "Name" ? "name" : "",
      description: description ?? DESCRIPTIONS[colName] ?? colName,
      priority
    })),
    rows: objects.map((o) => ({
      cells: printer.cells(o, now),
      ...(include === "None"
        ? {}
        : {
            object:
              include === "Object"
                ? o
                : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: rec(o, "metadata") }
          })
    }))
  }
}
