import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';
import { HTTP_STATUS_BY_CODE, type ErrorCode } from '../common/chat-error.js';
import { PostgresPools } from '../database/postgres-pools.js';
import { ACTION_NAMES } from '../realtime/action-table.js';
import { Backplane } from '../redis/backplane.js';

/** An action's outcome: `success` or the contract's error code. */
export type ActionOutcome = 'success' | ErrorCode;
const OUTCOMES = ['success', ...Object.keys(HTTP_STATUS_BY_CODE)] as ActionOutcome[];
/** Frames naming no action of the table are counted under this one name, never the name sent. */
export const UNKNOWN_ACTION = 'unknown';

/** Seconds; an ack is a commit away, so most fall between 1 and 100 ms. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Every metric of an instance, in a registry of its own (tests run several
 * instances in one process). Labels are bounded sets only: action names,
 * outcome codes, event names, route patterns, status codes; never a user,
 * room or message id.
 *
 * To add a metric: declare it here as a field with `this.counter(…)`,
 * `this.gauge(…)` or `this.histogram(…)` (name `chat_…`, `_total` for
 * counters, a `help` line), inject `Metrics` where the event happens
 * (MetricsModule is global) and `inc()` / `observe()` it. In a hot path,
 * bind its labels once (`.labels(...)` returns a child to keep) so counting
 * allocates nothing.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly socketsConnected = this.gauge({
    name: 'chat_sockets_connected',
    help: 'Socket.IO connections open on this instance',
  });

  readonly actions = this.counter({
    name: 'chat_actions_total',
    help: 'Socket actions performed, by action and outcome (success or error code)',
    labelNames: ['action', 'outcome'],
  });

  readonly actionDuration = this.histogram({
    name: 'chat_action_ack_seconds',
    help: 'From receiving a socket action to acknowledging it, by action',
    labelNames: ['action'],
    buckets: LATENCY_BUCKETS,
  });

  readonly messagesStored = this.counter({
    name: 'chat_messages_stored_total',
    help: 'New messages committed (replays not counted)',
  });

  readonly messageBatchSize = this.histogram({
    name: 'chat_message_batch_size',
    help: 'Messages per group-commit statement',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
  });

  readonly broadcasts = this.counter({
    name: 'chat_broadcasts_total',
    help: 'Events emitted to users, by event (each reaches every socket of its recipients, on every instance)',
    labelNames: ['event'],
  });

  readonly broadcastRecipients = this.counter({
    name: 'chat_broadcast_recipients_total',
    help: 'Users addressed by those events (the fan-out), by event',
    labelNames: ['event'],
  });

  readonly rateLimited = this.counter({
    name: 'chat_rate_limited_total',
    help: 'Actions and requests refused by a rate limit, by limit',
    labelNames: ['limit'],
  });

  readonly redisResubscribes = this.counter({
    name: 'chat_redis_resubscribes_total',
    help: "Times the Socket.IO adapter's subscriber connection came back and subscribed again",
  });

  readonly httpRequests = this.counter({
    name: 'chat_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'],
  });

  readonly httpDuration = this.histogram({
    name: 'chat_http_request_duration_seconds',
    help: 'HTTP request latency, by method and route pattern',
    labelNames: ['method', 'route'],
    buckets: LATENCY_BUCKETS,
  });

  /** The children of `actions` and `actionDuration`, bound once so counting an ack allocates nothing. */
  private readonly actionChildren = new Map(
    [...ACTION_NAMES, UNKNOWN_ACTION].map((action) => [
      action,
      {
        outcomes: new Map(OUTCOMES.map((outcome) => [outcome, this.actions.labels(action, outcome)])),
        duration: this.actionDuration.labels(action),
      },
    ]),
  );

  constructor(pools: PostgresPools, backplane: Backplane) {
    // The event-loop delay histogram samples every 100 ms, not prom-client's
    // 10: a timer 100 times a second was half of an idle instance's CPU, and
    // each instance of a scaled-out deployment pays it whatever its load.
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    // Read at scrape time: nothing on the query path.
    const poolGauge = (name: string, help: string, read: () => number) =>
      this.gauge({
        name,
        help,
        collect() {
          this.set(read());
        },
      });
    poolGauge(
      'chat_postgres_pool_in_use',
      'Postgres connections lent to a query (0 when embedded)',
      () => pools.inUse,
    );
    poolGauge('chat_postgres_pool_idle', 'Postgres connections open and idle', () => pools.idle);
    poolGauge('chat_postgres_pool_waiting', 'Queries waiting for a Postgres connection', () => pools.waiting);
    // Issue 14's figures, counted by the backplane as plain numbers on
    // its hot path and copied into the registry at scrape time.
    const backplaneCounter = (name: string, help: string, read: () => number) =>
      this.counter({
        name,
        help,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    backplaneCounter(
      'chat_redis_publishes_total',
      'Broadcast messages this instance published to Redis',
      () => backplane.counters.redisPublishes,
    );
    backplaneCounter(
      'chat_redis_broadcasts_received_total',
      'Broadcasts this instance received from Redis, its own echoes included',
      () => backplane.counters.redisBroadcastsReceived,
    );
    backplaneCounter(
      'chat_socket_deliveries_total',
      "Packets broadcasts wrote to this instance's sockets",
      () => backplane.counters.socketDeliveries,
    );
    backplaneCounter(
      'chat_redis_publish_failures_total',
      'Publishes Redis did not take (refused, or their server known to be away) and that were held for a retry',
      () => backplane.heldPublishes().failures,
    );
    this.gauge({
      name: 'chat_redis_publishes_held',
      help: 'Publishes of this instance waiting for their Redis server to be back',
      collect() {
        this.set(backplane.heldPublishes().waiting);
      },
    });
  }

  /** Counts a socket action and its ack latency; `startedAt` is `performance.now()` at receipt. */
  actionAnswered(action: string, outcome: ActionOutcome, startedAt: number): void {
    const children = this.actionChildren.get(action) ?? this.actionChildren.get(UNKNOWN_ACTION)!;
    children.outcomes.get(outcome)?.inc();
    children.duration.observe((performance.now() - startedAt) / 1000);
  }

  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
    return new Histogram({ ...config, registers: [this.registry] });
  }
}
