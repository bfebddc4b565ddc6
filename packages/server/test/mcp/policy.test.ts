/**
 * The tool safety policy (pure).
 */
import { describe, expect, it } from "@effect/vitest"
import { applyPolicy, decideTool, isReadOnlyName, mutatingVerbOf, nameWords } from "../../src/mcp/policy.js"

const none = { allow: [], deny: [] }
const RO = { readOnlyHint: true, destructiveHint: false }

describe("policy", () => {
  it("offers tools annotated read-only", () => {
    expect(decideTool("pods_list", RO, none)).toMatchObject({ offered: true, readOnly: true })
    // The annotation wins over the name.
    expect(decideTool("run_query", { readOnlyHint: true }, none)).toMatchObject({ offered: true })
  })

  it("refuses destructive and explicitly non-read-only tools", () => {
    expect(decideTool("pods_delete", { readOnlyHint: false, destructiveHint: true }, none)).toMatchObject({
      offered: false,
      reason: "annotated destructiveHint: true"
    })
    expect(decideTool("scale_deployment", { readOnlyHint: false, destructiveHint: false }, none)).toMatchObject({
      offered: false,
      reason: "annotated readOnlyHint: false"
    })
    expect(decideTool("get_thing", { readOnlyHint: true, destructiveHint: true }, none).offered).toBe(false)
    expect(decideTool("list_things", { readOnlyHint: false }, none).offered).toBe(false)
  })

  it("refuses pods_run (destructiveHint false but no readOnlyHint)", () => {
    const d = decideTool("pods_run", { destructiveHint: false }, none)
    expect(d.offered).toBe(false)
    expect(d.reason).toContain('"run"')
  })

  it("without readOnlyHint, decides by the name", () => {
    for (const name of [
      "describe_thing",
      "get_pod_status",
      "listEvents",
      "pods-log",
      "nodes_top",
      "search",
      "prom.query"
    ]) {
      expect(decideTool(name, undefined, none).offered, name).toBe(true)
    }
    for (const name of [
      "delete_pod",
      "get_and_delete",
      "resources_create_or_update",
      "kubectl_apply",
      "exec_in_pod",
      "set_image",
      "node_cordon",
      "label_nodes",
      "helm_install",
      "rollout_restart",
      "do_something",
      "frobnicate"
    ]) {
      expect(decideTool(name, undefined, none).offered, name).toBe(false)
    }
    expect(decideTool("describe_thing", {}, none).offered).toBe(true)
  })

  it("allow offers a named tool; deny always wins", () => {
    expect(
      decideTool("scale_deployment", { readOnlyHint: false }, { allow: ["scale_deployment"], deny: [] })
    ).toMatchObject({
      offered: true,
      readOnly: false,
      reason: "allowed in configuration"
    })
    expect(decideTool("pods_list", RO, { allow: ["pods_list"], deny: ["pods_list"] })).toMatchObject({
      offered: false,
      reason: "denied in configuration"
    })
    expect(decideTool("pods_list", RO, { allow: [], deny: ["pods_list"] }).offered).toBe(false)
  })

  it("splits names into words", () => {
    expect(nameWords("podsListInNamespace")).toEqual(["pods", "list", "in", "namespace"])
    expect(nameWords("k8s.pods-get_v2")).toEqual(["k8s", "pods", "get", "v2"])
    expect(mutatingVerbOf("settings_get")).toBeUndefined()
    expect(mutatingVerbOf("get_settings_set")).toBe("set")
    expect(isReadOnlyName("get_settings")).toBe(true)
    expect(isReadOnlyName("logs_delete")).toBe(false)
  })

  it("applyPolicy keeps the order", () => {
    const tools = [
      { name: "a_get", hints: undefined },
      { name: "b_delete", hints: undefined }
    ]
    expect(applyPolicy(tools, none).map((r) => [r.tool.name, r.decision.offered])).toEqual([
      ["a_get", true],
      ["b_delete", false]
    ])
  })
})
