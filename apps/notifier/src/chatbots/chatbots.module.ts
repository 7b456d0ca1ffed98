import { Module } from '@nestjs/common';

/** Chatbots and webhooks: fan-out of activity to a group's chatbots and one post per chatbot. */
@Module({ providers: [], exports: [] })
export class ChatbotsModule {}
