// Bucket lifecycle as S3 does it: the LifecycleConfiguration XML (parse, validate, render), the stored
// form in bucket settings, which objects a rule matches, and when they expire. Pure functions,
// unit-tested exhaustively; the operations are in lifecycle-handlers.ts, the background work that
// acts on the rules in lifecycle-sweeper.ts.
//
// What a rule can ask for, and what Strata does with it:
//   Expiration Days / Date          → the sweeper deletes matching objects once expired
//   AbortIncompleteMultipartUpload  → the sweeper aborts matching uploads that old
//   Expiration Days / Date on a versioned bucket → a delete marker over the expired current version
//   ExpiredObjectDeleteMarker, NoncurrentVersionExpiration
//                                   → the sweeper removes lone delete markers / old noncurrent versions
//   NoncurrentVersionTransition     → stored and returned, no effect (one storage class)
//   Transition                      → refused (InvalidStorageClass): Strata has one storage class

import { randomBytes } from 'node:crypto';
import type { ObjectMeta } from '../store/api.js';
import { S3Error } from './errors.js';
import { S3_NS, el, isoDate, parseXml, text } from './xml.js';

/** AWS: "a lifecycle configuration can have up to 1,000 rules" (more → MalformedXML, as S3 answers). */
export const MAX_LIFECYCLE_RULES = 1000;
/** Rule IDs are at most 255 characters. */
export const MAX_LIFECYCLE_RULE_ID_CHARS = 255;
/** Bounds the PutBucketLifecycleConfiguration body: 1,000 rules of a few tags each fit in well under 1 MiB. */
export const MAX_LIFECYCLE_CONFIG_BYTES = 1024 * 1024;
/** Days and DaysAfterInitiation are xsd:int. */
const MAX_DAYS = 2_147_483_647;
/** Object sizes are xsd:long; AWS's largest object is 5 TiB, so a safe integer holds every useful bound. */
const MAX_SIZE_BYTES = Number.MAX_SAFE_INTEGER;
/** The bucket-settings field that holds the configuration. */
export const BUCKET_LIFECYCLE_SETTING = 'lifecycle';
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface LifecycleTag {
  key: string;
  value: string;
}

/**
 * Which objects a rule applies to. `form` records how the client wrote it so GetBucketLifecycle
 * answers in the same shape (an SDK compares what it put with what it gets).
 */
export interface LifecycleFilter {
  form: 'legacy-prefix' | 'empty' | 'prefix' | 'tag' | 'size-gt' | 'size-lt' | 'and';
  prefix: string;
  tags: LifecycleTag[];
  sizeGreaterThan?: number;
  sizeLessThan?: number;
}

export interface NoncurrentAction {
  noncurrentDays?: number;
  newerNoncurrentVersions?: number;
  storageClass?: string;
}

export interface LifecycleRule {
  id: string;
  enabled: boolean;
  filter: LifecycleFilter;
  expiration?: { days?: number; dateMs?: number; expiredObjectDeleteMarker?: boolean };
  abortIncompleteMultipartUploadDays?: number;
  /** Acted on in versioned buckets (lifecycle-sweeper.ts sweepVersions). */
  noncurrentVersionExpiration?: NoncurrentAction;
  /** Accepted and stored; no effect (one storage class). */
  noncurrentVersionTransitions?: NoncurrentAction[];
}

export interface LifecycleConfig {
  rules: LifecycleRule[];
}

// ---------------------------------------------------------------- parsing

/** fast-xml-parser gives one child as a value and several as an array. */
function list(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function malformed(message?: string): S3Error {
  return new S3Error('MalformedXML', message);
}

function invalidArgument(message: string, name: string, value: string): S3Error {
  return new S3Error('InvalidArgument', message, { details: { ArgumentName: name, ArgumentValue: value } });
}

/** An element with children: its fields, after checking every child is one of `allowed`. Empty element → {}. */
function fields(v: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (v === '' || (typeof v === 'string' && v.trim() === '')) return {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw malformed();
  const r = v as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    // Whitespace between child elements may surface as text; anything else unknown is a schema error.
    if (k === '#text' && (text(r[k]) ?? '').trim() === '') continue;
    if (!allowed.includes(k)) throw malformed(`Unexpected element <${k}> in the lifecycle configuration.`);
  }
  return r;
}

/** At most one occurrence; its text. */
function single(r: Record<string, unknown>, name: string): string | undefined {
  const v = r[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw malformed(`<${name}> may appear once.`);
  const s = text(v);
  if (s === undefined) throw malformed(`<${name}> must be text.`);
  return s;
}

function integer(s: string, name: string, max: number): number {
  const t = s.trim();
  if (!/^-?\d{1,20}$/.test(t)) throw malformed(`<${name}> must be an integer.`);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n > max) throw malformed(`<${name}> is out of range.`);
  return n;
}

function positiveDays(s: string, name: string, action: string): number {
  const n = integer(s, name, MAX_DAYS);
  if (n <= 0) throw invalidArgument(`'${name}' for ${action} action must be a positive integer`, name, s);
  return n;
}

function bool(s: string, name: string): boolean {
  const t = s.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw malformed(`<${name}> must be true or false.`);
}

/**
 * An ISO 8601 date S3 accepts in Expiration: '2027-01-01', '2027-01-01T00:00:00Z',
 * '2027-01-01T00:00:00.000Z' or with an offset. Not a date → MalformedXML; not midnight UTC →
 * InvalidArgument, as S3 answers.
 */
export function parseLifecycleDate(s: string): number {
  const t = s.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))?$/.exec(t);
  if (!m) throw malformed('<Date> must be an ISO 8601 date.');
  const [, y, mo, d, hh, mm, ss, frac, zone] = m;
  const day = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  const check = new Date(day);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) {
    throw malformed('<Date> must be an ISO 8601 date.');
  }
  if (hh === undefined) return day;
  if (Number(hh) > 23 || Number(mm) > 59 || Number(ss) > 59) throw malformed('<Date> must be an ISO 8601 date.');
  let ms = day + ((Number(hh) * 60 + Number(mm)) * 60 + Number(ss)) * 1000 + (frac !== undefined ? Number(`0.${frac}`) * 1000 : 0);
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  if (ms % DAY_MS !== 0) throw invalidArgument("'Date' must be at midnight GMT", 'Date', s);
  return ms;
}

function parseTag(v: unknown): LifecycleTag {
  const r = fields(v, ['Key', 'Value']);
  const key = single(r, 'Key');
  if (key === undefined || key === '') throw malformed('A <Tag> needs a <Key>.');
  return { key, value: single(r, 'Value') ?? '' };
}

function size(r: Record<string, unknown>, name: string): number | undefined {
  const s = single(r, name);
  if (s === undefined) return undefined;
  const n = integer(s, name, MAX_SIZE_BYTES);
  if (n < 0) throw invalidArgument(`'${name}' must be a non-negative integer`, name, s);
  return n;
}

function checkSizes(f: LifecycleFilter): void {
  if (f.sizeLessThan !== undefined && f.sizeLessThan === 0) throw invalidArgument("'ObjectSizeLessThan' must be greater than 0", 'ObjectSizeLessThan', '0');
  if (f.sizeGreaterThan !== undefined && f.sizeLessThan !== undefined && f.sizeLessThan <= f.sizeGreaterThan) {
    throw invalidArgument('ObjectSizeLessThan must be greater than ObjectSizeGreaterThan', 'ObjectSizeLessThan', String(f.sizeLessThan));
  }
}

function checkUniqueTagKeys(tags: readonly LifecycleTag[]): void {
  const seen = new Set<string>();
  for (const t of tags) {
    if (seen.has(t.key)) throw invalidArgument('Duplicate Tag Keys are not allowed.', 'Tag', t.key);
    seen.add(t.key);
  }
}

/** <Filter>: exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan, And — or empty (every object). */
function parseFilter(v: unknown): LifecycleFilter {
  const r = fields(v, ['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'And']);
  const present = Object.keys(r).filter((k) => k !== '#text');
  if (present.length === 0) return { form: 'empty', prefix: '', tags: [] };
  if (present.length > 1) throw malformed('A <Filter> holds exactly one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And.');
  const which = present[0]!;
  if (which === 'Prefix') return { form: 'prefix', prefix: single(r, 'Prefix') ?? '', tags: [] };
  if (which === 'Tag') {
    if (Array.isArray(r['Tag'])) throw malformed('Several tags need <And>.');
    return { form: 'tag', prefix: '', tags: [parseTag(r['Tag'])] };
  }
  if (which === 'ObjectSizeGreaterThan') return { form: 'size-gt', prefix: '', tags: [], sizeGreaterThan: size(r, which)! };
  if (which === 'ObjectSizeLessThan') {
    const f: LifecycleFilter = { form: 'size-lt', prefix: '', tags: [], sizeLessThan: size(r, which)! };
    checkSizes(f);
    return f;
  }
  if (Array.isArray(r['And'])) throw malformed('<And> may appear once.');
  const a = fields(r['And'], ['Prefix', 'Tag', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan']);
  const f: LifecycleFilter = { form: 'and', prefix: single(a, 'Prefix') ?? '', tags: list(a['Tag']).map(parseTag) };
  const gt = size(a, 'ObjectSizeGreaterThan');
  const lt = size(a, 'ObjectSizeLessThan');
  if (gt !== undefined) f.sizeGreaterThan = gt;
  if (lt !== undefined) f.sizeLessThan = lt;
  if (Object.keys(a).filter((k) => k !== '#text').length === 0) throw malformed('<And> needs at least one predicate.');
  checkUniqueTagKeys(f.tags);
  checkSizes(f);
  return f;
}

function parseNoncurrent(v: unknown, withStorageClass: boolean): NoncurrentAction {
  const r = fields(v, withStorageClass ? ['NoncurrentDays', 'NewerNoncurrentVersions', 'StorageClass'] : ['NoncurrentDays', 'NewerNoncurrentVersions']);
  const out: NoncurrentAction = {};
  const days = single(r, 'NoncurrentDays');
  const newer = single(r, 'NewerNoncurrentVersions');
  if (days !== undefined) out.noncurrentDays = positiveDays(days, 'NoncurrentDays', withStorageClass ? 'NoncurrentVersionTransition' : 'NoncurrentVersionExpiration');
  if (newer !== undefined) {
    out.newerNoncurrentVersions = integer(newer, 'NewerNoncurrentVersions', MAX_DAYS);
    if (out.newerNoncurrentVersions <= 0) throw invalidArgument("'NewerNoncurrentVersions' must be a positive integer", 'NewerNoncurrentVersions', newer);
  }
  if (withStorageClass) {
    const sc = single(r, 'StorageClass');
    if (sc === undefined || sc.trim() === '') throw malformed('<NoncurrentVersionTransition> needs a <StorageClass>.');
    out.storageClass = sc.trim();
  }
  if (out.noncurrentDays === undefined && (withStorageClass || out.newerNoncurrentVersions === undefined)) {
    throw malformed('<NoncurrentDays> is required.');
  }
  return out;
}

const RULE_FIELDS = [
  'ID', 'Status', 'Filter', 'Prefix', 'Expiration', 'Transition', 'AbortIncompleteMultipartUpload',
  'NoncurrentVersionExpiration', 'NoncurrentVersionTransition',
] as const;

function parseRule(raw: unknown): LifecycleRule {
  const r = fields(raw, RULE_FIELDS);
  const id = single(r, 'ID') ?? '';
  if ([...id].length > MAX_LIFECYCLE_RULE_ID_CHARS) throw invalidArgument(`ID length should not exceed allowed limit of ${MAX_LIFECYCLE_RULE_ID_CHARS}`, 'ID', id);
  const status = single(r, 'Status');
  if (status !== 'Enabled' && status !== 'Disabled') throw malformed('<Status> must be Enabled or Disabled.');

  // The current schema's <Filter> or the legacy rule-level <Prefix>: exactly one (S3: MalformedXML).
  const hasFilter = r['Filter'] !== undefined;
  const legacy = single(r, 'Prefix');
  if (hasFilter === (legacy !== undefined)) throw malformed('A rule needs exactly one of <Filter> or <Prefix>.');
  if (Array.isArray(r['Filter'])) throw malformed('<Filter> may appear once.');
  const filter: LifecycleFilter = hasFilter ? parseFilter(r['Filter']) : { form: 'legacy-prefix', prefix: legacy!, tags: [] };

  const rule: LifecycleRule = { id, enabled: status === 'Enabled', filter };

  if (r['Transition'] !== undefined) {
    // Honest refusal: accepting it would promise a storage tier that does not exist here (MinIO answers
    // the same code for a tier it does not know).
    throw new S3Error('InvalidStorageClass', 'Lifecycle transitions are not supported: Strata has a single storage class (STANDARD).');
  }

  if (r['Expiration'] !== undefined) {
    if (Array.isArray(r['Expiration'])) throw malformed('<Expiration> may appear once.');
    const e = fields(r['Expiration'], ['Days', 'Date', 'ExpiredObjectDeleteMarker']);
    const days = single(e, 'Days');
    const date = single(e, 'Date');
    const marker = single(e, 'ExpiredObjectDeleteMarker');
    const n = (days !== undefined ? 1 : 0) + (date !== undefined ? 1 : 0) + (marker !== undefined ? 1 : 0);
    if (n !== 1) throw malformed('<Expiration> holds exactly one of Days, Date or ExpiredObjectDeleteMarker.');
    if (days !== undefined) rule.expiration = { days: positiveDays(days, 'Days', 'Expiration') };
    else if (date !== undefined) rule.expiration = { dateMs: parseLifecycleDate(date) };
    else {
      if (filter.tags.length > 0) throw new S3Error('InvalidRequest', 'ExpiredObjectDeleteMarker cannot be specified with a tag filter.');
      rule.expiration = { expiredObjectDeleteMarker: bool(marker!, 'ExpiredObjectDeleteMarker') };
    }
  }

  if (r['AbortIncompleteMultipartUpload'] !== undefined) {
    if (Array.isArray(r['AbortIncompleteMultipartUpload'])) throw malformed('<AbortIncompleteMultipartUpload> may appear once.');
    // Uploads have neither tags nor a size yet: S3 refuses tag filters here; Strata refuses size filters
    // too rather than silently ignoring them.
    if (filter.tags.length > 0) throw new S3Error('InvalidRequest', 'AbortIncompleteMultipartUpload cannot be specified with Tags.');
    if (filter.sizeGreaterThan !== undefined || filter.sizeLessThan !== undefined) {
      throw new S3Error('InvalidRequest', 'AbortIncompleteMultipartUpload cannot be specified with an object size filter.');
    }
    const a = fields(r['AbortIncompleteMultipartUpload'], ['DaysAfterInitiation']);
    const d = single(a, 'DaysAfterInitiation');
    if (d === undefined) throw malformed('<DaysAfterInitiation> is required.');
    rule.abortIncompleteMultipartUploadDays = positiveDays(d, 'DaysAfterInitiation', 'AbortIncompleteMultipartUpload');
  }

  if (r['NoncurrentVersionExpiration'] !== undefined) {
    if (Array.isArray(r['NoncurrentVersionExpiration'])) throw malformed('<NoncurrentVersionExpiration> may appear once.');
    rule.noncurrentVersionExpiration = parseNoncurrent(r['NoncurrentVersionExpiration'], false);
  }
  if (r['NoncurrentVersionTransition'] !== undefined) {
    rule.noncurrentVersionTransitions = list(r['NoncurrentVersionTransition']).map((v) => parseNoncurrent(v, true));
  }

  if (rule.expiration === undefined && rule.abortIncompleteMultipartUploadDays === undefined && rule.noncurrentVersionExpiration === undefined && rule.noncurrentVersionTransitions === undefined) {
    throw malformed('A rule needs at least one action.');
  }
  return rule;
}

/** A random rule ID for a rule sent without one (S3 assigns one too). */
function newRuleId(): string {
  return randomBytes(24).toString('base64url');
}

/** <LifecycleConfiguration><Rule>…</Rule>…</LifecycleConfiguration> → the configuration (1..1000 rules), or the S3 error. */
export function parseLifecycleXml(body: Buffer | string): LifecycleConfig {
  if (Buffer.byteLength(body) > MAX_LIFECYCLE_CONFIG_BYTES) throw new S3Error('MaxMessageLengthExceeded');
  const doc = parseXml(body);
  const cfg = doc['LifecycleConfiguration'];
  if (cfg === undefined) throw malformed();
  const c = fields(cfg, ['Rule']);
  const raw = list(c['Rule']);
  if (raw.length === 0) throw malformed('A lifecycle configuration needs at least one rule.');
  if (raw.length > MAX_LIFECYCLE_RULES) throw malformed(`A lifecycle configuration can have up to ${MAX_LIFECYCLE_RULES} rules.`);
  const rules = raw.map(parseRule);
  const ids = new Set<string>();
  for (const r of rules) {
    if (r.id === '') continue;
    if (ids.has(r.id)) throw invalidArgument('Rule ID must be unique. Found same ID for more than one rule', 'ID', r.id);
    ids.add(r.id);
  }
  for (const r of rules) {
    if (r.id !== '') continue;
    do r.id = newRuleId();
    while (ids.has(r.id));
    ids.add(r.id);
  }
  return { rules };
}

// ---------------------------------------------------------------- rendering

function filterXml(f: LifecycleFilter): string {
  const tag = (t: LifecycleTag): string => `<Tag>${el('Key', t.key)}${el('Value', t.value)}</Tag>`;
  switch (f.form) {
    case 'legacy-prefix':
      return el('Prefix', f.prefix);
    case 'empty':
      return '<Filter></Filter>';
    case 'prefix':
      return `<Filter>${el('Prefix', f.prefix)}</Filter>`;
    case 'tag':
      return `<Filter>${tag(f.tags[0]!)}</Filter>`;
    case 'size-gt':
      return `<Filter>${el('ObjectSizeGreaterThan', f.sizeGreaterThan)}</Filter>`;
    case 'size-lt':
      return `<Filter>${el('ObjectSizeLessThan', f.sizeLessThan)}</Filter>`;
    case 'and':
      return (
        '<Filter><And>' +
        (f.prefix !== '' ? el('Prefix', f.prefix) : '') +
        f.tags.map(tag).join('') +
        el('ObjectSizeGreaterThan', f.sizeGreaterThan) +
        el('ObjectSizeLessThan', f.sizeLessThan) +
        '</And></Filter>'
      );
  }
}

function noncurrentXml(name: string, a: NoncurrentAction): string {
  return `<${name}>${el('NoncurrentDays', a.noncurrentDays)}${el('NewerNoncurrentVersions', a.newerNoncurrentVersions)}${el('StorageClass', a.storageClass)}</${name}>`;
}

/** The GetBucketLifecycleConfiguration body (without the XML declaration), in S3's element order. */
export function lifecycleXml(cfg: LifecycleConfig): string {
  let out = `<LifecycleConfiguration xmlns="${S3_NS}">`;
  for (const r of cfg.rules) {
    out += '<Rule>';
    const e = r.expiration;
    if (e) {
      out +=
        '<Expiration>' +
        el('Days', e.days) +
        (e.dateMs !== undefined ? el('Date', isoDate(e.dateMs)) : '') +
        el('ExpiredObjectDeleteMarker', e.expiredObjectDeleteMarker) +
        '</Expiration>';
    }
    out += el('ID', r.id) + filterXml(r.filter) + el('Status', r.enabled ? 'Enabled' : 'Disabled');
    for (const t of r.noncurrentVersionTransitions ?? []) out += noncurrentXml('NoncurrentVersionTransition', t);
    if (r.noncurrentVersionExpiration) out += noncurrentXml('NoncurrentVersionExpiration', r.noncurrentVersionExpiration);
    if (r.abortIncompleteMultipartUploadDays !== undefined) {
      out += `<AbortIncompleteMultipartUpload>${el('DaysAfterInitiation', r.abortIncompleteMultipartUploadDays)}</AbortIncompleteMultipartUpload>`;
    }
    out += '</Rule>';
  }
  return out + '</LifecycleConfiguration>';
}

// ---------------------------------------------------------------- stored form

const FILTER_FORMS = new Set(['legacy-prefix', 'empty', 'prefix', 'tag', 'size-gt', 'size-lt', 'and']);
const optionalNumber = (v: unknown): boolean => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

function isNoncurrent(v: unknown): boolean {
  const a = v as NoncurrentAction | null;
  return !!a && typeof a === 'object' && optionalNumber(a.noncurrentDays) && optionalNumber(a.newerNoncurrentVersions) && (a.storageClass === undefined || typeof a.storageClass === 'string');
}

function isRule(v: unknown): v is LifecycleRule {
  const r = v as LifecycleRule | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || r.id === '' || typeof r.enabled !== 'boolean') return false;
  const f = r.filter as LifecycleFilter | null;
  if (!f || typeof f !== 'object' || !FILTER_FORMS.has(f.form) || typeof f.prefix !== 'string' || !Array.isArray(f.tags)) return false;
  if (!f.tags.every((t) => t && typeof t.key === 'string' && typeof t.value === 'string')) return false;
  if (!optionalNumber(f.sizeGreaterThan) || !optionalNumber(f.sizeLessThan)) return false;
  const e = r.expiration;
  if (e !== undefined && (typeof e !== 'object' || e === null || !optionalNumber(e.days) || !optionalNumber(e.dateMs))) return false;
  if (e?.days !== undefined && e.days <= 0) return false;
  if (e?.dateMs !== undefined && e.dateMs % DAY_MS !== 0) return false;
  if (!optionalNumber(r.abortIncompleteMultipartUploadDays)) return false;
  if (r.noncurrentVersionExpiration !== undefined && !isNoncurrent(r.noncurrentVersionExpiration)) return false;
  if (r.noncurrentVersionTransitions !== undefined && !(Array.isArray(r.noncurrentVersionTransitions) && r.noncurrentVersionTransitions.every(isNoncurrent))) return false;
  return true;
}

/** Stored configurations already checked (settings values are replaced, never mutated in place). */
const checkedConfigs = new WeakSet<object>();

/**
 * The configuration stored in a bucket's settings, checked again on the way out of storage (the pair
 * of the validation on the way in); undefined when the bucket has none. A record that does not have
 * the shape we wrote is an invariant violation, not a configuration to guess at — least of all one
 * that deletes data.
 */
export function lifecycleFromSettings(settings: Readonly<Record<string, unknown>>): LifecycleConfig | undefined {
  const v = settings[BUCKET_LIFECYCLE_SETTING] as LifecycleConfig | undefined;
  if (v === undefined) return undefined;
  // GET/HEAD of every object in the bucket reads it (x-amz-expiration): check each stored value once.
  if (typeof v === 'object' && v !== null && checkedConfigs.has(v)) return v;
  if (!v || typeof v !== 'object' || !Array.isArray(v.rules) || v.rules.length === 0 || v.rules.length > MAX_LIFECYCLE_RULES) {
    throw new Error('bucket settings: lifecycle is not a list of 1..1000 rules');
  }
  if (!v.rules.every(isRule)) throw new Error('bucket settings: malformed lifecycle rule');
  checkedConfigs.add(v);
  return v;
}

// ---------------------------------------------------------------- matching and expiry

/** The part of an object a filter looks at. */
export type LifecycleSubject = Pick<ObjectMeta, 'key' | 'sizeBytes' | 'tags'>;

/**
 * Does the filter select this object? Prefix: the key starts with it. Tags: every one present with
 * exactly that value (a tag written without Value matches only an empty value); other tags do not
 * matter. Sizes: strictly greater / strictly less, in bytes.
 */
export function filterMatches(f: LifecycleFilter, o: LifecycleSubject): boolean {
  if (!o.key.startsWith(f.prefix)) return false;
  for (const t of f.tags) if (o.tags?.[t.key] !== t.value) return false;
  if (f.sizeGreaterThan !== undefined && !(o.sizeBytes > f.sizeGreaterThan)) return false;
  if (f.sizeLessThan !== undefined && !(o.sizeBytes < f.sizeLessThan)) return false;
  return true;
}

/**
 * S3's rounding: an object expires at the first midnight UTC after lastModified + days. Created
 * 2014-01-15 10:30 UTC with Days 3 → 2014-01-19 00:00 UTC; created exactly at midnight with Days 1 →
 * the midnight two days later. The same rule times AbortIncompleteMultipartUpload from initiation.
 */
export function expiryAfterDays(startMs: number, days: number): number {
  return Math.floor((startMs + days * DAY_MS) / DAY_MS) * DAY_MS + DAY_MS;
}

/** When an object expires under one rule, or undefined (disabled, no date-or-days expiration, no match). */
export function ruleExpiry(rule: LifecycleRule, o: LifecycleSubject & Pick<ObjectMeta, 'lastModifiedMs'>): number | undefined {
  const e = rule.expiration;
  if (!rule.enabled || e === undefined || (e.days === undefined && e.dateMs === undefined)) return undefined;
  if (!filterMatches(rule.filter, o)) return undefined;
  const ms = e.days !== undefined ? expiryAfterDays(o.lastModifiedMs, e.days) : e.dateMs!;
  // Days is an xsd:int: 2^31 days is past the last instant a Date can hold. Such an object never expires.
  return ms <= MAX_DATE_MS ? ms : undefined;
}

/** The last instant ECMAScript dates represent (±100,000,000 days around the epoch). */
const MAX_DATE_MS = 8.64e15;

/** The earliest expiry of an object over all rules, with the rule that sets it (x-amz-expiration, the sweeper). */
export function objectExpiry(cfg: LifecycleConfig, o: LifecycleSubject & Pick<ObjectMeta, 'lastModifiedMs'>): { expiryMs: number; ruleId: string } | undefined {
  let best: { expiryMs: number; ruleId: string } | undefined;
  for (const r of cfg.rules) {
    const ms = ruleExpiry(r, o);
    if (ms !== undefined && (best === undefined || ms < best.expiryMs)) best = { expiryMs: ms, ruleId: r.id };
  }
  return best;
}

/** Expired once its expiry instant has come. */
export function isExpired(cfg: LifecycleConfig, o: LifecycleSubject & Pick<ObjectMeta, 'lastModifiedMs'>, nowMs: number): boolean {
  const e = objectExpiry(cfg, o);
  return e !== undefined && e.expiryMs <= nowMs;
}

/** The x-amz-expiration header value S3 puts on PUT/GET/HEAD of an object a rule will expire. */
export function expirationHeader(expiry: { expiryMs: number; ruleId: string }): string {
  // The rule id is free text; a quote or a line break would break the header syntax.
  const id = expiry.ruleId.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));
  return `expiry-date="${new Date(expiry.expiryMs).toUTCString()}", rule-id="${id}"`;
}

/** Rules that abort uploads, enabled, with the day count. */
export function abortRules(cfg: LifecycleConfig): { prefix: string; days: number }[] {
  const out: { prefix: string; days: number }[] = [];
  for (const r of cfg.rules) {
    if (r.enabled && r.abortIncompleteMultipartUploadDays !== undefined) out.push({ prefix: r.filter.prefix, days: r.abortIncompleteMultipartUploadDays });
  }
  return out;
}

/** Rules that expire current objects (enabled, Days or Date). */
export function expirationRules(cfg: LifecycleConfig): LifecycleRule[] {
  return cfg.rules.filter((r) => r.enabled && r.expiration !== undefined && (r.expiration.days !== undefined || r.expiration.dateMs !== undefined));
}

/** The longest prefix every given prefix starts with: the one key range a sweep must list. */
export function commonPrefix(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return '';
  let p = prefixes[0]!;
  for (const q of prefixes) {
    let i = 0;
    while (i < p.length && i < q.length && p[i] === q[i]) i++;
    p = p.slice(0, i);
  }
  // Never end between the halves of a surrogate pair (keys are compared as UTF-8 by the engine).
  const last = p.charCodeAt(p.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) p = p.slice(0, -1);
  return p;
}

// ------------------------------------------------------------------------------------------------
// versioned buckets: noncurrent versions and expired delete markers

/** Rules that act on versions (enabled, NoncurrentVersionExpiration or ExpiredObjectDeleteMarker). */
export function versionRules(cfg: LifecycleConfig): LifecycleRule[] {
  return cfg.rules.filter((r) => r.enabled && (r.noncurrentVersionExpiration !== undefined || r.expiration?.expiredObjectDeleteMarker === true));
}

/**
 * When a noncurrent version expires, or undefined. `noncurrentSinceMs` is when it stopped being current
 * (its successor's lastModified: S3 counts NoncurrentDays from there, rounded to the next midnight UTC as
 * Days is); `newerNoncurrent` is how many noncurrent versions of its key are newer — with
 * NewerNoncurrentVersions N a rule keeps the N newest noncurrent versions whatever their age.
 */
export function noncurrentExpiry(cfg: LifecycleConfig, v: LifecycleSubject, noncurrentSinceMs: number, newerNoncurrent: number): number | undefined {
  let best: number | undefined;
  for (const r of cfg.rules) {
    const a = r.noncurrentVersionExpiration;
    if (!r.enabled || a === undefined || !filterMatches(r.filter, v)) continue;
    if (a.newerNoncurrentVersions !== undefined && newerNoncurrent < a.newerNoncurrentVersions) continue;
    const ms = a.noncurrentDays !== undefined ? expiryAfterDays(noncurrentSinceMs, a.noncurrentDays) : noncurrentSinceMs;
    if (ms <= MAX_DATE_MS && (best === undefined || ms < best)) best = ms;
  }
  return best;
}

/** A delete marker that is its key's only version is "expired" under a rule with ExpiredObjectDeleteMarker. */
export function removesExpiredMarker(cfg: LifecycleConfig, key: string): boolean {
  return cfg.rules.some((r) => r.enabled && r.expiration?.expiredObjectDeleteMarker === true && filterMatches(r.filter, { key, sizeBytes: 0 }));
}
