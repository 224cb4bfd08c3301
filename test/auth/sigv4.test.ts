import { describe, expect, it } from 'vitest';
import {
  EMPTY_SHA256_HEX,
  buildCanonicalRequest,
  buildStringToSign,
  canonicalHeaderValue,
  canonicalHeadersBlock,
  canonicalQueryFromPairs,
  canonicalQueryFromRaw,
  canonicalUriFromRawPath,
  clearSigningKeyCache,
  credentialScope,
  deriveSigningKey,
  formatAmzDate,
  hmacHex,
  parseAmzDate,
  sha256Hex,
  signingKeyCacheSize,
  SIGNING_KEY_CACHE_MAX_ENTRIES,
  uriEncode,
} from '../../src/auth/sigv4.js';

// The published AWS SigV4 test suite (aws-sig-v4-test-suite, 2015-08-30 edition). Only cases that
// hold for S3's canonicalisation (no path normalisation, single encoding) are listed.
const SUITE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SUITE_DATE = '20150830T123600Z';
interface Vector {
  name: string;
  method: string;
  path: string;
  query: [string, string][];
  headers: [string, string][];
  payloadHash?: string;
  canonicalRequestHash: string;
  signature: string;
}
const VECTORS: Vector[] = [
  { name: 'get-vanilla', method: 'GET', path: '/', query: [], headers: [], canonicalRequestHash: 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  { name: 'get-unreserved', method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', query: [], headers: [], canonicalRequestHash: '6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9', signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f' },
  { name: 'get-utf8', method: 'GET', path: '/ሴ', query: [], headers: [], canonicalRequestHash: '2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102', signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85' },
  { name: 'get-space-unnormalized', method: 'GET', path: '/example space/', query: [], headers: [], canonicalRequestHash: '63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86', signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741' },
  { name: 'get-slashes-unnormalized', method: 'GET', path: '//example//', query: [], headers: [], canonicalRequestHash: '528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240', signature: '87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5' },
  { name: 'get-relative-unnormalized', method: 'GET', path: '/example/..', query: [], headers: [], canonicalRequestHash: '0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b', signature: 'eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282' },
  { name: 'get-vanilla-query-order-key-case', method: 'GET', path: '/', query: [['Param2', 'value2'], ['Param1', 'value1']], headers: [], canonicalRequestHash: '816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0', signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500' },
  { name: 'get-vanilla-query-order-encoded', method: 'GET', path: '/', query: [['Param-3', 'Value3'], ['Param', 'Value2'], ['ሴ', 'Value1']], headers: [], canonicalRequestHash: '868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71', signature: '371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac' },
  { name: 'get-vanilla-query-unreserved', method: 'GET', path: '/', query: [['-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz']], headers: [], canonicalRequestHash: 'c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177', signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197' },
  { name: 'get-vanilla-utf8-query', method: 'GET', path: '/', query: [['ሴ', 'bar']], headers: [], canonicalRequestHash: 'eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073', signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04' },
  { name: 'get-header-key-duplicate', method: 'GET', path: '/', query: [], headers: [['My-Header1', 'value2'], ['My-Header1', 'value2'], ['My-Header1', 'value1']], canonicalRequestHash: 'dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c', signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea' },
  { name: 'get-header-value-order', method: 'GET', path: '/', query: [], headers: [['My-Header1', 'value4'], ['My-Header1', 'value1'], ['My-Header1', 'value3'], ['My-Header1', 'value2']], canonicalRequestHash: '31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86', signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01' },
  { name: 'get-header-value-trim', method: 'GET', path: '/', query: [], headers: [['My-Header1', ' value1'], ['My-Header2', ' "a   b   c"']], canonicalRequestHash: 'a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7', signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736' },
  { name: 'post-vanilla', method: 'POST', path: '/', query: [], headers: [], canonicalRequestHash: '', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
  { name: 'post-vanilla-query', method: 'POST', path: '/', query: [['Param1', 'value1']], headers: [], canonicalRequestHash: '9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd', signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11' },
  { name: 'post-header-value-case', method: 'POST', path: '/', query: [], headers: [['My-Header1', 'VALUE1']], canonicalRequestHash: 'd51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93', signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d' },
  { name: 'post-x-www-form-urlencoded', method: 'POST', path: '/', query: [], headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '13'], ['x-amz-content-sha256', '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e']], payloadHash: '9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e', canonicalRequestHash: 'b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb', signature: 'd3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b' },
];

function signVector(v: Vector): { creqHash: string; signature: string } {
  const hv: Record<string, string> = { host: 'example.amazonaws.com', 'x-amz-date': SUITE_DATE };
  for (const [k, val] of v.headers) {
    const lk = k.toLowerCase();
    hv[lk] = hv[lk] === undefined ? val : hv[lk] + ',' + val;
  }
  const names = Object.keys(hv).sort();
  const creq = buildCanonicalRequest(
    v.method,
    canonicalUriFromRawPath(v.path),
    canonicalQueryFromPairs(v.query),
    canonicalHeadersBlock(names, hv)!,
    names.join(';'),
    v.payloadHash ?? EMPTY_SHA256_HEX,
  );
  const scope = credentialScope('20150830', 'us-east-1', 'service');
  const key = deriveSigningKey(SUITE_SECRET, '20150830', 'us-east-1', 'service');
  return { creqHash: sha256Hex(creq), signature: hmacHex(key, buildStringToSign(SUITE_DATE, scope, creq)) };
}

describe('AWS SigV4 test suite', () => {
  for (const v of VECTORS) {
    it(v.name, () => {
      const r = signVector(v);
      if (v.canonicalRequestHash !== '') expect(r.creqHash).toBe(v.canonicalRequestHash);
      expect(r.signature).toBe(v.signature);
    });
  }
});

describe('S3 doc example: GET object with range', () => {
  it('matches the published signature', () => {
    const hv = {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': EMPTY_SHA256_HEX,
      'x-amz-date': '20130524T000000Z',
    };
    const names = Object.keys(hv).sort();
    const creq = buildCanonicalRequest('GET', canonicalUriFromRawPath('/test.txt'), '', canonicalHeadersBlock(names, hv)!, names.join(';'), EMPTY_SHA256_HEX);
    expect(sha256Hex(creq)).toBe('7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
    const sts = buildStringToSign('20130524T000000Z', credentialScope('20130524', 'us-east-1', 's3'), creq);
    expect(hmacHex(key, sts)).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });
});

describe('uriEncode', () => {
  it('keeps unreserved, encodes the rest upper-case UTF-8', () => {
    expect(uriEncode('AZaz09-._~', true)).toBe('AZaz09-._~');
    expect(uriEncode('a b+c*d/e', true)).toBe('a%20b%2Bc%2Ad%2Fe');
    expect(uriEncode('a/b', false)).toBe('a/b');
    expect(uriEncode('é', true)).toBe('%C3%A9');
    expect(uriEncode('😀', true)).toBe('%F0%9F%98%80');
    expect(uriEncode('', true)).toBe('');
  });
});

describe('canonicalUriFromRawPath', () => {
  it('normalises wire encodings to the single RFC 3986 form', () => {
    expect(canonicalUriFromRawPath('')).toBe('/');
    expect(canonicalUriFromRawPath('/bucket/key')).toBe('/bucket/key');
    expect(canonicalUriFromRawPath('/b/a%20b')).toBe('/b/a%20b');
    expect(canonicalUriFromRawPath('/b/a%7eb')).toBe('/b/a~b');
    expect(canonicalUriFromRawPath('/b/(x)!')).toBe('/b/%28x%29%21');
    expect(canonicalUriFromRawPath('/b/a%2fb')).toBe('/b/a%2Fb');
    expect(canonicalUriFromRawPath('/b/a%2Fb/c')).toBe('/b/a%2Fb/c');
    expect(canonicalUriFromRawPath('/b/a+b')).toBe('/b/a%2Bb');
    expect(canonicalUriFromRawPath('/b/%zz')).toBe('/b/%25zz');
    expect(canonicalUriFromRawPath('/b/%E1%88%B4')).toBe('/b/%E1%88%B4');
    expect(canonicalUriFromRawPath('/b/%ff')).toBe('/b/%FF');
    expect(canonicalUriFromRawPath('//a//')).toBe('//a//');
  });
});

describe('canonicalQueryFromRaw', () => {
  it('decodes, re-encodes and sorts; keys without = get an empty value', () => {
    expect(canonicalQueryFromRaw('')).toBe('');
    expect(canonicalQueryFromRaw('uploads')).toBe('uploads=');
    expect(canonicalQueryFromRaw('b=2&a=1&a=0')).toBe('a=0&a=1&b=2');
    expect(canonicalQueryFromRaw('prefix=a%20b&delimiter=%2F')).toBe('delimiter=%2F&prefix=a%20b');
    expect(canonicalQueryFromRaw('prefix=a/b')).toBe('prefix=a%2Fb');
    expect(canonicalQueryFromRaw('a-=1&a=2')).toBe('a=2&a-=1');
    expect(canonicalQueryFromRaw('X-Amz-Signature=abc&x=1', 'X-Amz-Signature')).toBe('x=1');
    expect(canonicalQueryFromRaw('&&a=1&')).toBe('a=1');
  });
  it('matches canonicalQueryFromPairs for what a client would send', () => {
    const pairs: [string, string][] = [['list-type', '2'], ['prefix', 'photos/2024 é'], ['max-keys', '10'], ['a-', 'x'], ['a', '']];
    const wire = canonicalQueryFromPairs(pairs);
    expect(canonicalQueryFromRaw(wire)).toBe(wire);
  });
  it('bounds the parameter count', () => {
    expect(canonicalQueryFromRaw(Array.from({ length: 300 }, (_, i) => `k${i}=v`).join('&'))).toBeUndefined();
  });
});

describe('canonicalHeaderValue', () => {
  it('trims and collapses whitespace runs', () => {
    expect(canonicalHeaderValue('abc')).toBe('abc');
    expect(canonicalHeaderValue('  a   b  c  ')).toBe('a b c');
    expect(canonicalHeaderValue('a\t\tb')).toBe('a b');
    expect(canonicalHeaderValue('a b')).toBe('a b');
    expect(canonicalHeaderValue('')).toBe('');
    expect(canonicalHeaderValue('   ')).toBe('');
  });
});

describe('dates', () => {
  it('formats and parses ISO 8601 basic', () => {
    const d = new Date(Date.UTC(2013, 4, 24, 1, 2, 3));
    expect(formatAmzDate(d)).toBe('20130524T010203Z');
    expect(parseAmzDate('20130524T010203Z')).toBe(d.getTime());
    for (const bad of ['', '20130524T010203', '2013-05-24T01:02:03Z', '20130231T000000Z', '20131324T000000Z', '20130524T250000Z', '2013052aT000000Z', '20130524t000000Z']) {
      expect(parseAmzDate(bad)).toBeUndefined();
    }
    expect(parseAmzDate('20240229T000000Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseAmzDate('20000229T235959Z')).toBe(Date.UTC(2000, 1, 29, 23, 59, 59));
    expect(parseAmzDate('20230229T000000Z')).toBeUndefined();
    expect(parseAmzDate('21000229T000000Z')).toBeUndefined();
    expect(parseAmzDate('20241231T000000Z')).toBe(Date.UTC(2024, 11, 31));
    expect(parseAmzDate('20240431T000000Z')).toBeUndefined();
    expect(parseAmzDate('20240100T000000Z')).toBeUndefined();
  });
});

describe('signing key cache', () => {
  it('is bounded and returns the same key', () => {
    clearSigningKeyCache();
    const a = deriveSigningKey('s', '20200101', 'r', 's3');
    expect(deriveSigningKey('s', '20200101', 'r', 's3')).toBe(a);
    for (let i = 0; i < SIGNING_KEY_CACHE_MAX_ENTRIES + 50; i++) deriveSigningKey('s' + i, '20200101', 'r', 's3');
    expect(signingKeyCacheSize()).toBe(SIGNING_KEY_CACHE_MAX_ENTRIES);
    expect(deriveSigningKey('s', '20200101', 'r', 's3').equals(a)).toBe(true);
  });
});
