/**
 * `sre investigate "<description>"`: files an incident and follows the investigation live, then prints the
 * report. `--no-wait` prints only the id; `--timeout` bounds the wait.
 */
import { Args, Command, Options } from "@effect/cli"
import { NewIncidentRequest, NewIncidentResponse } from "@sre/schema"
import { Effect, Either, Option, ParseResult, Schema } from "effect"
import { type Ctx, makeContext } from "../context.js"
import { cliError, type CliError } from "../errors.js"
import { eprintln, printJson, println } from "../output.js"
import { exitCodeFor, printIncident } from "../present.js"
import { shortId } from "../render.js"
import { globalOptions } from "../settings.js"
import { watchInvestigation } from "../watch.js"

/** Default `--timeout`, in seconds. */
export const DEFAULT_TIMEOUT_SECONDS = 600

const validateRequest = Schema.decodeUnknownEither(NewIncidentRequest)

/** Checks a description against the contract before sending it; the message is the contract's. */
export const checkDescription = (description: string): Either.Either<NewIncidentRequest, CliError> =>
  Either.mapLeft(validateRequest({ description, source: "cli" }), (error) =>
    cliError(
      `invalid request: ${ParseResult.ArrayFormatter.formatErrorSync(error)
        .map((issue) => issue.message)
        .join("; ")}`
    )
  )

/** Files an incident and returns its id. */
export const fileIncident = (ctx: Ctx, description: string): Effect.Effect<string, CliError> =>
  Effect.gen(function* () {
    const payload = yield* checkDescription(description)
    const created = yield* ctx.call(ctx.client.incidents.create({ payload }))
    return created.incident_id
  })

/** Follows an incident and prints the report; on timeout fails saying how to check later. */
export const awaitAndReport = (ctx: Ctx, id: string, timeoutSeconds: number) =>
  Effect.gen(function* () {
    const result = yield* watchInvestigation(ctx, id, timeoutSeconds)
    if (Option.isNone(result)) {
      return yield* Effect.fail(
        cliError(
          `still investigating after ${timeoutSeconds}s; the server keeps going. ` +
            `Check later with: sre show ${shortId(id)}`
        )
      )
    }
    if (ctx.settings.output === "text") yield* println("")
    yield* printIncident(ctx, result.value)
    return result.value
  })

const description = Args.text({ name: "description" }).pipe(
  Args.withDescription("What is wrong, in plain words (namespace, workload, symptom)")
)
const noWait = Options.boolean("no-wait").pipe(Options.withDescription("Print the incident id and return at once"))
const timeout = Options.integer("timeout").pipe(
  Options.withDescription("Seconds to wait for the investigation before giving up (it keeps running on the server)"),
  Options.withDefault(DEFAULT_TIMEOUT_SECONDS)
)

/** The `investigate` command. */
export const investigateCommand = Command.make(
  "investigate",
  { description, noWait, timeout, ...globalOptions },
  (args) =>
    Effect.gen(function* () {
      const ctx = yield* makeContext(args)
      if (args.timeout <= 0) return yield* Effect.fail(cliError("--timeout must be a positive number of seconds"))
      const id = yield* fileIncident(ctx, args.description)
      if (args.noWait) {
        return yield* ctx.settings.output === "json"
          ? printJson(NewIncidentResponse, new NewIncidentResponse({ incident_id: id }))
          : println(id)
      }
      if (ctx.settings.output === "text") {
        yield* eprintln(
          ctx.style.dim(`Filed incident ${id}; investigating (Ctrl-C stops waiting, not the investigation)`)
        )
      }
      const incident = yield* awaitAndReport(ctx, id, args.timeout)
      yield* exitCodeFor(incident)
    })
).pipe(
  Command.withDescription(
    [
      "File an incident and follow the investigation live: each step and tool call as it happens, then the",
      "report (root cause, confidence, evidence, steps, next steps).",
      "Exit code 2 when the investigation failed; 1 on timeout or error.",
      "",
      "Examples:",
      '  sre investigate "checkout pods in namespace shop are crash-looping since 10:40"',
      '  sre investigate --no-wait "api latency p99 above 2s in prod"',
      '  sre investigate --timeout 120 --output json "payments OOMKilled" | jq .suggested_root_cause'
    ].join("\n")
  )
)
