/**
 * The built-in API resources the sandbox knows: the data behind discovery and behind path → kind resolution.
 */

/** One API resource (a row of an APIResourceList). */
export interface ResourceDef {
  readonly group: string
  readonly versions: ReadonlyArray<string>
  readonly plural: string
  readonly singular: string
  readonly kind: string
  readonly namespaced: boolean
  readonly verbs: ReadonlyArray<string>
  readonly shortNames?: ReadonlyArray<string>
  readonly categories?: ReadonlyArray<string>
  /** Subresources as `name` or `name:Kind:verbs` (verbs separated by `/`). */
  readonly subresources?: ReadonlyArray<string>
}

const RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
const RO = ["get", "list"]
const CREATE = ["create"]
const GPU = ["get", "patch", "update"]

const r = (
  group: string,
  versions: ReadonlyArray<string>,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceDef, "verbs" | "shortNames" | "categories" | "subresources" | "singular">> = {}
): ResourceDef => ({
  group,
  versions,
  plural,
  kind,
  namespaced,
  singular: extra.singular ?? kind.toLowerCase(),
  verbs: extra.verbs ?? RW,
  ...(extra.shortNames === undefined ? {} : { shortNames: extra.shortNames }),
  ...(extra.categories === undefined ? {} : { categories: extra.categories }),
  ...(extra.subresources === undefined ? {} : { subresources: extra.subresources })
})

const V1 = ["v1"]

/** Every built-in resource served, in discovery order. */
export const BUILTIN_RESOURCES: ReadonlyArray<ResourceDef> = [
  // core
  r("", V1, "bindings", "Binding", true, { verbs: CREATE }),
  r("", V1, "componentstatuses", "ComponentStatus", false, { verbs: RO, shortNames: ["cs"] }),
  r("", V1, "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  r("", V1, "endpoints", "Endpoints", true, { shortNames: ["ep"], singular: "endpoints" }),
  r("", V1, "events", "Event", true, { shortNames: ["ev"] }),
  r("", V1, "limitranges", "LimitRange", true, { shortNames: ["limits"] }),
  r("", V1, "namespaces", "Namespace", false, {
    verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
    shortNames: ["ns"],
    subresources: ["finalize:Namespace:update", "status"]
  }),
  r("", V1, "nodes", "Node", false, {
    shortNames: ["no"],
    subresources: ["proxy:NodeProxyOptions:create/delete/get/patch/update", "status"]
  }),
  r("", V1, "persistentvolumeclaims", "PersistentVolumeClaim", true, {
    shortNames: ["pvc"],
    subresources: ["status"]
  }),
  r("", V1, "persistentvolumes", "PersistentVolume", false, { shortNames: ["pv"], subresources: ["status"] }),
  r("", V1, "pods", "Pod", true, {
    shortNames: ["po"],
    categories: ["all"],
    subresources: [
      "attach:PodAttachOptions:create/get",
      "binding:Binding:create",
      "ephemeralcontainers",
      "eviction:Eviction:create",
      "exec:PodExecOptions:create/get",
      "log:Pod:get",
      "portforward:PodPortForwardOptions:create/get",
      "proxy:PodProxyOptions:create/delete/get/patch/update",
      "resize",
      "status"
    ]
  }),
  r("", V1, "podtemplates", "PodTemplate", true),
  r("", V1, "replicationcontrollers", "ReplicationController", true, {
    shortNames: ["rc"],
    categories: ["all"],
    subresources: ["scale:Scale", "status"]
  }),
  r("", V1, "resourcequotas", "ResourceQuota", true, { shortNames: ["quota"], subresources: ["status"] }),
  r("", V1, "secrets", "Secret", true),
  r("", V1, "serviceaccounts", "ServiceAccount", true, {
    shortNames: ["sa"],
    subresources: ["token:TokenRequest:create"]
  }),
  r("", V1, "services", "Service", true, {
    shortNames: ["svc"],
    categories: ["all"],
    subresources: ["proxy:ServiceProxyOptions:create/delete/get/patch/update", "status"]
  }),
  // apps
  r("apps", V1, "controllerrevisions", "ControllerRevision", true),
  r("apps", V1, "daemonsets", "DaemonSet", true, { shortNames: ["ds"], categories: ["all"], subresources: ["status"] }),
  r("apps", V1, "deployments", "Deployment", true, {
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: ["scale:Scale", "status"]
  }),
  r("apps", V1, "replicasets", "ReplicaSet", true, {
    shortNames: ["rs"],
    categories: ["all"],
    subresources: ["scale:Scale", "status"]
  }),
  r("apps", V1, "statefulsets", "StatefulSet", true, {
    shortNames: ["sts"],
    categories: ["all"],
    subresources: ["scale:Scale", "status"]
  }),
  // batch
  r("batch", V1, "cronjobs", "CronJob", true, { shortNames: ["cj"], categories: ["all"], subresources: ["status"] }),
  r("batch", V1, "jobs", "Job", true, { categories: ["all"], subresources: ["status"] }),
  // networking
  r("networking.k8s.io", V1, "ingressclasses", "IngressClass", false),
  r("networking.k8s.io", V1, "ingresses", "Ingress", true, { shortNames: ["ing"], subresources: ["status"] }),
  r("networking.k8s.io", V1, "networkpolicies", "NetworkPolicy", true, { shortNames: ["netpol"] }),
  // discovery
  r("discovery.k8s.io", V1, "endpointslices", "EndpointSlice", true),
  // autoscaling (v2 preferred)
  r("autoscaling", ["v2", "v1"], "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, {
    shortNames: ["hpa"],
    categories: ["all"],
    subresources: ["status"]
  }),
  // rbac
  r("rbac.authorization.k8s.io", V1, "clusterrolebindings", "ClusterRoleBinding", false),
  r("rbac.authorization.k8s.io", V1, "clusterroles", "ClusterRole", false),
  r("rbac.authorization.k8s.io", V1, "rolebindings", "RoleBinding", true),
  r("rbac.authorization.k8s.io", V1, "roles", "Role", true),
  // storage
  r("storage.k8s.io", V1, "csidrivers", "CSIDriver", false),
  r("storage.k8s.io", V1, "csinodes", "CSINode", false),
  r("storage.k8s.io", V1, "csistoragecapacities", "CSIStorageCapacity", true),
  r("storage.k8s.io", V1, "storageclasses", "StorageClass", false, { shortNames: ["sc"] }),
  r("storage.k8s.io", V1, "volumeattachments", "VolumeAttachment", false, { subresources: ["status"] }),
  // policy
  r("policy", V1, "poddisruptionbudgets", "PodDisruptionBudget", true, {
    shortNames: ["pdb"],
    subresources: ["status"]
  }),
  // coordination
  r("coordination.k8s.io", V1, "leases", "Lease", true),
  // authorization
  r("authorization.k8s.io", V1, "localsubjectaccessreviews", "LocalSubjectAccessReview", true, { verbs: CREATE }),
  r("authorization.k8s.io", V1, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, { verbs: CREATE }),
  r("authorization.k8s.io", V1, "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, { verbs: CREATE }),
  r("authorization.k8s.io", V1, "subjectaccessreviews", "SubjectAccessReview", false, { verbs: CREATE }),
  // metrics
  r("metrics.k8s.io", ["v1beta1"], "nodes", "NodeMetrics", false, { verbs: RO }),
  r("metrics.k8s.io", ["v1beta1"], "pods", "PodMetrics", true, { verbs: RO })
]

/** Kinds whose objects are computed by the sandbox rather than read from the scenario. */
export const VIRTUAL_GROUPS: ReadonlySet<string> = new Set(["metrics.k8s.io", "authorization.k8s.io"])

/** `group/version` for an apiVersion string (`v1` → core). */
export const splitApiVersion = (apiVersion: string): { group: string; version: string } => {
  const slash = apiVersion.indexOf("/")
  return slash < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) }
}

/** The apiVersion string for a group and version. */
export const apiVersionOf = (group: string, version: string): string => (group === "" ? version : `${group}/${version}`)

/** `pods` or `deployments.apps`: how the API names a resource in error messages. */
export const qualifiedName = (def: ResourceDef): string =>
  def.group === "" ? def.plural : `${def.plural}.${def.group}`

const plural = (kind: string): string => {
  const lower = kind.toLowerCase()
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`
  return `${lower}s`
}

/**
 * The resource catalogue for a scenario: the built-ins plus a synthesized resource for any apiVersion/kind in the
 * scenario that is not built in (e.g. a custom resource), so that every object in the file can be listed.
 */
export const catalogue = (
  objects: ReadonlyArray<{ readonly apiVersion: string; readonly kind: string; readonly namespaced: boolean }>
): ReadonlyArray<ResourceDef> => {
  const out: Array<ResourceDef> = [...BUILTIN_RESOURCES]
  for (const o of objects) {
    const { group, version } = splitApiVersion(o.apiVersion)
    const known = out.find((d) => d.group === group && d.kind === o.kind)
    if (known === undefined) {
      out.push(r(group, [version], plural(o.kind), o.kind, o.namespaced))
    } else if (!known.versions.includes(version)) {
      out[out.indexOf(known)] = { ...known, versions: [...known.versions, version] }
    }
  }
  return out
}

/** True when the kind of a built-in group is cluster-scoped; undefined when the kind is unknown. */
export const builtinNamespaced = (apiVersion: string, kind: string): boolean | undefined => {
  const { group } = splitApiVersion(apiVersion)
  return (
    BUILTIN_RESOURCES.find((d) => d.group === group && d.kind === kind)?.namespaced ??
    BUILTIN_RESOURCES.find((d) => d.kind === kind && !VIRTUAL_GROUPS.has(d.group))?.namespaced
  )
}

/** Verbs for a subresource spec. */
export const parseSubresource = (
  parent: ResourceDef,
  spec: string
): { name: string; kind: string; verbs: ReadonlyArray<string> } => {
  const [name = spec, kind, verbs] = spec.split(":")
  return { name, kind: kind ?? parent.kind, verbs: verbs === undefined ? GPU : verbs.split("/") }
}
