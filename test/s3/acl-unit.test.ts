// The pure ACL model (src/s3/acl-model.ts): canned ACLs, grant headers, the XML both ways, the check.

import { describe, expect, it } from 'vitest';
import {
  ALL_USERS_URI,
  AUTHENTICATED_USERS_URI,
  LOG_DELIVERY_URI,
  aclAllows,
  aclXml,
  cannedGrants,
  decodeStoredAcl,
  dedupeGrants,
  parseAclXml,
  parseCannedAcl,
  parseGrantHeaders,
  type Acl,
} from '../../src/s3/acl-model.js';
import { S3Error } from '../../src/s3/errors.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof S3Error ? err.code : 'not an S3Error';
  }
  return undefined;
}

describe('canned ACLs', () => {
  it('expand to AWS grants, groups first (RGW\'s order, which s3-tests compares)', () => {
    expect(cannedGrants('private', 'o', 'b')).toEqual([{ id: 'o', permission: 'FULL_CONTROL' }]);
    expect(cannedGrants('public-read-write', 'o', 'o').map((g) => `${g.uri ?? g.id} ${g.permission}`)).toEqual([`${ALL_USERS_URI} READ`, `${ALL_USERS_URI} WRITE`, 'o FULL_CONTROL']);
    expect(cannedGrants('authenticated-read', 'o', 'o')[0]).toEqual({ uri: AUTHENTICATED_USERS_URI, permission: 'READ' });
    expect(cannedGrants('bucket-owner-read', 'w', 'b')[1]).toEqual({ id: 'b', permission: 'READ' });
    expect(cannedGrants('bucket-owner-full-control', 'w', 'b')[1]).toEqual({ id: 'b', permission: 'FULL_CONTROL' });
    // The bucket owner writing its own object: nothing to add.
    expect(cannedGrants('bucket-owner-full-control', 'b', 'b')).toHaveLength(1);
    expect(cannedGrants('log-delivery-write', 'o', 'o').slice(0, 2)).toEqual([{ uri: LOG_DELIVERY_URI, permission: 'WRITE' }, { uri: LOG_DELIVERY_URI, permission: 'READ_ACP' }]);
    expect(code(() => cannedGrants('aws-exec-read', 'o', 'o'))).toBe('NotImplemented');
  });

  it('parse case-insensitively; unknown → InvalidArgument', () => {
    expect(parseCannedAcl(' Public-Read ')).toBe('public-read');
    expect(parseCannedAcl(undefined)).toBeUndefined();
    expect(code(() => parseCannedAcl('world-writable'))).toBe('InvalidArgument');
  });
});

describe('x-amz-grant-* headers', () => {
  it('parse ids, URIs and e-mail addresses, quoted or not, several per header', () => {
    const g = parseGrantHeaders({ 'x-amz-grant-read': `id="a", uri="${ALL_USERS_URI}"`, 'x-amz-grant-write-acp': 'emailAddress=x@example.com' });
    expect(g).toEqual([
      { grantee: { id: 'a' }, permission: 'READ' },
      { grantee: { uri: ALL_USERS_URI }, permission: 'READ' },
      { grantee: { email: 'x@example.com' }, permission: 'WRITE_ACP' },
    ]);
    expect(parseGrantHeaders({})).toBeUndefined();
  });

  it('refuse unknown grantee kinds, unknown groups, empty ids and more than 100 grants', () => {
    expect(code(() => parseGrantHeaders({ 'x-amz-grant-read': 'name="a"' }))).toBe('InvalidArgument');
    expect(code(() => parseGrantHeaders({ 'x-amz-grant-read': 'uri="http://acs.amazonaws.com/groups/global/Nobody"' }))).toBe('InvalidArgument');
    expect(code(() => parseGrantHeaders({ 'x-amz-grant-read': 'id=""' }))).toBe('InvalidArgument');
    expect(code(() => parseGrantHeaders({ 'x-amz-grant-read': Array.from({ length: 101 }, (_, i) => `id="u${i}"`).join(',') }))).toBe('InvalidArgument');
  });
});

describe('AccessControlPolicy XML', () => {
  const acl: Acl = { owner: 'o', grants: [{ id: 'o', permission: 'FULL_CONTROL' }, { uri: ALL_USERS_URI, permission: 'READ' }, { id: 'u&1', permission: 'WRITE_ACP' }] };

  it('renders AWS\'s shape (xsi:type, escaped values) and parses back to the same grants', () => {
    const xml = aclXml(acl, (id) => id.toUpperCase());
    expect(xml).toContain('<Owner><ID>o</ID><DisplayName>O</DisplayName></Owner>');
    expect(xml).toContain('<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission>');
    expect(xml).toContain('<ID>u&amp;1</ID>');
    const back = parseAclXml(xml);
    expect(back.ownerId).toBe('o');
    expect(back.grants).toEqual([
      { grantee: { id: 'o' }, permission: 'FULL_CONTROL' },
      { grantee: { uri: ALL_USERS_URI }, permission: 'READ' },
      { grantee: { id: 'u&1' }, permission: 'WRITE_ACP' },
    ]);
  });

  it('an empty list is no grants; e-mail grantees parse', () => {
    expect(parseAclXml('<AccessControlPolicy><Owner><ID>o</ID></Owner><AccessControlList/></AccessControlPolicy>').grants).toEqual([]);
    const email = '<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>';
    expect(parseAclXml(email)).toEqual({ ownerId: undefined, grants: [{ grantee: { email: 'a@b.c' }, permission: 'READ' }] });
  });

  it('anything else is MalformedACLError', () => {
    for (const bad of [
      'not xml',
      '<Other/>',
      '<AccessControlPolicy><Owner><ID>o</ID></Owner></AccessControlPolicy>', // no AccessControlList
      '<AccessControlPolicy><Owner/><AccessControlList/></AccessControlPolicy>', // Owner without ID
      '<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>o</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>', // no xsi:type
      '<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><ID>o</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>', // Group without URI
      '<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>',
    ]) {
      expect(code(() => parseAclXml(bad)), bad).toBe('MalformedACLError');
    }
  });
});

describe('the check and the stored form', () => {
  it('FULL_CONTROL implies each permission; AllUsers includes anonymous, AuthenticatedUsers does not', () => {
    const acl: Acl = { owner: 'o', grants: [{ id: 'o', permission: 'FULL_CONTROL' }, { uri: AUTHENTICATED_USERS_URI, permission: 'READ' }, { uri: ALL_USERS_URI, permission: 'READ_ACP' }] };
    expect(aclAllows(acl, { anonymous: false, id: 'o' }, 'WRITE_ACP')).toBe(true);
    expect(aclAllows(acl, { anonymous: false, id: 'x' }, 'READ')).toBe(true);
    expect(aclAllows(acl, { anonymous: true }, 'READ')).toBe(false);
    expect(aclAllows(acl, { anonymous: true }, 'READ_ACP')).toBe(true);
    expect(aclAllows(acl, { anonymous: false, id: 'x' }, 'WRITE')).toBe(false);
  });

  it('duplicates are listed once; a stored ACL of the wrong shape is an internal error, never "no ACL"', () => {
    expect(dedupeGrants([{ id: 'a', permission: 'READ' }, { id: 'a', permission: 'READ' }, { uri: 'a', permission: 'READ' }])).toHaveLength(2);
    expect(decodeStoredAcl({ owner: 'o', grants: [{ id: 'o', permission: 'READ' }] }, 'x').owner).toBe('o');
    expect(() => decodeStoredAcl({ owner: 'o', grants: [{ id: 'o', uri: 'u', permission: 'READ' }] }, 'x')).toThrow(/malformed/);
    expect(() => decodeStoredAcl('public-read', 'x')).toThrow(/malformed/);
  });
});
