import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import { mulberry32 } from '../../core/support/mulberry32.js';

/** The churn columns, as the bench's generated file has them. */
export const CHURN_HEADER =
  'churn,female,senior_citizen,partner,dependents,tenure,phone_service,multiple_lines,internet_service,online_security,online_backup,device_protection,tech_support,streaming_tv,streaming_movies,contract,paperless_billing,payment_method,monthly_charges,total_charges';

const CONTRACTS = ['Month-to-month', 'One year', 'Two year'];
const SERVICES = ['Yes', 'No', 'No internet service'];
const PAYMENTS = ['Electronic check', 'Mailed check', 'Bank transfer (automatic)', 'Credit card (automatic)'];


/**
 * Writes a churn-shaped CSV of about `targetBytes`, reusing the file if it is already there at that size. About
 * 0.1% of rows break the churn contract (a bad tenure, an unknown contract), as real exports do.
 */
export async function generateChurnCsv(path: string, targetBytes: number): Promise<{ path: string; bytes: number; rows: number }> {
  const existing = await stat(path).catch(() => undefined);
  if (existing && existing.size >= targetBytes) return { path, bytes: existing.size, rows: -1 };
  const rand = mulberry32(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const out = createWriteStream(path);
  let bytes = 0;
  let rows = 0;
  const write = async (text: string) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`${CHURN_HEADER}\n`);
  while (bytes < targetBytes) {
    let chunk = '';
    for (let i = 0; i < 5000; i += 1) {
      const tenure = Math.floor(rand() * 73);
      const monthly = Math.round((18 + rand() * 100) * 100) / 100;
      const bad = rand() < 0.001;
      const total = tenure === 0 ? 'NA' : String(Math.round(monthly * tenure * 100) / 100);
      chunk += `${pick(['Yes', 'No'])},${rand() < 0.5 ? 1 : 0},${rand() < 0.16 ? 1 : 0},${rand() < 0.5 ? 1 : 0},${rand() < 0.3 ? 1 : 0},${bad ? 'abc' : tenure},1,${pick(['Yes', 'No', 'No phone service'])},${pick(['DSL', 'Fiber optic', 'No'])},${pick(SERVICES)},${pick(SERVICES)},${pick(SERVICES)},${pick(SERVICES)},${pick(SERVICES)},${pick(SERVICES)},${bad && rand() < 0.5 ? 'Ten year' : pick(CONTRACTS)},${rand() < 0.6 ? 1 : 0},"${pick(PAYMENTS)}",${monthly},${total}\n`;
    }
    rows += 5000;
    await write(chunk);
  }
  out.end();
  await once(out, 'close');
  return { path, bytes, rows };
}
