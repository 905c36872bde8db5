// The LiteLLM-style config written for a gateway under test: one model name routed to the
// run's fake upstream. The reference proxy and LiteLLM read the same file, so both do the
// same work per request (the seed's config, with api_base pointing at our upstream).
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export const DEFAULT_MODEL = 'fake-openai-endpoint';

export function gatewayConfig(upstreamUrl: string, model = DEFAULT_MODEL): Record<string, unknown> {
  return {
    model_list: [
      {
        model_name: model,
        litellm_params: { model: 'openai/any', api_base: `${new URL(upstreamUrl).origin}/v1`, api_key: 'test' },
      },
    ],
  };
}

export async function writeConfig(path: string, config: Record<string, unknown>): Promise<string> {
  await writeFile(path, `# written by gatebench for this run (runner/targets/gateway-config.ts)\n${stringify(config)}`);
  return path;
}
