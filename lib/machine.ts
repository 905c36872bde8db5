import os from 'node:os';
import type { MachineInfo } from './result.js';

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpus: os.availableParallelism?.() ?? cpus.length,
    model: cpus[0]?.model ?? 'unknown',
    memory_mb: Math.round(os.totalmem() / 1048576),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}
