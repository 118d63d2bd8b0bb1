// Text written straight into bytes outside the JS heap, growing as needed. Building a large text
// as a string instead makes a rope that flattens into one string past 128 KB: V8 allocates
// those in its old generation, and their churn (a capture request's worth every few
// milliseconds) keeps the full collector busy.

export class ByteWriter {
  private buffer: Buffer;
  private length = 0;

  constructor(initialBytes = 64 * 1024) {
    // Not from Node's shared pool: the bytes may be moved to another thread whole.
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  /** Appends the text as UTF-8 (a lone surrogate becomes U+FFFD). */
  write(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const room = text.length * 3;
    if (this.length + room > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + room));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(text, this.length);
  }

  get byteLength(): number {
    return this.length;
  }

  /** What was written (a view: writing more afterwards may or may not show in it). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}
