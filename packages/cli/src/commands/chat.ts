/**
 * `sre chat`: an interactive session. A message files an incident and follows it; while an incident is open, a
 * message is a follow-up. The API has no follow-up endpoint yet, so a follow-up files a NEW incident whose
 * description is the previous description plus "Follow-up: <question>", and the session says so.
 * Slash commands: /new, /list, /show <id>, /help, /exit. Ctrl-C stops waiting (the investigation keeps running on
 * the server); Ctrl-D leaves. Works with piped stdin for scripts.
 */
import { Command, Options } from "@effect/cli"
import type { HttpClient } from "@effect/platform"
import { Deferred, Effect, Either, Option } from "effect"
import { type Ctx, makeContext } from "../context.js"
import type { CliError } from "../errors.js"
import { makeLineReader, type LineReader } from "../line-reader.js"
import { eprintln, println, terminalWidth } from "../output.js"
import { printIncident } from "../present.js"
import { incidentTable, shortId } from "../render.js"
import { resolveIncidentId } from "../resolve.js"
import { globalOptions } from "../settings.js"
import { awaitAndReport, DEFAULT_TIMEOUT_SECONDS, fileIncident } from "./investigate.js"

/** The incident a follow-up refers to. */
interface OpenIncident {
  readonly id: string
  readonly description: string
}

/** The description filed for a follow-up question. */
export const followUpDescription = (previous: string, question: string): string =>
  `${previous}\n\nFollow-up: ${question}`

const HELP = [
  "Type what is wrong to start an investigation. While an incident is open, messages are follow-ups.",
  "  /new         forget the open incident; the next message starts a new investigation",
  "  /list        the latest incidents",
  "  /show <id>   show an incident (id or prefix) and make it the open one",
  "  /help        this help",
  "  /exit        leave (or Ctrl-D); Ctrl-C stops waiting for an investigation"
].join("\n")

/** Runs `effect`, or stops it when the user presses Ctrl-C; `None` when stopped. */
const cancellable = <A, E, R>(reader: LineReader, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const stop = yield* Deferred.make<void>()
    yield* reader.onInterrupt(() => void Deferred.unsafeDone(stop, Effect.void))
    return yield* Effect.raceFirst(Effect.map(effect, Option.some), Effect.as(Deferred.await(stop), Option.none<A>()))
  }).pipe(Effect.ensuring(reader.onInterrupt(atPrompt(reader))))

const atPrompt = (reader: LineReader) => (): void => {
  if (!reader.interactive) return
  Effect.runSync(reader.clearLine)
  process.stdout.write("\n(Ctrl-D or /exit to leave)\n")
  Effect.runSync(reader.prompt)
}

/** Reports a command error inside the session without ending it. */
const reportErrors = <R>(effect: Effect.Effect<void, CliError, R>) =>
  Effect.catchAll(effect, (error) => eprintln(`sre: ${error.message}`))

/** The chat loop over a line reader. */
const session = (ctx: Ctx, reader: LineReader, timeoutSeconds: number) =>
  Effect.gen(function* () {
    let open: Option.Option<OpenIncident> = Option.none()
    if (reader.interactive) {
      yield* println(`Connected to ${ctx.settings.server}. Describe the problem, or /help. Ctrl-D to leave.`)
    }

    const investigate = (message: string): Effect.Effect<void, CliError, HttpClient.HttpClient> =>
      Effect.gen(function* () {
        const description = Option.match(open, {
          onNone: () => message,
          onSome: (o) => followUpDescription(o.description, message)
        })
        if (Option.isSome(open)) {
          yield* println(
            ctx.style.dim(
              `(follow-up on ${shortId(open.value.id)}: there is no follow-up endpoint yet, so this files a new ` +
                "incident with the previous description and your question)"
            )
          )
        }
        const id = yield* fileIncident(ctx, description)
        open = Option.some({ id, description })
        yield* println(ctx.style.dim(`Filed incident ${id}; investigating (Ctrl-C stops waiting)`))
        const finished = yield* cancellable(reader, awaitAndReport(ctx, id, timeoutSeconds))
        if (Option.isNone(finished)) {
          yield* println(`\nStopped waiting; the investigation goes on. Check it with /show ${shortId(id)}`)
        }
      })

    const command = (line: string): Effect.Effect<boolean, CliError, HttpClient.HttpClient> =>
      Effect.gen(function* () {
        const [name, ...rest] = line.slice(1).trim().split(/\s+/)
        const arg = rest.join(" ")
        switch (name) {
          case "exit":
          case "quit":
            return false
          case "help":
            yield* println(HELP)
            return true
          case "new":
            open = Option.none()
            yield* println("New conversation: the next message starts a new investigation.")
            return true
          case "list": {
            const page = yield* ctx.call(ctx.client.incidents.list({ urlParams: { limit: 10 } }))
            yield* println(incidentTable(ctx.style, page.items, Date.now(), terminalWidth()))
            return true
          }
          case "show": {
            if (arg === "") {
              yield* eprintln("usage: /show <id or prefix>")
              return true
            }
            const id = yield* resolveIncidentId(ctx, arg)
            const incident = yield* ctx.call(ctx.client.incidents.get({ path: { id } }))
            yield* printIncident(ctx, incident)
            open = Option.some({ id, description: incident.description })
            return true
          }
          default:
            yield* eprintln(`unknown command /${name ?? ""}; type /help`)
            return true
        }
      })

    yield* reader.onInterrupt(atPrompt(reader))
    for (;;) {
      yield* reader.prompt
      const next = yield* reader.next
      if (Option.isNone(next)) break
      const line = next.value.trim()
      if (line === "") continue
      if (line.startsWith("/")) {
        const keepGoing = yield* Effect.either(command(line))
        if (Either.isLeft(keepGoing)) yield* eprintln(`sre: ${keepGoing.left.message}`)
        else if (!keepGoing.right) break
        continue
      }
      yield* reportErrors(investigate(line))
    }
    if (reader.interactive) yield* println("Bye.")
  })

const timeout = Options.integer("timeout").pipe(
  Options.withDescription("Seconds to wait for each investigation"),
  Options.withDefault(DEFAULT_TIMEOUT_SECONDS)
)

/** The `chat` command. */
export const chatCommand = Command.make("chat", { timeout, ...globalOptions }, (args) =>
  Effect.gen(function* () {
    const ctx = yield* makeContext(args)
    const reader = yield* makeLineReader("sre> ")
    yield* session(ctx, reader, args.timeout)
  }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    [
      "Interactive session: each message starts an investigation; while an incident is open, messages are",
      "follow-ups (filed as a new incident with the previous description, as the API has no follow-up endpoint).",
      "Commands: /new, /list, /show <id>, /help, /exit. Ctrl-C stops waiting, Ctrl-D leaves.",
      "",
      "Examples:",
      "  sre chat",
      "  printf 'checkout pods crash-looping in shop\\nwhat changed in the last deploy?\\n/exit\\n' | sre chat"
    ].join("\n")
  )
)
