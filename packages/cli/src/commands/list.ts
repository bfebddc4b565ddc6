/**
 * `sre list`: the newest incidents as a table (short id, status, age, confidence, description), or the API's
 * page as JSON.
 */
import { Command, Options } from "@effect/cli"
import { IncidentPage, IncidentStatus, MAX_PAGE_SIZE } from "@sre/schema"
import { Effect, Option } from "effect"
import { makeContext } from "../context.js"
import { cliError } from "../errors.js"
import { printJson, println, terminalWidth } from "../output.js"
import { incidentTable } from "../render.js"
import { globalOptions } from "../settings.js"

const status = Options.choice("status", IncidentStatus.literals).pipe(
  Options.withDescription("Only incidents with this status"),
  Options.optional
)
const limit = Options.integer("limit").pipe(
  Options.withAlias("n"),
  Options.withDescription(`How many incidents to show (1-${MAX_PAGE_SIZE})`),
  Options.withDefault(20)
)

/** The `list` command. */
export const listCommand = Command.make("list", { status, limit, ...globalOptions }, (args) =>
  Effect.gen(function* () {
    const ctx = yield* makeContext(args)
    if (args.limit < 1 || args.limit > MAX_PAGE_SIZE) {
      return yield* Effect.fail(cliError(`--limit must be between 1 and ${MAX_PAGE_SIZE}`))
    }
    const page = yield* ctx.call(
      ctx.client.incidents.list({
        urlParams: Option.match(args.status, {
          onNone: () => ({ limit: args.limit }),
          onSome: (s) => ({ limit: args.limit, status: s })
        })
      })
    )
    if (ctx.settings.output === "json") return yield* printJson(IncidentPage, page)
    yield* println(incidentTable(ctx.style, page.items, Date.now(), terminalWidth()))
    if (page.next_cursor !== null)
      yield* println(ctx.style.dim(`(more: sre list --limit ${Math.min(MAX_PAGE_SIZE, args.limit * 2)})`))
  })
).pipe(
  Command.withDescription(
    [
      "List incidents, newest first.",
      "",
      "Examples:",
      "  sre list",
      "  sre list --status failed --limit 50",
      "  sre list --output json | jq -r '.items[].id'"
    ].join("\n")
  )
)
