/* Figures as people read them (en-GB); a missing figure is a dash, never 0. */

export const number = (value, digits) => value === null || value === undefined ? "—"
  : Number(value).toLocaleString("en-GB", {minimumFractionDigits: digits, maximumFractionDigits: digits});

export const percent = (share) => share === null || share === undefined ? "—" : `${number(share * 100, 1)}%`;

export const when = (iso) => iso ? new Date(iso).toLocaleString("en-GB", {dateStyle: "medium", timeStyle: "short"}) : "";

/** The nearest site of an option by the fastest of `modes`, in words. */
export function nearestText(nearest, modes) {
  const names = {walk: "on foot", pt: "by public transport", car: "by car"};
  let best = null;
  for (const mode of modes) {
    const n = nearest[mode];
    if (n && n.minutes !== null && (!best || n.minutes < best.minutes)) best = Object.assign({mode: mode}, n);
  }
  if (!best) return "—";
  return `${best.site_name || best.site_code} (${best.provider || "?"}), ${number(best.minutes, 1)} min ${names[best.mode]}`;
}

/** Whether an option is reachable, from how many providers, and whether that is a real choice. */
export function yesNo(reachable, providers, realChoice) {
  if (!reachable) return "No";
  return `Yes, ${providers} provider${providers === 1 ? "" : "s"}${realChoice ? " (real choice)" : ""}`;
}
