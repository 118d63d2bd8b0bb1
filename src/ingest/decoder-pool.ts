// Sends capture requests to decoding worker threads, round robin, and turns their answers back
// into results or HttpErrors.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { HttpError, type ErrorCode } from '../errors.js';
import type { CaptureInput, DecodedCapture } from './decode-capture.js';

export interface DecodeRequest {
  readonly id: number;
  readonly input: Omit<CaptureInput, 'body'> & { readonly body: Uint8Array };
}

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly result: DecodedCapture }
  | { readonly id: number; readonly ok: false; readonly error: { code: ErrorCode; detail: string; attr: string | null } }
  | { readonly id: number; readonly ok: false; readonly crash: string };

interface Pending {
  readonly resolve: (result: DecodedCapture) => void;
  readonly reject: (error: unknown) => void;
}

const WORKER_URL = new URL('./decode-worker-boot.mjs', import.meta.url);

export class DecoderPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { worker: Worker; request: Pending }>();
  private nextId = 1;
  private next = 0;
  private closed = false;

  /** One worker per core but one (the main thread and the store need the rest), at least one. */
  constructor(size = Math.max(1, os.availableParallelism() - 1)) {
    for (let i = 0; i < size; i++) this.workers.push(this.spawn());
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      if (reply.ok) entry.request.resolve(reply.result);
      else if ('error' in reply) entry.request.reject(new HttpError(reply.error.code, reply.error.detail, reply.error.attr));
      else entry.request.reject(new Error(`decoding worker failed: ${reply.crash}`));
    });
    worker.on('error', (error) => this.replace(worker, error));
    worker.on('exit', (code) => {
      if (!this.closed) this.replace(worker, new Error(`decoding worker exited with code ${code}`));
    });
    return worker;
  }

  /** A dead worker's requests fail as retryable; a new worker takes its place. */
  private replace(worker: Worker, cause: Error): void {
    const index = this.workers.indexOf(worker);
    if (index === -1) return;
    for (const [id, entry] of this.pending) {
      if (entry.worker !== worker) continue;
      this.pending.delete(id);
      entry.request.reject(new HttpError('unavailable', `Decoding failed (${cause.message}); retry.`));
    }
    this.workers[index] = this.spawn();
  }

  decode(input: CaptureInput): Promise<DecodedCapture> {
    const worker = this.workers[this.next];
    this.next = (this.next + 1) % this.workers.length;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { worker, request: { resolve, reject } });
      // The body is copied, not transferred: small Buffers share Node's pool with others.
      worker.postMessage({ id, input } satisfies DecodeRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
