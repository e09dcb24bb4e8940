import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { REPO_ROOT, authorizerEnv, buildAuthorizer, startAuthorizerProcess, type RunningAuthorizer } from '../../../services/edge-authorizer/testkit/authorizer.js';
import { startSwapRig } from '../../../services/edge-authorizer/testkit/swap.js';
import { TestIssuer } from '../../../services/edge-authorizer/testkit/issuer.js';
import { httpGet } from './harness.js';

interface LockEntry {
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly dev?: boolean;
}

const WORKSPACE = 'services/edge-authorizer';

/**
 * The packages `npm ci --omit=dev -w edge-authorizer` installs: the workspace's `dependencies`
 * and theirs, resolved the way Node does (nested node_modules first, then each parent's).
 */
function runtimeClosure(lock: Record<string, LockEntry>): string[] {
  const found = new Set<string>();
  const visit = (from: string): void => {
    const entry = lock[from];
    const names = Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies });
    for (const name of names) {
      const location = resolveIn(lock, from, name);
      if (location === undefined) {
        if (entry?.optionalDependencies?.[name] !== undefined) continue;
        throw new Error(`${from} depends on ${name}, which the lockfile does not hold`);
      }
      if (!found.has(location)) {
        found.add(location);
        visit(location);
      }
    }
  };
  visit(WORKSPACE);
  return [...found].sort();
}

function resolveIn(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = dir === '.' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    if (lock[candidate] !== undefined) return candidate;
    if (dir === '.') return undefined;
  }
}

/**
 * The image's runtime layer, rebuilt without Docker: `dist/` from the production tsconfig, the
 * workspace package.json, and only the runtime dependency closure from the root lockfile, in a temp
 * dir with no node_modules above it. `node dist/main.js` must start, answer and shut down cleanly.
 */
describe('edge-authorizer production build', function () {
  this.timeout(120_000);
  let root: string;
  let issuer: TestIssuer;
  let authorizer: RunningAuthorizer | undefined;
  let lock: Record<string, LockEntry>;
  let closure: string[];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'edge-authorizer-prod-'));
    const app = join(root, WORKSPACE);
    buildAuthorizer(join(app, 'dist'));
    writeFileSync(join(app, 'package.json'), readFileSync(join(REPO_ROOT, WORKSPACE, 'package.json')));

    lock = (JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }).packages;
    closure = runtimeClosure(lock);
    for (const location of closure) {
      const source = join(REPO_ROOT, location);
      if (!existsSync(source)) continue; // an optional dependency for another platform
      // Each package without its nested node_modules; those are copied as closure members themselves.
      cpSync(source, join(root, location), {
        recursive: true,
        dereference: true,
        filter: (path) => !path.slice(source.length).split(sep).includes('node_modules'),
      });
    }
    issuer = await TestIssuer.start();
  });

  after(async () => {
    await authorizer?.stop();
    await issuer?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('depends at run time only on production packages, and not on tsx or typescript', () => {
    const names = closure.map((location) => location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length));
    for (const direct of ['jose', 'lru-cache', 'pino', 'prom-client']) assert.ok(names.includes(direct), direct);
    for (const tool of ['tsx', 'typescript', 'mocha', 'autocannon', '@pulumi/pulumi']) assert.ok(!names.includes(tool), tool);
    for (const location of closure) assert.notEqual(lock[location]?.dev, true, `${location} is a dev dependency`);
    assert.ok(!existsSync(join(dirname(root), 'node_modules')), 'a node_modules above the temp dir would hide missing packages');
  });

  it('starts with node dist/main.js, decides, and exits 0 on SIGTERM', async () => {
    const app = join(root, WORKSPACE);
    const env = { ...authorizerEnv(issuer), NODE_PATH: '' };
    authorizer = await startAuthorizerProcess(env, { command: [process.execPath, 'dist/main.js'], cwd: app });

    const allowed = await httpGet(`${authorizer.url}/authorize?roles=Model.Invoke`, { authorization: `Bearer ${await issuer.mint()}` });
    assert.equal(allowed.status, 204);
    const refused = await httpGet(`${authorizer.url}/authorize?roles=Model.Invoke`, { authorization: `Bearer ${await issuer.mint({ aud: 'x' })}` });
    assert.equal(refused.status, 401);
    assert.match((await httpGet(`${authorizer.url}/metrics`)).body, /edge_authorizer_decisions_total/);

    assert.equal(await authorizer.stop(), 0);
    assert.ok(authorizer.logLines().some((line) => line['msg'] === 'shutting down'));
    authorizer = undefined;
  });

  it('runs the Azure ML token swap from the same build: node dist/swap-main.js', async () => {
    const rig = await startSwapRig({
      subject: 'system:serviceaccount:aml-token-swap:aml-token-swap',
      endpoints: ['churn'],
      command: [process.execPath, 'dist/swap-main.js'],
      cwd: join(root, WORKSPACE),
    });
    try {
      const response = await httpGet(`${rig.url}/api/v1/endpoint/churn/score`, { authorization: 'Bearer caller' });
      assert.equal(response.status, 200, response.body);
      assert.equal(await rig.process.stop(), 0);
    } finally {
      await rig.stop();
    }
  });

  it('refuses to start on a bad variable, naming it, with exit code 2', () => {
    const app = join(root, WORKSPACE);
    let failure: { status: number | null; stderr: Buffer } | undefined;
    try {
      execFileSync(process.execPath, ['dist/main.js'], { cwd: app, env: { PATH: process.env['PATH'], ...authorizerEnv(issuer, { AUTHZ_CLOCK_SKEW_SECONDS: '9000' }) }, stdio: 'pipe' });
    } catch (error) {
      failure = error as { status: number | null; stderr: Buffer };
    }
    assert.equal(failure?.status, 2);
    assert.match(failure?.stderr.toString() ?? '', /AUTHZ_CLOCK_SKEW_SECONDS/);
  });
});
