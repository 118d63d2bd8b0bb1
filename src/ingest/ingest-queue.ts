// Group commit: concurrent capture requests are queued, and one loop applies them in arrival
// order and writes them in a single transaction. A request is answered only after the
// transaction holding its events has committed, so a 200 means the events are durable.
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../errors.js';
import type { IngestCommit, Project, Store } from '../store/store.js';
import { Actors } from './actors.js';
import { CommitBuilder } from './commit-builder.js';
import { ingestEvent, WARNING_EVENT_DROPPED } from './ingest-processor.js';
import type { IngestEvent, PropertyTypes } from './ingest-event.js';
import { recordEventPropertyTypes } from './property-definitions.js';
import { IngestStateIndex, type ProjectState } from './project-state.js';

interface Job {
  readonly projectId: number;
  readonly events: readonly IngestEvent[];
  readonly dropped: readonly string[];
  readonly propertyTypes: PropertyTypes;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Exclusive {
  readonly work: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** Events per transaction: bigger batches amortize the commit, smaller ones answer sooner. */
const MAX_EVENTS_PER_COMMIT = 50_000;
/** Queued events beyond which capture answers 503 (retryable) instead of growing memory. */
const MAX_QUEUED_EVENTS = 1_000_000;

export class IngestQueue {
  private jobs: Job[] = [];
  private exclusives: Exclusive[] = [];
  private queuedEvents = 0;
  private running = false;
  private readonly reportedOverflow = new Set<string>();

  private constructor(
    private readonly store: Store,
    private state: IngestStateIndex,
    private readonly maxGroupTypes: number,
    private readonly log: FastifyBaseLogger,
    /** Persons and groups: a bounded cache over the store, shared with /flags. */
    readonly actors: Actors,
  ) {}

  /** `options.actorCacheBytes`: budget of the person and group cache (see actor-cache.ts). */
  static async open(store: Store, maxGroupTypes: number, log: FastifyBaseLogger, options: { actorCacheBytes?: number } = {}): Promise<IngestQueue> {
    const actors = await Actors.open(store, options.actorCacheBytes);
    const state = IngestStateIndex.fromSnapshot(await store.loadIngestState(), actors.cache, actors.knownDistinctIds);
    return new IngestQueue(store, state, maxGroupTypes, log, actors);
  }

  projectByToken(token: string): ProjectState | undefined {
    return this.state.projectByToken(token);
  }

  project(projectId: number): ProjectState | undefined {
    return this.state.project(projectId);
  }

  /** Every project's id, lowest first. */
  projectIds(): number[] {
    return this.state.projectIds();
  }

  /** Replaces a project's settings (name, time zone) in memory. Call inside exclusive(). */
  updateProject(project: Project): void {
    const state = this.state.project(project.id);
    if (state) state.project = project;
  }

  /** Makes a newly stored project known to ingestion. Call inside exclusive(). */
  addProject(project: Project): void {
    this.state.addProject(project);
  }

  /** Resolves once the events are committed. `dropped` are reasons for events already rejected. */
  submit(projectId: number, events: readonly IngestEvent[], dropped: readonly string[], propertyTypes: PropertyTypes): Promise<void> {
    if (this.queuedEvents + events.length > MAX_QUEUED_EVENTS) {
      return Promise.reject(new HttpError('unavailable', 'Ingestion is behind; retry shortly.'));
    }
    this.queuedEvents += events.length;
    return new Promise((resolve, reject) => {
      this.jobs.push({ projectId, events, dropped, propertyTypes, resolve, reject });
      this.kick();
    });
  }

  /**
   * Runs work that changes what ingestion depends on (group types, projects) between commits,
   * so no batch is half applied under old state and half under new.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.exclusives.push({ work, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Waits until everything queued so far has been written. */
  async drain(): Promise<void> {
    await this.exclusive(async () => undefined);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.loop());
  }

  /**
   * Pipelined: while one batch's transaction runs in the store, the next batch is already applied to
   * the in-memory state, so the main thread is not idle during the commit. At most one
   * transaction is in flight, and batches are written in the order they were applied.
   */
  private async loop(): Promise<void> {
    let inFlight: Promise<boolean> | undefined;
    try {
      while (this.jobs.length > 0 || this.exclusives.length > 0 || inFlight) {
        if (this.jobs.length > 0 && this.exclusives.length === 0) {
          const jobs = this.takeJobs();
          const batch = this.actors.beginBatch();
          const loading = this.actors.prefetch(jobs, (projectId) => this.state.project(projectId));
          if (loading && !(await this.prefetched(jobs, loading))) continue;
          const commit = this.apply(jobs);
          if (inFlight) {
            const previousOk = await inFlight;
            inFlight = undefined;
            if (!previousOk) {
              // This batch was applied on top of state that never reached the disk.
              if (commit) this.fail(jobs, new HttpError('unavailable', 'Ingestion failed to write a batch; retry.'));
              await this.reload();
              continue;
            }
          }
          if (commit) inFlight = this.write(jobs, commit, batch);
          else await this.reload();
          continue;
        }
        if (inFlight) {
          const ok = await inFlight;
          inFlight = undefined;
          if (!ok) await this.reload();
          continue;
        }
        // Nothing in flight and nothing applied ahead: state changes are safe here.
        const exclusives = this.exclusives;
        this.exclusives = [];
        for (const x of exclusives) {
          try {
            x.resolve(await x.work());
          } catch (error) {
            x.reject(error);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private takeJobs(): Job[] {
    let count = 0;
    let taken = 0;
    while (taken < this.jobs.length && (taken === 0 || count + this.jobs[taken].events.length <= MAX_EVENTS_PER_COMMIT)) {
      count += this.jobs[taken].events.length;
      taken += 1;
    }
    return this.jobs.splice(0, taken);
  }

  /** Runs the ingestion steps for the jobs against in-memory state; undefined (jobs failed) on error. */
  private apply(jobs: Job[]): IngestCommit | undefined {
    const commit = new CommitBuilder();
    const now = new Date();
    const ctx = {
      maxGroupTypes: this.maxGroupTypes,
      commit,
      onLimitExceeded: (projectId: number, groupType: string) => this.reportOverflow(projectId, groupType),
    };
    try {
      for (const job of jobs) {
        const state = this.state.project(job.projectId);
        if (!state) throw new Error(`project ${job.projectId} is not loaded`);
        recordEventPropertyTypes(state, job.propertyTypes, now, commit);
        for (const event of job.events) ingestEvent(state, event, ctx, now);
        for (const reason of job.dropped) commit.warn(job.projectId, WARNING_EVENT_DROPPED, reason, { reason }, now);
      }
      return commit.build();
    } catch (error) {
      this.log.error({ err: error }, 'applying a batch failed');
      this.fail(jobs, error);
      return undefined;
    } finally {
      this.actors.endBatch();
    }
  }

  /** Waits for the persons and groups a batch needs; false (jobs failed) when the store read failed. */
  private async prefetched(jobs: Job[], loading: Promise<void>): Promise<boolean> {
    try {
      await loading;
      return true;
    } catch (error) {
      this.log.error({ err: error }, 'reading persons and groups for a batch failed');
      this.fail(jobs, new HttpError('unavailable', 'Ingestion failed to read persons; retry.'));
      return false;
    }
  }

  /** Writes one applied batch and answers its requests; false when the write failed. */
  private async write(jobs: Job[], commit: IngestCommit, batch: number): Promise<boolean> {
    try {
      await this.store.commitIngest(commit);
      this.actors.committed(batch);
      this.settle(jobs);
      for (const job of jobs) job.resolve();
      return true;
    } catch (error) {
      this.log.error({ err: error }, 'ingestion commit failed');
      this.fail(jobs, error);
      return false;
    }
  }

  private fail(jobs: Job[], error: unknown): void {
    this.settle(jobs);
    for (const job of jobs) job.reject(error);
  }

  private settle(jobs: Job[]): void {
    for (const job of jobs) this.queuedEvents -= job.events.length;
  }

  /**
   * The in-memory state may hold changes that were never written: start again from the store.
   * The distinct-id filter is kept: ids of a lost batch in it only cost a store read.
   */
  private async reload(): Promise<void> {
    this.actors.forget();
    try {
      this.state = IngestStateIndex.fromSnapshot(await this.store.loadIngestState(), this.actors.cache, this.actors.knownDistinctIds);
    } catch (error) {
      this.log.error({ err: error }, 'reloading ingestion state failed');
    }
  }

  private reportOverflow(projectId: number, groupType: string): void {
    const id = `${projectId}\u0000${groupType}`;
    if (this.reportedOverflow.has(id)) return;
    this.reportedOverflow.add(id);
    this.log.warn(
      { projectId, groupType, maxGroupTypes: this.maxGroupTypes },
      'group type beyond the limit: events are stored without it; see ingestion warnings',
    );
  }
}
