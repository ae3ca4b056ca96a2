// What the pages share: the subaccounts as last read, the selected one, the page shown.
import { keyOf } from './api.js';

export const state = { subaccounts: [], selected: '', page: 'subaccounts' };
export const current = () => state.subaccounts.find((s) => keyOf(s) === state.selected);
