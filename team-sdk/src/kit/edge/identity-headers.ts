/**
 * Request headers that some backend, proxy library or framework takes as the caller's identity
 * (or as the original request line an auth decision was made on). The F5 controller forwards
 * every client header to the upstream and never the auth service's answer, so each route blanks
 * all of these (`requestHeaders.set` with an empty value renders `proxy_set_header X "";`, which
 * NGINX does not send). A backend learns the caller only from the verified token in
 * Authorization, which it can check again against Entra's keys.
 */
export const CLIENT_IDENTITY_HEADERS = [
    // What earlier versions of this platform (and the edge authorizer's answer) used.
    "X-Auth-Subject",
    "X-Auth-Object-Id",
    "X-Auth-App-Id",
    "X-Auth-Roles",
    // The original request as an auth proxy reports it.
    "X-Original-URI",
    "X-Original-URL",
    "X-Original-Method",
    "X-Rewrite-URL",
    // oauth2-proxy and other auth proxies.
    "X-Auth-Request-User",
    "X-Auth-Request-Email",
    "X-Auth-Request-Groups",
    "X-Auth-Request-Preferred-Username",
    "X-Auth-Request-Access-Token",
    "X-Forwarded-User",
    "X-Forwarded-Email",
    "X-Forwarded-Groups",
    "X-Forwarded-Preferred-Username",
    "X-Forwarded-Access-Token",
    "X-Remote-User",
    "X-Remote-Group",
    "Remote-User",
    "X-User",
    "X-User-Id",
    "X-Userinfo",
    "X-Id-Token",
    "X-Access-Token",
    "X-Jwt-Assertion",
    // Azure App Service / Entra easy auth.
    "X-MS-Client-Principal",
    "X-MS-Client-Principal-Id",
    "X-MS-Client-Principal-Name",
    "X-MS-Client-Principal-Idp",
    "X-MS-Token-AAD-Access-Token",
    "X-MS-Token-AAD-Id-Token",
    // Client certificates as a TLS-terminating proxy forwards them.
    "X-Client-Cert",
    "X-SSL-Client-Cert",
    "SSL-Client-Cert",
    "X-Forwarded-Client-Cert",
    // Linkerd's inbound proxy reports the mTLS client identity in this header.
    "l5d-client-id",
] as const;
