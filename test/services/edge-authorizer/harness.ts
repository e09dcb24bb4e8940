import { request } from 'node:http';
import { connect } from 'node:net';
import { createApp, type App } from '../../../services/edge-authorizer/src/app.js';
import { loadConfig } from '../../../services/edge-authorizer/src/config.js';
import type { AuthorizationRequest, Decision } from '../../../services/edge-authorizer/src/decision.js';
import { authorizerEnv } from '../../../services/edge-authorizer/testkit/authorizer.js';
import { pollUntil } from '../../../services/edge-authorizer/testkit/processes.js';
import type { TestIssuer } from '../../../services/edge-authorizer/testkit/issuer.js';

/** A clock tests can move; starts at the real time so tokens minted now are valid. */
export class TestClock {
  private offsetMs = 0;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface InProcessAuthorizer {
  readonly app: App;
  readonly url: string;
  readonly port: number;
  readonly clock: TestClock;
  /** Raw log lines (JSON strings) written so far. */
  readonly logs: string[];
  decide(request: Partial<AuthorizationRequest>): Promise<Decision>;
  /** Waits until the first key set is loaded (or fails after a while). */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** The real app (config parsing included) in this process, with a movable clock and captured logs. */
export async function startInProcess(
  issuer: TestIssuer,
  env: Record<string, string> = {},
  options: { waitReady?: boolean } = {},
): Promise<InProcessAuthorizer> {
  const clock = new TestClock();
  const logs: string[] = [];
  const config = loadConfig(authorizerEnv(issuer, { AUTHZ_LOG_LEVEL: 'info', ...env }));
  const app = createApp(config, { now: clock.now, processMetrics: false, logDestination: { write: (line: string) => logs.push(line) } });
  const address = await app.start();
  const harness: InProcessAuthorizer = {
    app,
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    clock,
    logs,
    decide: async (partial) =>
      app.authorizer.decide({ authorization: partial.authorization, query: partial.query ?? 'roles=Model.Invoke' }),
    ready: () => pollUntil(() => app.keyStore.ready, { timeoutMs: 10_000, intervalMs: 20, describe: () => 'keys not loaded' }),
    stop: () => app.stop(),
  };
  if (options.waitReady ?? true) await harness.ready();
  return harness;
}

export function bearer(token: string): string[] {
  return [`Bearer ${token}`];
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * One HTTP request with full control of headers (arrays send the header several times), and a body
 * if given (sent with its Content-Length).
 */
export function httpGet(url: string, headers: Record<string, string | string[]> = {}, method = 'GET', body?: string): Promise<RawResponse> {
  const sent = body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: sent, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes to a server and returns the first response's status line (for malformed HTTP). */
export function rawStatusLine(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n');
      if (end !== -1) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\r\n', 1)[0] ?? ''));
    socket.write(raw);
  });
}
