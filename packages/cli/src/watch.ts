/**
 * The live view of an investigation: a spinner with the current state (TTY only), one line per step as it
 * happens, and a time limit. Shared by `investigate` and `chat`.
 */
import type { HttpClient } from "@effect/platform"
import type { Incident } from "@sre/schema"
import { Duration, Effect, type Option } from "effect"
import type { Ctx } from "./context.js"
import type { CliError } from "./errors.js"
import { followIncident } from "./follow.js"
import { stepLine, stepSummary } from "./render.js"
import { makeSpinner } from "./spinner.js"

/**
 * Follows the investigation of `id`, printing steps as they happen (text output only). Returns the final
 * incident, or `None` when `timeoutSeconds` passed first.
 */
export const watchInvestigation = (
  ctx: Ctx,
  id: string,
  timeoutSeconds: number
): Effect.Effect<Option.Option<Incident>, CliError, HttpClient.HttpClient> =>
  Effect.scoped(
    Effect.gen(function* () {
      const text = ctx.settings.output === "text"
      let current = "waiting for the investigation to start"
      const spinner = yield* makeSpinner(ctx.settings.interactive, current)
      return yield* followIncident(ctx, id, {
        onStep: (step) =>
          text
            ? Effect.zipRight(
                spinner.log(stepLine(ctx.style, step)),
                spinner.update((current = `step ${step.index}: ${step.kind} ${stepSummary(step, 40)}`))
              )
            : Effect.void,
        onStatus: (status) => {
          if (status !== "running") return Effect.void
          if (current.startsWith("waiting")) current = "investigating"
          return spinner.update(current)
        },
        onNotice: (message) => (text ? spinner.log(ctx.style.dim(`  (${message})`)) : Effect.void)
      }).pipe(Effect.timeoutOption(Duration.seconds(timeoutSeconds)))
    })
  )
