// Store reads by key, coalesced: keys asked for in the same turn of the event loop, or while the
// previous read runs, go to the store as one read per project. A store read costs about the same
// for one key as for a thousand (a scan), so under load this keeps the cost per request small.

interface Waiting<V> {
  readonly promise: Promise<V | undefined>;
  readonly resolve: (value: V | undefined) => void;
  readonly reject: (error: unknown) => void;
}

export class CoalescedLookup<V> {
  private pending = new Map<number, Map<string, Waiting<V>>>();
  private scheduled = false;
  private running = false;

  /** `read` returns what it found by key; keys it leaves out have no value. */
  constructor(private readonly read: (projectId: number, keys: string[]) => Promise<Map<string, V>>) {}

  get(projectId: number, key: string): Promise<V | undefined> {
    let keys = this.pending.get(projectId);
    if (!keys) this.pending.set(projectId, (keys = new Map()));
    const waiting = keys.get(key);
    if (waiting) return waiting.promise;
    let resolve!: (value: V | undefined) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<V | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    keys.set(key, { promise, resolve, reject });
    this.schedule();
    return promise;
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.running = true;
    const batch = this.pending;
    this.pending = new Map();
    try {
      for (const [projectId, keys] of batch) {
        try {
          const found = await this.read(projectId, [...keys.keys()]);
          for (const [key, waiting] of keys) waiting.resolve(found.get(key));
        } catch (error) {
          for (const waiting of keys.values()) waiting.reject(error);
        }
      }
    } finally {
      this.running = false;
      if (this.pending.size > 0) this.schedule();
    }
  }
}
