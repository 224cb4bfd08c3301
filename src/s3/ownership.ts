// S3 Object Ownership (?ownershipControls, x-amz-object-ownership on CreateBucket): who owns a new
// object, and whether ACLs count at all. Stored as bucket setting `ownership`.
//
// Strata's default differs from AWS's on purpose: AWS creates buckets BucketOwnerEnforced (ACLs
// disabled) since 2023, but s3-tests, MinIO / Ceph users and older clients expect ACLs to work, as
// they do on an AWS bucket without ownership controls. So a bucket created without the header has no
// controls — ACLs enabled, the writer owns what it writes (ObjectWriter), Get answers
// OwnershipControlsNotFoundError as AWS does for such a bucket — and a client that wants AWS's
// default asks for it with `x-amz-object-ownership: BucketOwnerEnforced` or PutBucketOwnershipControls.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { deleteBucketSetting, requireBucket, sendXml } from './common.js';
import { onlyElements, readConfig } from './unconfigured.js';
import { S3_NS, el, text } from './xml.js';
import { OBJECT_OWNERSHIPS, OWNERSHIP_SETTING, bucketAcl, objectOwnership, type ObjectOwnership } from './acl-stored.js';
import { grantsOutsideOwner } from './acl-model.js';

/** x-amz-object-ownership on CreateBucket; undefined when absent, InvalidArgument when unknown. */
export function ownershipHeader(ctx: RequestContext): ObjectOwnership | undefined {
  const v = ctx.headers['x-amz-object-ownership'];
  if (v === undefined) return undefined;
  if (!(OBJECT_OWNERSHIPS as readonly string[]).includes(v)) throw new S3Error('InvalidArgument', undefined, { details: { ArgumentName: 'x-amz-object-ownership', ArgumentValue: v } });
  return v as ObjectOwnership;
}

export async function getBucketOwnershipControls(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const v = b.settings[OWNERSHIP_SETTING];
  if (v === undefined) throw new S3Error('OwnershipControlsNotFoundError', undefined, { details: { BucketName: b.name } });
  sendXml(ctx, 200, `<OwnershipControls xmlns="${S3_NS}"><Rule>${el('ObjectOwnership', objectOwnership(b))}</Rule></OwnershipControls>`);
}

export async function putBucketOwnershipControls(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const conf = await readConfig(ctx, 'OwnershipControls');
  onlyElements(conf, ['Rule']);
  const rule = conf['Rule'];
  // Exactly one rule, as S3 requires.
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw new S3Error('MalformedXML');
  const fields = rule as Record<string, unknown>;
  onlyElements(fields, ['ObjectOwnership']);
  const ownership = text(fields['ObjectOwnership']);
  if (ownership === undefined || !(OBJECT_OWNERSHIPS as readonly string[]).includes(ownership)) throw new S3Error('MalformedXML');
  // As S3: ACLs cannot be disabled while the bucket ACL still grants someone else access — that access
  // would vanish silently. Object ACLs stop counting, as documented for BucketOwnerEnforced.
  if (ownership === 'BucketOwnerEnforced' && grantsOutsideOwner(bucketAcl(b))) throw new S3Error('InvalidBucketAclWithObjectOwnership');
  await ctx.engine.updateBucketSettings(b.name, { [OWNERSHIP_SETTING]: ownership });
  ctx.res.send(200, {}, '');
}

/** Back to no controls: ACLs enabled, ObjectWriter behaviour (S3's state for such a bucket). */
export function deleteBucketOwnershipControls(ctx: RequestContext): Promise<void> {
  return deleteBucketSetting(ctx, OWNERSHIP_SETTING);
}
