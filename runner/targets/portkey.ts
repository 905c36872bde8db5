// `portkey`: Portkey's open-source gateway from npm (@portkey-ai/gateway, pinned in
// package.json), started with --headless (otherwise it spends CPU on its log UI) on a free
// port (`--port=N`: it ignores `--port N`). Requests name the provider and the upstream in
// headers, so no config file is needed.
import { createRequire } from 'node:module';
import { errorText, freePort, spawnService } from '../../lib/process.js';
import type { PortkeySpec } from './targets-schema.js';
import { startTimeout, type StartOutcome, type TargetContext } from './types.js';
import { ERR_SERVICE_START } from '../../lib/errors.js';

const PKG = '@portkey-ai/gateway';
export const PORTKEY_VERSION = '1.15.2';

export function portkeyEntry(): string | null {
  try {
    return createRequire(import.meta.url).resolve(`${PKG}/build/start-server.js`);
  } catch {
    return null;
  }
}

export async function start(spec: PortkeySpec, ctx: TargetContext, name = 'portkey'): Promise<StartOutcome> {
  const entry = portkeyEntry();
  if (!entry) return { unavailable: `${PKG} is not installed: npm install --save-dev --save-exact ${PKG}@${PORTKEY_VERSION}` };
  let lastErr = '';
  // a free port can be taken between our probe and Portkey's listen: try a few
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const svc = spawnService('portkey', process.execPath, [entry, '--headless', `--port=${port}`], { cwd: ctx.tmpDir, termGroup: true, onSpawn: (c) => ctx.registry?.trackChild(c) });
    try {
      await svc.waitReady({ line: (l) => (l.includes('Ready for connections') ? true : null), timeoutMs: startTimeout(spec, ctx, 30_000) });
    } catch (err) {
      await svc.stop(1000);
      lastErr = errorText(err);
      if (!/EADDRINUSE/.test(lastErr)) break;
      continue;
    }
    return {
      name,
      kind: 'portkey',
      baseUrls: [`http://127.0.0.1:${port}`],
      chatPath: '/v1/chat/completions',
      headers: {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': `${new URL(ctx.upstreamUrl).origin}/v1`,
        authorization: 'Bearer test',
        ...spec.headers,
      },
      pids: [svc.pid],
      stop: async () => {
        await svc.stop(5000);
      },
    };
  }
  throw ERR_SERVICE_START(['portkey', lastErr]);
}
