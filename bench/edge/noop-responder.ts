import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's reference point: an auth service that checks nothing and admits every request
 * with the same answer the authorizer gives (204, no body, no headers). Behind NGINX it costs
 * exactly what the auth_request hop itself costs (NGINX's subrequest plus Node's HTTP handling),
 * so its ratio to the no-auth run is the ceiling for any auth service written on Node's http
 * module. Never a production component: it exists only in bench/.
 */
const server = createServer((req, res) => {
  if (req.url === '/readyz' || req.url === '/healthz') {
    res.writeHead(200, { 'content-length': '0' });
  } else {
    res.writeHead(204);
  }
  res.end();
});
server.keepAliveTimeout = 75_000;
server.listen(0, '127.0.0.1', () => {
  // The line startAuthorizerProcess waits for.
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
