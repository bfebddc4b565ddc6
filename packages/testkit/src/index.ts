/**
 * `@sre/testkit`: an OpenAI-compatible mock LLM and a test MCP server for the project's tests and benchmarks.
 *
 * @module
 */
export * from "./mock-llm.js"
export * from "./test-mcp-server.js"
export * from "./json-schema-sample.js"
