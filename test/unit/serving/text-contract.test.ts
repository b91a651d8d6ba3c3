import { readTextPredictionAnswer } from '../../../core/deployment/text-prediction.js';
import { PayloadFormatError, TextRequestError, UnsupportedContentTypeError } from '../../../local/serving/errors.js';
import { checkTextContentType, formatTextAnswer, parseTextRequest } from '../../../local/serving/text-contract.js';
import { textServingSpec } from '../../../local/serving/text-normaliser.js';
import { readTextServingSpec } from '../../../local/serving/text-serving-spec.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('checkTextContentType', () => {
  describe('BlazingText JSON', () => {
    it.each(['application/json', 'Application/JSON', 'application/json; charset=utf-8'])('accepts the request when Content-Type is %p', (header) => {
      // Prepare: header given by the table

      // Act
      const act = (): void => checkTextContentType(header);

      // Assess
      expect(act).not.toThrow();
    });
  });

  describe('other content types', () => {
    it.each([undefined, '', 'text/csv', 'text/plain', 'application/jsonlines'])('answers 415 naming the contract when Content-Type is %p', (header) => {
      // Prepare: header given by the table

      // Act
      const act = (): void => checkTextContentType(header);

      // Assess
      expect(act).toThrow(UnsupportedContentTypeError);
      expect(act).toThrow(/application\/json, \{"instances"/);
    });
  });
});

describe('parseTextRequest', () => {
  describe('a valid request', () => {
    it('reads the instances and k when the configuration gives k', () => {
      // Prepare
      const body = bytes(JSON.stringify({ instances: ['Great <br />tea!', 'meh'], configuration: { k: 2 } }));

      // Act
      const request = parseTextRequest(body);

      // Assess
      expect(request).toEqual({ instances: ['Great <br />tea!', 'meh'], k: 2 });
    });

    it('asks for the top label when there is no configuration', () => {
      // Prepare
      const body = bytes('{"instances": ["one"]}');

      // Act
      const request = parseTextRequest(body);

      // Assess
      expect(request.k).toBe(1);
    });
  });

  describe('a malformed request', () => {
    it.each([
      ['not JSON', 'instances: x', PayloadFormatError],
      ['an array', '["a"]', PayloadFormatError],
      ['instances missing', '{"configuration": {"k": 1}}', PayloadFormatError],
      ['a non-string instance', '{"instances": ["a", 3]}', PayloadFormatError],
      ['k of zero', '{"instances": ["a"], "configuration": {"k": 0}}', TextRequestError],
      ['a fractional k', '{"instances": ["a"], "configuration": {"k": 1.5}}', TextRequestError],
    ])('refuses the body when it is %s', (_case, body, errorClass) => {
      // Prepare: body given by the table

      // Act
      const act = (): unknown => parseTextRequest(bytes(body));

      // Assess
      expect(act).toThrow(errorClass);
    });
  });
});

describe('formatTextAnswer', () => {
  describe('predictions of two instances', () => {
    it('writes BlazingText labels and probabilities that the smoke test reader accepts when given fastText predictions', () => {
      // Prepare
      const predictions = [
        { labels: ['great', 'other'], probabilities: [0.9, 0.1], fastTextLabels: ['__label__great', '__label__other'] },
        { labels: ['other'], probabilities: [0.7], fastTextLabels: ['__label__other'] },
      ];

      // Act
      const body = formatTextAnswer(predictions);

      // Assess
      expect(JSON.parse(body)).toEqual([
        { label: ['__label__great', '__label__other'], prob: [0.9, 0.1] },
        { label: ['__label__other'], prob: [0.7] },
      ]);
      expect(readTextPredictionAnswer(body, 2).ok).toBe(true);
    });
  });
});

describe('textServingSpec', () => {
  const columns = [
    { name: 'product', type: 'string' as const },
    { name: 'review', type: 'string' as const },
    { name: 'score', type: 'string' as const },
  ];

  describe('the reviews query', () => {
    it('finds the raw text column when the label comes from another column', () => {
      // Prepare
      const sql = "SELECT score AS label, trim(regexp_replace(lower(review), '<[^>]*>', ' ')) AS text FROM reviews";

      // Act
      const spec = textServingSpec('reviews', sql, columns);

      // Assess
      expect(spec).toEqual({ featureSql: sql, table: 'reviews', textColumn: 'review', columns });
      expect(readTextServingSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    });
  });

  describe('an ambiguous query', () => {
    it('refuses to guess when the text is built from two string columns', () => {
      // Prepare
      const sql = "SELECT score AS label, product || ' ' || review AS text FROM reviews";

      // Act
      const act = (): unknown => textServingSpec('reviews', sql, columns);

      // Assess
      expect(act).toThrow(/product, review/);
    });
  });
});
