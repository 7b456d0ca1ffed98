import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { DiscardError, RetryLaterError, UnrecoverableError, type ObjectFiles } from '@lib/jetstream';
import {
  guardedRequest,
  OutboundRefusedError,
  ResponseTooLargeError,
  retryAfterMs,
  type AddressPolicy,
  type HostResolver,
} from '@lib/outbound';

export interface AttachmentDownloadSettings {
  policy: AddressPolicy;
  maxBytes: number;
  timeoutMs: number;
  resolveHost?: HostResolver;
}

export type DownloadOutcome = { downloaded: true; bytes: number } | { downloaded: false; reason: string };

interface AttachmentRow {
  id: string;
  key: string;
  source_url: string | null;
  content_type: string | null;
  byte_size: string | null;
  deleted_at: Date | null;
}

/**
 * Fetches an attachment's remote file into the attachments bucket under the attachment's key, streaming and
 * size-capped, through the outbound URL guard (no private, loopback or metadata address unless allowed), then
 * records its size, MD5 checksum and type. Refused addresses, files over the limit and 4xx answers fail for
 * good; timeouts, 5xx and 429 are retried. The object only appears complete, so a failed try leaves nothing.
 */
export async function downloadAttachment(
  dataSource: DataSource,
  files: ObjectFiles,
  attachmentId: number,
  settings: AttachmentDownloadSettings & { signal?: AbortSignal },
): Promise<DownloadOutcome> {
  const [attachment] = (await dataSource.query(
    `SELECT id, key, source_url, content_type, byte_size, deleted_at FROM attachments WHERE id = $1`,
    [attachmentId],
  )) as AttachmentRow[];
  if (!attachment) throw new DiscardError(`Attachment ${attachmentId} does not exist`);
  if (attachment.deleted_at) return { downloaded: false, reason: 'the attachment was deleted' };
  if (!attachment.source_url) throw new UnrecoverableError(`Attachment ${attachmentId} has no source_url`);
  if (attachment.byte_size !== null && (await files.info(attachment.key))) {
    return { downloaded: false, reason: 'already downloaded' };
  }
  const response = await guardedRequest(attachment.source_url, {
    policy: settings.policy,
    timeoutMs: settings.timeoutMs,
    maxResponseBytes: settings.maxBytes,
    signal: settings.signal,
    resolveHost: settings.resolveHost,
  }).catch((error: Error) => {
    throw error instanceof OutboundRefusedError || error instanceof ResponseTooLargeError
      ? new UnrecoverableError(`Attachment ${attachmentId}: ${error.message}`)
      : error;
  });
  if (response.status !== 200) {
    response.body.destroy();
    const host = new URL(attachment.source_url).host;
    if (response.status === 429) throw new RetryLaterError(retryAfterMs(response.headers['retry-after']));
    const message = `Attachment ${attachmentId}: ${host} answered ${response.status}`;
    throw response.status >= 400 && response.status < 500
      ? new UnrecoverableError(message)
      : new Error(message);
  }
  const md5 = createHash('md5');
  const contentType = attachment.content_type ?? headerValue(response.headers['content-type']);
  const stored = await files
    .put(attachment.key, hashed(response.body, md5), {
      contentType: contentType ?? undefined,
      uploadId: `attachment-${attachmentId}`,
    })
    .catch((error: Error) => {
      throw error instanceof ResponseTooLargeError
        ? new UnrecoverableError(`Attachment ${attachmentId}: ${error.message}`)
        : error;
    });
  await dataSource.query(
    `UPDATE attachments SET byte_size = $2, checksum = $3, content_type = $4, updated_at = now() WHERE id = $1`,
    [attachmentId, stored.size, md5.digest('base64'), contentType],
  );
  return { downloaded: true, bytes: stored.size };
}

async function* hashed(body: Readable, hash: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    hash.update(chunk as Buffer);
    yield chunk as Buffer;
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  const text = Array.isArray(value) ? value[0] : value;
  return text ? text.slice(0, 255) : null;
}
