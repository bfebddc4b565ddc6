/**
 * Timestamp shifting: a scenario is recorded at some moment; the sandbox moves every timestamp so that the newest
 * one is a few minutes before the sandbox starts ("age" and "recent" then read naturally).
 */
import { isRecord, type JsonRecord } from "./json.js"

/** How long before the sandbox start the newest scenario timestamp lands. */
export const NEWEST_AGE_MS = 3 * 60 * 1000

const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/

/** Keys whose values are timestamps whatever their name (the rest: names ending in Time, Timestamp or At). */
const TIMESTAMP_KEYS: ReadonlySet<string> = new Set([
  "timestamp",
  "time",
  "timeAdded",
  "renewTime",
  "acquireTime",
  "notAfter",
  "notBefore"
])

/** Subtrees that hold user data, never shifted. */
const DATA_KEYS: ReadonlySet<string> = new Set(["data", "stringData", "binaryData"])

/** True when a field named `key` is a timestamp field. */
export const isTimestampKey = (key: string): boolean =>
  TIMESTAMP_KEYS.has(key) || /(Time|Timestamp|At)$/.test(key) || key.endsWith("/restartedAt")

/** Milliseconds since the epoch for a full ISO-8601 timestamp, or undefined when `value` is not one. */
export const parseTimestamp = (value: string): number | undefined => {
  if (!ISO.test(value)) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0")

/**
 * Shifts the wall-clock part of a timestamp by `offsetMs` (a whole number of seconds), keeping its layout:
 * the separator, the fraction digits and the zone suffix are preserved.
 */
const shiftParts = (
  date: string,
  sep: string,
  time: string,
  fraction: string,
  zone: string,
  offsetMs: number
): string => {
  const base = Date.parse(`${date}T${time}Z`)
  if (Number.isNaN(base)) return `${date}${sep}${time}${fraction}${zone}`
  const d = new Date(base + offsetMs)
  const newDate = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  const newTime = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  return `${newDate}${sep}${newTime}${fraction}${zone}`
}

/** Shifts one ISO timestamp string (unchanged when it is not one). */
export const shiftTimestamp = (value: string, offsetMs: number): string => {
  const m = ISO.exec(value)
  if (m === null) return value
  const [, y, mo, d, h, mi, s, fraction = "", zone = ""] = m
  return shiftParts(`${y}-${mo}-${d}`, "T", `${h}:${mi}:${s}`, fraction, zone, offsetMs)
}

const IN_TEXT = /\b(\d{4}-\d{2}-\d{2})([T ])(\d{2}:\d{2}:\d{2})([.,]\d+)?(Z|[+-]\d{2}:?\d{2})?\b/g

/** Shifts every full date-time found in free text (log lines), keeping each one's layout. */
export const shiftTimestampsInText = (text: string, offsetMs: number): string =>
  text.replace(IN_TEXT, (_match, date: string, sep: string, time: string, fraction?: string, zone?: string) =>
    shiftParts(date, sep, time, fraction ?? "", zone ?? "", offsetMs)
  )

/** Visits every timestamp field of a JSON value: `visit` gets the key and the string value. */
const visitTimestamps = (value: unknown, visit: (value: string) => string | undefined): unknown => {
  if (Array.isArray(value)) return value.map((v) => visitTimestamps(v, visit))
  if (!isRecord(value)) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (DATA_KEYS.has(k)) out[k] = v
    else if (typeof v === "string" && isTimestampKey(k) && ISO.test(v)) out[k] = visit(v) ?? v
    else out[k] = visitTimestamps(v, visit)
  }
  return out
}

/** The newest timestamp (ms) among the timestamp fields of the given JSON values, or undefined when none. */
export const newestTimestamp = (values: ReadonlyArray<unknown>): number | undefined => {
  let newest: number | undefined
  for (const value of values)
    visitTimestamps(value, (v) => {
      const ms = parseTimestamp(v)
      if (ms !== undefined && (newest === undefined || ms > newest)) newest = ms
      return undefined
    })
  return newest
}

/** The oldest timestamp (ms) among the timestamp fields of the given JSON values, or undefined when none. */
export const oldestTimestamp = (values: ReadonlyArray<unknown>): number | undefined => {
  let oldest: number | undefined
  for (const value of values)
    visitTimestamps(value, (v) => {
      const ms = parseTimestamp(v)
      if (ms !== undefined && (oldest === undefined || ms < oldest)) oldest = ms
      return undefined
    })
  return oldest
}

/** The whole-second offset that moves `newestMs` to NEWEST_AGE_MS before `nowMs`. */
export const shiftOffset = (newestMs: number | undefined, nowMs: number): number =>
  newestMs === undefined ? 0 : Math.round((nowMs - NEWEST_AGE_MS - newestMs) / 1000) * 1000

/** A copy of a JSON object with every timestamp field shifted by `offsetMs`. */
export const shiftTimestamps = (value: JsonRecord, offsetMs: number): JsonRecord => {
  const shifted = visitTimestamps(value, (v) => shiftTimestamp(v, offsetMs))
  return isRecord(shifted) ? shifted : value
}

/** Kubernetes' short human duration (`45s`, `12m`, `3h5m`, `4d`), as in kubectl's AGE column. */
export const humanDuration = (ms: number): string => {
  const seconds = Math.floor(ms / 1000)
  if (seconds < 0) return "0s"
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`
  }
  return `${Math.floor(hours / 24 / 365)}y`
}
