// The model routes: chat completions (JSON and SSE), legacy completions, embeddings.
import { scanBody, uuidWords } from './body-scan.js';
import { ERR_BODY } from './responses.js';
import { R_AZURE_CHAT, R_COMPLETIONS, R_EMBEDDINGS } from './routes.js';
import { answerAfter, applyFault, send } from './answer.js';
import { rawHeader } from './raw-header.js';
import type { UpReq, UpRes, Upstream } from './server.js';
import { startStream } from './stream.js';

interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  prompt?: unknown;
  input?: unknown;
  encoding_format?: unknown;
}

const AZURE_PREFIX_LEN = '/openai/deployments/'.length;
const CHAT_SUFFIX_LEN = '/chat/completions'.length;

function headerNumber(v: string | null): number {
  if (v === null) return -1;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : -1;
}

// The model names a benchmark uses are few: keep their JSON form (bounded, cleared when full).
const modelJsonCache = new Map<string, string>();

function jsonOfModel(model: string): string {
  let j = modelJsonCache.get(model);
  if (j === undefined) {
    if (modelJsonCache.size >= 256) modelJsonCache.clear();
    j = JSON.stringify(model);
    modelJsonCache.set(model, j);
  }
  return j;
}

function modelJsonOf(req: UpReq, res: UpRes, b: ChatBody): string | null {
  if (typeof b.model === 'string' && b.model.length > 0) return jsonOfModel(b.model);
  if (res.gbRoute === R_AZURE_CHAT) {
    // Azure puts the deployment in the path; the body's model is optional.
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    return JSON.stringify(decodeURIComponent(path.slice(AZURE_PREFIX_LEN, path.length - CHAT_SUFFIX_LEN)));
  }
  send(res, 400, ERR_BODY.missingModel);
  return null;
}

function stringChars(v: unknown): number {
  if (typeof v === 'string') return v.length;
  if (Array.isArray(v)) {
    let n = 0;
    for (const x of v) n += typeof x === 'string' ? x.length : Array.isArray(x) ? x.length * 4 : 4;
    return n;
  }
  return 0;
}

function headerId(req: UpReq): string | null {
  return rawHeader(req, 'x-request-id');
}

export function handleModelBody(up: Upstream, req: UpReq, res: UpRes, body: Buffer): void {
  const scanned = scanBody(body);
  if (scanned === null) {
    res.gbId = headerId(req);
    return send(res, 400, ERR_BODY.invalidJson);
  }
  const b = scanned.json as ChatBody;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return send(res, 400, ERR_BODY.notObject);
  const route = res.gbRoute;
  // The ledger id: the uuid the load generator put at the start of the prompt, else the header.
  if (scanned.uuidBinary) {
    res.gbUuid = true;
    res.gbU0 = uuidWords[0];
    res.gbU1 = uuidWords[1];
    res.gbU2 = uuidWords[2];
    res.gbU3 = uuidWords[3];
  } else res.gbId = scanned.uuid ?? headerId(req);

  if (route === R_EMBEDDINGS) {
    if (b.input === undefined || b.input === null) return send(res, 400, ERR_BODY.missingInput);
  } else if (route === R_COMPLETIONS) {
    if (b.prompt === undefined || b.prompt === null) return send(res, 400, ERR_BODY.missingPrompt);
  } else {
    if (b.messages === undefined || b.messages === null) return send(res, 400, ERR_BODY.missingMessages);
    if (!Array.isArray(b.messages)) return send(res, 400, ERR_BODY.messagesNotArray);
  }
  const modelJson = modelJsonOf(req, res, b);
  if (modelJson === null) return;

  if (up.faults.active && applyFault(up, req, res)) return;
  // LiteLLM's fake-endpoint conventions.
  if (modelJson === '"429"') return send(res, 429, ERR_BODY.rateLimit);
  let delay = headerNumber(rawHeader(req, 'x-fake-latency-ms'));
  const randomSleep = modelJson === '"random_sleep"';
  if (randomSleep) delay = 1000 + up.rng() * 9000;

  if (route === R_EMBEDDINGS) {
    const input = b.input;
    const count = Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number' ? input.length : 1;
    const tokens = Math.max(1, Math.ceil(stringChars(input) / 4));
    if (delay < 0) delay = up.latencyZero ? 0 : up.latency();
    if (up.capacity !== null) delay = up.capacity.admit(delay);
    return answerAfter(res, delay, up.bodies.embeddings(modelJson, count, b.encoding_format === 'base64', tokens));
  }
  const completions = route === R_COMPLETIONS;
  const promptTokens = Math.max(1, Math.ceil((completions ? stringChars(b.prompt) : scanned.contentChars) / 4));
  if (b.stream === true) {
    const includeUsage = b.stream_options != null && typeof b.stream_options === 'object' && b.stream_options.include_usage === true;
    if (delay < 0) delay = up.ttftZero ? 0 : up.ttft();
    // a stream holds its server until its first token (its tokens then flow without one)
    if (up.capacity !== null) delay = up.capacity.admit(delay);
    const bodies = up.bodies;
    if (completions) return startStream(res, bodies.completionStream, bodies.completionChunkHead(modelJson), promptTokens, includeUsage, delay);
    return startStream(res, bodies.chatStream, bodies.chatChunkHead(modelJson), promptTokens, includeUsage, delay);
  }
  if (completions) {
    if (delay < 0) delay = up.latencyZero ? 0 : up.latency();
    if (up.capacity !== null) delay = up.capacity.admit(delay);
    return answerAfter(res, delay, up.bodies.completion(modelJson, promptTokens));
  }
  if (delay < 0) delay = up.latencyZero ? 0 : up.latency();
  if (up.capacity !== null) delay = up.capacity.admit(delay);
  answerAfter(res, delay, up.bodies.chat(modelJson, promptTokens));
}
