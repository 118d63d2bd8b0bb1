// Entry point: `npm start`.
import { ConfigError, loadConfig, type Config } from './config.js';
import { firstStart } from './first-start.js';
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

  const store = await openStore({ backend: config.store, dataDir: config.dataDir, engineMemoryBytes: config.memory.engine });
  const { app, queue, projects, users } = await buildServer(config, store);

  await firstStart(config, store, { queue, projects, users }, (text) => console.log(text));

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
