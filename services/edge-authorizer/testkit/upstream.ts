import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stand-in backend saw, as it echoes it back in JSON. */
export interface Echo {
  /** Which stand-in answered (the Service it stands in for). */
  readonly backend: string;
  readonly method: string;
  readonly url: string;
  readonly bodyBytes: number;
  /** Every request header as received, lower-cased names, repeated ones joined with ", ". */
  readonly headers: Record<string, string>;
}

/**
 * A backend behind NGINX: answers 200 with every header it received, so tests can see exactly
 * what a backend would be told about the caller.
 */
export interface RunningUpstream {
  readonly server: Server;
  readonly port: number;
  /** Requests that reached the backend. */
  readonly requests: () => number;
  stop(): Promise<void>;
}

export async function startUpstream(name = 'backend', port = 0): Promise<RunningUpstream> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const header = (req.rawHeaders[i] as string).toLowerCase();
        const value = req.rawHeaders[i + 1] as string;
        headers[header] = header in headers ? `${headers[header]}, ${value}` : value;
      }
      const echo: Echo = { backend: name, method: req.method ?? '', url: req.url ?? '', bodyBytes, headers };
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
