import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { connect } from 'nats';
import { parseAllDocuments, parse } from 'yaml';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { AppNames, subjectsHandledBy, Contracts } from '@lib/contracts';
import { Streams } from '@lib/jetstream';
import {
  createMigratedTestDatabase,
  startNatsServer,
  startServiceUnderTest,
  type NatsServerHandle,
  type TestDatabase,
} from '@lib/testing';
import { JanitorConfigSchema } from '../../apps/janitor/src/config';
import { JanitorModule } from '../../apps/janitor/src/janitor.module';
import { PollerConfigSchema } from '../../apps/poller/src/config';
import { PollerModule } from '../../apps/poller/src/poller.module';
import nestCli from '../../nest-cli.json';
import { consumersOf, K8sDirectory, WorkerApps } from '../../tools/deploy/manifests';

type Document = { apiVersion: string; kind: string; metadata?: { name?: string }; [key: string]: unknown };

const Validators: Record<string, (doc: Document) => void> = {
  Deployment: (doc) => new Deployment(doc as never).validate(),
  Service: (doc) => new Service(doc as never).validate(),
  PodDisruptionBudget: (doc) => new PodDisruptionBudget(doc as never).validate(),
  ConfigMap: (doc) => new ConfigMap(doc as never).validate(),
  Job: (doc) => new Job(doc as never).validate(),
  Namespace: (doc) => new Namespace(doc as never).validate(),
  ScaledObject: (doc) => new ScaledObject(doc as never).validate(),
};

function yamlFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return path.endsWith('.yaml') ? [path] : [];
  });
}

/** The Kubernetes resources of base/ and the overlays (the NATS chart values and Prometheus config are not). */
function manifests(): { file: string; doc: Document }[] {
  return ['base', 'overlays']
    .flatMap((dir) => yamlFiles(join(K8sDirectory, dir)))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8')).map((d) => ({
        file: relative(K8sDirectory, file),
        doc: d.toJSON() as Document,
      })),
    );
}

const byKind = (kind: string) => manifests().filter(({ doc }) => doc.kind === kind);

describe('deployment manifests (deploy/k8s)', () => {
  it('are what `npm run deploy:generate` writes from the contracts today', () => {
    // In a child process: the generator formats with prettier, whose plugins load by dynamic import.
    const check = spawnSync(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin'),
        '--transpile-only',
        '-r',
        'tsconfig-paths/register',
        'tools/deploy/generate.ts',
        '--check',
      ],
      { cwd: join(K8sDirectory, '../..'), encoding: 'utf8' },
    );
    expect({ status: check.status, stderr: check.stderr }).toEqual({ status: 0, stderr: '' });
  }, 60_000);

  it('validate against the Kubernetes and KEDA schemas', () => {
    const all = manifests();
    expect(all.length).toBeGreaterThan(20);
    for (const { file, doc } of all) {
      if (doc.kind === 'Kustomization') continue;
      const validate = Validators[doc.kind];
      if (!validate) throw new Error(`${file}: no schema check for kind ${doc.kind}`);
      try {
        validate(doc);
      } catch (error) {
        throw new Error(`${file} (${doc.kind} ${doc.metadata?.name}): ${(error as Error).message}`);
      }
    }
  });

  it('give every app of nest-cli.json a Deployment with probes, a drain-long grace period and a budget', () => {
    const apps = Object.entries(nestCli.projects)
      .filter(([, project]) => project.type === 'application')
      .map(([name]) => name)
      .sort();
    expect([...AppNames].sort()).toEqual(apps);
    const deployments = byKind('Deployment').map(({ doc }) => doc as unknown as Deployment);
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual(apps);
    for (const deployment of deployments) {
      const pod = deployment.spec!.template.spec!;
      const container = pod.containers[0];
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      const grace = Number(
        (byKind('ConfigMap')[0].doc as unknown as ConfigMap).data?.SHUTDOWN_GRACE_MS ?? Number.NaN,
      );
      expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(grace);
    }
    expect(
      byKind('PodDisruptionBudget')
        .map(({ doc }) => doc.metadata?.name)
        .sort(),
    ).toEqual(apps);
    expect(byKind('Job').map(({ doc }) => doc.metadata?.name)).toEqual(['db-migrate']);
  });

  it('scale every worker app on exactly the durable consumers of its subjects; the scheduler is not autoscaled', () => {
    const scaled = new Map(
      byKind('ScaledObject')
        .filter(({ file }) => file.startsWith('base/'))
        .map(({ doc }) => [doc.metadata!.name!, doc as unknown as ScaledObject]),
    );
    const consuming = AppNames.filter((app) => subjectsHandledBy(Contracts, app).length > 0);
    expect([...scaled.keys()].sort()).toEqual(consuming.filter((app) => WorkerApps.includes(app)).sort());
    expect(scaled.has('scheduler')).toBe(false);
    for (const [app, scaler] of scaled) {
      const triggers = scaler.spec.triggers.map((t) => `${t.metadata.stream}/${t.metadata.consumer}`).sort();
      expect(triggers).toEqual(
        consumersOf(app)
          .map((c) => `${c.stream}/${c.consumer}`)
          .sort(),
      );
      for (const trigger of scaler.spec.triggers) {
        expect(trigger.type).toBe('nats-jetstream');
        expect(Number(trigger.metadata.lagThreshold)).toBeGreaterThan(0);
      }
    }
  });

  it('name in each overlay only files and patch targets that exist', () => {
    for (const overlay of ['local', 'production']) {
      const dir = join(K8sDirectory, 'overlays', overlay);
      const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as {
        resources: string[];
        patches?: { target: { kind: string; name: string } }[];
      };
      for (const resource of kustomization.resources)
        expect(statSync(join(dir, resource)).isFile() || statSync(join(dir, resource)).isDirectory()).toBe(
          true,
        );
      for (const patch of kustomization.patches ?? []) {
        expect(byKind(patch.target.kind).some(({ doc }) => doc.metadata?.name === patch.target.name)).toBe(
          true,
        );
      }
    }
  });

  it('leave the compose services scalable: no container names, no host ports on worker apps', () => {
    const compose = parse(readFileSync(join(K8sDirectory, '../../docker-compose.yml'), 'utf8')) as {
      services: Record<string, { container_name?: string; ports?: unknown[] }>;
    };
    for (const app of AppNames) {
      const service = compose.services[app];
      expect(service).toBeDefined();
      expect(service.container_name).toBeUndefined();
      if (app !== 'dashboard') expect(service.ports ?? []).toEqual([]);
    }
  });

  describe('against the runtime', () => {
    let nats: NatsServerHandle;
    let database: TestDatabase;

    beforeAll(async () => {
      [nats, database] = await Promise.all([startNatsServer(), createMigratedTestDatabase()]);
    });

    afterAll(async () => {
      await nats?.cleanup();
      await database?.drop();
    });

    it.each([
      ['poller', PollerModule, PollerConfigSchema],
      ['janitor', JanitorModule, JanitorConfigSchema],
    ] as const)(
      '%s provisions exactly the consumers its ScaledObject watches',
      async (app, module, configSchema) => {
        const service = await startServiceUnderTest({
          name: app,
          module,
          configSchema,
          natsUrl: nats.url,
          databaseUrl: database.url,
        });
        const nc = await connect({ servers: nats.url });
        try {
          const jsm = await nc.jetstreamManager();
          const provisioned: string[] = [];
          for (const stream of [Streams.events.name, Streams.jobs.name]) {
            for (const info of await jsm.consumers.list(stream).next()) {
              if (info.name.startsWith(`${app}__`)) provisioned.push(`${stream}/${info.name}`);
            }
          }
          expect(provisioned.sort()).toEqual(
            consumersOf(app)
              .map((c) => `${c.stream}/${c.consumer}`)
              .sort(),
          );
        } finally {
          await nc.close();
          await service.stop();
        }
      },
    );
  });
});
