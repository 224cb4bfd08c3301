// Bucket CORS as S3 does it: the CORSConfiguration XML (parse, validate, render), the rule matcher,
// and the Access-Control-* headers for a preflight and for an actual request. Pure functions,
// unit-tested exhaustively; the handlers and the hook the HTTP layer calls are in cors-handlers.ts.

import type { HeaderList } from '../http/response.js';
import { S3Error } from './errors.js';
import { S3_NS, el, parseXml, text } from './xml.js';

/** AWS: "a CORS configuration can have up to 100 rules". */
export const MAX_CORS_RULES = 100;
/** AWS: "the maximum size of a CORS configuration is 64 KB". Bounds the PutBucketCors body too. */
export const MAX_CORS_CONFIG_BYTES = 64 * 1024;
/** S3's rule IDs are at most 255 characters. */
export const MAX_CORS_RULE_ID_CHARS = 255;
/** MaxAgeSeconds is an xsd:int. */
const MAX_AGE_MAX_SECONDS = 2_147_483_647;
/** The only methods a CORS rule may name (case-sensitive, as S3 checks them). */
export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] as const;
/** The bucket-settings field that holds the rules. */
export const BUCKET_CORS_SETTING = 'cors';
/** S3 answers every CORS response with this Vary, preflight or not: caches must key on all three. */
export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

export type CorsMethod = (typeof CORS_METHODS)[number];

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: CorsMethod[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const RULE_FIELDS = new Set(['ID', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader', 'MaxAgeSeconds']);

/** fast-xml-parser gives one child as a value and several as an array. */
function list(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function strings(v: unknown): string[] {
  return list(v).map((x) => {
    const s = text(x);
    if (s === undefined) throw new S3Error('MalformedXML');
    return s.trim();
  });
}

function wildcards(s: string): number {
  let n = 0;
  for (let i = s.indexOf('*'); i >= 0; i = s.indexOf('*', i + 1)) n++;
  return n;
}

/** Checks one rule as S3 does; throws the S3 error a bad rule gets. */
export function validateCorsRule(rule: CorsRule): void {
  if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw new S3Error('MalformedXML');
  if (rule.id !== undefined && [...rule.id].length > MAX_CORS_RULE_ID_CHARS) {
    throw new S3Error('InvalidArgument', `The ID of a CORS rule can not be longer than ${MAX_CORS_RULE_ID_CHARS} characters.`, { details: { ArgumentName: 'ID', ArgumentValue: rule.id } });
  }
  for (const m of rule.allowedMethods) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
  }
  for (const o of rule.allowedOrigins) {
    if (wildcards(o) > 1) throw new S3Error('InvalidRequest', `AllowedOrigin "${o}" can not have more than one wildcard.`);
  }
  for (const h of rule.allowedHeaders) {
    if (wildcards(h) > 1) throw new S3Error('InvalidRequest', `AllowedHeader "${h}" can not have more than one wildcard.`);
  }
  for (const h of rule.exposeHeaders) {
    if (h.includes('*')) throw new S3Error('InvalidRequest', `ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
  }
  if (rule.maxAgeSeconds !== undefined && (!Number.isInteger(rule.maxAgeSeconds) || rule.maxAgeSeconds < 0 || rule.maxAgeSeconds > MAX_AGE_MAX_SECONDS)) {
    throw new S3Error('MalformedXML');
  }
}

function parseRule(raw: unknown): CorsRule {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new S3Error('MalformedXML');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    // Whitespace between child elements may surface as text; anything else unknown is a schema error.
    if (k === '#text' && (text(r[k]) ?? '').trim() === '') continue;
    if (!RULE_FIELDS.has(k)) throw new S3Error('MalformedXML');
  }
  const ids = strings(r['ID']);
  const ages = strings(r['MaxAgeSeconds']);
  if (ids.length > 1 || ages.length > 1) throw new S3Error('MalformedXML');
  const rule: CorsRule = {
    allowedOrigins: strings(r['AllowedOrigin']),
    allowedMethods: strings(r['AllowedMethod']) as CorsMethod[],
    allowedHeaders: strings(r['AllowedHeader']),
    exposeHeaders: strings(r['ExposeHeader']),
  };
  if (ids[0] !== undefined && ids[0] !== '') rule.id = ids[0];
  if (ages[0] !== undefined) {
    if (!/^\d{1,10}$/.test(ages[0])) throw new S3Error('MalformedXML');
    rule.maxAgeSeconds = Number(ages[0]);
  }
  validateCorsRule(rule);
  return rule;
}

/** <CORSConfiguration><CORSRule>…</CORSRule>…</CORSConfiguration> → rules (1..100), or the S3 error. */
export function parseCorsXml(body: Buffer | string): CorsRule[] {
  if (Buffer.byteLength(body) > MAX_CORS_CONFIG_BYTES) throw new S3Error('MaxMessageLengthExceeded');
  const doc = parseXml(body);
  const cfg = doc['CORSConfiguration'];
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new S3Error('MalformedXML');
  const c = cfg as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (k === '#text' && (text(c[k]) ?? '').trim() === '') continue;
    if (k !== 'CORSRule') throw new S3Error('MalformedXML');
  }
  const raw = list(c['CORSRule']);
  if (raw.length === 0) throw new S3Error('MalformedXML');
  if (raw.length > MAX_CORS_RULES) throw new S3Error('InvalidRequest', `The number of CORS rules should not exceed allowed limit of ${MAX_CORS_RULES} rules.`);
  return raw.map(parseRule);
}

/** The GetBucketCors body (without the XML declaration). */
export function corsXml(rules: readonly CorsRule[]): string {
  let out = `<CORSConfiguration xmlns="${S3_NS}">`;
  for (const r of rules) {
    out += '<CORSRule>' + el('ID', r.id);
    for (const h of r.allowedHeaders) out += el('AllowedHeader', h);
    for (const m of r.allowedMethods) out += el('AllowedMethod', m);
    for (const o of r.allowedOrigins) out += el('AllowedOrigin', o);
    for (const h of r.exposeHeaders) out += el('ExposeHeader', h);
    out += el('MaxAgeSeconds', r.maxAgeSeconds) + '</CORSRule>';
  }
  return out + '</CORSConfiguration>';
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/**
 * The rules stored in a bucket's settings, checked again on the way out of storage (the pair of the
 * validation on the way in); undefined when the bucket has none. A record that does not have the
 * shape we wrote is an invariant violation, not a configuration to guess at.
 */
export function corsRulesFromSettings(settings: Readonly<Record<string, unknown>>): CorsRule[] | undefined {
  const v = settings[BUCKET_CORS_SETTING];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CORS_RULES) throw new Error('bucket settings: cors is not a list of 1..100 rules');
  for (const r of v as unknown[]) {
    const x = r as Partial<CorsRule> | null;
    if (
      !x ||
      typeof x !== 'object' ||
      !isStringArray(x.allowedOrigins) ||
      !isStringArray(x.allowedMethods) ||
      !isStringArray(x.allowedHeaders) ||
      !isStringArray(x.exposeHeaders) ||
      (x.id !== undefined && typeof x.id !== 'string') ||
      (x.maxAgeSeconds !== undefined && typeof x.maxAgeSeconds !== 'number')
    ) {
      throw new Error('bucket settings: malformed cors rule');
    }
  }
  return v as CorsRule[];
}

/** S3's pattern match: at most one '*', which stands for any run of characters (empty too). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === value;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return value.length >= prefix.length + suffix.length && value.startsWith(prefix) && value.endsWith(suffix);
}

/** 'X-Amz-Date, content-type,,' → ['x-amz-date', 'content-type']. */
export function parseRequestHeaders(value: string | undefined): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const h of value.split(',')) {
    const t = h.trim().toLowerCase();
    if (t !== '') out.push(t);
  }
  return out;
}

/**
 * The first rule that allows this origin and method and (preflight) every requested header.
 * Origins compare case-sensitively (browsers serialise them in lower case); header names do not.
 */
export function findCorsRule(rules: readonly CorsRule[], origin: string, method: string, requestHeaders: readonly string[] = []): CorsRule | undefined {
  for (const r of rules) {
    if (!(r.allowedMethods as readonly string[]).includes(method)) continue;
    if (!r.allowedOrigins.some((o) => wildcardMatch(o, origin))) continue;
    if (!requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a.toLowerCase(), h)))) continue;
    return r;
  }
  return undefined;
}

/** Headers common to preflight and actual responses once a rule matched. */
function allowHeaders(rule: CorsRule, origin: string): HeaderList {
  // S3 answers '*' (and no credentials) only when the rule's origin is exactly '*'; otherwise it
  // echoes the origin and allows credentials, as a browser needs for a signed, cookie-less request.
  const any = rule.allowedOrigins.includes('*') && !rule.allowedOrigins.some((o) => o !== '*' && wildcardMatch(o, origin));
  const h: HeaderList = {
    'Access-Control-Allow-Origin': any ? '*' : origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
  };
  if (!any) h['Access-Control-Allow-Credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) h['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['Access-Control-Max-Age'] = rule.maxAgeSeconds;
  h['Vary'] = CORS_VARY;
  return h;
}

/** The 200 answer to an allowed preflight. */
export function preflightHeaders(rule: CorsRule, origin: string, requestHeaders: readonly string[]): HeaderList {
  const h = allowHeaders(rule, origin);
  if (requestHeaders.length > 0) h['Access-Control-Allow-Headers'] = requestHeaders.join(', ');
  return h;
}

/** Added to an actual request's response (success or error) when its Origin and method match a rule. */
export function actualRequestHeaders(rule: CorsRule, origin: string): HeaderList {
  return allowHeaders(rule, origin);
}
