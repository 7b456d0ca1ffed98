import { DomainEntities } from './entities';
import { ProcessedMessage } from './inbox/processed-message.entity';
import { DomainModel1790000000000 } from './migrations/1790000000000-domain-model';
import { OutboxAndInbox1789000000000 } from './migrations/1789000000000-outbox-and-inbox';
import { OutboxMessage } from './outbox/outbox-message.entity';

/** Every entity and migration, listed explicitly so a compiled or bundled app finds them all. */
export const AllEntities = [...DomainEntities, OutboxMessage, ProcessedMessage];
export const AllMigrations = [OutboxAndInbox1789000000000, DomainModel1790000000000];
