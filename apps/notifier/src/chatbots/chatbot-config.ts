import { z } from 'zod';
import { OutboundConfigShape, type OutboundConfig } from '@lib/outbound';

/** The chatbot settings, merged into the notifier's config schema (apps/notifier/src/config.ts). */
export const ChatbotConfigShape = {
  ...OutboundConfigShape,
  /** Consecutive failed posts (5xx, timeouts, refusals, 4xx) after which a chatbot is disabled. */
  CHATBOT_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).default(10),
  /** How long one post may take, connection included. */
  CHATBOT_POST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
};

export interface ChatbotConfig extends OutboundConfig {
  APP_URL: string;
  CHATBOT_DISABLE_AFTER_FAILURES: number;
  CHATBOT_POST_TIMEOUT_MS: number;
}

const ChatbotConfigSchema = z.object({
  ...ChatbotConfigShape,
  APP_URL: z
    .string()
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
});

/** Reads the chatbot part of the notifier's (already validated) config; parsing it again is harmless. */
export function chatbotConfigFrom(serviceConfig: unknown): ChatbotConfig {
  return ChatbotConfigSchema.parse(serviceConfig);
}
