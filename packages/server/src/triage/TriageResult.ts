/**
 * What the no-LLM triage produces: the entities it resolved, the analyzers' conclusion over the evidence it gathered
 * through MCP, and a compact text of its findings for the LLM agent's context.
 */
import { Finding as WireFinding } from "@sre/schema"
import type { Conclusion, ExtractedEntities, Finding } from "../analysis/index.js"

/** Result of the triage playbook for one incident. */
export interface TriageResult {
  /** Entities extracted from the description and checked against the cluster. */
  readonly entities: ExtractedEntities
  /** The analyzers' ranked conclusion (may be low-confidence when nothing specific was found). */
  readonly conclusion: Conclusion
  /** Keys of the `evidence` entries the triage stored on the incident. */
  readonly evidenceKeys: ReadonlyArray<string>
  /** Findings rendered for a prompt: ranked, each with its evidence references. */
  readonly summary: string
  /**
   * Evidence key of the call behind each analyzer reference: `log:ns/pod/container[/previous]` for logs and
   * `list:Kind:namespace` (`*` when cluster-wide or cluster-scoped) for object lists.
   */
  readonly evidenceIndex: ReadonlyMap<string, string>
  /** Number of MCP tool calls the triage made. */
  readonly toolCalls: number
}

/** Maps analyzer evidence references (`log:…`, `object:ns/Kind/name`, `event:ns/Kind/name/Reason`) to evidence keys. */
export const evidenceKeysFor = (
  index: ReadonlyMap<string, string>,
  refs: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const out: Array<string> = []
  const push = (key: string | undefined) => {
    if (key !== undefined && !out.includes(key)) out.push(key)
  }
  for (const ref of refs) {
    if (ref.startsWith("log:")) push(index.get(ref))
    else if (ref.startsWith("object:") || ref.startsWith("event:")) {
      const [ns = "_", kind = ""] = ref.slice(ref.indexOf(":") + 1).split("/")
      const listKind = ref.startsWith("event:") ? "Event" : kind
      push(index.get(`list:${listKind}:${ns}`) ?? index.get(`list:${listKind}:*`))
    }
  }
  return out
}

/** Converts analyzer findings to the wire type of the contract (drops the ranking internals `score` and `related`). */
export const toWireFindings = (findings: ReadonlyArray<Finding>): ReadonlyArray<WireFinding> =>
  findings.map((f) =>
    WireFinding.make({
      analyzer: f.analyzer,
      title: f.title,
      object:
        f.object.namespace !== undefined
          ? { kind: f.object.kind, name: f.object.name, namespace: f.object.namespace }
          : { kind: f.object.kind, name: f.object.name },
      summary: f.summary,
      severity: f.severity,
      confidence: f.confidence,
      evidence: [...f.evidence],
      next_steps: [...f.next_steps]
    })
  )
