import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/websites/${name}`, import.meta.url)));

export type Route = (req: IncomingMessage, res: ServerResponse, port: number) => void;

export interface WebServer {
  port: number;
  /** Requests received, as "host path". */
  requests: string[];
  close(): Promise<void>;
}

/** Home pages of several test domains on one 127.0.0.1 port, chosen by the Host header, as name-based hosting does. */
export async function startWebServer(sites: Record<string, Route>): Promise<WebServer> {
  const requests: string[] = [];
  let port = 0;
  const server = createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    requests.push(`${host} ${req.url}`);
    const route = sites[host];
    if (!route) {
      res.writeHead(404).end('no such site');
      return;
    }
    route(req, res, port);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const page =
  (file: string, headers: Record<string, string> = {}, encode: (b: Buffer) => Buffer = (b) => b): Route =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...headers });
    res.end(encode(fixture(file)));
  };

export const redirect =
  (to: (port: number) => string, status = 302): Route =>
  (_req, res, port) => {
    res.writeHead(status, { location: to(port) }).end();
  };

/** A port where something listens but no TLS (or HTTP) is spoken: each connection is counted and dropped. */
export async function startDeadPort(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
