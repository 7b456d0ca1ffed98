import { Module } from '@nestjs/common';
import { ChatbotFanout } from './chatbot-fanout';
import { PostToChatbotHandler } from './post-to-chatbot.handler';

/** Chatbots and webhooks: fan-out of activity to a group's chatbots and one post per chatbot. */
@Module({ providers: [ChatbotFanout, PostToChatbotHandler], exports: [ChatbotFanout] })
export class ChatbotsModule {}
