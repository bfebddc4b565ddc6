/**
 * `sre show <id>`: the full report of one incident. Accepts a unique id prefix as shown by `sre list`.
 */
import { Args, Command } from "@effect/cli"
import { Effect } from "effect"
import { makeContext } from "../context.js"
import { exitCodeFor, printIncident } from "../present.js"
import { resolveIncidentId } from "../resolve.js"
import { globalOptions } from "../settings.js"

const id = Args.text({ name: "id" }).pipe(
  Args.withDescription("Incident id, or a unique prefix of it (from `sre list`)")
)

/** The `show` command. */
export const showCommand = Command.make("show", { id, ...globalOptions }, (args) =>
  Effect.gen(function* () {
    const ctx = yield* makeContext(args)
    const fullId = yield* resolveIncidentId(ctx, args.id)
    const incident = yield* ctx.call(ctx.client.incidents.get({ path: { id: fullId } }))
    yield* printIncident(ctx, incident)
    yield* exitCodeFor(incident)
  })
).pipe(
  Command.withDescription(
    [
      "Show the full report of an incident: root cause, confidence, evidence, findings, steps, next steps.",
      "Exit code 2 when the investigation failed.",
      "",
      "Examples:",
      "  sre show 7c9f9dc7",
      "  sre show 7c9f9dc7-3403-4705-b998-186c108d7bc5 --output json | jq .investigation_steps"
    ].join("\n")
  )
)
