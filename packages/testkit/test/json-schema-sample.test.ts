import { describe, expect, it } from "vitest"
import { z } from "zod"
import { sampleFromJsonSchema } from "../src/index.js"

describe("sampleFromJsonSchema", () => {
  it("fills required properties with plausible values and omits optional ones", () => {
    expect(
      sampleFromJsonSchema({
        type: "object",
        properties: {
          s: { type: "string" },
          n: { type: "number" },
          i: { type: "integer", minimum: 5 },
          b: { type: "boolean" },
          e: { enum: ["warning", "critical"] },
          arr: { type: "array", items: { type: "string" }, minItems: 2 },
          opt: { type: "string" },
          nullable: { type: ["null", "string"] },
          when: { type: "string", format: "date-time" }
        },
        required: ["s", "n", "i", "b", "e", "arr", "nullable", "when"]
      })
    ).toEqual({
      s: "default",
      n: 1,
      i: 5,
      b: false,
      e: "warning",
      arr: ["default", "default"],
      nullable: "default",
      when: "2024-01-01T00:00:00.000Z"
    })
  })

  it("includes optional properties on request", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } }
    expect(sampleFromJsonSchema(schema)).toEqual({})
    expect(sampleFromJsonSchema(schema, { includeOptional: true, stringValue: "v" })).toEqual({ a: "v" })
  })

  it("resolves $refs, anyOf, allOf, const and length bounds", () => {
    expect(
      sampleFromJsonSchema({
        $defs: { Pod: { type: "object", properties: { name: { type: "string", maxLength: 3 } }, required: ["name"] } },
        type: "object",
        properties: {
          pod: { $ref: "#/$defs/Pod" },
          either: { anyOf: [{ type: "null" }, { type: "integer", exclusiveMaximum: 0 }] },
          both: {
            allOf: [{ $ref: "#/$defs/Pod" }, { type: "object", properties: { x: { const: 7 } }, required: ["x"] }]
          },
          long: { type: "string", minLength: 10 }
        },
        required: ["pod", "either", "both", "long"]
      })
    ).toEqual({ pod: { name: "def" }, either: -1, both: { name: "def", x: 7 }, long: "defaultxxx" })
  })

  it("produces values that validate against schemas generated from zod", () => {
    const schema = z.object({
      summary: z.string().min(1),
      severity: z.enum(["low", "high"]),
      pods: z.array(z.object({ name: z.string(), restarts: z.number().int().nonnegative() })).min(1),
      tags: z.array(z.string()).optional(),
      flag: z.boolean().nullable()
    })
    const value = sampleFromJsonSchema(z.toJSONSchema(schema))
    expect(schema.safeParse(value).success).toBe(true)
  })
})
