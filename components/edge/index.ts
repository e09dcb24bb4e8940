/** Edge components: the NGINX ingress controller, the edge authorizer, hosts and protected routes. */
export { EdgeAuthorizer, type EdgeAuthorizerArgs } from "./authorizer";
export { EdgeHost, type EdgeHostArgs } from "./edge-host";
export { ACCESS_LOG_FORMAT, IngressController, ingressControllerValues, keyVaultObjects, type IngressControllerArgs } from "./ingress-controller";
export { ProtectedRoute, type EdgeRef, type ProtectedRouteArgs, type ProtectedRouteBackend } from "./protected-route";
