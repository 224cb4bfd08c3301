// The operator's identities file (--identities-file / STRATA_IDENTITIES_FILE): extra users besides
// the root key pair, as a JSON array [{"accessKeyId","secretAccessKey","displayName"}, ...].
// Read once at startup; any mistake fails startup with the file, the entry and the reason, because a
// typo in a credentials file must not silently leave a user out (or in).

import { readFile, stat } from 'node:fs/promises';
import { IdentityStore, MAX_IDENTITIES, type Identity } from './identities.js';

/** 10,000 entries of a 128-char key, a 256-char secret and a name fit with room to spare. */
export const MAX_IDENTITIES_FILE_BYTES = 8 * 1024 * 1024;
export const DISPLAY_NAME_MAX_CHARS = 128;

export type ExtraIdentity = Omit<Identity, 'isRoot'>;

export class IdentitiesFileError extends Error {
  override readonly name = 'IdentitiesFileError';
}

const FIELDS = new Set(['accessKeyId', 'secretAccessKey', 'displayName', 'email']);
/** RFC 5321's limit on an address. */
export const EMAIL_MAX_CHARS = 254;

/** Loose on purpose (the address is only matched, never mailed): one '@', no spaces or control characters. */
function isValidEmail(s: string): boolean {
  return s.length >= 3 && s.length <= EMAIL_MAX_CHARS && /^[^\s@\x00-\x1f\x7f]+@[^\s@\x00-\x1f\x7f]+$/.test(s);
}

function isValidDisplayName(s: string): boolean {
  if (s.length < 1 || s.length > DISPLAY_NAME_MAX_CHARS) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false; // printed in XML and logs: no control characters
  }
  return true;
}

/**
 * Pure: the file's text → the extra identities, shape-checked. Key and secret syntax, duplicates
 * (the root key included) and the count are checked by IdentityStore.add when the store is built.
 */
export function parseIdentitiesJson(text: string): ExtraIdentity[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new IdentitiesFileError(`not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(doc)) throw new IdentitiesFileError('must be a JSON array of {"accessKeyId","secretAccessKey","displayName"} objects');
  // The root pair is one more identity in the store.
  if (doc.length > MAX_IDENTITIES - 1) throw new IdentitiesFileError(`at most ${MAX_IDENTITIES - 1} identities, got ${doc.length}`);
  return doc.map((e: unknown, i): ExtraIdentity => {
    const where = `entry ${i}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new IdentitiesFileError(`${where}: must be an object`);
    for (const k of Object.keys(e)) if (!FIELDS.has(k)) throw new IdentitiesFileError(`${where}: unknown field "${k}" (expected accessKeyId, secretAccessKey, displayName, email)`);
    const { accessKeyId, secretAccessKey, displayName, email } = e as Record<string, unknown>;
    if (typeof accessKeyId !== 'string') throw new IdentitiesFileError(`${where}: accessKeyId must be a string`);
    if (typeof secretAccessKey !== 'string') throw new IdentitiesFileError(`${where}: secretAccessKey must be a string`);
    const name = displayName === undefined ? accessKeyId : displayName;
    if (typeof name !== 'string' || !isValidDisplayName(name)) {
      throw new IdentitiesFileError(`${where}: displayName must be 1..${DISPLAY_NAME_MAX_CHARS} characters without control characters`);
    }
    if (email !== undefined && (typeof email !== 'string' || !isValidEmail(email))) {
      throw new IdentitiesFileError(`${where}: email must be an address of at most ${EMAIL_MAX_CHARS} characters (one @, no spaces)`);
    }
    return { accessKeyId, secretAccessKey, displayName: name, ...(email !== undefined ? { email } : {}) };
  });
}

/** Pure: root pair + parsed entries → the store, with the entry number on any refusal. */
export function buildIdentityStore(root: { accessKeyId: string; secretAccessKey: string; displayName?: string }, extra: readonly ExtraIdentity[]): IdentityStore {
  const store = IdentityStore.fromConfig(root);
  extra.forEach((e, i) => {
    try {
      store.add({ ...e, isRoot: false });
    } catch (err) {
      // Never echo the secret: the messages from add() name the key id at most.
      throw new IdentitiesFileError(`entry ${i} (${e.accessKeyId === root.accessKeyId ? 'the root access key' : 'accessKeyId ' + JSON.stringify(e.accessKeyId.slice(0, 128))}): ${(err as Error).message}`);
    }
  });
  return store;
}

/** Startup: read and validate the file. Throws IdentitiesFileError naming the file. */
export async function loadIdentityStore(root: { accessKeyId: string; secretAccessKey: string; displayName?: string }, file: string): Promise<IdentityStore> {
  const fail = (msg: string): never => {
    throw new IdentitiesFileError(`identities file ${file}: ${msg}`);
  };
  let text = '';
  try {
    const st = await stat(file);
    if (!st.isFile()) fail('not a regular file');
    if (st.size > MAX_IDENTITIES_FILE_BYTES) fail(`larger than ${MAX_IDENTITIES_FILE_BYTES} bytes`);
    text = await readFile(file, 'utf8');
    if (Buffer.byteLength(text) > MAX_IDENTITIES_FILE_BYTES) fail(`larger than ${MAX_IDENTITIES_FILE_BYTES} bytes`); // grew since stat
  } catch (err) {
    if (err instanceof IdentitiesFileError) throw err;
    fail(`cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return buildIdentityStore(root, parseIdentitiesJson(text));
  } catch (err) {
    return fail((err as Error).message);
  }
}
