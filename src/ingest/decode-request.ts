// Decodes a capture request body into raw events (spec 2.2): the JSON however encoded
// (http/decode-body.ts), then one of three shapes: an event, a list of events, or a batch.
import { HttpError } from '../errors.js';
import { decodeJsonPayload, firstValue, type EncodedBody } from '../http/decode-body.js';

export type CaptureRequest = EncodedBody;

export interface DecodedPayload {
  readonly events: unknown[];
  /** Token from the envelope (`api_key` or `token`), which wins over per-event tokens. */
  readonly envelopeToken: string | undefined;
  /** Client clock at send time, for skew correction. */
  readonly sentAt: Date | undefined;
}

function parseSentAt(value: unknown): Date | undefined {
  if (typeof value === 'string' && value !== '') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}

/** Query `sent_at`/`_` is epoch milliseconds; seconds (or garbage) are ignored (year must be > 2020). */
function parseQuerySentAt(value: string | undefined): Date | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const date = new Date(Number(value));
  return date.getUTCFullYear() > 2020 ? date : undefined;
}

/** Decoding layers allowed (gzip, base64, lz64, nested); each one is capped at the limit. */
export async function decodeCaptureRequest(request: CaptureRequest): Promise<DecodedPayload> {
  const query = (name: string) => firstValue(request.query[name]);
  return interpretShape(await decodeJsonPayload(request), parseQuerySentAt(query('sent_at') ?? query('_')));
}

function interpretShape(parsed: unknown, querySentAt: Date | undefined): DecodedPayload {
  if (Array.isArray(parsed)) return { events: parsed, envelopeToken: undefined, sentAt: querySentAt };
  if (parsed === null || typeof parsed !== 'object') {
    throw new HttpError('malformed_body', 'Request body must be a JSON object or an array of events.');
  }
  const body = parsed as Record<string, unknown>;
  if ('batch' in body) {
    if (!Array.isArray(body.batch)) throw new HttpError('malformed_body', '"batch" must be an array of events.', 'batch');
    const token = body.api_key ?? body.token;
    if (token !== undefined && typeof token !== 'string') {
      throw new HttpError('malformed_body', '"api_key" must be a string.', 'api_key');
    }
    return { events: body.batch, envelopeToken: token || undefined, sentAt: parseSentAt(body.sent_at) ?? querySentAt };
  }
  return { events: [body], envelopeToken: undefined, sentAt: querySentAt };
}
