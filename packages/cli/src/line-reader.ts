/**
 * Line input for `sre chat`: node:readline with line editing and history on a terminal, plain line reading on a
 * pipe. Lines are queued, so piped scripts are processed one message at a time. Ctrl-C calls the current
 * interrupt handler instead of killing the process; Ctrl-D (or the end of the pipe) ends the input.
 */
import { Effect, Option, Queue, type Scope } from "effect"
import { createInterface } from "node:readline"

/** A source of lines with a replaceable Ctrl-C handler. */
export interface LineReader {
  /** Whether input comes from a terminal (prompts and hints are shown only then). */
  readonly interactive: boolean
  /** The next line, or `None` at the end of input. */
  readonly next: Effect.Effect<Option.Option<string>>
  /** Shows the prompt (terminal only). */
  readonly prompt: Effect.Effect<void>
  /** Discards what has been typed on the current line (terminal only). */
  readonly clearLine: Effect.Effect<void>
  /** Sets what Ctrl-C does from now on. */
  readonly onInterrupt: (handler: () => void) => Effect.Effect<void>
}

/** Opens a line reader on stdin for the lifetime of the scope. */
export const makeLineReader = (promptText: string): Effect.Effect<LineReader, never, Scope.Scope> =>
  Effect.gen(function* () {
    const interactive = process.stdin.isTTY === true
    const lines = yield* Queue.unbounded<Option.Option<string>>()
    let interruptHandler: () => void = () => undefined
    const rl = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const rl = createInterface({
          input: process.stdin,
          output: process.stdout,
          terminal: interactive,
          historySize: 500,
          removeHistoryDuplicates: true,
          prompt: promptText
        })
        rl.on("line", (line) => void Queue.unsafeOffer(lines, Option.some(line)))
        rl.on("close", () => void Queue.unsafeOffer(lines, Option.none()))
        rl.on("SIGINT", () => interruptHandler())
        return rl
      }),
      (rl) =>
        Effect.sync(() => {
          rl.close()
          // a terminal's stdin would otherwise keep the process alive after the session
          if (interactive) process.stdin.destroy()
          else process.stdin.pause()
        })
    )
    return {
      interactive,
      // once the input has ended, keep answering None
      next: Effect.tap(Queue.take(lines), (line) => (Option.isNone(line) ? Queue.offer(lines, line) : Effect.void)),
      prompt: interactive ? Effect.sync(() => rl.prompt()) : Effect.void,
      clearLine: interactive ? Effect.sync(() => rl.write(null, { ctrl: true, name: "u" })) : Effect.void,
      onInterrupt: (handler) =>
        Effect.sync(() => {
          interruptHandler = handler
        })
    }
  })
