// Bucket policies as S3 does them: the JSON document (parse, validate, compile), the IAM evaluation
// (explicit Deny wins, Allow needed where the caller's identity does not already grant), and the
// "is this policy public" judgement of GetBucketPolicyStatus. Pure functions, unit-tested; the
// operations and the per-request glue are in policy-handlers.ts.
//
// Safety rule: nothing this module does not understand may widen access. Every match is three-valued
// (yes / no / unknown): an unsupported condition operator or key, or a policy variable we do not
// substitute, makes its statement "unknown", which never grants (Allow needs a definite yes) and
// always denies (a Deny applies unless something in it is a definite no).

import { isIP } from 'node:net';
import { isValidAccessKeyId } from '../auth/identities.js';
import { S3Error } from './errors.js';

/** The bucket-settings field that holds the policy: the JSON text exactly as the client sent it. */
export const BUCKET_POLICY_SETTING = 'policy';
export const POLICY_VERSIONS = ['2012-10-17', '2008-10-17'] as const;
const S3_ARN_PREFIX = 'arn:aws:s3:::';

// ------------------------------------------------------------------------------------------------
// three-valued logic

/** 1 = yes, 0 = no, 2 = unknown (something unsupported decided it). */
export type Tri = 0 | 1 | 2;
const NO: Tri = 0;
const YES: Tri = 1;
const UNKNOWN: Tri = 2;

/** Kleene AND: a definite no wins, then unknown. */
function and(a: Tri, b: Tri): Tri {
  if (a === NO || b === NO) return NO;
  return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : YES;
}

function not(a: Tri): Tri {
  return a === UNKNOWN ? UNKNOWN : a === YES ? NO : YES;
}

// ------------------------------------------------------------------------------------------------
// glob patterns ('*' any run, '?' one character), matched without backtracking blow-up

const LIT = 0;
const STAR = 1;
const ONE = 2;

export interface Glob {
  /** Pattern characters (lower-cased when caseInsensitive). */
  chars: string;
  /** Per character: LIT, STAR or ONE. */
  kinds: Uint8Array;
  caseInsensitive: boolean;
  /** Contains a policy variable (${aws:username} …) Strata does not substitute: matches nothing for sure. */
  unsupported: boolean;
  /** Fast paths for the usual shapes: no wildcard at all, or one trailing '*' ("bucket/prefix/*", "s3:Get*"). */
  exact?: string;
  prefix?: string;
}

/**
 * Compile a pattern. With `variables` (policy Version 2012-10-17), ${*} ${?} ${$} are the literal
 * characters and any other ${…} is a variable we do not substitute (the glob becomes unsupported).
 */
export function compileGlob(pattern: string, caseInsensitive: boolean, variables: boolean): Glob {
  let chars = '';
  const kinds: number[] = [];
  let unsupported = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (variables && c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      const name = end < 0 ? '' : pattern.slice(i + 2, end);
      if (name === '*' || name === '?' || name === '$') {
        chars += name;
        kinds.push(LIT);
        i = end;
        continue;
      }
      unsupported = true;
    }
    chars += caseInsensitive ? c.toLowerCase() : c;
    kinds.push(c === '*' ? STAR : c === '?' ? ONE : LIT);
  }
  const g: Glob = { chars, kinds: Uint8Array.from(kinds), caseInsensitive, unsupported };
  const wild = kinds.filter((k) => k !== LIT).length;
  if (wild === 0) g.exact = chars;
  else if (wild === 1 && kinds[kinds.length - 1] === STAR) g.prefix = chars.slice(0, -1);
  return g;
}

/** Greedy wildcard match with one backtrack point: O(pattern × value) worst case, linear in practice. */
export function globMatch(g: Glob, value: string): Tri {
  if (g.unsupported) return UNKNOWN;
  const v = g.caseInsensitive ? value.toLowerCase() : value;
  if (g.exact !== undefined) return v === g.exact ? YES : NO;
  if (g.prefix !== undefined) return v.startsWith(g.prefix) ? YES : NO;
  const p = g.chars;
  const k = g.kinds;
  let pi = 0;
  let vi = 0;
  let starP = -1;
  let starV = 0;
  while (vi < v.length) {
    if (pi < p.length && k[pi] !== STAR && (k[pi] === ONE || p[pi] === v[vi])) {
      pi++;
      vi++;
    } else if (pi < p.length && k[pi] === STAR) {
      starP = pi++;
      starV = vi;
    } else if (starP >= 0) {
      pi = starP + 1;
      vi = ++starV;
    } else {
      return NO;
    }
  }
  while (pi < p.length && k[pi] === STAR) pi++;
  return pi === p.length ? YES : NO;
}

function anyGlob(globs: readonly Glob[], value: string): Tri {
  let out: Tri = NO;
  for (const g of globs) {
    const m = globMatch(g, value);
    if (m === YES) return YES;
    if (m === UNKNOWN) out = UNKNOWN;
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// the compiled policy

export interface PrincipalSpec {
  /** "*" or {"AWS": "*"}: everyone, anonymous included. */
  everyone: boolean;
  /** The account ("123456789012" or arn:aws:iam::…:root): every identity of Strata's one account. */
  account: boolean;
  /** Access key ids named by arn:aws:iam::<account>:user/<key>, a bare key id, or CanonicalUser. */
  users: ReadonlySet<string>;
}

export type ConditionKind = 'string' | 'stringIgnoreCase' | 'stringLike' | 'numeric' | 'date' | 'bool' | 'ip' | 'arn' | 'arnLike' | 'null' | 'unsupported';

export interface CompiledCondition {
  /** As written, e.g. "ForAnyValue:StringNotLikeIfExists". */
  operator: string;
  kind: ConditionKind;
  /** NotEquals, NotLike, NotIpAddress …: true when no policy value matches. */
  negated: boolean;
  /** For numeric and date kinds: eq, lt, le, gt, ge. */
  compare?: 'eq' | 'lt' | 'le' | 'gt' | 'ge';
  ifExists: boolean;
  set?: 'ForAllValues' | 'ForAnyValue';
  /** Condition key as written; looked up lower-cased (IAM keys are case-insensitive). */
  key: string;
  values: string[];
  globs?: Glob[];
  numbers?: number[];
  ips?: Cidr[];
  /** The key lower-cased, and whether Strata knows its value (decided once, at compile time). */
  lowerKey: string;
  supportedKey: boolean;
}

export interface CompiledStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  principal: PrincipalSpec;
  /** NotPrincipal: the statement applies to everyone the spec does NOT name. */
  notPrincipal: boolean;
  actions: Glob[];
  notAction: boolean;
  resources: Glob[];
  notResource: boolean;
  conditions: CompiledCondition[];
}

export interface CompiledPolicy {
  version: string;
  statements: CompiledStatement[];
}

function malformed(message: string): S3Error {
  return new S3Error('MalformedPolicy', message);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty list of strings (IAM's "one or many"). */
function stringList(v: unknown, what: string): string[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0) throw malformed(`${what} must not be empty`);
  for (const x of list) if (typeof x !== 'string' || x === '') throw malformed(`${what} must be a string or a list of strings`);
  return list as string[];
}

const STATEMENT_FIELDS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const PRINCIPAL_TYPES = new Set(['AWS', 'CanonicalUser', 'Service', 'Federated']);

/** Put-time checks that need the node's state (the pure parse cannot know who exists). */
export interface PolicyCheckOptions {
  /** Does an identity with this access key id exist? A principal naming an unknown user is refused, as AWS does. */
  isKnownUser?: (accessKeyId: string) => boolean;
}

function parsePrincipal(v: unknown, opts: PolicyCheckOptions): PrincipalSpec {
  const users = new Set<string>();
  const spec = { everyone: false, account: false, users };
  if (v === '*') return { ...spec, everyone: true };
  if (!isPlainObject(v) || Object.keys(v).length === 0) throw malformed('Invalid principal in policy');
  for (const [type, raw] of Object.entries(v)) {
    if (!PRINCIPAL_TYPES.has(type)) throw malformed(`Invalid principal in policy: unknown principal type "${type}"`);
    for (const p of stringList(raw, 'Principal')) {
      if (type === 'Service' || type === 'Federated') continue; // valid, and never a Strata caller
      if (type === 'CanonicalUser') {
        // Strata's canonical user id is the access key id (GetBucketAcl shows it as the owner ID).
        if (!isValidAccessKeyId(p)) throw malformed(`Invalid principal in policy: "${p}"`);
        users.add(p);
        continue;
      }
      if (p === '*') spec.everyone = true;
      else if (/^\d{12}$/.test(p) || /^arn:aws:iam::[^:*?]*:root$/.test(p)) spec.account = true;
      else if (/^arn:aws:iam::[^:*?]*:(role|assumed-role|federated-user|group)\/[^*?]+$/.test(p) || /^arn:aws:sts::[^:*?]*:[^*?]+$/.test(p)) continue;
      else {
        const m = /^arn:aws:iam::[^:*?]*:user\/(?:[^*?]*\/)?([^/*?]+)$/.exec(p);
        if (m) users.add(m[1]!);
        else if (isValidAccessKeyId(p)) users.add(p);
        else throw malformed(`Invalid principal in policy: "${p}"`);
      }
    }
  }
  // A Deny naming a user who does not exist would silently bind nobody (a typo, usually).
  if (opts.isKnownUser) for (const u of users) if (!opts.isKnownUser(u)) throw malformed(`Invalid principal in policy: no identity with access key id "${u}"`);
  return spec;
}

/**
 * S3's IAM action names (AWS's service authorization reference, lower-cased), so that a literal
 * action is checked as AWS checks it: a typo in a Deny ("s3:DeleteObjekt") must be an error, not a
 * statement that silently never applies. Patterns with wildcards are accepted as they are. An action
 * AWS adds later and is missing here is refused (visible, fixable) rather than accepted blind.
 */
export const KNOWN_S3_ACTIONS: ReadonlySet<string> = new Set(
  (
    'AbortMultipartUpload BypassGovernanceRetention CreateAccessGrant CreateAccessGrantsInstance CreateAccessGrantsLocation ' +
    'CreateAccessPoint CreateAccessPointForObjectLambda CreateBucket CreateBucketMetadataTableConfiguration CreateJob ' +
    'CreateMultiRegionAccessPoint CreateStorageLensGroup DeleteAccessGrant DeleteAccessPoint DeleteAccessPointForObjectLambda ' +
    'DeleteAccessPointPolicy DeleteAccessPointPolicyForObjectLambda DeleteBucket DeleteBucketMetadataTableConfiguration ' +
    'DeleteBucketOwnershipControls DeleteBucketPolicy DeleteBucketWebsite DeleteJobTagging DeleteMultiRegionAccessPoint ' +
    'DeleteObject DeleteObjectTagging DeleteObjectVersion DeleteObjectVersionTagging DeleteStorageLensConfiguration ' +
    'DeleteStorageLensConfigurationTagging DeleteStorageLensGroup DescribeJob DescribeMultiRegionAccessPointOperation ' +
    'GetAccelerateConfiguration GetAccessGrant GetAccessPoint GetAccessPointConfigurationForObjectLambda ' +
    'GetAccessPointForObjectLambda GetAccessPointPolicy GetAccessPointPolicyForObjectLambda GetAccessPointPolicyStatus ' +
    'GetAccessPointPolicyStatusForObjectLambda GetAccountPublicAccessBlock GetAnalyticsConfiguration GetBucketAcl ' +
    'GetBucketCORS GetBucketLocation GetBucketLogging GetBucketMetadataTableConfiguration GetBucketNotification ' +
    'GetBucketObjectLockConfiguration GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus ' +
    'GetBucketPublicAccessBlock GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite GetDataAccess ' +
    'GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration GetJobTagging ' +
    'GetLifecycleConfiguration GetMetricsConfiguration GetMultiRegionAccessPoint GetMultiRegionAccessPointPolicy ' +
    'GetMultiRegionAccessPointPolicyStatus GetMultiRegionAccessPointRoutes GetObject GetObjectAcl GetObjectAttributes ' +
    'GetObjectLegalHold GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion GetObjectVersionAcl ' +
    'GetObjectVersionAttributes GetObjectVersionForReplication GetObjectVersionTagging GetObjectVersionTorrent ' +
    'GetReplicationConfiguration GetStorageLensConfiguration GetStorageLensConfigurationTagging GetStorageLensDashboard ' +
    'GetStorageLensGroup InitiateReplication ListAccessGrants ListAccessPoints ListAccessPointsForObjectLambda ' +
    'ListAllMyBuckets ListBucket ListBucketMultipartUploads ListBucketVersions ListJobs ListMultiRegionAccessPoints ' +
    'ListMultipartUploadParts ListStorageLensConfigurations ListStorageLensGroups ListTagsForResource ' +
    'ObjectOwnerOverrideToBucketOwner PauseReplication PutAccelerateConfiguration PutAccessPointConfigurationForObjectLambda ' +
    'PutAccessPointPolicy PutAccessPointPolicyForObjectLambda PutAccessPointPublicAccessBlock PutAccountPublicAccessBlock ' +
    'PutAnalyticsConfiguration PutBucketAcl PutBucketCORS PutBucketLogging PutBucketNotification ' +
    'PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy PutBucketPublicAccessBlock ' +
    'PutBucketRequestPayment PutBucketTagging PutBucketVersioning PutBucketWebsite PutEncryptionConfiguration ' +
    'PutIntelligentTieringConfiguration PutInventoryConfiguration PutJobTagging PutLifecycleConfiguration ' +
    'PutMetricsConfiguration PutMultiRegionAccessPointPolicy PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention ' +
    'PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging PutReplicationConfiguration PutStorageLensConfiguration ' +
    'PutStorageLensConfigurationTagging ReplicateDelete ReplicateObject ReplicateTags RestoreObject ' +
    'SubmitMultiRegionAccessPointRoutes TagResource UntagResource UpdateBucketMetadataTableConfiguration UpdateJobPriority ' +
    'UpdateJobStatus UpdateStorageLensGroup'
  )
    .split(' ')
    .map((a) => 's3:' + a.toLowerCase()),
);

function parseActions(v: unknown, variables: boolean): Glob[] {
  return stringList(v, 'Action').map((a) => {
    if (a !== '*' && !/^s3:[A-Za-z0-9*?]+$/i.test(a)) throw malformed(`Policy has invalid action: "${a}"`);
    if (!/[*?]/.test(a) && !KNOWN_S3_ACTIONS.has(a.toLowerCase())) throw malformed(`Policy has invalid action: "${a}" is not an S3 action`);
    return compileGlob(a, true, variables);
  });
}

function parseResources(v: unknown, bucket: string, variables: boolean): Glob[] {
  return stringList(v, 'Resource').map((r) => {
    // Only this bucket and its objects: a policy may not speak for another bucket (AWS: "Policy has invalid resource").
    const rest = r.startsWith(S3_ARN_PREFIX) ? r.slice(S3_ARN_PREFIX.length) : undefined;
    if (rest === undefined || (rest !== bucket && !rest.startsWith(bucket + '/'))) throw malformed(`Policy has invalid resource: "${r}" is not bucket ${bucket} or an object in it`);
    return compileGlob(r, false, variables);
  });
}

/** "ForAnyValue:StringNotLikeIfExists" → its parts; an operator outside IAM's grammar → MalformedPolicy. */
export function parseOperator(operator: string): Omit<CompiledCondition, 'key' | 'values' | 'lowerKey' | 'supportedKey'> {
  let name = operator;
  let set: CompiledCondition['set'];
  const colon = name.indexOf(':');
  if (colon >= 0) {
    const prefix = name.slice(0, colon);
    if (prefix !== 'ForAllValues' && prefix !== 'ForAnyValue') throw malformed(`Invalid Condition type: ${operator}`);
    set = prefix;
    name = name.slice(colon + 1);
  }
  let ifExists = false;
  if (name.endsWith('IfExists') && name !== 'IfExists') {
    ifExists = true;
    name = name.slice(0, -'IfExists'.length);
  }
  const base = { operator, ifExists, ...(set ? { set } : {}) };
  const cmp = (s: string): CompiledCondition['compare'] =>
    s === 'Equals' || s === 'NotEquals' ? 'eq' : s === 'LessThan' ? 'lt' : s === 'LessThanEquals' ? 'le' : s === 'GreaterThan' ? 'gt' : s === 'GreaterThanEquals' ? 'ge' : undefined;
  switch (name) {
    case 'StringEquals':
    case 'StringNotEquals':
      return { ...base, kind: 'string', negated: name === 'StringNotEquals' };
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return { ...base, kind: 'stringIgnoreCase', negated: name === 'StringNotEqualsIgnoreCase' };
    case 'StringLike':
    case 'StringNotLike':
      return { ...base, kind: 'stringLike', negated: name === 'StringNotLike' };
    case 'ArnEquals':
    case 'ArnNotEquals':
      return { ...base, kind: 'arn', negated: name === 'ArnNotEquals' };
    case 'ArnLike':
    case 'ArnNotLike':
      return { ...base, kind: 'arnLike', negated: name === 'ArnNotLike' };
    case 'Bool':
      return { ...base, kind: 'bool', negated: false };
    case 'IpAddress':
    case 'NotIpAddress':
      return { ...base, kind: 'ip', negated: name === 'NotIpAddress' };
    case 'Null':
      if (ifExists) break;
      return { ...base, kind: 'null', negated: false };
    case 'BinaryEquals':
      // A valid IAM operator Strata does not evaluate: accepted, and fail-safe when evaluated.
      return { ...base, kind: 'unsupported', negated: false };
    default: {
      const m = /^(Numeric|Date)(Equals|NotEquals|LessThan|LessThanEquals|GreaterThan|GreaterThanEquals)$/.exec(name);
      if (m) return { ...base, kind: m[1] === 'Numeric' ? 'numeric' : 'date', negated: m[2] === 'NotEquals', compare: cmp(m[2]!)! };
    }
  }
  throw malformed(`Invalid Condition type: ${operator}`);
}

/** Date condition values: ISO 8601 or epoch seconds. NaN when neither. */
export function parseDateMs(s: string): number {
  if (/^\d{1,12}$/.test(s)) return Number(s) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return NaN;
  return Date.parse(s);
}

/** An address as 16-bit groups (2 for IPv4, 8 for IPv6) plus a prefix length. */
export interface Cidr {
  groups: number[];
  bits: number;
}

/** Dotted quad → two 16-bit groups, by char codes (it runs per request for aws:SourceIp). */
function parseIpv4(s: string): number[] | undefined {
  const b = [0, 0, 0, 0];
  let part = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || ++part > 3) return undefined;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && digits < 3) {
      b[part] = b[part]! * 10 + (c - 0x30);
      if (b[part]! > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (part !== 3 || digits === 0) return undefined;
  return [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
}

function parseIpv6(s: string): number[] | undefined {
  let tail4: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail4 = v4;
    s = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const split = (x: string): string[] => (x === '' ? [] : x.split(':'));
  const head = split(dbl >= 0 ? s.slice(0, dbl) : s);
  const tail = dbl >= 0 ? split(s.slice(dbl + 2)) : [];
  const fill = 8 - head.length - tail.length;
  if (dbl >= 0 ? fill < 1 : fill !== 0) return undefined;
  const groups: number[] = [];
  for (const g of [...head, ...Array<string>(dbl >= 0 ? fill : 0).fill('0'), ...tail]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    groups.push(parseInt(g, 16));
  }
  if (tail4.length) groups.splice(6, 2, ...tail4);
  return groups;
}

/** "127.0.0.1", "::1", "::ffff:10.0.0.1" → 16-bit groups; undefined when not an address. */
export function parseIp(s: string): number[] | undefined {
  return s.includes(':') ? parseIpv6(s) : parseIpv4(s);
}

/** "10.0.0.0/8", "127.0.0.1", "2001:db8::/32" → a Cidr; undefined when not one. */
export function parseCidr(cidr: string): Cidr | undefined {
  const slash = cidr.indexOf('/');
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  if (isIP(addr) === 0) return undefined;
  const groups = parseIp(addr);
  if (!groups) return undefined;
  const max = groups.length * 16;
  const bits = slash < 0 ? max : /^\d{1,3}$/.test(cidr.slice(slash + 1)) ? Number(cidr.slice(slash + 1)) : -1;
  if (bits < 0 || bits > max) return undefined;
  return { groups, bits };
}

/** Same family and the first `bits` bits equal. (node:net's BlockList costs ~2.6 µs a check; this, ~50 ns.) */
export function cidrContains(c: Cidr, addr: readonly number[]): boolean {
  if (addr.length !== c.groups.length) return false;
  let left = c.bits;
  for (let i = 0; left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((addr[i]! & mask) !== (c.groups[i]! & mask)) return false;
  }
  return true;
}

function parseConditions(v: unknown, variables: boolean): CompiledCondition[] {
  if (!isPlainObject(v)) throw malformed('Condition must be an object of operators');
  const out: CompiledCondition[] = [];
  for (const [operator, block] of Object.entries(v)) {
    const op = parseOperator(operator);
    if (!isPlainObject(block) || Object.keys(block).length === 0) throw malformed(`Condition ${operator} must map condition keys to values`);
    for (const [key, raw] of Object.entries(block)) {
      if (key === '' || key.length > 256) throw malformed(`Invalid condition key in ${operator}`);
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length === 0) throw malformed(`Condition ${operator} ${key} has no values`);
      const values = list.map((x) => {
        if (typeof x === 'string') return x;
        if (typeof x === 'number' || typeof x === 'boolean') return String(x);
        throw malformed(`Condition ${operator} ${key}: values must be strings, numbers or booleans`);
      });
      const lowerKey = key.toLowerCase();
      const c: CompiledCondition = { ...op, key, values, lowerKey, supportedKey: isSupportedConditionKey(lowerKey) };
      switch (op.kind) {
        case 'stringLike':
        case 'arnLike':
          c.globs = values.map((s) => compileGlob(s, false, variables));
          break;
        case 'string':
        case 'stringIgnoreCase':
        case 'arn':
          // Equality operators still substitute ${…}; an unsupported variable makes the value unknown.
          c.globs = values.map((s) => {
            const g = compileGlob(s, op.kind === 'stringIgnoreCase', variables);
            for (let i = 0; i < g.kinds.length; i++) g.kinds[i] = LIT;
            delete g.prefix;
            g.exact = g.chars;
            return g;
          });
          break;
        case 'numeric':
          c.numbers = values.map((s) => {
            const n = Number(s);
            if (s.trim() === '' || !Number.isFinite(n)) throw malformed(`Condition ${operator} ${key}: "${s}" is not a number`);
            return n;
          });
          break;
        case 'date':
          c.numbers = values.map((s) => {
            const n = parseDateMs(s);
            if (!Number.isFinite(n)) throw malformed(`Condition ${operator} ${key}: "${s}" is not a date`);
            return n;
          });
          break;
        case 'bool':
        case 'null':
          for (const s of values) if (s.toLowerCase() !== 'true' && s.toLowerCase() !== 'false') throw malformed(`Condition ${operator} ${key}: "${s}" is not true or false`);
          break;
        case 'ip': {
          c.ips = values.map((s) => {
            const cidr = parseCidr(s.trim());
            if (!cidr) throw malformed(`Condition ${operator} ${key}: "${s}" is not an IP address or CIDR block`);
            return cidr;
          });
          break;
        }
        case 'unsupported':
          break;
      }
      out.push(c);
    }
  }
  return out;
}

function parseStatement(raw: unknown, bucket: string, variables: boolean, opts: PolicyCheckOptions): CompiledStatement {
  if (!isPlainObject(raw)) throw malformed('Each Statement must be an object');
  for (const k of Object.keys(raw)) if (!STATEMENT_FIELDS.has(k)) throw malformed(`Unknown field ${k} in Statement`);
  const { Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource, Condition } = raw;
  if (Sid !== undefined && typeof Sid !== 'string') throw malformed('Sid must be a string');
  if (Effect !== 'Allow' && Effect !== 'Deny') throw malformed(Effect === undefined ? 'Missing required field Effect' : 'Invalid effect: must be Allow or Deny');
  if ((Principal === undefined) === (NotPrincipal === undefined)) throw malformed('A Statement needs exactly one of Principal and NotPrincipal');
  // NotPrincipal with Allow grants to everyone not listed, anonymous callers included. AWS accepts it
  // (and advises against it); so does Strata — GetBucketPolicyStatus reports such a policy as public.
  if ((Action === undefined) === (NotAction === undefined)) throw malformed('A Statement needs exactly one of Action and NotAction');
  if ((Resource === undefined) === (NotResource === undefined)) throw malformed('A Statement needs exactly one of Resource and NotResource');
  const st: CompiledStatement = {
    effect: Effect,
    principal: parsePrincipal(Principal ?? NotPrincipal, opts),
    notPrincipal: NotPrincipal !== undefined,
    actions: parseActions(Action ?? NotAction, variables),
    notAction: NotAction !== undefined,
    resources: parseResources(Resource ?? NotResource, bucket, variables),
    notResource: NotResource !== undefined,
    conditions: Condition === undefined ? [] : parseConditions(Condition, variables),
  };
  if (Sid !== undefined) st.sid = Sid;
  return st;
}

/**
 * The PutBucketPolicy body → compiled policy, or MalformedPolicy with a message naming the problem.
 * `bucket` is the bucket the policy is for: every Resource must be it or an object in it. `opts` are
 * the Put-time checks; a stored policy is read back without them (an identity may since have gone).
 */
export function parsePolicy(text: string, bucket: string, opts: PolicyCheckOptions = {}): CompiledPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('Policies must be valid JSON');
  }
  if (!isPlainObject(doc)) throw malformed('Policies must be valid JSON and the first byte must be \'{\'');
  for (const k of Object.keys(doc)) if (k !== 'Version' && k !== 'Id' && k !== 'Statement') throw malformed(`Unknown field ${k}`);
  // AWS treats a missing Version as 2008-10-17 (no policy variables).
  const version = doc['Version'] ?? '2008-10-17';
  if (typeof version !== 'string' || !(POLICY_VERSIONS as readonly string[]).includes(version)) throw malformed(`Invalid policy Version: must be ${POLICY_VERSIONS.join(' or ')}`);
  if (doc['Id'] !== undefined && typeof doc['Id'] !== 'string') throw malformed('Id must be a string');
  const raw = doc['Statement'];
  if (raw === undefined) throw malformed('Missing required field Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw malformed('Statement must not be empty');
  const variables = version === '2012-10-17';
  const statements = list.map((s) => parseStatement(s, bucket, variables, opts));
  const sids = new Set<string>();
  for (const s of statements) {
    if (s.sid === undefined || s.sid === '') continue;
    if (sids.has(s.sid)) throw malformed(`Statement IDs (SID) must be unique: "${s.sid}"`);
    sids.add(s.sid);
  }
  return { version, statements };
}

// ------------------------------------------------------------------------------------------------
// evaluation

/** Who is asking: nobody (no credentials at all), or the identity with this access key id. */
export type Caller = { anonymous: true } | { anonymous: false; accessKeyId: string };

export interface RequestFacts {
  caller: Caller;
  /** e.g. "s3:GetObject" (compared case-insensitively). */
  action: string;
  /** arn:aws:s3:::bucket or arn:aws:s3:::bucket/key. */
  resource: string;
  /**
   * Condition key → value; undefined when the key is absent from this request. `lower` is the name
   * lower-cased (IAM key names are case-insensitive); `asWritten` keeps the case of a tag key.
   */
  key(lower: string, asWritten: string): string | undefined;
}

/**
 * Condition keys Strata knows the value of (lower-case). Anything else is an unsupported key: its
 * condition is "unknown" (fail-safe). s3:x-amz-* are request headers; s3:existingobjecttag/<k> the
 * object's tags.
 */
export const SUPPORTED_CONDITION_KEYS: ReadonlySet<string> = new Set([
  'aws:sourceip',
  'aws:securetransport',
  'aws:currenttime',
  'aws:epochtime',
  'aws:useragent',
  'aws:referer',
  'aws:principaltype',
  'aws:username',
  's3:prefix',
  's3:delimiter',
  's3:max-keys',
  's3:authtype',
  's3:signatureversion',
]);

export function isSupportedConditionKey(lower: string): boolean {
  return SUPPORTED_CONDITION_KEYS.has(lower) || lower.startsWith('s3:x-amz-') || (lower.startsWith('s3:existingobjecttag/') && lower.length > 's3:existingobjecttag/'.length);
}

/** Does one policy value hold for the request's value (before negation)? */
function valueMatches(c: CompiledCondition, i: number, v: string): Tri {
  switch (c.kind) {
    case 'string':
    case 'arn':
    case 'stringIgnoreCase':
    case 'stringLike':
    case 'arnLike':
      return globMatch(c.globs![i]!, v);
    case 'numeric':
    case 'date': {
      const x = c.kind === 'numeric' ? (v.trim() === '' ? NaN : Number(v)) : parseDateMs(v);
      if (!Number.isFinite(x)) return NO;
      const y = c.numbers![i]!;
      const ok = c.compare === 'eq' ? x === y : c.compare === 'lt' ? x < y : c.compare === 'le' ? x <= y : c.compare === 'gt' ? x > y : x >= y;
      return ok ? YES : NO;
    }
    case 'bool':
      return c.values[i]!.toLowerCase() === v.toLowerCase() ? YES : NO;
    default:
      return UNKNOWN;
  }
}

/** The IPv4 form of an IPv4-mapped IPv6 address (what a dual-stack socket reports). */
export function normaliseIp(addr: string): string {
  const m = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i.exec(addr);
  return m ? m[1]! : addr;
}

export function evaluateCondition(c: CompiledCondition, facts: RequestFacts): Tri {
  if (c.kind === 'unsupported' || !c.supportedKey) return UNKNOWN;
  const v = facts.key(c.lowerKey, c.key);
  if (c.kind === 'null') {
    // "Null": true → the key must be absent; false → present.
    const wantAbsent = c.values.some((s) => s.toLowerCase() === 'true');
    const wantPresent = c.values.some((s) => s.toLowerCase() === 'false');
    return (v === undefined ? wantAbsent : wantPresent) ? YES : NO;
  }
  if (v === undefined) {
    // IAM: a missing key fails a condition, except IfExists, ForAllValues (vacuously true) and the
    // negated operators ("the key does not equal …" holds for a key that is not there).
    if (c.ifExists || c.set === 'ForAllValues') return YES;
    if (c.set === 'ForAnyValue') return NO;
    return c.negated ? YES : NO;
  }
  let any: Tri = NO;
  if (c.kind === 'ip') {
    const addr = parseIp(normaliseIp(v));
    any = addr !== undefined && c.ips!.some((cidr) => cidrContains(cidr, addr)) ? YES : NO;
  } else {
    for (let i = 0; i < c.values.length; i++) {
      const m = valueMatches(c, i, v);
      if (m === YES) {
        any = YES;
        break;
      }
      if (m === UNKNOWN) any = UNKNOWN;
    }
  }
  return c.negated ? not(any) : any;
}

export function principalMatches(spec: PrincipalSpec, caller: Caller): boolean {
  if (spec.everyone) return true;
  if (caller.anonymous) return false;
  return spec.account || spec.users.has(caller.accessKeyId);
}

/** Does the statement apply to this request? YES, NO or UNKNOWN. */
export function statementApplies(s: CompiledStatement, facts: RequestFacts): Tri {
  if (principalMatches(s.principal, facts.caller) === s.notPrincipal) return NO;
  let actionHit = false;
  for (const g of s.actions) if (globMatch(g, facts.action) === YES) {
    actionHit = true;
    break;
  }
  if (actionHit === s.notAction) return NO;
  let r = anyGlob(s.resources, facts.resource);
  if (s.notResource) r = not(r);
  if (r === NO) return NO;
  let out: Tri = r;
  for (const c of s.conditions) {
    out = and(out, evaluateCondition(c, facts));
    if (out === NO) return NO;
  }
  return out;
}

export type Decision = 'deny' | 'allow' | 'none';

/**
 * IAM evaluation of one policy: an explicit Deny that applies (or might: UNKNOWN) wins; otherwise an
 * Allow that surely applies allows; otherwise no opinion ('none': the caller's identity decides).
 */
export function evaluatePolicy(p: CompiledPolicy, facts: RequestFacts): Decision {
  let allowed = false;
  for (const s of p.statements) {
    const m = statementApplies(s, facts);
    if (s.effect === 'Deny') {
      if (m !== NO) return 'deny';
    } else if (m === YES) {
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'none';
}

// ------------------------------------------------------------------------------------------------
// GetBucketPolicyStatus

/** Keys whose equality to fixed values limits who can use a statement (AWS's "fixed values" list). */
const NARROWING_KEYS = new Set([
  'aws:sourcearn',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:userid',
  's3:dataaccesspointarn',
  's3:dataaccesspointaccount',
]);

function narrows(c: CompiledCondition): boolean {
  if (c.ifExists || c.negated || c.set === 'ForAllValues') return false;
  const key = c.key.toLowerCase();
  if (key === 'aws:sourceip') {
    // Any address range but "everywhere" limits the statement to fixed sources.
    return c.kind === 'ip' && !c.values.some((v) => /\/0$/.test(v.trim()));
  }
  if (!NARROWING_KEYS.has(key)) return false;
  if (c.kind === 'string' || c.kind === 'stringIgnoreCase' || c.kind === 'arn') return true;
  if (c.kind === 'stringLike' || c.kind === 'arnLike') return c.values.every((v) => !/[*?]/.test(v));
  return false;
}

/**
 * Public, as GetBucketPolicyStatus reports it: some Allow statement grants to everyone ("*") and
 * none of its conditions pins the caller or source to fixed values. Deny statements do not count.
 */
export function isPolicyPublic(p: CompiledPolicy): boolean {
  // Allow to everyone, or to everyone but a list (NotPrincipal): anonymous callers are among them.
  return p.statements.some((s) => s.effect === 'Allow' && (s.notPrincipal ? !s.principal.everyone : s.principal.everyone) && !s.conditions.some(narrows));
}
