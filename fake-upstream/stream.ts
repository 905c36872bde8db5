// SSE answers exactly as OpenAI sends them: `data: {chunk}\n\n` per chunk, then
// `data: [DONE]`. Timers carry the response as their argument (no closure per chunk).
import { DONE, type StreamShape } from './responses.js';
import { ended, firedEarly } from './answer.js';
import type { UpRes } from './server.js';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/** Starts an SSE answer now or after the TTFT. */
export function startStream(res: UpRes, shape: StreamShape, head: string, promptTokens: number, includeUsage: boolean, ttftMs: number): void {
  res.gbShape = shape;
  res.gbHead = head;
  res.gbPromptTokens = promptTokens;
  res.gbUsage = includeUsage;
  res.gbTok = 0;
  if (ttftMs <= 0) return streamFirst(res);
  res.up!.pending.add(res);
  res.gbDue = performance.now() + ttftMs;
  res.gbTimer = setTimeout(streamFirst, ttftMs, res);
}

function streamTail(res: UpRes): string {
  let s = res.gbHead + res.gbShape!.stopTail;
  if (res.gbUsage) s += res.up!.bodies.usageChunk(res.gbHead, res.gbPromptTokens);
  return s + DONE;
}

function streamFirst(res: UpRes): void {
  if (firedEarly(res, streamFirst)) return;
  const up = res.up!;
  up.pending.delete(res);
  res.gbTimer = null;
  if (res.destroyed) return;
  up.statusCounts[200]++;
  res.writeHead(200, SSE_HEADERS);
  const shape = res.gbShape!;
  const head = res.gbHead;
  const tails = shape.tokenTails;
  const n = tails.length;
  let s = shape.firstTail === '' ? '' : head + shape.firstTail;
  if (up.interTokenMs === 0 || n <= 1) {
    // No inter-token delay: the whole stream in one write.
    for (let i = 0; i < n; i++) s += head + tails[i];
    res.end(s + streamTail(res));
    if (res.gbLedger) ended(res);
    return;
  }
  res.write(s + head + tails[0]);
  res.gbTok = 1;
  up.pending.add(res);
  res.gbTimer = setTimeout(streamNext, up.interTokenMs, res);
}

function streamNext(res: UpRes): void {
  const up = res.up!;
  if (res.destroyed) {
    up.pending.delete(res);
    res.gbTimer = null;
    return;
  }
  const tails = res.gbShape!.tokenTails;
  const chunk = res.gbHead + tails[res.gbTok++];
  if (res.gbTok >= tails.length) {
    up.pending.delete(res);
    res.gbTimer = null;
    res.end(chunk + streamTail(res));
    if (res.gbLedger) ended(res);
    return;
  }
  res.write(chunk);
  res.gbTimer = setTimeout(streamNext, up.interTokenMs, res);
}
