// The seed's request (the Locust script on LiteLLM's benchmark page): a ~11 KB prompt
// that starts with a uuid — the request id the fake upstream's ledger keys on — so
// nothing is a cache hit.
import type { RequestTemplateConfig } from './config.js';

export const SEED_SENTENCE = "This is a test there will be no cache hits and we'll fill up the context";

export const SEED_TEMPLATE: RequestTemplateConfig = {
  name: '/chat/completions',
  method: 'POST',
  path: '/chat/completions',
  headers: { Authorization: 'Bearer {{env.API_KEY:-sk-1234567890}}' },
  body: {
    model: 'db-openai-endpoint',
    messages: [{ role: 'user', content: `{{uuid}} {{repeat 150 "${SEED_SENTENCE}"}}` }],
    user: 'my-new-end-user-1',
  },
};
