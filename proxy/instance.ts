// One proxy process's life: config → state (when the config asks for it) → createProxy →
// listen. Shared by `bench proxy --instances 1` and each forked worker.
import { registerPromMetrics } from './state/prom.js';
import { loadProxyConfigFile } from './config.js';
import { createProxy } from './server.js';
import { loadState } from './state-loader.js';

export interface InstanceOptions {
  configPath: string;
  port: number;
  host: string;
  connections: number | null;
}

export async function startInstance(opts: InstanceOptions): Promise<{ url: string; close(): Promise<void> }> {
  const config = await loadProxyConfigFile(opts.configPath);
  const state = await loadState(config);
  const proxy = await createProxy({ config, hooks: state.hooks, plugins: state.plugins, connections: opts.connections ?? undefined });
  if (state.metrics) registerPromMetrics(state.metrics, proxy.metrics.registry);
  const url = await proxy.listen(opts.port, opts.host);
  return { url, close: () => proxy.close() };
}
