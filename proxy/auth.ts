// Bearer-token auth: the master key is compared in constant time over sha256 digests (so
// neither the key's length nor a prefix leaks); other tokens go to hooks.authenticate
// (virtual keys) when it exists, else 401. No master key configured → open, as in LiteLLM.
import { hash, timingSafeEqual } from 'node:crypto';
import type { AuthContext, AuthOutcome, ProxyHooks } from './hooks.js';

export const MASTER_AUTH: AuthContext = Object.freeze({ keyHash: null, isMaster: true, models: null, rpmLimit: null, tpmLimit: null });

const NO_KEY: AuthOutcome = { ok: false, status: 401, message: 'No API key provided: send Authorization: Bearer <key>', code: 'invalid_api_key' };
const BAD_KEY: AuthOutcome = { ok: false, status: 401, message: 'Invalid API key', code: 'invalid_api_key' };
const OPEN: AuthOutcome = { ok: true, auth: MASTER_AUTH };
const MASTER: AuthOutcome = OPEN;

export function sha256(s: string): Buffer {
  return hash('sha256', s, 'buffer') as unknown as Buffer;
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header.length < 8) return null;
  // "Bearer " in any case, as HTTP auth schemes are case-insensitive
  const c = header.charCodeAt(0) | 0x20;
  if (c !== 0x62 || header.slice(0, 7).toLowerCase() !== 'bearer ') return null;
  const token = header.slice(7).trim();
  return token.length > 0 ? token : null;
}

/**
 * The Authorization header from rawHeaders; '' (no usable key → 401) when it is sent more
 * than once, since node would silently keep the first and a proxy in front may keep the last.
 */
export function authorizationOf(raw: string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i];
    if (k.length === 13 && (k === 'authorization' || k.toLowerCase() === 'authorization')) {
      if (found !== undefined) return '';
      found = raw[i + 1];
    }
  }
  return found;
}

export class Authenticator {
  private readonly masterDigest: Buffer | null;
  constructor(masterKey: string | undefined, private readonly hooks: ProxyHooks) {
    this.masterDigest = masterKey ? sha256(masterKey) : null;
  }

  get open(): boolean {
    return this.masterDigest === null;
  }

  /** True only for the master key (management routes); false when no master key is configured. */
  isMaster(header: string | undefined): boolean {
    if (this.masterDigest === null) return false;
    const token = bearerToken(header);
    return token !== null && timingSafeEqual(sha256(token), this.masterDigest);
  }

  /** Without a master key every request is allowed. */
  check(header: string | undefined, modelGroup: string | null): AuthOutcome | Promise<AuthOutcome> {
    if (this.masterDigest === null) return OPEN;
    const token = bearerToken(header);
    if (token === null) return NO_KEY;
    if (timingSafeEqual(sha256(token), this.masterDigest)) return MASTER;
    if (this.hooks.authenticate) return this.hooks.authenticate(token, modelGroup);
    return BAD_KEY;
  }
}
