/**
 * The `Agent` service: given an incident, it investigates, reporting steps and evidence as they happen through the
 * `InvestigationContext`, and ends with an `InvestigationOutcome` or a typed `AgentError`. The production layer is
 * chosen in the composition root (LLM agent, analyzers, or both); this file holds the interface and the honest
 * "not configured" layer.
 */
import type { Incident, InvestigationStep, JsonObject, LlmUsage } from "@sre/schema"
import { Context, Data, Effect, Layer } from "effect"
import type { InvestigationOutcome, StepInput } from "../store/IncidentRepository.js"

/** What an agent can do while it investigates one incident. */
export interface InvestigationContext {
  /** The incident as it was when the investigation started (includes earlier steps after a restart). */
  readonly incident: Incident
  /** 1 for the first attempt, more after a restart. */
  readonly attempt: number
  /** Records a step; it is persisted and streamed to subscribers at once. */
  readonly recordStep: (step: StepInput) => Effect.Effect<InvestigationStep>
  /** Stores one evidence entry under a key that tells which call produced it. */
  readonly putEvidence: (key: string, value: unknown) => Effect.Effect<void>
  /** Stores the entities extracted from the description. */
  readonly setEntities: (entities: JsonObject) => Effect.Effect<void>
}

/** An investigation that could not reach a conclusion; `message` is shown to users as `error_message`. */
export class AgentError extends Data.TaggedError("AgentError")<{
  readonly message: string
  readonly usage?: LlmUsage | undefined
}> {}

/** The investigation engine. */
export interface AgentShape {
  /** Investigates one incident. */
  readonly investigate: (ctx: InvestigationContext) => Effect.Effect<InvestigationOutcome, AgentError>
}

/** The `Agent` service tag. */
export class Agent extends Context.Tag("sre/Agent")<Agent, AgentShape>() {}

/** Message of the layer used when no agent is configured. */
export const NO_AGENT_MESSAGE =
  "no investigation agent is configured: set LLM_BASE_URL (and LLM_API_KEY, LLM_MODEL) to enable the LLM agent"

/** An agent that fails every investigation honestly, saying that no agent is configured. */
export const layerUnconfigured: Layer.Layer<Agent> = Layer.succeed(Agent, {
  investigate: () => Effect.fail(new AgentError({ message: NO_AGENT_MESSAGE }))
})

/** An agent defined by a function (tests, tools). */
export const layerFromFunction = (investigate: AgentShape["investigate"]): Layer.Layer<Agent> =>
  Layer.succeed(Agent, { investigate })
