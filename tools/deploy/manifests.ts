import { resolve } from 'node:path';
import { AppNames, Contracts, subjectsHandledBy, type Contract, type Priority } from '@lib/contracts';
import { durableName, streamForSubject } from '@lib/jetstream/names';
import AppNodeOptions from '../../deploy/docker/app-node-options.json';
import AppPorts from '../../deploy/docker/app-ports.json';

/*
 * The Kubernetes manifests of deploy/k8s, derived from the contracts and the runtime's own naming, so the
 * consumers KEDA watches are exactly the durables the apps create. `npm run deploy:generate` writes them;
 * a test regenerates them and fails on any difference.
 */

export type Manifest = Record<string, unknown>;

export const K8sDirectory = resolve(__dirname, '../../deploy/k8s');

export const Namespace = 'loomio-workers';
const ConfigMapName = 'workers-config';
const SecretName = 'workers-secrets';
/** The apps drain for this long after SIGTERM; Kubernetes must wait longer before it kills them. */
const ShutdownGraceMs = 25_000;
const TerminationGraceSeconds = ShutdownGraceMs / 1000 + 15;
const NatsMonitoringEndpoint = 'nats-headless.nats.svc.cluster.local:8222';

/**
 * Pending messages per replica before KEDA adds one, by priority: a critical backlog of 10 already
 * justifies a replica, a low one may wait until 500 pile up (it is drained by weight anyway).
 */
export const LagThresholdByPriority: Record<Priority, number> = {
  critical: 10,
  high: 25,
  default: 100,
  low: 500,
};

interface AppShape {
  replicas: number;
  autoscale?: { min: number; max: number };
  resources: { cpu: string; memory: string; memoryLimit: string };
  extraEnv?: Record<string, string>;
  secretEnv?: string[];
}

/** The scheduler runs two replicas without an autoscaler: slot dedup, not being single, keeps cron fires unique. */
const Apps: Record<string, AppShape> = {
  scheduler: { replicas: 2, resources: { cpu: '100m', memory: '160Mi', memoryLimit: '384Mi' } },
  notifier: {
    replicas: 2,
    autoscale: { min: 2, max: 20 },
    resources: { cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' },
    secretEnv: ['SMTP_URL'],
  },
  poller: {
    replicas: 1,
    autoscale: { min: 1, max: 6 },
    resources: { cpu: '100m', memory: '192Mi', memoryLimit: '384Mi' },
  },
  exporter: {
    replicas: 1,
    autoscale: { min: 1, max: 6 },
    resources: { cpu: '250m', memory: '256Mi', memoryLimit: '768Mi' },
    secretEnv: ['EXPORT_LINK_SECRET'],
  },
  janitor: {
    replicas: 1,
    autoscale: { min: 1, max: 4 },
    resources: { cpu: '100m', memory: '192Mi', memoryLimit: '512Mi' },
  },
  dashboard: {
    replicas: 1,
    resources: { cpu: '100m', memory: '160Mi', memoryLimit: '384Mi' },
    secretEnv: ['DASHBOARD_USER', 'DASHBOARD_PASSWORD'],
  },
};

export interface ConsumerTarget {
  stream: string;
  consumer: string;
  subject: string;
  lagThreshold: number;
}

/** The durable consumers the runtime provisions for an app: one per subject it handles. */
export function consumersOf(app: string): ConsumerTarget[] {
  return subjectsHandledBy(Contracts, app).map((contract: Contract) => ({
    stream: streamForSubject(contract.subject),
    consumer: durableName(app, contract.subject),
    subject: contract.subject,
    lagThreshold: LagThresholdByPriority[contract.options.priority],
  }));
}

const labelsOf = (app: string) => ({
  'app.kubernetes.io/name': app,
  'app.kubernetes.io/part-of': 'loomio-workers',
});

function portOf(app: string): number {
  const port = (AppPorts as Record<string, number>)[app];
  if (!port) throw new Error(`deploy/docker/app-ports.json has no port for ${app}`);
  return port;
}

function deployment(app: string, shape: AppShape): Manifest {
  const port = portOf(app);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, labels: labelsOf(app) },
    spec: {
      // KEDA owns the count of autoscaled apps; a fixed count would fight it on every apply.
      ...(shape.autoscale ? {} : { replicas: shape.replicas }),
      selector: { matchLabels: labelsOf(app) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: labelsOf(app),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(port),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          terminationGracePeriodSeconds: TerminationGraceSeconds,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 },
          containers: [
            {
              name: app,
              image: `loomio-workers/${app}`,
              ports: [{ name: 'http', containerPort: port }],
              env: [
                { name: 'APP', value: app },
                { name: 'HTTP_PORT', value: String(port) },
                ...nodeOptionsEnv(app),
                // Each app connects as its own least-privilege NATS user (deploy/nats/auth.conf).
                { name: 'NATS_USER', value: app },
                {
                  name: 'NATS_PASSWORD',
                  valueFrom: {
                    secretKeyRef: { name: SecretName, key: `NATS_${app.toUpperCase()}_PASSWORD` },
                  },
                },
                ...Object.entries(shape.extraEnv ?? {}).map(([name, value]) => ({ name, value })),
                ...['DATABASE_URL', ...(shape.secretEnv ?? [])].map((name) => ({
                  name,
                  valueFrom: { secretKeyRef: { name: SecretName, key: name } },
                })),
              ],
              envFrom: [{ configMapRef: { name: ConfigMapName } }],
              readinessProbe: probe('/health/ready', 10, 3),
              livenessProbe: { ...probe('/health/live', 20, 3), initialDelaySeconds: 20 },
              resources: {
                requests: { cpu: shape.resources.cpu, memory: shape.resources.memory },
                limits: { memory: shape.resources.memoryLimit },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}

function service(app: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: app, labels: labelsOf(app) },
    spec: { selector: labelsOf(app), ports: [{ name: 'http', port: portOf(app), targetPort: 'http' }] },
  };
}

function disruptionBudget(app: string): Manifest {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: app, labels: labelsOf(app) },
    // One pod at a time: a drain never takes a whole service away, and a single replica can still move.
    spec: { maxUnavailable: 1, selector: { matchLabels: labelsOf(app) } },
  };
}

function scaledObject(app: string, shape: AppShape): Manifest | undefined {
  const consumers = consumersOf(app);
  if (!shape.autoscale || consumers.length === 0) return undefined;
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: app, labels: labelsOf(app) },
    spec: {
      scaleTargetRef: { name: app },
      minReplicaCount: shape.autoscale.min,
      maxReplicaCount: shape.autoscale.max,
      pollingInterval: 15,
      cooldownPeriod: 300,
      // KEDA takes the largest replica count any trigger asks for: one busy subject is enough to scale.
      triggers: consumers.map((target) => ({
        type: 'nats-jetstream',
        name: target.consumer.replace(/_/g, '-').toLowerCase(),
        metadata: {
          natsServerMonitoringEndpoint: NatsMonitoringEndpoint,
          account: '$G',
          stream: target.stream,
          consumer: target.consumer,
          lagThreshold: String(target.lagThreshold),
          activationLagThreshold: '0',
        },
      })),
    },
  };
}

function configMap(): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ConfigMapName },
    data: {
      NODE_ENV: 'production',
      NATS_URL:
        'nats://nats-0.nats-headless.nats.svc.cluster.local:4222,nats://nats-1.nats-headless.nats.svc.cluster.local:4222,nats://nats-2.nats-headless.nats.svc.cluster.local:4222',
      NATS_STREAM_REPLICAS: '3',
      LOG_LEVEL: 'info',
      WORKER_SLOTS: '50',
      SHUTDOWN_GRACE_MS: String(ShutdownGraceMs),
    },
  };
}

function migrationJob(): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'db-migrate', labels: labelsOf('db-migrate') },
    spec: {
      backoffLimit: 3,
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels: labelsOf('db-migrate') },
        spec: {
          restartPolicy: 'OnFailure',
          securityContext: { runAsNonRoot: true, runAsUser: 1000 },
          containers: [
            {
              name: 'migrate',
              // The scheduler's image carries the compiled migrations, as in docker-compose's `migrate`.
              image: 'loomio-workers/scheduler',
              command: ['node', '/app/deploy/docker/entry.js', '--migrate'],
              env: [
                { name: 'APP', value: 'scheduler' },
                {
                  name: 'DATABASE_URL',
                  valueFrom: { secretKeyRef: { name: SecretName, key: 'DATABASE_URL' } },
                },
              ],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  };
}

/** Relative path under deploy/k8s -> the documents of that file. */
export function baseManifests(): Map<string, Manifest[]> {
  const files = new Map<string, Manifest[]>();
  files.set('base/config.yaml', [configMap()]);
  files.set('base/db-migrate-job.yaml', [migrationJob()]);
  for (const app of AppNames) {
    const shape = Apps[app];
    if (!shape) throw new Error(`No deployment shape for app ${app}`);
    const documents = [deployment(app, shape), service(app), disruptionBudget(app)];
    const scaler = scaledObject(app, shape);
    if (scaler) documents.push(scaler);
    files.set(`base/${app}.yaml`, documents);
  }
  return files;
}

export function baseKustomization(files: Iterable<string>): Manifest {
  return {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: Namespace,
    resources: [...files].filter((f) => f.startsWith('base/')).map((f) => f.replace(/^base\//, '')),
  };
}

export const WorkerApps = AppNames.filter((app) => Apps[app]?.autoscale);

/** V8 flags of an app (deploy/docker/app-node-options.json), e.g. the exporter's heap cap. */
function nodeOptionsEnv(app: string): { name: string; value: string }[] {
  const options = (AppNodeOptions as Record<string, string>)[app];
  return options ? [{ name: 'NODE_OPTIONS', value: options }] : [];
}
