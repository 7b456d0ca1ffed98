import { runService } from '@lib/jetstream';
import { SchedulerConfigSchema } from './config';
import { SchedulerModule } from './scheduler.module';

void runService({ name: 'scheduler', module: SchedulerModule, configSchema: SchedulerConfigSchema });
