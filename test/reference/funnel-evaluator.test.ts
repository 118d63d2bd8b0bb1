import { describe, expect, it } from 'vitest';
import { EXCLUSION_SHIFT, GAP_BIT, FunnelEvaluator, evaluateActor, type ActorEvents, type FunnelSemantics } from './funnel-evaluator.js';

const HOUR = 3600;

/** Events as [seconds, step indexes, options]; masks built as the SQL builds them. */
function events(...list: [number, number[], { exclusions?: number[]; value?: string | null; gap?: boolean }?][]): ActorEvents {
  return {
    times: list.map(([seconds]) => seconds * 1_000_000),
    masks: list.map(([, steps, o]) => {
      let mask = steps.reduce((m, k) => m | (1 << k), 0);
      for (const i of o?.exclusions ?? []) mask |= 1 << (EXCLUSION_SHIFT + i);
      return o?.gap ? mask | GAP_BIT : mask;
    }),
    breakdowns: list.map(([, , o]) => o?.value ?? null),
  };
}

function semantics(extra: Partial<FunnelSemantics> = {}): FunnelSemantics {
  return { steps: 3, windowMicros: 14 * 24 * HOUR * 1_000_000, order: 'ordered', exclusions: [], ...extra };
}

const reached = (s: FunnelSemantics, e: ActorEvents) => evaluateActor(s, e).map((f) => f.reached);
const seconds = (s: FunnelSemantics, e: ActorEvents) => evaluateActor(s, e).map((f) => f.times.map((t) => t / 1_000_000));

describe('ordered funnels', () => {
  it('takes each step from the first later event, within the window from the first step, edge included', () => {
    const e = events([0, [0]], [HOUR, [2]], [2 * HOUR, [1]], [3 * HOUR, [2]]);
    expect(seconds(semantics(), e)).toEqual([[0, 2 * HOUR, 3 * HOUR]]);
    expect(reached(semantics({ windowMicros: 3 * HOUR * 1_000_000 }), e)).toEqual([3]);
    expect(reached(semantics({ windowMicros: (3 * HOUR - 1) * 1_000_000 }), e)).toEqual([2]);
  });

  it('needs each step strictly later than the previous one, and a distinct event per step', () => {
    expect(reached(semantics(), events([0, [0]], [0, [1]], [5, [2]]))).toEqual([1]);
    const twice = semantics({ steps: 2 });
    expect(reached(twice, events([0, [0, 1]]))).toEqual([1]);
    expect(reached(twice, events([0, [0, 1]], [1, [0, 1]]))).toEqual([2]);
  });

  it('keeps the first of the attempts that got furthest, for its conversion times', () => {
    const e = events([0, [0]], [HOUR, [0]], [3 * HOUR, [1]]);
    expect(seconds(semantics(), e)).toEqual([[0, 3 * HOUR]]);
  });

  it('leaves out an actor without a first step', () => {
    expect(evaluateActor(semantics(), events([0, [1]], [1, [2]]))).toEqual([]);
  });
});

describe('strict funnels', () => {
  it('stops at an event of the actor between two steps (the gap bit) or at the same instant', () => {
    const s = semantics({ order: 'strict' });
    expect(reached(s, events([0, [0]], [1, [1]], [2, [2]]))).toEqual([3]);
    expect(reached(s, events([0, [0]], [1, [1], { gap: true }], [2, [2]]))).toEqual([1]);
    expect(reached(s, events([0, [0]], [1, [1]], [1, [2]]))).toEqual([2]);
    // a later attempt right after a broken one still counts
    expect(reached(s, events([0, [0]], [1, [2]], [2, [0]], [3, [1]]))).toEqual([2]);
  });
});

describe('unordered funnels', () => {
  it('counts the steps done in any order within the window from an attempt’s first event', () => {
    const s = semantics({ order: 'unordered', windowMicros: 10 * 1_000_000 });
    expect(seconds(s, events([0, [2]], [4, [0]], [8, [1]]))).toEqual([[0, 4, 8]]);
    expect(reached(s, events([0, [2]], [4, [0]], [11, [1]]))).toEqual([2]);
  });

  it('matches one event per step when steps share events', () => {
    const s = semantics({ order: 'unordered', steps: 2 });
    expect(reached(s, events([0, [0, 1]]))).toEqual([1]);
    expect(reached(s, events([0, [0, 1]], [5, [0]]))).toEqual([2]);
  });
});

describe('exclusions', () => {
  const excluded = (fromStep: number, toStep: number, extra: Partial<FunnelSemantics> = {}) => semantics({ exclusions: [{ fromStep, toStep }], ...extra });

  it('void an attempt with the excluded event strictly between its two steps', () => {
    const e = events([0, [0]], [1, [], { exclusions: [0] }], [2, [1]], [3, [2]]);
    expect(reached(excluded(0, 1), e)).toEqual([]);
    expect(reached(excluded(1, 2), e)).toEqual([3]);
    expect(reached(excluded(0, 2), e)).toEqual([]);
  });

  it('void an attempt that never reached the to-step only while its window is open', () => {
    const s = excluded(0, 1, { windowMicros: 10 * 1_000_000 });
    expect(reached(s, events([0, [0]], [10, [], { exclusions: [0] }]))).toEqual([]);
    expect(reached(s, events([0, [0]], [11, [], { exclusions: [0] }]))).toEqual([1]);
  });

  it('never count the attempt’s own step events, and spare other attempts', () => {
    // steps 0 → 1 → 2 where step 1 events are also excluded between steps 1 and 2
    const s = excluded(1, 2);
    expect(reached(s, events([0, [0]], [1, [1], { exclusions: [0] }], [2, [2]]))).toEqual([3]);
    expect(reached(s, events([0, [0]], [1, [1], { exclusions: [0] }], [2, [1], { exclusions: [0] }], [3, [2]]))).toEqual([]);
    // the first attempt is voided, the second one stands
    expect(seconds(excluded(0, 1), events([0, [0]], [1, [], { exclusions: [0] }], [2, [1]], [5, [0]], [6, [1]]))).toEqual([[5, 6]]);
  });
});

describe('breakdown attribution', () => {
  const e = events([0, [0], { value: 'a' }], [1, [1], { value: 'b' }], [2, [2]], [3, [1], { value: 'c' }]);
  const by = (extra: Partial<FunnelSemantics>) =>
    new FunnelEvaluator(semantics(extra))
      .evaluate(e)
      .map((f) => [f.breakdown, f.reached]);

  it('gives the actor the value of its first or last step event with one', () => {
    expect(by({ attribution: 'first_touch' })).toEqual([['a', 3]]);
    expect(by({ attribution: 'last_touch' })).toEqual([['c', 3]]);
  });

  it('runs the funnel per value of a step, that step only matching events with the value', () => {
    expect(by({ attribution: 'step', attributionStep: 1 })).toEqual([
      ['b', 3],
      ['c', 2],
    ]);
    expect(by({ attribution: 'step', attributionStep: 2 })).toEqual([[null, 3]]);
  });

  it('runs the funnel per value over that value’s events only', () => {
    expect(by({ attribution: 'all_events' })).toEqual([['a', 1]]);
  });
});
