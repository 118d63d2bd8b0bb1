// A lean HTTP/1.1 keep-alive client for load generation: one TCP connection, one request in
// flight, requests written as prepared bytes and responses framed by Content-Length only. It
// costs a fraction of node:http's CPU per request, which matters when the load generator shares
// a 2-core machine with the server it measures.
import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Body length in bytes. */
  readonly bytes: number;
  /** The body, kept only when asked for (or for a status other than 200). */
  readonly body: Buffer | null;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

/** The bytes of a POST with a JSON body, to send many times. */
export function postRequestBytes(url: URL, body: string): Buffer {
  const payload = Buffer.from(body);
  const head =
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), payload]);
}

export class RawHttpConnection {
  private readonly socket: net.Socket;
  private readonly ready: Promise<void>;
  private head: Buffer = EMPTY;
  private chunks: Buffer[] = [];
  /** Body bytes received so far. */
  private received = 0;
  /** Whether the head has arrived and the body is being read. */
  private readingBody = false;
  private bodyLength = 0;
  private status = 0;
  private keepBody = false;
  private waiting: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  constructor(url: URL) {
    // Reads land in one reused buffer: node's default is a fresh 64 KB buffer per read, whose
    // allocation and page faults cost more than the rest of the client for ~50 KB answers.
    const readBuffer = Buffer.allocUnsafeSlow(1 << 16);
    this.socket = net.connect({
      host: url.hostname,
      port: Number(url.port),
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
          return true;
        },
      },
    });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  async request(bytes: Buffer, keepBody = false): Promise<RawResponse> {
    await this.ready;
    if (this.failure) throw this.failure;
    if (this.waiting) throw new Error('one request at a time per connection');
    this.keepBody = keepBody;
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (!this.readingBody) {
      // The head: gathered until its blank line (it nearly always comes in one chunk). Chunks
      // live in the reused read buffer, so whatever is kept is copied.
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      const headEnd = this.head.indexOf(HEADER_END);
      if (headEnd < 0) {
        this.head = Buffer.from(this.head);
        return;
      }
      const head = this.head.toString('latin1', 0, headEnd);
      this.status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!length) return this.fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
      this.bodyLength = Number(length[1]);
      this.readingBody = true;
      chunk = this.head.subarray(headEnd + HEADER_END.length);
      this.head = EMPTY;
    }
    // The body: counted, and only kept when it will be read.
    const keep = this.keepBody || this.status !== 200;
    const take = Math.min(chunk.length, this.bodyLength - this.received);
    if (keep) this.chunks.push(Buffer.from(chunk.subarray(0, take)));
    this.received += take;
    if (this.received < this.bodyLength) return;
    if (take < chunk.length) return this.fail(new Error('the server sent bytes after the response'));
    const response: RawResponse = { status: this.status, bytes: this.bodyLength, body: keep ? Buffer.concat(this.chunks) : null };
    this.chunks = [];
    this.received = 0;
    this.readingBody = false;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve(response);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.socket.destroy();
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}
