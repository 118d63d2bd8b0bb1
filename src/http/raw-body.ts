// Request bodies as raw bytes, for the SDK endpoints whose bodies come as JSON, text/plain,
// forms, gzip or nothing at all (decoded by decode-request.ts).
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';

/** Route config naming the body limit, in bytes. */
export interface RawBodyRouteConfig {
  readonly rawBodyLimit: number;
}

/** Bytes read past the limit before giving up on a client and closing its connection. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads a request body of at most `limit` bytes. A larger body is answered 413 without closing
 * the connection (the rest is read and thrown away): closing the socket mid-upload makes HTTP
 * clients report a network error, which SDKs retry as is, instead of the 413 that makes
 * posthog-node split its batch.
 */
function readLimited(payload: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number((payload as NodeJS.ReadableStream & { headers?: Record<string, string> }).headers?.['content-length']);
    if (declared > limit + MAX_DRAIN_BYTES) {
      // Not worth reading: answer at once (the client may see the connection close instead).
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (chunks.length > 0) chunks.length = 0;
      if (size > limit + MAX_DRAIN_BYTES) {
        (payload as NodeJS.ReadableStream & { destroy(): void }).destroy();
        reject(tooLarge(limit));
      }
    });
    payload.on('end', () => (size > limit ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks, size))));
    payload.on('error', reject);
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `Request body is larger than the limit of ${limit} bytes.`);
}

/**
 * Makes every route of an encapsulated scope receive its body as a Buffer, limited by the route's
 * `config.rawBodyLimit`.
 */
export function useRawBodies(scope: FastifyInstance): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (req, payload, done) => {
    const limit = (req.routeOptions.config as unknown as RawBodyRouteConfig).rawBodyLimit;
    readLimited(payload, limit).then((body) => done(null, body), (error: Error) => done(error, undefined));
  });
}

export function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
