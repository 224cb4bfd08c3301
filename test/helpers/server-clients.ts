// Real S3 clients pointed at a test server: the AWS SDK v3 with DEFAULT checksum settings
// (aws-chunked + CRC32 trailers on PUT) and minio-js.

import { S3Client } from '@aws-sdk/client-s3';
import * as Minio from 'minio';
import type { TestServer } from './server.js';

export function sdkClient(t: TestServer, overrides: { secretAccessKey?: string; accessKeyId?: string } = {}): S3Client {
  return new S3Client({
    endpoint: t.endpoint,
    region: t.region,
    forcePathStyle: true,
    credentials: { accessKeyId: overrides.accessKeyId ?? t.accessKeyId, secretAccessKey: overrides.secretAccessKey ?? t.secretAccessKey },
    maxAttempts: 1,
  });
}

export function minioClient(t: TestServer): Minio.Client {
  return new Minio.Client({
    endPoint: '127.0.0.1',
    port: t.port,
    useSSL: false,
    accessKey: t.accessKeyId,
    secretKey: t.secretAccessKey,
    region: t.region,
    pathStyle: true,
  });
}
