/**
 * Debian's `fasttext` command line (fastText 0.9.2, package `fasttext`): how to find it and how BlazingText's
 * supervised-mode hyperparameters map onto its `supervised` options.
 *
 * Mapping (BlazingText name → fastText option; names from the BlazingText hyperparameters page,
 * https://docs.aws.amazon.com/sagemaker/latest/dg/blazingtext_hyperparameters.html, options from `fasttext
 * supervised`'s usage text): epochs → -epoch, learning_rate → -lr, word_ngrams → -wordNgrams, vector_dim → -dim,
 * min_count → -minCount, buckets → -bucket. BlazingText's defaults are sent explicitly because fastText's differ
 * (fastText: lr 0.1, dim 100, wordNgrams 1, minCount 1). `-loss softmax` is fastText's supervised default, written
 * out so a later fastText default cannot change the model. early_stopping, patience and min_epochs have no fastText
 * option: the local trainer trains the full `epochs` and says so in its result.
 */
import { checkBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import type { RawBlazingTextHyperparameters } from '../../core/training/blazingtext-hyperparameters.js';
import { FastTextHyperparameterError } from './errors.js';

/** The command run when no other is given. */
export const DEFAULT_FASTTEXT_BINARY = 'fasttext';

/** The options of `fasttext supervised` for a checked BlazingText set, plus what the CLI cannot honour. */
export interface SupervisedArguments {
  readonly args: readonly string[];
  /** BlazingText hyperparameters set to a non-default value that fastText has no option for. */
  readonly notApplied: readonly string[];
}

/**
 * `fasttext supervised` arguments for one training: input and output paths, the mapped hyperparameters, the thread
 * count and a fixed seed (fastText is reproducible with one thread and the same seed).
 * @throws FastTextHyperparameterError listing every problem of the set
 */
export function supervisedArguments(
  hyperparameters: RawBlazingTextHyperparameters,
  paths: { input: string; outputPrefix: string },
  options: { threads: number; seed?: number; hasValidationChannel?: boolean },
): SupervisedArguments {
  const check = checkBlazingTextHyperparameters(hyperparameters, options.hasValidationChannel ?? true);
  if (check.problems.length > 0) throw new FastTextHyperparameterError(`Invalid BlazingText hyperparameters: ${check.problems.join('; ')}`);
  const v = check.values;
  const value = (name: string): string => v[name] ?? '';
  const args = [
    'supervised',
    '-input', paths.input,
    '-output', paths.outputPrefix,
    '-epoch', value('epochs'),
    '-lr', value('learning_rate'),
    '-wordNgrams', value('word_ngrams'),
    '-dim', value('vector_dim'),
    '-minCount', value('min_count'),
    '-bucket', value('buckets'),
    '-loss', 'softmax',
    '-thread', String(options.threads),
    '-seed', String(options.seed ?? 0),
    '-verbose', '0',
  ];
  const notApplied = v['early_stopping'] === 'True' ? ['early_stopping', 'patience', 'min_epochs'] : [];
  return { args, notApplied };
}
