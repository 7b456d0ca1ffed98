import type { EntityClass, MigrationClass } from '../migration-class';

/* The tables the chatbot work added: entities and migrations, listed in schema.ts. */
export const ChatbotEntities: EntityClass[] = [];
export const ChatbotMigrations: MigrationClass[] = [];
