import { millis, type ConsumerInfo, type JetStreamManager, type StreamInfo } from 'nats';
import { rethrowMissingStream } from './admin-errors';

export interface StreamSummary {
  name: string;
  subjects: string[];
  retention: string;
  messages: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  consumers: number;
}

export interface ConsumerSummary {
  stream: string;
  name: string;
  filterSubject: string | null;
  /** Matching messages not yet delivered. */
  pending: number;
  /** Delivered and not yet acknowledged: running, or waiting for a retry. */
  inFlight: number;
  redelivered: number;
  /** Pull requests the consumer's workers have outstanding (idle capacity). */
  waiting: number;
  maxDeliver: number;
  maxAckPending: number;
  ackWaitMs: number;
}

/** Read-only view of streams and consumers for operators. */
export class StreamAdmin {
  constructor(private readonly jsm: JetStreamManager) {}

  async streams(): Promise<StreamSummary[]> {
    const summaries: StreamSummary[] = [];
    for await (const info of this.jsm.streams.list()) summaries.push(summarizeStream(info));
    return summaries.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The consumers of one stream, or of every stream. */
  async consumers(stream?: string): Promise<ConsumerSummary[]> {
    const streamNames = stream ? [stream] : (await this.streams()).map((s) => s.name);
    const summaries: ConsumerSummary[] = [];
    for (const name of streamNames) {
      // The lister fails lazily, on the first page, so a missing stream surfaces inside the loop.
      try {
        for await (const info of this.jsm.consumers.list(name)) summaries.push(summarizeConsumer(info));
      } catch (error) {
        rethrowMissingStream(name)(error);
      }
    }
    return summaries.sort((a, b) => a.stream.localeCompare(b.stream) || a.name.localeCompare(b.name));
  }
}

function summarizeStream(info: StreamInfo): StreamSummary {
  return {
    name: info.config.name,
    subjects: info.config.subjects ?? [],
    retention: info.config.retention,
    messages: info.state.messages,
    bytes: info.state.bytes,
    firstSeq: info.state.first_seq,
    lastSeq: info.state.last_seq,
    consumers: info.state.consumer_count,
  };
}

function summarizeConsumer(info: ConsumerInfo): ConsumerSummary {
  const { config } = info;
  const filters = config.filter_subject ? [config.filter_subject] : (config.filter_subjects ?? []);
  return {
    stream: info.stream_name,
    name: info.name,
    filterSubject: filters.length > 0 ? filters.join(',') : null,
    pending: info.num_pending,
    inFlight: info.num_ack_pending,
    redelivered: info.num_redelivered,
    waiting: info.num_waiting,
    maxDeliver: config.max_deliver ?? -1,
    maxAckPending: config.max_ack_pending ?? -1,
    ackWaitMs: config.ack_wait ? millis(config.ack_wait) : 0,
  };
}
