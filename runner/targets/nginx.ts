// `nginx`: proxy_pass with upstream keep-alive — the floor of what one proxy hop costs.
// Needs nginx on PATH; nothing is downloaded. The conf lives in the target's temp dir with
// every path nginx writes (pid, error log, temp dirs) inside it, so it runs as any user
// next to a system nginx and leaves nothing behind.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ERR_SERVICE_START } from '../../lib/errors.js';
import { errorText, findOnPath, freePort, httpProbe, spawnService } from '../../lib/process.js';
import type { NginxSpec } from './targets-schema.js';
import { startTimeout, type StartOutcome, type TargetContext } from './types.js';

export function nginxConf(opts: { dir: string; port: number; upstreamHost: string; keepalive: number; asRoot: boolean }): string {
  const d = opts.dir;
  return `# written by gatebench (runner/targets/nginx.ts)
# One worker: the Node gateways it is compared with run one event loop each, and on a small
# machine more workers would only compete with the load generator for the same cores.
worker_processes 1;
daemon off;
master_process on;
${opts.asRoot ? '# as root, workers would run as nobody and could not enter our private temp dir\nuser root;\n' : ''}pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  # the seed's ~11 KB body stays in memory instead of a temp file
  client_body_buffer_size 1m;
  client_max_body_size 16m;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  upstream fake_upstream {
    server ${opts.upstreamHost};
    keepalive ${opts.keepalive};
  }
  server {
    listen 127.0.0.1:${opts.port};
    location / {
      proxy_pass http://fake_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 64k;
      proxy_buffers 8 64k;
      proxy_max_temp_file_size 0;
    }
  }
}
`;
}

export async function start(spec: NginxSpec, ctx: TargetContext, name = 'nginx'): Promise<StartOutcome> {
  const bin = findOnPath('nginx');
  if (!bin) return { unavailable: 'nginx not on PATH: apt-get install nginx' };
  const dir = join(ctx.tmpDir, `nginx-${name}`);
  await mkdir(dir, { recursive: true });
  const upstreamHost = new URL(ctx.upstreamUrl).host;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let lastErr = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, nginxConf({ dir, port, upstreamHost, keepalive: spec.keepalive ?? 64, asRoot }));
    // -e: the startup error log before the conf is read (otherwise /var/log/nginx/error.log)
    const svc = spawnService('nginx', bin, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { termGroup: true, onSpawn: (c) => ctx.registry?.trackChild(c) });
    try {
      // any answer (the upstream's 404 for GET /) means nginx listens and reaches the upstream
      await svc.waitReady({ probe: httpProbe(`http://127.0.0.1:${port}/health`), timeoutMs: startTimeout(spec, ctx, 10_000) });
    } catch (err) {
      await svc.stop(1000);
      lastErr = errorText(err);
      if (!/Address already in use/.test(lastErr)) break;
      continue;
    }
    return {
      name,
      kind: 'nginx',
      baseUrls: [`http://127.0.0.1:${port}`],
      chatPath: '/v1/chat/completions',
      headers: { ...spec.headers },
      pids: [svc.pid],
      // SIGTERM is nginx's fast shutdown; SIGQUIT would wait for keep-alive clients
      stop: async () => {
        await svc.stop(5000);
      },
    };
  }
  throw ERR_SERVICE_START(['nginx', lastErr]);
}
