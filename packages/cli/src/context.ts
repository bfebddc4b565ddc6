/**
 * What every command needs: the root command (whose global options may be given before the subcommand), the
 * resolved settings, the derived API client, the text style, and `call` to turn client failures into `CliError`s.
 */
import { Command } from "@effect/cli"
import { Effect } from "effect"
import { type Style, makeStyle } from "./ansi.js"
import { makeClient, type SreClient } from "./client.js"
import { type CliError, type ClientFailure, explain, explainResponse } from "./errors.js"
import { println } from "./output.js"
import { type GlobalFlags, globalOptions, mergeFlags, resolveSettings, type Settings } from "./settings.js"

/** The `sre` root command. Run without a subcommand it prints a short usage hint. */
export const rootCommand = Command.make("sre", globalOptions, () =>
  println(
    [
      "sre - investigate production incidents with the SRE Orchestrator",
      "",
      '  sre investigate "<what is wrong>"   file an incident and follow the investigation',
      "  sre chat                            interactive session",
      "  sre list | show <id> | health | config",
      "",
      "Run `sre --help` or `sre <command> --help` for details."
    ].join("\n")
  )
)

/** Everything a command handler works with. */
export interface Ctx {
  readonly settings: Settings
  readonly client: SreClient
  readonly style: Style
  /** Runs a client call, turning its failures into readable `CliError`s. */
  readonly call: <A, R>(effect: Effect.Effect<A, ClientFailure | CliError, R>) => Effect.Effect<A, CliError, R>
}

/** Resolves settings (subcommand flags > root flags > env > config file > default) and builds the client. */
export const makeContext = (flags: GlobalFlags) =>
  Effect.gen(function* () {
    const root = yield* rootCommand
    const settings = yield* resolveSettings(mergeFlags(flags, root))
    const client = yield* makeClient(settings)
    const ctx: Ctx = {
      settings,
      client,
      style: makeStyle(settings.color),
      call: (effect) =>
        Effect.catchAll(effect, (e) =>
          Effect.flip(e._tag === "ResponseError" ? explainResponse(settings, e) : Effect.succeed(explain(settings, e)))
        )
    }
    return ctx
  })
