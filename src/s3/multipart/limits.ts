// Every bound the multipart layer enforces, in one place. Tests lower `minPartSizeBytes`
// so they can exercise the rules without shipping 5 MiB per part.

export interface MultipartLimits {
  /** S3: every part but the last must be at least this big (EntityTooSmall). AWS: 5 MiB. */
  minPartSizeBytes: number;
  /** S3: a single part may not exceed 5 GiB (EntityTooLarge). */
  maxPartSizeBytes: number;
  /** Part numbers run 1..maxPartsPerUpload (S3: 10,000). */
  maxPartsPerUpload: number;
  /** Open uploads across the node; CreateMultipartUpload past it answers 503 SlowDown. */
  maxUploadsInFlight: number;
  /** The sweeper aborts uploads initiated longer ago than this. Default 7 days. */
  uploadMaxAgeMs: number;
  /** How often the sweeper wakes. */
  sweepIntervalMs: number;
  /** Records the sweeper looks at per tick (bounded work: it resumes where it stopped). */
  sweepMaxRecordsPerTick: number;
  /** A completion marker answers retried CompleteMultipartUpload requests for this long. */
  completedMarkerTtlMs: number;
  /** ListParts / ListMultipartUploads page size cap (S3: 1000). */
  maxListEntries: number;
  /** Largest CompleteMultipartUpload XML body accepted (10,000 parts with checksums fit in ~2 MiB). */
  maxCompleteBodyBytes: number;
  /** Concurrent aux deletes when completing or aborting an upload with many parts. */
  cleanupConcurrency: number;
}

export const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

export const defaultMultipartLimits: Readonly<MultipartLimits> = Object.freeze({
  minPartSizeBytes: 5 * MIB,
  maxPartSizeBytes: 5 * 1024 * MIB,
  maxPartsPerUpload: 10_000,
  maxUploadsInFlight: 100_000,
  uploadMaxAgeMs: 7 * DAY_MS,
  sweepIntervalMs: 60_000,
  sweepMaxRecordsPerTick: 500,
  completedMarkerTtlMs: DAY_MS,
  maxListEntries: 1000,
  maxCompleteBodyBytes: 4 * MIB,
  cleanupConcurrency: 64,
});
