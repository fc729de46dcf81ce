import { StreamableHTTPTransport } from '@hono/mcp';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from '../env.js';
import { buildMcpServer, type McpDeps } from './tools.js';

export { buildMcpServer, type McpDeps } from './tools.js';

const rpcError = (code: number, message: string) => ({ jsonrpc: '2.0' as const, error: { code, message }, id: null });

/**
 * MCP over Streamable HTTP at `/mcp`, stateless: each POST gets a new server
 * and transport for the key's workspace (set by apiKeyAuth, mounted in front
 * of it with the /v1 body limit) and both are closed once it is answered, so
 * no session, stream or workspace outlives a request and any instance can
 * answer any request.
 *
 * Answers are JSON, not SSE (`enableJsonResponse`): no tool sends
 * notifications, and a JSON answer is over when the HTTP response is.
 * Without sessions there is nothing to stream to or to end, so GET (the
 * standalone SSE stream) and DELETE answer 405, as the SDK's stateless
 * example does; the SDK's client expects exactly that.
 */
export function mcpRoutes(deps: McpDeps) {
  return new Hono<AppEnv>().all('/mcp', async (c) => {
    if (c.req.method !== 'POST') {
      return c.json(rpcError(ErrorCode.ConnectionClosed, 'Method not allowed: this MCP server is stateless; send JSON-RPC messages with POST'), 405, {
        Allow: 'POST',
      });
    }
    // Read outside the try: a body over the limit throws here, and the app's error handler answers 413 as for /v1.
    const text = await c.req.text();
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return c.json(rpcError(ErrorCode.ParseError, 'Parse error: the body is not JSON'), 400);
    }
    // Batches left MCP in protocol 2025-06-18, and no SDK client sends them. Within one, a
    // notifications/cancelled for a request of the same batch leaves that request unanswered,
    // and a JSON answer waits for every request of its batch: the HTTP request would hang.
    if (Array.isArray(message))
      return c.json(rpcError(ErrorCode.InvalidRequest, 'Invalid Request: send one JSON-RPC message per request; batches are not supported'), 400);

    const server = buildMcpServer(deps, c.get('workspace'));
    const transport = new StreamableHTTPTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    server.server.onerror = (err) => deps.log('mcp protocol error', { err: err.message });
    try {
      await server.connect(transport);
      return (await transport.handleRequest(c, message)) ?? c.body(null, 202);
    } catch (err) {
      // The transport refuses with a JSON-RPC body and its own status (400 not JSON-RPC, 406, 415):
      // answered as it is, not turned into the /v1 error shape, which an MCP client cannot read.
      if (err instanceof HTTPException) return err.getResponse();
      throw err;
    } finally {
      await server.close();
    }
  });
}
