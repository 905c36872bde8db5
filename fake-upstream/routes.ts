// Routing without URL parsing: the hot routes are matched by string equality on the path.
// Route ids index the stats counters and the ledger's route column.

export const R_CHAT = 0; // POST /chat/completions
export const R_V1_CHAT = 1; // POST /v1/chat/completions
export const R_AZURE_CHAT = 2; // POST /openai/deployments/:model/chat/completions
export const R_COMPLETIONS = 3; // POST /v1/completions
export const R_EMBEDDINGS = 4; // POST /v1/embeddings
export const R_MODELS = 5; // GET /v1/models
export const R_HEALTH = 6; // GET /health
export const R_GCS = 7; // POST /upload/storage/v1/b/:bucket/o
export const R_LS_BATCH = 8; // POST /runs/batch
export const R_LS_RUN = 9; // POST /runs
export const R_WEBHOOK = 10; // POST /webhook
export const R_NOT_FOUND = 11;
export const R_ADMIN_LEDGER = 12;
export const R_ADMIN_STATS = 13;
export const R_ADMIN_RESET = 14;

export const ROUTE_NAMES = [
  '/chat/completions',
  '/v1/chat/completions',
  '/openai/deployments/:model/chat/completions',
  '/v1/completions',
  '/v1/embeddings',
  '/v1/models',
  '/health',
  '/upload/storage/v1/b/:bucket/o',
  '/runs/batch',
  '/runs',
  '/webhook',
  'not_found',
  '/__gatebench/ledger',
  '/__gatebench/stats',
  '/__gatebench/reset',
];
export const ROUTE_COUNT = 12; // routes counted in stats (admin routes are not)

/** Routes whose answer goes in the ledger. */
export function isModelRoute(route: number): boolean {
  return route <= R_EMBEDDINGS;
}

const AZURE_PREFIX = '/openai/deployments/';
const CHAT_SUFFIX = '/chat/completions';
const GCS_PREFIX = '/upload/storage/v1/b/';

export function routeOf(method: string | undefined, path: string): number {
  if (method === 'POST') {
    switch (path) {
      case '/v1/chat/completions':
        return R_V1_CHAT;
      case '/chat/completions':
        return R_CHAT;
      case '/v1/completions':
      case '/completions':
        return R_COMPLETIONS;
      case '/v1/embeddings':
      case '/embeddings':
        return R_EMBEDDINGS;
      case '/runs/batch':
      case '/api/v1/runs/batch':
        return R_LS_BATCH;
      case '/runs':
      case '/api/v1/runs':
        return R_LS_RUN;
      case '/webhook':
        return R_WEBHOOK;
      case '/__gatebench/reset':
        return R_ADMIN_RESET;
    }
    if (path.startsWith(AZURE_PREFIX) && path.endsWith(CHAT_SUFFIX) && path.length > AZURE_PREFIX.length + CHAT_SUFFIX.length) {
      const model = path.slice(AZURE_PREFIX.length, path.length - CHAT_SUFFIX.length);
      if (model.indexOf('/') < 0) return R_AZURE_CHAT;
    }
    if (path.startsWith(GCS_PREFIX) && path.endsWith('/o') && path.indexOf('/', GCS_PREFIX.length) === path.length - 2) return R_GCS;
    return R_NOT_FOUND;
  }
  if (method === 'GET' || method === 'HEAD') {
    switch (path) {
      case '/v1/models':
      case '/models':
        return R_MODELS;
      case '/health':
      case '/health/liveliness':
      case '/health/readiness':
        return R_HEALTH;
      case '/__gatebench/ledger':
        return R_ADMIN_LEDGER;
      case '/__gatebench/stats':
        return R_ADMIN_STATS;
    }
  }
  return R_NOT_FOUND;
}
