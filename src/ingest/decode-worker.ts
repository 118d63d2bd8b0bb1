// Worker thread: decodes capture requests off the main thread (gunzip, JSON parsing, normalizing
// and re-serializing properties are most of ingestion's CPU).
import { parentPort } from 'node:worker_threads';
import { HttpError } from '../errors.js';
import { decodeCapture } from './decode-capture.js';
import type { DecodeReply, DecodeRequest } from './decoder-pool.js';

const port = parentPort!;
port.on('message', (request: DecodeRequest) => {
  decodeCapture({ ...request.input, body: Buffer.from(request.input.body.buffer, request.input.body.byteOffset, request.input.body.byteLength) }).then(
    (result) => {
      // The log payload's bytes move to the main thread rather than being copied, unless they
      // sit in Node's shared pool of small buffers (moving that would take the others with it):
      // Node pools only allocations under half its pool size.
      const bytes = result.logPayload.bytes;
      const own = bytes.byteLength >= Buffer.poolSize >>> 1 || (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength);
      port.postMessage({ id: request.id, ok: true, result } satisfies DecodeReply, own ? [bytes.buffer as ArrayBuffer] : []);
    },
    (error: unknown) => {
      const reply: DecodeReply =
        error instanceof HttpError
          ? { id: request.id, ok: false, error: { code: error.code, detail: error.detail, attr: error.attr } }
          : { id: request.id, ok: false, crash: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    },
  );
});
