// tsc does not keep the executable bit: give it to the CLI entry so `dist/cli/bench.js` runs directly.
import { chmodSync } from 'node:fs';
chmodSync('dist/cli/bench.js', 0o755);
