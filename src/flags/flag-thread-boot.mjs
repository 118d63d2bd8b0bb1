// Worker entry: workers do not inherit the TypeScript loader the server runs under, so register
// it here before loading the worker module.
import { register } from 'tsx/esm/api';

register();
await import('./flag-thread-worker.ts');
