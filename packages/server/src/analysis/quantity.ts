/**
 * Kubernetes resource quantities (`500m`, `1.5`, `768Mi`, `2G`) and JVM heap flags, parsed without throwing.
 */

const BINARY: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60
}
const DECIMAL: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18
}

/** Parses a quantity into its base unit (cores for CPU, bytes for memory); `undefined` when unparseable. */
export const parseQuantity = (q: string | number | undefined): number | undefined => {
  if (q === undefined) return undefined
  if (typeof q === "number") return Number.isFinite(q) ? q : undefined
  const m = /^\s*([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?\s*$/.exec(q)
  if (m === null || m[1] === undefined) return undefined
  const value = Number(m[1])
  const suffix = m[2] ?? ""
  const factor = BINARY[suffix] ?? DECIMAL[suffix]
  return factor === undefined ? undefined : value * factor
}

/** Parses a CPU quantity into millicores. */
export const parseCpuMillis = (q: string | number | undefined): number | undefined => {
  const cores = parseQuantity(q)
  return cores === undefined ? undefined : Math.round(cores * 1000)
}

/** Formats millicores the way people say them: `4 CPU (4000m)` or `3920m`. */
export const formatCpu = (millis: number): string =>
  millis % 1000 === 0 ? `${millis / 1000} CPU (${millis}m)` : `${millis}m`

/** Formats bytes with the largest binary unit that divides evenly (else one decimal of Mi/Gi). */
export const formatBytes = (bytes: number): string => {
  const GI = 2 ** 30
  const MI = 2 ** 20
  if (bytes >= GI)
    return bytes % GI === 0
      ? `${bytes / GI}Gi`
      : bytes % MI === 0 && bytes < 4 * GI
        ? `${bytes / MI}Mi`
        : `${(bytes / GI).toFixed(1)}Gi`
  if (bytes >= MI) return bytes % MI === 0 ? `${bytes / MI}Mi` : `${(bytes / MI).toFixed(1)}Mi`
  return bytes >= 1024 && bytes % 1024 === 0 ? `${bytes / 1024}Ki` : `${bytes}B`
}

/** A JVM max-heap flag found in a command line or env value. */
export interface JvmHeap {
  /** The flag as written, e.g. `-Xmx1024m`. */
  readonly flag: string
  readonly bytes: number
}

const JVM_UNITS: Readonly<Record<string, number>> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }

/** Finds `-Xmx<size>` (or `-XX:MaxRAMPercentage=<p>`, resolved against `limitBytes`) in a string. */
export const findJvmHeap = (text: string, limitBytes?: number): JvmHeap | undefined => {
  const xmx = /-Xmx(\d+)([kKmMgGtT]?)\b/.exec(text)
  if (xmx !== null && xmx[1] !== undefined) {
    const factor = JVM_UNITS[(xmx[2] ?? "").toLowerCase()] ?? 1
    return { flag: xmx[0], bytes: Number(xmx[1]) * factor }
  }
  const pct = /-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)/.exec(text)
  if (pct !== null && pct[1] !== undefined && limitBytes !== undefined) {
    return { flag: pct[0], bytes: (Number(pct[1]) / 100) * limitBytes }
  }
  return undefined
}
