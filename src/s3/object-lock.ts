// S3 Object Lock, the pure part: the bucket's configuration (settings.objectLock), the Retention /
// LegalHold / ObjectLockConfiguration XML, the x-amz-object-lock-* request headers, and the rules that
// decide whether a version may lose its protection. The engine only stores retention and legal hold per
// version; every rule lives here and runs inside the engine's guards (object-lock-handlers.ts), so the
// check and the change it allows are one atomic decision.

import type { BucketMeta, ObjectMeta, ObjectRetention } from '../store/api.js';
import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { S3_NS, el, isoDate, parseXml, text } from './xml.js';

/** The bucket setting that holds the Object Lock configuration ({ enabled: true, rule? }). */
export const BUCKET_OBJECT_LOCK_SETTING = 'objectLock';

export type LockMode = ObjectRetention['mode'];
const LOCK_MODES: readonly string[] = ['GOVERNANCE', 'COMPLIANCE'];

/** A bucket's default retention: a mode and exactly one of days / years. */
export interface DefaultRetention {
  mode: LockMode;
  days?: number;
  years?: number;
}

export interface BucketObjectLock {
  enabled: true;
  rule?: DefaultRetention;
}

/**
 * Bounds on a default retention period. AWS documents 100 years as the longest retention; 36,500 days
 * is the same bound in days (MinIO uses these two figures too).
 */
export const MAX_DEFAULT_RETENTION_DAYS = 36_500;
export const MAX_DEFAULT_RETENTION_YEARS = 100;

const DAY_MS = 86_400_000;

/** The bucket's Object Lock configuration; undefined when Object Lock was never enabled on it. */
export function bucketObjectLock(b: BucketMeta): BucketObjectLock | undefined {
  const v = b.settings[BUCKET_OBJECT_LOCK_SETTING];
  if (v === undefined) return undefined;
  // The pair of the checks in parseObjectLockConfiguration: only that shape is ever stored. A stored
  // value of another shape fails closed (500), never "no Object Lock".
  if (!isBucketObjectLock(v)) throw new Error(`bucket settings: objectLock of ${b.name} is ${JSON.stringify(v)}`);
  return v;
}

function isBucketObjectLock(v: unknown): v is BucketObjectLock {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  if (o['enabled'] !== true) return false;
  if (o['rule'] === undefined) return true;
  const r = o['rule'] as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || !LOCK_MODES.includes(r['mode'] as string)) return false;
  const days = r['days'];
  const years = r['years'];
  const ok = (n: unknown, max: number): boolean => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= max;
  return (days !== undefined) !== (years !== undefined) && (days === undefined || ok(days, MAX_DEFAULT_RETENTION_DAYS)) && (years === undefined || ok(years, MAX_DEFAULT_RETENTION_YEARS));
}

/**
 * PutBucketVersioning on an Object Lock bucket: versioning stays Enabled for good, as S3 requires
 * (suspending it would let a write replace the "null" version, which no lock protects against).
 */
export function assertVersioningChangeAllowed(b: BucketMeta, status: string | undefined): void {
  if (status === 'Suspended' && bucketObjectLock(b) !== undefined) {
    throw new S3Error('InvalidBucketState', 'An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.', { details: { BucketName: b.name } });
  }
}

// ------------------------------------------------------------------------------------------------
// XML

function rootElement(body: Buffer, root: string): Record<string, unknown> {
  const doc = parseXml(body);
  const keys = Object.keys(doc);
  if (keys.length !== 1 || keys[0] !== root) throw new S3Error('MalformedXML');
  const v = doc[root];
  if (typeof v === 'string') {
    if (v.trim() !== '') throw new S3Error('MalformedXML');
    return {};
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new S3Error('MalformedXML');
  return v as Record<string, unknown>;
}

function children(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new S3Error('MalformedXML');
  return v as Record<string, unknown>;
}

function onlyElements(o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new S3Error('MalformedXML');
}

/** Mode as S3 parses it: exactly GOVERNANCE or COMPLIANCE, case-sensitive (s3-tests: "governance" is MalformedXML). */
function xmlMode(v: unknown): LockMode {
  const m = text(v);
  if (m === undefined || !LOCK_MODES.includes(m)) throw new S3Error('MalformedXML');
  return m as LockMode;
}

function retentionPeriod(v: string, max: number, unit: string): number {
  if (!/^-?\d{1,12}$/.test(v.trim())) throw new S3Error('MalformedXML');
  const n = Number(v.trim());
  if (n <= 0) throw new S3Error('InvalidRetentionPeriod', 'Default retention period must be a positive integer value.');
  if (n > max) throw new S3Error('InvalidRetentionPeriod', `Default retention period must be at most ${max} ${unit}.`);
  return n;
}

/**
 * PutObjectLockConfiguration's body. ObjectLockEnabled must be "Enabled" (there is no way to turn
 * Object Lock off); a Rule needs a DefaultRetention with a Mode and exactly one of Days / Years.
 * Returns the default rule, or undefined for a configuration without one (which removes it).
 */
export function parseObjectLockConfiguration(body: Buffer): DefaultRetention | undefined {
  const conf = rootElement(body, 'ObjectLockConfiguration');
  onlyElements(conf, ['ObjectLockEnabled', 'Rule']);
  if (text(conf['ObjectLockEnabled']) !== 'Enabled') throw new S3Error('MalformedXML');
  if (conf['Rule'] === undefined) return undefined;
  const rule = children(conf['Rule']);
  onlyElements(rule, ['DefaultRetention']);
  const dr = children(rule['DefaultRetention']);
  onlyElements(dr, ['Mode', 'Days', 'Years']);
  const mode = xmlMode(dr['Mode']);
  const days = text(dr['Days']);
  const years = text(dr['Years']);
  // Both or neither: the schema's choice is violated (s3-tests: Days and Years → MalformedXML).
  if ((days === undefined) === (years === undefined)) throw new S3Error('MalformedXML');
  if (days !== undefined) return { mode, days: retentionPeriod(days, MAX_DEFAULT_RETENTION_DAYS, 'days') };
  return { mode, years: retentionPeriod(years!, MAX_DEFAULT_RETENTION_YEARS, 'years') };
}

export function objectLockConfigurationXml(lock: BucketObjectLock): string {
  let xml = `<ObjectLockConfiguration xmlns="${S3_NS}">${el('ObjectLockEnabled', 'Enabled')}`;
  if (lock.rule) xml += `<Rule><DefaultRetention>${el('Mode', lock.rule.mode)}${el('Days', lock.rule.days)}${el('Years', lock.rule.years)}</DefaultRetention></Rule>`;
  return xml + '</ObjectLockConfiguration>';
}

/** When a version written at `nowMs` under the bucket's default rule is retained until. */
export function defaultRetention(rule: DefaultRetention, nowMs: number): ObjectRetention {
  if (rule.days !== undefined) return { mode: rule.mode, untilMs: nowMs + rule.days * DAY_MS };
  // Calendar years, UTC (29 February + 1 year is 1 March, as Date does it).
  const d = new Date(nowMs);
  d.setUTCFullYear(d.getUTCFullYear() + rule.years!);
  return { mode: rule.mode, untilMs: d.getTime() };
}

/** ISO 8601 date-time with a zone, as the SDKs send timestamps; undefined when it is not one. */
export function parseIsoInstant(v: string): number | undefined {
  const s = v.trim();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return undefined;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * PutObjectRetention's body: a Mode and a RetainUntilDate, or neither (an empty Retention removes the
 * retention — allowed only where the rules below allow it). One without the other is MalformedXML.
 */
export function parseRetentionXml(body: Buffer): ObjectRetention | null {
  const r = rootElement(body, 'Retention');
  onlyElements(r, ['Mode', 'RetainUntilDate']);
  if (r['Mode'] === undefined && r['RetainUntilDate'] === undefined) return null;
  const mode = xmlMode(r['Mode']);
  const date = text(r['RetainUntilDate']);
  const untilMs = date === undefined ? undefined : parseIsoInstant(date);
  if (untilMs === undefined) throw new S3Error('MalformedXML');
  return { mode, untilMs };
}

export function retentionXml(r: ObjectRetention): string {
  return `<Retention xmlns="${S3_NS}">${el('Mode', r.mode)}${el('RetainUntilDate', isoDate(r.untilMs))}</Retention>`;
}

/** PutObjectLegalHold's body: Status ON or OFF (anything else MalformedXML, as s3-tests expects). */
export function parseLegalHoldXml(body: Buffer): boolean {
  const h = rootElement(body, 'LegalHold');
  onlyElements(h, ['Status']);
  const status = text(h['Status']);
  if (status !== 'ON' && status !== 'OFF') throw new S3Error('MalformedXML');
  return status === 'ON';
}

export function legalHoldXml(on: boolean): string {
  return `<LegalHold xmlns="${S3_NS}">${el('Status', on ? 'ON' : 'OFF')}</LegalHold>`;
}

// ------------------------------------------------------------------------------------------------
// request headers of writes (PutObject, CopyObject, CreateMultipartUpload, POST Object fields)

export const OBJECT_LOCK_HEADERS = ['x-amz-object-lock-mode', 'x-amz-object-lock-retain-until-date', 'x-amz-object-lock-legal-hold'] as const;

export interface RequestedLock {
  retention?: ObjectRetention;
  legalHold?: boolean;
}

export function hasObjectLockHeaders(h: Readonly<Record<string, string | undefined>>): boolean {
  return OBJECT_LOCK_HEADERS.some((n) => h[n] !== undefined);
}

/**
 * The x-amz-object-lock-* headers of a write, validated as S3 does (messages are S3's): mode and date
 * together or not at all, a known mode, an ISO 8601 date in the future, legal hold ON or OFF.
 */
export function lockFromHeaders(h: Readonly<Record<string, string | undefined>>, nowMs: number): RequestedLock {
  const out: RequestedLock = {};
  const mode = h['x-amz-object-lock-mode'];
  const date = h['x-amz-object-lock-retain-until-date'];
  if ((mode === undefined) !== (date === undefined)) {
    throw new S3Error('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  }
  if (mode !== undefined && date !== undefined) {
    if (!LOCK_MODES.includes(mode.trim())) throw new S3Error('InvalidArgument', 'Unknown wormMode directive.', { details: { ArgumentName: 'x-amz-object-lock-mode', ArgumentValue: mode } });
    const untilMs = parseIsoInstant(date);
    if (untilMs === undefined) throw new S3Error('InvalidArgument', 'The retain until date must be provided in ISO 8601 format', { details: { ArgumentName: 'x-amz-object-lock-retain-until-date', ArgumentValue: date } });
    if (untilMs <= nowMs) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!', { details: { ArgumentName: 'x-amz-object-lock-retain-until-date', ArgumentValue: date } });
    out.retention = { mode: mode.trim() as LockMode, untilMs };
  }
  const hold = h['x-amz-object-lock-legal-hold'];
  if (hold !== undefined) {
    if (hold.trim() !== 'ON' && hold.trim() !== 'OFF') throw new S3Error('InvalidArgument', "Legal Hold must be either of 'ON' or 'OFF'", { details: { ArgumentName: 'x-amz-object-lock-legal-hold', ArgumentValue: hold } });
    out.legalHold = hold.trim() === 'ON';
  }
  return out;
}

/** x-amz-object-lock-* on GetObject / HeadObject (the legal hold only while it is on: OFF is not stored). */
export function objectLockHeaders(meta: ObjectMeta, show: { retention: boolean; legalHold: boolean }): HeaderList {
  const h: HeaderList = {};
  if (show.retention && meta.retention) {
    h['x-amz-object-lock-mode'] = meta.retention.mode;
    h['x-amz-object-lock-retain-until-date'] = isoDate(meta.retention.untilMs);
  }
  if (show.legalHold && meta.legalHold) h['x-amz-object-lock-legal-hold'] = 'ON';
  return h;
}

// ------------------------------------------------------------------------------------------------
// the rules

function protectedError(): S3Error {
  return new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
}

/** Whether the version's retention still runs at `nowMs` (a retain-until date in the past protects nothing). */
export function retentionActive(v: ObjectMeta, nowMs: number): boolean {
  return v.retention !== undefined && v.retention.untilMs > nowMs;
}

/** A version neither a delete nor the lifecycle sweeper may remove: under legal hold or unexpired retention. */
export function isLocked(v: ObjectMeta, nowMs: number): boolean {
  return v.legalHold === true || retentionActive(v, nowMs);
}

/**
 * Deleting one version for good. A legal hold stops everyone; COMPLIANCE retention stops everyone until
 * it expires; GOVERNANCE retention gives way to a caller that asked to bypass it and may.
 */
export function assertDeletable(v: ObjectMeta, nowMs: number, bypassGovernance: boolean): void {
  if (v.deleteMarker) return;
  if (v.legalHold === true) throw protectedError();
  if (!retentionActive(v, nowMs)) return;
  if (v.retention!.mode === 'COMPLIANCE' || !bypassGovernance) throw protectedError();
}

/**
 * PutObjectRetention: `next` replaces the version's retention (null removes it). While a retention
 * runs, COMPLIANCE can only be kept or extended (same mode, a date no earlier); GOVERNANCE can be
 * extended in the same mode by anyone allowed to put a retention, and shortened, removed or changed to
 * another mode only with the bypass. An expired retention can be replaced freely.
 */
export function assertRetentionChange(v: ObjectMeta, next: ObjectRetention | null, nowMs: number, bypassGovernance: boolean): void {
  if (!retentionActive(v, nowMs)) return;
  const cur = v.retention!;
  const keepsOrExtends = next !== null && next.mode === cur.mode && next.untilMs >= cur.untilMs;
  if (keepsOrExtends) return;
  if (cur.mode === 'GOVERNANCE' && bypassGovernance) return;
  throw protectedError();
}
