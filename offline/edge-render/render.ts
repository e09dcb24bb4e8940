/**
 * The nginx.conf that the F5 NGINX Ingress Controller 5.5.4 (open-source edition) renders from a
 * stack's edge objects, for the subset this project uses, with every Service mapped to a local
 * process so a real NGINX can run it on 127.0.0.1. The end-to-end tests and `npm run bench:edge`
 * run on this output; no NGINX configuration is written by hand.
 *
 * Followed, at tag v5.5.4 of nginx/kubernetes-ingress (commit f92a24e4):
 * - main config: internal/configs/version1/nginx.tmpl lines 2-25 (worker_processes, events),
 *   27-56 (http, log_format from `log-format`/`log-format-escaping`), 79-118 (sendfile,
 *   keepalive_timeout 75s, keepalive_requests 1000, the $vs_connection_header and
 *   $default_connection_header maps);
 * - per VirtualServer: internal/configs/version2/nginx.virtualserver.tmpl lines 2-23 (upstreams:
 *   zone 256k, `random two least_conn`, max_fails=1 fail_timeout=10s max_conns=0, `keepalive` from
 *   the upstream or the ConfigMap), 45-47 (limit_req_zone), 54-68 (server, $resource_* variables),
 *   115-125 (server_tokens, set_real_ip_from, real_ip_header, real_ip_recursive), 253-255 (server
 *   snippets), 287-582 (locations: $service, auth_request, limit_req_* options and limit_req,
 *   $default_connection_header, timeouts, client_max_body_size, proxy_buffering, HTTP/1.1,
 *   Upgrade/Connection, proxy_pass_request_headers/_body, the default X-Real-IP and
 *   X-Forwarded-* headers unless set, requestHeaders.set, proxy_pass, proxy_next_upstream*);
 * - the externalAuth location: internal/configs/virtualserver.go lines 1196-1227
 *   (generateExternalAuthLocation: internal, `/_external_auth<authURI>`, proxy_pass of the authURI,
 *   client headers on, body off, Content-Length "0", Host, X-Scheme, no keepalive flag, so
 *   `$default_connection_header close`), 562-600 and 744-787 (one auth location per distinct
 *   authURI per VirtualServer; a repeated authURI keeps the first and warns), policy.go 288-348
 *   (upstream `<parent>_exauth_<ns>_<name>`, port = authServicePorts[0] or 80);
 * - rate limits: policy.go 134-186 and 1263-1302 (zone `pol_rl_<ns>_<name>_<parentNs>_<parentName>_<type>`
 *   with '-' → '_', rate scaled by the replica count when `scale` is set, ingress.go 1415-1440),
 *   1442-1448 (logLevel default error, rejectCode default 503; the first policy's options win);
 * - upstream names: virtualserver.go 169-205 (`vs_<ns>_<name>_vsr_<ns>_<name>_<upstream>`);
 *   route paths: 1864-1880 (a prefix path is the location as written).
 *
 * Simplifications (each stated here and nowhere hidden):
 * - The listener is plain HTTP on 127.0.0.1:<port> for every host; the TLS part of the server
 *   block (template lines 70-113: `listen 443 ssl`, certificates, the scheme redirect, HSTS) is
 *   not rendered, so the ConfigMap keys that only feed it (`ssl-protocols`, `hsts*`) are read and
 *   dropped. X-Forwarded-Proto therefore says `http` here, `https` on the cluster.
 * - Service endpoints: a VirtualServer upstream with `use-cluster-ip` gets one server, the Service's
 *   cluster IP and port; here that is the address `resolve()` returns for the Service port.
 * - error_log and access_log go to files under the prefix (the controller writes to stderr and
 *   stdout); temp paths, pid and `daemon off` are set for an unprivileged local run; worker
 *   processes come from the caller (the controller defaults to `auto`).
 * - Not rendered because this project does not produce them (each is refused by objects.ts or
 *   below, never skipped): TLS passthrough, health checks, session cookies, splits, matches,
 *   returns, redirects, error pages, response headers, rewrites, gRPC, Plus-only policies,
 *   the controller's default server (here a plain `return 404` server), stub_status, the stream
 *   block, the 418/502 unix-socket servers and mime.types.
 */
import type { EdgeObjects, HeaderSet, Policy, RateLimitSpec, Upstream, VirtualServer } from "./objects";
import { EdgeObjectError } from "./objects";

/** Where the rendered NGINX runs, and where each Service port is served from. */
export interface LocalTarget {
    /** Directory for logs, pid and temp files (NGINX's `-p`). */
    prefix: string;
    /** Port on 127.0.0.1 for every host (the controller listens on 80/443). */
    port: number;
    /** `host:port` of the local process standing in for the Service's port (its cluster IP). */
    resolve(service: { namespace: string; name: string; port: number }): string;
    workerProcesses?: number;
    /** Access log on (default) or off. */
    accessLog?: boolean;
}

/** One route as the rendering publishes it, for tests that walk every route. */
export interface RenderedRoute {
    host: string;
    path: string;
    /** `<namespace>/<name>` of the VirtualServerRoute. */
    route: string;
    service: { namespace: string; name: string; port: number; tls: boolean };
    /** The authURI this route's auth_request goes to (after duplicate handling). */
    authUri?: string;
    authService?: { namespace: string; name: string; port: number };
    rateLimit?: { ratePerSecond: number; burst: number; rejectCode: number; key: string };
    /** requestHeaders.set of the route, in order. */
    setHeaders: HeaderSet[];
    passRequestHeaders: boolean;
}

export interface Rendering {
    conf: string;
    routes: RenderedRoute[];
    /** What the controller would report as warnings on the resources (e.g. a duplicate authURI). */
    warnings: string[];
    /**
     * `<namespace>/<name>` of VirtualServerRoutes a VirtualServer delegates to that the objects do
     * not include: a team's routes, which the team's own stack declares. The controller renders
     * no location for them (each one is also a warning) until they exist.
     */
    undeclaredRoutes: string[];
}

/** The controller's defaults (internal/configs/config_params.go NewDefaultConfigParams) and our ConfigMap entries. */
interface ControllerConfig {
    keepalive: number;
    serverTokens: "on" | "off";
    logFormat?: string;
    logFormatEscaping?: string;
    realIpHeader?: string;
    setRealIpFrom: string[];
    realIpRecursive: boolean;
    proxyConnectTimeout: string;
    proxyReadTimeout: string;
    proxySendTimeout: string;
    clientMaxBodySize: string;
    proxyBuffering: boolean;
    httpSnippets: string[];
    serverSnippets: string[];
    locationSnippets: string[];
}

/** ConfigMap keys that only feed the TLS part of the server block, which is not rendered. */
const TLS_ONLY_KEYS = new Set(["ssl-protocols", "ssl-ciphers", "ssl-prefer-server-ciphers", "hsts", "hsts-max-age", "hsts-include-subdomains", "hsts-behind-proxy", "http2"]);

/** Go's strconv.ParseBool, which the controller's GetMapKeyAsBool uses. */
function parseGoBool(key: string, value: string): boolean {
    if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
    throw new EdgeObjectError(`ConfigMap ${key}: "${value}" is not a boolean; the controller would ignore the key`);
}

function controllerConfig(entries: Record<string, string>): ControllerConfig {
    const config: ControllerConfig = {
        keepalive: 0,
        serverTokens: "on",
        setRealIpFrom: [],
        realIpRecursive: false,
        proxyConnectTimeout: "60s",
        proxyReadTimeout: "60s",
        proxySendTimeout: "60s",
        clientMaxBodySize: "1m",
        proxyBuffering: true,
        httpSnippets: [],
        serverSnippets: [],
        locationSnippets: [],
    };
    const lines = (value: string): string[] => value.split("\n").filter((line) => line.trim() !== "");
    for (const [key, value] of Object.entries(entries)) {
        switch (key) {
            case "keepalive":
                if (!/^\d+$/.test(value)) throw new EdgeObjectError(`ConfigMap keepalive: "${value}" is not an integer`);
                config.keepalive = Number(value);
                break;
            case "server-tokens":
                config.serverTokens = parseGoBool(key, value) ? "on" : "off";
                break;
            case "log-format":
                config.logFormat = value;
                break;
            case "log-format-escaping":
                config.logFormatEscaping = value;
                break;
            case "real-ip-header":
                config.realIpHeader = value;
                break;
            case "set-real-ip-from":
                config.setRealIpFrom = value.split(",").map((item) => item.trim()).filter((item) => item !== "");
                break;
            case "real-ip-recursive":
                config.realIpRecursive = parseGoBool(key, value);
                break;
            case "proxy-connect-timeout":
                config.proxyConnectTimeout = value;
                break;
            case "proxy-read-timeout":
                config.proxyReadTimeout = value;
                break;
            case "proxy-send-timeout":
                config.proxySendTimeout = value;
                break;
            case "client-max-body-size":
                config.clientMaxBodySize = value;
                break;
            case "proxy-buffering":
                config.proxyBuffering = parseGoBool(key, value);
                break;
            case "http-snippets":
                config.httpSnippets = lines(value);
                break;
            case "server-snippets":
                config.serverSnippets = lines(value);
                break;
            case "location-snippets":
                config.locationSnippets = lines(value);
                break;
            default:
                if (!TLS_ONLY_KEYS.has(key)) throw new EdgeObjectError(`ConfigMap key ${key} is not rendered by offline/edge-render; teach the renderer what the controller does with it`);
        }
    }
    return config;
}

const snake = (value: string): string => value.replace(/-/g, "_");
/** Go's `printf "%q"` for the printable ASCII header values the controller accepts. */
const quoted = (value: string): string => JSON.stringify(value);

/** ingress.go scaleRatelimit: divide by the replicas, switching to r/m below 1 r/s, flooring. */
export function scaleRate(rate: string, replicas: number): string {
    const match = /^(\d+)(r\/s|r\/m)$/.exec(rate);
    if (replicas < 1 || match === null) return rate;
    let value = Number(match[1]) / replicas;
    let unit = match[2] as string;
    if (unit === "r/s" && value < 1) {
        value *= 60;
        unit = "r/m";
    }
    return `${Math.floor(value)}${unit}`;
}

function ratePerSecond(rate: string): number {
    const match = /^(\d+)(r\/s|r\/m)$/.exec(rate);
    if (match === null) throw new EdgeObjectError(`rate "${rate}" is not <n>r/s or <n>r/m`);
    return match[2] === "r/s" ? Number(match[1]) : Number(match[1]) / 60;
}

interface LocationConfig {
    path: string;
    internal: boolean;
    serviceName: string;
    vsr?: { name: string; namespace: string };
    snippets: string[];
    authRequest?: string;
    limitReqOptions?: { logLevel: string; rejectCode: number; dryRun: boolean };
    limitReqs: { zone: string; burst?: number; delay?: number; noDelay: boolean }[];
    hasKeepalive: boolean;
    connectTimeout: string;
    readTimeout: string;
    sendTimeout: string;
    clientMaxBodySize: string;
    proxyBuffering: boolean;
    passRequestHeaders: boolean;
    passRequestBody?: string;
    setHeaders: HeaderSet[];
    proxyPass: string;
}

/** nginx.virtualserver.tmpl lines 287-582, for the fields this project produces. */
function renderLocation(location: LocationConfig, tlsRedirectBasedOn: string | undefined): string {
    const out: string[] = [`    location ${location.path} {`, `        set $service ${quoted(location.serviceName)};`];
    if (location.vsr) {
        out.push(`        set $resource_type "virtualserverroute";`, `        set $resource_name ${quoted(location.vsr.name)};`, `        set $resource_namespace ${quoted(location.vsr.namespace)};`);
    }
    if (location.internal) out.push("        internal;");
    for (const snippet of location.snippets) out.push(`        ${snippet}`);
    if (location.authRequest) out.push(`        auth_request ${location.authRequest};`);
    if (location.limitReqOptions) {
        if (location.limitReqOptions.dryRun) out.push("        limit_req_dry_run on;");
        out.push(`        limit_req_log_level ${location.limitReqOptions.logLevel};`, `        limit_req_status ${location.limitReqOptions.rejectCode};`);
    }
    for (const req of location.limitReqs) {
        out.push(`        limit_req zone=${req.zone}${req.burst ? ` burst=${req.burst}` : ""}${req.delay ? ` delay=${req.delay}` : ""}${req.noDelay ? " nodelay" : ""};`);
    }
    out.push(
        `        set $default_connection_header ${location.hasKeepalive ? '""' : "close"};`,
        `        proxy_connect_timeout ${location.connectTimeout};`,
        `        proxy_read_timeout ${location.readTimeout};`,
        `        proxy_send_timeout ${location.sendTimeout};`,
        `        client_max_body_size ${location.clientMaxBodySize};`,
        `        proxy_buffering ${location.proxyBuffering ? "on" : "off"};`,
        "        proxy_http_version 1.1;",
        "        proxy_set_header Upgrade $http_upgrade;",
        "        proxy_set_header Connection $vs_connection_header;",
        `        proxy_pass_request_headers ${location.passRequestHeaders ? "on" : "off"};`,
    );
    if (location.passRequestBody) out.push(`        proxy_pass_request_body ${location.passRequestBody};`);
    const custom = new Set(location.setHeaders.map((header) => header.name.toLowerCase()));
    const defaults: [string, string][] = [
        ["X-Real-IP", "$remote_addr"],
        ["X-Forwarded-For", "$proxy_add_x_forwarded_for"],
        ["X-Forwarded-Host", "$host"],
        ["X-Forwarded-Port", "$server_port"],
        ["X-Forwarded-Proto", tlsRedirectBasedOn ?? "$scheme"],
    ];
    for (const [name, value] of defaults) if (!custom.has(name.toLowerCase())) out.push(`        proxy_set_header ${name} ${value};`);
    for (const header of location.setHeaders) out.push(`        proxy_set_header ${header.name} ${quoted(header.value)};`);
    out.push(
        `        proxy_pass ${location.proxyPass};`,
        "        proxy_next_upstream error timeout;",
        "        proxy_next_upstream_timeout 0s;",
        "        proxy_next_upstream_tries 0;",
        "    }",
    );
    return out.join("\n");
}

interface RenderedUpstream {
    name: string;
    server: string;
    keepalive: number;
}

/** Renders the whole nginx.conf for the stack's edge objects. */
export function renderEdge(objects: EdgeObjects, target: LocalTarget): Rendering {
    const config = controllerConfig(objects.controller.entries);
    const className = objects.controller.ingressClassName;
    const warnings: string[] = [];
    const undeclaredRoutes: string[] = [];
    const routes: RenderedRoute[] = [];
    const servers: string[] = [];
    const hosts = new Set<string>();
    const key = (namespace: string, name: string): string => `${namespace}/${name}`;
    const policies = new Map(objects.policies.map((policy) => [key(policy.metadata.namespace, policy.metadata.name), policy]));
    const vsrs = new Map(objects.virtualServerRoutes.map((vsr) => [key(vsr.metadata.namespace, vsr.metadata.name), vsr]));
    const sorted = [...objects.virtualServers].sort((a, b) => key(a.metadata.namespace, a.metadata.name).localeCompare(key(b.metadata.namespace, b.metadata.name)));

    for (const vs of sorted) {
        const vsWhere = `VirtualServer ${key(vs.metadata.namespace, vs.metadata.name)}`;
        if ((vs.spec.ingressClassName ?? className) !== className) continue;
        if (hosts.has(vs.spec.host)) throw new EdgeObjectError(`${vsWhere}: host ${vs.spec.host} already has a VirtualServer; the controller rejects the second`);
        hosts.add(vs.spec.host);
        const tlsRedirect = vs.spec.tls?.redirect?.enable ? (vs.spec.tls.redirect.basedOn === "x-forwarded-proto" ? "$http_x_forwarded_proto" : "$scheme") : undefined;
        const upstreams: RenderedUpstream[] = [];
        const zones = new Map<string, string>();
        const locations: string[] = [];
        const authLocations = new Set<string>();

        for (const delegation of vs.spec.routes) {
            const vsr = vsrs.get(delegation.route);
            if (vsr === undefined) {
                // configuration.go:1859 warns and skips the route; virtualserver.go:617 renders
                // locations only for the VirtualServerRoutes that exist.
                warnings.push(`${vsWhere}: VirtualServerRoute ${delegation.route} doesn't exist or invalid`);
                undeclaredRoutes.push(delegation.route);
                continue;
            }
            const vsrWhere = `VirtualServerRoute ${delegation.route}`;
            if (vsr.spec.host !== vs.spec.host) throw new EdgeObjectError(`${vsrWhere}: host ${vsr.spec.host} is not ${vs.spec.host}; the controller ignores it`);
            if ((vsr.spec.ingressClassName ?? className) !== className) throw new EdgeObjectError(`${vsrWhere}: ingressClassName ${vsr.spec.ingressClassName} is not ${className}`);
            const namer = (upstream: string): string => `vs_${vs.metadata.namespace}_${vs.metadata.name}_vsr_${vsr.metadata.namespace}_${vsr.metadata.name}_${upstream}`;
            const byName = new Map<string, Upstream>(vsr.spec.upstreams.map((upstream) => [upstream.name, upstream]));
            for (const upstream of vsr.spec.upstreams) {
                upstreams.push({
                    name: namer(upstream.name),
                    server: target.resolve({ namespace: vsr.metadata.namespace, name: upstream.service, port: upstream.port }),
                    keepalive: upstream.keepalive ?? config.keepalive,
                });
            }

            for (const subroute of vsr.spec.subroutes) {
                if (!subroute.path.startsWith(delegation.path)) throw new EdgeObjectError(`${vsrWhere}: subroute ${subroute.path} does not start with ${delegation.path}; the controller rejects it`);
                const upstreamName = subroute.action.pass ?? subroute.action.proxy?.upstream;
                if (upstreamName === undefined || (subroute.action.pass !== undefined && subroute.action.proxy !== undefined)) {
                    throw new EdgeObjectError(`${vsrWhere}: subroute ${subroute.path} needs exactly one of action.pass and action.proxy`);
                }
                const upstream = byName.get(upstreamName);
                if (upstream === undefined) throw new EdgeObjectError(`${vsrWhere}: subroute ${subroute.path} passes to unknown upstream ${upstreamName}`);

                let externalAuth: { policy: Policy; spec: NonNullable<Policy["spec"]["externalAuth"]> } | undefined;
                const rateLimits: { policy: Policy; spec: RateLimitSpec }[] = [];
                for (const ref of subroute.policies ?? []) {
                    const policy = policies.get(key(ref.namespace ?? vsr.metadata.namespace, ref.name));
                    if (policy === undefined) throw new EdgeObjectError(`${vsrWhere}: policy ${ref.name} does not exist; the controller answers 500 on ${subroute.path}`);
                    if ((policy.spec.ingressClassName ?? className) !== className) throw new EdgeObjectError(`${vsrWhere}: policy ${ref.name} is for another ingress class`);
                    if (policy.spec.externalAuth) {
                        // policy.go 299-302: a second externalAuth in one context is ignored with a warning.
                        if (externalAuth) warnings.push(`${vsrWhere}: multiple external auth policies on ${subroute.path}; ${ref.name} ignored`);
                        else externalAuth = { policy, spec: policy.spec.externalAuth };
                    }
                    if (policy.spec.rateLimit) rateLimits.push({ policy, spec: policy.spec.rateLimit });
                    if (!policy.spec.externalAuth && !policy.spec.rateLimit) throw new EdgeObjectError(`${vsrWhere}: policy ${ref.name} is of a kind the renderer does not know`);
                }

                let authRequest: string | undefined;
                let authService: RenderedRoute["authService"];
                if (externalAuth) {
                    const internalPath = `/_external_auth${externalAuth.spec.authURI}`;
                    const [svcNamespace, svcName] = externalAuth.spec.authServiceName.includes("/")
                        ? (externalAuth.spec.authServiceName.split("/") as [string, string])
                        : [vsr.metadata.namespace, externalAuth.spec.authServiceName];
                    const port = externalAuth.spec.authServicePorts?.[0] ?? 80;
                    authService = { namespace: svcNamespace, name: svcName, port };
                    if (authLocations.has(internalPath)) {
                        warnings.push(`${vsWhere}: Duplicate external auth URI ${externalAuth.spec.authURI} on this VirtualServer; external auth URI for route ${subroute.path} will be ignored.`);
                    } else {
                        authLocations.add(internalPath);
                        const authUpstream = namer(`vsr_exauth_${externalAuth.policy.metadata.namespace}_${externalAuth.policy.metadata.name}`);
                        // generateUpstream gives the auth upstream the ConfigMap keepalive (its Upstream has none of its own).
                        upstreams.push({ name: authUpstream, server: target.resolve({ namespace: svcNamespace, name: svcName, port }), keepalive: config.keepalive });
                        locations.push(
                            renderLocation(
                                {
                                    path: internalPath,
                                    internal: true,
                                    serviceName: svcName,
                                    snippets: [],
                                    limitReqs: [],
                                    hasKeepalive: false,
                                    connectTimeout: config.proxyConnectTimeout,
                                    readTimeout: config.proxyReadTimeout,
                                    sendTimeout: config.proxySendTimeout,
                                    clientMaxBodySize: "0",
                                    proxyBuffering: false,
                                    passRequestHeaders: true,
                                    passRequestBody: "off",
                                    setHeaders: [
                                        { name: "Content-Length", value: "0" },
                                        { name: "Host", value: "$host" },
                                        { name: "X-Scheme", value: "$scheme" },
                                    ],
                                    proxyPass: `http://${authUpstream}${externalAuth.spec.authURI}`,
                                },
                                tlsRedirect,
                            ),
                        );
                    }
                    authRequest = internalPath;
                }

                const limitReqs: LocationConfig["limitReqs"] = [];
                for (const { policy, spec } of rateLimits) {
                    const zone = snake(`pol_rl_${policy.metadata.namespace}_${policy.metadata.name}_${vsr.metadata.namespace}_${vsr.metadata.name}_vsr`);
                    const rate = spec.scale ? scaleRate(spec.rate, objects.controller.replicas) : spec.rate;
                    zones.set(zone, `limit_req_zone ${spec.key} zone=${zone}:${spec.zoneSize} rate=${rate};`);
                    const noDelay = spec.noDelay ?? false;
                    limitReqs.push({ zone, ...(spec.burst ? { burst: spec.burst } : {}), ...(!noDelay && spec.delay ? { delay: spec.delay } : {}), noDelay });
                }
                const first = rateLimits[0]?.spec;
                const limitReqOptions = first ? { logLevel: first.logLevel ?? "error", rejectCode: first.rejectCode ?? 503, dryRun: first.dryRun ?? false } : undefined;

                const requestHeaders = subroute.action.proxy?.requestHeaders;
                const setHeaders: HeaderSet[] = [...(requestHeaders?.set ?? [])];
                // generateProxySetHeaders: Host "$host" unless the route sets Host itself.
                if (!setHeaders.some((header) => header.name.toLowerCase() === "host")) setHeaders.push({ name: "Host", value: "$host" });
                const passRequestHeaders = requestHeaders?.pass ?? true;
                const tls = upstream.tls?.enable ?? false;
                locations.push(
                    renderLocation(
                        {
                            path: subroute.path,
                            internal: false,
                            serviceName: upstream.service,
                            vsr: { name: vsr.metadata.name, namespace: vsr.metadata.namespace },
                            snippets: config.locationSnippets,
                            ...(authRequest ? { authRequest } : {}),
                            ...(limitReqOptions ? { limitReqOptions } : {}),
                            limitReqs,
                            hasKeepalive: (upstream.keepalive ?? config.keepalive) !== 0,
                            connectTimeout: config.proxyConnectTimeout,
                            readTimeout: config.proxyReadTimeout,
                            sendTimeout: config.proxySendTimeout,
                            clientMaxBodySize: config.clientMaxBodySize,
                            proxyBuffering: config.proxyBuffering,
                            passRequestHeaders,
                            setHeaders,
                            proxyPass: `${tls ? "https" : "http"}://${namer(upstream.name)}`,
                        },
                        tlsRedirect,
                    ),
                );
                routes.push({
                    host: vs.spec.host,
                    path: subroute.path,
                    route: key(vsr.metadata.namespace, vsr.metadata.name),
                    service: { namespace: vsr.metadata.namespace, name: upstream.service, port: upstream.port, tls },
                    ...(externalAuth ? { authUri: authRequest?.slice("/_external_auth".length) } : {}),
                    ...(authService ? { authService } : {}),
                    ...(first
                        ? {
                              rateLimit: {
                                  ratePerSecond: ratePerSecond(first.scale ? scaleRate(first.rate, objects.controller.replicas) : first.rate),
                                  burst: first.burst ?? 0,
                                  rejectCode: limitReqOptions?.rejectCode ?? 503,
                                  key: first.key,
                              },
                          }
                        : {}),
                    setHeaders,
                    passRequestHeaders,
                });
            }
        }
        servers.push(renderServer(vs, upstreams, [...zones.values()], locations, config, target));
    }
    return { conf: renderMain(config, target, servers), routes, warnings, undeclaredRoutes };
}

function renderServer(vs: VirtualServer, upstreams: RenderedUpstream[], zones: string[], locations: string[], config: ControllerConfig, target: LocalTarget): string {
    const out: string[] = [];
    for (const upstream of upstreams) {
        out.push(
            `upstream ${upstream.name} {`,
            `    zone ${upstream.name} 256k;`,
            "    random two least_conn;",
            `    server ${upstream.server} max_fails=1 fail_timeout=10s max_conns=0;`,
            ...(upstream.keepalive ? [`    keepalive ${upstream.keepalive};`] : []),
            "}",
        );
    }
    out.push(...zones);
    out.push(
        "server {",
        `    listen 127.0.0.1:${target.port};`,
        `    server_name ${vs.spec.host};`,
        `    set $resource_type "virtualserver";`,
        `    set $resource_name ${quoted(vs.metadata.name)};`,
        `    set $resource_namespace ${quoted(vs.metadata.namespace)};`,
        `    set $service "-";`,
        `    server_tokens "${config.serverTokens}";`,
        ...config.setRealIpFrom.map((cidr) => `    set_real_ip_from ${cidr};`),
        ...(config.realIpHeader ? [`    real_ip_header ${config.realIpHeader};`] : []),
        ...(config.realIpRecursive ? ["    real_ip_recursive on;"] : []),
        ...config.serverSnippets.map((snippet) => `    ${snippet}`),
        ...locations,
        "}",
    );
    return out.join("\n");
}

/** nginx.tmpl's log_format: the value split on newlines, each part single-quoted. */
function logFormat(config: ControllerConfig): string {
    if (config.logFormat === undefined) {
        return `log_format  main  '$remote_addr - $remote_user [$time_local] "$request" ' '$status $body_bytes_sent "$http_referer" ' '"$http_user_agent" "$http_x_forwarded_for"';`;
    }
    const parts = config.logFormat.split("\n").filter((part) => part !== "");
    if (parts.some((part) => part.includes("'"))) throw new EdgeObjectError("ConfigMap log-format contains a single quote, which breaks the controller's log_format line");
    return `log_format  main ${config.logFormatEscaping ? `escape=${config.logFormatEscaping} ` : ""}${parts.map((part, index) => `'${index > 0 ? " " : ""}${part}'`).join(" ")};`;
}

function renderMain(config: ControllerConfig, target: LocalTarget, servers: string[]): string {
    const p = target.prefix;
    return `# Rendered by offline/edge-render from the stack's edge objects, as controller 5.5.4 renders them (see render.ts).
worker_processes ${target.workerProcesses ?? 1};
daemon off;
error_log ${p}/error.log notice;
pid ${p}/nginx.pid;

events {
    worker_connections 1024;
}

http {
    default_type application/octet-stream;
    map_hash_max_size 2048;
    map_hash_bucket_size 256;
${config.httpSnippets.map((snippet) => `    ${snippet}`).join("\n")}
    ${logFormat(config)}
    access_log ${target.accessLog === false ? "off" : `${p}/access.log main`};

    client_body_temp_path ${p}/temp/client_body;
    proxy_temp_path ${p}/temp/proxy;
    fastcgi_temp_path ${p}/temp/fastcgi;
    uwsgi_temp_path ${p}/temp/uwsgi;
    scgi_temp_path ${p}/temp/scgi;

    sendfile on;
    keepalive_timeout 75s;
    keepalive_requests 1000;
    variables_hash_bucket_size 256;
    variables_hash_max_size 1024;

    map $request_uri $request_uri_no_args {
        "~^(?P<path>[^?]*)(\\?.*)?$" $path;
    }
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
    map $http_upgrade $default_connection_header {
        default "";
    }
    map $http_host $resource_type {
        default "";
    }
    map $http_host $resource_name {
        default "";
    }
    map $http_host $resource_namespace {
        default "";
    }
    map $http_host $service {
        default "";
    }
    map $http_upgrade $vs_connection_header {
        default upgrade;
        ''      $default_connection_header;
    }

    # Hosts no VirtualServer claims (the controller's default server answers them).
    server {
        listen 127.0.0.1:${target.port} default_server;
        server_name _;
        server_tokens "${config.serverTokens}";
        location / {
            return 404;
        }
    }

${servers.join("\n\n")}
}
`;
}
