/**
 * How the triage talks to a Kubernetes MCP server: tool names and argument shapes, in one mapping per server
 * implementation. Supporting another Kubernetes MCP server means adding a mapping here.
 */
import { Option } from "effect"
import { parseAllDocuments } from "yaml"
import type { McpTool } from "../mcp/McpToolManager.js"
import { isRecord } from "./objects.js"

/** A Kubernetes resource type. */
export interface ResourceType {
  readonly apiVersion: string
  readonly kind: string
  readonly namespaced: boolean
}

/** A tool call to make: which tool, with which arguments. */
export interface ToolInvocation {
  readonly tool: string
  readonly args: Record<string, unknown>
}

/** Tool names and argument shapes of one Kubernetes MCP server implementation. */
export interface KubernetesToolMap {
  /** Implementation name, for logs and docs. */
  readonly implementation: string
  /** Tools a server must offer for this mapping to apply. */
  readonly requiredTools: ReadonlyArray<string>
  /** Lists objects of a type, in a namespace or cluster-wide. */
  readonly list: (type: ResourceType, namespace: string | undefined) => ToolInvocation
  /** Reads a container's log. */
  readonly podLog: (
    namespace: string,
    pod: string,
    container: string,
    previous: boolean,
    tailLines: number
  ) => ToolInvocation
  /** Parses a list tool's output into Kubernetes objects (an empty array when there are none). */
  readonly parseList: (text: string) => ReadonlyArray<unknown>
}

/** Parses YAML (one or more documents) into the objects it lists; tolerant of comment/preamble lines. */
export const parseYamlObjects = (text: string): ReadonlyArray<unknown> => {
  const out: Array<unknown> = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) continue
    const value: unknown = doc.toJS({ maxAliasCount: 100 })
    if (Array.isArray(value)) out.push(...value.filter(isRecord))
    else if (isRecord(value)) {
      const items = value["items"]
      if (Array.isArray(items)) out.push(...items.filter(isRecord))
      else if (typeof value["kind"] === "string") out.push(value)
    }
  }
  return out
}

/** Mapping for `kubernetes-mcp-server` (containers/kubernetes-mcp-server), run with `--list-output yaml`. */
export const kubernetesMcpServer: KubernetesToolMap = {
  implementation: "kubernetes-mcp-server",
  requiredTools: ["resources_list", "pods_log"],
  list: (type, namespace) => ({
    tool: "resources_list",
    args: {
      apiVersion: type.apiVersion,
      kind: type.kind,
      ...(type.namespaced && namespace !== undefined ? { namespace } : {})
    }
  }),
  podLog: (namespace, pod, container, previous, tailLines) => ({
    tool: "pods_log",
    args: { namespace, name: pod, container, tail: tailLines, ...(previous ? { previous: true } : {}) }
  }),
  parseList: parseYamlObjects
}

/** Every known mapping, tried in order. */
export const KUBERNETES_TOOL_MAPS: ReadonlyArray<KubernetesToolMap> = [kubernetesMcpServer]

/** The first connected server whose tools satisfy a known mapping. */
export const findKubernetesServer = (
  tools: ReadonlyArray<McpTool>
): Option.Option<{ readonly server: string; readonly map: KubernetesToolMap }> => {
  const byServer = new Map<string, Set<string>>()
  for (const t of tools) {
    const names = byServer.get(t.server) ?? new Set<string>()
    names.add(t.name)
    byServer.set(t.server, names)
  }
  for (const map of KUBERNETES_TOOL_MAPS) {
    for (const [server, names] of byServer) {
      if (map.requiredTools.every((t) => names.has(t))) return Option.some({ server, map })
    }
  }
  return Option.none()
}

/** Namespaced types the triage reads in each namespace it looks at. */
export const NAMESPACED_TYPES: ReadonlyArray<ResourceType & { readonly field: string }> = [
  { apiVersion: "v1", kind: "Pod", namespaced: true, field: "pods" },
  { apiVersion: "v1", kind: "Event", namespaced: true, field: "events" },
  { apiVersion: "apps/v1", kind: "Deployment", namespaced: true, field: "deployments" },
  { apiVersion: "apps/v1", kind: "ReplicaSet", namespaced: true, field: "replicaSets" },
  { apiVersion: "apps/v1", kind: "StatefulSet", namespaced: true, field: "statefulSets" },
  { apiVersion: "apps/v1", kind: "DaemonSet", namespaced: true, field: "daemonSets" },
  { apiVersion: "batch/v1", kind: "Job", namespaced: true, field: "jobs" },
  { apiVersion: "batch/v1", kind: "CronJob", namespaced: true, field: "cronJobs" },
  { apiVersion: "v1", kind: "Service", namespaced: true, field: "services" },
  { apiVersion: "v1", kind: "Endpoints", namespaced: true, field: "endpoints" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress", namespaced: true, field: "ingresses" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", namespaced: true, field: "networkPolicies" },
  { apiVersion: "v1", kind: "ConfigMap", namespaced: true, field: "configMaps" },
  { apiVersion: "v1", kind: "Secret", namespaced: true, field: "secrets" },
  { apiVersion: "v1", kind: "ServiceAccount", namespaced: true, field: "serviceAccounts" },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", namespaced: true, field: "pvcs" },
  { apiVersion: "v1", kind: "ResourceQuota", namespaced: true, field: "resourceQuotas" },
  { apiVersion: "v1", kind: "LimitRange", namespaced: true, field: "limitRanges" },
  { apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", namespaced: true, field: "hpas" }
]

/** Cluster-scoped types the triage always reads. */
export const CLUSTER_TYPES: ReadonlyArray<ResourceType & { readonly field: string }> = [
  { apiVersion: "v1", kind: "Node", namespaced: false, field: "nodes" },
  { apiVersion: "v1", kind: "PersistentVolume", namespaced: false, field: "pvs" },
  { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", namespaced: false, field: "storageClasses" }
]

/** Namespaces, listed first to check the names a description uses. */
export const NAMESPACE_TYPE: ResourceType & { readonly field: string } = {
  apiVersion: "v1",
  kind: "Namespace",
  namespaced: false,
  field: "namespaces"
}

/** Types listed cluster-wide to resolve names when the description names no namespace. */
export const DISCOVERY_TYPES: ReadonlyArray<ResourceType & { readonly field: string }> = [
  { apiVersion: "apps/v1", kind: "Deployment", namespaced: true, field: "deployments" },
  { apiVersion: "apps/v1", kind: "StatefulSet", namespaced: true, field: "statefulSets" },
  { apiVersion: "apps/v1", kind: "DaemonSet", namespaced: true, field: "daemonSets" },
  { apiVersion: "batch/v1", kind: "Job", namespaced: true, field: "jobs" },
  { apiVersion: "v1", kind: "Service", namespaced: true, field: "services" },
  { apiVersion: "v1", kind: "Pod", namespaced: true, field: "pods" }
]
