/**
 * Resolves what the user typed as an incident id: a full UUID, or a unique prefix of one as shown by `sre list`
 * (found by walking the list pages, newest first).
 */
import { type IncidentPage, MAX_PAGE_SIZE } from "@sre/schema"
import { Effect } from "effect"
import type { Ctx } from "./context.js"
import { cliError, type CliError } from "./errors.js"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const PREFIX = /^[0-9a-f-]+$/
/** How many list pages a prefix lookup reads at most. */
export const MAX_LOOKUP_PAGES = 50

/** Returns the full id for `input`, or a readable error when no incident or several incidents match. */
export const resolveIncidentId = (ctx: Ctx, input: string): Effect.Effect<string, CliError> =>
  Effect.gen(function* () {
    const wanted = input.trim().toLowerCase()
    if (UUID.test(wanted)) return wanted
    if (wanted.length === 0 || !PREFIX.test(wanted)) {
      return yield* Effect.fail(
        cliError(`"${input}" is not an incident id (expected an id or id prefix from \`sre list\`)`)
      )
    }
    const matches: Array<string> = []
    let cursor: string | undefined = undefined
    for (let page = 0; page < MAX_LOOKUP_PAGES; page++) {
      const result: IncidentPage = yield* ctx.call(
        ctx.client.incidents.list({
          urlParams: cursor === undefined ? { limit: MAX_PAGE_SIZE } : { limit: MAX_PAGE_SIZE, cursor }
        })
      )
      for (const item of result.items) if (item.id.startsWith(wanted)) matches.push(item.id)
      if (result.next_cursor === null) break
      cursor = result.next_cursor
    }
    const [first, ...rest] = matches
    if (first === undefined) return yield* Effect.fail(cliError(`no incident id starts with "${wanted}"`))
    if (rest.length > 0) {
      const shown = matches.slice(0, 10).join(", ")
      return yield* Effect.fail(
        cliError(
          `id prefix "${wanted}" is ambiguous: ${matches.length} incidents match (${shown}${matches.length > 10 ? ", …" : ""}); ` +
            "type more characters"
        )
      )
    }
    return first
  })
