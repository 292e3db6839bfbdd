/**
 * The HTML part's building blocks: a template tag that escapes every interpolated value unless it
 * is markup made here, the palette, and the section title and table every section uses. Styles
 * avoid what common clients drop (see docs/report.md): no `white-space`, `overflow-wrap`,
 * `border-radius` or `role`; tables and `bgcolor` do the layout.
 */
import type { Tone } from './labels.ts';

/** Markup that is already safe; anything else interpolated into `html` is escaped. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

type HtmlPart = Html | string | number | null | undefined | false | readonly HtmlPart[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function renderPart(part: HtmlPart): string {
  if (part instanceof Html) return part.markup;
  if (Array.isArray(part)) return part.map(renderPart).join('');
  if (part === null || part === undefined || part === false) return '';
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...parts: readonly HtmlPart[]): Html {
  let markup = strings[0] ?? '';
  parts.forEach((part, index) => {
    markup += renderPart(part) + (strings[index + 1] ?? '');
  });
  return new Html(markup);
}

/** System fonts; Chrome on macOS, without BlinkMacSystemFont, falls back to Helvetica: bytes matter under Gmail's clip. */
export const FONT = "-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export const COLORS = {
  page: '#f3f4f6',
  card: '#ffffff',
  panel: '#f9fafb',
  border: '#e5e7eb',
  text: '#111827',
  muted: '#6b7280',
  good: '#047857',
  bad: '#b91c1c',
  neutral: '#4b5563',
} as const;

export const TONE_COLORS: Record<Tone, string> = {
  good: COLORS.good,
  bad: COLORS.bad,
  neutral: COLORS.neutral,
};

export function sectionTitle(title: string, subtitle?: string): Html {
  return html`<div style="font-family:${FONT};font-size:16px;line-height:22px;font-weight:700;color:${COLORS.text};margin:0 0 2px;">${title}</div>${
    subtitle
      ? html`<div style="font-family:${FONT};font-size:12px;line-height:18px;color:${COLORS.muted};margin:0 0 8px;">${subtitle}</div>`
      : ''
  }`;
}

export const CELL = `font-family:${FONT};font-size:13px;line-height:18px;padding:7px 6px;border-bottom:1px solid ${COLORS.border};color:${COLORS.text};`;
export const HEAD = `font-family:${FONT};font-size:11px;line-height:16px;padding:6px 6px;border-bottom:2px solid ${COLORS.border};color:${COLORS.muted};text-transform:uppercase;letter-spacing:0.04em;font-weight:600;`;

export function table(headers: readonly string[], rows: readonly (readonly Html[])[]): Html {
  return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr>${headers.map((header, index) => html`<th align="${index === 0 ? 'left' : 'right'}" style="${HEAD}">${header}</th>`)}</tr>
${rows.map(
  (cells) =>
    html`<tr>${cells.map(
      (cell, index) => html`<td align="${index === 0 ? 'left' : 'right'}" style="${CELL}">${cell}</td>`,
    )}</tr>`,
)}
</table>`;
}

export function labelCell(label: { text: string; unknown: boolean }): Html {
  return label.unknown
    ? html`<span style="color:${COLORS.muted};font-style:italic;">${label.text}</span>`
    : html`${label.text}`;
}

/** A section of the card: a row of the layout table, padded like every other. */
export function sectionRow(content: Html): Html {
  return html`<tr><td style="padding:18px 20px 0;">
${content}
</td></tr>`;
}

/** Small grey print under a section. */
export function note(text: Html | string): Html {
  return html`<div style="font-family:${FONT};font-size:12px;line-height:18px;color:${COLORS.muted};margin:6px 0 0;">${text}</div>`;
}
