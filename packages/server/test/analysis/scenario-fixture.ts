/**
 * Test fixture: turns a scenario file (see /work/shared/scenarios/README.md) into the `ClusterSnapshot` the gatherer
 * would produce, with a focus from running the entity extractor on the incident description. The scoring fields
 * (`expected_root_cause`, `must_mention`) are returned separately and never reach `analyze`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import type { ClusterSnapshot } from "../../src/analysis/snapshot.js"
import { extractEntities, knownNamesFromSnapshot, type ExtractedEntities } from "../../src/analysis/entities.js"

/** A loaded scenario: the snapshot to analyze plus the scoring fields. */
export interface Scenario {
  readonly id: string
  readonly file: string
  readonly description: string
  readonly snapshot: ClusterSnapshot
  readonly entities: ExtractedEntities
  readonly mustMention: ReadonlyArray<string>
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

const FIELD_BY_KIND: Readonly<Record<string, keyof ClusterSnapshot>> = {
  Pod: "pods",
  Deployment: "deployments",
  ReplicaSet: "replicaSets",
  StatefulSet: "statefulSets",
  DaemonSet: "daemonSets",
  Job: "jobs",
  CronJob: "cronJobs",
  Service: "services",
  Endpoints: "endpoints",
  Ingress: "ingresses",
  NetworkPolicy: "networkPolicies",
  ConfigMap: "configMaps",
  Secret: "secrets",
  ServiceAccount: "serviceAccounts",
  PersistentVolumeClaim: "pvcs",
  PersistentVolume: "pvs",
  StorageClass: "storageClasses",
  Node: "nodes",
  ResourceQuota: "resourceQuotas",
  LimitRange: "limitRanges",
  HorizontalPodAutoscaler: "hpas"
}

/** Strips secret values (the gatherer only ever sees key names). */
const redactSecret = (o: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> => {
  const data = o["data"]
  return isRecord(data) ? { ...o, data: Object.fromEntries(Object.keys(data).map((k) => [k, ""])) } : o
}

/** Parses a scenario JSON document into a `Scenario`; `undefined` when it is not a scenario. */
export const scenarioFromJson = (json: unknown, file: string): Scenario | undefined => {
  if (!isRecord(json)) return undefined
  const description = str(json["incident_description"]) ?? ""
  const defaultNs = str(json["namespace"])
  const objects = Array.isArray(json["objects"]) ? json["objects"].filter(isRecord) : []
  const byField = new Map<keyof ClusterSnapshot, Array<unknown>>()
  const podNs = new Map<string, string>()
  for (const o of objects) {
    const kind = str(o["kind"]) ?? ""
    const field = FIELD_BY_KIND[kind]
    if (field === undefined) continue
    const meta = isRecord(o["metadata"]) ? o["metadata"] : {}
    const name = str(meta["name"])
    const ns = str(meta["namespace"])
    if (kind === "Pod" && name !== undefined) podNs.set(name, ns ?? defaultNs ?? "default")
    const list = byField.get(field) ?? []
    list.push(kind === "Secret" ? redactSecret(o) : o)
    byField.set(field, list)
  }
  const logs: Record<string, string> = {}
  if (isRecord(json["logs"])) {
    for (const [k, v] of Object.entries(json["logs"])) {
      if (typeof v !== "string") continue
      const pod = k.split("/")[0] ?? ""
      logs[`${podNs.get(pod) ?? defaultNs ?? "default"}/${k}`] = v
    }
  }
  const events = Array.isArray(json["events"]) ? json["events"] : []
  const base: ClusterSnapshot = { ...Object.fromEntries(byField), events, logs }
  const entities = extractEntities(description, knownNamesFromSnapshot(base))
  const mustMention = Array.isArray(json["must_mention"])
    ? json["must_mention"].filter((m): m is string => typeof m === "string")
    : []
  return {
    id: str(json["id"]) ?? file,
    file,
    description,
    snapshot: { ...base, focus: entities },
    entities,
    mustMention
  }
}

/** Loads every `*.json` scenario in a directory (empty when the directory does not exist). */
export const loadScenarios = (dir: string): ReadonlyArray<Scenario> => {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => {
      const parsed: unknown = JSON.parse(readFileSync(join(dir, f), "utf8"))
      const s = scenarioFromJson(parsed, f)
      return s === undefined ? [] : [s]
    })
}

/** Whether a diagnosis mentions every term (case-insensitive; `|` separates alternatives). */
export const mentionsAll = (
  text: string,
  terms: ReadonlyArray<string>
): { readonly pass: boolean; readonly missing: ReadonlyArray<string> } => {
  const lower = text.toLowerCase()
  const missing = terms.filter((t) => !t.split("|").some((alt) => lower.includes(alt.toLowerCase())))
  return { pass: missing.length === 0, missing }
}

const here = dirname(fileURLToPath(import.meta.url))

/** Repository root (the directory holding `packages/`). */
export const repoRoot = resolve(here, "../../../..")

/** The shared scenario folder: `../shared/scenarios` relative to the repository root. */
export const sharedScenarioDir = resolve(repoRoot, "../shared/scenarios")

/** The sandbox package's scenario folder (may not exist yet). */
export const sandboxScenarioDir = resolve(repoRoot, "packages/sandbox/scenarios")

/** This test folder's own scenario-like fixtures. */
export const localScenarioDir = resolve(here, "fixtures")
