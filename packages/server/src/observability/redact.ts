/**
 * Scrubbing of credentials from text and JSON before it is logged or stored.
 */

const patterns: ReadonlyArray<[RegExp, string]> = [
  // Authorization headers and bearer tokens
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 [REDACTED]"],
  // OpenAI-style and similar API keys
  [/\bsk-[A-Za-z0-9_-]{12,}/g, "[REDACTED]"],
  // key=value / key: value for secret-looking keys
  [
    /\b([A-Za-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key)[A-Za-z0-9_-]*)(\s*["']?\s*[:=]\s*["']?)([^\s"',;}{]{3,})/gi,
    "$1$2[REDACTED]"
  ],
  // credentials in connection strings: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+):([^@\s/]+)@/gi, "$1:[REDACTED]@"],
  // PEM private keys
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, "[REDACTED PRIVATE KEY]"]
]

/**
 * A necessary condition for any pattern above to match: each pattern needs one of these substrings (`bearer`/`basic`,
 * `sk-`, a secret-looking key name, `://`, `-----BEGIN`). Text without any of them is returned as is after one scan
 * instead of five regex replacements — most log lines (paths, ids, statuses) never contain them. Keep this in sync
 * with `patterns` (the property test in test/security/secrets.test.ts checks it on generated text).
 */
const mayHoldCredential =
  /bearer|basic|sk-|passw|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|:\/\/|-----BEGIN/i

/** Replaces values that look like credentials in a string with `[REDACTED]`. */
export const redactText = (text: string): string => {
  if (!mayHoldCredential.test(text)) return text
  let out = text
  for (const [re, replacement] of patterns) out = out.replace(re, replacement)
  return out
}

/** `redactText` without the pre-filter: every pattern is applied (the reference the pre-filter is tested against). */
export const redactTextFull = (text: string): string => {
  let out = text
  for (const [re, replacement] of patterns) out = out.replace(re, replacement)
  return out
}

/** Extra literal secrets (configured keys) that must never appear anywhere. */
const knownSecrets = new Set<string>()

/** Registers a secret value (e.g. the LLM API key) so that `redactText`/`redactKnown` remove it everywhere. */
export const registerSecret = (value: string): void => {
  if (value.length >= 4) knownSecrets.add(value)
}

/** Removes every registered secret and credential-looking value from a string. */
export const redactKnown = (text: string): string => {
  let out = text
  if (knownSecrets.size > 0) {
    for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join("[REDACTED]")
  }
  return redactText(out)
}

/** Deeply scrubs a JSON-like value: strings are redacted, `data` of Kubernetes Secrets is dropped. */
export const redactValue = (value: unknown): unknown => {
  if (typeof value === "string") return redactKnown(value)
  if (Array.isArray(value)) return value.map(redactValue)
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>
    const isSecret = record["kind"] === "Secret"
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(record)) {
      if (isSecret && (k === "data" || k === "stringData") && v !== null && typeof v === "object") {
        out[k] = Object.fromEntries(Object.keys(v).map((key) => [key, "[REDACTED]"]))
      } else out[k] = redactValue(v)
    }
    return out
  }
  return value
}
