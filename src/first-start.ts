// What a server does on an empty data directory: the default project and the web app user. Shared
// by `npm start` (src/main.ts) and the in-process API tests, so both start from the same state.
import { randomBytes } from 'node:crypto';
import { createProject } from './api/project-routes.js';
import { generateSecret } from './api/secrets.js';
import type { Config } from './config.js';
import type { Server } from './server.js';
import type { Store } from './store/store.js';

/** Creates what is missing; `print` shows the generated secrets once (only hashes are kept). */
export async function firstStart(
  config: Config,
  store: Store,
  { queue, projects, users }: Pick<Server, 'queue' | 'projects' | 'users'>,
  print: (text: string) => void,
): Promise<void> {
  if ((await store.listProjects()).length === 0) {
    const token = config.projectToken ?? generateSecret('phc');
    const personalKey = config.personalApiKey ?? generateSecret('phx');
    const project = await createProject(store, queue, projects, 'Default project', token, personalKey);
    if (!config.projectToken || !config.personalApiKey) {
      print(
        [
          '',
          `Created project ${project.id} ("${project.name}").`,
          `  Project token (for SDKs):     ${token}`,
          `  Personal API key (for /api):  ${personalKey}`,
          'Save the personal API key now: it is not shown again.',
          '',
        ].join('\n'),
      );
    }
  }

  if ((await users.count()) === 0) {
    const password = config.adminPassword ?? randomBytes(12).toString('base64url');
    await users.create(config.adminEmail, password);
    print(
      config.adminPassword
        ? `Created the web app user ${config.adminEmail} (password from PRICKLE_ADMIN_PASSWORD).`
        : ['', `Created the web app user ${config.adminEmail}.`, `  Password: ${password}`, 'Save it now: it is not shown again.', ''].join('\n'),
    );
  }
}
