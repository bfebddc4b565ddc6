/**
 * Generic log signatures: turns raw container logs (plain text, logfmt or JSON lines) into typed signals such as
 * "environment variable X not set", "connection refused to host:port", "NXDOMAIN for name", "x509 expired".
 */

/** What a log line says went wrong. */
export type LogSignalKind =
  | "missing-env"
  | "missing-config"
  | "invalid-config"
  | "incompatible"
  | "dns"
  | "connection-refused"
  | "timeout"
  | "tls"
  | "permission"
  | "out-of-memory"
  | "disk-full"
  | "exec-not-found"
  | "exception"
  | "fatal"

/** One recognised problem in a log. */
export interface LogSignal {
  readonly kind: LogSignalKind
  /** The decisive line, made readable (JSON lines become `msg: error`), plus a DETAIL/Caused-by line if any. */
  readonly line: string
  /** The variable or config key named by the line. */
  readonly key?: string
  /** The offending value quoted by the line. */
  readonly value?: string
  /** A host (DNS name or IP) the line failed to reach/resolve. */
  readonly host?: string
  readonly port?: string
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const MAX_LINE = 300

/** Makes a log line readable: a JSON line becomes `level msg: error`, others are trimmed. */
export const readableLine = (raw: string): string => {
  const line = raw.trim()
  if (line.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(line)
      if (isRecord(parsed)) {
        const msg = [parsed["msg"], parsed["message"], parsed["event"]].find((v) => typeof v === "string")
        const err = [parsed["error"], parsed["err"], parsed["exception"], parsed["reason"]].find(
          (v) => typeof v === "string"
        )
        const parts = [msg, err].filter((v): v is string => typeof v === "string")
        if (parts.length > 0) return clip(parts.join(": "))
      }
    } catch {
      return clip(line)
    }
  }
  return clip(line)
}

const clip = (s: string): string => (s.length > MAX_LINE ? `${s.slice(0, MAX_LINE - 1)}…` : s)

const ERROR_LEVEL =
  /\b(fatal|panic|critical|crit|error|err|severe|emerg)\b|"level":\s*"?(fatal|panic|error|critical|50|60)"?|level=(fatal|panic|error)/i

/** Whether a line reads like an error (level or wording). */
export const isErrorLine = (line: string): boolean =>
  ERROR_LEVEL.test(line) ||
  /exception|traceback|failed|refused|cannot|can't|unable|denied|not found|invalid|no such/i.test(line)

const HOST = String.raw`([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*)`

const firstHost = (line: string): { readonly host?: string; readonly port?: string } => {
  // Prefer a cluster DNS name, then a URL host, then host:port after dial/connect.
  const svc = /([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.svc(?:\.cluster\.local)?)(?::(\d+))?/i.exec(line)
  if (svc?.[1] !== undefined) return svc[2] === undefined ? { host: svc[1] } : { host: svc[1], port: svc[2] }
  const url = new RegExp(String.raw`[a-z][a-z0-9+.-]*://(?:[^@/\s]+@)?${HOST}(?::(\d+))?`, "i").exec(line)
  if (url?.[1] !== undefined) return url[2] === undefined ? { host: url[1] } : { host: url[1], port: url[2] }
  const quotedHost = new RegExp(
    String.raw`(?:host|hostname|addr|address)[=:]\s*['"]?${HOST}['"]?(?:[,\s]+port[=:]\s*(\d+))?`,
    "i"
  ).exec(line)
  if (quotedHost?.[1] !== undefined)
    return quotedHost[2] === undefined ? { host: quotedHost[1] } : { host: quotedHost[1], port: quotedHost[2] }
  const hp = new RegExp(
    String.raw`(?:dial tcp|connect to|connecting to|connection to|tcp://|@)\s*\[?${HOST}\]?:(\d+)`,
    "i"
  ).exec(line)
  if (hp?.[1] !== undefined && hp[2] !== undefined) return { host: hp[1], port: hp[2] }
  const loose = new RegExp(String.raw`\b${HOST}:(\d{2,5})\b`).exec(line)
  if (loose?.[1] !== undefined && loose[2] !== undefined) return { host: loose[1], port: loose[2] }
  return {}
}

const dnsName = (line: string): string | undefined => {
  const patterns = [
    /can't find ([^\s:]+)/i,
    /lookup ([^\s:]+)(?: on \S+)?: no such host/i,
    /could not translate host name "([^"]+)"/i,
    /getaddrinfo (?:ENOTFOUND|EAI_AGAIN) ([^\s]+)/i,
    /UnknownHostException: ([^\s:]+)/i,
    /Name or service not known[^\n]*?host[=:]\s*'?([^\s',)]+)/i,
    /([a-z0-9.-]+\.svc(?:\.cluster\.local)?) did not resolve/i,
    /(?:resolve|resolving) (?:host(?:name)? )?['"]?([a-z0-9][a-z0-9.-]+)['"]?/i
  ]
  for (const p of patterns) {
    const m = p.exec(line)
    if (m?.[1] !== undefined) return m[1].replace(/\.$/, "")
  }
  return firstHost(line).host
}

const envVarName = (line: string): string | undefined => {
  const patterns = [
    /(?:environment variable|env(?:ironment)? var(?:iable)?|env)\s*[:=]?\s*["'`]?([A-Za-z_][A-Za-z0-9_]*)["'`]?\s+(?:is\s+)?(?:not set|unset|missing|required|undefined|empty|must be (?:set|defined|provided)|not defined|not provided)/i,
    /(?:missing|required|undefined|unset)\s+(?:required\s+)?(?:environment variable|env(?:ironment)? var(?:iable)?|env)s?\s*[:=]?\s*["'`]?([A-Za-z_][A-Za-z0-9_]*)/i,
    /KeyError: ['"]([A-Z_][A-Z0-9_]*)['"]/,
    /\b([A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]{3,})\b["'`]?\s+(?:is\s+)?(?:not set|must be set|is required|not defined|is undefined|is empty|is missing)/
  ]
  for (const p of patterns) {
    const m = p.exec(line)
    if (m?.[1] !== undefined) return m[1]
  }
  return undefined
}

const quotedValue = (line: string): string | undefined => {
  const all = [...line.matchAll(/["'`]([^"'`]{1,60})["'`]/g)]
    .map((m) => m[1])
    .filter((v): v is string => v !== undefined)
  return all.at(-1)
}

const INVALID_CONFIG = [
  /missing unit in duration/i,
  /invalid duration/i,
  /\binvalid (?:value|syntax|config(?:uration)? value|[a-z_][a-z0-9_.-]*(?: value)?)\b\s*(?:for|:|=|")/i,
  /cannot unmarshal/i,
  /cannot parse/i,
  /failed to parse (?:config|value|duration|setting)/i,
  /could not convert/i,
  /must be (?:a|an) (?:positive |valid )?(?:integer|number|duration|boolean|bool)/i,
  /yaml: (?:line \d+|unmarshal)/i,
  /unknown (?:field|key|option) /i
]

const configKey = (line: string): string | undefined => {
  const m =
    /invalid ([a-z_][a-z0-9_.-]*)(?: value)?\s*[:=]/i.exec(line) ??
    /(?:key|field|option|setting|parameter|property)\s+["'`]?([A-Za-z_][A-Za-z0-9_.-]*)["'`]?/i.exec(line) ??
    /["'`]?([A-Za-z_][A-Za-z0-9_.-]*)["'`]?\s*[:=]\s*invalid/i.exec(line)
  const key = m?.[1]
  return key !== undefined && !["value", "syntax", "config", "configuration", "duration"].includes(key.toLowerCase())
    ? key
    : undefined
}

type Matcher = (line: string) => Omit<LogSignal, "line"> | undefined

const MATCHERS: ReadonlyArray<Matcher> = [
  (l) => {
    const key = envVarName(l)
    return key === undefined ? undefined : { kind: "missing-env", key }
  },
  (l) => {
    const m =
      /(?:missing|required) (?:required )?(?:config(?:uration)? )?(?:key|setting|option|property|field)\s*[:=]?\s*["'`]?([A-Za-z_][A-Za-z0-9_.-]*)/i.exec(
        l
      )
    return m?.[1] === undefined ? undefined : { kind: "missing-config", key: m[1] }
  },
  (l) => {
    if (!INVALID_CONFIG.some((p) => p.test(l))) return undefined
    const key = configKey(l)
    const value = quotedValue(l)
    return { kind: "invalid-config", ...(key === undefined ? {} : { key }), ...(value === undefined ? {} : { value }) }
  },
  (l) =>
    /\bincompatible\b|not compatible|unsupported (?:version|format|schema)|version mismatch|requires? (?:a )?(?:newer|older|version)|was (?:created|initialized|written) by (?:an? )?(?:older|newer|version)/i.test(
      l
    )
      ? { kind: "incompatible" }
      : undefined,
  (l) => {
    if (
      !/NXDOMAIN|no such host|could not translate host name|ENOTFOUND|EAI_AGAIN|UnknownHostException|Name or service not known|Temporary failure in name resolution|did not resolve|server can't find|nodename nor servname/i.test(
        l
      )
    )
      return undefined
    const host = dnsName(l)
    return host === undefined ? { kind: "dns" } : { kind: "dns", host }
  },
  (l) => {
    if (
      !/connection refused|ECONNREFUSED|Connection reset by peer|ECONNRESET|no healthy upstream|upstream connect error/i.test(
        l
      )
    )
      return undefined
    return { kind: "connection-refused", ...firstHost(l) }
  },
  (l) => {
    if (!/i\/o timeout|context deadline exceeded|timed? ?out|ETIMEDOUT|deadline exceeded|Read timed out/i.test(l))
      return undefined
    return { kind: "timeout", ...firstHost(l) }
  },
  (l) =>
    /x509:|certificate (?:has )?expired|certificate verify failed|certificate signed by unknown authority|SSLHandshakeException|tls: (?:bad|handshake|failed)|PKIX path/i.test(
      l
    )
      ? { kind: "tls", ...firstHost(l) }
      : undefined,
  (l) => {
    if (
      !/forbidden|permission denied|access denied|AccessDenied|EACCES|unauthorized|\b403\b|cannot (?:get|list|watch|create|update|patch|delete) resource/i.test(
        l
      )
    )
      return undefined
    return { kind: "permission" }
  },
  (l) =>
    /OutOfMemoryError|out of memory|Cannot allocate memory|heap out of memory|MemoryError|OOM/i.test(l)
      ? { kind: "out-of-memory" }
      : undefined,
  (l) =>
    /No space left on device|ENOSPC|disk (?:is )?full|disk quota exceeded/i.test(l) ? { kind: "disk-full" } : undefined,
  (l) => {
    const m =
      /exec:? ["']?([^"'\s:]+)["']?: (?:executable file not found|no such file or directory)|exec (?:format error)|([^\s:]+): (?:command not found|not found)$/i.exec(
        l
      )
    if (m === null) return undefined
    const key = m[1] ?? m[2]
    return key === undefined ? { kind: "exec-not-found" } : { kind: "exec-not-found", key }
  }
]

const EXCEPTION_LINE = /^\s*(?:Caused by: )?((?:[a-zA-Z_$][\w$]*\.)*[A-Z][\w$]*(?:Exception|Error))(?::\s*(.*))?$/
const PANIC = /^\s*panic: (.*)$/

/** The last exception/panic line of a stack trace, if the log has one. */
const exceptionLine = (lines: ReadonlyArray<string>): string | undefined => {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] ?? ""
    if (EXCEPTION_LINE.test(l) || PANIC.test(l)) return l.trim()
  }
  return undefined
}

const withDetail = (lines: ReadonlyArray<string>, i: number): string => {
  const base = readableLine(lines[i] ?? "")
  const next = lines[i + 1]
  if (next !== undefined && /^\s*(?:\S+\s+){0,4}(?:DETAIL|HINT|Caused by)\b/.test(next)) {
    return clip(`${base} ${next.replace(/^.*?(DETAIL|HINT|Caused by)/, "$1").trim()}`)
  }
  return base
}

const SIGNAL_PRIORITY: ReadonlyArray<LogSignalKind> = [
  "missing-env",
  "missing-config",
  "invalid-config",
  "exec-not-found",
  "incompatible",
  "dns",
  "tls",
  "permission",
  "disk-full",
  "out-of-memory",
  "connection-refused",
  "timeout",
  "exception",
  "fatal"
]

/** All signals of a log, most recent last. Non-error lines are skipped unless they match a strong signature. */
export const logSignals = (log: string): ReadonlyArray<LogSignal> => {
  const lines = log.split("\n")
  const out: Array<LogSignal> = []
  let skip = -1
  lines.forEach((raw, i) => {
    const line = readableLine(raw)
    if (line === "" || i === skip) return
    for (const m of MATCHERS) {
      const hit = m(line)
      if (hit !== undefined) {
        if ((hit.kind === "timeout" || hit.kind === "permission" || hit.kind === "out-of-memory") && !isErrorLine(line))
          continue
        const full = withDetail(lines, i)
        if (full !== line) skip = i + 1
        out.push({ ...hit, line: full })
        return
      }
    }
    if (ERROR_LEVEL.test(raw) && /fatal|panic|critical|"level":\s*"?(fatal|panic|60)/i.test(raw))
      out.push({ kind: "fatal", line: withDetail(lines, i) })
  })
  const exc = exceptionLine(lines)
  if (exc !== undefined) out.push({ kind: "exception", line: clip(exc) })
  return out
}

/**
 * The single most decisive signal of a (crashed) container's log: the highest-priority kind, latest occurrence.
 * Falls back to the last error-looking line as a `fatal` signal.
 */
export const decisiveSignal = (log: string): LogSignal | undefined => {
  const signals = logSignals(log)
  for (const kind of SIGNAL_PRIORITY) {
    const hits = signals.filter((s) => s.kind === kind)
    const last = hits.at(-1)
    if (last !== undefined) return last
  }
  const lines = log
    .split("\n")
    .map(readableLine)
    .filter((l) => l !== "")
  const lastError = [...lines].reverse().find((l) => ERROR_LEVEL.test(l))
  return lastError === undefined ? undefined : { kind: "fatal", line: lastError }
}

/** Ports the application says it listens on (`listening on :8080`, `serving ... on 0.0.0.0:3000`). */
export const listeningPorts = (log: string): ReadonlyArray<number> => {
  const ports = new Set<number>()
  for (const raw of log.split("\n")) {
    const line = readableLine(raw)
    if (!/listen|serving|started on|bound to|running on/i.test(line)) continue
    // Skip clauses that say a listener was removed/disabled.
    const clauses = line.split(/[(;]/).filter((c) => !/removed|disabled|deprecated|no longer/i.test(c))
    for (const c of clauses) {
      for (const m of c.matchAll(/(?:(?:^|[\s(="'\]]|0\.0\.0\.0|localhost|\*):|\bport\s*[=:]?\s*)(\d{2,5})\b/gi))
        if (m[1] !== undefined) ports.add(Number(m[1]))
    }
  }
  return [...ports]
}
