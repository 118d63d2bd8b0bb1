import { describe, expect, it } from 'vitest';
import { ProjectDirectory } from './projects.js';

const project = (id: number, apiToken: string, name = `P${id}`) => ({ id, name, apiToken, timezone: 'UTC', createdAt: new Date(0) });

describe('project directory', () => {
  it('finds projects by id and by token, lists ids in order, and takes new settings', () => {
    const directory = new ProjectDirectory([project(2, 'phc_two'), project(1, 'phc_one')]);
    expect(directory.ids()).toEqual([1, 2]);
    expect(directory.byToken('phc_two')?.id).toBe(2);
    expect(directory.byToken('phc_three')).toBeUndefined();
    directory.put({ ...project(2, 'phc_two', 'Renamed'), timezone: 'Europe/Paris' });
    expect(directory.get(2)).toMatchObject({ name: 'Renamed', timezone: 'Europe/Paris' });
    expect(directory.byToken('phc_two')?.name).toBe('Renamed');
    // A project whose token changed is no longer found by the old one.
    directory.put(project(1, 'phc_new'));
    expect(directory.byToken('phc_one')).toBeUndefined();
    expect(directory.byToken('phc_new')?.id).toBe(1);
  });
});
