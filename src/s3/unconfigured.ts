// Bucket and object configuration sub-resources for features Strata does not have. Clients (AWS CLI,
// Terraform's aws provider, rclone, S3 browsers, s3-tests) read these on every bucket and break on a
// 501, so each read gets exactly what S3 answers for a bucket where the feature is not configured.
// Writes that would turn a feature on are refused honestly (never stored, never pretended); writes
// that ask for the state Strata is already in (logging off, no notifications, accelerate suspended,
// the bucket owner pays) succeed and change nothing. The table is in src/s3/README.md.

import type { RequestContext } from '../http/context.js';
import { S3Error } from './errors.js';
import { requireBucket, sendXml } from './common.js';
import { readSmallBody } from './payload.js';
import { S3_NS, el, parseXml, text } from './xml.js';
import { bucketVersioning } from './versioning.js';

/**
 * Bucket sub-resources answered here (removed from the 501 catch-all in subresources.ts). `object-lock`
 * (and the object's `retention` / `legal-hold`) are served by object-lock-handlers.ts; they are listed
 * so that the methods S3 does not have on them (DELETE, POST, HEAD) get 405 from this module.
 */
export const UNCONFIGURED_BUCKET_SUBRESOURCES = [
  'encryption', 'website', 'replication', 'object-lock', 'ownershipControls', 'logging', 'notification',
  'accelerate', 'requestPayment', 'analytics', 'metrics', 'inventory', 'intelligent-tiering', 'publicAccessBlock',
] as const;

/** Object sub-resources whose other methods get 405 here (Get/Put are object-lock-handlers.ts). */
export const UNCONFIGURED_OBJECT_SUBRESOURCES = ['retention', 'legal-hold'] as const;

/** The bucket setting that records PutBucketAccelerateConfiguration Status=Suspended (as versioning's). */
export const BUCKET_ACCELERATE_SETTING = 'accelerate';

function bucketName(ctx: RequestContext): { BucketName: string } {
  return { BucketName: requireBucket(ctx).name };
}

/**
 * Reads a small configuration body (bounded like every small XML body) and returns the children of
 * its root element, which must be `root` ({} for an empty element). Anything else is MalformedXML.
 */
export async function readConfig(ctx: RequestContext, root: string): Promise<Record<string, unknown>> {
  const doc = parseXml(await readSmallBody(ctx, ctx.config.limits.maxXmlBodyBytes));
  const keys = Object.keys(doc);
  if (keys.length !== 1 || keys[0] !== root) throw new S3Error('MalformedXML');
  const conf = doc[root];
  if (typeof conf === 'string') {
    if (conf.trim() !== '') throw new S3Error('MalformedXML');
    return {};
  }
  if (conf === null || typeof conf !== 'object' || Array.isArray(conf)) throw new S3Error('MalformedXML');
  return conf as Record<string, unknown>;
}

/** Every child element must be one of `allowed`. */
export function onlyElements(conf: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(conf)) if (!allowed.includes(k)) throw new S3Error('MalformedXML');
}

function ok(ctx: RequestContext): void {
  ctx.res.send(200, {}, '');
}

function noContent(ctx: RequestContext): void {
  ctx.res.send(204, {}, '');
}

// --- encryption ------------------------------------------------------------------------------------

export async function getBucketEncryption(ctx: RequestContext): Promise<void> {
  throw new S3Error('ServerSideEncryptionConfigurationNotFoundError', 'The server side encryption configuration was not found. Strata does not encrypt objects at rest.', { details: bucketName(ctx) });
}

export async function putBucketEncryption(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  throw new S3Error('NotImplemented', 'Server-side encryption is not supported by Strata: objects are not encrypted at rest.');
}

export async function deleteBucketEncryption(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  noContent(ctx);
}

// --- public access block --------------------------------------------------------------------------

/**
 * No block is configured, so a bucket policy may grant public access (policy.ts decides). Storing a
 * block without enforcing it would be a silent fallback, and enforcing one (refusing public policies,
 * ignoring them for anonymous callers) is not built: Put is refused.
 */
export async function getPublicAccessBlock(ctx: RequestContext): Promise<void> {
  throw new S3Error('NoSuchPublicAccessBlockConfiguration', undefined, { details: bucketName(ctx) });
}

export async function putPublicAccessBlock(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  throw new S3Error('NotImplemented', 'Block Public Access is not supported by Strata: public access is governed by the bucket policy alone.');
}

export async function deletePublicAccessBlock(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  noContent(ctx);
}

// --- website ---------------------------------------------------------------------------------------

export async function getBucketWebsite(ctx: RequestContext): Promise<void> {
  throw new S3Error('NoSuchWebsiteConfiguration', undefined, { details: bucketName(ctx) });
}

export async function putBucketWebsite(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  throw new S3Error('NotImplemented', 'Static website hosting is not supported by Strata.');
}

export async function deleteBucketWebsite(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  noContent(ctx);
}

// --- replication -----------------------------------------------------------------------------------

export async function getBucketReplication(ctx: RequestContext): Promise<void> {
  throw new S3Error('ReplicationConfigurationNotFoundError', undefined, { details: bucketName(ctx) });
}

/**
 * What S3 answers on a bucket whose versioning is not Enabled. With versioning Enabled S3 would apply
 * it; Strata has no replication: 501, never pretended.
 */
export async function putBucketReplication(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  if (bucketVersioning(b) === 'Enabled') throw new S3Error('NotImplemented', 'Replication is not supported by Strata.');
  throw new S3Error('InvalidRequest', "Versioning must be 'Enabled' on the bucket to apply a replication configuration", { details: { BucketName: b.name } });
}

export async function deleteBucketReplication(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  noContent(ctx);
}

// --- logging ---------------------------------------------------------------------------------------

export async function getBucketLogging(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendXml(ctx, 200, `<BucketLoggingStatus xmlns="${S3_NS}"/>`);
}

/** An empty BucketLoggingStatus (logging off) is what every bucket has; LoggingEnabled is refused. */
export async function putBucketLogging(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const conf = await readConfig(ctx, 'BucketLoggingStatus');
  onlyElements(conf, ['LoggingEnabled']);
  if (conf['LoggingEnabled'] !== undefined) throw new S3Error('NotImplemented', 'Server access logging is not supported by Strata.');
  ok(ctx);
}

// --- notifications ---------------------------------------------------------------------------------

const NOTIFICATION_ELEMENTS = ['TopicConfiguration', 'QueueConfiguration', 'CloudFunctionConfiguration', 'LambdaFunctionConfiguration', 'EventBridgeConfiguration'];

export async function getBucketNotification(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendXml(ctx, 200, `<NotificationConfiguration xmlns="${S3_NS}"/>`);
}

/** An empty NotificationConfiguration (no notifications) is accepted; any destination is refused. */
export async function putBucketNotification(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const conf = await readConfig(ctx, 'NotificationConfiguration');
  onlyElements(conf, NOTIFICATION_ELEMENTS);
  if (Object.keys(conf).length > 0) throw new S3Error('NotImplemented', 'Event notifications are not supported by Strata.');
  ok(ctx);
}

// --- transfer acceleration -------------------------------------------------------------------------

export async function getBucketAccelerate(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const suspended = b.settings[BUCKET_ACCELERATE_SETTING] === 'Suspended';
  sendXml(ctx, 200, `<AccelerateConfiguration xmlns="${S3_NS}">${suspended ? el('Status', 'Suspended') : ''}</AccelerateConfiguration>`);
}

/** Suspended is recorded and reported (as S3 does); Enabled is refused. */
export async function putBucketAccelerate(ctx: RequestContext): Promise<void> {
  const b = requireBucket(ctx);
  const conf = await readConfig(ctx, 'AccelerateConfiguration');
  onlyElements(conf, ['Status']);
  const status = text(conf['Status']);
  if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML');
  if (status === 'Enabled') throw new S3Error('NotImplemented', 'Transfer Acceleration is not supported by Strata. Status Suspended is accepted.');
  if (b.settings[BUCKET_ACCELERATE_SETTING] !== 'Suspended') await ctx.engine.updateBucketSettings(b.name, { [BUCKET_ACCELERATE_SETTING]: 'Suspended' });
  ok(ctx);
}

// --- requester pays --------------------------------------------------------------------------------

export async function getBucketRequestPayment(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  sendXml(ctx, 200, `<RequestPaymentConfiguration xmlns="${S3_NS}">${el('Payer', 'BucketOwner')}</RequestPaymentConfiguration>`);
}

export async function putBucketRequestPayment(ctx: RequestContext): Promise<void> {
  requireBucket(ctx);
  const conf = await readConfig(ctx, 'RequestPaymentConfiguration');
  onlyElements(conf, ['Payer']);
  const payer = text(conf['Payer']);
  if (payer !== 'BucketOwner' && payer !== 'Requester') throw new S3Error('MalformedXML');
  if (payer === 'Requester') throw new S3Error('NotImplemented', 'Requester Pays is not supported by Strata: there is no billing.');
  ok(ctx);
}

// --- analytics, metrics, inventory, intelligent-tiering (configurations named by ?id) ----------------

interface IdConfigKind {
  /** Root element of the List answer. */
  listRoot: string;
  feature: string;
}

const ID_CONFIGS: Record<string, IdConfigKind> = {
  analytics: { listRoot: 'ListBucketAnalyticsConfigurationResult', feature: 'Storage class analysis' },
  metrics: { listRoot: 'ListMetricsConfigurationsResult', feature: 'Request metrics' },
  inventory: { listRoot: 'ListInventoryConfigurationsResult', feature: 'S3 Inventory' },
  'intelligent-tiering': { listRoot: 'ListBucketIntelligentTieringConfigurationsOutput', feature: 'S3 Intelligent-Tiering' },
};

function idConfigKind(ctx: RequestContext): IdConfigKind {
  for (const [q, kind] of Object.entries(ID_CONFIGS)) if (ctx.query.has(q)) return kind;
  throw new S3Error('InternalError');
}

function noSuchConfiguration(ctx: RequestContext): S3Error {
  return new S3Error('NoSuchConfiguration', undefined, { details: bucketName(ctx) });
}

/** GET with ?id: no configuration has that id. */
export async function getIdConfiguration(ctx: RequestContext): Promise<void> {
  idConfigKind(ctx);
  throw noSuchConfiguration(ctx);
}

/** GET without ?id: the empty list, in the operation's own shape. */
export async function listIdConfigurations(ctx: RequestContext): Promise<void> {
  const kind = idConfigKind(ctx);
  requireBucket(ctx);
  const token = ctx.query.get('continuation-token');
  sendXml(ctx, 200, `<${kind.listRoot} xmlns="${S3_NS}">${el('IsTruncated', false)}${token ? el('ContinuationToken', token) : ''}</${kind.listRoot}>`);
}

export async function putIdConfiguration(ctx: RequestContext): Promise<void> {
  const kind = idConfigKind(ctx);
  requireBucket(ctx);
  throw new S3Error('NotImplemented', `${kind.feature} configurations are not supported by Strata.`);
}

export async function deleteIdConfiguration(ctx: RequestContext): Promise<void> {
  idConfigKind(ctx);
  throw noSuchConfiguration(ctx);
}

/** Any other method on one of these sub-resources (HEAD, POST): never a bucket or object operation by accident. */
export async function subresourceMethodNotAllowed(ctx: RequestContext): Promise<void> {
  throw new S3Error('MethodNotAllowed', undefined, { details: { Method: ctx.method, ResourceType: ctx.key === undefined ? 'BUCKET' : 'OBJECT' } });
}
