import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  headers,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  type ObjectInfo,
  type ObjectStore,
} from 'nats';

/** The buckets of the system; each is a NATS Object Store (stream `OBJ_<bucket>`). */
export const ObjectBuckets = {
  exports: 'exports',
  imports: 'imports',
  attachments: 'attachments',
} as const;

export interface StoredObject {
  name: string;
  size: number;
  /** `SHA-256=<base64url>` of the content, as the object store computes it. */
  digest: string;
  contentType: string | null;
  modifiedAt: Date;
}

export interface ObjectDownload extends StoredObject {
  /** The content, chunk by chunk; it errors when the content does not match its digest. */
  stream: Readable;
}

export interface ObjectFilesOptions {
  replicas?: number;
  /** Chunks (128 KiB each) published and not yet acknowledged, at most: the memory a write may hold. */
  maxChunksInFlight?: number;
}

const ChunkSize = 128 * 1024;
const ContentTypeKey = 'content-type';

/**
 * One Object Store bucket, seen as files: streamed writes with bounded memory, streamed reads, deletes, and a
 * sweep of abandoned uploads. An object becomes visible only when its last chunk is stored (the chunks are
 * written first, the metadata last, in the nats.js format), so a reader never sees half a file; a writer that crashed leaves
 * invisible chunks, which a retry with the same upload id or `sweepAbandonedUploads` purges.
 */
export class ObjectFiles {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly store: ObjectStore,
    readonly bucket: string,
    private readonly maxChunksInFlight: number,
  ) {}

  /** Opens the bucket, creating it (file storage) on first use. */
  static async open(
    nc: NatsConnection,
    bucket: string,
    options: ObjectFilesOptions = {},
  ): Promise<ObjectFiles> {
    const js = nc.jetstream();
    const store = await js.views.os(bucket, { storage: StorageType.File, replicas: options.replicas ?? 1 });
    return new ObjectFiles(js, await nc.jetstreamManager(), store, bucket, options.maxChunksInFlight ?? 8);
  }

  /**
   * Stores `source` under `name`, replacing an earlier object of that name only once the new one is complete.
   * Chunks are published with a bounded number awaiting their acknowledgement, so memory stays flat whatever
   * the size. `uploadId` (letters, digits, `-`, `_`) names the chunks: a caller that retries with the same id
   * (e.g. the export's id) first purges what a crashed attempt left, or the object it completed. Writes the
   * Object Store format of nats.js, which reads it back (`get`, `info`, `list`, `delete`).
   */
  async put(
    name: string,
    source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
    options: { contentType?: string; uploadId?: string } = {},
  ): Promise<StoredObject> {
    const uploadId = options.uploadId ?? randomBytes(16).toString('hex');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(uploadId)) throw new Error(`Invalid upload id "${uploadId}"`);
    let previous = await this.store.info(name);
    if (previous && !previous.deleted && previous.nuid === uploadId) {
      // The same upload finished before (its writer died before recording it): write it again from scratch.
      await this.store.delete(name);
      previous = null;
    }
    const chunkSubject = this.chunkSubject(uploadId);
    await this.jsm.streams.purge(this.streamName, { filter: chunkSubject });
    const hash = createHash('sha256');
    const inFlight: Promise<unknown>[] = [];
    // Pieces are copied once, into a chunk filled in place: no concatenated copies. A chunk is filled again
    // only once the server acknowledged it (nats.js has written it out by then), so a write allocates about
    // `maxChunksInFlight` chunks instead of one per 128 KiB, and leaves no Buffers for the collector.
    const spare: Buffer[] = [];
    let chunk: Buffer = Buffer.allocUnsafeSlow(ChunkSize);
    let filled = 0;
    let size = 0;
    let chunks = 0;
    const publishChunk = async () => {
      const published = chunk;
      const content = filled === ChunkSize ? published : published.subarray(0, filled);
      chunk = spare.pop() ?? Buffer.allocUnsafeSlow(ChunkSize);
      filled = 0;
      hash.update(content);
      size += content.length;
      chunks++;
      const ack = this.js.publish(chunkSubject, content);
      // Awaited below or in allSettled; never an unhandled rejection.
      ack.then(() => spare.push(published)).catch(() => undefined);
      inFlight.push(ack);
      if (inFlight.length >= this.maxChunksInFlight) await inFlight.shift();
    };
    try {
      for await (const piece of source) {
        if (typeof piece === 'string' && Buffer.byteLength(piece, 'utf8') <= ChunkSize - filled) {
          filled += chunk.write(piece, filled, 'utf8');
        } else {
          let bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
          while (bytes.length > 0) {
            const taken = Math.min(bytes.length, ChunkSize - filled);
            chunk.set(bytes.subarray(0, taken), filled);
            filled += taken;
            bytes = bytes.subarray(taken);
            if (filled === ChunkSize) await publishChunk();
          }
        }
        if (filled === ChunkSize) await publishChunk();
      }
      if (filled > 0) await publishChunk();
      await Promise.all(inFlight);
      const info = {
        name,
        description: '',
        options: { max_chunk_size: ChunkSize },
        metadata: options.contentType ? { [ContentTypeKey]: options.contentType } : undefined,
        bucket: this.bucket,
        nuid: uploadId,
        size,
        chunks,
        mtime: new Date().toISOString(),
        digest: `SHA-256=${base64UrlPadded(hash.digest())}`,
        deleted: false,
      };
      const rollup = headers();
      rollup.set('Nats-Rollup', 'sub');
      // The object appears here, in one message, with all its chunks already stored.
      await this.js.publish(this.metaSubject(name), JSON.stringify(info), { headers: rollup });
    } catch (error) {
      await Promise.allSettled(inFlight);
      await this.jsm.streams.purge(this.streamName, { filter: chunkSubject }).catch(() => undefined);
      throw error;
    }
    if (previous && !previous.deleted) {
      await this.jsm.streams
        .purge(this.streamName, { filter: this.chunkSubject(previous.nuid) })
        .catch(() => undefined);
    }
    return (await this.info(name))!;
  }

  async info(name: string): Promise<StoredObject | null> {
    const info = await this.store.info(name);
    return info && !info.deleted ? storedObject(info) : null;
  }

  async get(name: string): Promise<ObjectDownload | null> {
    const result = await this.store.get(name);
    if (!result || result.info.deleted) return null;
    const stream = Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>);
    // A digest mismatch is reported on `error`, after the data ended: surface it on the stream.
    void result.error.then((error) => {
      if (error) stream.destroy(error);
    });
    return { ...storedObject(result.info), stream };
  }

  /** Reads a whole (small) object into memory. */
  async getBytes(name: string): Promise<Buffer | null> {
    const bytes = await this.store.getBlob(name);
    return bytes ? Buffer.from(bytes) : null;
  }

  /** True when an object was deleted; false when there was none. */
  async delete(name: string): Promise<boolean> {
    const info = await this.store.info(name);
    if (!info || info.deleted) return false;
    await this.store.delete(name);
    return true;
  }

  async list(): Promise<StoredObject[]> {
    return (await this.store.list()).filter((info) => !info.deleted).map(storedObject);
  }

  /**
   * Purges chunks that belong to no object and have not grown for `idleMs`: the remains of an upload whose
   * writer died. Uploads still running keep adding chunks, so a generous `idleMs` never touches them.
   * Returns how many abandoned uploads were purged.
   */
  async sweepAbandonedUploads(idleMs: number): Promise<number> {
    const stream = `OBJ_${this.bucket}`;
    const chunkPrefix = `$O.${this.bucket}.C.`;
    const live = new Set((await this.store.list()).map((info) => info.nuid));
    const status = await this.jsm.streams.info(stream, { subjects_filter: `${chunkPrefix}>` });
    let purged = 0;
    for (const subject of Object.keys(status.state.subjects ?? {})) {
      if (live.has(subject.slice(chunkPrefix.length))) continue;
      const last = await this.jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
      if (last && Date.now() - last.time.getTime() < idleMs) continue;
      // Listed again: an upload may have finished (published its metadata) since the first listing.
      const current = new Set((await this.store.list()).map((info) => info.nuid));
      if (current.has(subject.slice(chunkPrefix.length))) continue;
      await this.jsm.streams.purge(stream, { filter: subject });
      purged++;
    }
    return purged;
  }

  private get streamName(): string {
    return `OBJ_${this.bucket}`;
  }

  private chunkSubject(uploadId: string): string {
    return `$O.${this.bucket}.C.${uploadId}`;
  }

  private metaSubject(name: string): string {
    return `$O.${this.bucket}.M.${base64UrlPadded(Buffer.from(name, 'utf8'))}`;
  }
}

function storedObject(info: ObjectInfo): StoredObject {
  return {
    name: info.name,
    size: info.size,
    digest: info.digest,
    contentType: info.metadata?.[ContentTypeKey] ?? null,
    modifiedAt: new Date(info.mtime),
  };
}

/** nats.js's Base64UrlPaddedCodec: URL alphabet, padding kept. */
function base64UrlPadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
