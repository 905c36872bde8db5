// Runs the compiled `bench` CLI as a user would and collects what it printed and its exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_CLI = fileURLToPath(new URL('../../cli/bench.js', import.meta.url));

export interface BenchOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface BenchRunOptions {
  /** added to (or overriding) this process's environment */
  env?: NodeJS.ProcessEnv;
  /** variables of this process's environment the child must not inherit (`env` may still set them) */
  unset?: readonly string[];
  cwd?: string;
}

export function runBench(args: readonly string[], o: BenchRunOptions = {}): Promise<BenchOutput> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of o.unset ?? []) delete env[k];
  Object.assign(env, o.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, ...(o.cwd ? { cwd: o.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
