// Everything a capture request needs before it touches shared state: decode the body, normalize
// each event, serialize its properties, and note the event property types. Runs in a worker.
import type { PropertyValueType } from '../store/store.js';
import { decodeCaptureRequest, type CaptureRequest } from './decode-request.js';
import { collectPropertyTypes, encodeCapturedEvents, type PropertyTypes } from './ingest-event.js';
import type { EncodedPayload } from './ingest-log.js';
import { eventToken, normalizeEvent, type NormalizedEvent } from './normalize-event.js';

export interface CaptureInput extends CaptureRequest {
  /** `/engage` events without a name are identify calls. */
  readonly isEngage: boolean;
}

export interface DecodedCapture {
  readonly envelopeToken: string | undefined;
  /** Distinct tokens carried by the events themselves. */
  readonly eventTokens: string[];
  /** Events accepted, and events dropped as invalid (their reasons are in the payload). */
  readonly accepted: number;
  readonly dropped: number;
  /** The ingest log record's payload for these events, encoded here rather than on the main thread. */
  readonly logPayload: EncodedPayload;
}

export async function decodeCapture(input: CaptureInput): Promise<DecodedCapture> {
  const decoded = await decodeCaptureRequest(input);
  const context = { sentAt: decoded.sentAt, now: new Date(), defaultEventName: input.isEngage ? '$identify' : undefined };
  const tokens = new Set<string>();
  const events: NormalizedEvent[] = [];
  const dropped: string[] = [];
  const types = new Map<string, PropertyValueType>();
  for (const raw of decoded.events) {
    if (decoded.envelopeToken === undefined) {
      const token = eventToken(raw);
      if (token !== undefined) tokens.add(token);
    }
    const result = normalizeEvent(raw, context);
    if (!result.ok) {
      dropped.push(result.reason);
      continue;
    }
    collectPropertyTypes(result.event.properties, types);
    events.push(result.event);
  }
  const propertyTypes: PropertyTypes = [...types];
  const logPayload = encodeCapturedEvents(events, dropped, propertyTypes);
  return { envelopeToken: decoded.envelopeToken, eventTokens: [...tokens], accepted: events.length, dropped: dropped.length, logPayload };
}
