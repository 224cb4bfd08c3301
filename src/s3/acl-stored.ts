// Where ACLs and ownership live and how they read back: the bucket ACL in bucket settings (`acl`),
// each object version's in ObjectMeta.acl, the ownership mode in settings (`ownership`). Absent
// means the default — the bucket owner alone, FULL_CONTROL — so buckets and objects that never had
// an ACL set cost nothing to store and read.

import type { BucketMeta, ObjectMeta } from '../store/api.js';
import { decodeStoredAcl, ownerOnlyAcl, type Acl } from './acl-model.js';

export const BUCKET_ACL_SETTING = 'acl';
export const OWNERSHIP_SETTING = 'ownership';
/**
 * Set (true, never cleared) once an object owned by someone other than the bucket owner is written.
 * Until then the bucket owner may read every object without an index lookup in the authorisation
 * step: the common single-owner bucket keeps its fast path.
 */
export const FOREIGN_OBJECTS_SETTING = 'foreignObjectOwners';

export const OBJECT_OWNERSHIPS = ['BucketOwnerEnforced', 'BucketOwnerPreferred', 'ObjectWriter'] as const;
export type ObjectOwnership = (typeof OBJECT_OWNERSHIPS)[number];

/** The bucket's ownership mode; a bucket without controls behaves as ObjectWriter. */
export function objectOwnership(b: BucketMeta): ObjectOwnership {
  const v = b.settings[OWNERSHIP_SETTING];
  if (v === undefined) return 'ObjectWriter';
  // The pair of the check in putBucketOwnershipControls / CreateBucket: one of the three.
  if (!(OBJECT_OWNERSHIPS as readonly unknown[]).includes(v)) throw new Error(`bucket settings: ownership of ${b.name} is ${String(v)}`);
  return v as ObjectOwnership;
}

/** BucketOwnerEnforced disables ACLs: they are neither set nor consulted. */
export function aclsEnabled(b: BucketMeta): boolean {
  return b.settings[OWNERSHIP_SETTING] !== 'BucketOwnerEnforced';
}

export function bucketAcl(b: BucketMeta): Acl {
  const v = b.settings[BUCKET_ACL_SETTING];
  if (v === undefined || !aclsEnabled(b)) return ownerOnlyAcl(b.owner);
  return decodeStoredAcl(v, `bucket ${b.name}`);
}

/** The object's owner without decoding its grants (listings with fetch-owner, ListObjectVersions). */
export function objectOwner(b: BucketMeta, meta: ObjectMeta): string {
  if (meta.acl === undefined || !aclsEnabled(b)) return b.owner;
  const owner = (meta.acl as { owner?: unknown }).owner;
  return typeof owner === 'string' ? owner : decodeStoredAcl(meta.acl, `${b.name}/${meta.key}`).owner;
}

/** With ACLs disabled every object is the bucket owner's, whatever was stored while they were enabled. */
export function objectAcl(b: BucketMeta, meta: ObjectMeta): Acl {
  if (meta.acl === undefined || !aclsEnabled(b)) return ownerOnlyAcl(b.owner);
  return decodeStoredAcl(meta.acl, `${b.name}/${meta.key}`);
}
