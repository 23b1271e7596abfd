// The language switch in the header of every page: each language named in
// itself, so a person who cannot read the current one still finds their own.

import { h } from './dom.js';
import { LOCALES, locale, setLocale, t } from './i18n/index.js';

export function languageSwitch() {
  const select = h(
    'select',
    {
      class: 'lang-select',
      id: 'lang-select',
      testid: 'lang-switch',
      'aria-label': t('lang.label'),
      onchange: () => setLocale(select.value),
    },
    LOCALES.map(({ code, name }) => h('option', { value: code, lang: code }, name)),
  );
  select.value = locale();
  return h('span', { class: 'lang-switch' }, h('span', { class: 'lang-icon', 'aria-hidden': 'true' }, '🌐'), select);
}
