/**
 * `@sre/testkit`: an OpenAI-compatible mock LLM, a test MCP server and throwaway PostgreSQL clusters for the
 * project's tests and benchmarks.
 *
 * @module
 */
export * from "./mock-llm.js"
export * from "./test-mcp-server.js"
export * from "./json-schema-sample.js"
export * from "./postgres.js"
