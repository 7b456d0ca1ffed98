import { runService } from '@lib/jetstream';
import { ExporterConfigSchema } from './config';
import { ExporterModule } from './exporter.module';

void runService({ name: 'exporter', module: ExporterModule, configSchema: ExporterConfigSchema });
