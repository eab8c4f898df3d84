/* Figures as people read them (en-GB); a missing figure is a dash, never 0. */

export const number = (value, digits) => value === null || value === undefined ? "—"
  : Number(value).toLocaleString("en-GB", {minimumFractionDigits: digits, maximumFractionDigits: digits});

export const percent = (share) => share === null || share === undefined ? "—" : `${number(share * 100, 1)}%`;

export const when = (iso) => iso ? new Date(iso).toLocaleString("en-GB", {dateStyle: "medium", timeStyle: "short"}) : "";
