import { runService } from '@lib/jetstream';
import { DashboardConfigSchema } from './config';
import { DashboardModule } from './dashboard.module';

void runService({ name: 'dashboard', module: DashboardModule, configSchema: DashboardConfigSchema });
