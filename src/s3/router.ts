// THE routing table: (method, scope, sub-resource query keys, header) → S3 operation.
// Order matters: the first matching route wins, so sub-resource routes come before plain ones.
// Multipart handlers live in src/s3/multipart/handlers.ts; setRouteHandler() swaps a handler
// (tests, experiments) without editing the table.

import type { RequestContext } from '../http/context.js';
import { createBucket, deleteBucket, getBucketLocation, headBucket, listBuckets } from './bucket.js';
import { putObject } from './object-put.js';
import { getObject, headObject } from './object-get.js';
import { deleteObject, deleteObjects } from './object-delete.js';
import { copyObject } from './copy.js';
import { postObject } from './post-object.js';
import { listObjects } from './list.js';
import { listObjectVersions } from './list-versions.js';
import { getObjectAttributes } from './object-attributes.js';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './acl.js';
import { deleteBucketOwnershipControls, getBucketOwnershipControls, putBucketOwnershipControls } from './ownership.js';
import {
  UNSUPPORTED_BUCKET_SUBRESOURCES,
  UNSUPPORTED_OBJECT_SUBRESOURCES,
  notImplemented,
} from './subresources.js';
import * as unconf from './unconfigured.js';
import { getBucketVersioning, putBucketVersioning } from './versioning.js';
import * as lock from './object-lock-handlers.js';
import { deleteBucketLifecycle, getBucketLifecycle, putBucketLifecycle } from './lifecycle-handlers.js';
import { deleteBucketPolicy, getBucketPolicy, getBucketPolicyStatus, putBucketPolicy } from './policy-handlers.js';
import { corsPreflight, deleteBucketCors, getBucketCors, putBucketCors } from './cors-handlers.js';
import { deleteBucketTagging, deleteObjectTagging, getBucketTagging, getObjectTagging, putBucketTagging, putObjectTagging } from './tagging.js';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
} from './multipart/handlers.js';

export type S3Handler = (ctx: RequestContext) => Promise<void>;
export type Scope = 'service' | 'bucket' | 'object';
export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS';

export interface Route {
  /** S3 operation name (logs, metrics, errors). */
  op: string;
  /** '*' = any method. */
  method: Method | '*';
  scope: Scope;
  /** Every one of these query keys must be present. */
  query?: readonly string[];
  /** Matches when ANY of these query keys is present (sub-resource catch-alls). */
  anyQuery?: readonly string[];
  /** This request header must be present (CopyObject: x-amz-copy-source). */
  header?: string;
  /** The request's media type (Content-Type before any ';', case-insensitive) must be this one. */
  contentType?: string;
  /**
   * The credentials travel in the body (POST Object's form policy): the server skips header/query
   * authentication and the handler authenticates once it has parsed the fields.
   */
  authInBody?: true;
  /** No authentication at all (the CORS preflight: browsers never sign an OPTIONS request). */
  unauthenticated?: true;
  handler: S3Handler;
}

/** Configurations named by ?id (analytics, metrics, inventory, intelligent-tiering): Get (with id), List, Put, Delete. */
function idConfigRoutes(q: string, name: string): Route[] {
  return [
    { op: `GetBucket${name}Configuration`, method: 'GET', scope: 'bucket', query: [q, 'id'], handler: unconf.getIdConfiguration },
    { op: `ListBucket${name}Configurations`, method: 'GET', scope: 'bucket', query: [q], handler: unconf.listIdConfigurations },
    { op: `PutBucket${name}Configuration`, method: 'PUT', scope: 'bucket', query: [q], handler: unconf.putIdConfiguration },
    { op: `DeleteBucket${name}Configuration`, method: 'DELETE', scope: 'bucket', query: [q], handler: unconf.deleteIdConfiguration },
  ];
}

export const ROUTES: Route[] = [
  // service
  { op: 'ListBuckets', method: 'GET', scope: 'service', handler: listBuckets },

  // CORS preflight: unauthenticated, answered from the bucket's rules whatever the query names
  { op: 'PreflightBucket', method: 'OPTIONS', scope: 'bucket', unauthenticated: true, handler: corsPreflight },
  { op: 'PreflightObject', method: 'OPTIONS', scope: 'object', unauthenticated: true, handler: corsPreflight },

  // bucket sub-resources clients rely on
  { op: 'GetBucketLocation', method: 'GET', scope: 'bucket', query: ['location'], handler: getBucketLocation },
  { op: 'GetBucketVersioning', method: 'GET', scope: 'bucket', query: ['versioning'], handler: getBucketVersioning },
  { op: 'PutBucketVersioning', method: 'PUT', scope: 'bucket', query: ['versioning'], handler: putBucketVersioning },
  { op: 'GetBucketAcl', method: 'GET', scope: 'bucket', query: ['acl'], handler: getBucketAcl },
  { op: 'PutBucketAcl', method: 'PUT', scope: 'bucket', query: ['acl'], handler: putBucketAcl },
  { op: 'DeleteObjects', method: 'POST', scope: 'bucket', query: ['delete'], handler: deleteObjects },
  { op: 'GetBucketTagging', method: 'GET', scope: 'bucket', query: ['tagging'], handler: getBucketTagging },
  { op: 'PutBucketTagging', method: 'PUT', scope: 'bucket', query: ['tagging'], handler: putBucketTagging },
  { op: 'DeleteBucketTagging', method: 'DELETE', scope: 'bucket', query: ['tagging'], handler: deleteBucketTagging },
  { op: 'GetBucketCors', method: 'GET', scope: 'bucket', query: ['cors'], handler: getBucketCors },
  { op: 'PutBucketCors', method: 'PUT', scope: 'bucket', query: ['cors'], handler: putBucketCors },
  { op: 'DeleteBucketCors', method: 'DELETE', scope: 'bucket', query: ['cors'], handler: deleteBucketCors },
  { op: 'GetBucketLifecycleConfiguration', method: 'GET', scope: 'bucket', query: ['lifecycle'], handler: getBucketLifecycle },
  { op: 'PutBucketLifecycleConfiguration', method: 'PUT', scope: 'bucket', query: ['lifecycle'], handler: putBucketLifecycle },
  { op: 'DeleteBucketLifecycle', method: 'DELETE', scope: 'bucket', query: ['lifecycle'], handler: deleteBucketLifecycle },
  { op: 'GetBucketPolicy', method: 'GET', scope: 'bucket', query: ['policy'], handler: getBucketPolicy },
  { op: 'PutBucketPolicy', method: 'PUT', scope: 'bucket', query: ['policy'], handler: putBucketPolicy },
  { op: 'DeleteBucketPolicy', method: 'DELETE', scope: 'bucket', query: ['policy'], handler: deleteBucketPolicy },
  { op: 'GetBucketPolicyStatus', method: 'GET', scope: 'bucket', query: ['policyStatus'], handler: getBucketPolicyStatus },
  // multipart (bucket level)
  { op: 'ListMultipartUploads', method: 'GET', scope: 'bucket', query: ['uploads'], handler: listMultipartUploads },
  { op: 'ListObjectVersions', method: 'GET', scope: 'bucket', query: ['versions'], handler: listObjectVersions },
  // configuration of features Strata does not have: what S3 answers for an unconfigured bucket (unconfigured.ts)
  { op: 'GetBucketEncryption', method: 'GET', scope: 'bucket', query: ['encryption'], handler: unconf.getBucketEncryption },
  { op: 'PutBucketEncryption', method: 'PUT', scope: 'bucket', query: ['encryption'], handler: unconf.putBucketEncryption },
  { op: 'DeleteBucketEncryption', method: 'DELETE', scope: 'bucket', query: ['encryption'], handler: unconf.deleteBucketEncryption },
  { op: 'GetPublicAccessBlock', method: 'GET', scope: 'bucket', query: ['publicAccessBlock'], handler: unconf.getPublicAccessBlock },
  { op: 'PutPublicAccessBlock', method: 'PUT', scope: 'bucket', query: ['publicAccessBlock'], handler: unconf.putPublicAccessBlock },
  { op: 'DeletePublicAccessBlock', method: 'DELETE', scope: 'bucket', query: ['publicAccessBlock'], handler: unconf.deletePublicAccessBlock },
  { op: 'GetBucketWebsite', method: 'GET', scope: 'bucket', query: ['website'], handler: unconf.getBucketWebsite },
  { op: 'PutBucketWebsite', method: 'PUT', scope: 'bucket', query: ['website'], handler: unconf.putBucketWebsite },
  { op: 'DeleteBucketWebsite', method: 'DELETE', scope: 'bucket', query: ['website'], handler: unconf.deleteBucketWebsite },
  { op: 'GetBucketReplication', method: 'GET', scope: 'bucket', query: ['replication'], handler: unconf.getBucketReplication },
  { op: 'PutBucketReplication', method: 'PUT', scope: 'bucket', query: ['replication'], handler: unconf.putBucketReplication },
  { op: 'DeleteBucketReplication', method: 'DELETE', scope: 'bucket', query: ['replication'], handler: unconf.deleteBucketReplication },
  { op: 'GetObjectLockConfiguration', method: 'GET', scope: 'bucket', query: ['object-lock'], handler: lock.getObjectLockConfiguration },
  { op: 'PutObjectLockConfiguration', method: 'PUT', scope: 'bucket', query: ['object-lock'], handler: lock.putObjectLockConfiguration },
  { op: 'GetBucketOwnershipControls', method: 'GET', scope: 'bucket', query: ['ownershipControls'], handler: getBucketOwnershipControls },
  { op: 'PutBucketOwnershipControls', method: 'PUT', scope: 'bucket', query: ['ownershipControls'], handler: putBucketOwnershipControls },
  { op: 'DeleteBucketOwnershipControls', method: 'DELETE', scope: 'bucket', query: ['ownershipControls'], handler: deleteBucketOwnershipControls },
  { op: 'GetBucketLogging', method: 'GET', scope: 'bucket', query: ['logging'], handler: unconf.getBucketLogging },
  { op: 'PutBucketLogging', method: 'PUT', scope: 'bucket', query: ['logging'], handler: unconf.putBucketLogging },
  { op: 'GetBucketNotificationConfiguration', method: 'GET', scope: 'bucket', query: ['notification'], handler: unconf.getBucketNotification },
  { op: 'PutBucketNotificationConfiguration', method: 'PUT', scope: 'bucket', query: ['notification'], handler: unconf.putBucketNotification },
  { op: 'GetBucketAccelerateConfiguration', method: 'GET', scope: 'bucket', query: ['accelerate'], handler: unconf.getBucketAccelerate },
  { op: 'PutBucketAccelerateConfiguration', method: 'PUT', scope: 'bucket', query: ['accelerate'], handler: unconf.putBucketAccelerate },
  { op: 'GetBucketRequestPayment', method: 'GET', scope: 'bucket', query: ['requestPayment'], handler: unconf.getBucketRequestPayment },
  { op: 'PutBucketRequestPayment', method: 'PUT', scope: 'bucket', query: ['requestPayment'], handler: unconf.putBucketRequestPayment },
  ...idConfigRoutes('analytics', 'Analytics'),
  ...idConfigRoutes('metrics', 'Metrics'),
  ...idConfigRoutes('inventory', 'Inventory'),
  ...idConfigRoutes('intelligent-tiering', 'IntelligentTiering'),
  { op: 'UnconfiguredBucketSubresourceMethod', method: '*', scope: 'bucket', anyQuery: unconf.UNCONFIGURED_BUCKET_SUBRESOURCES, handler: unconf.subresourceMethodNotAllowed },
  // everything else named as a sub-resource: 501, never a listing or a bucket creation by accident
  { op: 'UnsupportedBucketSubresource', method: '*', scope: 'bucket', anyQuery: UNSUPPORTED_BUCKET_SUBRESOURCES, handler: notImplemented },
  // browser-based upload: the form's policy is the credential (src/s3/post-object.ts)
  { op: 'PostObject', method: 'POST', scope: 'bucket', contentType: 'multipart/form-data', authInBody: true, handler: postObject },
  { op: 'ListObjects', method: 'GET', scope: 'bucket', handler: listObjects },
  { op: 'CreateBucket', method: 'PUT', scope: 'bucket', handler: createBucket },
  { op: 'HeadBucket', method: 'HEAD', scope: 'bucket', handler: headBucket },
  { op: 'DeleteBucket', method: 'DELETE', scope: 'bucket', handler: deleteBucket },

  // multipart (object level); uploadPart serves UploadPartCopy too (it checks x-amz-copy-source)
  { op: 'CreateMultipartUpload', method: 'POST', scope: 'object', query: ['uploads'], handler: createMultipartUpload },
  { op: 'UploadPartCopy', method: 'PUT', scope: 'object', query: ['partNumber', 'uploadId'], header: 'x-amz-copy-source', handler: uploadPart },
  { op: 'UploadPart', method: 'PUT', scope: 'object', query: ['partNumber', 'uploadId'], handler: uploadPart },
  { op: 'CompleteMultipartUpload', method: 'POST', scope: 'object', query: ['uploadId'], handler: completeMultipartUpload },
  { op: 'AbortMultipartUpload', method: 'DELETE', scope: 'object', query: ['uploadId'], handler: abortMultipartUpload },
  { op: 'ListParts', method: 'GET', scope: 'object', query: ['uploadId'], handler: listParts },

  // object sub-resources
  { op: 'GetObjectAcl', method: 'GET', scope: 'object', query: ['acl'], handler: getObjectAcl },
  { op: 'PutObjectAcl', method: 'PUT', scope: 'object', query: ['acl'], handler: putObjectAcl },
  { op: 'GetObjectAttributes', method: 'GET', scope: 'object', query: ['attributes'], handler: getObjectAttributes },
  { op: 'GetObjectTagging', method: 'GET', scope: 'object', query: ['tagging'], handler: getObjectTagging },
  { op: 'PutObjectTagging', method: 'PUT', scope: 'object', query: ['tagging'], handler: putObjectTagging },
  { op: 'DeleteObjectTagging', method: 'DELETE', scope: 'object', query: ['tagging'], handler: deleteObjectTagging },
  { op: 'GetObjectRetention', method: 'GET', scope: 'object', query: ['retention'], handler: lock.getObjectRetention },
  { op: 'PutObjectRetention', method: 'PUT', scope: 'object', query: ['retention'], handler: lock.putObjectRetention },
  { op: 'GetObjectLegalHold', method: 'GET', scope: 'object', query: ['legal-hold'], handler: lock.getObjectLegalHold },
  { op: 'PutObjectLegalHold', method: 'PUT', scope: 'object', query: ['legal-hold'], handler: lock.putObjectLegalHold },
  { op: 'UnconfiguredObjectSubresourceMethod', method: '*', scope: 'object', anyQuery: unconf.UNCONFIGURED_OBJECT_SUBRESOURCES, handler: unconf.subresourceMethodNotAllowed },
  { op: 'UnsupportedObjectSubresource', method: '*', scope: 'object', anyQuery: UNSUPPORTED_OBJECT_SUBRESOURCES, handler: notImplemented },

  // objects
  { op: 'GetObject', method: 'GET', scope: 'object', handler: getObject },
  { op: 'HeadObject', method: 'HEAD', scope: 'object', handler: headObject },
  { op: 'CopyObject', method: 'PUT', scope: 'object', header: 'x-amz-copy-source', handler: copyObject },
  { op: 'PutObject', method: 'PUT', scope: 'object', handler: putObject },
  { op: 'DeleteObject', method: 'DELETE', scope: 'object', handler: deleteObject },
];

/** Replace the handler of an existing route (how multipart plugs in). Throws on an unknown op. */
export function setRouteHandler(op: string, handler: S3Handler): void {
  const r = ROUTES.find((x) => x.op === op);
  if (!r) throw new Error(`no route for operation ${op}`);
  r.handler = handler;
}

export type RouteMatch = { route: Route } | { methodNotAllowed: true };

export function matchRoute(method: string, scope: Scope, query: ReadonlyMap<string, string>, headers: Readonly<Record<string, string>>): RouteMatch {
  for (const r of ROUTES) {
    if (r.scope !== scope) continue;
    if (r.method !== '*' && r.method !== method) continue;
    if (r.query && !r.query.every((q) => query.has(q))) continue;
    if (r.anyQuery && !r.anyQuery.some((q) => query.has(q))) continue;
    if (r.header && headers[r.header] === undefined) continue;
    if (r.contentType && mediaType(headers['content-type']) !== r.contentType) continue;
    return { route: r };
  }
  return { methodNotAllowed: true };
}

/** 'Multipart/Form-Data; boundary=x' → 'multipart/form-data'. */
function mediaType(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const semi = v.indexOf(';');
  return (semi < 0 ? v : v.slice(0, semi)).trim().toLowerCase();
}
