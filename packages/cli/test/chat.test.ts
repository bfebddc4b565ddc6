/**
 * A scripted `sre chat` session over piped stdin: a question, a follow-up (filed as a new incident with the
 * previous description + "Follow-up:"), slash commands, and /exit (lines after it are ignored).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { ROOT_CAUSE, startServer, type TestServer } from "./support/server.js"
import { buildBundle, decodeJson, runSre, tempConfigHome } from "./support/run.js"
import { IncidentPage } from "@sre/schema"

let server: TestServer
let entry: string
beforeAll(async () => {
  entry = buildBundle()
  server = await startServer()
})
afterAll(() => server.close())

describe("sre chat (piped stdin)", () => {
  it("runs a question, a follow-up, slash commands and /exit", async () => {
    const script = [
      "checkout pods in namespace shop are crash-looping",
      "what changed in the last deploy?",
      "/list",
      "/bogus",
      "/new",
      "/help",
      "/exit",
      "this line is never sent"
    ].join("\n")
    const r = await runSre(["chat"], {
      entry,
      configHome: tempConfigHome(),
      env: { SRE_SERVER_URL: server.url },
      input: `${script}\n`
    })
    expect(r.code).toBe(0)
    const out = r.stdout
    expect(out.match(/Filed incident/g)).toHaveLength(2)
    expect(out).toContain(ROOT_CAUSE)
    expect(out).toContain("there is no follow-up endpoint yet, so this files a new incident")
    expect(out).toContain("Follow-up: what changed in the last deploy?")
    expect(out).toMatch(/ID\s+STATUS\s+AGE\s+CONFIDENCE\s+DESCRIPTION/)
    expect(out).toContain("New conversation: the next message starts a new investigation.")
    expect(out).toContain("/show <id>")
    expect(r.stderr).toContain("unknown command /bogus; type /help")

    const res = await fetch(`${server.url}/api/v1/incidents?limit=10`)
    const page = decodeJson(IncidentPage, await res.text())
    expect(page.items.map((i) => i.description)).toEqual([
      "checkout pods in namespace shop are crash-looping\n\nFollow-up: what changed in the last deploy?",
      "checkout pods in namespace shop are crash-looping"
    ])
  })

  it("/show opens an incident for follow-ups; errors do not end the session; EOF leaves", async () => {
    const res = await fetch(`${server.url}/api/v1/incidents?limit=1`)
    const [latest] = decodeJson(IncidentPage, await res.text()).items
    const r = await runSre(["chat"], {
      entry,
      configHome: tempConfigHome(),
      env: { SRE_SERVER_URL: server.url },
      input: `/show zz\n/show ${latest?.id.slice(0, 8) ?? ""}\nand the memory limits?\n`
    })
    expect(r.code).toBe(0)
    expect(r.stderr).toContain('"zz" is not an incident id')
    expect(r.stdout).toContain(`Incident ${latest?.id ?? ""}  completed`)
    expect(r.stdout).toContain("Follow-up: and the memory limits?")
  })
})
