import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluateFlag, FlagSet, matchProperty, type EvaluationContext } from './evaluate-flag.js';
import { flagDefinitionSchema, type FlagDefinition, type FlagDefinitionInput, type FlagPropertyFilter } from './flag-definition.js';
import { fixtureContext, fixtureFlag, loadFlagFixtures } from './flag-fixtures.test-helper.js';

const parseFlag = (input: FlagDefinitionInput): FlagDefinition => flagDefinitionSchema({ maxGroupTypes: 5 }).parse(input);

const flagWith = (filters: FlagDefinitionInput['filters'], key = 'test-flag'): FlagDefinition =>
  parseFlag({ id: 9, key, name: key, active: true, deleted: false, version: 4, ensure_experience_continuity: false, filters });

const context = (overrides: Partial<EvaluationContext> = {}): EvaluationContext => ({
  distinctId: 'user_1',
  groups: {},
  groupTypeMapping: { 0: 'company', 1: 'project' },
  personProperties: { distinct_id: 'user_1' },
  groupProperties: {},
  ...overrides,
});

const companyContext = (key: string | number, properties: Record<string, unknown> = {}, distinctId = 'user_1') =>
  context({ distinctId, groups: { company: key }, groupProperties: { company: { $group_key: String(key), ...properties } } });

describe('evaluateFlag on the fixtures', () => {
  it.each(loadFlagFixtures().map((f) => [f.file, f] as const))('%s', (_file, fixture) => {
    const result = evaluateFlag(fixtureFlag(fixture), fixtureContext(fixture));
    expect({
      enabled: result.enabled,
      variant: result.variant,
      reason: { code: result.reason.code, condition_index: result.reason.condition_index },
      payload: result.payload,
    }).toEqual(fixture.expected);
    expect(result.key).toBe(fixture.flag.key);
    expect(result.metadata).toEqual({ id: fixture.flag.id, version: fixture.flag.version, description: null, payload: fixture.expected.payload });
  });
});

interface Vectors {
  variants: { key: string; rollout_percentage: number }[];
  cases: { key: string; identifier: string; in_rollout: Record<string, boolean>; variant: string }[];
}
const vectors = JSON.parse(
  fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/vectors/flag-hashing.json'), 'utf8'),
) as Vectors;

describe('bucketing matches posthog-node 5.70.0 (flag-hashing vectors)', () => {
  const cases = vectors.cases.map((c) => [c.key, c.identifier.slice(0, 24), c] as const);

  it.each(cases)('%s rolls out to "%s" as posthog-node does, for persons and companies', (_key, _id, c) => {
    for (const [percentage, expected] of Object.entries(c.in_rollout)) {
      const rollout = Number(percentage);
      const personFlag = flagWith({ groups: [{ properties: [], rollout_percentage: rollout }] }, c.key);
      expect(evaluateFlag(personFlag, context({ distinctId: c.identifier })).enabled).toBe(expected);
      const companyFlag = flagWith({ aggregation_group_type_index: 0, groups: [{ properties: [], rollout_percentage: rollout }] }, c.key);
      const company = evaluateFlag(companyFlag, companyContext(c.identifier, {}, 'someone-else'));
      // An empty group key is no key at all for the flags service.
      if (c.identifier === '') expect(company.reason.code).toBe('no_group_type');
      else expect(company.enabled).toBe(expected);
    }
  });

  it.each(cases)('%s gives "%s" the variant posthog-node gives', (_key, _id, c) => {
    const flag = flagWith({ groups: [{ properties: [] }], multivariate: { variants: vectors.variants } }, c.key);
    expect(evaluateFlag(flag, context({ distinctId: c.identifier })).variant).toBe(c.variant);
  });
});

describe('FlagSet (compiled flags with a bucket cache, as /flags evaluates them)', () => {
  const fixtures = loadFlagFixtures();

  it('answers every fixture as evaluateFlag does, the same objects for the same outcome', () => {
    // Fixtures reuse keys, so each is picked from the set's answers by its position.
    const set = new FlagSet(fixtures.map(fixtureFlag));
    fixtures.forEach((fixture, i) => {
      const result = set.evaluate(fixtureContext(fixture))[i];
      expect(result).toEqual(evaluateFlag(fixtureFlag(fixture), fixtureContext(fixture)));
      expect(set.evaluate(fixtureContext(fixture))[i]).toBe(result);
    });
  });

  it('keeps answering as evaluateFlag does while its bucket cache drops identifiers', () => {
    const flags = [
      flagWith({ groups: [{ properties: [], rollout_percentage: 37 }], multivariate: { variants: vectors.variants } }, 'person-rollout'),
      flagWith({ aggregation_group_type_index: 0, groups: [{ properties: [], rollout_percentage: 61 }] }, 'company-rollout'),
      flagWith({ groups: [{ properties: [], rollout_percentage: 80 }, { properties: [], rollout_percentage: 20, aggregation_group_type_index: 0 }] }, 'mixed'),
    ];
    // One or three identifiers fit; 40 persons and 15 companies, asked in an order that revisits them.
    for (const capacity of [1, 3]) {
      const set = new FlagSet(flags, capacity);
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 40; i++) {
          const ctx = companyContext(`company-${(i * 7 + round) % 15}`, { plan: 'pro' }, `person-${(i * 13 + round * 5) % 40}`);
          expect(set.evaluate(ctx)).toEqual(flags.map((flag) => evaluateFlag(flag, ctx)));
          // The same request again, now from the cache.
          expect(set.evaluate(ctx)).toEqual(flags.map((flag) => evaluateFlag(flag, ctx)));
        }
      }
    }
  });
});

describe('evaluateFlag', () => {
  const proCompanies = flagWith({
    aggregation_group_type_index: 0,
    groups: [{ properties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'group', group_type_index: 0 }], rollout_percentage: 50 }],
    payloads: { true: '{"a":1}' },
  });

  it('gives every member of a company the same answer, whoever asks', () => {
    const answers = new Set(
      ['c03', 'org_1', 'acme'].flatMap((company) =>
        ['u1', 'u2', 'u3', 'u4'].map((user) => `${company}:${evaluateFlag(proCompanies, companyContext(company, { plan: 'pro' }, user)).enabled}`),
      ),
    );
    expect(answers.size).toBe(3);
  });

  it('returns the payload and metadata only while enabled', () => {
    const everyone = flagWith({ groups: [{ properties: [] }], payloads: { true: '{"a":1}' } });
    expect(evaluateFlag(everyone, context())).toEqual({
      key: 'test-flag',
      enabled: true,
      variant: null,
      reason: { code: 'condition_match', condition_index: 0, description: 'Matched condition set 1' },
      payload: '{"a":1}',
      metadata: { id: 9, version: 4, description: null, payload: '{"a":1}' },
    });
    const nobody = flagWith({ groups: [{ properties: [], rollout_percentage: 0 }], payloads: { true: '{"a":1}' } });
    expect(evaluateFlag(nobody, context())).toMatchObject({ enabled: false, payload: null, metadata: { payload: null } });
  });

  it('describes each reason as the flags service does', () => {
    const reasonOf = (flag: FlagDefinition, ctx = context()) => {
      const { code, condition_index, description } = evaluateFlag(flag, ctx).reason;
      return [code, condition_index, description];
    };
    const conditions = [
      { properties: [{ key: 'plan', value: 'pro', operator: 'exact' as const, type: 'person' as const }] },
      { properties: [] },
    ];
    expect(reasonOf(flagWith({ groups: conditions }))).toEqual(['condition_match', 1, 'Matched condition set 2']);
    expect(reasonOf(flagWith({ groups: [{ properties: [], rollout_percentage: 0 }] }))).toEqual(['out_of_rollout_bound', 0, 'Out of rollout bound']);
    expect(reasonOf(flagWith({ groups: [conditions[0]] }))).toEqual(['no_condition_match', 0, 'No matching condition set']);
    expect(reasonOf(proCompanies)).toEqual(['no_group_type', 0, 'No group type']);
    expect(reasonOf({ ...proCompanies, active: false })).toEqual(['flag_disabled', null, 'Feature flag is disabled']);
    expect(reasonOf({ ...proCompanies, deleted: true })).toEqual(['flag_disabled', null, 'Feature flag is disabled']);
  });

  it('says so when a person condition failed while group conditions were skipped', () => {
    const mixed = flagWith({
      groups: [
        { properties: [], aggregation_group_type_index: 0 },
        { properties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'person' }] },
      ],
    });
    expect(evaluateFlag(mixed, context()).reason).toEqual({
      code: 'no_condition_match',
      condition_index: 1,
      description: 'No matching condition set (group conditions were not evaluated because no group type was provided)',
    });
  });

  it('buckets a mixed flag by company in company conditions and by person in person conditions', () => {
    // company 'c03' is in a 10% rollout of acc-group-flag; person 'c03' would be too, so use
    // different identifiers for the two: the vectors say org_1 is out at 10%.
    const mixed = flagWith(
      { groups: [{ properties: [], rollout_percentage: 10, aggregation_group_type_index: 0 }, { properties: [], rollout_percentage: 10 }] },
      'acc-group-flag',
    );
    expect(evaluateFlag(mixed, companyContext('c03', {}, 'org_1')).reason).toMatchObject({ code: 'condition_match', condition_index: 0 });
    expect(evaluateFlag(mixed, companyContext('org_1', {}, 'c03')).reason).toMatchObject({ code: 'condition_match', condition_index: 1 });
    expect(evaluateFlag(mixed, companyContext('org_1', {}, 'org_1')).reason).toMatchObject({ code: 'out_of_rollout_bound', condition_index: 1 });
  });

  it('takes only usable group keys: non-empty strings and numbers', () => {
    const everyCompany = flagWith({ aggregation_group_type_index: 0, groups: [{ properties: [] }] });
    expect(evaluateFlag(everyCompany, companyContext(7)).enabled).toBe(true);
    expect(evaluateFlag(everyCompany, companyContext('')).reason.code).toBe('no_group_type');
    const boolKey = context({ groups: { company: true } as unknown as Record<string, string> });
    expect(evaluateFlag(everyCompany, boolKey).reason.code).toBe('no_group_type');
  });

  it('skips a group condition whose group type the project does not have', () => {
    const flag = flagWith({ aggregation_group_type_index: 3, groups: [{ properties: [] }] });
    expect(evaluateFlag(flag, context({ groups: { company: 'org_1', team: 't1' } })).reason.code).toBe('no_group_type');
  });

  it('reads each filter from its own source in a company condition', () => {
    const flag = flagWith({
      aggregation_group_type_index: 0,
      groups: [
        {
          properties: [
            { key: 'plan', value: 'pro', operator: 'exact', type: 'group', group_type_index: 0 },
            { key: 'role', value: 'admin', operator: 'exact', type: 'person' },
            { key: 'tier', value: 'beta', operator: 'exact', type: 'group', group_type_index: 1 },
          ],
        },
      ],
    });
    const ctx = (role: string, tier: string) =>
      context({
        groups: { company: 'org_1', project: 'p1' },
        personProperties: { role },
        groupProperties: { company: { plan: 'pro' }, project: { tier } },
      });
    expect(evaluateFlag(flag, ctx('admin', 'beta')).enabled).toBe(true);
    expect(evaluateFlag(flag, ctx('member', 'beta')).enabled).toBe(false);
    expect(evaluateFlag(flag, ctx('admin', 'ga')).enabled).toBe(false);
  });

  it('falls back to the hashed variant when a condition variant is not a variant', () => {
    // The schema refuses this; a definition built in code can still carry it.
    const flag = flagWith({ groups: [{ properties: [] }], multivariate: { variants: vectors.variants } }, 'beta-feature');
    const stale: FlagDefinition = { ...flag, filters: { ...flag.filters, groups: [{ ...flag.filters.groups[0], variant: 'gone' }] } };
    expect(evaluateFlag(stale, context({ distinctId: 'c03' })).variant).toBe('control');
  });

  it('uses the context clock for relative dates', () => {
    const flag = flagWith({ groups: [{ properties: [{ key: 'signed_up', value: '-7d', operator: 'is_date_after', type: 'person' }] }] });
    const ctx = (now: string) => context({ personProperties: { signed_up: '2026-01-10T00:00:00Z' }, now: new Date(now) });
    expect(evaluateFlag(flag, ctx('2026-01-15T00:00:00Z')).enabled).toBe(true);
    expect(evaluateFlag(flag, ctx('2026-01-18T00:00:00Z')).enabled).toBe(false);
  });
});

describe('matchProperty', () => {
  const filter = (operator: FlagPropertyFilter['operator'], value: FlagPropertyFilter['value']): FlagPropertyFilter => ({
    key: 'p',
    operator,
    value,
    type: 'person',
  });
  const matches = (operator: FlagPropertyFilter['operator'], value: FlagPropertyFilter['value'], actual: unknown, now?: Date) =>
    matchProperty(filter(operator, value), { p: actual }, now);

  it('exact and is_not compare text case-insensitively, any of a list', () => {
    expect(matches('exact', 'Pro', 'pRO')).toBe(true);
    expect(matches('exact', ['free', 'PRO'], 'pro')).toBe(true);
    expect(matches('exact', ['free', 'pro'], 'team')).toBe(false);
    expect(matches('exact', 'Ärger', 'äRGER')).toBe(true);
    expect(matches('exact', '5', 5)).toBe(true);
    expect(matches('exact', [5, 6], '6')).toBe(true);
    expect(matches('is_not', ['free', 'pro'], 'PRO')).toBe(false);
    expect(matches('is_not', 'free', 'pro')).toBe(true);
  });

  it('exact compares truthiness when the value is "true"/"false"', () => {
    expect(matches('exact', ['true'], true)).toBe(true);
    expect(matches('exact', 'True', 'TRUE')).toBe(true);
    expect(matches('exact', true, 'true')).toBe(true);
    expect(matches('exact', false, false)).toBe(true);
    expect(matches('exact', 'false', 'no')).toBe(true);
    expect(matches('exact', ['true'], 'yes')).toBe(false);
    expect(matches('exact', [], 'us')).toBe(false);
  });

  it('exact prints non-text properties as JSON', () => {
    expect(matches('exact', 'null', null)).toBe(true);
    expect(matches('exact', '{"a":1,"b":2}', { b: 2, a: 1 })).toBe(true);
    expect(matches('exact', '[1,"x"]', [1, 'x'])).toBe(true);
  });

  it('icontains and not_icontains ignore ASCII case only', () => {
    expect(matches('icontains', 'EXAMPLE', 'ann@example.com')).toBe(true);
    expect(matches('icontains', '3', 323)).toBe(true);
    expect(matches('icontains', 'nul', null)).toBe(true);
    expect(matches('icontains', 'Ä', 'ä')).toBe(false);
    expect(matches('not_icontains', 'example', 'ann@EXAMPLE.com')).toBe(false);
    expect(matches('not_icontains', 'competitor', 'ann@example.com')).toBe(true);
  });

  it('regex and not_regex use the pattern as is; a broken pattern matches under neither', () => {
    expect(matches('regex', '^ann@', 'ann@example.com')).toBe(true);
    expect(matches('regex', '^ANN@', 'ann@example.com')).toBe(false);
    expect(matches('regex', '(?i)^ANN@', 'ann@example.com')).toBe(true);
    expect(matches('regex', '', 'anything')).toBe(true);
    expect(matches('regex', '\\d{3}', 12345)).toBe(true);
    expect(matches('not_regex', '\\.test$', 'acme.com')).toBe(true);
    expect(matches('not_regex', '\\.com$', 'acme.com')).toBe(false);
    expect(matches('regex', '([a-z]', 'abc')).toBe(false);
    expect(matches('not_regex', '([a-z]', 'abc')).toBe(false);
  });

  it('gt, gte, lt and lte compare numbers when both sides read as numbers, else text', () => {
    expect(matches('gt', 100, 250)).toBe(true);
    expect(matches('gt', '100', '250')).toBe(true);
    expect(matches('gt', '9', '10')).toBe(true);
    expect(matches('gte', 10, 10)).toBe(true);
    expect(matches('lt', 10, 10)).toBe(false);
    expect(matches('lte', '10.5', 10.5)).toBe(true);
    expect(matches('lt', 'b', 'a')).toBe(true);
    expect(matches('gt', 'b', 'a')).toBe(false);
    expect(matches('gt', 1, null)).toBe(false);
  });

  it('is_date_before and is_date_after read ISO dates, naive ones as UTC, and relative bounds', () => {
    const now = new Date('2026-03-31T12:00:00Z');
    expect(matches('is_date_before', '2024-01-01', '2023-12-31T23:59:59Z', now)).toBe(true);
    expect(matches('is_date_before', '2024-01-01', '2024-01-01', now)).toBe(false);
    expect(matches('is_date_after', '2024-01-01T00:00:00+02:00', '2023-12-31 23:00:00', now)).toBe(true);
    expect(matches('is_date_after', '2024-01-01', 'not a date', now)).toBe(false);
    expect(matches('is_date_after', 'not a date', '2024-01-01', now)).toBe(false);
    expect(matches('is_date_after', '2024-01-01', true, now)).toBe(false);
    expect(matches('is_date_after', '2024-01-01', Date.UTC(2024, 0, 2), now)).toBe(true);
    expect(matches('is_date_after', '-12h', '2026-03-31T01:00:00Z', now)).toBe(true);
    expect(matches('is_date_after', '-2w', '2026-03-16T00:00:00Z', now)).toBe(false);
    expect(matches('is_date_after', '30d', '2026-03-02T00:00:00Z', now)).toBe(true);
    // Month by month: Mar 31 - 1m is Feb 28, and - 2m is Jan 28 (posthog-node's arithmetic).
    expect(matches('is_date_after', '-1m', '2026-02-28T11:00:00Z', now)).toBe(false);
    expect(matches('is_date_after', '-1m', '2026-02-28T13:00:00Z', now)).toBe(true);
    expect(matches('is_date_after', '-2m', '2026-01-28T13:00:00Z', now)).toBe(true);
    expect(matches('is_date_after', '-1y', '2025-03-31T13:00:00Z', now)).toBe(true);
    expect(matches('is_date_after', '-10000d', '2000-01-01', now)).toBe(false);
  });

  it('is_set and is_not_set ask only whether the property is there, even as null', () => {
    expect(matches('is_set', null, null)).toBe(true);
    expect(matches('is_not_set', null, null)).toBe(false);
    expect(matchProperty(filter('is_set', 'is_set'), {})).toBe(false);
    expect(matchProperty(filter('is_not_set', 'is_not_set'), {})).toBe(true);
  });

  it('treats an absent property as the flags service does: only the negative operators match', () => {
    const absent = (operator: FlagPropertyFilter['operator'], value: FlagPropertyFilter['value'] = 'x') => matchProperty(filter(operator, value), { other: 'x' });
    expect(absent('is_not')).toBe(true);
    expect(absent('not_icontains')).toBe(true);
    expect(absent('not_regex')).toBe(true);
    expect(absent('exact')).toBe(false);
    expect(absent('icontains')).toBe(false);
    expect(absent('regex')).toBe(false);
    expect(absent('gt', 1)).toBe(false);
    expect(absent('is_date_before', '2024-01-01')).toBe(false);
    expect(matchProperty(filter('is_not', 'x'), { p: undefined })).toBe(true);
  });

  it('does not read inherited properties', () => {
    expect(matchProperty({ key: 'toString', operator: 'is_set', type: 'person' }, {})).toBe(false);
  });
});
