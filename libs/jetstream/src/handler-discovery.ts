import { Injectable, SetMetadata } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
} from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ExternalContextCreator } from '@nestjs/core/helpers/external-context-creator';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import {
  PARAM_ARGS_METADATA,
  PATTERN_HANDLER_METADATA,
  PATTERN_METADATA,
} from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum';
import { RpcParamsFactory } from '@nestjs/microservices/factories/rpc-params-factory';
import type { JobContext } from './job-context';
import type { JobHandler } from './job-handler';

const ON_EXHAUSTED_METADATA = 'jetstream:on-exhausted';

/** Marks the method called once when a job of `subject` has used its last attempt (e.g. mark an import failed). */
export const OnExhausted = (subject: string): MethodDecorator => SetMetadata(ON_EXHAUSTED_METADATA, subject);

type Method = (...args: unknown[]) => unknown;
type ExhaustedHook = NonNullable<JobHandler['onExhausted']>;
interface ParamMetadata {
  index: number;
  data?: unknown;
  pipes?: unknown[];
}

/**
 * Finds `@EventPattern(subject)` methods on controllers and providers and turns each into a JobHandler.
 * A handler without guards, interceptors, pipes or filters is called directly (Nest's chain costs a fifth of
 * the throughput); one with any of them runs through Nest's chain, so none is ever skipped. The chain is
 * built without Nest's RPC exception filter, which would replace every error by "Internal server error" and
 * hide whether it was an UnrecoverableError, a RetryLaterError or a plain failure.
 */
@Injectable()
export class JobHandlerExplorer {
  private readonly paramsFactory = new RpcParamsFactory();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contextCreator: ExternalContextCreator,
  ) {}

  explore(globalEnhancers: boolean): Map<string, JobHandler[]> {
    const handlers = new Map<string, JobHandler[]>();
    const hooks = new Map<string, ExhaustedHook>();
    const seen = new Set<object>();
    const controllers = new Set(this.discovery.getControllers());
    for (const wrapper of [...controllers, ...this.discovery.getProviders()]) {
      const instance = wrapper.instance as Record<string, Method> | undefined;
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = instance[methodName];
        const exhaustedSubject = Reflect.getMetadata(ON_EXHAUSTED_METADATA, method) as string | undefined;
        if (exhaustedSubject)
          hooks.set(exhaustedSubject, (payload, error, ctx) => method.call(instance, payload, error, ctx));
        const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
        if (!patterns) continue;
        const location = `${instance.constructor.name}.${methodName}`;
        assertUsable(wrapper, method, location, patterns);
        const invoke = this.invoker(
          instance,
          methodName,
          globalEnhancers,
          controllers.has(wrapper) ? location : null,
        );
        for (const subject of patterns as string[]) {
          const list = handlers.get(subject) ?? [];
          list.push({ location, invoke });
          handlers.set(subject, list);
        }
      }
    }
    for (const [subject, hook] of hooks) {
      const list = handlers.get(subject);
      if (!list)
        throw new Error(`@OnExhausted('${subject}') has no @EventPattern('${subject}') handler beside it`);
      for (const handler of list) handler.onExhausted = hook;
    }
    return handlers;
  }

  private invoker(
    instance: Record<string, Method>,
    methodName: string,
    globalEnhancers: boolean,
    controllerLocation: string | null,
  ): JobHandler['invoke'] {
    const method = instance[methodName];
    const params = (Reflect.getMetadata(PARAM_ARGS_METADATA, instance.constructor, methodName) ??
      {}) as Record<string, ParamMetadata>;
    const paramList = Object.entries(params).map(([key, meta]) => ({
      type: Number(key.split(':')[0]),
      ...meta,
    }));
    const needsChain =
      globalEnhancers ||
      hasEnhancers(instance.constructor) ||
      hasEnhancers(method) ||
      paramList.some((p) => (p.pipes?.length ?? 0) > 0 || p.data !== undefined);
    if (needsChain) {
      if (controllerLocation) {
        // Nest resolves enhancers of externally called methods from the providers of their module only.
        throw new Error(
          `${controllerLocation} has guards, pipes, interceptors or filters: declare its class as a provider, not a controller`,
        );
      }
      const chain = this.contextCreator.create(
        instance,
        method,
        methodName,
        PARAM_ARGS_METADATA,
        this.paramsFactory as never,
        undefined,
        undefined,
        { guards: true, interceptors: true, filters: true },
        'rpc',
      ) as (payload: unknown, ctx: JobContext) => unknown;
      return (payload, ctx) => chain(payload, ctx);
    }
    if (paramList.length === 0) return (payload, ctx) => method.call(instance, payload, ctx);
    const arity = Math.max(...paramList.map((p) => p.index)) + 1;
    const slots = new Array<'payload' | 'context' | null>(arity).fill(null);
    for (const p of paramList) slots[p.index] = p.type === RpcParamtype.CONTEXT ? 'context' : 'payload';
    return (payload, ctx) =>
      method.apply(
        instance,
        slots.map((slot) => (slot === 'context' ? ctx : slot === 'payload' ? payload : undefined)),
      );
  }
}

function hasEnhancers(target: object): boolean {
  return [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA].some(
    (key) => ((Reflect.getMetadata(key, target) as unknown[] | undefined)?.length ?? 0) > 0,
  );
}

function assertUsable(wrapper: InstanceWrapper, method: Method, location: string, patterns: unknown[]): void {
  if (Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) === PatternHandler.MESSAGE) {
    throw new Error(`${location} uses @MessagePattern; jobs and events are handled with @EventPattern`);
  }
  if (!wrapper.isDependencyTreeStatic()) {
    throw new Error(`${location} is request-scoped; job handlers must be singletons`);
  }
  for (const pattern of patterns) {
    if (typeof pattern !== 'string')
      throw new Error(`${location}: patterns must be contract subjects (strings)`);
  }
}
