import { createHmac } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ChatbotKind } from '@lib/db';
import { DiscardError, RetryLaterError } from '@lib/jetstream';
import {
  guardedRequest,
  OutboundRefusedError,
  retryAfterMs,
  type AddressPolicy,
  type GuardedResponse,
} from '@lib/outbound';
import { loadChatbotActivity } from './chatbot-activity';
import { renderChatbotPayload } from './chatbot-formats';

export interface PostToChatbotJob {
  chatbotId: number;
  eventId: number;
}

export interface ChatbotPosterOptions {
  appUrl: string;
  policy: AddressPolicy;
  timeoutMs: number;
  disableAfterFailures: number;
}

export type PostOutcome = { result: 'delivered'; status: number } | { result: 'already-delivered' };

/** A failed post worth retrying (5xx, timeout, connection error); counted against the chatbot. */
export class ChatbotPostFailedError extends Error {
  override readonly name = 'ChatbotPostFailedError';
}

interface ChatbotRow {
  id: string;
  group_id: string;
  kind: ChatbotKind;
  url: string;
  secret: string | null;
  disabled_at: Date | null;
  discarded_at: Date | null;
}

/** Enough of an error answer to explain it in `last_error`; the rest is not read. */
const MaxAnswerBytes = 64 * 1024;

export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Posts one activity to one chatbot and books the outcome on the chatbot row: a success resets its
 * consecutive failures; 410 or too many failures disable it; 429 waits for Retry-After; 5xx and network
 * errors throw to be retried; other answers are recorded and the post dropped.
 */
export class ChatbotPoster {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: ChatbotPosterOptions,
  ) {}

  async post(job: PostToChatbotJob, signal?: AbortSignal): Promise<PostOutcome> {
    const chatbot = await this.chatbot(job.chatbotId);
    if (!chatbot) throw new DiscardError(`chatbot ${job.chatbotId} no longer exists`);
    if (chatbot.discarded_at) throw new DiscardError(`chatbot ${job.chatbotId} is discarded`);
    if (chatbot.disabled_at) throw new DiscardError(`chatbot ${job.chatbotId} is disabled`);
    if (await this.delivered(job)) return { result: 'already-delivered' };

    const loaded = await loadChatbotActivity(
      this.dataSource.manager,
      job.eventId,
      Number(chatbot.group_id),
      this.options.appUrl,
    );
    if (!loaded.found) throw new DiscardError(loaded.reason);
    const body = JSON.stringify(renderChatbotPayload(chatbot.kind, loaded.activity));
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=utf-8',
      'user-agent': 'Loomio-Chatbot/1.0',
    };
    if (chatbot.secret) headers['x-signature'] = signatureOf(body, chatbot.secret);

    let response: GuardedResponse;
    let answer: string;
    try {
      response = await guardedRequest(chatbot.url, {
        method: 'POST',
        headers,
        body,
        policy: this.options.policy,
        timeoutMs: this.options.timeoutMs,
        maxResponseBytes: MaxAnswerBytes,
        signal,
      });
      answer = await response.text().catch(() => '');
    } catch (error) {
      if (error instanceof OutboundRefusedError) {
        // The address will not become allowed by retrying; the chatbot's owner must change it.
        await this.recordFailure(job.chatbotId, error.message);
        throw new DiscardError(error.message);
      }
      const message = error instanceof Error ? error.message : String(error);
      await this.failOrDisable(job.chatbotId, message);
      throw new ChatbotPostFailedError(message);
    }
    return this.settle(job, response.status, response.headers['retry-after'], answer);
  }

  private async settle(
    job: PostToChatbotJob,
    status: number,
    retryAfter: string | undefined,
    answer: string,
  ): Promise<PostOutcome> {
    if (status >= 200 && status < 300) {
      await this.recordDelivery(job, status);
      return { result: 'delivered', status };
    }
    const error = `HTTP ${status}${answer ? `: ${answer.slice(0, 200)}` : ''}`;
    if (status === 429) throw new RetryLaterError(retryAfterMs(retryAfter), `chatbot rate limited: ${error}`);
    if (status === 410) {
      await this.recordFailure(job.chatbotId, error, { disable: true });
      throw new DiscardError(`chatbot ${job.chatbotId} is gone (410) and was disabled`);
    }
    if (status >= 500) {
      await this.failOrDisable(job.chatbotId, error);
      throw new ChatbotPostFailedError(error);
    }
    await this.recordFailure(job.chatbotId, error);
    throw new DiscardError(`chatbot ${job.chatbotId} refused the post: ${error}`);
  }

  /** Counts a retryable failure; past the limit the chatbot is disabled and the post dropped instead. */
  private async failOrDisable(chatbotId: number, error: string): Promise<void> {
    const { disabled, failureCount } = await this.recordFailure(chatbotId, error);
    if (disabled) {
      throw new DiscardError(
        `chatbot ${chatbotId} disabled after ${failureCount} consecutive failures: ${error}`,
      );
    }
  }

  private async recordFailure(
    chatbotId: number,
    error: string,
    { disable = false } = {},
  ): Promise<{ disabled: boolean; failureCount: number }> {
    const [rows] = (await this.dataSource.query(
      `UPDATE chatbots
          SET failure_count = failure_count + 1,
              last_failure_at = now(),
              last_error = $2,
              disabled_at = CASE WHEN $3 OR failure_count + 1 >= $4 THEN COALESCE(disabled_at, now()) ELSE disabled_at END,
              updated_at = now()
        WHERE id = $1
        RETURNING failure_count, disabled_at`,
      [chatbotId, error.slice(0, 1000), disable, this.options.disableAfterFailures],
    )) as [{ failure_count: number; disabled_at: Date | null }[], number];
    const row = rows[0];
    return { disabled: row?.disabled_at != null, failureCount: row?.failure_count ?? 0 };
  }

  private async recordDelivery(job: PostToChatbotJob, status: number): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO chatbot_deliveries (chatbot_id, event_id, status_code, delivered_at)
         VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING`,
        [job.chatbotId, job.eventId, status],
      );
      await manager.query(
        `UPDATE chatbots SET failure_count = 0, updated_at = now() WHERE id = $1 AND failure_count <> 0`,
        [job.chatbotId],
      );
    });
  }

  private async delivered(job: PostToChatbotJob): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `SELECT 1 FROM chatbot_deliveries WHERE chatbot_id = $1 AND event_id = $2`,
      [job.chatbotId, job.eventId],
    )) as unknown[];
    return rows.length > 0;
  }

  private async chatbot(id: number): Promise<ChatbotRow | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT id, group_id, kind, url, secret, disabled_at, discarded_at FROM chatbots WHERE id = $1`,
      [id],
    )) as ChatbotRow[];
    return row;
  }
}
