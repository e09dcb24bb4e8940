import assert from 'node:assert/strict';
import { ConfigError } from '../../../services/edge-authorizer/src/config.js';
import { loadSwapConfig } from '../../../services/edge-authorizer/src/swap/config.js';
import { TEST_WORKSPACE_ID } from '../../../services/edge-authorizer/testkit/swap.js';

/** The variables the Deployment and the workload identity webhook set (components/edge/aml-token-swap.ts). */
const deployed = {
  SWAP_PORT: '8080',
  SWAP_WORKSPACE_ID: TEST_WORKSPACE_ID,
  SWAP_ROUTER_URL: 'https://azureml-fe.azureml.svc.cluster.local:443',
  AZURE_CLIENT_ID: '5a0c8d0e-8f3b-4b8e-9a51-2f4d7c1e6b90',
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_FEDERATED_TOKEN_FILE: '/var/run/secrets/azure/tokens/azure-identity-token',
};

describe('aml-token-swap configuration: the metrics port', () => {
  it('serves metrics on 9464 unless told otherwise', () => {
    assert.equal(loadSwapConfig(deployed).metricsPort, 9464);
    assert.equal(loadSwapConfig({ ...deployed, SWAP_METRICS_PORT: '9100' }).metricsPort, 9100);
  });

  it('refuses the inference port as the metrics port, and a port out of range', () => {
    assert.throws(() => loadSwapConfig({ ...deployed, SWAP_METRICS_PORT: '8080' }), (error: unknown) => error instanceof ConfigError && error.variable === 'SWAP_METRICS_PORT' && /port of their own/.test(error.message));
    assert.throws(() => loadSwapConfig({ ...deployed, SWAP_METRICS_PORT: '70000' }), (error: unknown) => error instanceof ConfigError && error.variable === 'SWAP_METRICS_PORT');
  });
});
