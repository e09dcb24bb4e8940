/** Discovery documents and key sets are small; anything bigger is refused rather than buffered. */
const MAX_DOCUMENT_BYTES = 512 * 1024;

/**
 * GETs a JSON document with a timeout and a size cap. Redirects are errors: the configured URL is the
 * trust anchor, and following a redirect could move key fetching to another host or to plain http.
 */
export async function fetchJson(url: string, timeoutMs: number): Promise<unknown> {
  const get = (): Promise<Response> =>
    fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
  // One retry for a network failure: a pooled keep-alive connection the server has closed fails
  // the first attempt ("fetch failed: ECONNRESET"), and a refresh attempt starts the cooldown.
  const response = await get().catch((error: unknown) => {
    if (isStaleConnection(error)) return get();
    throw error;
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`GET ${url} answered ${response.status}`);
  }
  return readJson(response, `GET ${url}`);
}

/** An answer whose status the caller judges; `json` is undefined when the body was not JSON. */
export interface JsonAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly headers: Headers;
}

/**
 * Sends a request and reads a JSON answer of any status, with the same timeout, size cap and
 * no-redirect rule as fetchJson. A network failure or timeout throws.
 */
export async function sendJson(url: string, init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number }): Promise<JsonAnswer> {
  const response = await fetch(url, {
    method: init.method,
    headers: { accept: 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
    redirect: 'error',
    signal: AbortSignal.timeout(init.timeoutMs),
  });
  const json = await readJson(response, `${init.method} ${new URL(url).origin}${new URL(url).pathname}`).catch(() => undefined);
  return { status: response.status, json, headers: response.headers };
}

async function readJson(response: Response, what: string): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_DOCUMENT_BYTES) {
    await response.body?.cancel();
    throw new Error(`${what} declared ${declared} bytes; the limit is ${MAX_DOCUMENT_BYTES}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body !== null) {
    for await (const chunk of response.body) {
      size += chunk.byteLength;
      if (size > MAX_DOCUMENT_BYTES) throw new Error(`${what} exceeded ${MAX_DOCUMENT_BYTES} bytes`);
      chunks.push(chunk);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new Error(`${what} did not return JSON`);
  }
}

const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

function isStaleConnection(error: unknown): boolean {
  const cause = error instanceof TypeError ? (error.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' && STALE_CONNECTION_CODES.has(cause.code);
}
