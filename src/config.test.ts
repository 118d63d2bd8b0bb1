import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8000, host: '0.0.0.0', dataDir: './data', store: 'duckdb', maxGroupTypes: 5, projectToken: undefined, adminEmail: 'admin@localhost', adminPassword: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ PORT: 'eighty', PRICKLE_MAX_GROUP_TYPES: '9', PRICKLE_PROJECT_TOKEN: 'x', PRICKLE_ADMIN_EMAIL: 'not an email', PRICKLE_ADMIN_PASSWORD: 'short', PRICKLE_STORE: 'sqlite' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const names = (error as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(names.sort()).toEqual(['PORT', 'PRICKLE_ADMIN_EMAIL', 'PRICKLE_ADMIN_PASSWORD', 'PRICKLE_MAX_GROUP_TYPES', 'PRICKLE_PROJECT_TOKEN', 'PRICKLE_STORE']);
    }
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', PRICKLE_PERSONAL_API_KEY: '' }).port).toBe(8000);
  });
});
