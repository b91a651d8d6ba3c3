/** The bucket name the local lake uses: `<lake>/lake/<key>`, as `s3://lake/<key>` would be. */
export const LOCAL_LAKE_BUCKET = 'lake';

/** Names of the local catalog's database and crawlers (in AWS they come from the stage). */
export const LOCAL_NAMES = { database: 'sluice_local', crawlerPrefix: 'sluice-local-', workgroupPrefix: 'sluice-local-' } as const;

/** Local endpoints are `sluice-local-<pipeline>`. */
export const LOCAL_ENDPOINT_PREFIX = 'sluice-local-';
