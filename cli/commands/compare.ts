import type { Command } from 'commander';

export function register(program: Command): void {
  program.command('compare').description('(not built yet)');
}
