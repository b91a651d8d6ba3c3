/**
 * SageMaker BlazingText in text classification (`supervised`) mode: its hyperparameters (names, types, defaults,
 * valid values), the ranges a tuning job may search, its one objective metric, and the instances it trains on.
 * Runtime-free: the spec loader, the SageMaker trainer adapter and the local fastText trainer share these rules.
 *
 * Sources (SageMaker developer guide, read from awsdocs/amazon-sagemaker-developer-guide):
 * - "BlazingText Hyperparameters" > "Text Classification Hyperparameters"
 *   (https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext_hyperparameters.html, doc_source at commit
 *   2b764d938b7540772ce41bdc8e06c491f64bf508): `mode` (required, `supervised`), `buckets` (positive integer,
 *   2000000), `early_stopping` ((Boolean) True or False, False; "a validation channel is required" when it is used),
 *   `epochs` (positive integer, 5), `learning_rate` (positive float, 0.05), `min_count` (non-negative integer, 5),
 *   `min_epochs` (positive integer, 5), `patience` (positive integer, 4; "used only when early_stopping is True"),
 *   `vector_dim` (positive integer, 100), `word_ngrams` (positive integer, 2).
 * - "Tune a BlazingText Model" (https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext-tuning.html): supervised
 *   mode reports one metric, `validation:accuracy`, "The classification accuracy on the user-specified validation
 *   dataset", Maximize; recommended ranges: buckets [1000000-10000000], epochs [5-15], learning_rate 0.005-0.01,
 *   min_count [0-100], mode ['supervised'], vector_dim [32-300], word_ngrams [1-3].
 * - "BlazingText algorithm" (https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext.html): supervised mode runs
 *   on a single CPU instance or a single GPU instance ("supervised with one GPU"); "a C5 instance is recommended if
 *   the training dataset is less than 2 GB. For larger datasets, use an instance with a single GPU. BlazingText
 *   supports P2, P3, G4dn, and G5 instances"; "training on multi-GPU will not produce binaries". "Common parameters
 *   for built-in algorithms": BlazingText is not parallelizable (one instance).
 */
import type { TuningRange } from './tuning-ranges.js';

/** Hyperparameters as a spec or a training request carries them. */
export type RawBlazingTextHyperparameters = Readonly<Record<string, string | number | boolean>>;

/** What one hyperparameter accepts. */
export type BlazingTextRule =
  | { readonly kind: 'positive-int' }
  | { readonly kind: 'non-negative-int' }
  | { readonly kind: 'positive-float' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'mode' };

/** One supervised-mode hyperparameter: its rule and documented default (undefined for the required `mode`). */
export interface BlazingTextHyperparameter {
  readonly rule: BlazingTextRule;
  readonly default: string | undefined;
}

/** Every supervised-mode hyperparameter, as documented. */
export const BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS: Readonly<Record<string, BlazingTextHyperparameter>> = Object.freeze({
  mode: { rule: { kind: 'mode' }, default: undefined },
  buckets: { rule: { kind: 'positive-int' }, default: '2000000' },
  early_stopping: { rule: { kind: 'boolean' }, default: 'False' },
  epochs: { rule: { kind: 'positive-int' }, default: '5' },
  learning_rate: { rule: { kind: 'positive-float' }, default: '0.05' },
  min_count: { rule: { kind: 'non-negative-int' }, default: '5' },
  min_epochs: { rule: { kind: 'positive-int' }, default: '5' },
  patience: { rule: { kind: 'positive-int' }, default: '4' },
  vector_dim: { rule: { kind: 'positive-int' }, default: '100' },
  word_ngrams: { rule: { kind: 'positive-int' }, default: '2' },
});

/** The one metric BlazingText supervised mode reports, and the tuning objective. */
export const BLAZINGTEXT_OBJECTIVE = Object.freeze({ metric: 'validation:accuracy', direction: 'Maximize' } as const);

/** The documented recommended tuning ranges for text classification. */
export const BLAZINGTEXT_TUNING_RANGES: Readonly<Record<string, TuningRange>> = Object.freeze({
  buckets: { type: 'integer', min: 1_000_000, max: 10_000_000, scaling: 'Auto' },
  epochs: { type: 'integer', min: 5, max: 15, scaling: 'Auto' },
  learning_rate: { type: 'continuous', min: 0.005, max: 0.01, scaling: 'Auto' },
  min_count: { type: 'integer', min: 0, max: 100, scaling: 'Auto' },
  mode: { type: 'categorical', values: ['supervised'] },
  vector_dim: { type: 'integer', min: 32, max: 300, scaling: 'Auto' },
  word_ngrams: { type: 'integer', min: 1, max: 3, scaling: 'Auto' },
});

/** Instance families supervised mode trains on: C5 (CPU, recommended under 2 GB) and the documented GPU families. */
export const BLAZINGTEXT_SUPERVISED_INSTANCE_FAMILIES: readonly string[] = Object.freeze(['c5', 'p2', 'p3', 'g4dn', 'g5']);

/** A checked set: every documented hyperparameter with its value (the given one or the default), as strings. */
export interface BlazingTextCheck {
  readonly values: Readonly<Record<string, string>>;
  /** One sentence per problem, naming the hyperparameter. */
  readonly problems: readonly string[];
}

/**
 * Checks a supervised-mode set as the documentation states it and fills the defaults.
 * `hasValidationChannel` false refuses `early_stopping: True` (the documentation requires the channel then).
 */
export function checkBlazingTextHyperparameters(raw: RawBlazingTextHyperparameters, hasValidationChannel = true): BlazingTextCheck {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    const spec = Object.hasOwn(BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS, name) ? BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS[name] : undefined;
    if (spec === undefined) {
      problems.push(`"${name}" is not a BlazingText supervised-mode hyperparameter (known: ${Object.keys(BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS).join(', ')})`);
      continue;
    }
    const parsed = parseValue(name, spec.rule, String(value));
    if (typeof parsed === 'string') values[name] = parsed;
    else problems.push(parsed.problem);
  }
  if (!('mode' in raw)) problems.push('"mode" is required: set mode: supervised (Sluice trains BlazingText text classifiers only)');
  for (const [name, spec] of Object.entries(BLAZINGTEXT_SUPERVISED_HYPERPARAMETERS)) {
    if (!(name in values) && spec.default !== undefined && !problems.some((p) => p.startsWith(`"${name}"`))) values[name] = spec.default;
  }
  if (values['early_stopping'] === 'True' && !hasValidationChannel) {
    problems.push('"early_stopping" is True but the job has no validation channel: BlazingText requires one to stop early');
  }
  return { values, problems };
}

/**
 * Whether supervised mode trains on `instanceType` with `instanceCount` instances; a sentence saying why not, or
 * undefined when it does.
 */
export function blazingTextInstanceProblem(instanceType: string, instanceCount: number): string | undefined {
  const family = /^ml\.([a-z0-9]+)\.[a-z0-9]+$/.exec(instanceType)?.[1];
  if (family === undefined || !BLAZINGTEXT_SUPERVISED_INSTANCE_FAMILIES.includes(family)) {
    return `BlazingText supervised mode does not train on ${instanceType}: use a C5 instance (training data under 2 GB) or a single-GPU P2, P3, G4dn or G5 instance`;
  }
  if (instanceCount !== 1) return `BlazingText supervised mode trains on one instance, not ${instanceCount}: it is not parallelizable`;
  return undefined;
}

function parseValue(name: string, rule: BlazingTextRule, text: string): string | { problem: string } {
  switch (rule.kind) {
    case 'mode':
      return text === 'supervised'
        ? text
        : { problem: `"mode" must be supervised, got "${text}" (the Word2Vec modes batch_skipgram, skipgram and cbow do not classify text)` };
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true') return 'True';
      if (lower === 'false') return 'False';
      return { problem: `"${name}" must be True or False, got "${text}"` };
    }
    case 'positive-float': {
      const value = Number(text);
      return text.trim() !== '' && Number.isFinite(value) && value > 0 ? text : { problem: `"${name}" must be a positive number, got "${text}"` };
    }
    case 'positive-int':
    case 'non-negative-int': {
      const value = Number(text);
      const min = rule.kind === 'positive-int' ? 1 : 0;
      return /^\d+$/.test(text) && Number.isSafeInteger(value) && value >= min
        ? String(value)
        : { problem: `"${name}" must be ${rule.kind === 'positive-int' ? 'a positive' : 'a non-negative'} integer, got "${text}"` };
    }
  }
}
