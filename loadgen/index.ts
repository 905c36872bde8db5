// The load generator's public API (the runner calls it for `bench run`; `bench load` too).
// It knows nothing of proxies or scenarios.
export { validateLoadOptions, type LoadOptions, type ResolvedLoadOptions, type ClosedModelConfig, type OpenModelConfig, type RequestTemplateConfig, type WaitConfig } from './config.js';
export { startLoad, type LoadRun, type SecondTotals } from './run.js';
export { aggregate, percentilesOf, mergeEncoded, decode, encode, currentRps, type LoadResult, type Recorded } from './aggregate.js';
export { SEED_TEMPLATE, SEED_SENTENCE } from './seed.js';
export { RequestTimes } from './recorder.js';
