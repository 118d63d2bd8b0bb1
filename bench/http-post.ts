// One POST over a keep-alive agent, answering status, headers and body text (benchmark clients).
import http from 'node:http';

export interface PostResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export function post(agent: http.Agent, url: URL, body: string | Buffer, headers: Record<string, string> = {}): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A gzip-compressed /batch body, sent with the headers posthog-node sends. */
export function postGzipBatch(agent: http.Agent, url: URL, gzipped: Buffer): Promise<PostResponse> {
  return post(agent, url, gzipped, {
    'content-encoding': 'gzip',
    'content-length': String(gzipped.length),
    'user-agent': 'posthog-node/5.70.0 (prickle bench)',
  });
}
