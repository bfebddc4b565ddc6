/**
 * The in-memory cluster built from a scenario: timestamps shifted, metadata filled in, implicit namespaces and
 * nodes added, events turned into core/v1 Event objects. Pure: the same scenario and start time give the same
 * cluster.
 */
import { createHash } from "node:crypto"
import { clone, rec, recs, str, type JsonRecord } from "./json.js"
import { computeMetrics } from "./metrics.js"
import { builtinNamespaced, catalogue, splitApiVersion, type ResourceDef } from "./resources.js"
import type { Scenario } from "./scenario.js"
import {
  newestTimestamp,
  oldestTimestamp,
  parseTimestamp,
  shiftOffset,
  shiftTimestamps,
  shiftTimestampsInText
} from "./time.js"

/** An object of the cluster with the resource it belongs to. */
export interface StoredObject {
  readonly def: ResourceDef
  readonly namespace: string | undefined
  readonly name: string
  readonly object: JsonRecord
}

/** The served cluster state. */
export interface Cluster {
  /** When the sandbox started (ms since the epoch); timestamps were shifted relative to it. */
  readonly startedAt: number
  /** The scenario's namespace (the kubeconfig default). */
  readonly namespace: string
  /** Every resource served (built-ins plus any custom kinds of the scenario). */
  readonly defs: ReadonlyArray<ResourceDef>
  /** Every stored object, events and computed metrics included. */
  readonly objects: ReadonlyArray<StoredObject>
  /** Pod logs (timestamps shifted), keyed `<pod>/<container>[/previous]`. */
  readonly logs: Readonly<Record<string, string>>
  /** The list resourceVersion (the highest object resourceVersion). */
  readonly resourceVersion: string
}

/** A deterministic RFC-4122-shaped uid derived from a seed. */
export const uidFor = (seed: string): string => {
  const h = createHash("sha1").update(seed).digest("hex")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}

const shortHash = (seed: string, length: number): string =>
  createHash("sha1").update(seed).digest("hex").slice(0, length)

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z")

const DEFAULT_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"]

const EVENT_SOURCES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(Scheduled|FailedScheduling|NotTriggerScaleUp|TriggeredScaleUp)$/, "default-scheduler"],
  [/^ScalingReplicaSet$/, "deployment-controller"],
  [/^(SuccessfulCreate|FailedCreate|SuccessfulDelete)$/, "replicaset-controller"],
  [
    /^(ProvisioningFailed|ExternalProvisioning|ProvisioningSucceeded|WaitForFirstConsumer)$/,
    "persistentvolume-controller"
  ],
  [
    /^(SuccessfulRescale|FailedGetResourceMetric|FailedComputeMetricsReplicas|FailedGetScale)$/,
    "horizontal-pod-autoscaler"
  ],
  [/^(BackoffLimitExceeded|DeadlineExceeded|Completed)$/, "job-controller"],
  [/^(NodeNotReady|RegisteredNode|RemovingNode|TaintManagerEviction)$/, "node-controller"]
]

const eventSource = (event: JsonRecord, pod: JsonRecord | undefined): JsonRecord => {
  const given = rec(event, "source")
  if (Object.keys(given).length > 0) return given
  const reason = str(event, "reason") ?? ""
  const match = EVENT_SOURCES.find(([re]) => re.test(reason))
  if (match !== undefined) return { component: match[1] }
  const kind = str(event, "involvedObject.kind")
  if (kind === "Pod" || kind === "Node") {
    const host = pod === undefined ? str(event, "involvedObject.name") : str(pod, "spec.nodeName")
    return host === undefined ? { component: "kubelet" } : { component: "kubelet", host }
  }
  return {}
}

const implicitNode = (name: string, hostIP: string | undefined, createdAt: string, nowMs: number): JsonRecord => {
  const heartbeat = iso(nowMs - 20_000)
  const condition = (type: string, status: string, reason: string, message: string): JsonRecord => ({
    type,
    status,
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: createdAt,
    reason,
    message
  })
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "beta.kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux"
      },
      annotations: { "node.alpha.kubernetes.io/ttl": "0" }
    },
    spec: {},
    status: {
      capacity: { cpu: "4", "ephemeral-storage": "104845292Ki", memory: "16310256Ki", pods: "110" },
      allocatable: { cpu: "3920m", "ephemeral-storage": "95551679124", memory: "15293424Ki", pods: "110" },
      conditions: [
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        condition("Ready", "True", "KubeletReady", "kubelet is posting ready status")
      ],
      addresses: [
        ...(hostIP === undefined ? [] : [{ type: "InternalIP", address: hostIP }]),
        { type: "Hostname", address: name }
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: "amd64",
        bootID: uidFor(`boot/${name}`),
        containerRuntimeVersion: "containerd://1.7.22",
        kernelVersion: "6.1.112-124.190.amzn2023.x86_64",
        kubeProxyVersion: "v1.30.4",
        kubeletVersion: "v1.30.4",
        machineID: shortHash(`machine/${name}`, 32),
        operatingSystem: "linux",
        osImage: "Amazon Linux 2023.6.20241010",
        systemUUID: uidFor(`system/${name}`)
      }
    }
  }
}

const nodeReadyHeartbeat = (node: JsonRecord): string | undefined =>
  str(
    recs(node, "status.conditions").find((c) => c.type === "Ready"),
    "lastHeartbeatTime"
  )

/**
 * Builds the served cluster from a validated scenario. `nowMs` is the sandbox start: the newest scenario timestamp
 * is moved to three minutes before it.
 */
export const buildCluster = (scenario: Scenario, nowMs: number): Cluster => {
  const offset = shiftOffset(newestTimestamp([...scenario.objects, ...scenario.events]), nowMs)
  const objects = scenario.objects.map((o) => shiftTimestamps(clone(o), offset))
  const events = scenario.events.map((e) => shiftTimestamps(clone(e), offset))
  const logs: Record<string, string> = {}
  for (const [k, v] of Object.entries(scenario.logs)) logs[k] = shiftTimestampsInText(v, offset)
  const oldest = oldestTimestamp([...objects, ...events]) ?? nowMs - 86_400_000
  const clusterBirth = iso(oldest - 7 * 86_400_000)

  // Scope every object: namespaced kinds get the scenario namespace when the file omits it.
  const typed = objects.map((object) => {
    const metadata = rec(object, "metadata")
    const apiVersion = str(object, "apiVersion") ?? "v1"
    const kind = str(object, "kind") ?? ""
    const namespaced = builtinNamespaced(apiVersion, kind) ?? str(metadata, "namespace") !== undefined
    const meta: JsonRecord = { ...metadata }
    if (namespaced) meta.namespace = str(metadata, "namespace") ?? scenario.namespace
    else delete meta.namespace
    return { apiVersion, kind, namespaced, object: { ...object, metadata: meta } }
  })
  const defs = catalogue(typed)
  const defFor = (apiVersion: string, kind: string): ResourceDef | undefined => {
    const { group } = splitApiVersion(apiVersion)
    return defs.find((d) => d.group === group && d.kind === kind && d.group !== "metrics.k8s.io")
  }

  const stored: Array<StoredObject> = []
  let rv = 1000
  const add = (def: ResourceDef, object: JsonRecord, fallbackCreated: string): void => {
    const metadata = { ...rec(object, "metadata") }
    const name = str(metadata, "name") ?? ""
    const namespace = def.namespaced ? str(metadata, "namespace") : undefined
    if (typeof metadata.uid !== "string") metadata.uid = uidFor(`${def.group}/${def.kind}/${namespace ?? ""}/${name}`)
    if (typeof metadata.creationTimestamp !== "string") {
      const own = oldestTimestamp([object])
      metadata.creationTimestamp = own === undefined ? fallbackCreated : iso(own)
    }
    rv += 1
    if (typeof metadata.resourceVersion !== "string") metadata.resourceVersion = String(rv)
    stored.push({ def, namespace, name, object: { ...object, metadata } })
  }

  const scenarioCreated = iso(oldest)
  for (const t of typed) {
    const def = defFor(t.apiVersion, t.kind)
    if (def !== undefined) add(def, t.object, scenarioCreated)
  }

  // Implicit namespaces.
  const nsDef = defFor("v1", "Namespace")
  const namespaces = new Set<string>([...DEFAULT_NAMESPACES, scenario.namespace])
  for (const s of stored) if (s.namespace !== undefined) namespaces.add(s.namespace)
  for (const e of events) {
    const ns = str(e, "involvedObject.namespace")
    if (ns !== undefined && ns !== "") namespaces.add(ns)
  }
  if (nsDef !== undefined)
    for (const ns of [...namespaces].sort()) {
      if (stored.some((s) => s.def === nsDef && s.name === ns)) continue
      const created = DEFAULT_NAMESPACES.includes(ns) ? clusterBirth : scenarioCreated
      add(
        nsDef,
        {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns, labels: { "kubernetes.io/metadata.name": ns }, creationTimestamp: created },
          spec: { finalizers: ["kubernetes"] },
          status: { phase: "Active" }
        },
        created
      )
    }

  // Implicit nodes: named by pods but not listed.
  const nodeDef = defFor("v1", "Node")
  if (nodeDef !== undefined)
    for (const pod of stored.filter((s) => s.def.kind === "Pod" && s.def.group === "")) {
      const nodeName = str(pod.object, "spec.nodeName")
      if (nodeName === undefined || nodeName === "") continue
      if (stored.some((s) => s.def === nodeDef && s.name === nodeName)) continue
      add(nodeDef, implicitNode(nodeName, str(pod.object, "status.hostIP"), clusterBirth, nowMs), clusterBirth)
    }

  // Node leases (kube-node-lease), renewed at the node's last heartbeat.
  const leaseDef = defFor("coordination.k8s.io/v1", "Lease")
  if (leaseDef !== undefined)
    for (const node of stored.filter((s) => s.def === nodeDef)) {
      const renew = nodeReadyHeartbeat(node.object) ?? iso(nowMs - 10_000)
      const renewMs = parseTimestamp(renew) ?? nowMs
      add(
        leaseDef,
        {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: {
            name: node.name,
            namespace: "kube-node-lease",
            ownerReferences: [
              { apiVersion: "v1", kind: "Node", name: node.name, uid: str(node.object, "metadata.uid") ?? "" }
            ]
          },
          spec: {
            holderIdentity: node.name,
            leaseDurationSeconds: 40,
            renewTime: new Date(renewMs).toISOString().replace("Z", "000Z")
          }
        },
        clusterBirth
      )
    }

  // Events: core/v1 Event objects with synthesized metadata and the involved object's uid.
  const eventDef = defFor("v1", "Event")
  if (eventDef !== undefined)
    events.forEach((event, index) => {
      const involved = { ...rec(event, "involvedObject") }
      const kind = str(involved, "kind") ?? ""
      const name = str(involved, "name") ?? ""
      const apiVersion = str(involved, "apiVersion")
      const target = stored.find(
        (s) =>
          s.def.kind === kind &&
          s.name === name &&
          (apiVersion === undefined || splitApiVersion(apiVersion).group === s.def.group) &&
          (!s.def.namespaced || s.namespace === (str(involved, "namespace") ?? scenario.namespace))
      )
      const clusterScoped = target !== undefined ? !target.def.namespaced : builtinNamespaced("v1", kind) === false
      if (target !== undefined) {
        if (typeof involved.uid !== "string") involved.uid = str(target.object, "metadata.uid")
        if (typeof involved.apiVersion !== "string")
          involved.apiVersion = target.def.group === "" ? "v1" : `${target.def.group}/${target.def.versions[0] ?? "v1"}`
        if (!clusterScoped && typeof involved.namespace !== "string") involved.namespace = target.namespace
        if (typeof involved.resourceVersion !== "string")
          involved.resourceVersion = str(target.object, "metadata.resourceVersion")
      }
      const namespace = clusterScoped ? "default" : (str(involved, "namespace") ?? scenario.namespace)
      if (!clusterScoped) involved.namespace = namespace
      const first = str(event, "firstTimestamp") ?? str(event, "eventTime") ?? str(event, "lastTimestamp")
      const last = str(event, "lastTimestamp") ?? first
      const metadata = rec(event, "metadata")
      const source = eventSource(event, target?.def.kind === "Pod" ? target.object : undefined)
      add(
        eventDef,
        {
          ...event,
          apiVersion: "v1",
          kind: "Event",
          metadata: {
            name: `${name}.${shortHash(`${index}/${JSON.stringify(event)}`, 16)}`,
            namespace,
            ...(first === undefined ? {} : { creationTimestamp: first }),
            ...metadata
          },
          involvedObject: involved,
          type: str(event, "type") ?? "Normal",
          count: typeof event.count === "number" ? event.count : 1,
          ...(first === undefined ? {} : { firstTimestamp: first }),
          ...(last === undefined ? {} : { lastTimestamp: last }),
          eventTime: event.eventTime ?? null,
          source,
          reportingComponent: str(event, "reportingComponent") ?? str(source, "component") ?? "",
          reportingInstance: str(event, "reportingInstance") ?? str(source, "host") ?? ""
        },
        scenarioCreated
      )
    })

  const metrics = computeMetrics(
    defs,
    stored.filter((s) => s.def.group === "" && (s.def.kind === "Pod" || s.def.kind === "Node")),
    nowMs
  )
  const all = [...stored, ...metrics]
  return {
    startedAt: nowMs,
    namespace: scenario.namespace,
    defs,
    objects: all,
    logs,
    resourceVersion: String(rv)
  }
}

/** True when a stored object is namespaced and lives in `namespace` (or any namespace when undefined). */
export const inNamespace = (s: StoredObject, namespace: string | undefined): boolean =>
  namespace === undefined || s.namespace === namespace

/** Finds a resource by group and plural (or singular/short name/kind) among the cluster's resources. */
export const findDef = (cluster: Cluster, group: string, version: string, resource: string): ResourceDef | undefined =>
  cluster.defs.find((d) => d.group === group && d.versions.includes(version) && d.plural === resource)

/** The objects of one resource, optionally in one namespace. */
export const objectsOf = (
  cluster: Cluster,
  def: ResourceDef,
  namespace: string | undefined
): ReadonlyArray<StoredObject> => cluster.objects.filter((s) => s.def === def && inNamespace(s, namespace))
