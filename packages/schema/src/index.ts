/** The shared contract of the SRE Orchestrator: models, errors and the HTTP API. */
export * from "./api.js"
export * from "./errors.js"
export * from "./models.js"
