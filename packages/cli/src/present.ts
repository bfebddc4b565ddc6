/**
 * Presents a finished (or current) incident: the text report or the API's JSON, and the exit code that goes
 * with it (2 when the investigation failed).
 */
import { Incident } from "@sre/schema"
import { Effect } from "effect"
import type { Ctx } from "./context.js"
import { EXIT_INVESTIGATION_FAILED } from "./errors.js"
import { printJson, println, terminalWidth } from "./output.js"
import { report } from "./render.js"

/** Prints the incident as a report (text) or as JSON. */
export const printIncident = (ctx: Ctx, incident: Incident): Effect.Effect<void> =>
  ctx.settings.output === "json"
    ? printJson(Incident, incident)
    : println(report(ctx.style, incident, Date.now(), terminalWidth()))

/** Sets exit code 2 when the investigation failed. */
export const exitCodeFor = (incident: Incident): Effect.Effect<void> =>
  incident.status === "failed"
    ? Effect.sync(() => {
        process.exitCode = EXIT_INVESTIGATION_FAILED
      })
    : Effect.void
