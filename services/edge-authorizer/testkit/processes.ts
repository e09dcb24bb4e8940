import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A child process in its own process group (so stopping it also stops anything it forked, such as
 * NGINX workers), with its stdout/stderr kept for assertions and diagnostics.
 */
export class ManagedProcess {
  private readonly stdoutLines: string[] = [];
  readonly stderr: string[] = [];
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    /** Set when stdout goes to a file rather than a pipe (benchmarks: no reader competing for CPU). */
    private readonly stdoutPath?: string,
  ) {
    collectLines(child.stdout, this.stdoutLines, () => this.notify());
    collectLines(child.stderr, this.stderr, () => this.notify());
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? null : -1);
        this.notify();
        resolve(code);
      });
    });
  }

  static spawn(name: string, command: string, args: readonly string[], options: SpawnOptions & { stdoutPath?: string } = {}): ManagedProcess {
    const { stdoutPath, ...spawnOptions } = options;
    const stdoutFd = stdoutPath === undefined ? undefined : openSync(stdoutPath, 'w');
    try {
      const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'] });
      const managed = new ManagedProcess(name, child, stdoutPath);
      live.add(managed);
      void managed.exited.then(() => live.delete(managed));
      return managed;
    } finally {
      if (stdoutFd !== undefined) closeSync(stdoutFd);
    }
  }

  /** Lines written to stdout so far. */
  get stdout(): readonly string[] {
    if (this.stdoutPath === undefined) return this.stdoutLines;
    return readFileSync(this.stdoutPath, 'utf8').split('\n');
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves with the first stdout line for which `match` returns a value. */
  async waitForLine<T>(match: (line: string) => T | undefined, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.stdout) {
        const found = match(line);
        if (found !== undefined) return found;
      }
      if (!this.running) throw new Error(`${this.name} exited (${this.exitCode}) before the expected output\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out waiting for output\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** SIGTERM to the whole group, SIGKILL if it has not exited after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (this.running) {
      signalGroup(this.child, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(this.child, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }

  output(): string {
    return [`--- ${this.name} stdout`, ...this.stdout.slice(-40), `--- ${this.name} stderr`, ...this.stderr.slice(-40)].join('\n');
  }

  private notify(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

/** Children still running; if this process dies without stopping them, they die with it. */
const live = new Set<ManagedProcess>();
process.once('exit', () => {
  for (const managed of live) signalGroup(managed.child, 'SIGKILL');
});

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function collectLines(stream: NodeJS.ReadableStream | null, into: string[], onLine: () => void): void {
  if (stream === null) return;
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    // Bounded: a long benchmark must not keep every log line in memory.
    into.push(...lines);
    if (into.length > 5000) into.splice(0, into.length - 5000);
    onLine();
  });
}

/** A port that was free a moment ago on 127.0.0.1 (for programs, like NGINX, that cannot listen on 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Polls `check` every `intervalMs` until it returns true; throws `describe()` after `timeoutMs`.
 * `check` may throw to stop early (a process that exited will never become ready).
 */
export async function pollUntil(
  check: () => boolean | Promise<boolean>,
  options: { readonly timeoutMs: number; readonly intervalMs: number; readonly describe: () => string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(options.describe());
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
