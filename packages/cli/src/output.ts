/**
 * Writing to stdout/stderr. JSON output re-encodes the decoded value with its contract schema, so scripts get
 * exactly the API's JSON.
 */
import { Effect, Schema } from "effect"

/** Prints a line (or several) to stdout. */
export const println = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(`${text}\n`))

/** Prints a line to stderr. */
export const eprintln = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(`${text}\n`))

/** Prints a value as the API's JSON (encoded with its schema), indented for humans, one document per call. */
export const printJson = <A, I>(schema: Schema.Schema<A, I>, value: A): Effect.Effect<void> =>
  Effect.flatMap(Effect.orDie(Schema.encode(schema)(value)), (encoded) => println(JSON.stringify(encoded, null, 2)))

/** Width available for tables: the terminal's, or 120 columns when stdout is not a terminal. */
export const terminalWidth = (): number => (process.stdout.isTTY === true ? process.stdout.columns || 100 : 120)
