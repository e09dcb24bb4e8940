import type { CacheUse, Decision } from './decision.js';
import type { Logger } from './log.js';
import type { Requirement } from './requirements.js';
import type { VerifiedIdentity } from './verify.js';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * One log line per decision: who (the verified identity), which route and what it requires, the
 * outcome and why. Never the token or the Authorization header: every field is named here.
 *
 * A hot client sends the same token to the same route over and over, so the identity's and the
 * route's fields are serialised once, as pino child-logger bindings, and only the per-request fields
 * each time. Children are keyed by the objects themselves: a cached identity is the same object on
 * every hit, and a route's requirement is memoised (requirements.ts), so entries go when those do.
 */
export class DecisionLog {
  private readonly byRequirement = new WeakMap<Requirement, Logger>();
  private readonly byIdentity = new WeakMap<VerifiedIdentity, WeakMap<Requirement, Logger>>();

  constructor(private readonly logger: Logger) {}

  write(decision: Decision, durationSeconds: number, requestId: string | undefined): void {
    const line = {
      requestId: requestId !== undefined && REQUEST_ID.test(requestId) ? requestId : undefined,
      decision: decision.outcome,
      status: decision.status,
      reason: decision.reason,
      cache: decision.cache,
      durationMs: Math.round(durationSeconds * 1e6) / 1e3,
    };
    const logger = this.loggerFor(decision.identity, decision.requirement, decision.cache);
    if (decision.outcome === 'error') logger.error(line, 'decision');
    else logger.info(line, 'decision');
  }

  private loggerFor(identity: VerifiedIdentity | undefined, requirement: Requirement | undefined, cache: CacheUse): Logger {
    if (requirement === undefined) {
      // Refused before the route's requirement was known (bad or missing requirement, token in query).
      return identity === undefined ? this.logger : this.logger.child(identityFields(identity));
    }
    if (identity === undefined) {
      let logger = this.byRequirement.get(requirement);
      if (logger === undefined) {
        logger = this.logger.child(requirementFields(requirement));
        this.byRequirement.set(requirement, logger);
      }
      return logger;
    }
    // With the cache off every identity is new: nothing to reuse, so no child kept.
    if (cache === 'off') return this.logger.child({ ...identityFields(identity), ...requirementFields(requirement) });
    let routes = this.byIdentity.get(identity);
    if (routes === undefined) {
      routes = new WeakMap();
      this.byIdentity.set(identity, routes);
    }
    let logger = routes.get(requirement);
    if (logger === undefined) {
      logger = this.logger.child({ ...identityFields(identity), ...requirementFields(requirement) });
      routes.set(requirement, logger);
    }
    return logger;
  }
}

const identityFields = (identity: VerifiedIdentity): Record<string, unknown> => ({
  subject: identity.subject,
  objectId: identity.objectId,
  appId: identity.appId,
  roles: identity.roles,
});

// The route from its own authURI (the client's URI never reaches the authorizer).
const requirementFields = (requirement: Requirement): Record<string, unknown> => ({
  route: requirement.route,
  requiredRoles: requirement.roles,
  requiredScopes: requirement.scopes,
});
