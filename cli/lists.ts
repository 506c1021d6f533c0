import type { Command } from 'commander';
import { integer } from './args.ts';
import type { CliContext } from './context.ts';
import { table } from './format.ts';

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

export interface ListOptions {
  pageSize?: number;
  pageToken?: string;
}

export function addListOptions(command: Command): Command {
  return command
    .option('--page-size <n>', 'fetch one page of at most n items (1–1000)', integer)
    .option('--page-token <token>', 'fetch the page that starts at this token');
}

/**
 * Every item, following `nextPageToken`; with `--page-size` or `--page-token`, just that page
 * (its `nextPageToken` is printed so the next page can be asked for).
 */
export async function fetchList<T>(
  options: ListOptions,
  fetchPage: (query: { pageSize?: number; pageToken?: string }) => Promise<Page<T>>,
): Promise<Page<T>> {
  if (options.pageSize !== undefined || options.pageToken !== undefined) {
    return fetchPage({ pageSize: options.pageSize, pageToken: options.pageToken });
  }
  const items: T[] = [];
  let pageToken: string | undefined;
  do {
    const page = await fetchPage({ pageSize: 1000, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { items };
}

/** A list as a table (or the API's JSON), with a notice when it is empty or has more pages. */
export function printList<T>(
  ctx: CliContext,
  page: Page<T>,
  header: string[],
  row: (item: T) => string[],
  noun: string,
): void {
  if (ctx.json) {
    ctx.show(page, () => '');
    return;
  }
  if (page.items.length === 0) ctx.note(`No ${noun} found.`);
  else ctx.print(table(header, page.items.map(row), ctx.width));
  if (page.nextPageToken) ctx.note(`More: --page-token ${page.nextPageToken}`);
}
