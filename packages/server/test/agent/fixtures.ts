/**
 * A triage result as the no-LLM triage would hand it to the LLM agent.
 */
import type { TriageResult } from "../../src/triage/TriageResult.js"

const none: ReadonlyArray<string> = []

/** Triage of "checkout crash-looping in shop": one finding, entities checked against the cluster. */
export const sampleTriage: TriageResult = {
  entities: {
    namespace: "shop",
    namespaces: ["shop"],
    pods: ["checkout-7d9f8b6c5d-x2k4p"],
    deployments: ["checkout"],
    statefulsets: none,
    daemonsets: none,
    jobs: none,
    cronjobs: none,
    services: none,
    nodes: none,
    containers: none,
    configmaps: none,
    secrets: none,
    pvcs: none,
    ingresses: none,
    hosts: none,
    alertnames: none,
    reasons: ["CrashLoopBackOff"]
  },
  conclusion: {
    suggested_root_cause: "Pod shop/checkout-7d9f8b6c5d-x2k4p restarts: exit code 1",
    confidence: "medium",
    findings: [
      {
        analyzer: "crashloop",
        title: "Container crash-looping",
        object: { kind: "Pod", name: "checkout-7d9f8b6c5d-x2k4p", namespace: "shop" },
        summary: "Pod shop/checkout-7d9f8b6c5d-x2k4p restarts: exit code 1",
        severity: "high",
        confidence: "medium",
        evidence: ["log:shop/checkout-7d9f8b6c5d-x2k4p/app/previous"],
        next_steps: ["Read the previous logs"],
        score: 60,
        related: [{ kind: "Deployment", name: "checkout", namespace: "shop" }]
      }
    ],
    next_steps: ["Read the previous logs"]
  },
  evidenceKeys: ["triage/pods shop", "triage/logs shop/checkout-7d9f8b6c5d-x2k4p previous"],
  evidenceIndex: new Map([
    ["log:shop/checkout-7d9f8b6c5d-x2k4p/app/previous", "triage/logs shop/checkout-7d9f8b6c5d-x2k4p previous"]
  ]),
  summary:
    "1. [medium] Pod shop/checkout-7d9f8b6c5d-x2k4p restarts: exit code 1 (evidence: log:shop/checkout-7d9f8b6c5d-x2k4p/app/previous)",
  toolCalls: 1
}
