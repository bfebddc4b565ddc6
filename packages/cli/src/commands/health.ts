/**
 * `sre health`: the server's health summary (status, version, work in progress, dependencies).
 */
import { Command } from "@effect/cli"
import { HealthReport } from "@sre/schema"
import { Effect } from "effect"
import { makeContext } from "../context.js"
import { printJson, println } from "../output.js"
import { healthSummary } from "../render.js"
import { globalOptions } from "../settings.js"

/** The `health` command. */
export const healthCommand = Command.make("health", { ...globalOptions }, (args) =>
  Effect.gen(function* () {
    const ctx = yield* makeContext(args)
    const report = yield* ctx.call(ctx.client.system.health())
    yield* ctx.settings.output === "json"
      ? printJson(HealthReport, report)
      : println(healthSummary(ctx.style, ctx.settings.server, report))
  })
).pipe(
  Command.withDescription(
    [
      "Show the server's health.",
      "",
      "Examples:",
      "  sre health",
      "  sre health --server http://sre.internal:8080"
    ].join("\n")
  )
)
