import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in backend saw, as it echoes it back in JSON. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly bodyBytes: number;
  readonly authorization: string | undefined;
  readonly subject: string | undefined;
  readonly objectId: string | undefined;
  readonly appId: string | undefined;
  readonly roles: string | undefined;
  readonly requestId: string | undefined;
}

const ECHOED = {
  authorization: 'authorization',
  subject: 'x-auth-subject',
  objectId: 'x-auth-object-id',
  appId: 'x-auth-app-id',
  roles: 'x-auth-roles',
  requestId: 'x-request-id',
} as const;

/**
 * The model endpoint behind NGINX: answers 200 with the identity headers NGINX forwarded (from
 * auth_request_set), so tests can see exactly what a backend would trust.
 */
export interface RunningUpstream {
  readonly server: Server;
  readonly port: number;
  /** Requests that reached the backend. */
  readonly requests: () => number;
  stop(): Promise<void>;
}

export async function startUpstream(port = 0): Promise<RunningUpstream> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const echo: Record<string, unknown> = { method: req.method, url: req.url, bodyBytes };
      for (const [field, header] of Object.entries(ECHOED)) {
        const value = req.headers[header];
        echo[field] = Array.isArray(value) ? value.join(', ') : value;
      }
      const text = JSON.stringify(echo);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.keepAliveTimeout = 75_000;
  server.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
