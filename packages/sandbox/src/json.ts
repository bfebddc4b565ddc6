/**
 * Small helpers for reading untyped JSON (Kubernetes objects are open-ended records).
 */

/** A JSON object as read from a scenario file: keys to arbitrary JSON values. */
export type JsonRecord = Record<string, unknown>

/** True when `value` is a plain JSON object (not an array, not null). */
export const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The value at a dotted path (`status.phase`), or undefined when any step is missing. */
export const getPath = (value: unknown, path: string | ReadonlyArray<string>): unknown => {
  const steps = typeof path === "string" ? path.split(".") : path
  let current: unknown = value
  for (const step of steps) {
    if (!isRecord(current)) return undefined
    current = current[step]
  }
  return current
}

/** The record at a path, or an empty record. */
export const rec = (value: unknown, path?: string): JsonRecord => {
  const v = path === undefined ? value : getPath(value, path)
  return isRecord(v) ? v : {}
}

/** The array at a path, or an empty array. */
export const arr = (value: unknown, path?: string): ReadonlyArray<unknown> => {
  const v = path === undefined ? value : getPath(value, path)
  return Array.isArray(v) ? v : []
}

/** The records of the array at a path (non-record items are skipped). */
export const recs = (value: unknown, path?: string): ReadonlyArray<JsonRecord> => arr(value, path).filter(isRecord)

/** The string at a path, or undefined. */
export const str = (value: unknown, path?: string): string | undefined => {
  const v = path === undefined ? value : getPath(value, path)
  return typeof v === "string" ? v : undefined
}

/** The number at a path, or undefined. */
export const num = (value: unknown, path?: string): number | undefined => {
  const v = path === undefined ? value : getPath(value, path)
  return typeof v === "number" && Number.isFinite(v) ? v : undefined
}

/** The string-valued entries of the record at a path (labels, annotations, selectors). */
export const strMap = (value: unknown, path?: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(rec(value, path))) if (typeof v === "string") out[k] = v
  return out
}

/** A deep copy of a JSON value. */
export const clone = <A>(value: A): A => structuredClone(value)
