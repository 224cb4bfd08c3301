// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.

import { aclForNewBucket } from './acl.js';
import { ownershipHeader } from './ownership.js';
import { BUCKET_ACL_SETTING, OWNERSHIP_SETTING } from './acl-stored.js';
import { objectLockSettingsForNewBucket, objectLockRequestedOnCreate } from './object-lock-handlers.js';
import type { RequestContext } from '../http/context.js';
import { S3Error, fromStoreError, xmlEscape } from './errors.js';
import { StoreError } from '../store/api.js';
import type { AuthResult } from '../auth/request.js';
import { assertBucketName } from './names.js';
import { displayNameOf, intParam, requireBucket, sendXml, ownerXml } from './common.js';
import { decodeContinuationToken, encodeContinuationToken } from './list-page.js';

/** S3's ceiling for max-buckets (and what a ListBuckets without paging returns at most). */
export const MAX_LIST_BUCKETS = 10000;
import { S3_NS, el, isoDate, parseCreateBucket } from './xml.js';
import { readSmallBody } from './payload.js';

/** ListBuckets, with the optional prefix / max-buckets / continuation-token paging S3 added in 2024. */
export async function listBuckets(ctx: RequestContext): Promise<void> {
  const owner = ctx.auth?.accessKeyId ?? '';
  const prefix = ctx.query.get('prefix') ?? '';
  const maxBuckets = intParam(ctx, 'max-buckets', MAX_LIST_BUCKETS, MAX_LIST_BUCKETS, 1);
  const token = ctx.query.get('continuation-token');
  let after: string | undefined;
  if (token !== undefined && token !== '') {
    after = decodeContinuationToken(token);
    if (after === undefined) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { details: { ArgumentName: 'continuation-token' } });
  }
  // As S3, a caller lists the buckets it owns; root, the node's administrator, lists every bucket
  // (it may act on all of them — policy-handlers.ts — and must see ones made under a rotated root key).
  const everyone = isRootCaller(ctx);
  const all = ctx.engine
    .listBuckets()
    .filter((b) => (everyone || b.owner === owner) && b.name.startsWith(prefix) && (after === undefined || b.name > after))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = all.slice(0, maxBuckets);
  let xml = `<ListAllMyBucketsResult xmlns="${S3_NS}">${ownerXml(owner, displayNameOf(ctx, owner))}<Buckets>`;
  for (const b of page) xml += `<Bucket>${el('Name', b.name)}${el('CreationDate', isoDate(b.createdMs))}${el('BucketRegion', ctx.config.region)}</Bucket>`;
  xml += '</Buckets>';
  if (all.length > page.length) xml += el('ContinuationToken', encodeContinuationToken(page[page.length - 1]!.name));
  if (prefix !== '') xml += el('Prefix', prefix);
  xml += '</ListAllMyBucketsResult>';
  sendXml(ctx, 200, xml);
}

function isRootCaller(ctx: RequestContext): boolean {
  const raw = ctx.auth?.raw as Partial<AuthResult> | undefined;
  return raw?.anonymous === false && raw.identity?.isRoot === true;
}

export async function createBucket(ctx: RequestContext): Promise<void> {
  const name = ctx.bucket!;
  assertBucketName(name);
  const ownership = ownershipHeader(ctx);
  const acl = aclForNewBucket(ctx, ctx.auth?.accessKeyId ?? '', ownership === 'BucketOwnerEnforced');
  const objectLock = objectLockRequestedOnCreate(ctx);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const location = parseCreateBucket(body);
  if (location !== undefined && location !== '' && location !== ctx.config.region) {
    throw new S3Error('IllegalLocationConstraintException', `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`);
  }
  const existing = ctx.engine.getBucket(name);
  if (existing) {
    const mine = existing.owner === ctx.auth?.accessKeyId;
    // S3's legacy rule for us-east-1: re-creating a bucket you own answers 200 OK and resets its ACL
    // to the one this request asks for (private when none); nothing else changes. Elsewhere: 409.
    if (mine && ctx.config.region === 'us-east-1') {
      if (existing.settings[BUCKET_ACL_SETTING] !== undefined || acl !== undefined) await ctx.engine.updateBucketSettings(name, { [BUCKET_ACL_SETTING]: acl });
      ctx.res.send(200, { Location: '/' + name }, '');
      return;
    }
    // One owner namespace today: the same identity gets BucketAlreadyOwnedByYou, others BucketAlreadyExists.
    throw new S3Error(mine ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { details: { BucketName: name } });
  }
  // Everything the request asks for goes into the creating record: a crash can't leave the bucket
  // without its Object Lock (a client's retry would then re-create it as a plain one) or its controls.
  const settings: Record<string, unknown> = objectLock ? objectLockSettingsForNewBucket() : {};
  if (ownership !== undefined) settings[OWNERSHIP_SETTING] = ownership;
  if (acl !== undefined) settings[BUCKET_ACL_SETTING] = acl;
  try {
    await ctx.engine.createBucket(name, ctx.auth?.accessKeyId ?? '', settings);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'BucketExists') throw fromStoreError(err, { bucket: name });
    throw err;
  }
  ctx.res.send(200, { Location: '/' + name }, '');
}

export async function headBucket(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  ctx.res.send(200, { 'x-amz-bucket-region': ctx.config.region }, '');
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  await ctx.engine.deleteBucket(ctx.bucket!);
  ctx.res.send(204, {}, '');
}

export async function getBucketLocation(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  // us-east-1 is reported as an empty LocationConstraint, as S3 does.
  const region = ctx.config.region === 'us-east-1' ? '' : ctx.config.region;
  sendXml(ctx, 200, `<LocationConstraint xmlns="${S3_NS}">${xmlEscape(region)}</LocationConstraint>`);
}
