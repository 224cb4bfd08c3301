// Identity store: who may sign requests — the root key pair from config plus the users of
// --identities-file (identities-file.ts); lookups are a Map hit on the request path (no I/O).

import { AuthError } from './errors.js';

export interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  /** Display name / owner id for ACL and listing output. */
  displayName: string;
  /**
   * The node's administrator. Bucket policies' Deny statements bind it like any caller, except that it
   * (and a bucket's owner) may always Get/Put/DeleteBucketPolicy, so no policy can lock it out.
   */
  isRoot: boolean;
  /** Optional e-mail address: what an ACL grant to an "AmazonCustomerByEmail" grantee resolves against. */
  email?: string;
}

export interface IdentityLookup {
  lookup(accessKeyId: string): Identity | undefined;
  /** The identity with this e-mail address (case-insensitive), if any. */
  lookupByEmail?(email: string): Identity | undefined;
}

export const ACCESS_KEY_ID_MIN_CHARS = 3;
export const ACCESS_KEY_ID_MAX_CHARS = 128;
export const SECRET_ACCESS_KEY_MIN_CHARS = 8;
export const SECRET_ACCESS_KEY_MAX_CHARS = 256;
export const MAX_IDENTITIES = 10_000;

/**
 * Access key ids appear inside "Credential=AKID/date/…" (and "AWS AKID:sig" for SigV2), so they must not
 * contain '/', ',', ':', '=', whitespace or non-ASCII. Real AWS keys are upper-case alphanumerics.
 */
export function isValidAccessKeyId(id: string): boolean {
  if (id.length < ACCESS_KEY_ID_MIN_CHARS || id.length > ACCESS_KEY_ID_MAX_CHARS) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e;
    if (!ok) return false;
  }
  return true;
}

function isValidSecret(s: string): boolean {
  if (s.length < SECRET_ACCESS_KEY_MIN_CHARS || s.length > SECRET_ACCESS_KEY_MAX_CHARS) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

export class IdentityStore implements IdentityLookup {
  private readonly byKey = new Map<string, Identity>();
  /** Lower-cased e-mail → identity; addresses are unique, so a grant by e-mail names one user. */
  private readonly byEmail = new Map<string, Identity>();

  /** Build the store from config: the root pair plus optional extra identities. */
  static fromConfig(root: { accessKeyId: string; secretAccessKey: string; displayName?: string }, extra: ReadonlyArray<Omit<Identity, 'isRoot'>> = []): IdentityStore {
    const s = new IdentityStore();
    s.add({ accessKeyId: root.accessKeyId, secretAccessKey: root.secretAccessKey, displayName: root.displayName ?? 'root', isRoot: true });
    for (const e of extra) s.add({ ...e, isRoot: false });
    return s;
  }

  /** Throws AuthError('InvalidArgument') on a malformed key pair or a duplicate id: config errors fail startup. */
  add(identity: Identity): void {
    if (!isValidAccessKeyId(identity.accessKeyId)) {
      throw new AuthError('InvalidArgument', `access key id must be ${ACCESS_KEY_ID_MIN_CHARS}..${ACCESS_KEY_ID_MAX_CHARS} chars of [A-Za-z0-9._-]`);
    }
    if (!isValidSecret(identity.secretAccessKey)) {
      throw new AuthError('InvalidArgument', `secret access key must be ${SECRET_ACCESS_KEY_MIN_CHARS}..${SECRET_ACCESS_KEY_MAX_CHARS} printable ASCII chars`);
    }
    if (this.byKey.has(identity.accessKeyId)) throw new AuthError('InvalidArgument', `duplicate access key id ${identity.accessKeyId}`);
    if (this.byKey.size >= MAX_IDENTITIES) throw new AuthError('InvalidArgument', `at most ${MAX_IDENTITIES} identities`);
    const email = identity.email?.toLowerCase();
    if (email !== undefined && this.byEmail.has(email)) throw new AuthError('InvalidArgument', 'duplicate email');
    const frozen = Object.freeze({ ...identity });
    this.byKey.set(identity.accessKeyId, frozen);
    if (email !== undefined) this.byEmail.set(email, frozen);
  }

  remove(accessKeyId: string): boolean {
    const email = this.byKey.get(accessKeyId)?.email?.toLowerCase();
    if (email !== undefined) this.byEmail.delete(email);
    return this.byKey.delete(accessKeyId);
  }

  lookup(accessKeyId: string): Identity | undefined {
    return this.byKey.get(accessKeyId);
  }

  lookupByEmail(email: string): Identity | undefined {
    return this.byEmail.get(email.toLowerCase());
  }

  get size(): number {
    return this.byKey.size;
  }
}
