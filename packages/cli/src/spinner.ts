/**
 * A one-line progress spinner on stderr, drawn only on an interactive terminal. Lines printed through `log` clear
 * the spinner first, so live output and the spinner never mix.
 */
import { Effect, type Scope } from "effect"

/** The spinner as seen by the code that reports progress. */
export interface Spinner {
  /** Replaces the text after the spinner frame (the elapsed time is added after it). */
  readonly update: (text: string) => Effect.Effect<void>
  /** Prints a line to stdout above the spinner. */
  readonly log: (line: string) => Effect.Effect<void>
}

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/**
 * Starts a spinner showing `initialText` for the lifetime of the scope. When `enabled` is false (not a TTY, JSON output) `update` does
 * nothing and `log` just prints.
 */
export const makeSpinner = (enabled: boolean, initialText = ""): Effect.Effect<Spinner, never, Scope.Scope> => {
  if (!enabled) {
    return Effect.succeed({
      update: () => Effect.void,
      log: (line) => Effect.sync(() => void process.stdout.write(`${line}\n`))
    })
  }
  let text = initialText
  let frame = 0
  const started = Date.now()
  const draw = (): void => {
    const columns = process.stderr.columns || 80
    const elapsed = Math.floor((Date.now() - started) / 1000)
    const line = `${FRAMES[frame % FRAMES.length] ?? ""} ${text} (${elapsed}s)`
    process.stderr.write(`\r\u001b[2K${line.length > columns - 1 ? line.slice(0, columns - 1) : line}`)
  }
  const clear = (): void => void process.stderr.write("\r\u001b[2K")
  return Effect.acquireRelease(
    Effect.sync(() => {
      const timer = setInterval(() => {
        frame++
        draw()
      }, 80)
      timer.unref()
      draw()
      return timer
    }),
    (timer) =>
      Effect.sync(() => {
        clearInterval(timer)
        clear()
      })
  ).pipe(
    Effect.map((): Spinner => ({
      update: (next) =>
        Effect.sync(() => {
          text = next
          draw()
        }),
      log: (line) =>
        Effect.sync(() => {
          clear()
          process.stdout.write(`${line}\n`)
          draw()
        })
    }))
  )
}
