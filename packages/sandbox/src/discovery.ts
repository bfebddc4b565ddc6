/**
 * Legacy API discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/{group}`, `/apis/{group}/{version}`).
 * Requests for aggregated discovery get these legacy documents with `Content-Type: application/json`, which
 * client-go and kubectl accept.
 */
import { createHash } from "node:crypto"
import type { JsonRecord } from "./json.js"
import { apiVersionOf, parseSubresource, type ResourceDef } from "./resources.js"

/** The Kubernetes version the sandbox reports. */
export const SERVER_VERSION: JsonRecord = {
  major: "1",
  minor: "30",
  gitVersion: "v1.30.4",
  gitCommit: "a51b3b711150f57ffc1f526a640ec058514ed596",
  gitTreeState: "clean",
  buildDate: "2024-08-14T19:04:40Z",
  goVersion: "go1.22.5",
  compiler: "gc",
  platform: "linux/amd64"
}

const versionsOf = (defs: ReadonlyArray<ResourceDef>, group: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const d of defs) if (d.group === group) for (const v of d.versions) if (!out.includes(v)) out.push(v)
  return out
}

const groupNames = (defs: ReadonlyArray<ResourceDef>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const d of defs) if (d.group !== "" && !out.includes(d.group)) out.push(d.group)
  return out
}

/** `/api`: the core group's versions. */
export const apiVersions = (serverAddress: string): JsonRecord => ({
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }]
})

/** An APIGroup document, or undefined when the group is not served. */
export const apiGroup = (defs: ReadonlyArray<ResourceDef>, group: string): JsonRecord | undefined => {
  const versions = versionsOf(defs, group)
  const preferred = versions[0]
  if (preferred === undefined) return undefined
  return {
    name: group,
    versions: versions.map((v) => ({ groupVersion: apiVersionOf(group, v), version: v })),
    preferredVersion: { groupVersion: apiVersionOf(group, preferred), version: preferred }
  }
}

/** `/apis`: every named group. */
export const apiGroupList = (defs: ReadonlyArray<ResourceDef>): JsonRecord => ({
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: groupNames(defs).flatMap((g) => {
    const doc = apiGroup(defs, g)
    return doc === undefined ? [] : [doc]
  })
})

const storageVersionHash = (def: ResourceDef): string =>
  createHash("sha256").update(`${def.group}/${def.kind}`).digest("base64").slice(0, 11)

/** `/api/v1` or `/apis/{group}/{version}`: the resources of one group version, or undefined when not served. */
export const apiResourceList = (
  defs: ReadonlyArray<ResourceDef>,
  group: string,
  version: string
): JsonRecord | undefined => {
  const members = defs.filter((d) => d.group === group && d.versions.includes(version))
  if (members.length === 0) return undefined
  const resources: Array<JsonRecord> = []
  for (const d of members) {
    resources.push({
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.verbs,
      ...(d.shortNames === undefined ? {} : { shortNames: d.shortNames }),
      ...(d.categories === undefined ? {} : { categories: d.categories }),
      ...(d.verbs.includes("list") && group !== "metrics.k8s.io" ? { storageVersionHash: storageVersionHash(d) } : {})
    })
    for (const spec of d.subresources ?? []) {
      const sub = parseSubresource(d, spec)
      const scale = sub.kind === "Scale"
      resources.push({
        name: `${d.plural}/${sub.name}`,
        singularName: "",
        namespaced: d.namespaced,
        ...(scale ? { group: "autoscaling", version: "v1" } : {}),
        kind: sub.kind,
        verbs: sub.verbs
      })
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: apiVersionOf(group, version), resources }
}
