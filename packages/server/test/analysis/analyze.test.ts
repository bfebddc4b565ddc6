import { describe, expect, it } from "vitest"
import { analyze } from "../../src/analysis/index.js"
import { parseCpuMillis, parseQuantity, findJvmHeap, formatBytes } from "../../src/analysis/quantity.js"
import { decisiveSignal, listeningPorts } from "../../src/analysis/logs.js"

describe("analyze", () => {
  it("never throws on garbage and says what it checked", () => {
    const c = analyze({ pods: [42, null, { metadata: "x" }], events: ["nope"], logs: {} })
    expect(c.confidence).toBe("low")
    expect(c.suggested_root_cause).toContain("checked 0 pods")
    expect(c.findings).toEqual([])
  })
})

describe("quantities", () => {
  it("parses cpu and memory", () => {
    expect(parseCpuMillis("250m")).toBe(250)
    expect(parseCpuMillis(2)).toBe(2000)
    expect(parseQuantity("1Gi")).toBe(2 ** 30)
    expect(parseQuantity("bogus")).toBeUndefined()
    expect(formatBytes(768 * 2 ** 20)).toBe("768Mi")
    expect(findJvmHeap("-Xms1g -Xmx3g")?.bytes).toBe(3 * 2 ** 30)
    expect(findJvmHeap("-XX:MaxRAMPercentage=50", 2 ** 30)?.bytes).toBe(2 ** 29)
  })
})

describe("log signatures", () => {
  it("recognises generic signatures", () => {
    expect(
      decisiveSignal('{"level":"error","msg":"boot","error":"open /var/lib/x: no space left on device"}')?.kind
    ).toBe("disk-full")
    expect(decisiveSignal("Caused by: java.net.UnknownHostException: kafka-bootstrap")?.host).toBe("kafka-bootstrap")
    expect(decisiveSignal('panic: invalid value for setting "max_conns": strconv.Atoi: parsing "ten"')?.kind).toBe(
      "invalid-config"
    )
    expect(decisiveSignal("2026-01-01 ERROR x509: certificate has expired or is not yet valid")?.kind).toBe("tls")
  })
  it("ignores timestamps when reading listening ports", () => {
    expect(
      listeningPorts("2026-01-01T10:11:12Z INFO http server listening on :7070 (metrics listener on :9100 removed)")
    ).toEqual([7070])
  })
})
