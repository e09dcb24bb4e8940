import assert from 'node:assert/strict';
import { BoundedLabelValues } from '../../../services/edge-authorizer/src/bounded-labels.js';
import { AuthorizerMetrics } from '../../../services/edge-authorizer/src/metrics.js';

describe('metric labels a caller chooses', () => {
  it('keeps the first values it sees and counts every later new one as other', () => {
    const labels = new BoundedLabelValues(2);
    assert.deepEqual(['a', 'b', 'c', 'a', 'd', 'b'].map((value) => labels.label(value)), ['a', 'b', 'other', 'a', 'other', 'b']);
  });

  it('bounds the authorizer\'s route label at 256 series, whatever routes callers name', async () => {
    const metrics = new AuthorizerMetrics({ processMetrics: false });
    for (let i = 0; i < 300; i += 1) metrics.recordDecision('deny', 'missing_token', 'none', 0.0001, `team-${i}/route`);
    const text = await metrics.registry.metrics();
    const routes = new Set([...text.matchAll(/edge_authorizer_decisions_total\{route="([^"]+)"/g)].map((match) => match[1]));
    assert.equal(routes.size, 257);
    assert.ok(routes.has('other'));
    assert.match(text, /edge_authorizer_decisions_total\{route="other",outcome="deny",reason="missing_token"\} 44/);
  });
});
