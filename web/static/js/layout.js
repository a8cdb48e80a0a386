// The shared layout: the account controls in the header, and the login gate of every page
// but the login page itself. Each page's module imports it first.

import { token, clearToken, requireLogin, prefix } from './session.js';
import { byId } from './dom.js';
import { viewer } from './account.js';

const isPublic = document.body.dataset.public === 'true';

function setupAccount() {
  const loginLink = byId('login-link');
  const logout = byId('logout');
  const loggedIn = token() !== '';
  loginLink.hidden = loggedIn;
  logout.hidden = !loggedIn;
  logout.addEventListener('click', () => {
    // The whole session goes: the token and what GraphiQL kept for this tab.
    clearToken();
    sessionStorage.clear();
    location.assign(prefix + 'login');
  });
}

// showAccount names the logged-in account beside the logout button.
function showAccount() {
  viewer().then((v) => {
    const el = byId('account-name');
    el.textContent = (v.name || v.id || '') + '（' + v.roleName + '）';
    el.title = '可查看至' + v.clearance.name + (v.departmentName ? '，' + v.departmentName : '') +
      (v.districtNames.length > 0 ? '，' + v.districtNames.join('、') : '');
    el.hidden = false;
    // The menu offers a page only to an account that may use it.
    for (const li of document.querySelectorAll('.main-nav li[data-needs]')) {
      li.hidden = v[li.dataset.needs] !== true;
    }
  }).catch(() => { /* the page's own request reports the failure */ });
}

setupAccount();

// ready is false when the page has sent its visitor to log in first.
export const ready = isPublic || requireLogin();
if (ready && !isPublic) showAccount();
