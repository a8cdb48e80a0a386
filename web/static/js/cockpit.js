// The cockpit page: the shared layout and its login gate around the text of
// templates/cockpit.html.

import './layout.js';
