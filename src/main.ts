// Entry point: `npm start`.
import { randomBytes } from 'node:crypto';
import { generateSecret } from './api/secrets.js';
import { createProject } from './api/project-routes.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildServer } from './server.js';
import { openStore } from './store/open-store.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }

  const store = await openStore({ dataDir: config.dataDir, engineMemoryBytes: config.memory.engine });
  const { app, queue, projects, users } = await buildServer(config, store);

  if ((await store.listProjects()).length === 0) {
    const token = config.projectToken ?? generateSecret('phc');
    const personalKey = config.personalApiKey ?? generateSecret('phx');
    const project = await createProject(store, queue, projects, 'Default project', token, personalKey);
    if (!config.projectToken || !config.personalApiKey) {
      // Printed once: only a hash of the personal key is kept.
      console.log(
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
    console.log(
      config.adminPassword
        ? `Created the web app user ${config.adminEmail} (password from PRICKLE_ADMIN_PASSWORD).`
        : ['', `Created the web app user ${config.adminEmail}.`, `  Password: ${password}`, 'Save it now: it is not shown again.', ''].join('\n'),
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await queue.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const address = await app.listen({ port: config.port, host: config.host });
  const port = new URL(address).port;
  console.log(`Prickle is running: open http://localhost:${port}/ to sign in; SDKs and the API use the same address.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
