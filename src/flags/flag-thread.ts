// Evaluates /flags and /decide requests on a thread of their own, so the main thread (HTTP,
// ingestion, the store) spends only parsing and writing on them; with 200 flags, evaluating and
// encoding the ~50 KB answer is about half of a request's CPU.
//
// - The main thread builds each request's context (it holds the persons and groups); the flags
//   thread evaluates it with its copy of the project's compiled flags and writes the answer's
//   JSON into a buffer that it moves (transfers, no copy) to the main thread.
// - The main thread sends those bytes and moves the buffer back with a later batch for reuse: a
//   fresh 50 KB buffer per answer costs page faults, and shared memory is slower to write.
// - Requests go over in batches, one message per turn of the event loop (and one back), since
//   every message costs system calls to wake the other thread.
// - Messages are delivered in order, so flags posted before a request apply to it: a project's
//   flags are posted as soon as the registry has loaded newer ones than the thread holds.
// - If the thread dies, the requests it held answer 503 and a new thread takes over.
import { Worker } from 'node:worker_threads';
import { HttpError } from '../errors.js';
import type { EvaluationContext } from './evaluate-flag.js';
import type { FlagAnswerShape } from './flag-answer.js';
import type { FlagDefinition } from './flag-definition.js';
import type { FlagSnapshot } from './flag-registry.js';

/** Where the thread's flags come from: the registry, which loads them from the store. */
export interface FlagSource {
  snapshot(projectId: number): Promise<FlagSnapshot>;
}

export interface FlagAnswerRequest {
  readonly projectId: number;
  readonly context: EvaluationContext;
  /** Only these flags (the request's `flag_keys`), else all. */
  readonly flagKeys: readonly string[] | undefined;
  readonly shape: FlagAnswerShape;
  /** Merge the remote config into the answer (`config=true`). */
  readonly withConfig: boolean;
}

export type FlagThreadMessage =
  | { readonly kind: 'flags'; readonly projectId: number; readonly definitions: readonly FlagDefinition[] }
  | {
      readonly kind: 'answer';
      readonly requests: readonly FlagAnswerRequest[];
      /** Answer buffers the main thread has finished with, moved back for reuse. */
      readonly returned: readonly ArrayBuffer[];
    };

/** The answers to one batch, in its order. */
export type FlagThreadReply = readonly ({ readonly buffer: ArrayBuffer; readonly length: number } | { readonly crash: string })[];

/** An answer's JSON bytes, valid until `release`: call it once the bytes are written (or dropped). */
export interface FlagAnswerBytes {
  readonly body: Buffer;
  readonly release: () => void;
}

interface Pending {
  readonly resolve: (answer: FlagAnswerBytes) => void;
  readonly reject: (error: unknown) => void;
}

const WORKER_URL = new URL('./flag-thread-boot.mjs', import.meta.url);
/** Buffers kept for reuse at most: enough for every request in flight at once. */
const MAX_RETURNED = 256;

export class FlagThread {
  private worker: Worker;
  /** Requests not yet posted (this turn of the event loop). */
  private queued: FlagAnswerRequest[] = [];
  private queuedPending: Pending[] = [];
  private flushScheduled = false;
  /** Posted batches awaiting their answers, in order. */
  private readonly inFlight: Pending[][] = [];
  /** Answer buffers written and released since the last batch. */
  private returned: ArrayBuffer[] = [];
  /** By project: the registry generation of the flags the thread holds. */
  private readonly sentGeneration = new Map<number, number>();
  private closed = false;

  constructor(private readonly source: FlagSource) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const worker = new Worker(WORKER_URL);
    worker.unref();
    worker.on('message', (reply: FlagThreadReply) => this.settle(reply));
    worker.on('error', (error) => this.replace(worker, error));
    worker.on('exit', (code) => this.replace(worker, new Error(`the flags thread exited with code ${code}`)));
    return worker;
  }

  /**
   * A dead thread's requests fail as retryable (503), and so do those queued for it (their flags
   * went to it); a new thread takes its place.
   */
  private replace(worker: Worker, cause: Error): void {
    if (worker !== this.worker || this.closed) return;
    this.failAll(new HttpError('unavailable', `Flag evaluation was interrupted (${cause.message}); retry.`));
    this.sentGeneration.clear();
    this.returned = [];
    this.worker = this.spawn();
  }

  private failAll(error: HttpError): void {
    for (const batch of this.inFlight.splice(0)) for (const pending of batch) pending.reject(error);
    for (const pending of this.queuedPending.splice(0)) pending.reject(error);
    this.queued = [];
  }

  /** Evaluates the project's current flags for one request and encodes the answer. */
  async answer(request: FlagAnswerRequest): Promise<FlagAnswerBytes> {
    const { projectId } = request;
    const flags = await this.source.snapshot(projectId);
    if (this.closed) throw new HttpError('unavailable', 'The server is shutting down.');
    // A request that loaded older flags than another (concurrently with a change) does not post them.
    if ((this.sentGeneration.get(projectId) ?? -1) < flags.generation) {
      this.worker.postMessage({ kind: 'flags', projectId, definitions: flags.definitions } satisfies FlagThreadMessage);
      this.sentGeneration.set(projectId, flags.generation);
    }
    return new Promise((resolve, reject) => {
      this.queued.push(request);
      this.queuedPending.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queued.length === 0) return;
    const requests = this.queued;
    const pending = this.queuedPending;
    const returned = this.returned;
    this.queued = [];
    this.queuedPending = [];
    this.returned = [];
    try {
      this.worker.postMessage({ kind: 'answer', requests, returned } satisfies FlagThreadMessage, returned);
      this.inFlight.push(pending);
    } catch {
      // A request that cannot be copied to the thread (request bodies are kept well within what
      // can) fails alone: the others go over one by one.
      requests.forEach((request, i) => {
        try {
          this.worker.postMessage({ kind: 'answer', requests: [request], returned: [] } satisfies FlagThreadMessage);
          this.inFlight.push([pending[i]]);
        } catch (error) {
          pending[i].reject(error);
        }
      });
    }
  }

  private settle(reply: FlagThreadReply): void {
    const batch = this.inFlight.shift();
    if (!batch) return;
    for (let i = 0; i < batch.length; i++) {
      const answer = reply[i];
      if ('crash' in answer) {
        batch[i].reject(new Error(`flag evaluation failed: ${answer.crash}`));
        continue;
      }
      const { buffer } = answer;
      let released = false;
      batch[i].resolve({
        body: Buffer.from(buffer, 0, answer.length),
        release: () => {
          if (released) return;
          released = true;
          if (this.returned.length < MAX_RETURNED) this.returned.push(buffer);
        },
      });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new HttpError('unavailable', 'The server is shutting down.'));
    await this.worker.terminate();
  }
}
