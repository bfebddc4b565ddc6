/**
 * Reading Kubernetes objects that arrive as untyped JSON/YAML from MCP tool outputs: safe field access and the pod
 * facts the triage and the creation snapshot both need.
 */

/** Whether a value is a plain object. */
export const isRecord = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The value at a path of object keys, or undefined. */
export const get = (u: unknown, ...path: ReadonlyArray<string>): unknown => {
  let cur = u
  for (const p of path) cur = isRecord(cur) ? cur[p] : undefined
  return cur
}

/** The value if it is a string. */
export const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

/** The value if it is an array, else an empty one. */
export const arr = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

/** Container statuses of a pod (init containers first), with the container's name. */
export const containerStatuses = (pod: unknown): ReadonlyArray<{ name: string; status: unknown; init: boolean }> => [
  ...arr(get(pod, "status", "initContainerStatuses")).map((s) => ({
    name: str(get(s, "name")) ?? "",
    status: s,
    init: true
  })),
  ...arr(get(pod, "status", "containerStatuses")).map((s) => ({
    name: str(get(s, "name")) ?? "",
    status: s,
    init: false
  }))
]

/** A pod's namespace (`default` when absent). */
export const podNamespace = (pod: unknown): string => str(get(pod, "metadata", "namespace")) ?? "default"

/** A pod's name (empty when absent). */
export const podName = (pod: unknown): string => str(get(pod, "metadata", "name")) ?? ""
