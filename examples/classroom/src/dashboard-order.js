// The dashboard grid's order and density, for a class of 30 or more: sort
// by name, progress (lowest first: who may need help) or last activity
// (quietest first: who may be stuck), and a compact density that fits three
// times as many boards on a 1366×768 Chromebook. The choice is kept in this
// browser, since a teacher sets it up once for their screen.

import { h } from './dom.js';
import { t } from './i18n/index.js';

const KEY = 'jigsync.dashboard';
const SORTS = ['name', 'progress', 'activity'];

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return { sort: SORTS.includes(saved?.sort) ? saved.sort : 'name', compact: saved?.compact === true };
  } catch {
    return { sort: 'name', compact: false };
  }
}

function store(state) {
  try {
    localStorage.setItem(KEY, JSON.stringify(state));
  } catch {
    // Not kept: the choice still holds for this page.
  }
}

/**
 * The sort select and the density toggle. `sort(infos, { lastActive })`
 * reorders boards already in name order (a stable sort keeps name order
 * among equals); `compact` says which density is chosen.
 */
export function createGridControls({ onChange }) {
  const state = load();
  const select = h(
    'select',
    { testid: 'grid-sort', id: 'grid-sort', class: 'grid-sort' },
    SORTS.map((value) => h('option', { value }, t(`teacher.sort.${value}`))),
  );
  select.value = state.sort;
  select.addEventListener('change', () => {
    state.sort = select.value;
    store(state);
    onChange();
  });
  const density = h('button', { type: 'button', class: 'button subtle small', testid: 'grid-compact', 'aria-pressed': String(state.compact) }, t('teacher.compact'));
  density.addEventListener('click', () => {
    state.compact = !state.compact;
    density.setAttribute('aria-pressed', String(state.compact));
    store(state);
    onChange();
  });
  const el = h('div', { class: 'grid-controls' }, h('label', { for: 'grid-sort' }, t('teacher.sortBy')), select, density);

  return {
    el,
    get compact() {
      return state.compact;
    },
    sort(infos, { lastActive }) {
      if (state.sort === 'progress') return [...infos].sort((a, b) => a.progress - b.progress);
      if (state.sort === 'activity') return [...infos].sort((a, b) => lastActive(a) - lastActive(b));
      return infos;
    },
  };
}
