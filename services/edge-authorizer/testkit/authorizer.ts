import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess, pollUntil } from './processes.js';
import { TEST_AUDIENCE, type TestIssuer } from './issuer.js';

/** The repository root (two levels above services/edge-authorizer). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SOURCE_ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const WORKSPACE_DIR = fileURLToPath(new URL('../', import.meta.url));

/**
 * Compiles src/ with the production tsconfig, as the image's build stage does (`npm run build -w
 * edge-authorizer`), into `outDir` (the workspace's own dist/ by default). Returns the entry point.
 */
export function buildAuthorizer(outDir = join(WORKSPACE_DIR, 'dist')): string {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(WORKSPACE_DIR, 'tsconfig.build.json'), '--outDir', outDir], { cwd: REPO_ROOT, stdio: 'pipe' });
  return join(outDir, 'main.js');
}

/** Environment for an authorizer that trusts the test issuer and listens on an ephemeral loopback port. */
export function authorizerEnv(issuer: TestIssuer, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AUTHZ_HOST: '127.0.0.1',
    AUTHZ_PORT: '0',
    AUTHZ_ISSUER: issuer.issuer,
    AUTHZ_AUDIENCES: `${TEST_AUDIENCE},api://other-api`,
    AUTHZ_TENANT_ID: issuer.tenantId,
    ...overrides,
  };
}

/** The parent's environment without any AUTHZ_* variable, so a stray export cannot leak into a test. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AUTHZ_')) env[name] = value;
  return { ...env, ...extra };
}

export interface RunningAuthorizer {
  readonly process: ManagedProcess;
  readonly port: number;
  readonly url: string;
  /** Parsed JSON log lines written so far. */
  logLines(): Record<string, unknown>[];
  stop(): Promise<number | null>;
}

/**
 * Runs the authorizer as its own process, as in production: from source through tsx by default, or
 * any other command (the production-build test runs `node dist/main.js`).
 */
export async function startAuthorizerProcess(
  env: Record<string, string>,
  options: { command?: readonly string[]; cwd?: string; waitReady?: boolean; stdoutPath?: string } = {},
): Promise<RunningAuthorizer> {
  const [command, ...args] = options.command ?? [process.execPath, '--import', 'tsx', SOURCE_ENTRY];
  const proc = ManagedProcess.spawn('edge-authorizer', command as string, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(env),
    ...(options.stdoutPath === undefined ? {} : { stdoutPath: options.stdoutPath }),
  });
  const port = await proc.waitForLine((line) => {
    const entry = parseJson(line);
    return entry?.['msg'] === 'listening' && typeof entry['port'] === 'number' ? entry['port'] : undefined;
  });
  const url = `http://127.0.0.1:${port}`;
  if (options.waitReady ?? true) await waitReady(url, proc);
  return {
    process: proc,
    port,
    url,
    logLines: () => proc.stdout.map(parseJson).filter((entry): entry is Record<string, unknown> => entry !== undefined),
    stop: () => proc.stop(),
  };
}

export async function waitReady(url: string, proc?: ManagedProcess, timeoutMs = 15_000): Promise<void> {
  await pollUntil(
    async () => {
      if (proc !== undefined && !proc.running) throw new Error(`authorizer exited before ready\n${proc.output()}`);
      return fetch(`${url}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
    },
    { timeoutMs, intervalMs: 50, describe: () => `authorizer at ${url} not ready within ${timeoutMs} ms${proc === undefined ? '' : `\n${proc.output()}`}` },
  );
}

/** A JSON object log line, or undefined for anything else (a stray line never throws). */
export function parseJson(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
