/**
 * The correlation id of the current request: taken from `X-Correlation-ID` when it is well-formed, generated
 * otherwise; echoed in the response and carried into the logs of the investigation it starts.
 */
import { Context, Effect } from "effect"
import { randomUUID } from "node:crypto"

/** Correlation id of the request being served. */
export class CorrelationId extends Context.Tag("sre/CorrelationId")<CorrelationId, string>() {}

const valid = /^[A-Za-z0-9._:-]{1,128}$/

/** The id to use for a request given its `X-Correlation-ID` header (if any). */
export const correlationIdFor = (header: string | undefined): string =>
  header !== undefined && valid.test(header) ? header : randomUUID()

/** The current request's correlation id, or a fresh one outside a request. */
export const currentCorrelationId: Effect.Effect<string> = Effect.map(Effect.serviceOption(CorrelationId), (o) =>
  o._tag === "Some" ? o.value : randomUUID()
)
