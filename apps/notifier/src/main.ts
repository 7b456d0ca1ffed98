import { runService } from '@lib/jetstream';
import { NotifierConfigSchema } from './config';
import { NotifierModule } from './notifier.module';

void runService({ name: 'notifier', module: NotifierModule, configSchema: NotifierConfigSchema });
