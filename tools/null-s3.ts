// A do-nothing S3 stand-in for measuring the load generator's own ceiling: answers every request 200 at once
// (GET of a key with a body of --get-size bytes from memory), ignores auth. On 127.0.0.1 only, stops after
// --max-time (default 10m).
//   node dist/tools/null-s3.js --port 9199 [--get-size 4KiB]
//   strata bench run put --endpoint http://127.0.0.1:9199 --access-key a --secret-key b --concurrency 32
import http from 'node:http';
import { parseDuration, parseSize } from '../src/bench/units.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : def;
};
const port = Number(opt('port', '9199'));
const body = Buffer.alloc(parseSize(opt('get-size', '4KiB')), 0x61);
const maxMs = parseDuration(opt('max-time', '10m'));
const listXml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>');

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const hasKey = path.split('/').filter(Boolean).length > 1;
    if (req.method === 'GET' && hasKey) {
      res.writeHead(200, { 'content-length': body.length, etag: '"0"' });
      res.end(body);
    } else if (req.method === 'GET' && query.includes('list-type')) {
      res.writeHead(200, { 'content-length': listXml.length, 'content-type': 'application/xml' });
      res.end(listXml);
    } else {
      res.writeHead(req.method === 'DELETE' ? 204 : 200, { 'content-length': 0, etag: '"0"' });
      res.end();
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`null S3 on http://127.0.0.1:${port} for at most ${maxMs} ms`));
const stop = () => server.close(() => process.exit(0));
setTimeout(stop, maxMs).unref();
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
