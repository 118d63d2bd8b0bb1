// Starts the server inside the test's own process: what `npm start` does (src/main.ts) minus the
// process around it: the same configuration, store, routes and first-start state, listening on a
// free loopback port so fetch, posthog-node and the helpers talk to it over real HTTP. It is ready
// in well under a second where a process takes about two; tests that need the process itself
// (kill -9, `npm start`, upgrades, browsers, its own thread pool and heap) use startServer.
import { loadConfig } from '../../src/config.js';
import { firstStart } from '../../src/first-start.js';
import { buildServer } from '../../src/server.js';
import { openStore } from '../../src/store/open-store.js';
import { apiClient, serverEnv, tempDataDir, type RunningServer, type StartOptions } from './server.js';

export async function startInProcessServer(options: Omit<StartOptions, 'nodeArgs'> = {}): Promise<RunningServer> {
  const dataDir = options.dataDir ?? tempDataDir();
  const token = options.token ?? 'phc_test_project_token';
  const apiKey = options.apiKey ?? 'phx_test_personal_key';
  // Port 0: the system picks a free port when the server listens, so no other test can take it first.
  const env = serverEnv(0, dataDir, token, apiKey, options.env);
  const config = loadConfig(env);

  const store = await openStore({ backend: config.store, dataDir: config.dataDir, engineMemoryBytes: config.memory.engine });
  let server;
  try {
    server = await buildServer(config, store);
  } catch (error) {
    await store.close();
    throw error;
  }
  const { app, queue, projects, users } = server;
  // In the same order as the process's SIGTERM handler: no new requests, then drain, then the engine.
  const close = async () => {
    await app.close();
    await queue.close();
    await store.close();
  };
  let port: number;
  try {
    // Nothing to show: the token, key and admin password are the test's own (serverEnv).
    await firstStart(config, store, { queue, projects, users }, () => {});
    const address = await app.listen({ port: config.port, host: config.host });
    port = Number(new URL(address).port);
  } catch (error) {
    await close();
    throw error;
  }

  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    dataDir,
    token,
    apiKey,
    adminEmail: config.adminEmail,
    adminPassword: config.adminPassword ?? '',
    api: apiClient(url, apiKey),
    stop: () => (stopped ??= close()),
  };
}
