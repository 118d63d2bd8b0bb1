// The flags thread: holds each project's compiled flags (with their bucket caches), evaluates
// /flags and /decide requests in the batches the main thread posts, and writes each answer's
// JSON into a buffer it moves to the main thread, which moves it back for reuse. Messages arrive
// in the order they were posted, so a project's new flags, posted before a request, apply to it.
import { parentPort } from 'node:worker_threads';
import { FlagSet } from './evaluate-flag.js';
import { flagAnswer, remoteConfig } from './flag-answer.js';
import type { FlagAnswerRequest, FlagThreadMessage, FlagThreadReply } from './flag-thread.js';

const port = parentPort!;
const flagSets = new Map<number, FlagSet>();
const freeBuffers: ArrayBuffer[] = [];

/** A buffer for an answer of `length` bytes: a returned one when it is large enough. */
function answerBuffer(length: number): ArrayBuffer {
  const reused = freeBuffers.pop();
  return reused !== undefined && reused.byteLength >= length ? reused : new ArrayBuffer(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(length))));
}

function answer(request: FlagAnswerRequest): Uint8Array<ArrayBuffer> {
  const flagSet = flagSets.get(request.projectId);
  if (!flagSet) throw new Error(`no flags were loaded for project ${request.projectId}`);
  const results = flagSet.evaluate(request.context, request.flagKeys ? new Set(request.flagKeys) : undefined);
  const extra = request.withConfig ? remoteConfig(results.length > 0) : {};
  return flagAnswer(results, request.shape, extra, (length) => new Uint8Array(answerBuffer(length), 0, length)) as Uint8Array<ArrayBuffer>;
}

port.on('message', (message: FlagThreadMessage) => {
  if (message.kind === 'flags') {
    flagSets.set(message.projectId, new FlagSet(message.definitions));
    return;
  }
  for (const buffer of message.returned) freeBuffers.push(buffer);
  const reply: FlagThreadReply[number][] = [];
  const transfer: ArrayBuffer[] = [];
  for (const request of message.requests) {
    try {
      const body = answer(request);
      reply.push({ buffer: body.buffer, length: body.length });
      transfer.push(body.buffer);
    } catch (error) {
      reply.push({ crash: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
  port.postMessage(reply, transfer);
});
