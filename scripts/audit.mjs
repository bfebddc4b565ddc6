#!/usr/bin/env node
/**
 * Supply-chain gate: runs `npm audit --omit=dev --json` and fails (exit 1) on high or critical advisories that are
 * not in `.ci/audit-allowlist.json` (or whose allowlist entry has expired). Prints a readable summary either way.
 * When the registry's audit endpoint cannot be reached (offline CI, a mirror without the audit API), it prints a
 * warning and exits 0: the gate cannot judge, and the lockfile is unchanged by this run.
 *
 *   node scripts/audit.mjs                    audit the workspace
 *   node scripts/audit.mjs --input r.json     judge a saved `npm audit --json` report instead (tests, offline review)
 *   node scripts/audit.mjs --allowlist f.json use another allowlist
 *   node scripts/audit.mjs --today 2030-01-01 pretend it is that day (tests of expiry)
 */
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..")
const BLOCKING = new Set(["high", "critical"])

const arg = (name) => {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const out = (line = "") => process.stdout.write(line + "\n")
const warn = (line) => process.stderr.write(`WARNING: ${line}\n`)

/** Loads and validates the allowlist; exits 2 on a malformed file (a broken gate must not pass silently). */
const loadAllowlist = (path) => {
  let doc
  try {
    // eslint-disable-next-line security/detect-non-literal-fs-filename -- the allowlist path comes from the CI invocation
    doc = JSON.parse(readFileSync(path, "utf8"))
  } catch (error) {
    process.stderr.write(
      `audit: cannot read the allowlist ${path}: ${error instanceof Error ? error.message : error}\n`
    )
    process.exit(2)
  }
  const entries = Array.isArray(doc?.advisories) ? doc.advisories : null
  const problems = []
  if (entries === null) problems.push('expected { "advisories": [ ... ] }')
  for (const [i, e] of (entries ?? []).entries()) {
    for (const field of ["id", "package", "reason", "expires"]) {
      // eslint-disable-next-line security/detect-object-injection -- field is one of four literal names
      if (typeof e?.[field] !== "string" && !(field === "id" && typeof e?.id === "number")) {
        problems.push(`advisories[${i}].${field} is missing`)
      }
    }
    if (typeof e?.expires === "string" && !/^\d{4}-\d{2}-\d{2}$/.test(e.expires)) {
      problems.push(`advisories[${i}].expires must be YYYY-MM-DD`)
    }
  }
  if (problems.length > 0) {
    process.stderr.write(`audit: invalid allowlist ${path}:\n  ${problems.join("\n  ")}\n`)
    process.exit(2)
  }
  return entries
}

/** Runs npm audit and returns its JSON report, or null (with a warning) when the endpoint is unreachable. */
const runAudit = () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const res = spawnSync(npm, ["audit", "--omit=dev", "--json"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 })
  if (res.error) {
    warn(`could not run npm audit (${res.error.message}); supply-chain check skipped`)
    return null
  }
  try {
    return JSON.parse(res.stdout)
  } catch {
    warn(`npm audit printed no JSON (exit ${res.status}): ${res.stderr.trim().split("\n").at(-1) ?? ""}; check skipped`)
    return null
  }
}

/** The advisories of an npm 7+ audit report, one per (advisory, package). */
const advisoriesOf = (report) => {
  const found = new Map()
  for (const [pkg, vuln] of Object.entries(report.vulnerabilities ?? {})) {
    for (const via of vuln.via ?? []) {
      if (typeof via !== "object" || via === null) continue // a string names the dependency that brings it in
      const key = `${via.source ?? via.url}:${via.name ?? pkg}`
      if (!found.has(key)) {
        found.set(key, {
          source: via.source,
          url: typeof via.url === "string" ? via.url : "",
          ghsa: typeof via.url === "string" ? (via.url.match(/GHSA-[\w-]+/)?.[0] ?? "") : "",
          package: via.name ?? pkg,
          severity: via.severity ?? vuln.severity ?? "unknown",
          title: via.title ?? "",
          range: via.range ?? vuln.range ?? "",
          fix:
            vuln.fixAvailable === true
              ? "npm audit fix"
              : vuln.fixAvailable
                ? `upgrade ${vuln.fixAvailable.name}@${vuln.fixAvailable.version}`
                : "no fix yet"
        })
      }
    }
  }
  return [...found.values()]
}

const matches = (entry, advisory) => {
  const id = String(entry.id)
  const idMatch = id === String(advisory.source) || id === advisory.ghsa || (advisory.url !== "" && id === advisory.url)
  return idMatch && entry.package === advisory.package
}

const main = () => {
  const today = arg("--today") ?? new Date().toISOString().slice(0, 10)
  const allowlist = loadAllowlist(arg("--allowlist") ?? join(ROOT, ".ci/audit-allowlist.json"))
  const input = arg("--input")
  // eslint-disable-next-line security/detect-non-literal-fs-filename -- a report file named on the command line
  const report = input !== undefined ? JSON.parse(readFileSync(input, "utf8")) : runAudit()
  if (report === null) return 0
  if (report.vulnerabilities === undefined) {
    const reason = report.error?.summary || report.message || "unexpected report"
    warn(`the registry's audit endpoint is unavailable (${reason}); supply-chain check skipped`)
    return 0
  }
  const advisories = advisoriesOf(report)
  const blocking = []
  const allowed = []
  for (const a of advisories.filter((x) => BLOCKING.has(x.severity))) {
    const entry = allowlist.find((e) => matches(e, a))
    if (entry !== undefined && entry.expires >= today) allowed.push({ a, entry })
    else blocking.push({ a, expired: entry })
  }
  for (const e of allowlist) {
    if (e.expires < today) warn(`allowlist entry ${e.id} (${e.package}) expired on ${e.expires}`)
    else if (!advisories.some((a) => matches(e, a)))
      warn(`allowlist entry ${e.id} (${e.package}) no longer matches anything; remove it`)
  }
  const counts = report.metadata?.vulnerabilities ?? {}
  const summary = Object.entries({ critical: 0, high: 0, moderate: 0, low: 0, info: 0, ...counts })
    .map(([severity, n]) => `${n} ${severity}`)
    .join(", ")
  out(`npm audit (production dependencies): ${summary}`)
  for (const { a, entry } of allowed) {
    out(`  allowed  ${a.severity.padEnd(8)} ${a.package} ${a.range}  ${a.title}  ${a.url}`)
    out(`           reason: ${entry.reason} (until ${entry.expires})`)
  }
  for (const { a, expired } of blocking) {
    out(`  BLOCKING ${a.severity.padEnd(8)} ${a.package} ${a.range}  ${a.title}  ${a.url}  [${a.fix}]`)
    if (expired !== undefined) out(`           allowlist entry expired on ${expired.expires}`)
  }
  if (blocking.length > 0) {
    out(
      `FAIL: ${blocking.length} high/critical advisor${blocking.length === 1 ? "y" : "ies"} not allowlisted. Upgrade, or add`
    )
    out("      { id, package, reason, expires } to .ci/audit-allowlist.json with a short expiry.")
    return 1
  }
  out("OK: no blocking advisories.")
  return 0
}

process.exitCode = main()
