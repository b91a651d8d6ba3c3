/**
 * The endpoint's current model, swapped without dropping requests. A request takes a lease on the model that is
 * current when it arrives and predicts with that model even if a new one is installed while its body is still
 * arriving; a replaced model is freed when its last lease is released.
 *
 * JavaScript runs one piece of code at a time, so installing is a plain assignment: no request can see half a swap.
 */
import type { XgboostModel } from '../xgboost/model.js';
import type { TextServingModel } from './text-model.js';

/** A model the endpoint serves: XGBoost (in-process, synchronous) or text (a fastText predictor process). */
export type SlotModel = XgboostModel | TextServingModel;

/** Whether a slot model is a text model (XGBoost models carry no `kind`). */
export function isTextModel(model: SlotModel): model is TextServingModel {
  return 'kind' in model && model.kind === 'text';
}

/** What the endpoint tells about a loaded model (`GET /ping` returns it). */
export interface ModelInfo {
  /** `version` of the pointer file it was loaded from; undefined when served from an artifact path directly. */
  readonly version: number | undefined;
  /** The `model.tar.gz` (or bare model file) it was loaded from. */
  readonly modelArtifact: string;
  /** ISO-8601 time it was installed. */
  readonly loadedAt: string;
  /** XGBoost's objective, or `blazingtext:supervised` for a text model. */
  readonly objective: string;
  /** Features per row (0 for a text model, which takes text). */
  readonly numFeatures: number;
  readonly numClass: number;
}

/** Describes a model just loaded from `modelArtifact` (pointer `version`, if any). */
export function modelInfo(model: SlotModel, version: number | undefined, modelArtifact: string): ModelInfo {
  const loadedAt = new Date().toISOString();
  if (isTextModel(model)) return { version, modelArtifact, loadedAt, objective: TEXT_OBJECTIVE, numFeatures: 0, numClass: 0 };
  return {
    version,
    modelArtifact,
    loadedAt,
    objective: model.objective,
    numFeatures: model.numFeatures,
    numClass: model.numClass,
  };
}

/** What `GET /ping` reports as the objective of a text model (BlazingText's supervised mode). */
export const TEXT_OBJECTIVE = 'blazingtext:supervised';

/** A request's hold on a model. Release it exactly once, when the response is done (extra calls are ignored). */
export interface ModelLease {
  readonly model: SlotModel;
  readonly info: ModelInfo;
  release(): void;
}

interface Entry {
  readonly model: SlotModel;
  readonly info: ModelInfo;
  leases: number;
  retired: boolean;
}

/**
 * One request's lease: a small class rather than an object literal with a `release` closure, so that taking a lease
 * on the endpoint's hot path allocates one object and no function.
 */
class Lease implements ModelLease {
  private released = false;

  public constructor(
    private readonly entry: Entry,
    private readonly onRelease: (entry: Entry) => void,
  ) {}

  public get model(): SlotModel {
    return this.entry.model;
  }

  public get info(): ModelInfo {
    return this.entry.info;
  }

  public release(): void {
    if (this.released) return;
    this.released = true;
    this.entry.leases--;
    this.onRelease(this.entry);
  }
}

/** Holds the current model and the replaced ones still in use. */
export class ModelSlot {
  private current: Entry | undefined;
  private readonly live = new Set<Entry>();
  /** What every lease calls on release: made once per slot, not per lease. */
  private readonly released = (entry: Entry): void => this.freeIfUnused(entry);

  /**
   * @param onFreed called after a replaced (or closed) model has been freed (a text model's predictor process is then
   * stopping; its `closed` promise settles once the process has exited)
   */
  public constructor(private readonly onFreed: (info: ModelInfo, model: SlotModel) => void = () => undefined) {}

  /** The current model's description, if any. */
  public get info(): ModelInfo | undefined {
    return this.current?.info;
  }

  /** Models in native memory: the current one plus replaced ones that requests still hold. */
  public get loadedModels(): number {
    return this.live.size;
  }

  /** Leases held on all models. */
  public get activeLeases(): number {
    let total = 0;
    for (const entry of this.live) total += entry.leases;
    return total;
  }

  /** A lease on the current model, or undefined when none is loaded. */
  public acquire(): ModelLease | undefined {
    const entry = this.current;
    if (entry === undefined) return undefined;
    entry.leases++;
    return new Lease(entry, this.released);
  }

  /** Makes `model` current; the previous one is freed now if unused, else when its last lease is released. */
  public install(model: SlotModel, info: ModelInfo): ModelInfo | undefined {
    const entry: Entry = { model, info, leases: 0, retired: false };
    const previous = this.current;
    this.live.add(entry);
    this.current = entry;
    if (previous !== undefined) this.retire(previous);
    return previous?.info;
  }

  /** Retires the current model (freed once unused); the slot is then empty. */
  public clear(): void {
    const previous = this.current;
    this.current = undefined;
    if (previous !== undefined) this.retire(previous);
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    this.freeIfUnused(entry);
  }

  private freeIfUnused(entry: Entry): void {
    if (!entry.retired || entry.leases > 0 || !this.live.has(entry)) return;
    this.live.delete(entry);
    entry.model.free();
    this.onFreed(entry.info, entry.model);
  }
}
