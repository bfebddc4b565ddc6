/**
 * The API client, derived from the shared contract (`SreApi`): no hand-written requests. Adds the bearer API key
 * and a user agent to every request.
 */
import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { SreApi } from "@sre/schema"
import { type Effect, Option, Redacted } from "effect"
import type { Settings } from "./settings.js"
import { VERSION } from "./version.js"

/** Adds the `Authorization: Bearer` header (when a key is set) and the CLI's user agent. */
export const authorize =
  (settings: Pick<Settings, "apiKey">) =>
  (client: HttpClient.HttpClient): HttpClient.HttpClient =>
    HttpClient.mapRequest(client, (request) => {
      const withAgent = HttpClientRequest.setHeader(request, "user-agent", `sre-cli/${VERSION}`)
      return Option.match(settings.apiKey, {
        onNone: () => withAgent,
        onSome: (key) => HttpClientRequest.bearerToken(withAgent, Redacted.value(key))
      })
    })

/** Builds the typed client for the configured server. Needs an `HttpClient` (see `FetchHttpClient.layer`). */
export const makeClient = (settings: Pick<Settings, "server" | "apiKey">) =>
  HttpApiClient.make(SreApi, { baseUrl: settings.server, transformClient: authorize(settings) })

/** The typed client of the SRE API. */
export type SreClient = Effect.Effect.Success<ReturnType<typeof makeClient>>
