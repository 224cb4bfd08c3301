// The S3 access control list, pure: the model, canned ACLs, x-amz-grant-* headers, the
// AccessControlPolicy XML both ways, the stored form and the permission check. No I/O: the handlers
// (acl.ts) and the authorisation step (acl-authorize.ts) bring the identities and the engine.
//
// A canonical user id is the identity's access key id — what the bucket's `owner` field and
// ListBuckets' <Owner><ID> already hold — so an id read from any of them can be granted.

import { S3Error } from './errors.js';
import { S3_NS, el, parseXml, text } from './xml.js';

export const PERMISSIONS = ['FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ALL_USERS_URI = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS_URI = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY_URI = 'http://acs.amazonaws.com/groups/s3/LogDelivery';
const GROUP_URIS: ReadonlySet<string> = new Set([ALL_USERS_URI, AUTHENTICATED_USERS_URI, LOG_DELIVERY_URI]);

/** S3's own limit on grants in one ACL. */
export const MAX_ACL_GRANTS = 100;
/** Longest canonical id / e-mail / URI accepted in a grant (ids are access key ids, ≤ 128). */
const MAX_GRANTEE_CHARS = 256;

/** One grant as stored: a canonical user (`id`) or a group (`uri`), never both. */
export interface Grant {
  id?: string;
  uri?: string;
  permission: Permission;
}

/**
 * The stored ACL (ObjectMeta.acl, bucket settings `acl`): plain JSON, opaque to the engine. An object's
 * `owner` is who owns it — the writer, or the bucket owner (BucketOwnerPreferred / -Enforced).
 */
export interface Acl {
  owner: string;
  grants: Grant[];
}

export const CANNED_ACLS = [
  'private', 'public-read', 'public-read-write', 'authenticated-read', 'aws-exec-read',
  'bucket-owner-read', 'bucket-owner-full-control', 'log-delivery-write',
] as const;
export type CannedAcl = (typeof CANNED_ACLS)[number];

/** In the order their grants are listed (RGW's, which s3-tests compares against). */
export const GRANT_HEADERS: ReadonlyArray<readonly [string, Permission]> = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** A grantee as a request names it, before e-mail addresses and ids are checked against identities. */
export type RequestedGrantee = { id: string } | { uri: string } | { email: string };
export interface RequestedGrant {
  grantee: RequestedGrantee;
  permission: Permission;
}

/** x-amz-acl → the canned name; an unknown one is InvalidArgument, as S3. */
export function parseCannedAcl(value: string | undefined): CannedAcl | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if (!(CANNED_ACLS as readonly string[]).includes(v)) throw new S3Error('InvalidArgument', undefined, { details: { ArgumentName: 'x-amz-acl', ArgumentValue: value } });
  return v as CannedAcl;
}

/**
 * A canned ACL → grants. `owner` owns the resource; `bucketOwner` matters only for the bucket-owner-*
 * ACLs of objects (on a bucket they mean the owner itself, i.e. private). aws-exec-read grants the
 * EC2 service, which does not exist here: refused rather than silently made private.
 * Order: group grants, then the owner, then the bucket owner — as Ceph RGW lists them; s3-tests
 * compares a canned ACL's grants in that order (AWS documents no order).
 */
export function cannedGrants(canned: CannedAcl, owner: string, bucketOwner: string): Grant[] {
  const grants: Grant[] = [];
  const ownerGrant: Grant = { id: owner, permission: 'FULL_CONTROL' };
  switch (canned) {
    case 'private':
      return [ownerGrant];
    case 'public-read':
      return [{ uri: ALL_USERS_URI, permission: 'READ' }, ownerGrant];
    case 'public-read-write':
      return [{ uri: ALL_USERS_URI, permission: 'READ' }, { uri: ALL_USERS_URI, permission: 'WRITE' }, ownerGrant];
    case 'authenticated-read':
      return [{ uri: AUTHENTICATED_USERS_URI, permission: 'READ' }, ownerGrant];
    case 'bucket-owner-read':
      grants.push(ownerGrant);
      if (bucketOwner !== owner) grants.push({ id: bucketOwner, permission: 'READ' });
      return grants;
    case 'bucket-owner-full-control':
      grants.push(ownerGrant);
      if (bucketOwner !== owner) grants.push({ id: bucketOwner, permission: 'FULL_CONTROL' });
      return grants;
    case 'log-delivery-write':
      return [{ uri: LOG_DELIVERY_URI, permission: 'WRITE' }, { uri: LOG_DELIVERY_URI, permission: 'READ_ACP' }, ownerGrant];
    case 'aws-exec-read':
      throw new S3Error('NotImplemented', 'The aws-exec-read canned ACL grants Amazon EC2, which Strata does not have.');
  }
}

function checkGroupUri(uri: string): string {
  if (!GROUP_URIS.has(uri)) throw new S3Error('InvalidArgument', 'Invalid group uri', { details: { ArgumentName: 'uri', ArgumentValue: uri.slice(0, MAX_GRANTEE_CHARS) } });
  return uri;
}

function boundedGrantee(kind: string, value: string): string {
  if (value === '' || value.length > MAX_GRANTEE_CHARS) throw new S3Error('InvalidArgument', `Invalid ${kind}`, { details: { ArgumentName: kind, ArgumentValue: value.slice(0, MAX_GRANTEE_CHARS) } });
  return value;
}

/**
 * The x-amz-grant-* headers → requested grants, or undefined when there are none. Each header is a
 * comma-separated list of `id="…"`, `uri="…"` or `emailAddress="…"` (quotes optional).
 */
export function parseGrantHeaders(headers: Readonly<Record<string, string | undefined>>): RequestedGrant[] | undefined {
  let out: RequestedGrant[] | undefined;
  for (const [name, permission] of GRANT_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    out ??= [];
    for (const part of value.split(',')) {
      const item = part.trim();
      if (item === '') continue;
      const eq = item.indexOf('=');
      const kind = eq < 0 ? '' : item.slice(0, eq).trim().toLowerCase();
      let v = eq < 0 ? '' : item.slice(eq + 1).trim();
      if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
      let grantee: RequestedGrantee;
      if (kind === 'id') grantee = { id: boundedGrantee('id', v) };
      else if (kind === 'uri') grantee = { uri: checkGroupUri(v) };
      else if (kind === 'emailaddress') grantee = { email: boundedGrantee('emailAddress', v) };
      else throw new S3Error('InvalidArgument', `Invalid grantee in ${name}: expected id=, uri= or emailAddress=`, { details: { ArgumentName: name, ArgumentValue: value.slice(0, MAX_GRANTEE_CHARS) } });
      out.push({ grantee, permission });
      if (out.length > MAX_ACL_GRANTS) throw new S3Error('InvalidArgument', `An ACL has at most ${MAX_ACL_GRANTS} grants.`);
    }
  }
  return out;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/**
 * An AccessControlPolicy body → its owner id and grants. Anything but that document, a grantee without
 * the xsi:type its fields need, or an unknown permission → MalformedACLError, as S3.
 */
export function parseAclXml(body: Buffer | string): { ownerId: string | undefined; grants: RequestedGrant[] } {
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(body, { attributes: true });
  } catch {
    throw new S3Error('MalformedACLError');
  }
  const policy = obj(doc['AccessControlPolicy']);
  if (!policy) throw new S3Error('MalformedACLError');
  const ownerEl = policy['Owner'];
  const ownerId = ownerEl === undefined ? undefined : text(obj(ownerEl)?.['ID'])?.trim();
  if (ownerEl !== undefined && ownerId === undefined) throw new S3Error('MalformedACLError');
  const listEl = policy['AccessControlList'];
  if (listEl === undefined) throw new S3Error('MalformedACLError');
  const rawGrants = listEl === '' ? [] : obj(listEl)?.['Grant'];
  if (rawGrants === undefined && listEl !== '' && obj(listEl) === undefined) throw new S3Error('MalformedACLError');
  const list = rawGrants === undefined ? [] : Array.isArray(rawGrants) ? rawGrants : [rawGrants];
  if (list.length > MAX_ACL_GRANTS) throw new S3Error('MalformedACLError', `An ACL has at most ${MAX_ACL_GRANTS} grants.`);
  const grants = list.map((g): RequestedGrant => {
    const grant = obj(g);
    const grantee = obj(grant?.['Grantee']);
    const permission = text(grant?.['Permission'])?.trim();
    if (!grant || !grantee || permission === undefined || !(PERMISSIONS as readonly string[]).includes(permission)) throw new S3Error('MalformedACLError');
    const type = text(grantee['@_type']);
    const field = (n: string): string | undefined => text(grantee[n])?.trim();
    switch (type) {
      case 'CanonicalUser': {
        const id = field('ID');
        if (id === undefined) throw new S3Error('MalformedACLError');
        return { grantee: { id: boundedGrantee('id', id) }, permission: permission as Permission };
      }
      case 'Group': {
        const uri = field('URI');
        if (uri === undefined) throw new S3Error('MalformedACLError');
        return { grantee: { uri: checkGroupUri(uri) }, permission: permission as Permission };
      }
      case 'AmazonCustomerByEmail': {
        const email = field('EmailAddress');
        if (email === undefined) throw new S3Error('MalformedACLError');
        return { grantee: { email: boundedGrantee('emailAddress', email) }, permission: permission as Permission };
      }
      default:
        throw new S3Error('MalformedACLError');
    }
  });
  return { ownerId, grants };
}

/** Same grantee and permission once: a client that sends a grant twice gets it listed once. */
export function dedupeGrants(grants: readonly Grant[]): Grant[] {
  const seen = new Set<string>();
  const out: Grant[] = [];
  for (const g of grants) {
    const k = `${g.id !== undefined ? 'i:' + g.id : 'u:' + g.uri}\n${g.permission}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(g);
  }
  return out;
}

/** The ACL every resource has until one is set: its owner, FULL_CONTROL. */
export function ownerOnlyAcl(owner: string): Acl {
  return { owner, grants: [{ id: owner, permission: 'FULL_CONTROL' }] };
}

/** Whether an ACL gives anyone but `owner` anything (BucketOwnerEnforced refuses such a bucket ACL). */
export function grantsOutsideOwner(acl: Acl): boolean {
  return acl.grants.some((g) => g.id !== acl.owner);
}

/** Who asks: an identity (its access key id = canonical id) or nobody. */
export type AclCaller = { anonymous: true } | { anonymous: false; id: string };

/** Whether `acl` gives `caller` `permission` (FULL_CONTROL implies each of the others). */
export function aclAllows(acl: Acl, caller: AclCaller, permission: Permission): boolean {
  for (const g of acl.grants) {
    if (g.permission !== permission && g.permission !== 'FULL_CONTROL') continue;
    if (g.uri === ALL_USERS_URI) return true;
    if (caller.anonymous) continue;
    if (g.uri === AUTHENTICATED_USERS_URI || g.id === caller.id) return true;
  }
  return false;
}

/**
 * The pair of the write-side validation: a stored ACL must still have this shape when read back
 * (bucket settings and ObjectMeta.acl are opaque to the engine). A bad one is an internal error —
 * fail closed, never read it as "no ACL".
 */
export function decodeStoredAcl(v: unknown, where: string): Acl {
  const a = obj(v);
  const ok =
    a !== undefined &&
    typeof a['owner'] === 'string' &&
    Array.isArray(a['grants']) &&
    (a['grants'] as unknown[]).length <= MAX_ACL_GRANTS &&
    (a['grants'] as unknown[]).every((g) => {
      const o = obj(g);
      if (!o || !(PERMISSIONS as readonly string[]).includes(o['permission'] as string)) return false;
      return (typeof o['id'] === 'string') !== (typeof o['uri'] === 'string');
    });
  if (!ok) throw new Error(`stored ACL of ${where} is malformed`);
  return a as unknown as Acl;
}

/** The GetBucketAcl / GetObjectAcl document, in S3's shape. `displayName` maps a canonical id to its name. */
export function aclXml(acl: Acl, displayName: (id: string) => string): string {
  let xml = `<AccessControlPolicy xmlns="${S3_NS}"><Owner>${el('ID', acl.owner)}${el('DisplayName', displayName(acl.owner))}</Owner><AccessControlList>`;
  for (const g of acl.grants) {
    xml += '<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ';
    xml += g.id !== undefined ? `xsi:type="CanonicalUser">${el('ID', g.id)}${el('DisplayName', displayName(g.id))}` : `xsi:type="Group">${el('URI', g.uri)}`;
    xml += `</Grantee>${el('Permission', g.permission)}</Grant>`;
  }
  return xml + '</AccessControlList></AccessControlPolicy>';
}
