import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PipelineSpecError } from '../../../core/errors.js';
import { specFrom } from '../../support/spec-fixtures.js';

const CONTRACT = `
name: orders
source: { format: csv }
contract:
  columns:
    - { name: id, type: integer }
    - { name: status, type: string }
    - { name: amount, type: double }
features: {}
`;

describe('scoring section', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'scoring-rules-'));
    writeFileSync(path.join(dir, 'features.sql'), "SELECT IF(status = 'open', 1, 0) AS label, amount FROM orders");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('id columns', () => {
    it('loads a spec whose id columns are contract columns when they are declared', () => {
      // Act
      const spec = specFrom(`${CONTRACT}scoring: { idColumns: [id] }\n`, dir);

      // Assess
      expect(spec.scoring?.idColumns).toEqual(['id']);
    });

    it('refuses an id that is not a contract column, source_row, or the label column, naming each, when the spec loads', () => {
      // Act
      const load = () => specFrom(`${CONTRACT}scoring: { idColumns: [customer, source_row, status] }\n`, dir);

      // Assess
      expect(load).toThrow(PipelineSpecError);
      expect(load).toThrow(/scoring\.idColumns\.0: "customer" is not a column of the contract/);
      expect(load).toThrow(/scoring\.idColumns\.1: "source_row" is added to every prediction already/);
      expect(load).toThrow(/scoring\.idColumns\.2: "status" is the label's column/);
    });
  });
});
