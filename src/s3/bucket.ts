// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.

import type { RequestContext } from '../http/context.js';
import { S3Error, fromStoreError, xmlEscape } from './errors.js';
import { StoreError } from '../store/api.js';
import { assertBucketName } from './names.js';
import { requireBucket, sendXml, ownerXml } from './common.js';
import { S3_NS, el, isoDate, parseCreateBucket } from './xml.js';
import { readSmallBody } from './payload.js';

export async function listBuckets(ctx: RequestContext): Promise<void> {
  const owner = ctx.auth?.accessKeyId ?? '';
  const buckets = ctx.engine.listBuckets().slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let xml = `<ListAllMyBucketsResult xmlns="${S3_NS}">${ownerXml(owner)}<Buckets>`;
  for (const b of buckets) xml += `<Bucket>${el('Name', b.name)}${el('CreationDate', isoDate(b.createdMs))}</Bucket>`;
  xml += '</Buckets></ListAllMyBucketsResult>';
  sendXml(ctx, 200, xml);
}

export async function createBucket(ctx: RequestContext): Promise<void> {
  const name = ctx.bucket!;
  assertBucketName(name);
  const body = await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes);
  const location = parseCreateBucket(body);
  if (location !== undefined && location !== '' && location !== ctx.config.region) {
    throw new S3Error('IllegalLocationConstraintException', `The ${location} location constraint is incompatible for the region specific endpoint this request was sent to.`);
  }
  const existing = ctx.engine.getBucket(name);
  if (existing) {
    // One owner namespace today: the same identity gets BucketAlreadyOwnedByYou, others BucketAlreadyExists.
    throw new S3Error(existing.owner === ctx.auth?.accessKeyId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { details: { BucketName: name } });
  }
  try {
    await ctx.engine.createBucket(name, ctx.auth?.accessKeyId ?? '');
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
