import {
  formatPredictions,
  formatPythonFloat,
  negotiateAccept,
  parseContentType,
  parseCsvFeatures,
  parseFeatures,
  parseJsonFeatures,
  MAX_REQUEST_VALUES,
} from '../../../local/serving/contract.js';
import { NotAcceptableError, PayloadFormatError, RequestLimitError, UnsupportedContentTypeError } from '../../../local/serving/errors.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const rowsOf = (values: Float32Array, nCols: number): number[][] =>
  Array.from({ length: values.length / nCols }, (_, r) => Array.from(values.subarray(r * nCols, (r + 1) * nCols)));

describe('parseContentType', () => {
  describe('CSV content types', () => {
    it.each(['text/csv', 'csv', 'TEXT/CSV', 'text/csv; charset=utf-8', 'text/csv;label_size = 1', 'text/csv; label_size=1; charset=utf-8'])(
      'reads CSV when the header is %p',
      (header) => {
        // Prepare: header given by the table

        // Act
        const format = parseContentType(header);

        // Assess
        expect(format).toBe('csv');
      },
    );

    it('reads CSV when no Content-Type is sent', () => {
      // Prepare
      const header = undefined;

      // Act
      const format = parseContentType(header);

      // Assess
      expect(format).toBe('csv');
    });

    it('refuses with 415 when label_size is not 1', () => {
      // Prepare
      const header = 'text/csv; label_size=5';

      // Act
      const act = (): unknown => parseContentType(header);

      // Assess
      expect(act).toThrow(UnsupportedContentTypeError);
      expect(act).toThrow(/label_size must be equal to 1/);
    });
  });

  describe('other content types', () => {
    it('reads JSON when the header is application/json', () => {
      // Prepare
      const header = 'application/json; charset=utf-8';

      // Act
      const format = parseContentType(header);

      // Assess
      expect(format).toBe('json');
    });

    it.each(['text/libsvm', 'text/x-libsvm', 'application/x-recordio-protobuf'])(
      'refuses %p with 415 naming it a container-only type',
      (header) => {
        // Prepare: header given by the table

        // Act
        const act = (): unknown => parseContentType(header);

        // Assess
        expect(act).toThrow(UnsupportedContentTypeError);
        expect(act).toThrow(/read by SageMaker's XGBoost container but not by the local endpoint/);
      },
    );

    it('refuses with status 415 when the type is unknown', () => {
      // Prepare
      const header = 'image/png';

      // Act
      let error: unknown;
      try {
        parseContentType(header);
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(UnsupportedContentTypeError);
      expect((error as UnsupportedContentTypeError).statusCode).toBe(415);
      expect((error as UnsupportedContentTypeError).name).toBe('UnsupportedContentTypeError');
    });
  });
});

describe('negotiateAccept', () => {
  describe('a supported or absent Accept', () => {
    it.each([
      [undefined, 'text/csv'],
      ['', 'text/csv'],
      ['*/*', 'text/csv'],
      ['text/csv', 'text/csv'],
      ['application/json', 'application/json'],
      ['APPLICATION/JSON; q=0.9', 'application/json'],
      ['application/jsonlines, application/json', 'application/json'],
      ['text/*', 'text/csv'],
    ] as const)('answers %p with %p', (header, expected) => {
      // Prepare: header given by the table

      // Act
      const format = negotiateAccept(header);

      // Assess
      expect(format).toBe(expected);
    });

    it('uses the configured default when Accept is */*', () => {
      // Prepare
      const header = '*/*';

      // Act
      const format = negotiateAccept(header, 'application/json');

      // Assess
      expect(format).toBe('application/json');
    });
  });

  describe('an unsupported Accept', () => {
    it('refuses with 406 and explains selectable inference when asked for jsonlines', () => {
      // Prepare
      const header = 'application/jsonlines';

      // Act
      const act = (): unknown => negotiateAccept(header);

      // Assess
      expect(act).toThrow(NotAcceptableError);
      expect(act).toThrow(/SAGEMAKER_INFERENCE_OUTPUT/);
    });

    it('refuses with 406 when asked for an unknown type', () => {
      // Prepare
      const header = 'application/xml';

      // Act
      let error: unknown;
      try {
        negotiateAccept(header);
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect((error as NotAcceptableError).statusCode).toBe(406);
      expect((error as Error).message).toContain('application/xml');
    });
  });
});

describe('parseCsvFeatures', () => {
  describe('well-formed rows', () => {
    it('reads rows and columns when lines end with CRLF and the body has surrounding blank lines', () => {
      // Prepare
      const body = bytes('\n 1.5,16.0,14,23.0\r\n-2,0.25,1e3,-4.5E-2\r\n\n');

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(matrix.nRows).toBe(2);
      expect(matrix.nCols).toBe(4);
      expect(rowsOf(matrix.values, 4)).toEqual([
        [1.5, 16, 14, 23],
        [-2, 0.25, 1000, Math.fround(-0.045)],
      ]);
    });

    it('reads missing values as NaN when fields are empty or nan', () => {
      // Prepare
      const body = bytes('1,,3\nnan, 2 ,NaN\n');

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(rowsOf(matrix.values, 3)).toEqual([
        [1, Number.NaN, 3],
        [Number.NaN, 2, Number.NaN],
      ]);
    });

    it('reads a trailing comma and a blank field as missing values when rows end early', () => {
      // Prepare
      const body = bytes('1,2,\n3,  ,4\r\n');

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(rowsOf(matrix.values, 3)).toEqual([
        [1, 2, Number.NaN],
        [3, Number.NaN, 4],
      ]);
    });

    it('grows its buffer and keeps every value when the body has many short fields', () => {
      // Prepare
      const row = Array.from({ length: 50 }, (_, j) => String(j % 10)).join(',');
      const body = bytes(Array.from({ length: 400 }, () => row).join('\n'));

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(matrix.nRows).toBe(400);
      expect(matrix.nCols).toBe(50);
      expect(matrix.values[399 * 50 + 49]).toBe(9);
      expect(matrix.values.reduce((sum, value) => sum + value, 0)).toBe(400 * 5 * 45);
    });

    it('rounds like Number() then float32 when values have many digits or extreme exponents', () => {
      // Prepare
      const texts = ['0.1', '123456789.123456789', '1e-30', '-7.0000001', '3.4028235e38', 'inf', '-Infinity'];
      const body = bytes(texts.join(','));

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(Array.from(matrix.values)).toEqual(
        texts.map((text) => Math.fround(text.toLowerCase().endsWith('inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text))),
      );
    });

    it('reads one row of one value when the body is a single number', () => {
      // Prepare
      const body = bytes('0.5');

      // Act
      const matrix = parseCsvFeatures(body);

      // Assess
      expect(matrix).toEqual({ values: new Float32Array([0.5]), nRows: 1, nCols: 1 });
    });
  });

  describe('malformed bodies', () => {
    it('names the line and column when a value is not a number', () => {
      // Prepare
      const body = bytes('1,2,3\n4,abc,6\n');

      // Act
      const act = (): unknown => parseCsvFeatures(body);

      // Assess
      expect(act).toThrow(PayloadFormatError);
      expect(act).toThrow('line 2, column 2 is not a number: "abc"');
    });

    it('hints at a header row when the first line holds names', () => {
      // Prepare
      const body = bytes('age,income\n1,2\n');

      // Act
      const act = (): unknown => parseCsvFeatures(body);

      // Assess
      expect(act).toThrow(/no header row/);
    });

    it('refuses ragged rows when a line has another number of fields', () => {
      // Prepare
      const body = bytes('1,2,3\n4,5\n');

      // Act
      const act = (): unknown => parseCsvFeatures(body);

      // Assess
      expect(act).toThrow('line 2 has 2 value(s), the first row has 3');
    });

    it('refuses with 415 when the body is only whitespace', () => {
      // Prepare
      const body = bytes(' \r\n\t\n');

      // Act
      let error: unknown;
      try {
        parseCsvFeatures(body);
      } catch (caught) {
        error = caught;
      }

      // Assess
      expect(error).toBeInstanceOf(PayloadFormatError);
      expect((error as PayloadFormatError).statusCode).toBe(415);
    });

    it.each(['1,"2",3', '0x10', '1e', '1.2.3', '+', '--1'])('refuses the field in %p', (text) => {
      // Prepare
      const body = bytes(text);

      // Act
      const act = (): unknown => parseCsvFeatures(body);

      // Assess
      expect(act).toThrow(PayloadFormatError);
    });
  });
});

describe('parseJsonFeatures', () => {
  describe('the shapes of the common inference format', () => {
    it.each([
      ['instances of features', { instances: [{ features: [1, 2] }, { features: [3, null] }] }],
      ['instances of data.features.values', { instances: [{ data: { features: { values: [1, 2] } } }, { data: { features: { values: [3, null] } } }] }],
      ['instances of arrays', { instances: [[1, 2], [3, null]] }],
      ['a bare array of rows', [[1, 2], [3, null]]],
    ])('reads two rows when the body is %s', (_shape, document) => {
      // Prepare
      const body = bytes(JSON.stringify(document));

      // Act
      const matrix = parseJsonFeatures(body);

      // Assess
      expect(matrix.nRows).toBe(2);
      expect(matrix.nCols).toBe(2);
      expect(rowsOf(matrix.values, 2)).toEqual([
        [1, 2],
        [3, Number.NaN],
      ]);
    });

    it('reads one row when the body is a single features object or a bare vector', () => {
      // Prepare
      const single = bytes('{"features": [0.5, 1.5]}');
      const vector = bytes('[0.5, 1.5]');

      // Act
      const fromObject = parseJsonFeatures(single);
      const fromVector = parseJsonFeatures(vector);

      // Assess
      expect(fromObject).toEqual({ values: new Float32Array([0.5, 1.5]), nRows: 1, nCols: 2 });
      expect(fromVector).toEqual(fromObject);
    });

    it('fills the absent features with NaN when a row is sparse with keys and shape', () => {
      // Prepare
      const body = bytes(JSON.stringify({ instances: [{ data: { features: { keys: [0, 3], values: [1.5, 2], shape: [4] } } }] }));

      // Act
      const matrix = parseJsonFeatures(body);

      // Assess
      expect(Array.from(matrix.values)).toEqual([1.5, Number.NaN, Number.NaN, 2]);
    });
  });

  describe('malformed bodies', () => {
    it.each([
      ['not JSON', '{"instances": [', /Loading json data failed/],
      ['a string value', '{"instances": [{"features": [1, "2"]}]}', 'instances[0].features[1] is not a number: "2"'],
      ['ragged rows', '{"instances": [[1, 2], [3]]}', 'instances[1] has 1 value(s), the first row has 2'],
      ['no rows', '{"instances": []}', 'the payload holds no rows'],
      ['an object of the wrong shape', '{"rows": [[1]]}', /expected \{"instances"/],
      ['a row of the wrong shape', '{"instances": [{"values": [1]}]}', 'instances[0] is not a row'],
      ['a key out of the shape', '{"instances": [{"data": {"features": {"keys": [5], "values": [1], "shape": [4]}}}]}', /keys\[0\] is not an index below 4/],
    ])('refuses with 415 when the body is %s', (_case, text, message) => {
      // Prepare
      const body = bytes(text);

      // Act
      const act = (): unknown => parseJsonFeatures(body);

      // Assess
      expect(act).toThrow(PayloadFormatError);
      expect(act).toThrow(message);
    });
  });

  describe('sizes named by the request', () => {
    it('refuses with 413 before allocating when an 85-byte body names a sparse shape of 600,000,000', () => {
      // Prepare
      const body = bytes('{"instances":[{"data":{"features":{"keys":[0],"values":[1],"shape":[600000000]}}}]}');

      // Act
      const act = (): unknown => parseJsonFeatures(body);

      // Assess
      expect(body.length).toBeLessThanOrEqual(85);
      expect(act).toThrow(RequestLimitError);
      expect(act).toThrow(`instances[0].data.features has "shape": [600000000]: the rows of one request may hold at most ${MAX_REQUEST_VALUES} feature values`);
    });

    it('refuses with 413 when many sparse rows together expand past the limit', () => {
      // Prepare: each row is allowed on its own, not all of them at once
      const width = Math.floor(MAX_REQUEST_VALUES / 3) + 1;
      const row = { data: { features: { keys: [0], values: [1], shape: [width] } } };
      const body = bytes(JSON.stringify({ instances: [row, row, row] }));

      // Act
      const act = (): unknown => parseJsonFeatures(body);

      // Assess
      expect(act).toThrow(RequestLimitError);
      expect(act).toThrow('instances[2].data.features has "shape"');
    });

    it('reads sparse rows when they stay within the limit', () => {
      // Prepare
      const body = bytes(JSON.stringify({ instances: [{ data: { features: { keys: [1], values: [7], shape: [1000] } } }] }));

      // Act
      const matrix = parseJsonFeatures(body);

      // Assess
      expect(matrix.nCols).toBe(1000);
      expect(matrix.values[1]).toBe(7);
    });
  });
});

describe('parseFeatures', () => {
  describe('dispatch on the format', () => {
    it('parses the same rows when the same features come as CSV and as JSON', () => {
      // Prepare
      const csv = bytes('1,2\n3,4');
      const json = bytes('{"instances": [[1, 2], [3, 4]]}');

      // Act
      const fromCsv = parseFeatures(csv, 'csv');
      const fromJson = parseFeatures(json, 'json');

      // Assess
      expect(fromCsv).toEqual(fromJson);
    });
  });
});

describe('formatPythonFloat', () => {
  describe('values as Python repr prints them', () => {
    it.each([
      [Math.fround(0.9980582594871521), '0.9980582594871521'],
      [Math.fround(2.1358655430958606e-5), '2.1358655430958606e-05'],
      [1, '1.0'],
      [0, '0.0'],
      [-3, '-3.0'],
      [0.0001, '0.0001'],
      [0.00009999, '9.999e-05'],
      [1e16, '1e+16'],
      [123456789012345.6, '123456789012345.6'],
      [Number.NaN, 'nan'],
    ])('prints %p as %p', (value, expected) => {
      // Prepare: value given by the table

      // Act
      const text = formatPythonFloat(value);

      // Assess
      expect(text).toBe(expected);
    });
  });
});

describe('formatPredictions', () => {
  const binary = new Float32Array([0.9980582594871521, 2.1358655430958606e-5]);
  const multiclass = new Float32Array([0.1, 0.2, 0.7, 0.5, 0.25, 0.25]);

  describe('text/csv', () => {
    it('writes one prediction per line ending in a newline when each row has one value', () => {
      // Prepare: two binary:logistic probabilities

      // Act
      const text = formatPredictions(binary, 2, 'text/csv');

      // Assess
      expect(text).toBe('0.9980582594871521\n2.1358655430958606e-05\n');
    });

    it('writes the class probabilities comma-separated on each row line when the model is multi:softprob', () => {
      // Prepare: two rows of three class probabilities

      // Act
      const text = formatPredictions(multiclass, 2, 'text/csv');

      // Assess
      expect(text).toBe('0.10000000149011612,0.20000000298023224,0.699999988079071\n0.5,0.25,0.25\n');
    });

    it('writes whole class indices with .0 when the model is multi:softmax', () => {
      // Prepare
      const classes = new Float32Array([2, 0]);

      // Act
      const text = formatPredictions(classes, 2, 'text/csv');

      // Assess
      expect(text).toBe('2.0\n0.0\n');
    });
  });

  describe('application/json', () => {
    it('writes {"predictions": [{"score": v}]} with Python separators when each row has one value', () => {
      // Prepare: two binary:logistic probabilities

      // Act
      const text = formatPredictions(binary, 2, 'application/json');

      // Assess
      expect(text).toBe('{"predictions": [{"score": 0.9980582594871521}, {"score": 2.1358655430958606e-05}]}');
      expect(JSON.parse(text)).toEqual({
        predictions: [{ score: 0.9980582594871521 }, { score: 2.1358655430958606e-5 }],
      });
    });

    it('writes a list of scores per row when the model is multi:softprob', () => {
      // Prepare: two rows of three class probabilities

      // Act
      const text = formatPredictions(multiclass, 2, 'application/json');

      // Assess
      expect(text).toBe(
        '{"predictions": [{"score": [0.10000000149011612, 0.20000000298023224, 0.699999988079071]}, ' +
          '{"score": [0.5, 0.25, 0.25]}]}',
      );
    });
  });

  describe('inconsistent input', () => {
    it('throws when the predictions do not split into the rows', () => {
      // Prepare
      const predictions = new Float32Array(3);

      // Act
      const act = (): unknown => formatPredictions(predictions, 2, 'text/csv');

      // Assess
      expect(act).toThrow(RangeError);
    });
  });
});
