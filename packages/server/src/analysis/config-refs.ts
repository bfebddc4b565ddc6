/**
 * Links a container to the ConfigMaps/Secrets it consumes (envFrom, env valueFrom, volumes) and explains a missing
 * variable or an invalid value in terms of those objects.
 */
import type { Cluster, ConfigMap, Container, Pod } from "./snapshot.js"
import { nsOf, similarName } from "./cluster.js"

/** How a container consumes a ConfigMap or Secret. */
export interface ConfigSource {
  readonly kind: "ConfigMap" | "Secret"
  readonly name: string
  readonly via: "envFrom" | "env" | "volume"
  /** For `env`: the variable and the key it reads. */
  readonly variable?: string
  readonly key?: string
}

/** Every ConfigMap/Secret a container consumes. */
export const configSources = (pod: Pod, container: Container): ReadonlyArray<ConfigSource> => {
  const out: Array<ConfigSource> = []
  for (const ef of container.envFrom ?? []) {
    if (ef.configMapRef?.name !== undefined) out.push({ kind: "ConfigMap", name: ef.configMapRef.name, via: "envFrom" })
    if (ef.secretRef?.name !== undefined) out.push({ kind: "Secret", name: ef.secretRef.name, via: "envFrom" })
  }
  for (const e of container.env ?? []) {
    const cm = e.valueFrom?.configMapKeyRef
    if (cm?.name !== undefined)
      out.push({ kind: "ConfigMap", name: cm.name, via: "env", variable: e.name, key: cm.key })
    const sec = e.valueFrom?.secretKeyRef
    if (sec?.name !== undefined)
      out.push({ kind: "Secret", name: sec.name, via: "env", variable: e.name, key: sec.key })
  }
  const mounted = new Set((container.volumeMounts ?? []).map((m) => m.name))
  for (const v of pod.spec?.volumes ?? []) {
    if (!mounted.has(v.name)) continue
    if (v.configMap?.name !== undefined) out.push({ kind: "ConfigMap", name: v.configMap.name, via: "volume" })
    if (v.secret?.secretName !== undefined) out.push({ kind: "Secret", name: v.secret.secretName, via: "volume" })
  }
  return out
}

const findConfigMap = (cluster: Cluster, name: string, ns: string | undefined): ConfigMap | undefined =>
  cluster.configMaps.find(
    (c) => c.metadata.name === name && (ns === undefined || nsOf(c) === undefined || nsOf(c) === ns)
  )

const keysOf = (cluster: Cluster, src: ConfigSource, ns: string | undefined): ReadonlyArray<string> | undefined => {
  if (src.kind === "ConfigMap") {
    const cm = findConfigMap(cluster, src.name, ns)
    return cm === undefined ? undefined : Object.keys(cm.data ?? {})
  }
  const sec = cluster.secrets.find((s) => s.metadata.name === src.name && (ns === undefined || nsOf(s) === ns))
  return sec === undefined ? undefined : Object.keys(sec.data ?? {})
}

/** Explanation of a missing variable in terms of the container's config sources. */
export interface MissingVariableExplanation {
  /** Sentence fragment, e.g. "ConfigMap app-config (loaded via envFrom) has no DATABASE_URL key (it has DB_URL)". */
  readonly text: string
  readonly objects: ReadonlyArray<ConfigSource>
}

/** Explains why `variable` is unset: which ConfigMap/Secret should provide it, and a similarly named key if any. */
export const explainMissingVariable = (
  cluster: Cluster,
  pod: Pod,
  container: Container,
  variable: string
): MissingVariableExplanation => {
  const ns = nsOf(pod)
  const sources = configSources(pod, container)
  const direct = (container.env ?? []).find((e) => e.name === variable)
  if (direct !== undefined) {
    const src = sources.find((s) => s.variable === variable)
    if (src !== undefined) {
      const keys = keysOf(cluster, src, ns)
      if (keys === undefined && src.kind === "ConfigMap" && cluster.configMaps.length > 0) {
        return {
          text: `${variable} comes from ${src.kind} ${src.name} key ${src.key ?? "?"}, and ${src.kind} ${src.name} does not exist`,
          objects: [src]
        }
      }
      if (keys !== undefined && src.key !== undefined && !keys.includes(src.key)) {
        const alt = similarName(src.key, keys)
        return {
          text: `${variable} comes from ${src.kind} ${src.name} key ${src.key}, which is missing from it${alt === undefined ? "" : ` (it has ${alt})`}`,
          objects: [src]
        }
      }
      return { text: `${variable} is read from ${src.kind} ${src.name} key ${src.key ?? "?"}`, objects: [src] }
    }
    if (direct.value === "") return { text: `${variable} is set to an empty value in the container spec`, objects: [] }
  }
  const bulk = sources.filter((s) => s.via === "envFrom")
  const known = bulk.map((s) => ({ s, keys: keysOf(cluster, s, ns) }))
  const withKeys = known.filter((k): k is { s: ConfigSource; keys: ReadonlyArray<string> } => k.keys !== undefined)
  if (withKeys.length > 0 && withKeys.every((k) => !k.keys.includes(variable))) {
    const main = withKeys[0]
    if (main !== undefined) {
      const alt = similarName(
        variable,
        withKeys.flatMap((k) => [...k.keys])
      )
      const names = withKeys.map((k) => `${k.s.kind} ${k.s.name}`).join(" and ")
      return {
        text: `${names} (loaded via envFrom) ${withKeys.length > 1 ? "have" : "has"} no ${variable} key${alt === undefined ? "" : ` (it has ${alt} instead)`}, and the container env does not set it`,
        objects: withKeys.map((k) => k.s)
      }
    }
  }
  if (bulk.length > 0) {
    const names = bulk.map((s) => `${s.kind} ${s.name}`).join(", ")
    return {
      text: `${variable} is not set in the container env; it would have to come from ${names} (loaded via envFrom)`,
      objects: bulk
    }
  }
  return { text: `${variable} is not defined in the container's env or envFrom sources`, objects: [] }
}

/** Where an invalid value lives: the ConfigMap, its data key, and the offending line. */
export interface ValueLocation {
  readonly configMap: string
  readonly dataKey: string
  readonly line: string
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Searches the ConfigMaps a container consumes for the line holding `key` and/or `value` (e.g. `timeout: 30`). */
export const locateValue = (
  cluster: Cluster,
  pod: Pod,
  container: Container,
  key: string | undefined,
  value: string | undefined
): ValueLocation | undefined => {
  const ns = nsOf(pod)
  const names = configSources(pod, container)
    .filter((s) => s.kind === "ConfigMap")
    .map((s) => s.name)
  const keyRe = key === undefined ? undefined : new RegExp(`(^|[\\s"'{,_-])${escapeRe(key)}["']?\\s*[:=]`, "i")
  const valRe = value === undefined ? undefined : new RegExp(`[:=]\\s*["']?${escapeRe(value)}["']?\\s*(#.*)?$`)
  for (const name of names) {
    const cm = findConfigMap(cluster, name, ns)
    for (const [dataKey, text] of Object.entries(cm?.data ?? {})) {
      if (value !== undefined && (key === undefined || dataKey === key) && text.trim() === value) {
        return { configMap: name, dataKey, line: `${dataKey}=${value}` }
      }
      for (const line of text.split("\n")) {
        const keyOk = keyRe === undefined || keyRe.test(line)
        const valOk = valRe === undefined || valRe.test(line)
        if (keyOk && valOk && (keyRe !== undefined || valRe !== undefined))
          return { configMap: name, dataKey, line: line.trim() }
      }
    }
  }
  return undefined
}
