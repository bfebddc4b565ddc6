/**
 * The `sre` command tree and how a run ends: errors become one line on stderr and an exit code (1 for usage and
 * connection errors, 2 when an investigation failed), never a stack trace.
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Layer } from "effect"
import { chatCommand } from "./commands/chat.js"
import { configCommand } from "./commands/config.js"
import { healthCommand } from "./commands/health.js"
import { investigateCommand } from "./commands/investigate.js"
import { listCommand } from "./commands/list.js"
import { showCommand } from "./commands/show.js"
import { rootCommand } from "./context.js"
import { EXIT_ERROR } from "./errors.js"
import { VERSION } from "./version.js"

/** The whole command tree. */
export const command = rootCommand.pipe(
  Command.withDescription(
    [
      "Investigate production incidents with the SRE Orchestrator.",
      "",
      "Examples:",
      '  sre investigate "checkout pods in namespace shop are crash-looping"',
      "  sre chat",
      "  sre list --status failed",
      "  sre show 7c9f9dc7",
      "  sre config set server http://sre.internal:8080"
    ].join("\n")
  ),
  Command.withSubcommands([investigateCommand, chatCommand, listCommand, showCommand, healthCommand, configCommand])
)

const fail = (message: string) =>
  Effect.sync(() => {
    if (message !== "") process.stderr.write(`sre: ${message}\n`)
    process.exitCode = EXIT_ERROR
  })

/** Runs the CLI on `argv` (as in `process.argv`), setting `process.exitCode`. */
export const program = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "sre", version: VERSION })(argv).pipe(
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? fail("") // @effect/cli already printed the usage error
        : Effect.zipRight(
            fail(error.message),
            Effect.sync(() => {
              process.exitCode = error.exitCode
            })
          )
    ),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : fail(`unexpected error: ${Cause.pretty(cause).split("\n")[0] ?? ""}`)
    ),
    Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layer))
  )

/** Entry point used by `main.ts`. */
export const runCli = (argv: ReadonlyArray<string>): void =>
  NodeRuntime.runMain(program(argv), { disableErrorReporting: true, disablePrettyLogger: true })
