/** A paginated SDK list answered page by page, with the requests it received (see {@link pagedResponses}). */
export interface PagedResponses<Input, Output> {
  /** Answers one request: the first page when it carries no NextToken, page n when it asks for `page-n`. */
  answer: (input: Input) => Output;
  /** A copy of every request, taken when it was sent. */
  sent: Input[];
}

/**
 * Answers a paginated SDK list command from `pages`: every page but the last comes back with the NextToken of the next
 * (`page-2`, `page-3`, ...). Use it as `mock.on(ListXCommand).callsFake(paged.answer)`, then assert `paged.sent`.
 *
 * The copies in `sent` are why this exists: the SDK paginators send one input object for every page and set its
 * NextToken in place, so the inputs `commandCalls()` returns after the fact all show the last token sent.
 */
export function pagedResponses<Input extends { NextToken?: string | undefined }, Output extends object>(
  pages: readonly Output[],
): PagedResponses<Input, Output & { NextToken?: string }> {
  const sent: Input[] = [];
  return {
    sent,
    answer: (input) => {
      sent.push({ ...input });
      const index = input.NextToken === undefined ? 0 : Number(/^page-(\d+)$/.exec(input.NextToken)?.[1]) - 1;
      const page = pages[index];
      if (page === undefined) throw new Error(`No page answers NextToken ${String(input.NextToken)}`);
      return index + 1 < pages.length ? { ...page, NextToken: `page-${index + 2}` } : page;
    },
  };
}
