// The flags thread answers exactly what the evaluator and the answer encoder answer on this
// thread, under concurrency, across flag changes, for answers larger than its buffers, and after
// the thread dies.
import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { FlagSet, type EvaluationContext } from './evaluate-flag.js';
import { flagAnswer, remoteConfig, type FlagAnswerShape } from './flag-answer.js';
import { flagDefinitionSchema, type FlagDefinition } from './flag-definition.js';
import { fixtureContext, fixtureFlag, loadFlagFixtures } from './flag-fixtures.test-helper.js';
import type { FlagSnapshot } from './flag-registry.js';
import { FlagThread, type FlagAnswerRequest, type FlagSource } from './flag-thread.js';

/** Definitions set by the test; every change is a new generation, as the registry's loads are. */
class TestSource implements FlagSource {
  private readonly projects = new Map<number, FlagSnapshot>();
  private generation = 0;

  set(projectId: number, definitions: readonly FlagDefinition[]): FlagSnapshot {
    const snapshot = { definitions, generation: ++this.generation };
    this.projects.set(projectId, snapshot);
    return snapshot;
  }

  private held: ((resume: () => void) => void) | undefined;

  /** The next load answers only once `resume` is called, with the flags as they were when it began. */
  holdNextLoad(): Promise<() => void> {
    return new Promise((onHeld) => (this.held = onHeld));
  }

  snapshot(projectId: number): Promise<FlagSnapshot> {
    const current = this.projects.get(projectId) ?? { definitions: [], generation: 0 };
    const onHeld = this.held;
    this.held = undefined;
    if (!onHeld) return Promise.resolve(current);
    return new Promise((resolve) => onHeld(() => resolve(current)));
  }
}

const SHAPES: readonly FlagAnswerShape[] = ['v2', 'v1', 'decide-v2', 'decide-v1'];

/** The answer as JSON, without the parts that differ on every request. */
function comparable(bytes: Uint8Array): Record<string, unknown> {
  const { requestId, evaluatedAt, ...rest } = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
  if (rest.flags !== undefined || rest.featureFlagPayloads !== undefined) {
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof evaluatedAt).toBe('number');
  }
  return rest;
}

/** What this thread's evaluator and encoder answer for the same request. */
function expectedAnswer(definitions: readonly FlagDefinition[], request: FlagAnswerRequest): Record<string, unknown> {
  const results = new FlagSet(definitions).evaluate(request.context, request.flagKeys ? new Set(request.flagKeys) : undefined);
  const extra = request.withConfig ? remoteConfig(results.length > 0) : {};
  return comparable(flagAnswer(results, request.shape, extra, (length) => new Uint8Array(length)));
}

async function answerJson(thread: FlagThread, request: FlagAnswerRequest): Promise<Record<string, unknown>> {
  const answer = await thread.answer(request);
  try {
    return comparable(answer.body);
  } finally {
    answer.release();
  }
}

/** Person flags with a partial rollout and two variants: the answer depends on the distinct id. */
function rolloutFlags(count: number, keyPrefix = 'rollout'): FlagDefinition[] {
  const schema = flagDefinitionSchema({ maxGroupTypes: 5 });
  return Array.from({ length: count }, (_, i) =>
    schema.parse({
      id: i + 1,
      key: `${keyPrefix}-${i}`,
      name: '',
      active: true,
      version: 1,
      filters: {
        groups: [{ properties: [], rollout_percentage: 20 + (i % 60) }],
        ...(i % 2 === 0 ? {} : { multivariate: { variants: [{ key: 'a', rollout_percentage: 50 }, { key: 'b', rollout_percentage: 50 }] }, payloads: { b: `{"n":${i}}` } }),
      },
    }),
  );
}

const personContext = (distinctId: string): EvaluationContext => ({
  distinctId,
  groups: {},
  groupTypeMapping: { 0: 'company' },
  personProperties: { distinct_id: distinctId },
  groupProperties: {},
});

describe('the flags thread', () => {
  let thread: FlagThread | undefined;
  afterEach(async () => {
    await thread?.close();
    thread = undefined;
  });

  it('answers every fixture in every shape as the evaluator on this thread does', async () => {
    const source = new TestSource();
    thread = new FlagThread(source);
    const fixtures = loadFlagFixtures();
    expect(fixtures.length).toBeGreaterThan(10);
    for (const [index, fixture] of fixtures.entries()) {
      const definitions = [fixtureFlag(fixture)];
      source.set(index + 1, definitions);
      for (const shape of SHAPES) {
        for (const withConfig of [false, true]) {
          const request: FlagAnswerRequest = { projectId: index + 1, context: fixtureContext(fixture), flagKeys: undefined, shape, withConfig };
          expect(await answerJson(thread, request), `${fixture.file} ${shape} config=${withConfig}`).toEqual(expectedAnswer(definitions, request));
        }
      }
      // And the fixture's own expectation, straight from the thread's v2 answer.
      const v2 = await answerJson(thread, { projectId: index + 1, context: fixtureContext(fixture), flagKeys: undefined, shape: 'v2', withConfig: false });
      const flag = (v2.flags as Record<string, { enabled: boolean; variant: string | null; reason: { code: string } }>)[definitions[0].key];
      expect(flag.enabled, fixture.file).toBe(fixture.expected.enabled);
      expect(flag.variant, fixture.file).toBe(fixture.expected.variant);
      expect(flag.reason.code, fixture.file).toBe(fixture.expected.reason.code);
    }
  });

  it('gives each of many concurrent requests its own answer, round after round (buffers are reused)', async () => {
    const source = new TestSource();
    const definitions = rolloutFlags(200);
    source.set(1, definitions);
    thread = new FlagThread(source);
    for (let round = 0; round < 3; round++) {
      const requests = Array.from({ length: 300 }, (_, i): FlagAnswerRequest => ({
        projectId: 1,
        context: personContext(`person-${round}-${i}`),
        flagKeys: i % 7 === 0 ? ['rollout-1', 'rollout-2', 'no-such-flag'] : undefined,
        shape: i % 5 === 0 ? 'v1' : 'v2',
        withConfig: false,
      }));
      const answers = await Promise.all(requests.map((r) => thread!.answer(r)));
      // Every body is read while all of them are held, then all go back at once.
      answers.forEach((answer, i) => expect(comparable(answer.body), `round ${round}, request ${i}`).toEqual(expectedAnswer(definitions, requests[i])));
      for (const answer of answers) answer.release();
    }
  });

  it('applies changed flags from the next request, and never goes back to older ones', async () => {
    const source = new TestSource();
    const before = rolloutFlags(3, 'before');
    const after = rolloutFlags(4, 'after');
    source.set(1, before);
    thread = new FlagThread(source);
    const ask = () => answerJson(thread!, { projectId: 1, context: personContext('someone'), flagKeys: undefined, shape: 'v2', withConfig: false });
    expect(Object.keys((await ask()).flags as object)).toEqual(['before-0', 'before-1', 'before-2']);
    // A request that loads its flags before a change, and reaches the thread after it.
    const held = source.holdNextLoad();
    const slow = ask();
    const resume = await held;
    source.set(1, after);
    expect(Object.keys((await ask()).flags as object)).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
    resume();
    expect(Object.keys((await slow).flags as object)).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
    expect(Object.keys((await ask()).flags as object)).toEqual(['after-0', 'after-1', 'after-2', 'after-3']);
  });

  it('answers in full when an answer outgrows the reused buffers', async () => {
    const source = new TestSource();
    const definitions = rolloutFlags(800);
    source.set(1, definitions);
    thread = new FlagThread(source);
    for (let i = 0; i < 3; i++) {
      const request: FlagAnswerRequest = { projectId: 1, context: personContext(`big-${i}`), flagKeys: undefined, shape: 'v2', withConfig: false };
      const answer = await thread.answer(request);
      expect(answer.body.length).toBeGreaterThan(128 * 1024);
      expect(comparable(answer.body)).toEqual(expectedAnswer(definitions, request));
      answer.release();
    }
  });

  it('fails only the request that cannot be copied to the thread, not the others of its batch', async () => {
    const source = new TestSource();
    const definitions = rolloutFlags(5);
    source.set(1, definitions);
    thread = new FlagThread(source);
    const request = (context: EvaluationContext): FlagAnswerRequest => ({ projectId: 1, context, flagKeys: undefined, shape: 'v2', withConfig: false });
    // A function is not copyable between threads (a parsed request body never holds one).
    const uncopyable = { ...personContext('b'), personProperties: { distinct_id: 'b', f: () => 1 } };
    const [first, bad, last] = await Promise.allSettled([thread.answer(request(personContext('a'))), thread.answer(request(uncopyable)), thread.answer(request(personContext('c')))]);
    expect(bad.status).toBe('rejected');
    for (const [settled, id] of [[first, 'a'], [last, 'c']] as const) {
      if (settled.status !== 'fulfilled') throw new Error(`request ${id} failed: ${String(settled.reason)}`);
      expect(comparable(settled.value.body)).toEqual(expectedAnswer(definitions, request(personContext(id))));
    }
  });

  it('answers 503 for the requests of a thread that died, and carries on with a new one', async () => {
    const source = new TestSource();
    thread = new FlagThread(source);
    // Definitions that cannot be compiled kill the thread (the API never saves such a flag).
    source.set(1, [{ ...rolloutFlags(1)[0], filters: { groups: null } } as unknown as FlagDefinition]);
    const failed = await thread.answer({ projectId: 1, context: personContext('x'), flagKeys: undefined, shape: 'v2', withConfig: false }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(HttpError);
    expect((failed as HttpError).status).toBe(503);

    const definitions = rolloutFlags(5);
    source.set(1, definitions);
    const request: FlagAnswerRequest = { projectId: 1, context: personContext('y'), flagKeys: undefined, shape: 'v2', withConfig: false };
    expect(await answerJson(thread, request)).toEqual(expectedAnswer(definitions, request));
  });
});
