/**
 * Budgets of the LLM investigation, read with Effect `Config`:
 * `AGENT_MAX_STEPS` (tool-calling rounds, default 15, 1–100) and `AGENT_TIME_BUDGET` (wall clock of the ReAct loop,
 * default 5 minutes; `300s`, `5m`, `"5 minutes"`). A bad value fails with a `ConfigError` naming the variable.
 */
import { Config, Duration } from "effect"
import { durationVar, integerVar } from "../llm/LlmConfig.js"

/** The investigation budgets. */
export interface AgentLimits {
  /** Maximum tool-calling rounds of the ReAct loop. */
  readonly maxSteps: number
  /** Wall-clock budget of the ReAct loop (the final conclusion call comes after it). */
  readonly timeBudget: Duration.Duration
}

/** Defaults: 15 rounds, 5 minutes. */
export const defaultAgentLimits: AgentLimits = { maxSteps: 15, timeBudget: Duration.minutes(5) }

/** Reads `AGENT_MAX_STEPS` and `AGENT_TIME_BUDGET`. */
export const AgentConfig: Config.Config<AgentLimits> = Config.all({
  maxSteps: integerVar("AGENT_MAX_STEPS", defaultAgentLimits.maxSteps, 1, 100),
  timeBudget: durationVar("AGENT_TIME_BUDGET", defaultAgentLimits.timeBudget)
})
