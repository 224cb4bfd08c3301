// Shared test fixtures: an identity store, and turning a signed client request into an AuthRequest.
import { IdentityStore } from '../../src/auth/identities.js';
import type { AuthRequest } from '../../src/auth/verify.js';

export const AKID = 'AKIAIOSFODNN7EXAMPLE';
export const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const REGION = 'us-east-1';
export const identities = IdentityStore.fromConfig({ accessKeyId: AKID, secretAccessKey: SECRET });

/** Lower-case names, duplicate values joined with ',' — what the HTTP layer hands to authenticate. */
export function lowerHeaders(h: Record<string, string | string[] | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const lk = k.toLowerCase();
    const val = Array.isArray(v) ? v.join(',') : String(v);
    out[lk] = out[lk] === undefined ? val : out[lk] + ',' + val;
  }
  return out;
}

/** Query object → wire query the way @smithy/querystring-builder writes it. */
export function smithyQueryString(query: Record<string, string | string[] | null | undefined>): string {
  const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const v = query[key];
    if (v === null || v === undefined) {
      parts.push(enc(key));
    } else if (Array.isArray(v)) {
      for (const x of v) parts.push(enc(key) + '=' + enc(x));
    } else parts.push(enc(key) + '=' + enc(v));
  }
  return parts.join('&');
}

export function req(method: string, rawPath: string, rawQuery: string, headers: Record<string, string>): AuthRequest {
  return { method, rawPath, rawQuery, headers };
}
