import { runService } from '@lib/jetstream';
import { JanitorConfigSchema } from './config';
import { JanitorModule } from './janitor.module';

void runService({ name: 'janitor', module: JanitorModule, configSchema: JanitorConfigSchema });
