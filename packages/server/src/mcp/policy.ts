/**
 * The tool safety policy: which MCP tools the agent may be offered. The orchestrator investigates; it must never
 * change the systems it looks at. Pure functions, no I/O.
 *
 * Rules, in order:
 * 1. `deny` (by name) always wins.
 * 2. `allow` (by name) offers a tool even if it is not read-only (an explicit operator decision).
 * 3. A tool annotated `destructiveHint: true` or `readOnlyHint: false` is refused.
 * 4. A tool annotated `readOnlyHint: true` is offered.
 * 5. Without a `readOnlyHint` (no annotations, or annotations that do not say), the name decides: it must contain a
 *    read-only verb (get, list, describe, log, top, search, query, view, stats, ...) and no mutating verb (delete,
 *    create, update, patch, apply, scale, exec, run, ...). kubernetes-mcp-server's `pods_run` (`destructiveHint:
 *    false`, no `readOnlyHint`) is refused by this rule.
 */

/** The MCP annotations the policy looks at (any other field is ignored). */
export interface ToolHints {
  readonly readOnlyHint?: boolean | undefined
  readonly destructiveHint?: boolean | undefined
}

/** Operator overrides for one server. */
export interface PolicyRules {
  readonly allow: ReadonlyArray<string>
  readonly deny: ReadonlyArray<string>
}

/** The verdict for one tool. */
export interface PolicyDecision {
  readonly tool: string
  /** Whether the agent may be offered the tool. */
  readonly offered: boolean
  /** Whether the tool is considered read-only (an `allow`ed mutating tool is offered but not read-only). */
  readonly readOnly: boolean
  /** Why, in a few words (logged for refused tools). */
  readonly reason: string
}

/** Verbs that make a tool name clearly read-only. */
export const READ_ONLY_VERBS: ReadonlySet<string> = new Set([
  "get",
  "list",
  "describe",
  "log",
  "logs",
  "top",
  "search",
  "query",
  "view",
  "stats",
  "stat",
  "show",
  "read",
  "inspect",
  "status",
  "find",
  "explain",
  "count",
  "summary",
  "history"
])

/** Verbs that make a tool name mutating (checked before the read-only ones). */
export const MUTATING_VERBS: ReadonlySet<string> = new Set([
  "delete",
  "create",
  "update",
  "patch",
  "apply",
  "scale",
  "exec",
  "run",
  "install",
  "uninstall",
  "drain",
  "cordon",
  "uncordon",
  "restart",
  "rollout",
  "rollback",
  "edit",
  "set",
  "annotate",
  "label",
  "taint",
  "evict",
  "kill",
  "write",
  "put",
  "post",
  "remove",
  "rm",
  "add",
  "replace",
  "upgrade",
  "reset",
  "stop",
  "start",
  "attach",
  "cp",
  "push",
  "port",
  "forward",
  "send",
  "trigger",
  "approve",
  "cancel",
  "reboot",
  "terminate",
  "destroy",
  "truncate",
  "drop",
  "insert",
  "upsert",
  "modify",
  "mutate"
])

/** Splits a tool name into lower-case words (`pods_list`, `podsList`, `pods-list`, `k8s.pods.list`). */
export const nameWords = (name: string): ReadonlyArray<string> =>
  name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter((w) => w.length > 0)

/** The first mutating verb in a tool name, if any. */
export const mutatingVerbOf = (name: string): string | undefined => nameWords(name).find((w) => MUTATING_VERBS.has(w))

/** Whether a tool name is clearly read-only: a read-only verb and no mutating verb. */
export const isReadOnlyName = (name: string): boolean => {
  const words = nameWords(name)
  return words.some((w) => READ_ONLY_VERBS.has(w)) && !words.some((w) => MUTATING_VERBS.has(w))
}

/** Decides whether one tool may be offered to the agent. */
export const decideTool = (tool: string, hints: ToolHints | undefined, rules: PolicyRules): PolicyDecision => {
  const readOnly = isReadOnly(tool, hints)
  if (rules.deny.includes(tool))
    return { tool, offered: false, readOnly: readOnly.ok, reason: "denied in configuration" }
  if (rules.allow.includes(tool)) {
    return {
      tool,
      offered: true,
      readOnly: readOnly.ok,
      reason: readOnly.ok ? readOnly.reason : "allowed in configuration"
    }
  }
  return { tool, offered: readOnly.ok, readOnly: readOnly.ok, reason: readOnly.reason }
}

const isReadOnly = (tool: string, hints: ToolHints | undefined): { readonly ok: boolean; readonly reason: string } => {
  if (hints?.destructiveHint === true) return { ok: false, reason: "annotated destructiveHint: true" }
  if (hints?.readOnlyHint === false) return { ok: false, reason: "annotated readOnlyHint: false" }
  if (hints?.readOnlyHint === true) return { ok: true, reason: "annotated readOnlyHint: true" }
  const verb = mutatingVerbOf(tool)
  if (verb !== undefined)
    return { ok: false, reason: `no readOnlyHint and the name contains the mutating verb "${verb}"` }
  if (isReadOnlyName(tool)) return { ok: true, reason: "no readOnlyHint, but the name is clearly read-only" }
  return { ok: false, reason: "no readOnlyHint and the name is not clearly read-only" }
}

/** Applies the policy to a list of tools; returns the verdicts in the same order. */
export const applyPolicy = <T extends { readonly name: string; readonly hints: ToolHints | undefined }>(
  tools: ReadonlyArray<T>,
  rules: PolicyRules
): ReadonlyArray<{ readonly tool: T; readonly decision: PolicyDecision }> =>
  tools.map((tool) => ({ tool, decision: decideTool(tool.name, tool.hints, rules) }))
