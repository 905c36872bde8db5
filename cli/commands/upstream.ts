import type { Command } from 'commander';

export function register(program: Command): void {
  program.command('upstream').description('(not built yet)');
}
