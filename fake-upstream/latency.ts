// Latency models compiled once into samplers, so the hot path only calls a function.
import type { LatencyModel } from './types.js';
import type { Rng } from './random.js';

export type Sampler = () => number;

// z of the 99th percentile of the standard normal: lognormal(median, p99) → sigma.
const Z99 = 2.3263478740408408;

function gaussian(rng: Rng): number {
  // Box–Muller; 1 - u keeps log() away from 0.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Returns a function giving a delay in ms (>= 0) drawn from the model. */
export function compileLatency(model: LatencyModel, rng: Rng): Sampler {
  switch (model.kind) {
    case 'fixed': {
      const ms = Math.max(0, model.ms);
      return () => ms;
    }
    case 'uniform': {
      const min = Math.max(0, model.min);
      const span = Math.max(0, model.max - min);
      return () => min + rng() * span;
    }
    case 'normal': {
      const { mean, stddev } = model;
      return () => Math.max(0, mean + stddev * gaussian(rng));
    }
    case 'lognormal': {
      const mu = Math.log(Math.max(model.median, 1e-6));
      const sigma = Math.max(0, (Math.log(Math.max(model.p99, model.median, 1e-6)) - mu) / Z99);
      return () => Math.exp(mu + sigma * gaussian(rng));
    }
  }
}

/** True when the model always gives 0 ms: the server then answers without a timer. */
export function isZero(model: LatencyModel): boolean {
  return model.kind === 'fixed' && model.ms <= 0;
}
