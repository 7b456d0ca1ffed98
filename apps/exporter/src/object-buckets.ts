import type { Provider } from '@nestjs/common';
import { NATS_CONNECTION, ObjectBuckets, ObjectFiles } from '@lib/jetstream';
import { EXPORTER_CONFIG, type ExporterConfig } from './config';

/** The NATS connection the service already holds (only libs/jetstream names NATS types). */
type NatsConnectionOf = Parameters<typeof ObjectFiles.open>[0];

/** The exports bucket (finished exports). */
export const EXPORT_FILES = Symbol('EXPORT_FILES');
/** The imports bucket (uploaded CSVs and their error reports). */
export const IMPORT_FILES = Symbol('IMPORT_FILES');
/** The attachments bucket (files attached to records). */
export const ATTACHMENT_FILES = Symbol('ATTACHMENT_FILES');

function bucketProvider(token: symbol, bucket: string): Provider {
  return {
    provide: token,
    inject: [NATS_CONNECTION, EXPORTER_CONFIG],
    useFactory: (nc: NatsConnectionOf, config: ExporterConfig) =>
      ObjectFiles.open(nc, bucket, { replicas: config.NATS_STREAM_REPLICAS }),
  };
}

export const ObjectBucketProviders: Provider[] = [
  bucketProvider(EXPORT_FILES, ObjectBuckets.exports),
  bucketProvider(IMPORT_FILES, ObjectBuckets.imports),
  bucketProvider(ATTACHMENT_FILES, ObjectBuckets.attachments),
];
