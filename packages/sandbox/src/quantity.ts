/**
 * Kubernetes resource quantities (`250m`, `1.5`, `512Mi`, `2G`) ↔ numbers.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6
}

/** The numeric value of a quantity (cores for cpu, bytes for memory), or undefined when it does not parse. */
export const parseQuantity = (value: unknown): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined
  if (typeof value !== "string") return undefined
  const m = /^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(?:[eE]([+-]?\d+))?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(
    value.trim()
  )
  if (m === null) return undefined
  const [, mantissa = "0", exponent, suffix = ""] = m
  const factor = SUFFIX[suffix]
  if (factor === undefined) return undefined
  return Number(mantissa) * 10 ** Number(exponent ?? "0") * factor
}

/** A cpu amount in cores formatted as the metrics API does (`123456789n`). */
export const formatNanoCores = (cores: number): string => `${Math.round(cores * 1e9)}n`

/** A cpu amount in cores formatted as millicores (`250m`). */
export const formatMilliCores = (cores: number): string => `${Math.round(cores * 1000)}m`

/** A byte count formatted in Ki (`524288Ki`), as the metrics API does. */
export const formatKi = (bytes: number): string => `${Math.round(bytes / 1024)}Ki`
