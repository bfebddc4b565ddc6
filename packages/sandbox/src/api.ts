/**
 * The sandbox's Kubernetes API as a pure function from a request to a response.
 */
import { Either } from "effect"
import { accessReview, reviewSpec, rulesReview } from "./access.js"
import { findDef, objectsOf, type Cluster, type StoredObject } from "./cluster.js"
import { apiGroup, apiGroupList, apiResourceList, apiVersions, SERVER_VERSION } from "./discovery.js"
import {
  badRequest,
  json,
  methodNotAllowed,
  pathNotFound,
  statusError,
  text,
  type ApiRequest,
  type ApiResult
} from "./http.js"
import { rec, recs, str, strMap, type JsonRecord } from "./json.js"
import { podLog } from "./logs.js"
import { isReadyNode, statsSummary } from "./metrics.js"
import { apiVersionOf, qualifiedName, type ResourceDef } from "./resources.js"
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from "./selectors.js"
import { toTable, type IncludeObject } from "./table.js"

/** Context of one request: the clock and the address clients use. */
export interface RequestContext {
  readonly now: number
  readonly serverAddress: string
  /** Longest a watch is held open when the client gives no timeoutSeconds (ms). */
  readonly maxWatchMs: number
}

const wantsTable = (req: ApiRequest): boolean => /as=Table/.test(req.headers["accept"] ?? "")

const includeObject = (req: ApiRequest): IncludeObject => {
  const v = req.query.get("includeObject")
  return v === "None" || v === "Object" ? v : "Metadata"
}

const render = (s: StoredObject, group: string, version: string): JsonRecord => ({
  ...s.object,
  apiVersion: apiVersionOf(group, version),
  kind: s.def.kind
})

const notFound = (def: ResourceDef, name: string): ApiResult =>
  statusError(404, "NotFound", `${qualifiedName(def)} "${name}" not found`, {
    name,
    group: def.group,
    kind: def.plural
  })

const boolParam = (req: ApiRequest, name: string): boolean => {
  const v = req.query.get(name)
  return v === "true" || v === "1"
}

const intParam = (req: ApiRequest, name: string): number | undefined => {
  const v = req.query.get(name)
  if (v === null || v === "") return undefined
  const n = Number(v)
  return Number.isInteger(n) ? n : undefined
}

const list = (
  cluster: Cluster,
  req: ApiRequest,
  ctx: RequestContext,
  def: ResourceDef,
  group: string,
  version: string,
  namespace: string | undefined
): ApiResult => {
  const labels = parseLabelSelector(req.query.get("labelSelector") ?? "")
  if (Either.isLeft(labels)) return badRequest(labels.left)
  const fields = parseFieldSelector(req.query.get("fieldSelector") ?? "")
  if (Either.isLeft(fields)) return badRequest(fields.left)
  const items = objectsOf(cluster, def, namespace)
    .map((s) => render(s, group, version))
    .filter((o) => matchesLabels(labels.right, strMap(o, "metadata.labels")) && matchesFields(fields.right, o))
  const table = wantsTable(req)
  if (boolParam(req, "watch")) {
    const rv = req.query.get("resourceVersion")
    const initial = rv === null || rv === "" || rv === "0" || boolParam(req, "sendInitialEvents")
    const timeout = intParam(req, "timeoutSeconds")
    return {
      _tag: "Watch",
      timeoutMs: timeout === undefined ? ctx.maxWatchMs : Math.min(timeout * 1000, ctx.maxWatchMs),
      events: (initial ? items : []).map((o) => ({
        type: "ADDED",
        object: table ? toTable(def, [o], ctx.now, includeObject(req), cluster.resourceVersion) : o
      }))
    }
  }
  if (table) return json(200, toTable(def, items, ctx.now, includeObject(req), cluster.resourceVersion))
  return json(200, {
    kind: `${def.kind}List`,
    apiVersion: apiVersionOf(group, version),
    metadata: { resourceVersion: cluster.resourceVersion },
    items
  })
}

const find = (
  cluster: Cluster,
  def: ResourceDef,
  namespace: string | undefined,
  name: string
): StoredObject | undefined => objectsOf(cluster, def, namespace).find((s) => s.name === name)

const get = (
  cluster: Cluster,
  req: ApiRequest,
  ctx: RequestContext,
  def: ResourceDef,
  group: string,
  version: string,
  namespace: string | undefined,
  name: string
): ApiResult => {
  const found = find(cluster, def, namespace, name)
  if (found === undefined) return notFound(def, name)
  const o = render(found, group, version)
  if (wantsTable(req)) return json(200, toTable(def, [o], ctx.now, includeObject(req), cluster.resourceVersion))
  return json(200, o)
}

const podsOf = (cluster: Cluster): ReadonlyArray<JsonRecord> =>
  cluster.objects.filter((s) => s.def.group === "" && s.def.kind === "Pod").map((s) => s.object)

const nodeLogText = (cluster: Cluster, node: JsonRecord): string => {
  const name = str(node, "metadata.name") ?? ""
  const lines: Array<string> = []
  for (const c of recs(node, "status.conditions"))
    lines.push(
      `${str(c, "lastTransitionTime") ?? ""} ${name} kubelet: node condition ${str(c, "type") ?? ""}=${str(c, "status") ?? ""} reason=${str(c, "reason") ?? ""}: ${str(c, "message") ?? ""}`
    )
  const events = cluster.objects
    .filter((s) => s.def.kind === "Event" && s.def.group === "")
    .map((s) => s.object)
    .filter((e) => {
      const kind = str(e, "involvedObject.kind")
      const host = str(e, "source.host")
      return (kind === "Node" && str(e, "involvedObject.name") === name) || host === name
    })
  for (const e of events)
    lines.push(
      `${str(e, "lastTimestamp") ?? ""} ${name} kubelet: ${str(e, "type") ?? ""} ${str(e, "reason") ?? ""} ${str(e, "involvedObject.kind") ?? ""}/${str(e, "involvedObject.name") ?? ""}: ${str(e, "message") ?? ""}`
    )
  return lines.sort().join("\n") + (lines.length > 0 ? "\n" : "")
}

const nodeProxy = (
  cluster: Cluster,
  ctx: RequestContext,
  node: StoredObject,
  rest: ReadonlyArray<string>,
  req: ApiRequest
): ApiResult => {
  if (!isReadyNode(node.object)) {
    const ip =
      str(
        recs(node.object, "status.addresses").find((a) => a.type === "InternalIP"),
        "address"
      ) ?? node.name
    return statusError(503, "ServiceUnavailable", `error trying to reach service: dial tcp ${ip}:10250: i/o timeout`)
  }
  const path = rest.join("/")
  if (path === "stats/summary") return json(200, statsSummary(node.object, podsOf(cluster), ctx.now))
  if (path === "healthz") return text(200, "ok")
  if (path === "logs" || path.startsWith("logs/")) {
    const query = req.query.get("query")
    const file = rest.slice(1).join("/")
    if (query !== null && query !== "") {
      if (query === "kubelet" || query === "kubelet.service") return text(200, nodeLogText(cluster, node.object))
      return text(200, "")
    }
    if (file === "")
      return text(200, '<pre>\n<a href="kubelet.log">kubelet.log</a>\n<a href="pods/">pods/</a>\n</pre>\n')
    if (file === "kubelet.log") return text(200, nodeLogText(cluster, node.object))
    return text(404, "404 page not found\n")
  }
  return text(404, "404 page not found\n")
}

const subresource = (
  cluster: Cluster,
  req: ApiRequest,
  ctx: RequestContext,
  def: ResourceDef,
  group: string,
  version: string,
  namespace: string | undefined,
  name: string,
  rest: ReadonlyArray<string>
): ApiResult => {
  const [sub = "", ...tail] = rest
  const known = (def.subresources ?? []).some((s) => s.split(":")[0] === sub)
  if (!known) return pathNotFound()
  const found = find(cluster, def, namespace, name)
  if (found === undefined) return notFound(def, name)
  if (def.group === "" && def.kind === "Pod" && sub === "log") {
    const tailLines = intParam(req, "tailLines")
    const limitBytes = intParam(req, "limitBytes")
    const result = podLog(found.object, cluster.logs, {
      container: req.query.get("container") ?? undefined,
      previous: boolParam(req, "previous"),
      tailLines,
      limitBytes
    })
    return Either.match(result, { onLeft: (e) => badRequest(e.message), onRight: (body) => text(200, body) })
  }
  if (def.group === "" && def.kind === "Node" && sub === "proxy") return nodeProxy(cluster, ctx, found, tail, req)
  if (sub === "status") return json(200, render(found, group, version))
  if (sub === "scale")
    return json(200, {
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      metadata: {
        name,
        ...(namespace === undefined ? {} : { namespace }),
        uid: str(found.object, "metadata.uid"),
        resourceVersion: str(found.object, "metadata.resourceVersion"),
        creationTimestamp: str(found.object, "metadata.creationTimestamp")
      },
      spec: { replicas: rec(found.object, "spec").replicas ?? 0 },
      status: {
        replicas: rec(found.object, "status").replicas ?? 0,
        selector: Object.entries(strMap(found.object, "spec.selector.matchLabels"))
          .map(([k, v]) => `${k}=${v}`)
          .join(",")
      }
    })
  return pathNotFound()
}

const REVIEW_KINDS: Readonly<Record<string, string>> = {
  selfsubjectaccessreviews: "SelfSubjectAccessReview",
  subjectaccessreviews: "SubjectAccessReview",
  localsubjectaccessreviews: "LocalSubjectAccessReview"
}

const post = (cluster: Cluster, req: ApiRequest, segments: ReadonlyArray<string>): ApiResult => {
  // /apis/authorization.k8s.io/v1/[namespaces/{ns}/]<review>
  if (segments[0] !== "apis" || segments[1] !== "authorization.k8s.io" || segments[2] !== "v1")
    return methodNotAllowed()
  const rest = segments.slice(3)
  const resource = rest[0] === "namespaces" && rest.length === 3 ? rest[2] : rest.length === 1 ? rest[0] : undefined
  if (resource === undefined) return methodNotAllowed()
  const kind = REVIEW_KINDS[resource]
  if (kind !== undefined) return json(201, accessReview(kind, reviewSpec(req.headers["content-type"] ?? "", req.body)))
  if (resource === "selfsubjectrulesreviews") {
    const spec = reviewSpec(req.headers["content-type"] ?? "", req.body)
    return json(201, rulesReview(str(spec, "namespace") ?? cluster.namespace))
  }
  return methodNotAllowed()
}

const resourceRoute = (
  cluster: Cluster,
  req: ApiRequest,
  ctx: RequestContext,
  group: string,
  version: string,
  rest: ReadonlyArray<string>
): ApiResult => {
  if (rest.length === 0) {
    const doc = apiResourceList(cluster.defs, group, version)
    return doc === undefined ? pathNotFound() : json(200, doc)
  }
  // Namespaced paths: namespaces/{ns}/{resource}[/{name}[/sub...]]
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const [, namespace = "", resource = "", name, ...sub] = rest
    const def = findDef(cluster, group, version, resource)
    if (def === undefined || !def.namespaced) return pathNotFound()
    if (name === undefined) return list(cluster, req, ctx, def, group, version, namespace)
    if (sub.length === 0) return get(cluster, req, ctx, def, group, version, namespace, name)
    return subresource(cluster, req, ctx, def, group, version, namespace, name, sub)
  }
  const [resource = "", name, ...sub] = rest
  const def = findDef(cluster, group, version, resource)
  if (def === undefined) return pathNotFound()
  if (name === undefined) return list(cluster, req, ctx, def, group, version, undefined)
  if (def.namespaced) return pathNotFound()
  if (sub.length === 0) return get(cluster, req, ctx, def, group, version, undefined, name)
  return subresource(cluster, req, ctx, def, group, version, undefined, name, sub)
}

/** Answers one API request against the cluster. Pure apart from reading `ctx.now`. */
export const handle = (cluster: Cluster, req: ApiRequest, ctx: RequestContext): ApiResult => {
  const segments = req.path
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s))
  const method = req.method.toUpperCase()
  if (method === "POST") return post(cluster, req, segments)
  if (method !== "GET" && method !== "HEAD") return methodNotAllowed()
  const [root, a, b, ...rest] = segments
  if (root === undefined)
    return json(200, { paths: ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/readyz", "/version"] })
  if (segments.length === 1 && (root === "healthz" || root === "livez" || root === "readyz")) return text(200, "ok")
  if (root === "version" && segments.length === 1) return json(200, SERVER_VERSION)
  if (root === "api") {
    if (a === undefined) return json(200, apiVersions(ctx.serverAddress))
    if (a !== "v1") return pathNotFound()
    return resourceRoute(cluster, req, ctx, "", "v1", b === undefined ? [] : [b, ...rest])
  }
  if (root === "apis") {
    if (a === undefined) return json(200, apiGroupList(cluster.defs))
    if (b === undefined) {
      const doc = apiGroup(cluster.defs, a)
      return doc === undefined ? pathNotFound() : json(200, { kind: "APIGroup", apiVersion: "v1", ...doc })
    }
    return resourceRoute(cluster, req, ctx, a, b, rest)
  }
  return pathNotFound()
}
