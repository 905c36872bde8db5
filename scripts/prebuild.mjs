// tsc never deletes what it built before: a renamed or removed test would live on in dist/test
// and keep running under `npm test`. Build from an empty dist/.
import { rmSync } from 'node:fs';
rmSync('dist', { recursive: true, force: true });
