import { describe, expect, it } from 'vitest';
import { flagDefinitionSchema } from './flag-definition.js';
import { fixtureFlag, loadFlagFixtures } from './flag-fixtures.test-helper.js';

// The example of spec 5.1, as PostHog serves it.
const specExample = {
  id: 7,
  key: 'new-billing',
  name: 'New billing',
  active: true,
  deleted: false,
  version: 3,
  ensure_experience_continuity: false,
  bucketing_identifier: null,
  filters: {
    aggregation_group_type_index: 0,
    groups: [
      { properties: [{ key: 'plan', value: ['pro'], operator: 'exact', type: 'group', group_type_index: 0 }], rollout_percentage: 50, variant: null },
    ],
    multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
    payloads: { test: '{"color":"red"}', true: '"plain"' },
    holdout: null,
    super_groups: null,
    feature_enrollment: false,
    early_exit: false,
  },
};

type Json = Record<string, any>;
const clone = (): Json => structuredClone(specExample);

/** "path: message" of the first problem, as the API reports it. */
function problem(input: unknown, maxGroupTypes = 5): string {
  const result = flagDefinitionSchema({ maxGroupTypes }).safeParse(input);
  if (result.success) return 'valid';
  const issue = result.error.issues[0];
  return `${issue.path.join('.')}: ${issue.message}`;
}

describe('flag definitions', () => {
  it('accepts the flag JSON PostHog serves, with unused switches off', () => {
    const flag = flagDefinitionSchema({ maxGroupTypes: 5 }).parse(specExample);
    expect(flag.filters).toEqual({
      aggregation_group_type_index: 0,
      groups: [
        {
          properties: [{ key: 'plan', value: ['pro'], operator: 'exact', type: 'group', group_type_index: 0 }],
          rollout_percentage: 50,
          variant: null,
          aggregation_group_type_index: null,
        },
      ],
      multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
      payloads: { test: '{"color":"red"}', true: '"plain"' },
    });
  });

  it('fills PostHog defaults: operator exact, rollout and variant null, no payloads', () => {
    const flag = flagDefinitionSchema({ maxGroupTypes: 5 }).parse({
      id: 1,
      key: 'minimal',
      active: true,
      filters: { groups: [{ properties: [{ key: 'plan', value: 'pro', type: 'person' }] }] },
    });
    expect(flag).toMatchObject({ name: '', deleted: false, version: 0, ensure_experience_continuity: false });
    expect(flag.filters).toEqual({
      aggregation_group_type_index: null,
      groups: [{ properties: [{ key: 'plan', value: 'pro', operator: 'exact', type: 'person' }], rollout_percentage: null, variant: null, aggregation_group_type_index: null }],
      multivariate: null,
      payloads: {},
    });
  });

  it.each(loadFlagFixtures().map((f) => [f.file, f] as const))('accepts the flag of fixture %s', (_file, fixture) => {
    expect(() => fixtureFlag(fixture)).not.toThrow();
  });

  it('names an unknown operator', () => {
    const flag = clone();
    flag.filters.groups[0].properties[0].operator = 'semver_gt';
    expect(problem(flag)).toMatch(/^filters\.groups\.0\.properties\.0\.operator: operator must be one of exact, is_not, /);
  });

  it('refuses cohort and flag-dependency filters by name', () => {
    const flag = clone();
    flag.filters.groups[0].properties[0] = { key: 'id', value: 4, type: 'cohort' };
    expect(problem(flag)).toBe('filters.groups.0.properties.0.type: property type must be person or group (cohort and flag filters are not supported)');
  });

  it('checks group type indexes against the configured number of group types', () => {
    const flag = clone();
    flag.filters.aggregation_group_type_index = 3;
    flag.filters.groups[0].properties[0].group_type_index = 3;
    expect(problem(flag, 5)).toBe('valid');
    expect(problem(flag, 3)).toBe('filters.aggregation_group_type_index: group_type_index must be an integer from 0 to 2');
    flag.filters.aggregation_group_type_index = 0;
    expect(problem(flag, 3)).toBe('filters.groups.0.properties.0.group_type_index: group_type_index must be an integer from 0 to 2');
    flag.filters.groups[0].properties[0].group_type_index = 0;
    flag.filters.groups[0].aggregation_group_type_index = -1;
    expect(problem(flag, 3)).toBe('filters.groups.0.aggregation_group_type_index: group_type_index must be an integer from 0 to 2');
  });

  it('requires variant weights summing to 100', () => {
    const flag = clone();
    flag.filters.multivariate.variants[1].rollout_percentage = 40;
    expect(problem(flag)).toBe('filters.multivariate.variants: variant rollout percentages must sum to 100, not 90');
    flag.filters.multivariate.variants = [
      { key: 'a', rollout_percentage: 33.3 },
      { key: 'b', rollout_percentage: 33.3 },
      { key: 'c', rollout_percentage: 33.4 },
    ];
    expect(problem(flag)).toBe('valid');
    flag.filters.multivariate.variants = [];
    expect(problem(flag)).toBe('filters.multivariate.variants: variant rollout percentages must sum to 100, not 0');
  });

  it('refuses repeated variant keys', () => {
    const flag = clone();
    flag.filters.multivariate.variants[1].key = 'control';
    expect(problem(flag)).toBe('filters.multivariate.variants.1.key: variant key "control" is repeated');
  });

  it('keeps rollouts within 0..100', () => {
    const flag = clone();
    flag.filters.groups[0].rollout_percentage = 101;
    expect(problem(flag)).toBe('filters.groups.0.rollout_percentage: rollout_percentage must be from 0 to 100');
    flag.filters.groups[0].rollout_percentage = -1;
    expect(problem(flag)).toBe('filters.groups.0.rollout_percentage: rollout_percentage must be from 0 to 100');
    flag.filters.groups[0].rollout_percentage = 50;
    flag.filters.multivariate.variants[0].rollout_percentage = 150;
    expect(problem(flag)).toBe('filters.multivariate.variants.0.rollout_percentage: rollout_percentage must be from 0 to 100');
  });

  it('requires a condition variant to be one of the variants', () => {
    const flag = clone();
    flag.filters.groups[0].variant = 'treatment';
    expect(problem(flag)).toBe('filters.groups.0.variant: variant "treatment" is not one of the flag\'s variants (control, test)');
    flag.filters.multivariate = null;
    expect(problem(flag)).toBe('filters.groups.0.variant: variant "treatment" is set but the flag has no variants');
  });

  it('requires payloads to be JSON text', () => {
    const flag = clone();
    flag.filters.payloads.test = '{color: red}';
    expect(problem(flag)).toBe('filters.payloads.test: payload must be JSON text');
  });

  it('requires a value for operators that compare one, but not for is_set', () => {
    const flag = clone();
    delete flag.filters.groups[0].properties[0].value;
    expect(problem(flag)).toBe('filters.groups.0.properties.0.value: value is required for operator exact');
    flag.filters.groups[0].properties[0].operator = 'is_set';
    expect(problem(flag)).toBe('valid');
  });

  it('requires the group type of a group property in a person condition', () => {
    const flag = clone();
    flag.filters.aggregation_group_type_index = null;
    delete flag.filters.groups[0].properties[0].group_type_index;
    expect(problem(flag)).toBe(
      'filters.groups.0.properties.0.group_type_index: a group property in a condition not aggregated by group needs its group_type_index',
    );
    flag.filters.groups[0].aggregation_group_type_index = 0;
    expect(problem(flag)).toBe('valid');
  });

  it('refuses settings it cannot evaluate rather than ignoring them', () => {
    const cases: [string, unknown, string][] = [
      ['holdout', { id: 2, exclusion_percentage: 10 }, 'filters.holdout: holdouts are not supported'],
      ['super_groups', [{ properties: [], rollout_percentage: null }], 'filters.super_groups: early-access super conditions are not supported'],
      ['early_exit', true, 'filters.early_exit: early-exit flags are not supported'],
    ];
    for (const [field, value, message] of cases) {
      const flag = clone();
      flag.filters[field] = value;
      expect(problem(flag)).toBe(message);
    }
    expect(problem({ ...specExample, bucketing_identifier: 'device_id' })).toBe(
      'bucketing_identifier: bucketing identifiers other than distinct_id are not supported',
    );
    expect(problem({ ...specExample, bucketing_identifier: 'distinct_id' })).toBe('valid');
  });
});
