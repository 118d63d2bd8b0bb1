// Decodes a capture request body into raw events, following PostHog's capture service
// (spec 2.2): data= param or body, strict base64, urlencoded forms, compression hints,
// gzip by magic bytes whatever the hints, lz-string when hinted, then one of three JSON shapes.
import zlib from 'node:zlib';
import { promisify } from 'node:util';
import LZString from 'lz-string';
import { HttpError } from '../errors.js';

const gunzip = promisify(zlib.gunzip);

export interface CaptureRequest {
  readonly body: Buffer;
  readonly query: Record<string, string | undefined>;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** Largest payload accepted, also after decompression, in bytes. */
  readonly limit: number;
}

export interface DecodedPayload {
  readonly events: unknown[];
  /** Token from the envelope (`api_key` or `token`), which wins over per-event tokens. */
  readonly envelopeToken: string | undefined;
  /** Client clock at send time, for skew correction. */
  readonly sentAt: Date | undefined;
}

type Compression = 'gzip' | 'lz64' | 'base64' | undefined;

function compressionHint(value: string | undefined): Compression {
  switch ((value ?? '').toLowerCase()) {
    case 'gzip':
    case 'gzip-js':
      return 'gzip';
    case 'lz64':
    case 'lz-string':
      return 'lz64';
    case 'base64':
    case 'b64':
      return 'base64';
    default:
      return undefined;
  }
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const isGzip = (bytes: Buffer): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

function looksBase64(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length >= 4 && trimmed.length % 4 === 0 && STRICT_BASE64.test(trimmed);
}

function tooLarge(limit: number): HttpError {
  return new HttpError('payload_too_large', `Request payload is larger than the limit of ${limit} bytes.`);
}

async function inflate(bytes: Buffer, limit: number): Promise<Buffer> {
  try {
    // maxOutputLength stops a gzip bomb before it fills memory.
    return await gunzip(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(limit);
    throw new HttpError('malformed_body', 'Request body is not valid gzip.');
  }
}

function decodeLz64(text: string, limit: number): Buffer {
  const decoded = LZString.decompressFromBase64(text.trim());
  if (!decoded) throw new HttpError('malformed_body', 'Request body is not valid lz-string (lz64) data.');
  const bytes = Buffer.from(decoded, 'utf8');
  if (bytes.length > limit) throw tooLarge(limit);
  return bytes;
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

export async function decodeCaptureRequest(request: CaptureRequest): Promise<DecodedPayload> {
  const { query, limit } = request;
  let bytes: Buffer = query.data ? Buffer.from(query.data, 'utf8') : request.body;
  if (bytes.length === 0) throw new HttpError('no_events', 'The request has no body and no data parameter.');
  if (bytes.length > limit) throw tooLarge(limit);

  const isForm = (request.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded') && !query.data;
  let hint = compressionHint(query.compression) ?? compressionHint(request.contentEncoding);

  if (!isGzip(bytes)) {
    const text = bytes.toString('latin1');
    if (isForm) {
      const form = new URLSearchParams(text);
      let data = form.get('data');
      if (data === null) throw new HttpError('malformed_body', 'The form body has no "data" field.');
      hint = compressionHint(query.compression) ?? compressionHint(form.get('compression') ?? undefined) ?? hint;
      // Form decoding turns "+" into spaces; base64 payloads need them back.
      if (/^[A-Za-z0-9+/= ]+$/.test(data) && data.includes(' ')) data = data.replaceAll(' ', '+');
      bytes = Buffer.from(data, 'latin1');
    } else if (hint !== 'lz64' && looksBase64(text)) {
      bytes = Buffer.from(text.trim(), 'base64');
      if (hint === 'base64') hint = undefined;
    }
  }

  if (isGzip(bytes)) {
    bytes = await inflate(bytes, limit);
  } else if (hint === 'lz64') {
    bytes = decodeLz64(bytes.toString('latin1'), limit);
  } else if (hint === 'base64' || (hint === undefined && looksBase64(bytes.toString('latin1')))) {
    bytes = Buffer.from(bytes.toString('latin1').trim(), 'base64');
  }
  // A base64 payload may itself hold gzip (old SDKs with compression=base64 after gzip).
  if (isGzip(bytes)) bytes = await inflate(bytes, limit);

  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError('malformed_body', 'Request body is not valid JSON (after decoding).');
  }
  return interpretShape(parsed, parseQuerySentAt(query.sent_at ?? query._));
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
