/**
 * Text rendering of incidents, steps, lists and health for humans. Pure functions from data to strings; the
 * commands decide where the strings go. JSON output does not come through here.
 */
import type {
  Confidence,
  HealthReport,
  Incident,
  IncidentStatus,
  IncidentSummary,
  InvestigationStep,
  JsonObject
} from "@sre/schema"
import { type Style, visibleLength } from "./ansi.js"

/** The short form of an incident id shown by `list` (its first 8 characters). */
export const shortId = (id: string): string => id.slice(0, 8)

/** Collapses whitespace (newlines included) to single spaces. */
export const oneLine = (s: string): string => s.replace(/\s+/g, " ").trim()

/** Cuts a string to `width` characters, ending with "…" when cut. */
export const truncate = (s: string, width: number): string =>
  width <= 0 ? "" : s.length <= width ? s : width === 1 ? "…" : `${s.slice(0, width - 1)}…`

/** Age of a timestamp as a compact string: "12s", "3m", "5h", "2d". */
export const age = (iso: string, now: number): string => {
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h`
  return `${Math.floor(hours / 24)}d`
}

/** A duration in milliseconds as "85ms", "1.2s" or "2m05s". */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const total = Math.round(ms / 1000)
  return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`
}

/** The confidence level, coloured: high green, medium yellow, low red. */
export const confidence = (style: Style, c: Confidence | undefined): string => {
  switch (c) {
    case "high":
      return style.green("high")
    case "medium":
      return style.yellow("medium")
    case "low":
      return style.red("low")
    case undefined:
      return style.dim("-")
  }
}

/** The status, coloured: completed green, failed red, running cyan, pending dim. */
export const status = (style: Style, s: IncidentStatus): string => {
  switch (s) {
    case "completed":
      return style.green(s)
    case "failed":
      return style.red(s)
    case "running":
      return style.cyan(s)
    case "pending":
      return style.dim(s)
  }
}

const scalar = (value: unknown): string => {
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value)
  return JSON.stringify(value) ?? ""
}

/** Tool arguments as `key=value, ...`, cut to `width` characters. */
export const shortArgs = (args: JsonObject | undefined, width = 60): string =>
  args === undefined
    ? ""
    : truncate(
        Object.entries(args)
          .map(([k, v]) => `${k}=${oneLine(scalar(v))}`)
          .join(", "),
        width
      )

/** What a step did, in one short phrase (tool call with arguments, or the step's reasoning). */
export const stepSummary = (step: InvestigationStep, width = 70): string => {
  if (step.kind === "tool_call") return `${step.tool_name ?? "tool"}(${shortArgs(step.tool_arguments, width - 10)})`
  return truncate(oneLine(step.reasoning ?? step.output_summary ?? ""), width)
}

/** One step as printed live by `investigate`: a line, plus an output or error line when there is one. */
export const stepLine = (style: Style, step: InvestigationStep): string => {
  const took = step.duration_ms === undefined ? "" : `  ${style.dim(duration(step.duration_ms))}`
  const marker = step.error !== undefined ? style.red("✗") : step.kind === "conclusion" ? style.green("✓") : "▸"
  const label = step.kind === "tool_call" ? style.bold(stepSummary(step)) : `${step.kind}: ${stepSummary(step)}`
  const lines = [`  ${marker} ${style.dim(`[${step.index}]`)} ${label}${took}`]
  if (step.error !== undefined) lines.push(`      ${style.red(`error: ${truncate(oneLine(step.error), 100)}`)}`)
  else if (step.kind === "tool_call" && step.output_summary !== undefined)
    lines.push(`      ${style.dim(truncate(oneLine(step.output_summary), 100))}`)
  return lines.join("\n")
}

/** A table with a header row; the last column is cut so that each line fits in `width`. */
export const table = (
  style: Style,
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  width: number
): string => {
  const last = headers.length - 1
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))))
  const pad = (cell: string, i: number): string =>
    i === last ? cell : cell + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)))
  const prefixWidth = widths.slice(0, last).reduce((a, w) => a + w + 2, 0)
  const lastWidth = Math.max(10, width - prefixWidth)
  const render = (cells: ReadonlyArray<string>, header: boolean): string =>
    cells
      .map((c, i) => {
        const cell = i === last && visibleLength(c) > lastWidth ? truncate(c, lastWidth) : c
        return pad(header ? style.bold(cell) : cell, i)
      })
      .join("  ")
      .trimEnd()
  return [render(headers, true), ...rows.map((r) => render(r, false))].join("\n")
}

/** The `list` table: short id, status, age, confidence and the description cut to the terminal width. */
export const incidentTable = (
  style: Style,
  items: ReadonlyArray<IncidentSummary>,
  now: number,
  width: number
): string =>
  items.length === 0
    ? "No incidents."
    : table(
        style,
        ["ID", "STATUS", "AGE", "CONFIDENCE", "DESCRIPTION"],
        items.map((i) => [
          shortId(i.id),
          status(style, i.status),
          age(i.created_at, now),
          confidence(style, i.confidence_score),
          oneLine(i.description)
        ]),
        width
      )

const evidencePreview = (value: unknown): string => truncate(oneLine(scalar(value)), 80)

/** The steps of an investigation as a table. */
export const stepsTable = (style: Style, steps: ReadonlyArray<InvestigationStep>, width: number): string =>
  table(
    style,
    ["#", "KIND", "TOOK", "RESULT", "WHAT"],
    steps.map((s) => [
      String(s.index),
      s.kind,
      s.duration_ms === undefined ? "-" : duration(s.duration_ms),
      s.error !== undefined ? style.red("error") : "ok",
      s.error !== undefined ? `${stepSummary(s, 50)} — ${oneLine(s.error)}` : stepSummary(s, 200)
    ]),
    width
  )

/** The full report of an incident: status, root cause, confidence, evidence, findings, steps and next steps. */
export const report = (style: Style, incident: Incident, now: number, width: number): string => {
  const out: Array<string> = []
  const took =
    incident.completed_at === undefined
      ? ""
      : `, took ${duration(Date.parse(incident.completed_at) - Date.parse(incident.created_at))}`
  out.push(`${style.bold("Incident")} ${incident.id}  ${status(style, incident.status)}`)
  out.push(style.dim(`filed ${age(incident.created_at, now)} ago via ${incident.source}${took}`))
  out.push("", style.bold("Description"), indent(incident.description))
  if (incident.status === "failed") {
    out.push("", style.red(style.bold("Investigation failed")), indent(incident.error_message ?? "no reason given"))
  }
  if (incident.suggested_root_cause !== undefined) {
    out.push("", style.bold("Root cause"), indent(incident.suggested_root_cause))
  }
  if (incident.confidence_score !== undefined || incident.concluded_by !== undefined) {
    const by = incident.concluded_by === undefined ? "" : style.dim(`  (concluded by ${incident.concluded_by})`)
    out.push("", `${style.bold("Confidence:")} ${confidence(style, incident.confidence_score)}${by}`)
  }
  const evidenceKeys = Object.keys(incident.evidence)
  if (evidenceKeys.length > 0) {
    const supporting = incident.supporting_evidence ?? []
    const shown = supporting.length > 0 ? supporting : evidenceKeys.slice(0, 5)
    out.push(
      "",
      style.bold(
        `Evidence (${evidenceKeys.length} item${evidenceKeys.length === 1 ? "" : "s"}` +
          `${supporting.length > 0 ? `, ${supporting.length} supporting the conclusion` : ""})`
      )
    )
    for (const key of shown) {
      const value = incident.evidence[key]
      out.push(`  - ${style.cyan(key)}${value === undefined ? "" : style.dim(`: ${evidencePreview(value)}`)}`)
    }
    if (shown.length < evidenceKeys.length) out.push(style.dim(`  … ${evidenceKeys.length - shown.length} more`))
  }
  const findings = incident.findings ?? []
  if (findings.length > 0) {
    out.push("", style.bold("Findings"))
    for (const f of findings) {
      out.push(
        `  - [${f.severity}] ${f.title} ${style.dim(`(${confidence(style, f.confidence)})`)}`,
        indent(f.summary, 4)
      )
    }
  }
  if (incident.investigation_steps.length > 0) {
    out.push("", style.bold(`Steps (${incident.investigation_steps.length})`))
    out.push(indent(stepsTable(style, incident.investigation_steps, width - 2)))
  }
  const next = incident.recommended_next_steps ?? []
  if (next.length > 0) {
    out.push("", style.bold("Next steps"))
    next.forEach((s, i) => out.push(`  ${i + 1}. ${s}`))
  }
  if (incident.llm_usage !== undefined) {
    const u = incident.llm_usage
    out.push("", style.dim(`LLM: ${u.calls} calls, ${u.total_tokens} tokens`))
  }
  return out.join("\n")
}

const indent = (s: string, n = 2): string =>
  s
    .split("\n")
    .map((line) => (line === "" ? line : " ".repeat(n) + line))
    .join("\n")

/** The `health` summary. */
export const healthSummary = (style: Style, server: string, h: HealthReport): string => {
  const overall = h.status === "ok" ? style.green("ok") : style.yellow(h.status)
  const lines = [
    `${style.bold("Server")}   ${server}  ${overall}`,
    `${style.bold("Version")}  ${h.version}, up ${duration(h.uptime_seconds * 1000)}`,
    `${style.bold("Work")}     ${h.investigations.running} running, ${h.investigations.queued} queued, ` +
      `max ${h.investigations.max_concurrent} at once`
  ]
  if (h.dependencies.length > 0) {
    lines.push(
      "",
      table(
        style,
        ["DEPENDENCY", "KIND", "STATUS", "DETAIL"],
        h.dependencies.map((d) => [
          d.name,
          d.kind,
          d.status === "ok"
            ? style.green(d.status)
            : d.status === "disabled"
              ? style.dim(d.status)
              : style.red(d.status),
          [d.tool_count === undefined ? "" : `${d.tool_count} tools`, d.detail ?? ""].filter((x) => x !== "").join("; ")
        ]),
        200
      )
    )
  }
  return lines.join("\n")
}
