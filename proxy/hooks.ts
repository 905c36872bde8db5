// The seam between the proxy's hot path (proxy/*) and its state (proxy/state/*: PostgreSQL keys
// and spend logs, Redis cache and limits, logging callbacks). The proxy calls these hooks; state
// modules implement them. Hooks must be cheap on the common path: a cached key is a Map lookup,
// recording a request is an array push — never an await on a database on the request path.
import type { BodyScan } from './body-scan.js';

/** What the proxy knows about the caller after auth. */
export interface AuthContext {
  /** sha256 hex of the bearer token (never the token itself); null for the master key */
  keyHash: string | null;
  isMaster: boolean;
  /** models this key may call; null = all */
  models: string[] | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  alias?: string | null;
}

export type AuthOutcome =
  | { ok: true; auth: AuthContext }
  | { ok: false; status: 401 | 403 | 429; message: string; code: string };

/** One finished request, as the spend log and the logging callbacks see it. */
export interface RequestRecord {
  requestId: string; // x-litellm-call-id
  keyHash: string | null;
  modelGroup: string; // the model name the client asked for
  deploymentId: string | null; // model_info.id
  apiBase: string | null;
  status: number;
  errorKind: string | null;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  spend: number; // USD, from the deployment's input/output cost per token (0 when unknown)
  startTimeMs: number; // wall clock (Date.now()-like, fractional allowed)
  endTimeMs: number;
  durationMs: number;
  overheadMs: number;
  cacheHit: boolean;
  user: string | null; // the request body's `user`
}

/** A cached upstream answer (exact-match response cache). */
export interface CachedResponse {
  status: number;
  contentType: string;
  body: Buffer;
  cacheKey: string;
}

/** A deployment added at runtime (POST /model/new, or loaded from the database). */
export interface DeploymentSpec {
  modelName: string;
  litellmParams: Record<string, unknown>;
  modelInfo: { id: string; [k: string]: unknown };
}

export interface ProxyHooks {
  /** Virtual-key auth. Called for bearer tokens that are not the master key. */
  authenticate?(token: string, modelGroup: string | null): AuthOutcome | Promise<AuthOutcome>;
  /** Rate limits (per key / per deployment), after auth and before the upstream call. */
  checkLimits?(auth: AuthContext, modelGroup: string): AuthOutcome | null | Promise<AuthOutcome | null>;
  /** Response-cache lookup; `rawBody` is the request body as received, `scan` the proxy's scan of it. */
  cacheGet?(modelGroup: string, rawBody: Buffer, scan?: BodyScan): CachedResponse | null | Promise<CachedResponse | null>;
  /** Store a successful non-streamed answer; fire and forget. */
  cacheSet?(modelGroup: string, rawBody: Buffer, status: number, contentType: string, body: Buffer): void;
  /** Every finished request (success or failure). Must only enqueue. */
  onRequestDone?(record: RequestRecord): void;
  /** Deployments stored in the database, to add to the router at start and when they change. */
  loadDeployments?(): Promise<DeploymentSpec[]>;
  /** Graceful drain: flush spend logs and callbacks. */
  close?(): Promise<void>;
}
