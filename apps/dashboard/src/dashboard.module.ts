import { Module } from '@nestjs/common';

/** Dashboard: the operators' web UI and admin API. Its handlers are added here as providers, one per subject. */
@Module({})
export class DashboardModule {}
