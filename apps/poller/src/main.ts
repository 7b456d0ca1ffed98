import { runService } from '@lib/jetstream';
import { PollerConfigSchema } from './config';
import { PollerModule } from './poller.module';

void runService({ name: 'poller', module: PollerModule, configSchema: PollerConfigSchema });
