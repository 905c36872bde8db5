// Writes scenarios/schema.json (the JSON Schema editors use for scenario files) from the zod
// schema in runner/scenario-schema.ts. Run after `npm run build`; a test checks it is current.
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../dist/runner/scenario-schema.js';

writeFileSync(new URL('../scenarios/schema.json', import.meta.url), `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
console.log('wrote scenarios/schema.json');
