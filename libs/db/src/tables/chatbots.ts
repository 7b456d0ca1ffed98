import type { EntityClass, MigrationClass } from '../migration-class';
import { ChatbotDelivery } from '../entities/chatbot-delivery.entity';
import { ChatbotDeliveries1796000000000 } from '../migrations/1796000000000-chatbot-deliveries';

export { ChatbotDelivery } from '../entities/chatbot-delivery.entity';

/* The tables the chatbot work added: entities and migrations, listed in schema.ts. */
export const ChatbotEntities: EntityClass[] = [ChatbotDelivery];
export const ChatbotMigrations: MigrationClass[] = [ChatbotDeliveries1796000000000];
