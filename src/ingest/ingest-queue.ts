// Ingestion's pipeline from an accepted request to the engine: durable log, in-memory state,
// engine transactions (see IngestQueue).
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../errors.js';
import type { IngestCommit, Project, Store } from '../store/store.js';
import { CommitBuilder } from './commit-builder.js';
import type { GroupContext } from './groups.js';
import { ingestEvent, WARNING_EVENT_DROPPED } from './ingest-processor.js';
import { recordEventPropertyTypes } from './property-definitions.js';
import { decodePayload, IngestLog, RECORD_HEADER_BYTES, type EncodedPayload, type LoggedRequest, type LogPosition, type LogRecord } from './ingest-log.js';
import { IngestStateIndex, type ProjectState } from './project-state.js';
import { Actors } from './actors.js';

/**
 * A request waiting to be applied and committed, and the submission waiting for it (none when
 * replayed). Its log write and its apply run at the same time: it is answered once both are
 * done, and committed only once durable. It keeps only the payload's bytes (outside the JS
 * heap): the records are decoded when applied and dropped after, so they die young instead of
 * being promoted while the commit runs; a retried commit decodes them again.
 */
interface Entry extends LoggedRequest {
  /** Where its record ends in the log, once durable. */
  end?: LogPosition;
  durable: boolean;
  applied: boolean;
  /** Its log write failed: it is dropped, and its effects on memory undone (see recover). */
  lost: boolean;
  readonly bytes: number;
  /** Position in the order requests were submitted (the log's order), from 1. */
  readonly seq: number;
  readonly answer?: { resolve: () => void; reject: (error: unknown) => void };
}

/** An applied batch waiting for (or in) its engine transaction. */
interface Applied {
  readonly entries: readonly Entry[];
  /** The actor cache's batch number: what it touched stays pinned until this commits. */
  readonly batch: number;
  readonly commit: IngestCommit;
  readonly events: number;
}

interface Exclusive {
  /** Records durable before it was asked for are applied (and committed) before it runs. */
  readonly afterSeq: number;
  readonly work: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface IngestQueueOptions {
  readonly maxGroupTypes: number;
  /** Directory of the durable ingest log (the data directory). */
  readonly dataDir: string;
  /** Bytes of accepted records not yet in the engine past which capture answers 503. */
  readonly maxBacklogBytes: number;
  /** Resident memory of the process past which capture answers 503 (0: no check). */
  readonly memoryLimitBytes: number;
  /** Budget of the person and group cache (see actor-cache.ts); its default when absent. */
  readonly actorCacheBytes?: number;
}

/** The process's resident memory, read at most every 100 ms (reading it costs a system call or two). */
let rssSample = { at: 0, bytes: 0 };
function residentBytes(): number {
  const now = performance.now();
  if (now - rssSample.at > 100) rssSample = { at: now, bytes: process.memoryUsage.rss() };
  return rssSample.bytes;
}

/** Payload bytes applied in one go (about 20,000 events of PostHog's SDKs); the main thread still yields every APPLY_SLICE_MS. */
const MAX_BYTES_PER_APPLY = 8 * 1024 * 1024;
/** Events per engine transaction: applied batches waiting together are written together. */
const MAX_EVENTS_PER_TRANSACTION = 60_000;
/**
 * Applied events not yet committed beyond which applying (and so answering) waits for the
 * engine: enough to ride out a checkpoint at the rates a node takes (about 3 s at 20,000 events/s),
 * small enough that queries are never far behind the answers.
 */
const MAX_UNCOMMITTED_EVENTS = 60_000;
/** The main thread gives other work (HTTP, /flags) a turn at least this often while applying, ms. */
const APPLY_SLICE_MS = 8;
/** First wait before retrying a failed engine commit, ms (doubles up to 5 s). */
const RETRY_DELAY_MS = 100;
/**
 * How long a private API read waits at most for events acknowledged before it to reach the
 * engine, ms. Commits trail the answers by one or two transactions (more during a checkpoint), so
 * a query right after a capture normally sees it; under heavy ingestion a query answers after
 * this wait with what is committed, rather than waiting out the backlog.
 */
export const READ_BARRIER_MS = 500;

/**
 * Ingestion in three stages, each feeding the next in order:
 * 1. submit: the request's record is appended to the durable ingest log (group commit, fdatasync);
 * 2. apply: records are applied to the in-memory state (persons, groups, warnings) in batches,
 *    sliced so the main thread keeps answering, while their log write is still in flight; a
 *    submission is answered once both are done, so a 200 means durable and already visible to
 *    /flags (which may see a request's changes a few milliseconds before it is answered);
 * 3. commit: applied batches whose records are durable are written to the engine, in order, with
 *    the log position they reach. Commits run behind applying: a slow commit (a checkpoint, a long
 *    query on the same cores) delays query visibility, not acknowledgements.
 * A failed commit is retried: the state is reloaded and every record not yet committed is applied
 * again from the log's copy in memory.
 */
export class IngestQueue {
  private toApply: Entry[] = [];
  private toCommit: Applied[] = [];
  private exclusives: Exclusive[] = [];
  private submittedSeq = 0;
  private committedSeq = 0;
  private backlogBytes = 0;
  private uncommittedEvents = 0;
  private running = false;
  private committing = false;
  private commitFailed = false;
  private retryDelay = RETRY_DELAY_MS;
  private committedWaiters: { seq: number; resolve: () => void }[] = [];
  private log!: IngestLog;
  private readonly reportedOverflow = new Set<string>();

  private constructor(
    private readonly store: Store,
    private state: IngestStateIndex,
    private readonly options: IngestQueueOptions,
    private readonly logger: FastifyBaseLogger,
    /** Persons and groups: a bounded cache over the store, shared with /flags. */
    readonly actors: Actors,
  ) {}

  /** Opens the queue and its log, and applies what the log holds beyond the engine's position. */
  static async open(store: Store, options: IngestQueueOptions, logger: FastifyBaseLogger): Promise<IngestQueue> {
    // The log position is stored with the events it covers: a restart applies exactly what the
    // engine lacks. A backend that cannot commit the two together needs replay made idempotent first.
    if (!store.capabilities.atomicIngestCommit) throw new Error('The ingest queue needs a store that commits events, state and the log position together.');
    const actors = await Actors.open(store, options.actorCacheBytes);
    const state = IngestStateIndex.fromSnapshot(await store.loadIngestState(), actors.cache, actors.knownDistinctIds);
    const queue = new IngestQueue(store, state, options, logger, actors);
    const from = (await store.loadIngestLogPosition()) ?? { segment: 0, offset: 0 };
    const replayed: { request: LoggedRequest; end: LogPosition }[] = [];
    queue.log = await IngestLog.open(
      options.dataDir,
      from,
      (request, end) => replayed.push({ request, end }),
      // The log hands back what it was given: the entry itself (see submit).
      (request, end) => queue.becameDurable(request as Entry, end),
    );
    if (replayed.length > 0) {
      logger.info({ records: replayed.length }, 'applying accepted events from the ingest log');
      for (const { request, end } of replayed) queue.becameDurable(queue.enqueue(request, 0, undefined), end);
    }
    await queue.drain();
    return queue;
  }

  /** What ingestion holds for a project (group types, persons, definitions); its settings are ProjectDirectory's. */
  projectState(projectId: number): ProjectState | undefined {
    return this.state.project(projectId);
  }

  /** Makes a newly stored project known to ingestion. Call inside exclusive(). */
  addProject(project: Project): void {
    this.state.addProject(project);
  }

  /** Throws a 503 (retryable) when ingestion is too far behind or memory is near the bound. */
  assertAccepting(): void {
    if (this.backlogBytes > this.options.maxBacklogBytes) {
      throw new HttpError('unavailable', 'Ingestion is behind; retry shortly.');
    }
    if (this.options.memoryLimitBytes > 0 && residentBytes() > this.options.memoryLimitBytes * 0.95) {
      throw new HttpError('unavailable', 'The server is near its memory limit; retry shortly.');
    }
  }

  /**
   * Resolves once the request's events (a payload the decoding worker encoded) are durable in
   * the ingest log and applied to the in-memory state.
   */
  async submit(projectId: number, payload: EncodedPayload): Promise<void> {
    this.assertAccepting();
    if (this.log.broken) throw new HttpError('unavailable', 'Ingestion could not write its log; retry.');
    return new Promise<void>((resolve, reject) => {
      const entry = this.enqueue({ projectId, payload: payload.bytes }, RECORD_HEADER_BYTES + payload.bytes.length, { resolve, reject });
      this.log.append(entry, payload.crc).catch((error: unknown) => this.logWriteFailed(entry, error));
    });
  }

  /**
   * Resolves once every event acknowledged before the call is in the engine (so a query sees it),
   * or after `timeoutMs`, whichever comes first.
   */
  awaitCommitted(timeoutMs = READ_BARRIER_MS): Promise<void> {
    const seq = this.submittedSeq;
    if (this.committedSeq >= seq) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.committedWaiters.push({
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /**
   * Runs work that changes what ingestion depends on (group types, projects) when nothing is
   * applied ahead of the engine, so no batch is half applied under old state and half under new.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.exclusives.push({ afterSeq: this.submittedSeq, work, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Waits until everything accepted so far is in the engine. */
  async drain(): Promise<void> {
    await this.log.settled();
    await this.exclusive(async () => undefined);
  }

  async close(): Promise<void> {
    await this.drain();
    await this.log.close();
  }

  private enqueue(request: LoggedRequest, bytes: number, answer: Entry['answer']): Entry {
    this.submittedSeq += 1;
    this.backlogBytes += bytes;
    const entry: Entry = { projectId: request.projectId, payload: request.payload, durable: false, applied: false, lost: false, bytes, seq: this.submittedSeq, answer };
    this.toApply.push(entry);
    this.kick();
    return entry;
  }

  /** The log has the entry's record on disk (called in log order). */
  private becameDurable(entry: Entry, end: LogPosition): void {
    entry.end = end;
    entry.durable = true;
    this.answerIfDone(entry);
    // A commit may be waiting for it.
    this.wake();
  }

  private answerIfDone(entry: Entry): void {
    if (entry.durable && entry.applied && !entry.lost) entry.answer?.resolve();
  }

  /**
   * The log could not take the record (it refuses everything from then on): the request fails,
   * and, as its effects may already be in memory, the state is read again from the engine with
   * only durable records applied (see recover).
   */
  private logWriteFailed(entry: Entry, error: unknown): void {
    if (!entry.lost) this.logger.error({ err: error }, 'writing the ingest log failed');
    entry.lost = true;
    entry.answer?.reject(new HttpError('unavailable', 'Ingestion could not write its log; retry.'));
    this.commitFailed = true;
    this.wake();
  }

  private kick(): void {
    if (this.running) {
      this.wake();
      return;
    }
    this.running = true;
    setImmediate(() => void this.loop());
  }

  private waker: (() => void) | undefined;

  /** Resolves at the next wake(): a record became durable, an exclusive came, a commit ended. */
  private nextWake(): Promise<void> {
    return new Promise((resolve) => (this.waker = resolve));
  }

  private wake(): void {
    const waker = this.waker;
    this.waker = undefined;
    waker?.();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.commitFailed) {
          if (this.committing) await this.nextWake();
          else await this.recover();
          continue;
        }
        const next = this.toApply[0];
        const beforeExclusive = next !== undefined && (this.exclusives.length === 0 || next.seq <= this.exclusives[0].afterSeq);
        if (beforeExclusive && this.uncommittedEvents < MAX_UNCOMMITTED_EVENTS) {
          await this.applyNext();
          continue;
        }
        if (this.committing || this.toCommit.length > 0) {
          if (!this.committing) void this.commitLoop();
          await this.nextWake();
          continue;
        }
        if (this.exclusives.length > 0) {
          // Nothing applied ahead of the engine: state changes are safe here.
          const exclusives = this.exclusives;
          this.exclusives = [];
          for (const x of exclusives) {
            try {
              x.resolve(await x.work());
            } catch (error) {
              x.reject(error);
            }
          }
          continue;
        }
        if (this.toApply.length === 0) break;
      }
    } finally {
      this.running = false;
    }
    if (this.toApply.length > 0 || this.exclusives.length > 0) this.kick();
  }

  private takeEntries(): Entry[] {
    let bytes = 0;
    let taken = 0;
    const limitSeq = this.exclusives.length > 0 ? this.exclusives[0].afterSeq : Infinity;
    while (
      taken < this.toApply.length &&
      this.toApply[taken].seq <= limitSeq &&
      (taken === 0 || bytes + this.toApply[taken].payload.length <= MAX_BYTES_PER_APPLY)
    ) {
      bytes += this.toApply[taken].payload.length;
      taken += 1;
    }
    return this.toApply.splice(0, taken);
  }

  /** Applies the next batch of records to the in-memory state, yielding the thread between slices. */
  private async applyNext(): Promise<void> {
    const entries = this.takeEntries();
    const batch = this.actors.beginBatch();
    try {
      const records = entries.map((e) => decodePayload(e.projectId, e.payload));
      // The persons and groups the batch needs and the cache lacks, read in one go (and pinned).
      const loading = this.actors.prefetch(records, (projectId) => this.state.project(projectId));
      if (loading) await loading;
      await this.applyBatch(entries, records, batch);
    } catch (error) {
      // A store read or a bug, not bad input (that is dropped with a warning): these requests
      // fail, and the state, which may be half changed, is read again from the engine.
      this.logger.error({ err: error }, 'applying a batch failed; its requests are refused');
      for (const entry of entries) {
        this.backlogBytes -= entry.bytes;
        entry.lost = true;
        entry.answer?.reject(error);
      }
      this.commitFailed = true;
    } finally {
      this.actors.endBatch();
    }
  }

  private async applyBatch(entries: Entry[], records: readonly LogRecord[], batch: number): Promise<void> {
    const commit = new CommitBuilder();
    const now = new Date();
    const ctx = {
      maxGroupTypes: this.options.maxGroupTypes,
      commit,
      onLimitExceeded: (projectId: number, groupType: string) => this.reportOverflow(projectId, groupType),
    };
    const events = await this.applyRecords(records, commit, ctx, now);
    this.toCommit.push({ entries, batch, commit: commit.build(), events });
    this.uncommittedEvents += events;
    for (const entry of entries) {
      entry.applied = true;
      this.answerIfDone(entry);
    }
    if (!this.committing) void this.commitLoop();
  }

  private async applyRecords(records: readonly LogRecord[], commit: CommitBuilder, ctx: GroupContext, now: Date): Promise<number> {
    let events = 0;
    let sliceStart = performance.now();
    for (const record of records) {
      const state = this.state.project(record.projectId);
      if (!state) {
        // Its project is gone (or the record predates a restore): nothing to apply it to.
        this.logger.error({ projectId: record.projectId }, 'ingest log record for an unknown project skipped');
        continue;
      }
      recordEventPropertyTypes(state, record.propertyTypes, now, commit);
      commit.addEventFields(record.fields, record.maxLineBytes);
      for (const event of record.events) {
        ingestEvent(state, event, ctx, now);
        if ((++events & 255) === 0 && performance.now() - sliceStart > APPLY_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
      for (const reason of record.dropped) commit.warn(record.projectId, WARNING_EVENT_DROPPED, reason, { reason }, now);
    }
    return events;
  }

  /** Writes applied batches to the engine, in order, one transaction each. */
  private async commitLoop(): Promise<void> {
    this.committing = true;
    try {
      while (this.toCommit.length > 0 && !this.commitFailed) {
        // Every batch applied while the last transaction ran goes in the next one (a transaction
        // costs about as much for a few thousand events as for tens of thousands), once its
        // records are durable: the engine must never hold what the log may not.
        const durable = (batch: Applied) => batch.entries.at(-1)!.durable;
        if (!durable(this.toCommit[0])) break;
        let taken = 1;
        let events = this.toCommit[0].events;
        while (taken < this.toCommit.length && durable(this.toCommit[taken]) && events + this.toCommit[taken].events <= MAX_EVENTS_PER_TRANSACTION) {
          events += this.toCommit[taken].events;
          taken += 1;
        }
        const batches = this.toCommit.slice(0, taken);
        const last = batches.at(-1)!.entries.at(-1)!;
        try {
          await this.store.commitIngest(batches.map((b) => b.commit), last.end!);
        } catch (error) {
          this.logger.error({ err: error }, 'ingestion commit failed; it will be retried');
          this.commitFailed = true;
          break;
        }
        this.toCommit.splice(0, taken);
        this.actors.committed(batches.at(-1)!.batch);
        this.retryDelay = RETRY_DELAY_MS;
        this.uncommittedEvents -= events;
        for (const batch of batches) for (const entry of batch.entries) this.backlogBytes -= entry.bytes;
        this.committedSeq = last.seq;
        this.log.release(last.end!);
        this.wakeCommittedWaiters();
        this.wake();
      }
    } finally {
      this.committing = false;
      this.wake();
    }
  }

  private wakeCommittedWaiters(): void {
    if (this.committedWaiters.length === 0) return;
    const waiting: typeof this.committedWaiters = [];
    for (const w of this.committedWaiters) (this.committedSeq >= w.seq ? w.resolve() : waiting.push(w));
    this.committedWaiters = waiting;
  }

  /**
   * After a failed commit the in-memory state holds changes the engine does not: reload it, and
   * apply every record not yet committed again (they are durable; their requests were answered).
   */
  private async recover(): Promise<void> {
    if (this.toCommit.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.retryDelay));
      this.retryDelay = Math.min(this.retryDelay * 2, 5_000);
    }
    // The cache may hold changes never written; the distinct-id filter stays (ids of lost
    // batches in it only cost a store read).
    this.actors.forget();
    try {
      this.state = IngestStateIndex.fromSnapshot(await this.store.loadIngestState(), this.actors.cache, this.actors.knownDistinctIds);
    } catch (error) {
      this.logger.error({ err: error }, 'reloading ingestion state failed');
      return;
    }
    // Records the log lost (a failed write) are dropped; the rest are, or are about to be, durable.
    const kept = (entry: Entry) => {
      if (entry.lost) this.backlogBytes -= entry.bytes;
      else entry.applied = false;
      return !entry.lost;
    };
    const again = this.toCommit.flatMap((batch) => batch.entries).filter(kept);
    this.toCommit = [];
    this.uncommittedEvents = 0;
    this.toApply = [...again, ...this.toApply.filter(kept)];
    this.commitFailed = false;
  }

  private reportOverflow(projectId: number, groupType: string): void {
    const id = `${projectId}\u0000${groupType}`;
    if (this.reportedOverflow.has(id)) return;
    this.reportedOverflow.add(id);
    this.logger.warn(
      { projectId, groupType, maxGroupTypes: this.options.maxGroupTypes },
      'group type beyond the limit: events are stored without it; see ingestion warnings',
    );
  }
}
