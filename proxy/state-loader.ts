// Wires the state modules (proxy/state: PostgreSQL keys and spend logs, Redis cache and
// limits, logging callbacks) into `bench proxy`, only when the config asks for state:
// a database_url (or DATABASE_URL), a cache, Redis router settings or logging callbacks.
// A config with none of these runs stateless, like LiteLLM without a database — so the
// plain benchmark does not start an embedded PostgreSQL.
import type { FastifyInstance } from 'fastify';
import type { ProxyConfig } from './config.js';
import type { ProxyHooks } from './hooks.js';
import type { RawConfig } from './state/index.js';
import type { ProxyPlugin, ProxyPluginOptions } from './server.js';

export interface LoadedState {
  hooks?: ProxyHooks;
  plugins: ProxyPlugin[];
  /** state metrics to expose on /metrics (registered once the proxy exists) */
  metrics?: () => Record<string, number>;
}

export function wantsState(cfg: ProxyConfig): boolean {
  const g = cfg.general_settings;
  const l = cfg.litellm_settings;
  const r = cfg.router_settings;
  return Boolean(
    g.database_url ||
      process.env.DATABASE_URL ||
      l.cache ||
      l.callbacks?.length ||
      l.success_callback?.length ||
      l.failure_callback?.length ||
      r.redis_host ||
      r.redis_url,
  );
}

export async function loadState(cfg: ProxyConfig): Promise<LoadedState> {
  if (!wantsState(cfg)) return { plugins: [] };
  // loaded only when state is wanted: a stateless proxy never pays for pg, ioredis and the rest
  const { createStateHooks } = await import('./state/index.js');
  // the state modules read the config's sections loosely (RawConfig): the proxy's parsed config is one
  const state = await createStateHooks({ config: cfg as unknown as RawConfig });
  const management: ProxyPlugin = async (app: FastifyInstance, opts: ProxyPluginOptions) => {
    await app.register(state.managementPlugin as never, {
      isMaster: (h: string | undefined) => opts.state.auth.isMaster(h),
      addDeployment: (s: Parameters<typeof opts.router.addDeployment>[0]) => void opts.router.addDeployment(s),
    });
  };
  return { hooks: state.hooks, plugins: [management], metrics: () => state.metrics() };
}
