// Handlers of `bench report` and `bench compare` (cli/commands/{report,compare}.ts).
import { writeFileSync } from 'node:fs';
import { ERR_INVALID_ARG } from '../lib/errors.js';
import { renderCompare } from './compare.js';
import { renderConsole } from './console.js';
import { renderHtml } from './html.js';
import { readResult } from '../lib/result-file.js';
import { renderMarkdown } from './markdown.js';

export const FORMATS = ['console', 'md', 'html', 'json'] as const;

export function reportCommand(file: string, opts: { format?: string; out?: string }): void {
  const format = opts.format ?? 'console';
  if (!(FORMATS as readonly string[]).includes(format)) throw ERR_INVALID_ARG(['--format', `expected one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`]);
  const r = readResult(file);
  const text = format === 'md' ? renderMarkdown(r) : format === 'html' ? renderHtml(r) : format === 'json' ? `${JSON.stringify(r, null, 1)}\n` : renderConsole(r);
  if (opts.out) {
    writeFileSync(opts.out, text);
    process.stderr.write(`wrote ${opts.out}\n`);
  } else process.stdout.write(text);
}

export function compareCommand(a: string, b: string): void {
  process.stdout.write(renderCompare(readResult(a), readResult(b), [a, b]));
}
