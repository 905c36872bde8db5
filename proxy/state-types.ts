// What every request of one proxy shares (kept apart to avoid import cycles).
import type { Authenticator } from './auth.js';
import type { ProxyHooks } from './hooks.js';
import type { ProxyMetrics } from './metrics.js';
import type { Router } from './router.js';

export interface ProxyState {
  router: Router;
  hooks: ProxyHooks;
  metrics: ProxyMetrics;
  auth: Authenticator;
  /** false until started (deployments loaded, listening) */
  ready: boolean;
  /** true once a drain began: readiness answers 503 */
  draining: boolean;
  /** proxied requests not yet closed (the drain waits for 0) */
  active: number;
}
