// A reference for the funnel SQL (src/query/funnels/compile.ts), used by funnel-sql.test.ts only:
// one actor's matching events in time order, with a bit mask per event saying which steps and
// exclusions it matches, folded in plain loops into the furthest step it reached, breakdown
// attribution included (insights-reference.ts has no breakdowns). It was the production
// evaluator before funnels moved into the engine; production code never streams events to Node.
//
// Semantics (spec section 3.3):
// - An attempt starts at each step-1 event. Each later step is the first event of that step
//   strictly later than the previous step's event (`ordered`), or the actor's very next event
//   (`strict`), no later than the conversion window after the attempt's start (the edge counts
//   as inside). `unordered` attempts start at any step event and take the most steps that distinct
//   events inside the window can satisfy, in any order. One event never counts for two steps.
// - An exclusion invalidates an attempt when its event (not one of the attempt's own) happens
//   strictly after the attempt's `fromStep` event and strictly before its `toStep` event, or, when
//   that step was not reached, up to the end of the window.
// - An actor counts with its furthest valid attempt (the first of equals, whose step times give
//   the conversion times); an actor without a valid attempt is left out.
// - Breakdowns: first/last touch give the actor one value (its first/last step event with a
//   value); `all_events` runs the funnel once per value over that value's events (in a strict
//   funnel another value's event still stands between two steps); `step` runs it once per value
//   seen on that step's events, the step only matching events with the value (unordered: the
//   attempt's first event must carry it). An actor can so count under several values, as in PostHog.

// Mask bits: step k is bit k, exclusion i is bit EXCLUSION_SHIFT + i (all within 31 bits).
export const MAX_STEPS = 20;
export const MAX_EXCLUSIONS = 10;
export const EXCLUSION_SHIFT = 20;
/** Strict funnels: set on an event when another event of the actor came right before it. */
export const GAP_BIT = 1 << 30;

export type FunnelOrder = 'ordered' | 'strict' | 'unordered';
export type BreakdownAttribution = 'first_touch' | 'last_touch' | 'all_events' | 'step';

export interface FunnelSemantics {
  readonly steps: number;
  /** Conversion window, in microseconds. */
  readonly windowMicros: number;
  readonly order: FunnelOrder;
  /** 0-based step indexes, fromStep < toStep. */
  readonly exclusions: readonly { readonly fromStep: number; readonly toStep: number }[];
  /** Absent when the funnel has no breakdown. */
  readonly attribution?: BreakdownAttribution;
  /** 0-based step whose event gives the value, for `step` attribution. */
  readonly attributionStep?: number;
}

/** One actor's events, in time order (ties: lower steps first). */
export interface ActorEvents {
  /** Microseconds since the epoch. */
  readonly times: readonly number[];
  readonly masks: readonly number[];
  /** Breakdown value per event; absent without a breakdown. */
  readonly breakdowns?: readonly (string | null)[];
}

export interface ActorFunnel {
  /** The breakdown value the actor counts under (null: none); undefined without a breakdown. */
  readonly breakdown: string | null | undefined;
  /** Steps reached, 1..steps. */
  readonly reached: number;
  /** Time of each reached step's event (microseconds), in step order. */
  readonly times: readonly number[];
}

const NO_RESTRICTION = 0;
/** all_events: every event used must carry the run's value. */
const ALL_EVENTS = 1;
/** step attribution: the attributed step's events must carry the run's value. */
const ONE_STEP = 2;
/** step attribution, unordered: the attempt's first event must carry the run's value. */
const FIRST_EVENT = 3;

/**
 * Folds actors' events into their funnels. One instance serves a whole query: it keeps scratch
 * buffers between actors, as a funnel over many small actors is mostly per-actor overhead.
 */
export class FunnelEvaluator {
  private readonly steps: number;
  private readonly slots: number;
  // The actor and run being evaluated.
  private times: readonly number[] = [];
  private masks: readonly number[] = [];
  private values: readonly (string | null)[] = [];
  private length = 0;
  private restriction = NO_RESTRICTION;
  private restrictedStep = -1;
  private value: string | null = null;
  /** next[slot * (length + 1) + row]: the first usable row at or after `row` for a step (slots 0..steps-1) or an exclusion. */
  private next = new Int32Array(64);
  private readonly rows: Int32Array;
  private readonly bestRows: Int32Array;
  private bestReached = 0;

  constructor(readonly semantics: FunnelSemantics) {
    this.steps = semantics.steps;
    this.slots = semantics.steps + semantics.exclusions.length;
    this.rows = new Int32Array(semantics.steps);
    this.bestRows = new Int32Array(semantics.steps);
  }

  /** The actor's funnel: one entry, or one per breakdown value for all_events/step attribution. */
  evaluate(events: ActorEvents): ActorFunnel[] {
    this.times = events.times;
    this.masks = events.masks;
    this.values = events.breakdowns ?? [];
    this.length = events.times.length;
    const { attribution } = this.semantics;
    if (!attribution || !events.breakdowns) return this.run(undefined, NO_RESTRICTION, null);

    const values = events.breakdowns;
    const stepBits = (1 << this.steps) - 1;
    switch (attribution) {
      case 'first_touch':
      case 'last_touch': {
        let value: string | null = null;
        for (let n = 0; n < this.length; n++) {
          const row = attribution === 'first_touch' ? n : this.length - 1 - n;
          if ((this.masks[row] & stepBits) !== 0 && values[row] !== null) {
            value = values[row];
            break;
          }
        }
        return this.run(value, NO_RESTRICTION, null);
      }
      case 'all_events':
        return this.perValue(stepBits, ALL_EVENTS);
      case 'step':
        // Unordered funnels have no step order: the value comes from the attempt's first event.
        return this.semantics.order === 'unordered'
          ? this.perValue(stepBits, FIRST_EVENT)
          : this.perValue(1 << (this.semantics.attributionStep ?? 0), ONE_STEP);
    }
  }

  /** One run per distinct value among the events matching `bits` (null when there are none). */
  private perValue(bits: number, restriction: number): ActorFunnel[] {
    const distinct = new Set<string | null>();
    for (let row = 0; row < this.length; row++) if ((this.masks[row] & bits) !== 0) distinct.add(this.values[row]);
    if (distinct.size === 0) distinct.add(null);
    return [...distinct].flatMap((value) => this.run(value, restriction, value));
  }

  private run(breakdown: string | null | undefined, restriction: number, value: string | null): ActorFunnel[] {
    this.restriction = restriction;
    this.value = value;
    this.restrictedStep = restriction === ONE_STEP ? (this.semantics.attributionStep ?? 0) : -1;
    this.buildNext();
    this.bestReached = 0;
    if (this.semantics.order === 'unordered') this.unordered();
    else this.ordered();
    if (this.bestReached === 0) return [];
    const times: number[] = [];
    for (let k = 0; k < this.bestReached; k++) times.push(this.times[this.bestRows[k]]);
    return [{ breakdown, reached: this.bestReached, times }];
  }

  /** May this run use `row` for step k (slot < steps) or exclusion slot - steps? */
  private usable(slot: number, row: number): boolean {
    const bit = slot < this.steps ? slot : EXCLUSION_SHIFT + slot - this.steps;
    if ((this.masks[row] & (1 << bit)) === 0) return false;
    if (this.restriction === ALL_EVENTS) return this.values[row] === this.value;
    if (this.restriction === ONE_STEP && slot === this.restrictedStep) return this.values[row] === this.value;
    return true;
  }

  private buildNext(): void {
    const width = this.length + 1;
    if (this.next.length < this.slots * width) this.next = new Int32Array(this.slots * width * 2);
    const next = this.next;
    for (let slot = 0; slot < this.slots; slot++) {
      const base = slot * width;
      next[base + this.length] = this.length;
      for (let row = this.length - 1; row >= 0; row--) next[base + row] = this.usable(slot, row) ? row : next[base + row + 1];
    }
  }

  /** The first row at or after `row` usable for a slot (`length` when none). */
  private nextRow(slot: number, row: number): number {
    return this.next[slot * (this.length + 1) + row];
  }

  /** Ordered and strict attempts, one per step-1 event, in time order. */
  private ordered(): void {
    const { times, masks, rows, length } = this;
    const n = this.steps;
    const window = this.semantics.windowMicros;
    const strict = this.semantics.order === 'strict';
    for (let first = this.nextRow(0, 0); first < length; first = this.nextRow(0, first + 1)) {
      const start = times[first];
      rows[0] = first;
      let reached = 1;
      for (let k = 1; k < n; k++) {
        const previous = rows[k - 1];
        let row: number;
        if (strict) {
          row = previous + 1;
          if (row >= length || !this.usable(k, row) || (masks[row] & GAP_BIT) !== 0) break;
        } else {
          row = this.nextRow(k, previous + 1);
          while (row < length && times[row] <= times[previous]) row = this.nextRow(k, row + 1);
          if (row >= length) break;
        }
        if (times[row] <= times[previous] || times[row] - start > window) break;
        rows[k] = row;
        reached++;
      }
      this.consider(reached, start);
      if (this.bestReached === n) return;
    }
  }

  /** Unordered attempts, one per step event, in time order. */
  private unordered(): void {
    const { times, rows, length } = this;
    const n = this.steps;
    for (let anchor = 0; anchor < length; anchor++) {
      let isStep = false;
      for (let k = 0; k < n && !isStep; k++) isStep = this.usable(k, anchor);
      if (!isStep || (this.restriction === FIRST_EVENT && this.values[anchor] !== this.value)) continue;
      const matched = this.unorderedMatch(anchor, times[anchor] + this.semantics.windowMicros);
      matched.forEach((row, k) => (rows[k] = row));
      this.consider(matched.length, times[anchor]);
      if (this.bestReached === n) return;
    }
  }

  /**
   * The most steps that distinct events from `anchor` up to `until` can satisfy, one event per
   * step (a small bipartite matching, for steps sharing an event). A step never needs more than
   * its first `steps` candidates, so only those are tried. Rows come back in time order.
   */
  private unorderedMatch(anchor: number, until: number): number[] {
    const n = this.steps;
    const candidates: number[][] = [];
    for (let k = 0; k < n; k++) {
      const list: number[] = [];
      for (let row = this.nextRow(k, anchor); row < this.length && this.times[row] <= until && list.length < n; row = this.nextRow(k, row + 1)) list.push(row);
      candidates.push(list);
    }
    const stepOfRow = new Map<number, number>();
    const assign = (k: number, seen: Set<number>): boolean => {
      for (const row of candidates[k]) {
        if (seen.has(row)) continue;
        seen.add(row);
        const owner = stepOfRow.get(row);
        if (owner === undefined || assign(owner, seen)) {
          stepOfRow.set(row, k);
          return true;
        }
      }
      return false;
    };
    for (let k = 0; k < n; k++) assign(k, new Set());
    return [...stepOfRow.keys()].sort((a, b) => a - b);
  }

  /** Keeps the attempt in `rows` if it gets further than the best so far and no exclusion voids it. */
  private consider(reached: number, start: number): void {
    if (reached <= this.bestReached || !this.isValid(reached, start)) return;
    this.bestReached = reached;
    this.bestRows.set(this.rows.subarray(0, reached));
  }

  private isValid(reached: number, start: number): boolean {
    const { exclusions, windowMicros } = this.semantics;
    for (let i = 0; i < exclusions.length; i++) {
      const { fromStep, toStep } = exclusions[i];
      if (reached <= fromStep) continue;
      const fromRow = this.rows[fromStep];
      const toRow = reached > toStep ? this.rows[toStep] : -1;
      if (this.excludedBetween(this.steps + i, reached, fromRow, toRow, start + windowMicros)) return false;
    }
    return true;
  }

  /**
   * Is there an event of an exclusion slot, other than the attempt's own step events, strictly
   * after `fromRow`'s time and strictly before `toRow`'s (or, with toRow -1, at most `until`)?
   */
  private excludedBetween(slot: number, reached: number, fromRow: number, toRow: number, until: number): boolean {
    const { times, length } = this;
    const after = times[fromRow];
    for (let row = this.nextRow(slot, fromRow + 1); row < length; row = this.nextRow(slot, row + 1)) {
      if (toRow < 0 ? times[row] > until : times[row] >= times[toRow]) return false;
      if (times[row] > after && !this.rows.subarray(0, reached).includes(row)) return true;
    }
    return false;
  }
}

/** One actor's funnel (a convenience over FunnelEvaluator for a single actor). */
export function evaluateActor(semantics: FunnelSemantics, events: ActorEvents): ActorFunnel[] {
  return new FunnelEvaluator(semantics).evaluate(events);
}
