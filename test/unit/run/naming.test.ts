import { tableName } from '../../../core/run/naming.js';
import { pipelineSpecSchema } from '../../../core/spec/schema.js';

/** Athena's rule for table names: lowercase letters, digits and `_`, the only special character it supports. */
const ATHENA_TABLE = /^[a-z_][a-z0-9_]*$/;

describe('naming', () => {
  describe('tableName', () => {
    it('turns dashes into underscores when the pipeline name has dashes', () => {
      // Act
      const name = tableName('customer-lifetime-value');

      // Assess
      expect(name).toBe('customer_lifetime_value');
    });

    it('keeps the name when it has no dash', () => {
      // Act / Assess
      expect(tableName('churn')).toBe('churn');
    });

    it.each(['churn', 'churn-v2', 'a-b-c-1', 'x0-'])('gives a name Athena accepts when the spec accepts the pipeline name %s', (pipeline) => {
      // Prepare
      const accepted = pipelineSpecSchema.shape.name.safeParse(pipeline).success;

      // Act
      const name = tableName(pipeline);

      // Assess
      expect(accepted).toBe(true);
      expect(name).toMatch(ATHENA_TABLE);
    });
  });
});
