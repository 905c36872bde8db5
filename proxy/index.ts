// The reference gateway's public API.
export { loadProxyConfigFile, parseProxyConfig, resolveEnv, type ProxyConfig } from './config.js';
export { createProxy, type CreateProxyOptions, type Proxy, type ProxyPlugin, type ProxyPluginOptions } from './server.js';
export { Router, type RouterSettings } from './router.js';
export { Deployment, splitApiBase } from './deployment.js';
export type { ProxyState } from './state-types.js';
export type * from './hooks.js';
