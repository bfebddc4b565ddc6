/**
 * Deterministic resource usage derived from the scenario: metrics.k8s.io PodMetrics/NodeMetrics and the kubelet
 * stats Summary served through the node proxy. A running container uses roughly half of its request (a stable
 * factor between 0.35 and 0.65 derived from its name); a node adds a fixed system overhead to its pods' usage.
 */
import { createHash } from "node:crypto"
import type { StoredObject } from "./cluster.js"
import { rec, recs, str, strMap, type JsonRecord } from "./json.js"
import { formatKi, formatNanoCores, parseQuantity } from "./quantity.js"
import type { ResourceDef } from "./resources.js"

/** cpu in cores, memory in bytes. */
export interface Usage {
  readonly cpu: number
  readonly memory: number
}

const factor = (seed: string): number => {
  const h = createHash("sha1").update(seed).digest()
  return 0.35 + (h.readUInt16BE(0) % 31) / 100
}

const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z")

const NODE_OVERHEAD: Usage = { cpu: 0.118, memory: 912 * 1024 * 1024 }
const DEFAULT_CPU = 0.004
const DEFAULT_MEMORY = 48 * 1024 * 1024

/** True when the pod is bound to a node, Running, and has at least one running container. */
export const isRunningPod = (pod: JsonRecord): boolean =>
  str(pod, "status.phase") === "Running" &&
  recs(pod, "status.containerStatuses").some((c) => rec(c, "state").running !== undefined)

/** The usage of each running container of a pod (containers that are not running are absent). */
export const containerUsages = (pod: JsonRecord): ReadonlyArray<{ readonly name: string; readonly usage: Usage }> => {
  const podName = str(pod, "metadata.name") ?? ""
  const specs = recs(pod, "spec.containers")
  return recs(pod, "status.containerStatuses")
    .filter((c) => rec(c, "state").running !== undefined)
    .map((status) => {
      const name = str(status, "name") ?? ""
      const spec = specs.find((c) => c.name === name)
      const f = factor(`${podName}/${name}`)
      const req = rec(spec, "resources.requests")
      const lim = rec(spec, "resources.limits")
      const cpuReq = parseQuantity(req.cpu) ?? parseQuantity(lim.cpu)
      const memReq = parseQuantity(req.memory) ?? parseQuantity(lim.memory)
      const cpu = cpuReq === undefined ? DEFAULT_CPU : cpuReq * f
      const memLimit = parseQuantity(lim.memory)
      let memory = memReq === undefined ? DEFAULT_MEMORY : memReq * (f + 0.3)
      if (memLimit !== undefined) memory = Math.min(memory, memLimit * 0.92)
      return { name, usage: { cpu, memory } }
    })
}

const sum = (usages: ReadonlyArray<Usage>): Usage =>
  usages.reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), { cpu: 0, memory: 0 })

/** True unless the node's Ready condition is False or Unknown. */
export const isReadyNode = (node: JsonRecord): boolean => {
  const ready = recs(node, "status.conditions").find((c) => c.type === "Ready")
  return ready === undefined || ready.status === "True"
}

/** The usage of a node: its running pods plus a system overhead. */
export const nodeUsage = (nodeName: string, pods: ReadonlyArray<JsonRecord>): Usage =>
  sum([
    NODE_OVERHEAD,
    ...pods
      .filter((p) => str(p, "spec.nodeName") === nodeName && isRunningPod(p))
      .flatMap((p) => containerUsages(p).map((c) => c.usage))
  ])

/** PodMetrics and NodeMetrics objects for the metrics.k8s.io/v1beta1 resources of `defs`. */
export const computeMetrics = (
  defs: ReadonlyArray<ResourceDef>,
  coreObjects: ReadonlyArray<StoredObject>,
  nowMs: number
): ReadonlyArray<StoredObject> => {
  const podDef = defs.find((d) => d.group === "metrics.k8s.io" && d.kind === "PodMetrics")
  const nodeDef = defs.find((d) => d.group === "metrics.k8s.io" && d.kind === "NodeMetrics")
  const pods = coreObjects.filter((s) => s.def.kind === "Pod").map((s) => s.object)
  const out: Array<StoredObject> = []
  const timestamp = iso(nowMs - 14_000)
  if (podDef !== undefined)
    for (const pod of pods.filter(isRunningPod)) {
      const name = str(pod, "metadata.name") ?? ""
      const namespace = str(pod, "metadata.namespace") ?? "default"
      out.push({
        def: podDef,
        namespace,
        name,
        object: {
          kind: "PodMetrics",
          apiVersion: "metrics.k8s.io/v1beta1",
          metadata: { name, namespace, creationTimestamp: iso(nowMs), labels: strMap(pod, "metadata.labels") },
          timestamp,
          window: "15.012s",
          containers: containerUsages(pod).map((c) => ({
            name: c.name,
            usage: { cpu: formatNanoCores(c.usage.cpu), memory: formatKi(c.usage.memory) }
          }))
        }
      })
    }
  if (nodeDef !== undefined)
    for (const node of coreObjects.filter((s) => s.def.kind === "Node" && isReadyNode(s.object))) {
      const usage = nodeUsage(node.name, pods)
      out.push({
        def: nodeDef,
        namespace: undefined,
        name: node.name,
        object: {
          kind: "NodeMetrics",
          apiVersion: "metrics.k8s.io/v1beta1",
          metadata: { name: node.name, creationTimestamp: iso(nowMs), labels: strMap(node.object, "metadata.labels") },
          timestamp,
          window: "20.031s",
          usage: { cpu: formatNanoCores(usage.cpu), memory: formatKi(usage.memory) }
        }
      })
    }
  return out
}

const cpuStats = (time: string, cores: number, uptimeS: number): JsonRecord => ({
  time,
  usageNanoCores: Math.round(cores * 1e9),
  usageCoreNanoSeconds: Math.round(cores * 1e9 * uptimeS)
})

const memStats = (time: string, bytes: number, available?: number): JsonRecord => ({
  time,
  ...(available === undefined ? {} : { availableBytes: Math.round(available) }),
  usageBytes: Math.round(bytes * 1.12),
  workingSetBytes: Math.round(bytes),
  rssBytes: Math.round(bytes * 0.85),
  pageFaults: Math.round(bytes / 4096 / 7),
  majorPageFaults: 0
})

const conditionTrue = (node: JsonRecord, type: string): boolean =>
  recs(node, "status.conditions").some((c) => c.type === type && c.status === "True")

/** The kubelet stats Summary (`/api/v1/nodes/{name}/proxy/stats/summary`) for a node and the pods bound to it. */
export const statsSummary = (node: JsonRecord, allPods: ReadonlyArray<JsonRecord>, nowMs: number): JsonRecord => {
  const nodeName = str(node, "metadata.name") ?? ""
  const time = iso(nowMs - 9_000)
  const started = str(node, "metadata.creationTimestamp") ?? iso(nowMs - 86_400_000)
  const uptimeS = Math.max(60, (nowMs - Date.parse(started)) / 1000)
  const capacityMem = parseQuantity(rec(node, "status.capacity").memory) ?? 16 * 1024 ** 3
  const capacityFs = parseQuantity(rec(node, "status.capacity")["ephemeral-storage"]) ?? 100 * 1024 ** 3
  const usage = nodeUsage(nodeName, allPods)
  const memUsed = conditionTrue(node, "MemoryPressure") ? capacityMem * 0.96 : Math.min(usage.memory, capacityMem * 0.9)
  const fsAvailable = conditionTrue(node, "DiskPressure") ? capacityFs * 0.035 : capacityFs * 0.62
  const fs = {
    time,
    availableBytes: Math.round(fsAvailable),
    capacityBytes: Math.round(capacityFs),
    usedBytes: Math.round(capacityFs - fsAvailable)
  }
  const pods = allPods.filter((p) => str(p, "spec.nodeName") === nodeName && isRunningPod(p))
  return {
    node: {
      nodeName,
      systemContainers: [
        {
          name: "kubelet",
          startTime: started,
          cpu: cpuStats(time, 0.041, uptimeS),
          memory: memStats(time, 96 * 1024 ** 2)
        },
        {
          name: "runtime",
          startTime: started,
          cpu: cpuStats(time, 0.019, uptimeS),
          memory: memStats(time, 142 * 1024 ** 2)
        },
        {
          name: "pods",
          startTime: started,
          cpu: cpuStats(time, usage.cpu - NODE_OVERHEAD.cpu, uptimeS),
          memory: memStats(time, usage.memory - NODE_OVERHEAD.memory)
        }
      ],
      startTime: started,
      cpu: cpuStats(time, usage.cpu, uptimeS),
      memory: memStats(time, memUsed, capacityMem - memUsed),
      network: {
        time,
        name: "eth0",
        rxBytes: Math.round(uptimeS * 41_000),
        rxErrors: 0,
        txBytes: Math.round(uptimeS * 37_000),
        txErrors: 0
      },
      fs: { ...fs, inodesFree: 6_100_000, inodes: 6_553_600, inodesUsed: 453_600 },
      runtime: { imageFs: { ...fs, inodesFree: 6_100_000, inodes: 6_553_600, inodesUsed: 453_600 } },
      rlimit: { time, maxpid: 4_194_304, curproc: 412 }
    },
    pods: pods.map((pod) => {
      const containers = containerUsages(pod)
      const podStart = str(pod, "status.startTime") ?? started
      const total = sum(containers.map((c) => c.usage))
      return {
        podRef: {
          name: str(pod, "metadata.name") ?? "",
          namespace: str(pod, "metadata.namespace") ?? "",
          uid: str(pod, "metadata.uid") ?? ""
        },
        startTime: podStart,
        containers: containers.map((c) => ({
          name: c.name,
          startTime: podStart,
          cpu: cpuStats(time, c.usage.cpu, uptimeS / 4),
          memory: memStats(time, c.usage.memory),
          rootfs: { time, usedBytes: 40_960, inodesUsed: 12 },
          logs: { time, usedBytes: 131_072, inodesUsed: 1 }
        })),
        cpu: cpuStats(time, total.cpu, uptimeS / 4),
        memory: memStats(time, total.memory),
        "ephemeral-storage": { time, usedBytes: 172_032 * Math.max(1, containers.length), inodesUsed: 13 }
      }
    })
  }
}
