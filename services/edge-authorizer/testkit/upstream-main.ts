import { startUpstream } from './upstream.js';

/** Runs the stand-in backend as its own process (the benchmark keeps it off the load generator's CPU). */
const upstream = await startUpstream(process.env['UPSTREAM_NAME'] ?? 'backend', Number(process.env['UPSTREAM_PORT'] ?? '0'));
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: upstream.port })}\n`);
process.on('SIGTERM', () => {
  void upstream.stop().then(() => process.exit(0));
});
