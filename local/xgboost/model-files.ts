/**
 * The names of a trained model's files, as SageMaker's XGBoost `1.7-1` container writes them: `model.tar.gz` holding
 * one file, `xgboost-model`. Apart from model-archive.ts (which loads tar) so that a training worker, which hands its
 * model's bytes to the run's thread to archive (training-session.ts), can name the archive without loading tar.
 */

/** The name of the model file inside the archive (the container's `MODEL_NAME`). */
export const MODEL_FILE_NAME = 'xgboost-model';

/** The archive SageMaker uploads to the job's output path. */
export const MODEL_ARCHIVE_NAME = 'model.tar.gz';
