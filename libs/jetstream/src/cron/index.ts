export * from './cron-plan';
export * from './cron-scheduler';
export * from './cron-state';
export * from './cron.service';
